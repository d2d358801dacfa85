"""Issue 7: a slipped certification date moves the delivery-course checks (C8,
D2, D4) and is re-checked at approval and certification; PRIVATE_IPA courses use
IPA-supplied problems only (C1/D5); busy start months of delivery courses warn
(D7); an unapproved course is deleted without a request and its unpaid review
fee is cancelled (M§5.3, C9)."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from calendars.models import ExamSession
from courses import rules, services
from courses.models import DeliveryCourse, ExemptionCourse
from courses.rules import CourseType
from fees import services as fee_services
from fees.models import FeeLine
from portal.models import AuditEntry

from .conftest import client_for
from .course_factories import complete_course

pytestmark = pytest.mark.django_db
D = datetime.date

today = {"value": D(2025, 8, 10)}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    today["value"] = D(2025, 8, 10)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: today["value"])


def _on(date):
    today["value"] = date


DELIVERY = {"name": "2025年度実施講座10月コースA", "prefecture": "東京都", "address": "文京区本駒込2-28-8",
            "building": "IPAビル8階", "expected_learners": 20, "end_date": D(2025, 12, 13),
            "instructors": "講師名：情報 太郎", "committee_declaration": True}  # fmt: skip


def _winter_slots():
    return [
        {"row": "upper", "slot": 1, "kind": "ipa",
         "session": ExamSession.objects.get(exam_date=D(2025, 12, 14))},
        {"row": "upper", "slot": 2, "kind": "ipa",
         "session": ExamSession.objects.get(exam_date=D(2026, 1, 25))},
    ]  # fmt: skip


OCTOBER_1 = D(2025, 10, 1)


def _october_course(provider, staff, start=OCTOBER_1):
    """The seen case: applied 2025-08-10 for October 2025, one delivery course."""
    course = complete_course(provider, staff, with_delivery=False)
    ExemptionCourse.objects.filter(pk=course.pk).update(
        name="2025-2027年度講座A", desired_month=D(2025, 10, 1)
    )
    services.save_delivery_course(
        course.pk, staff, {**DELIVERY, "start_date": start}, _winter_slots()
    )
    return course


def _pay(course, provider, staff, reviewer):
    line = course.fee_lines.get()
    request = fee_services.create_payment_request(
        provider, staff, [line.pk],
        {"payment_date": today["value"], "bank": "銀行", "payer_name_kana": f"{provider.number}エー"},
    )  # fmt: skip
    fee_services.confirm_payment(request.pk, reviewer, today["value"])


def _move_start(course, staff, start):
    delivery = course.delivery_courses.get()
    services.save_delivery_course(
        course.pk, staff, {**DELIVERY, "start_date": start}, _winter_slots(), delivery.pk
    )


# C8 + D2/D4: the slipped certification date ------------------------------------------


def test_c8_late_fix_refuses_a_delivery_course_that_starts_before_the_slipped_date(
    provider_a, staff_a, reviewer
):
    course = _october_course(provider_a, staff_a)
    services.submit_course(course.pk, staff_a)  # 2025-08-10, for October
    _pay(course, provider_a, staff_a, reviewer)
    _on(D(2025, 8, 20))
    services.return_course(course.pk, reviewer, "教材の版数を確認してください。")
    _on(D(2025, 9, 5))  # fixed after 9/1: the certification slips to 11/1
    course.refresh_from_db()
    assert services.planned_certification_date(course) == D(2025, 11, 1)
    with pytest.raises(ValidationError) as error:
        services.submit_course(course.pk, staff_a)
    text = " ".join(error.value.messages)
    assert "20001-001-001「2025年度実施講座10月コースA」" in text
    assert "認定日（2025年11月1日）以降" in text
    assert ExemptionCourse.objects.get(pk=course.pk).state == "returned"
    # Moved to the slipped date, the course goes through to certification on 11/1.
    _move_start(course, staff_a, D(2025, 11, 4))
    services.submit_course(course.pk, staff_a)
    services.start_review(course.pk, reviewer)
    services.approve_course(course.pk, reviewer)
    assert services.certify_due_courses(D(2025, 10, 1)) == []
    assert services.certify_due_courses(D(2025, 11, 1)) == [course.pk]
    course.refresh_from_db()
    assert (course.state, course.certified_on) == ("certified", D(2025, 11, 1))


def _seen_case_already_resubmitted(provider, staff, reviewer):
    """The data of the seen case as an earlier version left it: resubmitted on
    2025-09-05 with the delivery course still starting 2025-10-01."""
    course = _october_course(provider, staff)
    services.submit_course(course.pk, staff)
    _pay(course, provider, staff, reviewer)
    ExemptionCourse.objects.filter(pk=course.pk).update(defects_cleared_on=D(2025, 9, 5))
    _on(D(2025, 9, 10))
    services.start_review(course.pk, reviewer)
    return course


def test_c8_approval_rechecks_delivery_courses_against_the_slipped_date(
    provider_a, staff_a, reviewer
):
    course = _seen_case_already_resubmitted(provider_a, staff_a, reviewer)
    with pytest.raises(ValidationError) as error:
        services.approve_course(course.pk, reviewer)
    text = " ".join(error.value.messages)
    assert "認定日（2025年11月1日）に合わない実施講座" in text
    assert "20001-001-001「2025年度実施講座10月コースA」" in text
    assert "差し戻して" in text
    assert ExemptionCourse.objects.get(pk=course.pk).state == "submitted"
    assert DeliveryCourse.objects.get(course=course).state == "submitted"


def test_c8_certifying_refuses_and_the_beat_task_reports_unfit_delivery_courses(
    provider_a, staff_a, reviewer, django_capture_on_commit_callbacks
):
    course = _seen_case_already_resubmitted(provider_a, staff_a, reviewer)
    # As approved by an earlier version, before the re-check existed.
    ExemptionCourse.objects.filter(pk=course.pk).update(state="approved")
    DeliveryCourse.objects.filter(course=course).update(state="approved")
    with pytest.raises(ValidationError, match="20001-001-001"):
        services.certify_course(course.pk, reviewer, D(2025, 11, 1))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.certify_due_courses(D(2025, 11, 1)) == []
    course.refresh_from_db()
    assert (course.state, course.certified_on, course.certificate_number) == ("approved", None, "")
    entry = AuditEntry.objects.get(action="course.certify_blocked")
    assert "2025年度実施講座10月コースA" in entry.note
    assert "(C" not in entry.note and "D2" not in entry.note
    assert len(mail.outbox) == 1 and "20001-001" in mail.outbox[0].subject


def test_d2_certifying_later_than_planned_names_the_delivery_course_that_no_longer_fits(
    provider_a, staff_a, reviewer
):
    course = _october_course(provider_a, staff_a)
    services.submit_course(course.pk, staff_a)
    _pay(course, provider_a, staff_a, reviewer)
    services.start_review(course.pk, reviewer)
    services.approve_course(course.pk, reviewer)
    with pytest.raises(ValidationError) as error:
        services.certify_course(course.pk, reviewer, D(2025, 11, 1))
    assert "「開始日」は免除対象講座の認定日（2025年11月1日）以降" in " ".join(error.value.messages)
    services.certify_course(course.pk, reviewer, D(2025, 10, 1))
    assert ExemptionCourse.objects.get(pk=course.pk).state == "certified"


def test_d2_returned_course_checklist_and_forecast_follow_the_late_fix(
    provider_a, staff_a, reviewer, client
):
    course = _october_course(provider_a, staff_a)
    services.submit_course(course.pk, staff_a)
    services.return_course(course.pk, reviewer, "教材の版数を確認してください。")
    _on(D(2025, 9, 1))  # still in time: October
    course.refresh_from_db()
    assert services.submission_problems(course, today["value"]) == []
    _on(D(2025, 9, 2))  # one day late: November, and the delivery course no longer fits
    problems = services.submission_problems(course, today["value"])
    assert any("2025年11月1日" in m for _, m in problems)
    page = client_for(client, staff_a).get(reverse("course_detail", args=[course.pk]))
    html = page.content.decode()
    assert "2025年11月1日" in html  # forecast
    assert "2025年10月1日</strong> までに解消" in html  # the slipped month's deadline


# C1/D5: PRIVATE_IPA uses IPA-supplied problems only ----------------------------------


def test_c1_d5_private_ipa_refuses_vendor_reviewed_exams_in_the_rules():
    upper = [(rules.REVIEWED, D(2025, 6, 1)), (rules.IPA, D(2025, 7, 27))]
    lower = [(rules.IPA, D(2025, 6, 8)), (rules.IPA, D(2025, 7, 27))]
    dates = {D(2025, 6, 8), D(2025, 7, 27)}
    problems = rules.exam_rows_problems(CourseType.PRIVATE_IPA, upper, lower, dates)
    assert any("IPA提供問題の修了試験だけ" in p for p in problems)
    assert rules.exam_rows_problems(CourseType.PRIVATE_REVIEWED, upper, lower, dates) == []
    ipa_only = [(rules.IPA, D(2025, 6, 8)), (rules.IPA, D(2025, 7, 27))]
    assert rules.exam_rows_problems(CourseType.PRIVATE_IPA, ipa_only, lower, dates) == []


def _private_ipa_course(provider, staff):
    course = complete_course(provider, staff, with_delivery=False)
    ExemptionCourse.objects.filter(pk=course.pk).update(
        course_type=CourseType.PRIVATE_IPA, name="2025-2027年度サンプル協会講座A",
        vendor_name="サンプル協会", private_exam_name="サンプル基礎試験",
        vendor_min_hours=Decimal("40.0"),
    )  # fmt: skip
    return ExemptionCourse.objects.get(pk=course.pk)


def test_d5_private_ipa_delivery_course_with_a_reviewed_exam_is_refused_on_save(
    provider_a, staff_a, client
):
    course = _private_ipa_course(provider_a, staff_a)
    slots = [{"row": "upper", "slot": 1, "kind": "reviewed", "vendor_date": D(2025, 12, 7)}]
    with pytest.raises(ValidationError) as error:
        services.save_delivery_course(
            course.pk, staff_a,
            {**DELIVERY, "start_date": D(2025, 10, 1), "end_date": D(2025, 12, 6),
             "vendor_name": "サンプル協会"},
            slots,
        )  # fmt: skip
    assert "IPA提供問題の修了試験だけ" in " ".join(error.value.messages)
    assert not DeliveryCourse.objects.filter(course=course).exists()
    # The form offers no IPA審査 date for this type and says why.
    page = client_for(client, staff_a).get(reverse("delivery_create", args=[course.pk]))
    html = page.content.decode()
    assert "upper_1_vendor_date" not in html
    assert "IPA提供問題の修了試験だけを設定できます" in html


# D7: busy start months (M§4.4.1) ------------------------------------------------------


def test_d7_busy_start_month_warns_but_does_not_refuse(provider_a, staff_a, client):
    assert rules.busy_delivery_start_warning(D(2025, 10, 1))
    assert rules.busy_delivery_start_warning(D(2026, 3, 2))
    assert rules.busy_delivery_start_warning(D(2025, 11, 4)) is None
    course = complete_course(provider_a, staff_a, with_delivery=False)
    user_client = client_for(client, staff_a)
    winter = {s["slot"]: s["session"].pk for s in _winter_slots()}
    data = {**DELIVERY, "start_date": "2025-10-01", "end_date": "2025-12-13",
            "committee_declaration": "on", "target_learners": "制限なし", "conditions": "特になし",
            "upper_1_session": winter[1], "upper_2_session": winter[2]}  # fmt: skip
    response = user_client.post(reverse("delivery_create", args=[course.pk]), data, follow=True)
    html = response.content.decode()
    assert DeliveryCourse.objects.filter(course=course).exists()  # saved: a warning only
    assert "承認が混み合う時期" in html and "msg-warning" in html
    delivery = DeliveryCourse.objects.get(course=course)
    page = user_client.get(reverse("delivery_edit", args=[course.pk, delivery.pk]))
    assert "busy-start-warning" in page.content.decode()


# M§5.3 / C9: deleting or withdrawing an unapproved course ------------------------------


def test_m5_3_returned_course_is_deleted_without_request_and_its_unpaid_fee_cancelled(
    provider_a, staff_a, reviewer, client
):
    course = _october_course(provider_a, staff_a, start=D(2025, 11, 4))
    services.submit_course(course.pk, staff_a)
    services.return_course(course.pk, reviewer, "教材の版数を確認してください。")
    line = FeeLine.objects.get(course=course)
    user_client = client_for(client, staff_a)
    response = user_client.post(reverse("course_delete", args=[course.pk]), follow=True)
    assert "免除対象講座を削除しました" in response.content.decode()
    assert not ExemptionCourse.objects.filter(pk=course.pk).exists()
    line.refresh_from_db()
    assert (line.cancelled_on, line.course_id, line.status_label) == (D(2025, 8, 10), None, "取消")
    assert not FeeLine.objects.unpaid().exists()
    page = user_client.get(reverse("fee_list")).content.decode()
    assert "未払いの手数料はありません" in page
    history = page.split('id="fee-history"')[1]
    assert "20001-001 2025-2027年度講座A" in history and "取消" in history
    with pytest.raises(ValidationError):  # never onto a new 入金確認依頼票
        fee_services.create_payment_request(
            provider_a, staff_a, [line.pk],
            {"payment_date": D(2025, 8, 10), "bank": "銀行", "payer_name_kana": "20001エー"},
        )  # fmt: skip


def test_c9_withdrawn_course_cancels_its_unpaid_fee_but_a_paid_one_stays_paid(
    provider_a, staff_a, reviewer
):
    unpaid = _october_course(provider_a, staff_a, start=D(2025, 11, 4))
    services.submit_course(unpaid.pk, staff_a)
    services.return_course(unpaid.pk, reviewer, "修正してください。")
    services.withdraw_course(unpaid.pk, staff_a)
    line = FeeLine.objects.get(course=unpaid)
    assert line.status_label == "取消" and line.cancelled_on == D(2025, 8, 10)
    assert AuditEntry.objects.filter(action="fee_line.cancel", object_id=str(line.pk)).exists()

    paid = _october_course(provider_a, staff_a, start=D(2025, 11, 4))
    services.submit_course(paid.pk, staff_a)
    _pay(paid, provider_a, staff_a, reviewer)
    services.return_course(paid.pk, reviewer, "修正してください。")
    services.withdraw_course(paid.pk, staff_a)
    services.delete_course(paid.pk, staff_a)
    paid_line = FeeLine.objects.exclude(pk=line.pk).get()
    assert (paid_line.cancelled_on, paid_line.paid_on, paid_line.status_label) == (
        None, D(2025, 8, 10), "入金確認済み",
    )  # fmt: skip
    assert list(FeeLine.objects.unpaid()) == []


def test_m5_3_a_deleted_course_number_is_not_given_again(provider_a, staff_a, reviewer):
    course = _october_course(provider_a, staff_a, start=D(2025, 11, 4))
    services.submit_course(course.pk, staff_a)
    services.return_course(course.pk, reviewer, "修正してください。")
    services.delete_course(course.pk, staff_a)
    again = _october_course(provider_a, staff_a)
    assert again.number == "20001-002"  # the cancelled fee line still names 20001-001
    assert FeeLine.objects.get().description.startswith("20001-001 ")


def test_e1_r1_a_vendor_exam_after_the_months_ipa_report_close_is_refused(provider_a, staff_a):
    """Table 4.5-5: an IPA審査 exam is reported by the close of the same
    month's IPA report window (December 2024: 12-13 17:00); a vendor exam on
    12-15 could never be reported, so the delivery course refuses it."""
    course = complete_course(provider_a, staff_a, with_delivery=False)
    ExemptionCourse.objects.filter(pk=course.pk).update(
        course_type=CourseType.PRIVATE_REVIEWED, name="2024-2026年度サンプル協会講座A",
        vendor_name="サンプル協会", private_exam_name="サンプル基礎試験",
        vendor_min_hours=Decimal("40.0"),
    )  # fmt: skip
    values = {**DELIVERY, "start_date": D(2024, 10, 1), "end_date": D(2024, 11, 30),
              "vendor_name": "サンプル協会"}  # fmt: skip
    late = [{"row": "upper", "slot": 1, "kind": "reviewed", "vendor_date": D(2024, 12, 15)}]
    with pytest.raises(ValidationError) as error:
        services.save_delivery_course(course.pk, staff_a, values, late)
    assert (
        "結果報告期限より前の日にしてください" in error.value.message_dict["upper_1_vendor_date"][0]
    )
    assert not DeliveryCourse.objects.filter(course=course).exists()
    in_time = [{"row": "upper", "slot": 1, "kind": "reviewed", "vendor_date": D(2024, 12, 1)}]
    delivery = services.save_delivery_course(course.pk, staff_a, values, in_time)
    assert delivery.exams.get().vendor_date == D(2024, 12, 1)
    assert ExamSession.reporting_for_reviewed_exam(D(2024, 12, 1)).exam_date == D(2024, 12, 8)
