"""E1: the demo (`manage.py load_demo`) gives journeys that can be walked on the
day it is loaded, whatever that day is, and the calendar says plainly when no
future exam is published."""

import datetime
import io
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from calendars import rules as calendar_rules
from calendars.models import ExamSession
from certifications import services as completer_services
from certifications.models import Completer
from courses import services as course_services
from courses.demo import _delivery, _fill
from courses.models import DeliveryCourse, ExemptionCourse
from courses.rules import CourseType, certification_end_date, earliest_certification_date
from exams import services
from exams.demo import ROLES
from exams.models import ExamApplication, ResultReport
from providers.models import Provider

pytestmark = pytest.mark.django_db
DAYS = ["2026-12-01", "2027-03-15", "2027-06-20", "2028-01-10"]
JST = ZoneInfo("Asia/Tokyo")


def at(day, hour=10):
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=JST)


def clock(moment):
    """timezone.now() and timezone.localdate() answer ``moment``."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


def _on(day):
    return clock(at(day, 12))


def _load(day: str) -> None:
    call_command("load_demo", today=day, allow_without_debug=True, stdout=io.StringIO())


def _people():
    User = get_user_model()
    return (
        Provider.objects.get(number="99991"),
        User.objects.get(email="hanako@ipa-daigaku.example.jp"),
        User.objects.get(email="reviewer@ipa.example.jp"),
    )


def _moments(today):
    """The whole day: from midnight to one second before the next."""
    start = at(today, 0)
    return [start, at(today, 12), start + datetime.timedelta(days=1, seconds=-1)]


def _open_application_session(provider, today):
    for session in ExamSession.objects.filter(published=True):
        if (
            all(
                calendar_rules.window_is_open(
                    session.application_opens_at, session.application_closes_at, m
                )
                for m in _moments(today)
            )
            and services.eligible_delivery_courses(provider, session).exists()
        ):
            return session
    return None


def _paid_application_in_open_report_window(provider, today):
    for application in ExamApplication.objects.filter(
        site__provider=provider, state="submitted",
        fee_line__payment_request__confirmed_on__isnull=False,
    ).select_related("session"):  # fmt: skip
        session = application.session
        if (
            all(
                calendar_rules.window_is_open(session.report_opens_at, session.report_closes_at, m)
                for m in _moments(today)
            )
            and not ResultReport.objects.filter(application=application).exists()
        ):
            return application
    return None


def _walk_journeys(today):
    """An exam application, a result report and a new course, on ``today``,
    with no edits of the demo data in between."""
    provider, staff, reviewer = _people()
    now = at(today, 12)
    certified = ExemptionCourse.objects.filter(
        provider=provider, state="certified", certified_on__lte=today, valid_until__gte=today
    )
    assert certified.exists(), "no certified course valid today"

    session = _open_application_session(provider, today)
    assert session is not None, "no exam whose application window is open today"
    delivery = services.eligible_delivery_courses(provider, session).first()
    with clock(now):
        site = services.save_site(provider, staff, session.pk, ROLES, now=now)
        services.save_application(site.pk, staff, delivery.pk, 12, now=now)
        applied = services.submit_applications(site.pk, staff, now=now)
    assert [a.state for a in applied] == ["submitted"]

    application = _paid_application_in_open_report_window(provider, today)
    assert application is not None, "no paid application whose report window is open today"
    with clock(now):
        report = services.open_report(application.pk, staff)
        certified_on = min(today, application.session.exam_date + datetime.timedelta(days=1))
        services.update_report(report.pk, staff, {"examinees": 10, "certified_on": certified_on})
        completer_services.add_completer(report.pk, staff, {
            "family_name": "情報", "given_name": "一郎", "family_kana": "ジョウホウ",
            "given_kana": "イチロウ", "birth_date": datetime.date(1998, 10, 6), "score": 50,
        })  # fmt: skip
        services.update_report(report.pk, staff, {"consent_confirmed": True})
        report = services.submit_report(report.pk, staff, now=now)
    assert report.state == "submitted"

    desired = earliest_certification_date(today)
    valid_to = certification_end_date(desired)
    exam = (
        ExamSession.objects.filter(
            published=True,
            exam_date__gt=desired + datetime.timedelta(days=60),
            exam_date__lte=valid_to,
        )
        .order_by("exam_date")
        .first()
    )
    assert exam is not None, "no published exam a new course can name"
    with _on(today):
        course = course_services.create_course(provider, staff, {
            "course_type": CourseType.NONE_IPA, "name": "2030-2031年度講座Z", "desired_month": desired,
            "attendance_ratio": "70%", "total_hours": Decimal("100.0"),
        })  # fmt: skip
        _fill(course, staff, every_item=True, hours=Decimal("100.0"))
        _delivery(course, staff, "新しい実施講座", desired, exam.exam_date - datetime.timedelta(days=1),
                  [("upper", 1, "ipa", exam.exam_date)])  # fmt: skip
        course.refresh_from_db()
        assert course_services.submission_problems(course, today) == []
        course = course_services.submit_course(course.pk, staff)
    assert course.state == "submitted"

    # R11: the accepted report's completer is corrected by an urgent change request.
    from providers import changes

    accepted = ResultReport.objects.filter(
        delivery_course__course__provider=provider, state="accepted"
    ).first()
    assert accepted is not None, "no accepted result report to correct"
    completer = accepted.completers.order_by("serial").first()
    with clock(now):
        change = completer_services.save_completer_correction(
            accepted.pk, staff, {completer.pk: {"given_kana": "イチロー"}}
        )
        change = changes.submit_change(change.pk, staff)
        changes.approve_change(change.pk, reviewer)
    completer.refresh_from_db()
    assert change.urgent and completer.given_kana == "イチロー"

    # Issue 9: IPA's queue holds a filed change request; it can be approved today.
    waiting = changes.review_queue().filter(provider=provider, kind="provider_info").first()
    assert waiting is not None, "no change request waiting for IPA"
    with clock(now):
        changes.approve_change(waiting.pk, reviewer)
    provider.refresh_from_db()
    assert provider.representative_name == "情報\u3000一郎"

    # W5: a question waits for IPA's answer in the inbox.
    from providers import questions

    waiting_question = questions.waiting_questions().filter(provider=provider).first()
    assert waiting_question is not None, "no question waiting for IPA"
    with clock(now):
        questions.answer_question(waiting_question.pk, reviewer, "はい、追加できます。")

    # D8: an approved delivery course nobody applied for can be deleted by request.
    deletable = [
        d
        for d in DeliveryCourse.objects.filter(course__provider=provider, state="approved")
        if not changes.get_kind("delivery_deletion").requestable(d)
    ]
    assert deletable, "no approved delivery course nobody applied for"
    with clock(now):
        draft = changes.save_draft("delivery_deletion", deletable[0], staff, {"deletion": True})
        changes.submit_change(draft.pk, staff)
        changes.approve_change(draft.pk, reviewer)
    deletable[0].refresh_from_db()
    assert deletable[0].state == "deleted"

    # P9/C11: the public registry shows a revoked course with its date.
    from django.test import Client

    with clock(now):
        page = Client().get(reverse("registry")).content.decode()
    rows = [row for row in page.split("<tr") if "デモ情報学院" in row]
    assert rows and all("認定取消し" in row and "取消日" in row for row in rows)


@pytest.mark.parametrize("day", DAYS)
def test_e1_demo_is_evergreen_on_any_date(day):
    _load(day)
    _walk_journeys(datetime.date.fromisoformat(day))


def _state():
    return [
        ExamSession.objects.count(),
        ExemptionCourse.objects.count(),
        DeliveryCourse.objects.count(),
        ExamApplication.objects.count(),
        ResultReport.objects.count(),
        Completer.objects.count(),
    ]


def test_e1_demo_is_idempotent_and_loads_again_on_later_dates():
    _load(DAYS[0])
    first = _state()
    _load(DAYS[0])
    assert _state() == first
    for day in DAYS[1:]:
        _load(day)
        today = datetime.date.fromisoformat(day)
        provider, _, _ = _people()
        assert _open_application_session(provider, today) is not None, day
        assert _paid_application_in_open_report_window(provider, today) is not None, day
        again = _state()
        _load(day)
        assert _state() == again, day
    # IPA's published dates are left as they were.
    assert ExamSession.objects.get(exam_date=datetime.date(2025, 6, 8)).application_opens_at is None


def test_e1_demo_sessions_are_labelled_on_the_calendar(client):
    _load(DAYS[0])
    _, staff, _ = _people()
    client.force_login(staff)
    page = client.get(reverse("exam_calendar")).content.decode()
    assert page.count(">デモ用</span>") >= 4
    assert "IPAが公開した日程ではありません" in page
    assert "今後の修了試験日はまだ公開されていません" not in page
    # IPA's own dates carry no label.
    ipa = ExamSession.objects.get(exam_date=datetime.date(2025, 1, 26))
    assert ipa.note == "" and not ipa.is_demo
    assert "備考：デモ用（標準的な日程から計算）" in page
    # The label is the session's 備考 (note), not a history change reason.
    demo = ExamSession.objects.filter(note__startswith="デモ用").first()
    assert demo.is_demo and not demo.history.filter(history_change_reason__isnull=False).exists()
    page = client.get(reverse("exam_session", args=[demo.pk])).content.decode()
    assert "デモデータの読み込み時に作成した日程" in page and f"備考：{demo.note}" in page


def test_e1_demo_session_note_is_shown_to_ipa(client):
    _load(DAYS[0])
    _, _, reviewer = _people()
    demo = ExamSession.objects.filter(note__startswith="デモ用").first()
    client.force_login(reviewer)
    page = client.get(reverse("review_exams")).content.decode()
    assert f"備考：{demo.note}" in page and ">デモ用</span>" in page
    page = client.get(reverse("review_exam_session", args=[demo.pk])).content.decode()
    assert "IPAが公開した日程ではありません" in page and f"備考：{demo.note}" in page


def test_e1_calendar_says_when_no_future_exam_is_published(client, staff_a):
    from django.utils import timezone

    today = timezone.localdate()
    ExamSession.objects.filter(exam_date__gte=today).delete()
    client.force_login(staff_a)
    page = client.get(reverse("exam_calendar")).content.decode()
    assert "今後の修了試験日はまだ公開されていません。" in page
    assert "IPAが公開すると、ここに表示されます。" in page
    ExamSession.objects.create(
        exam_date=today + datetime.timedelta(days=40), fiscal_year=today.year, season="winter"
    )
    page = client.get(reverse("exam_calendar")).content.decode()
    assert "今後の修了試験日はまだ公開されていません" not in page


def test_e1_typical_exam_dates_are_the_2nd_and_4th_sundays():
    # The dates IPA published for fiscal 2024 and 2025 (tables 4.5-3/4.5-4).
    published = sorted(
        ExamSession.objects.filter(
            exam_date__range=(datetime.date(2024, 4, 1), datetime.date(2026, 3, 31))
        ).values_list("exam_date", flat=True)
    )
    assert (
        calendar_rules.typical_exam_dates(datetime.date(2024, 4, 1), datetime.date(2026, 3, 31))
        == published
    )
    assert calendar_rules.typical_exam_dates(
        datetime.date(2027, 6, 13), datetime.date(2027, 7, 31)
    ) == [datetime.date(2027, 7, 25)]
