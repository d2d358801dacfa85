"""The course workflow through its services: C2, C5, C6, C8, C9, C10, C11, F1–F3, W1."""

import datetime
import re
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone as dj_timezone

from calendars.models import ExamSession
from courses import services
from courses.models import DeliveryCourse, ExemptionCourse, StudyPlanRow
from fees import services as fee_services
from fees.models import FeeLine
from portal import receipts
from portal.models import AuditEntry, Receipt

from .conftest import client_for
from .course_factories import certified_course, complete_course

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 8, 20)
D = datetime.date


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


def test_c10_c5_c6_checklist_lists_what_is_missing(provider_a, staff_a):
    course = complete_course(provider_a, staff_a, with_delivery=False)
    StudyPlanRow.objects.filter(course=course, syllabus_item__code="FE3").delete()
    problems = {m: s for s, m in services.submission_problems(course, TODAY)}
    assert any("実施講座が少なくとも1つ必要" in m for m in problems)
    assert any("FE3" in m for m in problems)  # C6 coverage
    assert any("一致しません" in m for m in problems)  # C5 plan total
    with pytest.raises(ValidationError):
        services.submit_course(course.pk, staff_a)
    assert ExemptionCourse.objects.get(pk=course.pk).state == "draft"
    assert not FeeLine.objects.exists()


def test_c8_desired_month_earlier_than_month_after_next_is_refused(provider_a, staff_a):
    course = complete_course(provider_a, staff_a)
    ExemptionCourse.objects.filter(pk=course.pk).update(desired_month=datetime.date(2024, 9, 1))
    course.refresh_from_db()
    assert any("最短で2024年10月" in m for _, m in services.submission_problems(course, TODAY))


def test_full_course_journey_submit_return_fix_pay_approve_certify(provider_a, staff_a, reviewer):
    course = complete_course(provider_a, staff_a)
    assert services.submission_problems(course, TODAY) == []
    services.submit_course(course.pk, staff_a)
    course.refresh_from_db()
    assert course.state == "submitted"
    assert DeliveryCourse.objects.get(course=course).state == "submitted"
    line = FeeLine.objects.get(course=course)  # C9: 35,000 JPY per course
    assert (line.kind, line.amount) == ("review", 35000)

    # W1: read-only while submitted.
    with pytest.raises(services.CourseStateError):
        services.update_course(course.pk, staff_a, {"name": "2024-2026年度講座B"})

    services.return_course(
        course.pk, reviewer, "教材の発行年月日を確認してください。", {"materials": "発行年月日"}
    )
    course.refresh_from_db()
    assert course.state == "returned"
    services.update_course(course.pk, staff_a, {"name": "2024-2026年度講座A（改）"})
    services.submit_course(course.pk, staff_a)
    assert FeeLine.objects.filter(course=course).count() == 1  # not charged twice

    # F3: no review before the fee is confirmed.
    with pytest.raises(services.CourseStateError, match="入金が確認できていない"):
        services.start_review(course.pk, reviewer)
    request = fee_services.create_payment_request(
        provider_a, staff_a, [line.pk],
        {"payment_date": TODAY, "bank": "三菱UFJ銀行 本店", "payer_name_kana": "20001エーガクエン"},
    )  # fmt: skip
    fee_services.confirm_payment(request.pk, reviewer, TODAY)
    services.start_review(course.pk, reviewer)
    services.approve_course(course.pk, reviewer)
    course.refresh_from_db()
    assert course.state == "approved"
    assert (course.payment_confirmed_on, course.review_started_on) == (TODAY, TODAY)

    # C8/C11: certified on the 1st, for 2 years less a day.
    with pytest.raises(ValidationError):
        services.certify_course(course.pk, reviewer, datetime.date(2024, 10, 2))
    assert services.certify_due_courses(datetime.date(2024, 10, 1)) == [course.pk]
    course.refresh_from_db()
    assert course.state == "certified"
    assert (course.certified_on, course.valid_until) == (
        datetime.date(2024, 10, 1),
        datetime.date(2026, 9, 30),
    )
    assert course.review_fee == 35000
    assert course.certificate_number == "2024情テ人国第1号"  # C12, per fiscal year
    assert services.expire_courses(datetime.date(2026, 9, 30)) == []
    assert services.expire_courses(datetime.date(2026, 10, 1)) == [course.pk]
    actions = list(AuditEntry.objects.filter(object_id=str(course.pk), content_type__model="exemptioncourse")
                   .order_by("at", "id").values_list("action", flat=True))  # fmt: skip
    assert actions == ["course.create", "course.submit", "course.return", "course.update",
                       "course.resubmit", "course.payment_confirm", "course.review_start",
                       "course.approve", "course.certify", "course.expire"]  # fmt: skip


