"""The exam calendar's rules (E1, R10) as pure functions: the windows of an
exam date, its usual dates and schedule, the exemption validity of its
completers."""

import datetime

from portal.bizdays import JST, add_business_days, is_business_day

WEEKDAYS = "月火水木金土日"


def exam_day_label(day: datetime.date) -> str:
    """2025年6月8日（日）: how pages and messages name an exam day."""
    return f"{day.year}年{day.month}月{day.day}日（{WEEKDAYS[day.weekday()]}）"


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


# E1, R10 — the usual shape of an exam's schedule ------------------------------------------


def exemption_validity(exam_date: datetime.date) -> tuple[datetime.date, datetime.date]:
    """R10: from the Friday 19 days after the exam, for one year (start + 1 year − 1 day).
    2024-06-09 → 2024-06-28 … 2025-06-27 (table 4.7-2)."""
    start = exam_date + datetime.timedelta(days=19)
    try:
        end = start.replace(year=start.year + 1) - datetime.timedelta(days=1)
    except ValueError:  # 29 February
        end = start.replace(year=start.year + 1, day=28)
    return start, end


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
