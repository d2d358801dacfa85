"""Rule W6: IPA business-day calendar (portal.bizdays).

Every weekday below was checked against ``calendar.month(year, month)``.
"""

from datetime import date, datetime, timedelta

import pytest

from portal.bizdays import (
    add_business_days,
    business_days_before,
    business_days_between,
    is_business_day,
    next_business_day_on_or_after,
)

# --- weekends ---------------------------------------------------------------


def test_w6_weekends_are_not_business_days():
    assert date(2025, 5, 10).weekday() == 5  # Saturday
    assert not is_business_day(date(2025, 5, 10))
    assert not is_business_day(date(2025, 5, 11))  # Sunday
    assert is_business_day(date(2025, 5, 12))  # Monday, ordinary
    assert is_business_day(date(2025, 5, 9))  # Friday, ordinary


def test_w6_every_weekend_day_2024_2027_is_not_a_business_day():
    d = date(2024, 1, 1)
    while d <= date(2027, 12, 31):
        if d.weekday() >= 5:
            assert not is_business_day(d), d
        d += timedelta(days=1)


# --- Golden Week 2025 -------------------------------------------------------


def test_w6_golden_week_2025():
    assert not is_business_day(date(2025, 4, 29))  # Tue 昭和の日
    assert is_business_day(date(2025, 4, 30))  # Wed
    assert is_business_day(date(2025, 5, 1))  # Thu
    assert is_business_day(date(2025, 5, 2))  # Fri
    assert not is_business_day(date(2025, 5, 3))  # Sat 憲法記念日
    assert not is_business_day(date(2025, 5, 4))  # Sun みどりの日
    assert not is_business_day(date(2025, 5, 5))  # Mon こどもの日
    assert not is_business_day(date(2025, 5, 6))  # Tue 振替休日
    assert is_business_day(date(2025, 5, 7))  # Wed


def test_w6_five_business_days_before_start_over_golden_week_2025():
    # 2025-05-12 is a Monday; going back: 5/9, 5/8, 5/7, 5/2, 5/1.
    assert date(2025, 5, 12).weekday() == 0
    assert business_days_before(date(2025, 5, 12), 5) == date(2025, 5, 1)
    assert add_business_days(date(2025, 5, 12), -5) == date(2025, 5, 1)
    assert business_days_before(date(2025, 5, 12), 4) == date(2025, 5, 2)
    assert business_days_between(date(2025, 5, 1), date(2025, 5, 12)) == 5
    assert add_business_days(date(2025, 5, 2), 1) == date(2025, 5, 7)


def test_w6_business_days_before_rejects_negative_n():
    with pytest.raises(ValueError):
        business_days_before(date(2025, 5, 12), -1)


# --- 国民の休日 and 振替休日 ------------------------------------------------------


def test_w6_kokumin_no_kyujitsu_2026_09_22():
    # 9/21 Mon 敬老の日, 9/22 Tue 国民の休日, 9/23 Wed 秋分の日.
    assert date(2026, 9, 22).weekday() == 1
    assert not is_business_day(date(2026, 9, 21))
    assert not is_business_day(date(2026, 9, 22))
    assert not is_business_day(date(2026, 9, 23))
    assert add_business_days(date(2026, 9, 18), 1) == date(2026, 9, 24)  # Fri -> Thu
    assert add_business_days(date(2026, 9, 24), -1) == date(2026, 9, 18)


def test_w6_substitute_holiday_2024_02_12():
    # 建国記念の日 2024-02-11 is a Sunday, so Monday 2/12 is 振替休日.
    assert date(2024, 2, 11).weekday() == 6
    assert not is_business_day(date(2024, 2, 12))
    assert add_business_days(date(2024, 2, 9), 1) == date(2024, 2, 13)


def test_w6_substitute_holiday_2026_05_06():
    # 2026: 5/3 Sun 憲法記念日, 5/4 Mon, 5/5 Tue, 5/6 Wed 振替休日.
    assert date(2026, 5, 6).weekday() == 2
    assert not is_business_day(date(2026, 5, 6))
    assert add_business_days(date(2026, 5, 1), 1) == date(2026, 5, 7)  # Fri -> Thu


def test_w6_coming_of_age_day_2027_01_11():
    # Second Monday of January 2027 (1/4 is the first Monday).
    assert date(2027, 1, 11).weekday() == 0
    assert not is_business_day(date(2027, 1, 11))
    assert add_business_days(date(2027, 1, 8), 1) == date(2027, 1, 12)  # Fri -> Tue


# --- year-end break 12/29 - 1/3 ---------------------------------------------


