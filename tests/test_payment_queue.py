"""F3 (M§13.2, 別紙13): the reviewer's payment queue says what each payment
is for, links to its 入金確認依頼票 and refuses a missing or future
confirmation date beside the field, keeping what was typed."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from calendars.models import ExamSession
from courses.models import DeliveryCourse
from exams import services as exam_services
from exams.models import ExamApplication
from fees import services as fee_services
from fees.models import FeeLine, PaymentRequest

from .course_factories import certified_course
from .test_exams_services import DEC, IN_APPLY, ROLES

pytestmark = pytest.mark.django_db


@pytest.fixture
def payment(provider_a, staff_a, reviewer):
    """An open 入金確認依頼票 for a review fee and the problem fee of 20 applicants."""
    course = certified_course(provider_a, staff_a, reviewer)
    delivery = course.delivery_courses.get()
    session = ExamSession.objects.get(exam_date=DEC)
    site = exam_services.save_site(provider_a, staff_a, session.pk, ROLES, now=IN_APPLY)
    exam_services.save_application(site.pk, staff_a, delivery.pk, 20, now=IN_APPLY)
    exam_services.submit_applications(site.pk, staff_a, now=IN_APPLY)
    review = FeeLine.objects.create(provider=provider_a, kind="review", course=course,
                                    description=f"{course.number} {course.name}", unit_amount=35000)  # fmt: skip
    problem = FeeLine.objects.get(kind="problem")
    return fee_services.create_payment_request(
        provider_a, staff_a, [review.pk, problem.pk],
        {"payment_date": datetime.date(2024, 11, 12), "bank": "銀行", "payer_name_kana": "20001エー"},
    )  # fmt: skip


def test_f3_payment_queue_shows_what_each_payment_is_for_and_links_its_form(
    client, payment, reviewer
):
    client.force_login(reviewer)
    html = client.get(reverse("review_payments")).content.decode()
    course = payment.lines.get(kind="review").course
    delivery = course.delivery_courses.get()
    assert f"{course.number} {course.name}" in html
    assert reverse("review_course_detail", args=[course.pk]) in html
    assert f"2024/12/08の修了試験\u3000{delivery.number}" in html
    assert "応募者20名" in html and "応募者 計20名" in html
    assert "75,000円" in html  # 35,000 + 20 × 2,000
    assert reverse("document_request", args=["nyukin_irai", payment.pk]) in html
    response = client.post(reverse("document_request", args=["nyukin_irai", payment.pk]))
    assert response.status_code == 302
    assert "前回作成分" in client.get(reverse("review_payments")).content.decode()


@pytest.mark.parametrize(
    "typed, message",
    [
        ("", "「入金確認日」を入力してください。"),
        ("2024/13/40", "「入金確認日」は日付（例：2026-04-01）で入力してください。"),
        ("tomorrow", "「入金確認日」に未来の日付は入力できません。"),
        (
            "2024-11-11",
            "「入金確認日」は依頼票の入金日（2024年11月12日）以降の日付にしてください。",
        ),
    ],
)
def test_f3_missing_or_future_confirmation_date_is_refused_beside_the_field(
    client, payment, reviewer, typed, message
):
    if typed == "tomorrow":
        typed = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    client.force_login(reviewer)
    response = client.post(
        reverse("review_payment_confirm", args=[payment.pk]),
        {"confirmed_on": typed, "status": "open", "page": "1"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    beside = f'<p class="error" id="confirmed_on_{payment.pk}_error">{message}</p>'
    assert beside in html
    assert f'href="#confirmed_on_{payment.pk}"' in html  # the summary links to the field
    assert f'value="{typed}"' in html  # what was typed stays
    payment.refresh_from_db()
    assert payment.confirmed_on is None


def test_f3_a_valid_date_confirms_and_returns_to_the_same_tab(client, payment, reviewer):
    client.force_login(reviewer)
    today = timezone.localdate()
    response = client.post(
        reverse("review_payment_confirm", args=[payment.pk]),
        {"confirmed_on": today.isoformat(), "status": "all", "page": "1"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("review_payments") + "?status=all&page=1"
    payment.refresh_from_db()
    assert payment.confirmed_on == today


def _more_payments(payment, n):
    """n more payments like ``payment``: a review fee and a problem fee each,
    the problem fee for another delivery course at the same exam."""
    course = payment.lines.get(kind="review").course
    template = course.delivery_courses.order_by("pk").first()
    application = ExamApplication.objects.order_by("pk").first()
    start = DeliveryCourse.objects.filter(course=course).count()
    for i in range(n):
        template.pk, template.id, template.serial = None, None, start + i + 1
        template.save()
        request = PaymentRequest.objects.create(provider=payment.provider, bank="銀行",
                                                payment_date=datetime.date(2024, 11, 12),
                                                payer_name_kana="20001エー")  # fmt: skip
        FeeLine.objects.create(provider=payment.provider, kind="review", course=course,
                               description=course.name, unit_amount=35000, payment_request=request)  # fmt: skip
        line = FeeLine.objects.create(provider=payment.provider, kind="problem", description="問題",
                                      unit_amount=2000, quantity=i + 1, payment_request=request)  # fmt: skip
        ExamApplication.objects.create(delivery_course=template, session=application.session,
                                       site=application.site, applicants=i + 1, fee_line=line)  # fmt: skip


def test_payment_queue_costs_the_same_queries_with_many_rows(client, payment, reviewer):
    client.force_login(reviewer)
    url = reverse("review_payments") + "?status=open"
    _more_payments(payment, 4)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    _more_payments(payment, 40)
    with CaptureQueriesContext(connection) as large:
        html = client.get(url).content.decode()
    assert html.count("応募者 計") == 45
    assert len(large) <= len(small), (len(small), len(large))
