"""The course workflow through its services: C2, C5, C6, C8, C9, C10, C11, F1–F3, W1."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from courses import services
from courses.models import DeliveryCourse, ExemptionCourse, StudyPlanRow
from fees import services as fee_services
from fees.models import FeeLine
from portal.models import AuditEntry

from .course_factories import complete_course

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 8, 20)


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
                       "course.resubmit", "course.review_start", "course.approve", "course.certify",
                       "course.expire"]  # fmt: skip


def test_c8_late_fix_slips_the_certification_date(provider_a, staff_a, reviewer, monkeypatch):
    course = complete_course(provider_a, staff_a)
    services.submit_course(course.pk, staff_a)
    services.return_course(course.pk, reviewer, "不備があります。")
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *a, **k: datetime.date(2024, 9, 2)
    )
    services.submit_course(course.pk, staff_a)
    course.refresh_from_db()
    assert services.planned_certification_date(course) == datetime.date(2024, 11, 1)


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
