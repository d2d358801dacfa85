"""Business rules of exemption courses (C*) and delivery courses (D*) as pure
functions: no database access, dates in, answers (or Japanese messages) out."""

import datetime
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from calendars.rules import exam_day_label
from portal.bizdays import (  # noqa: F401 (fiscal_year: re-exported)
    add_business_days,
    business_days_before,
    fiscal_year,
    is_business_day,
    next_business_day_on_or_after,
)

TWO_THIRDS = Fraction(2, 3)
CERTIFICATION_YEARS = 2
NONE_IPA_MIN_HOURS = Fraction(100)
BUSY_CERTIFICATION_MONTHS = (3, 4, 9, 10)  # M§4.3.1: 3/1, 4/1, 9/1, 10/1
MONTHS_AHEAD_ACCEPTED = 6  # M§4.3.1: 認定希望月の半年程度前であれば受け付け


class CourseType:
    """C1 (table 1.2-2) and IPA's internal code on 申請書式2."""

    NONE_IPA = "NONE_IPA"  # 民間資格活用なし・IPA提供 (code A)
    PRIVATE_IPA = "PRIVATE_IPA"  # 民間資格活用あり・IPA提供 (code C)
    PRIVATE_REVIEWED = "PRIVATE_REVIEWED"  # 民間資格活用あり・IPA審査 (code D)

    CHOICES = [
        (NONE_IPA, "民間資格活用なし、IPA提供"),
        (PRIVATE_IPA, "民間資格活用あり、IPA提供"),
        (PRIVATE_REVIEWED, "民間資格活用あり、IPA審査"),
    ]
    IPA_CODE = {NONE_IPA: "A", PRIVATE_IPA: "C", PRIVATE_REVIEWED: "D"}


