"""No list page's query count grows with its rows: each page is counted with
5 rows and again with 60, and must cost the same (and stay under a cap)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.models import DeliveryCourse, ExemptionCourse
from fees.models import FeeLine, PaymentRequest
from providers.models import Registration

from .factories import UserFactory, registration_values

pytestmark = pytest.mark.django_db
CAP = 25


def _add_rows(provider, start, n):
    ExemptionCourse.objects.bulk_create(
        ExemptionCourse(provider=provider, serial=start + i + 1, course_type="NONE_IPA", state="submitted",
                        name=f"2025-2026年度講座{start + i}", desired_month=datetime.date(2025, 10, 1),
                        total_hours=100)
        for i in range(n)
    )  # fmt: skip
    courses = list(ExemptionCourse.objects.filter(provider=provider, serial__gt=start))
    DeliveryCourse.objects.bulk_create(
        DeliveryCourse(course=c, serial=1, name="2025年度実施講座", prefecture="東京都", address="文京区",
                       expected_learners=10, start_date=datetime.date(2025, 10, 1),
                       end_date=datetime.date(2025, 12, 1), instructors="講師名：情報 太郎")
        for c in courses
    )  # fmt: skip
    for course in courses:
        request = PaymentRequest.objects.create(
            provider=provider,
            payment_date=datetime.date(2025, 8, 1),
            bank="銀行",
            payer_name_kana="20001ア",
        )
        FeeLine.objects.create(provider=provider, kind="review", description=course.name, unit_amount=35000,
                               course=course, payment_request=request)  # fmt: skip
        FeeLine.objects.create(provider=provider, kind="review", description=course.name, unit_amount=35000,
                               course=course)  # fmt: skip
    for i in range(start, start + n):
        user = UserFactory(email=f"applicant{i}@example.jp", is_active=False)
        Registration.objects.create(**registration_values(contact_email=user.email), applicant=user,
                                    access_token_hash=f"t{i}")  # fmt: skip


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries), response.content.decode()


@pytest.mark.parametrize("role", ["staff_a", "reviewer"])
def test_list_pages_cost_the_same_with_5_and_60_rows(
    client, provider_a, staff_a, reviewer, role, django_assert_max_num_queries
):
    user = {"staff_a": staff_a, "reviewer": reviewer}[role]
    urls = (
        [reverse("course_list"), reverse("fee_list"), reverse("home")]
        if role == "staff_a"
        else [reverse("review_course_queue") + "?state=submitted", reverse("review_payments") + "?status=all",
              reverse("review_queue")]
    )  # fmt: skip
    client.force_login(user)
    _add_rows(provider_a, 0, 5)
    small = {url: _count(client, url)[0] for url in urls}
    _add_rows(provider_a, 5, 55)
    for url in urls:
        with django_assert_max_num_queries(CAP):
            large, html = _count(client, url)
        assert large <= small[url], f"{url}: {small[url]} queries with 5 rows, {large} with 60"
        assert html.count("<tr>") >= 20  # the rows are really on the page
