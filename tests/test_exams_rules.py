"""E1 windows to the second, in Asia/Tokyo, and the loaded calendar."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from exams.models import ExamSession
from exams.rules import window_is_open

JST = ZoneInfo("Asia/Tokyo")


def at(*args):
    return datetime.datetime(*args, tzinfo=JST)


def test_e1_application_window_closes_at_15_00_00_sharp():
    opens, closes = at(2024, 5, 8, 0, 0), at(2024, 5, 15, 15, 0)
    assert not window_is_open(opens, closes, at(2024, 5, 7, 23, 59, 59))
    assert window_is_open(opens, closes, at(2024, 5, 8, 0, 0, 0))
    assert window_is_open(opens, closes, at(2024, 5, 15, 14, 59, 59))
    assert not window_is_open(opens, closes, at(2024, 5, 15, 15, 0, 0))
    # The same instant expressed in UTC is judged the same way.
    utc = at(2024, 5, 15, 14, 59, 59).astimezone(datetime.UTC)
    assert window_is_open(opens, closes, utc)


def test_e1_report_window_closes_at_17_00_00_sharp():
    opens, closes = at(2024, 6, 10), at(2024, 6, 14, 17, 0)
    assert window_is_open(opens, closes, at(2024, 6, 14, 16, 59, 59))
    assert not window_is_open(opens, closes, at(2024, 6, 14, 17, 0, 0))
    assert not window_is_open(None, None, at(2024, 6, 14, 12))


@pytest.mark.django_db
def test_e1_r10_fiscal_2024_calendar_is_loaded_from_the_manual():
    june = ExamSession.objects.get(exam_date=datetime.date(2024, 6, 9))
    assert june.application_closes_at == at(2024, 5, 15, 15, 0)
    assert june.report_closes_at == at(2024, 6, 14, 17, 0)
    assert june.problems_delivered_on == datetime.date(2024, 6, 5)
    assert (june.exemption_valid_from, june.exemption_valid_to) == (
        datetime.date(2024, 6, 28),
        datetime.date(2025, 6, 27),
    )
    january = ExamSession.objects.get(exam_date=datetime.date(2025, 1, 26))
    assert january.fiscal_year == 2024
    assert january.application_opens_at == at(2024, 12, 17)
    fy2025 = ExamSession.objects.filter(fiscal_year=2025).values_list("exam_date", flat=True)
    assert list(fy2025) == [
        datetime.date(2025, 6, 8),
        datetime.date(2025, 7, 27),
        datetime.date(2025, 12, 14),
        datetime.date(2026, 1, 25),
    ]
