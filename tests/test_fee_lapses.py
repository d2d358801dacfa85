"""No unpaid fee line stays open forever (C9, E2, F3; M§5.2 (13), M§5.7 (9)(11),
M§13.2, 別紙13): a 入金確認依頼票 IPA cannot match is returned and its fees
are owed again; a fee whose purpose is gone is cancelled, with the reason
shown to the provider."""

import datetime
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from calendars.models import ExamSession
from courses import services as course_services
from courses.models import ExemptionCourse
from exams import services as exam_services
from fees import services as fee_services
from fees.models import FeeLine, PaymentRequest
from portal.models import AuditEntry

from .course_factories import FILED_ON, certified_course, complete_course
from .test_exams_services import DEC, IN_APPLY, ROLES
from .test_payment_queue import payment  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
D = datetime.date
NOV_12 = D(2024, 11, 12)


def _request(provider, staff, lines, paid_on=NOV_12):
    return fee_services.create_payment_request(
        provider, staff, [line.pk for line in lines],
        {"payment_date": paid_on, "bank": "銀行", "payer_name_kana": f"{provider.number}エー"},
    )  # fmt: skip


def _submitted_course(provider, staff):
    course = complete_course(provider, staff)
    with mock.patch("django.utils.timezone.localdate", return_value=FILED_ON):
        course_services.submit_course(course.pk, staff)
    return ExemptionCourse.objects.get(pk=course.pk)


# (a) 入金を確認できません ------------------------------------------------------------


