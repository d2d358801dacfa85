"""fees offers what the other apps need and writes none of their fields
(Issue 8, layers): ``charge`` and ``is_paid``; a confirmed payment is told
through ``fees.signals.payment_confirmed``, and courses records the course's
入金確認日 through its own service, with history and an audit entry (F3)."""

import datetime

import pytest

from courses import services as course_services
from courses.models import ExemptionCourse
from fees import services as fee_services
from fees.models import FeeKind, FeeLine
from fees.signals import payment_confirmed
from portal.models import AuditEntry

from .course_factories import complete_course

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 8, 20)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


def _pay(provider, staff, lines):
    return fee_services.create_payment_request(
        provider, staff, [line.pk for line in lines],
        {"payment_date": TODAY, "bank": "三菱UFJ銀行 本店", "payer_name_kana": "20001エーガクエン"},
    )  # fmt: skip


def test_f1_charge_makes_one_line_at_the_amount_in_force(provider_a):
    line = fee_services.charge(
        provider_a, FeeKind.PROBLEM, description="修了試験", on=TODAY, quantity=3
    )
    assert (line.kind, line.unit_amount, line.amount) == ("problem", 2000, 6000)
    assert fee_services.unit_amount(FeeKind.REVIEW, TODAY) == 35000
    with pytest.raises(LookupError):
        fee_services.charge(
            provider_a, FeeKind.REVIEW, description="x", on=datetime.date(2000, 1, 1)
        )


def test_f3_confirmed_review_fee_is_recorded_by_courses_with_history_and_audit(
    provider_a, staff_a, reviewer
):
    course = complete_course(provider_a, staff_a)
    course_services.submit_course(course.pk, staff_a)
    line = FeeLine.objects.get(course=course)
    assert not fee_services.is_paid(course) and not fee_services.is_paid(line)
    heard = []

    def listener(sender, **kwargs):
        heard.append((kwargs["request"].pk, [x.pk for x in kwargs["lines"]], kwargs["on"]))

    payment_confirmed.connect(listener)
    try:
        request = _pay(provider_a, staff_a, [line])
        history_before = course.history.count()
        fee_services.confirm_payment(request.pk, reviewer, TODAY)
    finally:
        payment_confirmed.disconnect(listener)
    assert heard == [(request.pk, [line.pk], TODAY)]
    course = ExemptionCourse.objects.get(pk=course.pk)
    assert course.payment_confirmed_on == TODAY
    line.refresh_from_db()
    assert fee_services.is_paid(course) and fee_services.is_paid(line)
    assert course.history.count() == history_before + 1
    assert course.history.first().payment_confirmed_on == TODAY
    entry = AuditEntry.objects.filter(action="course.payment_confirm").get()
    assert (entry.object_id, entry.actor) == (str(course.pk), reviewer)
    assert entry.changes == {"payment_confirmed_on": [None, TODAY.isoformat()]}


def test_f3_a_receiver_error_undoes_the_confirmation(provider_a, staff_a, reviewer):
    course = complete_course(provider_a, staff_a)
    course_services.submit_course(course.pk, staff_a)
    request = _pay(provider_a, staff_a, [FeeLine.objects.get(course=course)])

    def broken(sender, **kwargs):
        raise RuntimeError("receiver failed")

    payment_confirmed.connect(broken)
    try:
        with pytest.raises(RuntimeError):
            fee_services.confirm_payment(request.pk, reviewer, TODAY)
    finally:
        payment_confirmed.disconnect(broken)
    request.refresh_from_db()
    assert request.confirmed_on is None
    assert ExemptionCourse.objects.get(pk=course.pk).payment_confirmed_on is None