def test_c8_late_fix_slips_the_certification_date(provider_a, staff_a, reviewer, monkeypatch):
    course = complete_course(provider_a, staff_a)
    services.submit_course(course.pk, staff_a)
    services.return_course(course.pk, reviewer, "不備があります。")
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *a, **k: datetime.date(2024, 9, 2)
    )
    # The delivery course starting 2024-10-01 no longer fits: it moves to November.
    delivery = DeliveryCourse.objects.get(course=course)
    _move_start(delivery, staff_a, datetime.date(2024, 11, 1))
    services.submit_course(course.pk, staff_a)
    course.refresh_from_db()
    assert services.planned_certification_date(course) == datetime.date(2024, 11, 1)


def _move_start(delivery, user, start):
    values = {f: getattr(delivery, f) for f in ("name", "prefecture", "address", "building",
              "expected_learners", "end_date", "instructors", "committee_declaration")}  # fmt: skip
    slots = [{"row": e.row, "slot": e.slot, "kind": e.kind, "session": e.session}
             for e in delivery.exams.all()]  # fmt: skip
    services.save_delivery_course(
        delivery.course_id, user, {**values, "start_date": start}, slots, delivery.pk
    )


def test_c2_unapproved_course_is_deleted_at_once_with_its_delivery_courses(provider_a, staff_a):
    course = complete_course(provider_a, staff_a)
    services.delete_course(course.pk, staff_a)
    assert not ExemptionCourse.objects.exists()
    assert not DeliveryCourse.objects.exists()


def test_other_provider_and_admin_cannot_act(provider_a, staff_a, staff_b, ipa_admin, reviewer):
    course = complete_course(provider_a, staff_a)
    with pytest.raises(PermissionDenied):
        services.submit_course(course.pk, staff_b)
    services.submit_course(course.pk, staff_a)
    with pytest.raises(PermissionDenied):
        services.return_course(course.pk, ipa_admin, "理由")
    with pytest.raises(PermissionDenied):
        services.return_course(course.pk, staff_a, "理由")


def test_f2_payer_name_must_start_with_provider_number(provider_a, staff_a):
    course = complete_course(provider_a, staff_a)
    services.submit_course(course.pk, staff_a)
    line = FeeLine.objects.get()
    with pytest.raises(ValidationError) as error:
        fee_services.create_payment_request(
            provider_a, staff_a, [line.pk],
            {"payment_date": TODAY, "bank": "三菱UFJ銀行", "payer_name_kana": "エーガクエン"},
        )  # fmt: skip
    assert "20001" in str(error.value)
    assert FeeLine.objects.get().payment_request is None


def test_c3_name_carries_years_and_vendor(provider_a, staff_a):
    with pytest.raises(ValidationError) as error:
        services.create_course(provider_a, staff_a, {
            "course_type": "PRIVATE_IPA", "name": "講座A", "vendor_name": "サンプル協会",
            "private_exam_name": "基礎試験", "vendor_min_hours": 40, "desired_month": datetime.date(2024, 10, 1),
            "total_hours": 40,
        })  # fmt: skip
    messages = " ".join(error.value.message_dict["name"])
    assert "年度（西暦）" in messages and "民間資格事業者名を含めて" in messages
    assert not ExemptionCourse.objects.exists()


def test_c7_target_exam_is_fe_and_desired_month_is_kept(provider_a, staff_a):
    course = complete_course(provider_a, staff_a)
    assert course.exam_category == "FE"
    assert course.desired_month == datetime.date(2024, 10, 1)
    with pytest.raises(ValidationError) as error:
        services.update_course(course.pk, staff_a, {"desired_month": datetime.date(2024, 9, 1)})
    assert "最短で2024年10月" in error.value.message_dict["desired_month"][0]