def add_months(d: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (clamped to the month's last day)."""
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for day in (d.day, 30, 29, 28):
        try:
            return datetime.date(year, month, day)
        except ValueError:
            continue
    raise ValueError(d)


def first_of_month(d: datetime.date) -> datetime.date:
    return d.replace(day=1)


# C4 — the attendance ratio in the completion criteria ---------------------------

_RATIO_PATTERNS = [
    (re.compile(r"^(\d+(?:\.\d+)?)%$"), lambda m: Fraction(m.group(1)) / 100),
    (re.compile(r"^(\d+(?:\.\d+)?)割$"), lambda m: Fraction(m.group(1)) / 10),
    (re.compile(r"^(\d+)/(\d+)$"), lambda m: Fraction(int(m.group(1)), int(m.group(2)))),
    (re.compile(r"^(\d+)分の(\d+)$"), lambda m: Fraction(int(m.group(2)), int(m.group(1)))),
]


def parse_attendance_ratio(text: str) -> Fraction | None:
    """「70%」「７割」「2/3」「3分の2」 → Fraction; None when not a ratio."""
    value = unicodedata.normalize("NFKC", text or "").strip().replace(" ", "")
    for pattern, convert in _RATIO_PATTERNS:
        match = pattern.match(value)
        if match:
            try:
                return convert(match)
            except ZeroDivisionError:
                return None
    return None


def attendance_ratio_problem(text: str, label: str = "出席率") -> str | None:
    """C4: at least 2/3 of the items and of the hours (「70%」, 「7割」; 60 % is refused)."""
    ratio = parse_attendance_ratio(text)
    if ratio is None:
        return f"「{label}」は「70%」や「7割」のように割合で入力してください。"
    if ratio > 1:
        return f"「{label}」は100%以下で入力してください。"
    if ratio < TWO_THIRDS:
        return f"「{label}」は3分の2以上の割合にしてください（「{text}」は3分の2未満です）。"
    return None


def completion_criteria_text(
    course_type: str,
    ratio_text: str,
    private_exam_name: str = "",
    vendor_name: str = "",
    elearning: bool = False,
) -> str:
    """C4: the fixed text of table 5.2-1 with the ratio (and exam/vendor) filled in."""
    lines = ["以下の全ての項目を満たす者を修了認定者と定める。"]
    if course_type != CourseType.NONE_IPA:
        lines.append(
            f"・民間資格を取得するための試験である「{private_exam_name}」の合格者であること。"
        )
    lines.append(
        f"・当該免除対象講座の受講項目数の{ratio_text}以上かつ受講時間数の{ratio_text}以上の"
        "出席をもって受講した者であること。"
    )
    if course_type == CourseType.PRIVATE_REVIEWED:
        lines.append(
            f"・IPA審査問題による修了試験を受験する場合は、{vendor_name}（IPA提供問題を利用する場合は、"
            "IPA）の定める合格基準を満たした者であること。"
        )
    else:
        lines.append(
            "・IPA提供問題による修了試験を受験し、IPAの定める合格基準を満たした者であること。"
        )
    if elearning:
        lines += [
            "以下については、別紙を参照。",
            "・学習時間、学習期間、学習順序の伝達方法",
            "・教材等の提供方法",
            "・受講者の受講時間の把握方法",
        ]
    return "\n".join(lines)


# C5 — total hours ---------------------------------------------------------------

HOURS_PLACES = 2  # C5/C6: 0.25 h, 0.5 h; 別紙11 prints 0.50 and 100.00
MAX_HOURS = Decimal("999.99")


def hours_text(value) -> str:
    """Hours as 別紙11 prints them: ``0.50``, ``100.00``."""
    return f"{Decimal(str(value if value is not None else 0)):.2f}"


def parse_hours(value, label: str = "受講時間（h）") -> tuple[Decimal | None, str]:
    """C5/C6: hours exact to two decimals, never rounded: (value, "") or
    (None, the problem). ``value`` is typed text or a number read from Excel
    (a float off by its binary representation only, such as 0.30000000000000004,
    counts as the two-decimal value it shows)."""
    if isinstance(value, float):
        shown = round(value, HOURS_PLACES)
        text = repr(shown) if abs(value - shown) < 1e-9 else repr(value)
    else:
        text = unicodedata.normalize("NFKC", str(value if value is not None else "")).strip()
    try:
        hours = Decimal(text)
    except InvalidOperation:
        return None, f"「{label}」は数値（例：1.25）で入力してください（「{text}」）。"
    if not hours.is_finite():
        return None, f"「{label}」は数値（例：1.25）で入力してください（「{text}」）。"
    if hours < 0 or hours > MAX_HOURS:
        return None, f"「{label}」は0以上999.99以下にしてください（「{text}」）。"
    if hours.as_tuple().exponent < -HOURS_PLACES and hours != hours.quantize(Decimal("0.01")):
        return None, (
            f"「{label}」は小数第2位まで（例：0.25、1.5）で入力してください。"
            f"「{text}」のように端数のある値は自動では丸めません。"
        )
    return hours.quantize(Decimal("0.01")), ""


def hours_problems(
    course_type: str,
    total_hours: Fraction,
    plan_hours: Fraction | None = None,
    vendor_min_hours: Fraction | None = None,
) -> list[str]:
    """C5: NONE_IPA ≥ 100.00 h; PRIVATE_* ≥ the vendor's hours; the total equals
    the sum of the study plan (受講計画シート), compared exactly."""
    problems = []
    if course_type == CourseType.NONE_IPA and total_hours < NONE_IPA_MIN_HOURS:
        problems.append(
            f"「受講時間合計」は100.00時間以上にしてください（現在 {_h(total_hours)} 時間）。"
        )
    if course_type != CourseType.NONE_IPA:
        if vendor_min_hours is None:
            problems.append("「民間資格事業者が提示した時間数」を入力してください。")
        elif total_hours < vendor_min_hours:
            problems.append(
                f"「受講時間合計」は民間資格事業者が提示した {_h(vendor_min_hours)} 時間以上にしてください。"
            )
    if plan_hours is not None and plan_hours != total_hours:
        problems.append(
            f"「受講時間合計」（{_h(total_hours)} 時間）が受講計画シートの合計"
            f"（{_h(plan_hours)} 時間）と一致しません。"
        )
    return problems


def _h(value: Fraction) -> str:
    """An exact value with two decimals; more places only if it has them."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return hours_text(exact) if exact == exact.quantize(Decimal("0.01")) else str(exact)


# C8 — certification dates ---------------------------------------------------------


def earliest_certification_date(applied_on: datetime.date) -> datetime.date:
    """C8: the 1st of the month after next (apply in August → 1 October)."""
    return add_months(first_of_month(applied_on), 2)


def latest_desired_certification_date(applied_on: datetime.date) -> datetime.date:
    """C8: applications are accepted about six months ahead of the desired month."""
    return add_months(first_of_month(applied_on), MONTHS_AHEAD_ACCEPTED)


def defects_deadline(desired: datetime.date) -> datetime.date:
    """C8: every defect must be cleared by one month before the desired month."""
    return add_months(first_of_month(desired), -1)


def desired_month_problem(applied_on: datetime.date, desired: datetime.date) -> str | None:
    desired = first_of_month(desired)
    earliest = earliest_certification_date(applied_on)
    if desired < earliest:
        return (
            f"「認定希望月」は最短で{earliest.year}年{earliest.month}月です"
            "（申請月の翌々月1日が最短の認定日です）。"
        )
    latest = latest_desired_certification_date(applied_on)
    if desired > latest:
        return f"「認定希望月」は申請日から半年程度先（{latest.year}年{latest.month}月）までにしてください。"
    return None


def certification_date(
    applied_on: datetime.date, desired: datetime.date, cleared_on: datetime.date | None = None
) -> datetime.date:
    """C8: the certification date the application will get.

    The desired month (never earlier than the 1st of the month after next);
    when the defects are cleared after the 1st of the month before it, the
    application counts for a later month and the date slips by one month for
    each month it is late."""
    date = max(first_of_month(desired), earliest_certification_date(applied_on))
    if cleared_on is not None:
        while cleared_on > defects_deadline(date):
            date = add_months(date, 1)
    return date


def is_busy_certification_month(date: datetime.date) -> bool:
    """C8: 1 March, 1 April, 1 September and 1 October are busy (warn). The
    same months are busy for the start of delivery courses (D7, M§4.4.1)."""
    return date.month in BUSY_CERTIFICATION_MONTHS


def busy_delivery_start_warning(start: datetime.date | None) -> str | None:
    """D7 (M§4.4.1): delivery courses starting in March, April, September or
    October take longer to approve — a warning, never a refusal."""
    if start is None or not is_busy_certification_month(start):
        return None
    return (
        f"開始日（{start:%Y年%-m月%-d日}）の{start.month}月は、3月・4月・9月・10月に開講する"
        "実施講座の承認が混み合う時期です。通常よりも十分な期間を取って申請してください。"
    )


# C11 — validity ------------------------------------------------------------------


def certification_end_date(certified_on: datetime.date) -> datetime.date:
    """C11: certification date + 2 years − 1 day (2014-10-01 → 2016-09-30)."""
    return add_months(certified_on, 12 * CERTIFICATION_YEARS) - datetime.timedelta(days=1)


# C13 (M§5.6, M§12.2.2 (2)): a certified course is never extended and its
# curriculum and materials are not changed: a new course is applied for (the
# provider's registration is not needed again). No change-request kind
# targets the exemption course itself (providers.changes); only its delivery
# courses change by request.
NO_COURSE_CHANGE = (
    "免除対象講座の認定期間の延長や、カリキュラム・教材の変更はできません（マニュアル5.6、12.2.2）。"
    "続けて実施する場合は、新しい免除対象講座として申請してください（申請者情報の登録は不要です）。"
)
RENEWAL_NOTICE_MONTHS = 6  # the new course is applied for about half a year ahead (M§4.3.1)


def renewal_due(valid_until: datetime.date | None, today: datetime.date) -> bool:
    """C13: the certification ends within RENEWAL_NOTICE_MONTHS months and is
    not extended: time to apply for the next course."""
    return valid_until is not None and today <= valid_until < add_months(
        today, RENEWAL_NOTICE_MONTHS
    )


def certificate_number(fy: int, serial: int) -> str:
    """C12: the document number of a certificate, e.g. ``2025情テ人国第12号``."""
    return f"{fy}情テ人国第{serial}号"


# D2, D3, D7 — delivery courses -------------------------------------------------------


def delivery_period_problems(
    start: datetime.date,
    end: datetime.date,
    valid_from: datetime.date,
    valid_to: datetime.date,
    first_exam: datetime.date | None = None,
) -> list[str]:
    problems = []
    if end < start:
        problems.append("「終了日」は「開始日」以降の日付にしてください。")
    if start < valid_from:
        problems.append(
            f"「開始日」は免除対象講座の認定日（{valid_from:%Y年%-m月%-d日}）以降にしてください。"
        )
    if end > valid_to:
        problems.append(
            f"「終了日」は免除対象講座の有効期間の終了日（{valid_to:%Y年%-m月%-d日}）までにしてください。"
        )
    if first_exam is not None and end >= first_exam:
        problems.append(
            f"実施講座は最初の修了試験（{first_exam:%Y年%-m月%-d日}）の前日までに終了させてください。"
        )
    return problems


def delivery_submission_deadline(start: datetime.date) -> datetime.date:
    """D7: submit at least 5 IPA business days before the start date."""
    return business_days_before(start, 5)


def delivery_fix_deadline(start: datetime.date) -> datetime.date:
    """D7: defects must be cleared by 1 IPA business day before the start."""
    return business_days_before(start, 1)


# D4, D5 — exam rows of a delivery course -------------------------------------------

IPA = "ipa"  # IPA提供問題: a date of the published calendar (E1)
REVIEWED = "reviewed"  # IPA審査問題: the vendor's date


def reviewed_exam_problem(course_type: str) -> str | None:
    """C1/D5 (tables 1.2-1 and 1.2-2): only a 「民間資格活用あり、IPA審査」 course
    may set IPA審査問題 exams; the other types use IPA提供問題 only."""
    if course_type == CourseType.NONE_IPA:
        return "民間資格の活用なしの講座では、IPA提供問題の修了試験だけを設定できます。"
    if course_type == CourseType.PRIVATE_IPA:
        return (
            "「民間資格活用あり、IPA提供」の講座では、IPA提供問題の修了試験だけを設定できます"
            "（IPA審査問題を使うには「民間資格活用あり、IPA審査」の講座が必要です）。"
        )
    return None


def consecutive_season_months(first: datetime.date, second: datetime.date) -> bool:
    """D4: June→July of one year, or December→January of the next."""
    return (first.month, second.month, second.year - first.year) in {(6, 7, 0), (12, 1, 1)}


def exam_rows_problems(
    course_type: str,
    upper: list[tuple[str, datetime.date | None]],
    lower: list[tuple[str, datetime.date | None]],
    ipa_dates: set[datetime.date],
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
) -> list[str]:
    """D4/D5 (table 5.4-2). ``upper`` and ``lower`` are the two slots
    (① and ②) of each row as (kind, date); an empty slot has date None."""
    problems = []
    (kind1, date1), (kind2, date2) = upper
    if date1 is None:
        return ["上段の「実施日①」を入力してください。"]
    if date2 is not None and not consecutive_season_months(date1, date2):
        problems.append(
            "修了試験を2回設定する場合は、連続した月（6月と7月、または12月と翌年1月）にしてください。"
        )
    filled = [
        (k, d, f"上段の「実施日{n}」")
        for n, (k, d) in zip("①②", upper, strict=True)
        if d is not None
    ]
    lower_filled = [
        (k, d, f"下段の「実施日{n}」")
        for n, (k, d) in zip("①②", lower, strict=True)
        if d is not None
    ]
    reviewed_problem = reviewed_exam_problem(course_type)
    if reviewed_problem and any(k != IPA for k, _, _ in filled):
        problems.append(reviewed_problem)
    if course_type == CourseType.NONE_IPA:
        if lower_filled:
            problems.append("民間資格の活用なしの講座では、下段の実施日は入力しないでください。")
    else:
        if sum(k == REVIEWED for k, _, _ in filled) > 1:
            problems.append("IPA審査問題の修了試験は上段の①か②のどちらか1回だけです。")
        if lower_filled:
            # The lower "rescue" row holds the IPA exams of the same months.
            if any(k != IPA for k, _, _ in lower_filled):
                problems.append("下段（救済措置）にはIPA提供問題の修了試験日を入力してください。")
            for (_, up), (_, low) in zip(upper, lower, strict=True):
                if (up is None) != (low is None):
                    problems.append("下段は上段と同じ回数（1回なら①だけ）を入力してください。")
                    break
                if up is not None and (up.year, up.month) != (low.year, low.month):
                    problems.append(
                        "下段の実施日は上段の同じ月のIPA提供問題の修了試験日にしてください。"
                    )
                    break
    for kind, date, label in filled + lower_filled:
        if kind == IPA and date not in ipa_dates:
            problems.append(
                f"{label}（{date:%Y年%-m月%-d日}）は公表されている修了試験日ではありません。"
            )
        if valid_from and date < valid_from or valid_to and date > valid_to:
            problems.append(f"{label}は免除対象講座の有効期間内の日付にしてください。")
    return problems


# D6, D8 — after approval: exams added or dropped, deletion (M§5.5, table 4.5-1) ------

# D8 (table 5.5-2, figure 5.5-4): the fixed texts of 申請書式5 of a deletion.
DELETION_FORM = "申請書式2-添付書類3"
DELETION_ITEM = "実施講座"
DELETION_AFTER = "申請書式2-添付書類2、3に示す実施講座を削除"
DELETION_BEFORE = "申請書式2-添付書類2、3に示す実施講座"


def second_exam_problem(first_exam: datetime.date | None, today: datetime.date) -> str | None:
    """D6 (table 4.5-1 「修了試験の設定を1回から2回に変更する場合」): a second
    exam is added only by a change request approved before the first exam is
    held; from the first exam's day on, it cannot be added any more."""
    if first_exam is not None and today >= first_exam:
        return (
            f"1回目の修了試験（{exam_day_label(first_exam)}）の実施後は、2回目の修了試験を追加できません。"
            "2回目の追加は、1回目の修了試験の実施前に変更申請をして承認を受ける必要があります。"
        )
    return None


def drop_exam_problem(applied: bool) -> str | None:
    """D6 (table 4.5-1 「修了試験の設定を2回から1回にする場合」): dropping an
    exam needs no change request when nobody applied for it; otherwise it does."""
    if applied:
        return (
            "この修了試験には申込みがあるため、設定を取りやめるには変更申請が必要です。"
            "「変更申請」から修了試験の設定を変更してください。"
        )
    return None


def deletion_problem(applied_dates: list[datetime.date]) -> str | None:
    """D8 (M§5.5): a delivery course is deleted when nobody enrolled; once
    anyone has applied for one of its exams, it cannot be deleted."""
    if applied_dates:
        days = "、".join(exam_day_label(d) for d in sorted(applied_dates))
        return (
            f"この実施講座の修了試験（{days}）には申込みまたは結果報告があるため、削除できません。"
        )
    return None


# C3 — names ------------------------------------------------------------------------

_YEAR_IN_NAME = re.compile(r"(19|20)\d{2}")


def course_name_problems(name: str, course_type: str, vendor_name: str = "") -> list[str]:
    """C3: the name carries the fiscal years (e.g. 2025-2026年度講座A); PRIVATE_*
    names also carry the vendor's name."""
    normalized = unicodedata.normalize("NFKC", name or "")
    problems = []
    if not _YEAR_IN_NAME.search(normalized) or "年度" not in normalized:
        problems.append(
            "「免除対象講座の名称」には認定期間の年度（西暦）を含めてください（例：2025-2026年度講座A）。"
        )
    vendor = unicodedata.normalize("NFKC", vendor_name or "")
    if course_type != CourseType.NONE_IPA and vendor and vendor not in normalized:
        problems.append("「免除対象講座の名称」には民間資格事業者名を含めてください。")
    return problems


def private_course_problems(course_type: str, vendor_name: str, private_exam_name: str) -> dict:
    """C3/C4: a PRIVATE_* course names its vendor and the private exam (both
    appear in the name and in the completion criteria)."""
    if course_type == CourseType.NONE_IPA:
        return {}
    labels = {
        "vendor_name": ("民間資格事業者名", vendor_name),
        "private_exam_name": ("民間資格の試験名", private_exam_name),
    }
    return {
        field: f"民間資格を活用する講座では「{label}」を入力してください。"
        for field, (label, value) in labels.items()
        if not value
    }


def plan_coverage_problems(
    course_type: str, required_codes: list[str], planned_codes: list[str]
) -> list[str]:
    """C6: a NONE_IPA course covers every sub-item of the syllabus."""
    if course_type != CourseType.NONE_IPA:
        return []
    missing = [code for code in required_codes if code not in set(planned_codes)]
    if not missing:
        return []
    shown = "、".join(missing[:10]) + (f" ほか{len(missing) - 10}項目" if len(missing) > 10 else "")
    return [f"受講計画シートに受講項目がない小分類があります：{shown}"]


# P9 — the public registry (M§2.3, M§5.2 (16)) and the status of a certification ------

# M§2.5: IPA publishes a revocation; the revoked course stays on the current
# list (marked 認定取消し) for as long as the revocation bars the provider
# (2 years from the revocation date), then only the list of past
# certifications shows it.
REVOCATION_LISTED_YEARS = 2


class CertificationStatus:
    """The status of a certification as the public sees it (P9, the
    certificate's verification page)."""

    # (not the course's state values: a status is worked out from the state
    # and the dates)
    VALID = "valid"
    EXPIRED = "period_ended"
    REVOKED = "cancelled"

    LABELS = {VALID: "有効", EXPIRED: "期間満了", REVOKED: "取消し"}


def published_from(certified_on: datetime.date) -> datetime.date:
    """P9 (M§5.2 (16)): IPA publishes a certified course on its certification
    date, or on the next IPA business day (W6) when that date is not one
    (2027-01-01, a holiday in the year-end break, → Monday 2027-01-04)."""
    return next_business_day_on_or_after(certified_on)


def published_up_to(today: datetime.date) -> datetime.date:
    """P9: the latest certification date already published on ``today``, the
    inverse of :func:`published_from` for a query (``certified_on <= …``):
    every date up to today on a business day; on a day IPA is closed, only
    the dates up to its last business day (a course certified since then
    appears on the next business day)."""
    if is_business_day(today):
        return today
    return add_business_days(today, -1)


def certification_status(
    *,
    in_force: bool,
    valid_until: datetime.date | None,
    revoked_on: datetime.date | None,
    today: datetime.date,
) -> str:
    """有効 / 期間満了 / 取消し of a certification on ``today`` (C11, M§2.5):
    revoked once a revocation date is set and reached; valid while the course
    is in force (its workflow state) up to its end date; expired otherwise
    (past the end date, also before the scheduled task has moved it)."""
    if revoked_on is not None and revoked_on <= today:
        return CertificationStatus.REVOKED
    if in_force and valid_until is not None and today <= valid_until:
        return CertificationStatus.VALID
    return CertificationStatus.EXPIRED


def revocation_listed_until(revoked_on: datetime.date) -> datetime.date:
    """P9/M§2.5: the last day a revoked course is on the current list."""
    return add_months(revoked_on, 12 * REVOCATION_LISTED_YEARS) - datetime.timedelta(days=1)


DELIVERY_ANSWER_BUSINESS_DAYS = 5  # D7 (M§4.4.1): IPA answers within 5 business days


def delivery_review_due(submitted_on: datetime.date) -> datetime.date:
    """D7: IPA answers a delivery course filed on ``submitted_on`` within 5
    IPA business days (W6)."""
    return add_business_days(submitted_on, DELIVERY_ANSWER_BUSINESS_DAYS)


def course_review_due(desired_month: datetime.date) -> datetime.date:
    """C8: the review must leave the provider time to clear the defects by one
    month before the desired month, so IPA answers by that day."""
    return defects_deadline(desired_month)
