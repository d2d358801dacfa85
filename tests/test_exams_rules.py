"""E1 windows to the second, in Asia/Tokyo, and the loaded calendar."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from calendars.models import ExamSession
from calendars.rules import window_is_open

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


@pytest.mark.parametrize(
    ("exam", "start", "end"),
    [(datetime.date(2024, 6, 9), datetime.date(2024, 6, 28), datetime.date(2025, 6, 27)),
     (datetime.date(2024, 7, 28), datetime.date(2024, 8, 16), datetime.date(2025, 8, 15)),
     (datetime.date(2024, 12, 8), datetime.date(2024, 12, 27), datetime.date(2025, 12, 26)),
     (datetime.date(2025, 1, 26), datetime.date(2025, 2, 14), datetime.date(2026, 2, 13))],
)  # fmt: skip
def test_r10_exemption_validity_matches_table_4_7_2(exam, start, end):
    from calendars.rules import exemption_validity

    assert exemption_validity(exam) == (start, end)


def test_e1_typical_schedule_reproduces_the_june_2024_exam():
    from calendars.rules import typical_schedule

    s = typical_schedule(datetime.date(2024, 6, 9))
    assert s["application_opens_at"] == at(2024, 5, 8)
    assert s["application_closes_at"] == at(2024, 5, 15, 15, 0)
    assert s["problems_delivered_on"] == datetime.date(2024, 6, 5)
    assert s["report_opens_at"] == at(2024, 6, 10)
    assert s["report_closes_at"] == at(2024, 6, 14, 17, 0)


def test_r4_management_number_examples():
    from exams.rules import management_number, management_number_display

    number = management_number("99991", datetime.date(2015, 6, 14), 1)
    assert number == "99991FE150600001" and len(number) == 16
    assert management_number_display(number) == "99991-FE1506-00001"
    with pytest.raises(ValueError):
        management_number("99991", datetime.date(2015, 6, 14), 100000)


def test_e8_ipa_pass_score_is_60_percent_of_full_marks():
    from exams.rules import ipa_pass_score

    assert ipa_pass_score() == 36
    assert ipa_pass_score(100) == 60


@pytest.mark.django_db
def test_e1_admin_fills_empty_windows_with_the_typical_schedule(client):
    from tests.factories import AdminFactory

    client.force_login(AdminFactory())
    june = ExamSession.objects.get(exam_date=datetime.date(2025, 6, 8))
    assert june.application_closes_at is None
    client.post(
        "/admin/calendars/examsession/",
        {"action": "fill_typical_schedule", "_selected_action": [june.pk]},
    )
    june.refresh_from_db()
    assert june.application_closes_at == at(2025, 5, 14, 15, 0)
    assert june.report_closes_at == at(2025, 6, 13, 17, 0)
    assert june.exemption_valid_from == datetime.date(2025, 6, 27)


@pytest.mark.parametrize(
    ("exam", "field", "expected"),
    [  # the close of 2026-12-30 falls in the year-end break: Monday 12-28
     (datetime.date(2027, 1, 24), "application_closes_at", at(2026, 12, 28, 15, 0)),
     # 2029-01-03 is in the break, 2028-12-29..31 too: Thursday 12-28
     (datetime.date(2029, 1, 28), "application_closes_at", at(2028, 12, 28, 15, 0)),
     # a Friday report close on 春分の日 2026-03-20 moves to Thursday
     (datetime.date(2026, 3, 15), "report_closes_at", at(2026, 3, 19, 17, 0)),
     # 2028-12-29 in the break: Thursday 12-28
     (datetime.date(2028, 12, 24), "report_closes_at", at(2028, 12, 28, 17, 0))],
)  # fmt: skip
def test_e1_typical_schedule_never_closes_on_a_holiday_or_in_the_year_end_break(
    exam, field, expected
):
    from calendars.rules import typical_schedule
    from portal.bizdays import is_business_day

    schedule = typical_schedule(exam)
    assert schedule[field] == expected
    for name in ("application_closes_at", "report_closes_at"):
        assert is_business_day(schedule[name].date()), name
    assert schedule["application_opens_at"] < schedule["application_closes_at"]


@pytest.mark.parametrize(
    ("exam", "opens", "closes"),
    [(datetime.date(2029, 1, 28), datetime.date(2028, 12, 21), datetime.date(2028, 12, 28)),
     (datetime.date(2027, 1, 24), datetime.date(2026, 12, 21), datetime.date(2026, 12, 28)),
     (datetime.date(2024, 6, 9), datetime.date(2024, 5, 8), datetime.date(2024, 5, 15))],
)  # fmt: skip
def test_e1_typical_application_window_keeps_its_week_before_the_year_end_break(
    exam, opens, closes
):
    """Moving the close before 12/29–1/3 must not shrink the window to a day or
    two: providers still get a week to apply (table 4.5-4, January 2025)."""
    from calendars.rules import typical_schedule
    from portal.bizdays import is_business_day

    schedule = typical_schedule(exam)
    assert schedule["application_opens_at"] == at(opens.year, opens.month, opens.day, 0, 0)
    assert schedule["application_closes_at"] == at(closes.year, closes.month, closes.day, 15, 0)
    assert is_business_day(opens)


@pytest.mark.django_db
def test_e1_admin_says_to_check_the_filled_dates_against_ipas_published_ones(client):
    from tests.factories import AdminFactory

    client.force_login(AdminFactory())
    page = client.get("/admin/calendars/examsession/").content.decode()
    assert "必ずIPAが公表した日程と照合し" in page
    session = ExamSession.objects.create(
        exam_date=datetime.date(2027, 1, 24), fiscal_year=2026, season="winter"
    )
    response = client.post(
        "/admin/calendars/examsession/",
        {"action": "fill_typical_schedule", "_selected_action": [session.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "2027年1月24日（日）の修了試験" in page
    assert "必ずIPAが公表した日程と照合し" in page
    session.refresh_from_db()
    assert session.application_closes_at == at(2026, 12, 28, 15, 0)


def test_e1_countdown_before_a_window_opens_counts_to_the_opening():
    """Before the report window opens, the page must not say how long is left
    until it closes (which reads as if one could report now)."""
    from exams.rules import countdown_text

    opens, closes = at(2026, 12, 14, 0, 0), at(2026, 12, 18, 17, 0)
    assert countdown_text(closes, at(2026, 12, 12, 12, 0), opens) == "受付開始まであと1日12時間"
    assert countdown_text(closes, at(2026, 12, 18, 16, 0), opens) == "あと1時間0分"
    assert countdown_text(closes, at(2026, 12, 18, 17, 0), opens) == "締切済み"