def test_c9_f1_review_fee_once_per_course_and_never_refunded(provider_a, staff_a, reviewer):
    course = complete_course(provider_a, staff_a)
    services.submit_course(course.pk, staff_a)
    line = FeeLine.objects.get(course=course)
    request = fee_services.create_payment_request(
        provider_a, staff_a, [line.pk],
        {"payment_date": TODAY, "bank": "銀行", "payer_name_kana": "20001エーガクエン"},
    )  # fmt: skip
    fee_services.confirm_payment(request.pk, reviewer, TODAY)
    services.return_course(course.pk, reviewer, "修正してください。")
    services.withdraw_course(course.pk, staff_a)
    line.refresh_from_db()
    assert (line.kind, line.amount, line.paid_on, line.cancelled_on) == (
        "review",
        35000,
        TODAY,
        None,
    )
    services.delete_course(course.pk, staff_a)
    line.refresh_from_db()  # paid: stays in the history as paid, never refunded
    assert (line.paid_on, line.cancelled_on, line.status_label) == (TODAY, None, "入金確認済み")


def test_c13_certified_course_is_never_edited_or_extended(provider_a, staff_a, reviewer):
    course = complete_course(provider_a, staff_a)
    services.submit_course(course.pk, staff_a)
    request = fee_services.create_payment_request(
        provider_a, staff_a, [course.fee_lines.get().pk],
        {"payment_date": TODAY, "bank": "銀行", "payer_name_kana": "20001エーガクエン"},
    )  # fmt: skip
    fee_services.confirm_payment(request.pk, reviewer, TODAY)
    services.start_review(course.pk, reviewer)
    services.approve_course(course.pk, reviewer)
    services.certify_course(course.pk, reviewer, datetime.date(2024, 10, 1))
    with pytest.raises(services.CourseStateError):
        services.update_course(course.pk, staff_a, {"total_hours": 120})
    with pytest.raises(services.CourseStateError):
        services.save_plan(course.pk, staff_a, "情報\u3000次郎", [])
    with pytest.raises(services.CourseStateError, match="承認済みの講座だけを認定"):
        services.certify_course(course.pk, reviewer, datetime.date(2026, 10, 1))
    course.refresh_from_db()
    assert course.valid_until == datetime.date(2026, 9, 30)


def test_d1_delivery_course_needs_the_committee_declaration(provider_a, staff_a):
    course = complete_course(provider_a, staff_a, with_delivery=False)
    values = {"name": "2024年度実施講座10月コースB", "prefecture": "東京都", "address": "文京区",
              "expected_learners": 10, "start_date": datetime.date(2024, 10, 1),
              "end_date": datetime.date(2024, 12, 7), "instructors": "講師名：情報 太郎",
              "committee_declaration": False}  # fmt: skip
    with pytest.raises(ValidationError) as error:
        services.save_delivery_course(course.pk, staff_a, values, [])
    assert "試験委員" in error.value.message_dict["committee_declaration"][0]
    assert not DeliveryCourse.objects.exists()


def test_f3_review_waits_for_the_confirmed_payment(provider_a, staff_a, reviewer):
    course = complete_course(provider_a, staff_a)
    services.submit_course(course.pk, staff_a)
    with pytest.raises(services.CourseStateError, match="入金が確認できていない"):
        services.start_review(course.pk, reviewer)
    with pytest.raises(services.CourseStateError, match="審査を開始してから"):
        services.approve_course(course.pk, reviewer)
    assert ExemptionCourse.objects.get(pk=course.pk).state == "submitted"


def test_c4_private_course_names_vendor_and_exam_on_the_server(provider_a, staff_a):
    with pytest.raises(ValidationError) as error:
        services.create_course(provider_a, staff_a, {
            "course_type": "PRIVATE_REVIEWED", "name": "2024-2026年度サンプル協会講座B", "vendor_name": "サンプル協会",
            "private_exam_name": "", "desired_month": datetime.date(2024, 10, 1), "total_hours": 40,
        })  # fmt: skip
    assert set(error.value.message_dict) == {"private_exam_name"}
    assert not ExemptionCourse.objects.exists()


def test_d1_private_delivery_course_names_its_vendor_on_the_server(provider_a, staff_a):
    course = complete_course(provider_a, staff_a, with_delivery=False)
    ExemptionCourse.objects.filter(pk=course.pk).update(
        course_type="PRIVATE_IPA", vendor_name="サンプル協会", private_exam_name="基礎試験"
    )
    values = {"name": "2024年度サンプル協会実施講座", "prefecture": "東京都", "address": "文京区",
              "expected_learners": 10, "start_date": datetime.date(2024, 10, 1),
              "end_date": datetime.date(2024, 12, 7), "instructors": "講師名：情報 太郎",
              "committee_declaration": True}  # fmt: skip
    with pytest.raises(ValidationError) as error:
        services.save_delivery_course(course.pk, staff_a, values, [])
    assert "vendor_name" in error.value.message_dict
    assert not DeliveryCourse.objects.exists()