@pytest.mark.parametrize("year", [2024, 2025, 2026, 2027])
def test_w6_year_end_break_never_business_days(year):
    for d in (
        date(year, 12, 29),
        date(year, 12, 30),
        date(year, 12, 31),
        date(year, 1, 1),
        date(year, 1, 2),
        date(year, 1, 3),
    ):
        assert not is_business_day(d), d


def test_w6_year_end_break_weekdays_excluded_even_without_holiday():
    # Weekdays in the break that are not national holidays.
    assert date(2025, 12, 29).weekday() == 0
    assert not is_business_day(date(2025, 12, 29))  # Mon
    assert not is_business_day(date(2025, 12, 30))  # Tue
    assert not is_business_day(date(2026, 1, 2))  # Fri
    # The days right around the break are ordinary business days.
    assert is_business_day(date(2025, 12, 26))  # Fri
    assert is_business_day(date(2026, 1, 5))  # Mon


def test_w6_add_one_business_day_across_year_end_2024():
    assert date(2024, 12, 27).weekday() == 4
    assert is_business_day(date(2024, 12, 27))
    assert add_business_days(date(2024, 12, 27), 1) == date(2025, 1, 6)


def test_w6_negative_n_across_year_end():
    assert add_business_days(date(2025, 1, 6), -1) == date(2024, 12, 27)
    # 2027-01-04 Mon -> back over 1/1-1/3 and 12/29-12/31 -> 2026-12-28 Mon.
    assert add_business_days(date(2027, 1, 4), -1) == date(2026, 12, 28)
    assert add_business_days(date(2026, 12, 28), 1) == date(2027, 1, 4)
    # 2028-01-04 Tue -> 2027-12-28 Tue.
    assert add_business_days(date(2028, 1, 4), -1) == date(2027, 12, 28)
    # Several steps: 2025-01-07 Tue -> 1/6, 12/27, 12/26.
    assert add_business_days(date(2025, 1, 7), -3) == date(2024, 12, 26)


def test_w6_n_zero_returns_date_unchanged():
    assert add_business_days(date(2025, 5, 12), 0) == date(2025, 5, 12)
    assert add_business_days(date(2025, 5, 5), 0) == date(2025, 5, 5)  # holiday
    assert add_business_days(date(2024, 12, 31), 0) == date(2024, 12, 31)
    assert business_days_before(date(2025, 5, 5), 0) == date(2025, 5, 5)


def test_w6_start_on_non_business_day():
    assert add_business_days(date(2025, 5, 3), 1) == date(2025, 5, 7)
    assert add_business_days(date(2025, 5, 6), -1) == date(2025, 5, 2)


# --- helpers ------------------------------------------------------------------


def test_w6_next_business_day_on_or_after():
    assert next_business_day_on_or_after(date(2025, 5, 7)) == date(2025, 5, 7)
    assert next_business_day_on_or_after(date(2025, 5, 3)) == date(2025, 5, 7)
    assert next_business_day_on_or_after(date(2024, 12, 28)) == date(2025, 1, 6)
    assert next_business_day_on_or_after(date(2026, 9, 19)) == date(2026, 9, 24)


def test_w6_business_days_between():
    d = date(2025, 5, 12)
    assert business_days_between(d, d) == 0
    assert business_days_between(date(2025, 5, 9), d) == 1  # Fri -> Mon
    assert business_days_between(date(2024, 12, 27), date(2025, 1, 6)) == 1
    # Reversed arguments give a negative count.
    assert business_days_between(d, date(2025, 5, 1)) == -5


def test_w6_business_days_in_2025():
    # 2025 starts on a Wednesday: 365 days = 52 weeks + Wed -> 261 weekdays.
    # Weekday national holidays: 1/1, 1/13, 2/11, 2/24, 3/20, 4/29, 5/5, 5/6,
    # 7/21, 8/11, 9/15, 9/23, 10/13, 11/3, 11/24 = 15.
    # Other weekdays in the year-end break: 1/2, 1/3, 12/29, 12/30, 12/31 = 5.
    assert business_days_between(date(2024, 12, 31), date(2025, 12, 31)) == 261 - 15 - 5


def test_w6_add_and_count_are_consistent():
    d = date(2024, 1, 4)  # Thu, first business day of 2024
    assert is_business_day(d)
    for n in range(1, 1000, 37):
        target = add_business_days(d, n)
        assert is_business_day(target)
        assert business_days_between(d, target) == n
        # From a business day, going forward n and back n is the identity.
        assert add_business_days(target, -n) == d


def test_w6_rejects_datetime_and_unsupported_years():
    # datetime(2025, 5, 5) != date(2025, 5, 5), so a datetime would dodge holidays.
    with pytest.raises(TypeError):
        is_business_day(datetime(2025, 5, 5, 9, 0))
    # The holidays package only knows JP holidays for 1949-2099.
    with pytest.raises(ValueError):
        is_business_day(date(2100, 1, 4))
