"""IPA business-day calendar (rule W6).

An IPA business day (営業日) is a Monday-Friday that is none of:

* a Japanese national holiday (国民の祝日), including substitute holidays
  (振替休日) and "citizens' holidays" (国民の休日, a weekday sandwiched between
  two holidays, e.g. 2026-09-22). All three come from the ``holidays``
  package's JP calendar;
* the year-end/new-year break, 29 December - 3 January inclusive.

The year-end break is not spelled out in the application manual, but it is the
standard closure of Japanese public agencies (行政機関の休日に関する法律 art. 1),
and IPA does not process applications during it, so a deadline computed across
it must skip it.

This module is pure Python: no database, no Django settings.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta, timezone

import holidays

__all__ = [
    "JST",
    "add_business_days",
    "business_days_before",
    "business_days_between",
    "is_business_day",
    "next_business_day_on_or_after",
]

_ONE_DAY = timedelta(days=1)

# IPA's days and deadlines are Japan's (no summer time).
JST = timezone(timedelta(hours=9), "JST")


# At most 151 supported years (1949-2099), so the cache stays small.
@functools.lru_cache(maxsize=256)
def _jp_holidays(year: int) -> frozenset[date]:
    """The JP national holidays of ``year`` as an immutable set of dates.

    We cache a frozenset rather than the ``HolidayBase`` object itself: a
    ``HolidayBase`` silently adds further years to itself whenever it is asked
    about a date outside them (``expand=True``), so a cached instance would be
    shared mutable state.
    """
    # The package only knows Japanese holidays for 1949-2099; outside that
    # range it silently returns *no* holidays, which would make every weekday
    # look like a business day. Refuse instead of computing a wrong deadline.
    if not holidays.JP.start_year <= year <= holidays.JP.end_year:
        raise ValueError(
            f"IPA business days are only defined for {holidays.JP.start_year}-"
            f"{holidays.JP.end_year}; got year {year}."
        )
    jp = holidays.country_holidays("JP", years=year)
    return frozenset(d for d in jp if d.year == year)


def _check_date(d: date) -> None:
    # datetime is a subclass of date, but datetime(2025, 5, 5) != date(2025, 5, 5),
    # so a datetime would never match a holiday and the result would be wrong.
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"expected a datetime.date, got {type(d).__name__}")


def _is_year_end_break(d: date) -> bool:
    return (d.month == 12 and d.day >= 29) or (d.month == 1 and d.day <= 3)


def is_business_day(d: date) -> bool:
    """Whether ``d`` is an IPA business day.

    >>> is_business_day(date(2025, 5, 2))  # Friday between 昭和の日 and 憲法記念日
    True
    >>> is_business_day(date(2025, 5, 6))  # 振替休日 for みどりの日 (Sun 5/4)
    False
    """
    _check_date(d)
    if d.weekday() >= 5:  # Saturday, Sunday
        return False
    if _is_year_end_break(d):
        return False
    return d not in _jp_holidays(d.year)


def add_business_days(d: date, n: int) -> date:
    """Move ``n`` IPA business days from ``d``.

    * ``n > 0``: the n-th business day strictly after ``d``;
    * ``n < 0``: the |n|-th business day strictly before ``d``;
    * ``n == 0``: ``d`` unchanged, even if it is not a business day.

    ``d`` itself need not be a business day.

    >>> add_business_days(date(2024, 12, 27), 1)  # Fri before the year-end break
    datetime.date(2025, 1, 6)
    >>> add_business_days(date(2025, 5, 3), 1)  # Saturday in Golden Week
    datetime.date(2025, 5, 7)
    """
    _check_date(d)
    step = _ONE_DAY if n > 0 else -_ONE_DAY
    remaining = abs(n)
    while remaining:
        d += step
        if is_business_day(d):
            remaining -= 1
    return d


def business_days_before(d: date, n: int) -> date:
    """The date ``n`` IPA business days before ``d``: ``add_business_days(d, -n)``.

    Use it for rules like "submit at least 5 business days before the start
    date": the returned date is the last day on which submitting still
    satisfies the rule (``business_days_between(result, d) == n`` when ``d`` is
    a business day).

    Example, start date Monday 2025-05-12, n=5. Counting back over Golden
    Week 2025 (4/29 昭和の日, 5/3 憲法記念日 Sat, 5/4 みどりの日 Sun,
    5/5 こどもの日 Mon, 5/6 振替休日 Tue): 5/9 (1), 5/8 (2), 5/7 (3),
    5/2 (4), 5/1 (5) -> 2025-05-01 (Thu).

    >>> business_days_before(date(2025, 5, 12), 5)
    datetime.date(2025, 5, 1)
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}; use add_business_days() to move forward.")
    return add_business_days(d, -n)


def business_days_between(start: date, end: date) -> int:
    """Count the IPA business days ``x`` with ``start < x <= end``.

    If ``end < start`` the result is negative: minus the number of business
    days ``x`` with ``end < x <= start``. So "at least 5 business days before
    the start" is ``business_days_between(submitted_on, start_date) >= 5``, and
    submitting after the start date gives a negative count.

    >>> business_days_between(date(2025, 5, 1), date(2025, 5, 12))
    5
    """
    _check_date(start)
    _check_date(end)
    if end < start:
        return -business_days_between(end, start)
    count = 0
    d = start
    while d < end:
        d += _ONE_DAY
        if is_business_day(d):
            count += 1
    return count


def next_business_day_on_or_after(d: date) -> date:
    """``d`` if it is a business day, otherwise the first business day after it.

    >>> next_business_day_on_or_after(date(2024, 12, 28))
    datetime.date(2025, 1, 6)
    """
    _check_date(d)
    while not is_business_day(d):
        d += _ONE_DAY
    return d


def fiscal_year(day: datetime.date) -> int:
    """The Japanese fiscal year (April to March) of a date: 2027-03-31 is 2026."""
    return day.year if day.month >= 4 else day.year - 1
