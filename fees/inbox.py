"""The fees app's items in IPA's inbox (portal.inbox, W2): 入金確認依頼票
waiting for the confirmation (F3), confirmed in a batch with one date; W7:
a problem fee paid after the application close is flagged."""

import datetime

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.urls import reverse

from portal import inbox

from . import rules, services
from .models import FeeKind, FeeLine, PaymentRequest

LATE_PAYMENT = "申込み締切後の入金"


def _problem_applications(payment):
    return [
        line.exam_application
        for line in payment.lines.all()
        if line.kind == FeeKind.PROBLEM and getattr(line, "exam_application", None) is not None
    ]


def _due(payment):
    return rules.payment_confirmation_due(
        [
            a.session.problems_delivered_on or a.session.exam_date
            for a in _problem_applications(payment)
        ]
    )


def _flags(payment):
    late = any(
        rules.payment_is_late(payment.payment_date, a.session.application_closes_at)
        for a in _problem_applications(payment)
    )
    return [LATE_PAYMENT] if late else []


def _title(payment):
    total = sum(line.amount for line in payment.lines.all())
    return f"入金日 {payment.payment_date:%Y/%m/%d}　{len(payment.lines.all())}件　{total:,}円"


def _confirm(pk, actor, data):
    on = data.get("date")
    if not isinstance(on, datetime.date):
        raise ValidationError("「入金確認日」を入力してください。")
    services.confirm_payment(pk, actor, on)


def _queryset():
    lines = FeeLine.objects.select_related("exam_application__session").order_by("created_at", "id")
    return (
        PaymentRequest.objects.filter(confirmed_on__isnull=True, returned_on__isnull=True)
        .select_related("provider")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("request_date", "pk")
    )


inbox.register_source(
    inbox.InboxSource(
        kind="payment",
        label="入金確認依頼票",
        order=40,
        queryset=_queryset,
        due=_due,
        due_note="修了試験問題の提供日まで（問題提供料を含む場合）",
        url=lambda p: reverse("review_payments") + f"#payment-{p.pk}",
        provider=lambda p: (p.provider.number, p.provider.name),
        title=_title,
        number=lambda p: f"#{p.pk}",
        state=lambda p: p.status_label,
        submitted=lambda p: p.request_date,
        flags=_flags,
        batch=inbox.BatchAction(
            "選んだ依頼票の入金をまとめて確認する",
            run=_confirm,
            done="入金を確認しました",
            date_label="入金確認日",
        ),
    )
)
