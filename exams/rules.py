"""Completion-exam rules (E*) as pure functions."""

import datetime

from portal.bizdays import JST

# Issue 11 — bounds of typed numbers ----------------------------------------------------

# Serials have 5 digits (R3), so no delivery course has more applicants; a
# 30-digit number in a POST must be a form error, not a database error.
MAX_APPLICANTS = 99_999


def applicants_bound_problem(applicants: int) -> str | None:
    if applicants > MAX_APPLICANTS:
        return f"「応募者数」は{MAX_APPLICANTS:,}名以下にしてください。"
    return None


# R4 — management numbers -------------------------------------------------------------


def management_number(provider_number: str, exam_date: datetime.date, serial: int) -> str:
    """R4: provider number (5) + FE + YYMM of the exam + serial (5): 16 characters."""
    if not 1 <= serial <= 99999:
        raise ValueError("serial must have 5 digits")
    return f"{provider_number}FE{exam_date:%y%m}{serial:05d}"


def management_number_display(number: str) -> str:
    """R4: shown with hyphens, 99991-FE1506-00001 (figure 8.1-1)."""
    return f"{number[:5]}-{number[5:11]}-{number[11:]}"


# R1, R6, E8 — reports ------------------------------------------------------------------

IPA_FULL_MARKS = 60
IPA_PASS_RATIO = (3, 5)  # 60 %
REPORT_LIMIT_DAYS = 14  # M§2.5 (4): within 2 weeks of the certification date


def ipa_pass_score(full_marks: int = IPA_FULL_MARKS) -> int:
    """E8: IPA problems pass at 60 % of full marks or more (36 of 60)."""
    numerator, denominator = IPA_PASS_RATIO
    return -(-full_marks * numerator // denominator)


def count_problems(applicants: int, examinees: int | None, completers: int) -> list[str]:
    """R6: completers ≤ examinees ≤ applicants."""
    problems = []
    if examinees is None:
        return ["「受験者数」を入力してください。"]
    if examinees > applicants:
        problems.append(
            f"「受験者数」（{examinees}名）は応募者数（{applicants}名）以下にしてください。"
        )
    if completers > examinees:
        problems.append(
            f"修了認定者数（{completers}名）は「受験者数」（{examinees}名）以下にしてください。"
        )
    return problems


def report_deadline(certified_on: datetime.date) -> datetime.date:
    """R1: a report later than 2 weeks after the certification date is a ground
    for revocation (M§2.5 (4))."""
    return certified_on + datetime.timedelta(days=REPORT_LIMIT_DAYS)


def is_late_report(certified_on: datetime.date | None, reported_on: datetime.date) -> bool:
    return certified_on is not None and reported_on > report_deadline(certified_on)


def fee_total(applicants: int, unit: int) -> int:
    """E2: 2,000 JPY per applicant."""
    return applicants * unit


def _remaining(seconds: float) -> str:
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    return f"あと{days}日{hours}時間" if days else f"あと{hours}時間{rest // 60}分"


def countdown_text(
    deadline: datetime.datetime | None,
    now: datetime.datetime,
    opens: datetime.datetime | None = None,
) -> str:
    """「あと2日3時間」 until a deadline, for the pages that show windows; before
    the window opens (``opens``), the time until it opens instead."""
    if deadline is None:
        return "未公表"
    if opens is not None and now < opens:
        return f"受付開始まで{_remaining((opens - now).total_seconds())}"
    seconds = (deadline - now).total_seconds()
    if seconds <= 0:
        return "締切済み"
    return _remaining(seconds)


def reviewed_report_window(
    exam_date: datetime.date, ipa_report_closes_at: datetime.datetime | None
) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    """E1/R1 (table 4.5-5): an IPA審査 exam is reported from its own exam date
    (00:00 Japan time) until the close of the report window of the IPA exam
    of the same month."""
    if ipa_report_closes_at is None:
        return None, None
    return datetime.datetime.combine(exam_date, datetime.time(0), tzinfo=JST), ipa_report_closes_at


def report_review_due(report_closes_at: datetime.datetime | None) -> datetime.date | None:
    """R1: IPA checks a submitted result report by the end of its report
    window (the close's day, JST)."""
    return report_closes_at.astimezone(JST).date() if report_closes_at else None


def late_payment_decision_due(
    problems_delivered_on: datetime.date | None, exam_date: datetime.date
) -> datetime.date:
    """E2/F3 (M§5.7): a problem fee received after the close needs IPA's
    decision before the problems are provided (the delivery day, else the
    day of the exam)."""
    return problems_delivered_on or exam_date
