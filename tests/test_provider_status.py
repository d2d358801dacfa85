"""P6/P8 (M§2.4, M§2.5, M§11): a withdrawn (取止め) or revoked (認定取消し)
provider signs in and reads its data but submits nothing; a revocation less
than 2 years old bars a course submission and a certification."""

import datetime
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from calendars.models import ExamSession
from courses import services as course_services
from courses.models import DeliveryCourse, ExemptionCourse
from exams import services as exam_services
from exams.models import ExamApplication, ExamSite, ResultReport
from fees import services as fee_services
from fees.models import FeeLine, PaymentRequest
from providers.models import Provider

from .course_factories import FILED_ON, certified_course, complete_course
from .test_exams_services import DEC, IN_APPLY, IN_REPORT, ROLES

pytestmark = pytest.mark.django_db
REFUSED = "申請・届出・報告はできません"
BARRED = "2年を経過していない"


def _set_status(provider, status, on=datetime.date(2024, 11, 1)):
    Provider.objects.filter(pk=provider.pk).update(
        status=status,
        withdrawn_on=on if status == "withdrawn" else None,
        revoked_on=on if status == "revoked" else None,
    )


def _counts():
    return (
        ExemptionCourse.objects.count(),
        DeliveryCourse.objects.count(),
        ExamSite.objects.count(),
        ExamApplication.objects.count(),
        ResultReport.objects.count(),
        PaymentRequest.objects.count(),
    )


@pytest.fixture
def active_setup(provider_a, staff_a, reviewer):
    """A certified course with an exam site, one submitted application for the
    December exam and a draft course — all made while the provider was active."""
    course = certified_course(provider_a, staff_a, reviewer)
    delivery = course.delivery_courses.get()
    session = ExamSession.objects.get(exam_date=DEC)
    site = exam_services.save_site(provider_a, staff_a, session.pk, ROLES, now=IN_APPLY)
    exam_services.save_application(site.pk, staff_a, delivery.pk, 20, now=IN_APPLY)
    application = exam_services.submit_applications(site.pk, staff_a, now=IN_APPLY)[0]
    draft = complete_course(provider_a, staff_a, with_delivery=False)
    unpaid = FeeLine.objects.create(
        provider=provider_a, kind="review", description="未払い", unit_amount=35000
    )
    return {"course": course, "delivery": delivery, "session": session, "site": site,
            "application": application, "draft": draft, "unpaid": unpaid}  # fmt: skip


@pytest.mark.parametrize("status", ["withdrawn", "revoked"])
def test_p6_withdrawn_or_revoked_provider_cannot_submit_through_any_service(
    active_setup, provider_a, staff_a, status
):
    s = active_setup
    _set_status(provider_a, status)
    before = _counts()
    delivery_values = {
        "name": "2025年度実施講座", "prefecture": "東京都", "address": "文京区本駒込2-28-8",
        "expected_learners": 20, "start_date": datetime.date(2025, 4, 1),
        "end_date": datetime.date(2025, 9, 30), "instructors": "講師名：情報 太郎",
        "committee_declaration": True,
    }  # fmt: skip
    attempts = {
        "講座の作成": lambda: course_services.create_course(
            provider_a,
            staff_a,
            {
                "course_type": "NONE_IPA",
                "name": "2025-2026年度講座B",
                "desired_month": datetime.date(2025, 10, 1),
                "total_hours": 100,
            },
        ),  # fmt: skip
        "講座の変更": lambda: course_services.update_course(
            s["draft"].pk, staff_a, {"name": "2025-2026年度講座C"}
        ),
        "講座の申請": lambda: course_services.submit_course(s["draft"].pk, staff_a),
        "受講計画": lambda: course_services.save_materials(s["draft"].pk, staff_a, []),
        "実施講座の追加": lambda: course_services.save_delivery_course(
            s["course"].pk, staff_a, delivery_values, []
        ),
        "実施講座の申請": lambda: course_services.submit_delivery_course(s["delivery"].pk, staff_a),
        "運営実施体制": lambda: exam_services.save_site(
            provider_a, staff_a, s["session"].pk, ROLES, site_pk=s["site"].pk, now=IN_APPLY
        ),
        "修了試験の申込み": lambda: exam_services.change_applicants(
            s["application"].pk, staff_a, 25, now=IN_APPLY
        ),
        "結果報告": lambda: exam_services.open_report(s["application"].pk, staff_a),
        "入金確認依頼票": lambda: fee_services.create_payment_request(
            provider_a,
            staff_a,
            [s["unpaid"].pk],
            {
                "payment_date": datetime.date(2024, 11, 1),
                "bank": "銀行",
                "payer_name_kana": f"{provider_a.number}エー",
            },
        ),  # fmt: skip
    }
    for name, attempt in attempts.items():
        with (
            mock.patch("django.utils.timezone.now", return_value=IN_REPORT),
            pytest.raises(ValidationError) as refused,
        ):
            attempt()
        assert REFUSED in " ".join(refused.value.messages), name
    assert _counts() == before
    assert not FeeLine.objects.filter(payment_request__isnull=False, pk=s["unpaid"].pk).exists()
    s["application"].refresh_from_db()
    assert s["application"].applicants == 20