def test_f3_reviewer_returns_an_unmatched_payment_request_and_the_provider_pays_again(
    client,
    payment,  # noqa: F811
    reviewer,
    staff_a,
    provider_a,
    django_capture_on_commit_callbacks,
):
    lines = list(payment.lines.order_by("pk"))
    client.force_login(reviewer)
    queue = client.get(reverse("review_payments")).content.decode()
    assert reverse("review_payment_return", args=[payment.pk]) in queue
    assert f'data-confirm="入金確認依頼票 #{payment.pk}' in queue
    assert "を「入金を確認できません」として差し戻します" in queue
    # No reason: refused beside the field, nothing recorded.
    response = client.post(
        reverse("review_payment_return", args=[payment.pk]),
        {"return_reason": "  ", "status": "open", "page": "1"},
    )
    assert response.status_code == 200
    assert "「差し戻し理由」を入力してください。" in response.content.decode()
    payment.refresh_from_db()
    assert payment.returned_on is None and payment.lines.count() == 2

    reason = "11月12日に該当する振込（75,000円）がありません。振込名義人もご確認ください。"
    with (
        mock.patch("django.utils.timezone.localdate", return_value=D(2024, 11, 20)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(
            reverse("review_payment_return", args=[payment.pk]),
            {"return_reason": reason, "status": "open", "page": "1"},
            follow=True,
        )
    assert "差し戻しました" in response.content.decode()
    payment.refresh_from_db()
    assert payment.returned_on is not None and payment.return_reason == reason
    assert payment.status_label == "差し戻し"
    assert list(payment.returned_lines.order_by("pk")) == lines
    assert set(FeeLine.objects.unpaid()) == set(lines)
    entry = AuditEntry.objects.get(action="payment_request.return")
    assert entry.note == reason
    (notice,) = mail.outbox
    assert provider_a.contact_email in notice.to and reason in notice.body
    assert f"入金確認依頼票 #{payment.pk}" in notice.subject
    assert reverse("fee_list") in notice.body

    # The returned form stays in IPA's history, with its reason and what it was for.
    returned = client.get(reverse("review_payments") + "?status=returned").content.decode()
    assert f"#{payment.pk}" in returned and reason in returned and "75,000円" in returned
    open_queue = client.get(reverse("review_payments") + "?status=open").content.decode()
    assert "該当する依頼票はありません" in open_queue
    # It can no longer be confirmed.
    response = client.post(
        reverse("review_payment_confirm", args=[payment.pk]),
        {"confirmed_on": "2024-11-20", "status": "returned"},
    )
    assert "差し戻し済み" in response.content.decode()

    # The provider sees why, and pays again on a new form.
    client.force_login(staff_a)
    page = client.get(reverse("fee_list")).content.decode()
    assert f"入金確認依頼票 #{payment.pk} は" in page and "差し戻されました" in page
    assert reason in page and "差し戻し" in page.split("作成した入金確認依頼票")[1]
    detail = client.get(reverse("payment_request_detail", args=[payment.pk])).content.decode()
    assert "差し戻し理由" in detail and reason in detail and "35,000円" in detail
    again = _request(provider_a, staff_a, lines, paid_on=D(2024, 11, 19))
    assert again.pk != payment.pk and again.lines.count() == 2


def test_c9_a_returned_request_cancels_the_fee_of_a_deleted_course_and_frees_the_others(
    provider_a, staff_a, reviewer
):
    gone = _submitted_course(provider_a, staff_a)
    kept = _submitted_course(provider_a, staff_a)
    request = _request(provider_a, staff_a, [gone.fee_lines.get(), kept.fee_lines.get()])
    for course in (gone, kept):
        course_services.return_course(course.pk, reviewer, "教材の版数を確認してください。")
    gone_line = gone.fee_lines.get()
    course_services.delete_course(gone.pk, staff_a)
    gone_line.refresh_from_db()
    assert gone_line.status_label == "入金確認待ち"  # on a form: it may have been paid

    fee_services.return_payment_request(request.pk, reviewer, "入金がありません。")
    gone_line.refresh_from_db()
    assert gone_line.status_label == "取消"
    assert "削除または取り下げ済み" in gone_line.cancel_reason
    kept_line = kept.fee_lines.get()
    assert kept_line.status_label == "未払い"
    # Deleting/withdrawing the other course afterwards cancels its fee as usual.
    course_services.withdraw_course(kept.pk, staff_a)
    kept_line.refresh_from_db()
    assert kept_line.status_label == "取消"
    assert not FeeLine.objects.unpaid().exists()


def test_f3_a_confirmed_request_cannot_be_returned(payment, reviewer):  # noqa: F811
    fee_services.confirm_payment(payment.pk, reviewer, D(2024, 11, 20))
    with pytest.raises(Exception, match="返金されません"):
        fee_services.return_payment_request(payment.pk, reviewer, "入金がありません。")


# (b) a course whose certification ended ---------------------------------------------


def test_c9_an_expired_course_leaves_no_unpaid_review_fee(provider_a, staff_a, reviewer):
    course = certified_course(provider_a, staff_a, reviewer)
    # A review fee left unpaid by hand (for instance an imported record).
    line = FeeLine.objects.create(provider=provider_a, kind="review", course=course,
                                  description=f"{course.number} {course.name}", unit_amount=35000)  # fmt: skip
    assert course_services.expire_courses(course.valid_until + datetime.timedelta(days=1))
    line.refresh_from_db()
    assert line.status_label == "取消" and "認定期間が終了" in line.cancel_reason
    paid = course.fee_lines.exclude(pk=line.pk).get()
    assert paid.status_label == "入金確認済み"


# (c) a problem fee not paid by the exam date ------------------------------------------


@pytest.fixture
def application(provider_a, staff_a, reviewer):
    course = certified_course(provider_a, staff_a, reviewer)
    delivery = course.delivery_courses.get()
    session = ExamSession.objects.get(exam_date=DEC)
    site = exam_services.save_site(provider_a, staff_a, session.pk, ROLES, now=IN_APPLY)
    exam_services.save_application(site.pk, staff_a, delivery.pk, 20, now=IN_APPLY)
    return exam_services.submit_applications(site.pk, staff_a, now=IN_APPLY)[0]


def test_e2_unpaid_problem_fee_stays_open_after_the_close_and_is_cancelled_after_the_exam(
    client, application, staff_a
):
    line = application.fee_line
    # After the close IPA may still accept a late payment (M§5.7, item 5): open.
    assert fee_services.cancel_lapsed_problem_fees(D(2024, 11, 20)) == []
    assert fee_services.cancel_lapsed_problem_fees(DEC) == []  # the exam day itself
    client.force_login(staff_a)
    page = client.get(reverse("fee_list")).content.decode()
    assert "申込み締切（2024/11/13 15:00）を過ぎています" in page
    assert "修了試験日（2024/12/08）までに入金確認依頼票の作成がない場合は取り消されます" in page

    assert fee_services.cancel_lapsed_problem_fees(D(2024, 12, 9)) == [line.pk]
    line.refresh_from_db()
    assert line.status_label == "取消" and line.cancelled_on == D(2024, 12, 9)
    assert "修了試験日（2024年12月8日（日））までに" in line.cancel_reason
    assert AuditEntry.objects.filter(action="fee_line.cancel", object_id=str(line.pk)).exists()
    page = client.get(reverse("fee_list")).content.decode()
    assert "未払いの手数料はありません" in page
    assert line.cancel_reason in page.split('id="fee-history"')[1]
    # The daily beat runs it.
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "fees.cancel_lapsed_problem_fees" in tasks


def test_e2_a_problem_fee_on_a_form_waits_for_ipa_and_is_cancelled_when_it_is_returned_late(
    application, provider_a, staff_a, reviewer
):
    line = application.fee_line
    request = _request(provider_a, staff_a, [line], paid_on=D(2024, 11, 13))
    assert fee_services.cancel_lapsed_problem_fees(D(2024, 12, 20)) == []  # may have been paid
    with mock.patch("django.utils.timezone.localdate", return_value=D(2024, 12, 20)):
        fee_services.return_payment_request(request.pk, reviewer, "入金がありません。")
    line.refresh_from_db()
    assert line.status_label == "取消" and line.cancelled_on == D(2024, 12, 20)
    assert PaymentRequest.objects.get(pk=request.pk).returned_lines.get() == line


def test_e2_payment_queue_flags_a_problem_fee_paid_after_the_close(
    client, application, provider_a, staff_a, reviewer
):
    _request(provider_a, staff_a, [application.fee_line], paid_on=D(2024, 11, 15))
    client.force_login(reviewer)
    queue = client.get(reverse("review_payments")).content.decode()
    assert "入金日が申込み締切（2024/11/13 15:00）より後です" in queue


def test_e2_a_cancelled_problem_fee_shows_why_on_both_exam_pages(
    client, application, staff_a, reviewer
):
    fee_services.cancel_lapsed_problem_fees(D(2024, 12, 9))
    reason = FeeLine.objects.get(pk=application.fee_line_id).cancel_reason
    client.force_login(staff_a)
    page = client.get(reverse("exam_session", args=[application.session_id])).content.decode()
    assert "取消" in page and reason in page
    client.force_login(reviewer)
    page = client.get(reverse("review_exam_session", args=[application.session_id]))
    html = page.content.decode()
    assert page.context["unpaid"] == 0 and "入金未確認 0件" in html
    assert reason in html


def test_f3_payment_queue_shows_transfers_and_the_providers_note(
    client, application, provider_a, staff_a, reviewer
):
    fee_services.create_payment_request(
        provider_a, staff_a, [application.fee_line_id],
        {"payment_date": NOV_12, "bank": "銀行", "payer_name_kana": f"{provider_a.number}エー",
         "transfers": 2, "note": "2回に分けて振り込みました。"},
    )  # fmt: skip
    client.force_login(reviewer)
    queue = client.get(reverse("review_payments")).content.decode()
    assert "入金口数 2回" in queue and "連絡事項：2回に分けて振り込みました。" in queue
