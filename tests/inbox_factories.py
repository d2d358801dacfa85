"""Many open items for IPA's inbox, built with bulk_create (the query-count
test of the inbox and benchmarks/inbox.py)."""

import datetime

from django.utils import timezone

from courses.models import DeliveryCourse, ExemptionCourse
from fees.models import FeeLine, PaymentRequest
from providers.models import Provider, Registration

from .factories import UserFactory, registration_values

D = datetime.date


def open_items(providers, start=0):
    """``providers`` providers with 10 open items each (5 payments, 3 courses,
    a delivery course filed on its own, a registration ... ) by bulk_create."""
    fields = {f.name for f in Provider._meta.get_fields()}
    base = {k: v for k, v in registration_values().items() if k in fields}
    numbers = [f"{30000 + i}" for i in range(start, start + providers)]
    Provider.objects.bulk_create(
        Provider(**{**base, "number": n, "name": f"学園{n}"}) for n in numbers
    )
    rows = list(Provider.objects.filter(number__in=numbers))
    requests = PaymentRequest.objects.bulk_create(
        PaymentRequest(provider=p, payment_date=D(2024, 11, 12), bank="銀行", payer_name_kana=f"{p.number}エー")
        for p in rows for _ in range(5)
    )  # fmt: skip
    FeeLine.objects.bulk_create(
        FeeLine(provider_id=r.provider_id, kind="review", description="講座", unit_amount=35000, payment_request=r)
        for r in requests
    )  # fmt: skip
    now = timezone.now()
    states = ((1, "submitted"), (2, "submitted"), (3, "submitted"), (4, "certified"))
    ExemptionCourse.objects.bulk_create(
        ExemptionCourse(provider=p, serial=s, course_type="NONE_IPA", state=state, name=f"講座{s}",
                        desired_month=D(2025, 10, 1), total_hours=100, submitted_at=now)
        for p in rows for s, state in states
    )  # fmt: skip
    DeliveryCourse.objects.bulk_create(
        DeliveryCourse(course=c, serial=1, name="実施講座", prefecture="東京都", address="文京区",
                       expected_learners=10, start_date=D(2025, 10, 1), end_date=D(2025, 12, 1),
                       instructors="講師名：情報 太郎", state="submitted", submitted_at=now)
        for c in ExemptionCourse.objects.filter(state="certified", provider__in=rows)
    )  # fmt: skip
    User = UserFactory._meta.model
    users = User.objects.bulk_create(
        User(email=f"r{n}@example.jp", is_active=False) for n in numbers
    )
    users = list(User.objects.filter(email__in=[u.email for u in users]))
    Registration.objects.bulk_create(
        Registration(**registration_values(contact_email=u.email), applicant=u, access_token_hash=f"h{u.pk}",
                     submitted_at=now)
        for u in users
    )  # fmt: skip
    return providers * 10
