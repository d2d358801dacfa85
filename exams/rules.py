"""Completion-exam rules (E*) as pure functions."""

import datetime

from portal.bizdays import add_business_days, is_business_day


def window_is_open(
    opens_at: datetime.datetime | None,
    closes_at: datetime.datetime | None,
    now: datetime.datetime,
) -> bool:
    """E1/E2/R1: a window is open from its start up to, not including, its
    close: at 15:00:00 on the closing day nothing is accepted any more."""
    if opens_at is None or closes_at is None:
        return False
    return opens_at <= now < closes_at


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


def payment_is_late(
    payment_date: datetime.date | None, application_closes_at: datetime.datetime | None
) -> bool:
    """E2/F3 (M§5.7): the problem fee must have arrived (着金) by the
    application close. A payment dated after the closing day is late; one on
    the closing day itself cannot be told apart by its date and counts as in
    time."""
    if payment_date is None or application_closes_at is None:
        return False
    return payment_date > application_closes_at.astimezone(JST).date()


# E1, R10 — the usual shape of an exam's schedule ------------------------------------------

JST = datetime.timezone(datetime.timedelta(hours=9), "JST")


def exemption_validity(exam_date: datetime.date) -> tuple[datetime.date, datetime.date]:
    """R10: from the Friday 19 days after the exam, for one year (start + 1 year − 1 day).
    2024-06-09 → 2024-06-28 … 2025-06-27 (table 4.7-2)."""
    start = exam_date + datetime.timedelta(days=19)
    try:
        end = start.replace(year=start.year + 1) - datetime.timedelta(days=1)
    except ValueError:  # 29 February
        end = start.replace(year=start.year + 1, day=28)
    return start, end


def reviewed_report_window(
    exam_date: datetime.date, ipa_report_closes_at: datetime.datetime | None
) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    """E1/R1 (table 4.5-5): an IPA審査 exam is reported from its own exam date
    (00:00 Japan time) until the close of the report window of the IPA exam
    of the same month."""
    if ipa_report_closes_at is None:
        return None, None
    return datetime.datetime.combine(exam_date, datetime.time(0), tzinfo=JST), ipa_report_closes_at


def business_day_on_or_before(day: datetime.date) -> datetime.date:
    """The day itself when IPA is open, else the IPA business day before it."""
    return day if is_business_day(day) else add_business_days(day, -1)


def typical_schedule(exam_date: datetime.date) -> dict:
    """E1: the usual windows around an exam date, as a starting point for IPA
    staff (IPA publishes the real ones): applications open on the Wednesday
    about a month before and close a week later at 15:00; problems on the
    Wednesday before; reports Monday to Friday 17:00 after the exam. A close
    never falls on a day IPA is closed (weekend, holiday, 12/29–1/3): it
    moves to the IPA business day before (W6), and an application window
    whose close moved still lasts a week."""

    def at(day, hour=0):
        return datetime.datetime.combine(day, datetime.time(hour), tzinfo=JST)

    week = datetime.timedelta(days=7)
    opens = exam_date - datetime.timedelta(days=32)
    closes = business_day_on_or_before(opens + week)
    if closes < opens + week:
        # The close moved before a closed day (e.g. the year-end break): the
        # window keeps its week and opens earlier, as IPA did for January
        # 2025 (2024-12-17 – 12-24 15:00, table 4.5-4), on a business day.
        opens = business_day_on_or_before(closes - week)
    valid_from, valid_to = exemption_validity(exam_date)
    return {
        "application_opens_at": at(opens),
        "application_closes_at": at(closes, 15),
        "problems_delivered_on": exam_date - datetime.timedelta(days=4),
        "report_opens_at": at(exam_date + datetime.timedelta(days=1)),
        "report_closes_at": at(
            business_day_on_or_before(exam_date + datetime.timedelta(days=5)), 17
        ),
        "exemption_valid_from": valid_from,
        "exemption_valid_to": valid_to,
    }


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


# E1 — the usual exam dates ---------------------------------------------------------------

TYPICAL_EXAM_SUNDAYS = {6: 2, 7: 4, 12: 2, 1: 4}  # month: which Sunday (table 4.5-2)


def nth_sunday(year: int, month: int, n: int) -> datetime.date:
    first = datetime.date(year, month, 1)
    first_sunday = first + datetime.timedelta(days=(6 - first.weekday()) % 7)
    return first_sunday + datetime.timedelta(weeks=n - 1)


def typical_exam_dates(after: datetime.date, until: datetime.date) -> list[datetime.date]:
    """E1: the usual exam dates (June 2nd, July 4th, December 2nd and January
    4th Sunday) after ``after``, up to and including ``until``."""
    dates = (
        nth_sunday(year, month, n)
        for year in range(after.year, until.year + 1)
        for month, n in TYPICAL_EXAM_SUNDAYS.items()
    )
    return sorted(d for d in dates if after < d <= until)


def exam_season(exam_date: datetime.date) -> str:
    """E1: the June/July exams are the summer ones, December/January the winter ones."""
    return "summer" if 4 <= exam_date.month <= 9 else "winter"