def test_f3_payment_confirmation_date_cannot_be_in_the_future(provider_a, staff_a, reviewer):
    course = complete_course(provider_a, staff_a)
    services.submit_course(course.pk, staff_a)
    request = fee_services.create_payment_request(
        provider_a, staff_a, [course.fee_lines.get().pk],
        {"payment_date": TODAY, "bank": "銀行", "payer_name_kana": "20001エーガクエン"},
    )  # fmt: skip
    with pytest.raises(ValidationError, match="未来の日付"):
        fee_services.confirm_payment(request.pk, reviewer, TODAY + datetime.timedelta(days=1))
    assert ExemptionCourse.objects.get(pk=course.pk).payment_confirmed_on is None


# 到達番号 (receipts) ------------------------------------------------------------

RECEIPT_AT = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日（[月火水木金土日]）\d{2}:\d{2}:\d{2}")


def _year(receipt):
    return receipts.fiscal_year(dj_timezone.localtime(receipt.submitted_at).date())


def test_newcomer_receipt_course_submission_and_resubmission_are_numbered(
    provider_a, staff_a, reviewer, client, django_capture_on_commit_callbacks
):
    course = complete_course(provider_a, staff_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_course(course.pk, staff_a)
    first = Receipt.objects.get()
    assert first.number == f"K{_year(first)}-000001"
    assert (first.kind, first.target, first.actor) == ("course", course, staff_a)
    # The 到達通知 names the number, the time to the second and links to the course.
    message = mail.outbox[-1]
    assert message.to == [staff_a.email] and first.number in message.subject
    assert first.submitted_at_display in message.body
    assert reverse("course_detail", args=[course.pk]) in message.body
    page = client_for(client, staff_a).get(reverse("course_detail", args=[course.pk]))
    html = page.content.decode()
    assert first.number in html and RECEIPT_AT.search(html) and "今後の流れ" in html

    services.return_course(course.pk, reviewer, "教材を確認してください。")
    services.submit_course(course.pk, staff_a)
    second = Receipt.objects.order_by("-id").first()
    assert second.number == f"K{_year(second)}-000002" != first.number
    html = client.get(reverse("course_detail", args=[course.pk])).content.decode()
    assert "提出の履歴（2回）" in html and first.number in html and second.number in html
    client.force_login(reviewer)
    review = client.get(reverse("review_course_detail", args=[course.pk])).content.decode()
    assert second.number in review


def test_newcomer_receipt_delivery_course_added_to_certified_course(
    provider_a, staff_a, reviewer, client, django_capture_on_commit_callbacks
):
    course = certified_course(provider_a, staff_a, reviewer)
    assert not Receipt.objects.filter(kind="delivery").exists()  # part of the course filing
    june, july = (ExamSession.objects.get(exam_date=d) for d in (D(2025, 6, 8), D(2025, 7, 27)))
    values = {"name": "2025年度実施講座5月コースB", "prefecture": "東京都", "address": "文京区本駒込2-28-8",
              "expected_learners": 10, "start_date": D(2025, 5, 12), "end_date": D(2025, 6, 7),
              "instructors": "講師名：情報 太郎", "committee_declaration": True}  # fmt: skip
    slots = [{"row": "upper", "slot": 1, "kind": "ipa", "session": june},
             {"row": "upper", "slot": 2, "kind": "ipa", "session": july}]  # fmt: skip
    delivery = services.save_delivery_course(course.pk, staff_a, values, slots)
    with (
        mock.patch("django.utils.timezone.localdate", return_value=D(2025, 5, 1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.submit_delivery_course(delivery.pk, staff_a)
    receipt = Receipt.objects.get(kind="delivery")
    assert receipt.number == f"J{_year(receipt)}-000001" and receipt.target == delivery
    assert receipt.number in mail.outbox[-1].subject
    html = (
        client_for(client, staff_a).get(reverse("course_detail", args=[course.pk])).content.decode()
    )
    assert f"到達番号 {receipt.number}" in html  # in the delivery table
    assert receipt.submitted_at_display in html and RECEIPT_AT.search(html)