def test_p6_withdrawn_provider_signs_in_reads_its_data_and_sees_why_it_cannot_submit(
    client, active_setup, provider_a, staff_a
):
    _set_status(provider_a, "withdrawn", on=datetime.date(2025, 3, 31))
    client.force_login(staff_a)
    html = client.get(reverse("home")).content.decode()
    assert "取止め（2025年3月31日）により、申請・届出・報告はできません" in html
    assert 'id="provider-status-banner"' in html
    assert reverse("course_create") not in html  # no button that leads to a refusal
    course = active_setup["course"]
    assert course.name in client.get(reverse("course_detail", args=[course.pk])).content.decode()
    today = datetime.date.today()
    month = (today.replace(day=1) + datetime.timedelta(days=95)).strftime("%Y-%m")
    response = client.post(
        reverse("course_create"),
        {"course_type": "NONE_IPA", "name": "2025-2026年度講座B", "desired_month": month,
         "attendance_ratio": "70%", "course_manager": "情報\u3000次郎", "total_hours": "100",
         "learning_mode": "classroom"},
    )  # fmt: skip
    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    assert "2025-2026年度講座B" in response.content.decode()  # what was typed stays
    assert ExemptionCourse.objects.count() == 2


def test_dashboard_of_an_active_provider_has_no_status_banner(client, provider_a, staff_a):
    client.force_login(staff_a)
    html = client.get(reverse("home")).content.decode()
    assert 'id="provider-status-banner"' not in html
    assert reverse("course_create") in html


def _revoke_a_course(provider, staff, revoked_on):
    old = complete_course(provider, staff, with_delivery=False)
    ExemptionCourse.objects.filter(pk=old.pk).update(state="revoked", revoked_on=revoked_on)
    return old


def test_p6_course_revoked_less_than_two_years_ago_bars_a_course_submission(
    provider_a, staff_a, client
):
    revoked = _revoke_a_course(provider_a, staff_a, datetime.date(2023, 1, 10))
    course = complete_course(provider_a, staff_a)
    with (
        mock.patch("django.utils.timezone.localdate", return_value=FILED_ON),
        pytest.raises(ValidationError, match=BARRED) as refused,
    ):
        course_services.submit_course(course.pk, staff_a)
    assert "2025年1月10日以降" in refused.value.messages[0]
    course.refresh_from_db()
    assert course.state == "draft" and not course.fee_lines.exists()
    client.force_login(staff_a)
    with mock.patch("django.utils.timezone.localdate", return_value=FILED_ON):
        html = client.get(reverse("home")).content.decode()
    assert BARRED in html and 'id="provider-status-banner"' in html
    # Two full years after the revocation the bar is lifted.
    ExemptionCourse.objects.filter(pk=revoked.pk).update(revoked_on=datetime.date(2022, 8, 20))
    with mock.patch("django.utils.timezone.localdate", return_value=FILED_ON):
        course_services.submit_course(course.pk, staff_a)
    course.refresh_from_db()
    assert course.state == "submitted"


def test_p6_revocation_after_approval_bars_the_certification(provider_a, staff_a, reviewer):
    course = complete_course(provider_a, staff_a)
    with mock.patch("django.utils.timezone.localdate", return_value=FILED_ON):
        course_services.submit_course(course.pk, staff_a)
        request = fee_services.create_payment_request(
            provider_a, staff_a, [course.fee_lines.get().pk],
            {"payment_date": FILED_ON, "bank": "銀行", "payer_name_kana": f"{provider_a.number}エー"},
        )  # fmt: skip
        fee_services.confirm_payment(request.pk, reviewer, FILED_ON)
        course_services.start_review(course.pk, reviewer)
        course_services.approve_course(course.pk, reviewer)
    # A course of an earlier provider record under the same name was revoked.
    Provider.objects.create(
        **provider_a.info_values(),
        number="19999", status="revoked", revoked_on=datetime.date(2023, 5, 1),
    )  # fmt: skip
    with pytest.raises(ValidationError, match=BARRED):
        course_services.certify_course(course.pk, reviewer, datetime.date(2024, 10, 1))
    assert course_services.certify_due_courses(datetime.date(2024, 10, 1)) == []
    course.refresh_from_db()
    assert course.state == "approved" and course.certified_on is None


def test_p6_rule_revocation_bar_ends_two_years_after_the_latest_revocation():
    from providers.rules import revocation_bar_ends, status_write_problem

    on = datetime.date(2025, 1, 1)
    assert revocation_bar_ends([], on) is None
    assert revocation_bar_ends([datetime.date(2022, 12, 31)], on) is None
    assert revocation_bar_ends(
        [datetime.date(2023, 3, 1), datetime.date(2024, 2, 29), None], on
    ) == datetime.date(2026, 2, 28)
    assert status_write_problem("active", None, None) is None
    assert "取止め" in status_write_problem("withdrawn", None, None)
    assert "取消し（2024年1月5日）" in status_write_problem(
        "revoked", None, datetime.date(2024, 1, 5)
    )


@pytest.mark.parametrize("status", ["withdrawn", "revoked"])
def test_p6_withdrawn_provider_pressing_a_button_gets_the_reason_not_a_server_error(
    active_setup, provider_a, staff_a, client, status
):
    """Every provider write page answers a withdrawn/revoked provider with the
    refusal on the page it came from; nothing changes and nothing is a 500."""
    from certifications.models import Completer

    s = active_setup
    report = exam_services.open_report(s["application"].pk, staff_a)
    exam_services.update_report(report.pk, staff_a, {"examinees": 3}, now=IN_REPORT)
    _set_status(provider_a, status)
    client.force_login(staff_a)
    before = (_counts(), Completer.objects.count())
    posts = [
        reverse("course_delete", args=[s["draft"].pk]),
        reverse("course_withdraw", args=[s["draft"].pk]),
        reverse("delivery_delete", args=[s["course"].pk, s["delivery"].pk]),
        reverse("report_open", args=[s["application"].pk]),
        reverse("completer_delete", args=[report.pk]) + "?all=1",
    ]
    for url in posts:
        response = client.post(url, {"all": "1"}, follow=True, HTTP_REFERER="/")
        assert response.status_code == 200, url
        assert REFUSED in response.content.decode(), url
    assert (_counts(), Completer.objects.count()) == before
