"""Reminders (portal.reminders, the daily beat task portal.send_reminders):
each kind fires on its day and not before, a re-run the same day (or the
next) sends nothing twice, a user can turn reminders off but never the
notices of decisions and returns (I1, E2, R1, C13, D7, W1)."""

import datetime
from collections import Counter
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from calendars.models import ExamSession
from courses import reminders as course_reminders
from courses import services as course_services
from courses.models import DeliveryCourse
from exams import services as exam_services
from portal import bizdays, reminders, workflow
from portal.models import AuditEntry, Notice, ReminderSent

from .conftest import client_for
from .course_factories import certified_course
from .report_factories import reported

pytestmark = pytest.mark.django_db
JST = ZoneInfo("Asia/Tokyo")
D = datetime.date
DEC = D(2024, 12, 8)  # apply 11-06 .. 11-13 15:00; report 12-09 .. 12-13 17:00
IN_APPLY = datetime.datetime(2024, 11, 10, 10, 0, tzinfo=JST)
CONTACT = "hanako@ipa-daigaku.example.jp"  # provider_a's registered contact address
SITE = {
    "exam_site": "東京都文京区本駒込2-28-8 IPA大学 本館", "manager": "情報 太郎 教務部",
    "manager_deputy": "情報 花子", "electronic_keeper": "情報 花子 教務部", "printer": "情報 花子 教務部",
    "printed_keeper": "情報 花子 教務部", "storage_method": "金庫、鍵は情報 太郎", "exam_executive": "情報 太郎",
    "grading_lead": "情報 太郎", "graders": 2, "grading_passes": 2,
}  # fmt: skip


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run the beat task for ``day`` (through Celery, eagerly) and return the
    e-mails it sent."""

    from portal.tasks import send_reminders

    def run(day: datetime.date):
        before = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            send_reminders.delay(day.isoformat())
        return mail.outbox[before:]

    return run


@pytest.fixture
def course(provider_a, staff_a, reviewer):
    """Certified 2024-10-01 (ends 2026-09-30); its approved delivery course
    sits the exams of 2024-12-08 and 2025-01-26."""
    return certified_course(provider_a, staff_a, reviewer)


def subjects(sent, word):
    return [m for m in sent if word in m.subject]


def apply_for_december(provider, staff, course):
    session = ExamSession.objects.get(exam_date=DEC)
    site = exam_services.save_site(provider, staff, session.pk, SITE, now=IN_APPLY)
    delivery = course.delivery_courses.get(exams__session=session)
    exam_services.save_application(site.pk, staff, delivery.pk, 10, now=IN_APPLY)
    return exam_services.submit_applications(site.pk, staff, now=IN_APPLY)[0]


# The framework --------------------------------------------------------------


def test_i1_every_kind_is_registered_and_the_task_is_on_the_daily_beat():
    names = {kind.name for kind in reminders.kinds()}
    assert names == {
        "exam_application_closing", "exam_report_window", "certification_ending",
        "returned_untouched", "ipa_overdue",
    }  # fmt: skip
    beat = [
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "portal.send_reminders"
    ]
    assert len(beat) == 1
    assert settings.CELERY_TIMEZONE == "Asia/Tokyo"


# E2: the application window closes in 2 days -------------------------------


def test_e2_application_closing_reminder_two_days_before_the_close_once(course, run):
    assert not subjects(run(D(2024, 11, 10)), "申込み締切")  # 3 days before: not yet
    sent = subjects(run(D(2024, 11, 11)), "申込み締切")  # closes 11-13 15:00
    assert [m.to for m in sent] == [[CONTACT]]
    body = sent[0].body
    assert "2024年11月13日 15:00" in body
    assert course.delivery_courses.get().number in body
    assert f"{settings.SITE_URL}/exams/" in body
    assert "{{" not in body and "exam_application" not in body
    assert not run(D(2024, 11, 11))  # the same day again: nothing
    assert not subjects(run(D(2024, 11, 12)), "申込み締切")  # already reminded
    assert not subjects(run(D(2024, 11, 14)), "申込み締切")  # closed


def test_e2_a_day_the_task_missed_is_made_up_until_the_closing_day(course, run):
    sent = subjects(run(D(2024, 11, 13)), "申込み締切")  # first run on the closing day
    assert [m.to for m in sent] == [[CONTACT]]


def test_e2_no_application_reminder_once_the_course_applied(provider_a, staff_a, course, run):
    apply_for_december(provider_a, staff_a, course)
    assert not subjects(run(D(2024, 11, 11)), "申込み締切")


def test_e2_no_application_reminder_for_a_cancelled_exam(course, run):
    ExamSession.objects.filter(exam_date=DEC).update(cancelled_on=D(2024, 11, 1))
    assert not subjects(run(D(2024, 11, 11)), "申込み締切")


# R1: the report window opens, and closes tomorrow --------------------------


def test_r1_report_window_open_and_closing_tomorrow_once_each(provider_a, staff_a, course, run):
    apply_for_december(provider_a, staff_a, course)
    assert not subjects(run(D(2024, 12, 8)), "結果の報告")  # the exam day: not yet
    opened = subjects(run(D(2024, 12, 9)), "報告期間が始まりました")
    assert [m.to for m in opened] == [[CONTACT]]
    assert "2024年12月13日 17:00" in opened[0].body
    assert not run(D(2024, 12, 9))
    assert not subjects(run(D(2024, 12, 10)), "報告期間")
    assert not subjects(run(D(2024, 12, 11)), "報告期間")
    closing = subjects(run(D(2024, 12, 12)), "報告期間は明日まで")
    assert [m.to for m in closing] == [[CONTACT]]
    assert not subjects(run(D(2024, 12, 13)), "報告期間")
    assert not subjects(run(D(2024, 12, 14)), "報告期間")


def test_r1_no_report_reminder_once_the_report_is_filed(provider_a, staff_a, reviewer, run):
    reported(provider_a, staff_a, reviewer)  # filed 12-10
    assert not subjects(run(D(2024, 12, 12)), "報告期間")


def test_r1_a_draft_report_is_not_filed_and_is_reminded(provider_a, staff_a, course, run):
    application = apply_for_december(provider_a, staff_a, course)
    exam_services.open_report(
        application.pk, staff_a, now=datetime.datetime(2024, 12, 9, 9, 0, tzinfo=JST)
    )
    assert subjects(run(D(2024, 12, 12)), "報告期間は明日まで")


# C13: the certification ends in 60 days ------------------------------------


def test_c13_certification_ending_60_days_before_once(course, run):
    course.refresh_from_db()
    assert course.valid_until == D(2026, 9, 30)
    assert not subjects(run(D(2026, 7, 31)), "認定終了日")  # 61 days before
    sent = subjects(run(D(2026, 8, 1)), "認定終了日")
    assert [m.to for m in sent] == [[CONTACT]]
    assert "2026年9月30日" in sent[0].body and "延長できません" in sent[0].body
    assert not subjects(run(D(2026, 8, 1)), "認定終了日")
    assert not subjects(run(D(2026, 8, 2)), "認定終了日")
    assert not subjects(run(D(2026, 10, 1)), "認定終了日")


# W1: a returned filing untouched for 7 days --------------------------------

DELIVERY = {
    "name": "2025年度実施講座5月コースB", "prefecture": "東京都", "address": "文京区本駒込2-28-8",
    "expected_learners": 10, "start_date": D(2025, 5, 12), "end_date": D(2025, 6, 7),
    "instructors": "講師名：情報 太郎", "committee_declaration": True,
}  # fmt: skip


def added_delivery(course, staff, reviewer=None, *, returned=False):
    """A delivery course added to the certified course (D7), filed on
    2025-05-01 (5 business days before its start) and, with ``returned``,
    returned by IPA."""
    june, july = (ExamSession.objects.get(exam_date=d) for d in (D(2025, 6, 8), D(2025, 7, 27)))
    slots = [{"row": "upper", "slot": 1, "kind": "ipa", "session": june},
             {"row": "upper", "slot": 2, "kind": "ipa", "session": july}]  # fmt: skip
    delivery = course_services.save_delivery_course(course.pk, staff, DELIVERY, slots)
    with mock.patch("django.utils.timezone.localdate", return_value=D(2025, 5, 1)):
        course_services.submit_delivery_course(delivery.pk, staff)
        if returned:
            course_services.review_delivery_course(
                delivery.pk, reviewer, approve=False, reason="会場の階数を入力してください。"
            )
    return DeliveryCourse.objects.get(pk=delivery.pk)


def age(obj, days):
    """Put the object's history and audit trail ``days`` back (as if it had
    been returned that long ago)."""
    delta = datetime.timedelta(days=days)
    for row in type(obj).history.filter(id=obj.pk):
        type(obj).history.filter(pk=row.pk).update(history_date=row.history_date - delta)
    for entry in AuditEntry.objects.filter(
        object_id=str(obj.pk), content_type__model=obj._meta.model_name
    ):
        AuditEntry.objects.filter(pk=entry.pk).update(at=entry.at - delta)


def test_w1_returned_filing_untouched_for_7_days_once(course, staff_a, reviewer, run):
    delivery = added_delivery(course, staff_a, reviewer, returned=True)
    today = timezone.localdate()
    assert not subjects(run(today + datetime.timedelta(days=6)), "修正されていません")
    sent = subjects(run(today + datetime.timedelta(days=7)), "修正されていません")
    # the recipients of the return notice: the contact address and the submitter
    assert sorted(m.to[0] for m in sent) == sorted([CONTACT, staff_a.email])
    assert delivery.number in sent[0].subject
    assert f"/courses/{course.pk}/" in sent[0].body
    assert Notice.objects.filter(recipient=staff_a, subject=sent[0].subject).count() == 1
    assert not subjects(run(today + datetime.timedelta(days=7)), "修正されていません")
    assert not subjects(run(today + datetime.timedelta(days=8)), "修正されていません")


def test_w1_a_touched_returned_filing_waits_7_days_from_the_change(course, staff_a, reviewer, run):
    delivery = added_delivery(course, staff_a, reviewer, returned=True)
    age(delivery, 10)
    june, july = (ExamSession.objects.get(exam_date=d) for d in (D(2025, 6, 8), D(2025, 7, 27)))
    slots = [{"row": "upper", "slot": 1, "kind": "ipa", "session": june},
             {"row": "upper", "slot": 2, "kind": "ipa", "session": july}]  # fmt: skip
    course_services.save_delivery_course(
        course.pk, staff_a, {**DELIVERY, "building": "IPAビル8階"}, slots, delivery_pk=delivery.pk
    )
    today = timezone.localdate()
    assert not subjects(run(today), "修正されていません")
    assert subjects(run(today + datetime.timedelta(days=7)), "修正されていません")


def test_w1_a_filing_returned_long_ago_is_reminded_once_on_the_first_run(
    course, staff_a, reviewer, run
):
    delivery = added_delivery(course, staff_a, reviewer, returned=True)
    age(delivery, 30)
    today = timezone.localdate()
    assert len(subjects(run(today), "修正されていません")) == 2
    assert not subjects(run(today + datetime.timedelta(days=1)), "修正されていません")


def test_w1_a_submitted_filing_is_not_a_returned_one(course, staff_a, run):
    delivery = added_delivery(course, staff_a)
    age(delivery, 30)
    assert not subjects(run(timezone.localdate()), "修正されていません")


# D7: items overdue at IPA --------------------------------------------------


def test_d7_delivery_course_waiting_more_than_5_business_days_reminds_ipa_once(
    course, staff_a, run
):
    delivery = added_delivery(course, staff_a)
    # D7: 5 IPA business days after the filing (its real clock)
    filed_on = timezone.localdate(delivery.submitted_at)
    due = course_reminders.delivery_answer_due(delivery)
    assert due == bizdays.add_business_days(filed_on, 5)
    assert not subjects(run(due), "処理期限")
    sent = subjects(run(due + datetime.timedelta(days=1)), "処理期限")
    assert [m.to for m in sent] == [[settings.IPA_NOTICE_EMAIL]]
    assert delivery.number in sent[0].subject
    assert "/review/courses/" in sent[0].body
    assert not subjects(run(due + datetime.timedelta(days=1)), "処理期限")
    assert not subjects(run(due + datetime.timedelta(days=2)), "処理期限")


def test_d7_an_overdue_source_with_an_assignee_reminds_the_assignee_and_ipa(
    provider_a, reviewer, run
):
    """How the IPA inbox plugs its due dates in: a source of Overdue items."""
    item = reminders.Overdue(
        key=reminders.object_key(provider_a), title="登録申請 Ａ学園", due_on=D(2025, 5, 12),
        link=reverse("review_provider", args=[provider_a.pk]), assignee=reviewer, provider=provider_a,
    )  # fmt: skip
    reminders.register_overdue_source("test.inbox", lambda today: [item])
    try:
        assert not subjects(run(D(2025, 5, 12)), "処理期限")
        sent = subjects(run(D(2025, 5, 13)), "処理期限")
        assert sorted(m.to[0] for m in sent) == sorted([settings.IPA_NOTICE_EMAIL, reviewer.email])
        assert Notice.objects.filter(recipient=reviewer).count() == 1
        assert not subjects(run(D(2025, 5, 13)), "処理期限")
    finally:
        reminders._OVERDUE_SOURCES.pop("test.inbox")


# Each reminder once per recipient and occasion ------------------------------


def test_i1_every_reminder_twice_on_the_same_day_one_mail_per_recipient_and_occasion(
    provider_a, staff_a, reviewer, course, run
):
    application_day = D(2024, 11, 11)
    delivery = added_delivery(course, staff_a, reviewer, returned=True)
    age(delivery, 8)
    waiting = added_delivery(course, staff_a)
    days = {
        "exam_application_closing": application_day,
        "exam_report_window": D(2024, 12, 9),
        "certification_ending": D(2026, 8, 1),
        "returned_untouched": timezone.localdate(),
        "ipa_overdue": course_reminders.delivery_answer_due(waiting) + datetime.timedelta(days=1),
    }
    sent_by_kind = {}
    for name, day in days.items():
        if name == "exam_report_window":
            apply_for_december(provider_a, staff_a, course)
        first, second = run(day), run(day)
        assert first, name
        assert not second, name
        per_recipient = Counter((m.to[0], m.subject) for m in first)
        assert set(per_recipient.values()) == {1}, name
        sent_by_kind[name] = first
    assert set(ReminderSent.objects.values_list("kind", flat=True)) == set(days)
    assert ReminderSent.objects.count() == sum(len(s) for s in sent_by_kind.values())


# Turning reminders off ------------------------------------------------------


def test_i1_a_user_who_turned_reminders_off_gets_none_but_still_the_return_notice(
    provider_a, staff_a, reviewer, course, run, client, django_capture_on_commit_callbacks
):
    response = client_for(client, staff_a).get(reverse("reminder_settings"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "差し戻し" in page and "設定にかかわらず" in page
    assert "修了試験の申込み締切の2日前" in page
    response = client.post(reverse("reminder_settings"), {})
    assert response.status_code == 302
    staff_a.refresh_from_db()
    assert staff_a.reminders_enabled is False
    assert AuditEntry.objects.filter(
        action="user.reminders_off", object_id=str(staff_a.pk)
    ).exists()

    assert not run(D(2024, 11, 11))  # the contact's address is the contact's
    assert not ReminderSent.objects.exists()
    # A return is a legal notice: sent whatever the switch says.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        added_delivery(course, staff_a, reviewer, returned=True)
    assert any("差し戻し" in m.subject for m in mail.outbox)

    client.post(reverse("reminder_settings"), {"reminders_enabled": "on"})
    staff_a.refresh_from_db()
    assert staff_a.reminders_enabled is True
    assert subjects(run(D(2024, 11, 12)), "申込み締切")  # still due: sent now


def test_i1_the_header_links_to_the_reminder_settings(staff_a, client):
    page = client_for(client, staff_a).get(reverse("notice_list")).content.decode()
    assert reverse("reminder_settings") in page


def test_i1_reminder_mails_carry_no_raw_codes(provider_a, staff_a, reviewer, course, run):
    delivery = added_delivery(course, staff_a, reviewer, returned=True)
    age(delivery, 8)
    sent = run(D(2024, 11, 11)) + run(timezone.localdate())
    assert sent
    for message in sent:
        text = message.subject + message.body
        for raw in ("returned", "submitted", "approved", "None", "{{", "{%", "_untouched"):
            assert raw not in text, (raw, message.subject)
        assert "/settings/reminders/" in message.body


def test_w1_a_course_returned_with_its_delivery_courses_is_reminded_once(
    provider_a, staff_a, reviewer, run
):
    """The delivery courses returned with their course (a cascade) are covered
    by the course's reminder."""
    from .course_factories import FILED_ON, complete_course

    course = complete_course(provider_a, staff_a)
    with mock.patch("django.utils.timezone.localdate", return_value=FILED_ON):
        course_services.submit_course(course.pk, staff_a)
    course_services.return_course(course.pk, reviewer, "教材の版数を確認してください。")
    delivery = course.delivery_courses.get()
    assert workflow.state_of(delivery).returned  # returned with the course
    for obj in (course, delivery):
        age(obj, 7)
    sent = subjects(run(timezone.localdate()), "修正されていません")
    assert sent and all(course.number in m.subject for m in sent)
    assert not [m for m in sent if delivery.number in m.subject]
    assert len({m.to[0] for m in sent}) == len(sent)
