"""The fees app's items in IPA's inbox (portal.inbox, W2): 入金確認依頼票
waiting for the confirmation (F3), confirmed in a batch with one date; W7:
a problem fee paid after the application close is flagged."""

import datetime

from django.core.exceptions import ValidationError
from django.db.models import F, Min, Prefetch, Q
from django.db.models.functions import Coalesce
from django.urls import reverse

from portal import inbox

from . import rules, services
from .models import FeeKind, FeeLine, PaymentRequest

LATE_PAYMENT = "申込み締切後の入金"


PROBLEM = Q(lines__kind=FeeKind.PROBLEM)
SESSION = "lines__exam_application__session__"


def _summary(queryset):
    """Per form: the earliest problem delivery and application close of the
    exams its problem fees are for (none for review fees only)."""
    return queryset.annotate(
        first_delivery=Min(
            Coalesce(F(SESSION + "problems_delivered_on"), F(SESSION + "exam_date")), filter=PROBLEM
        ),
        first_close=Min(F(SESSION + "application_closes_at"), filter=PROBLEM),
    ).values(
        "pk", "payment_date", "request_date", "first_delivery", "first_close",
        provider_number=F("provider__number"), provider_name=F("provider__name"),
    )  # fmt: skip


def _flags(row):
    return [LATE_PAYMENT] if rules.payment_is_late(row["payment_date"], row["first_close"]) else []


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
        summary=_summary,
        due=lambda row: rules.payment_confirmation_due([row["first_delivery"]]),
        due_note="修了試験問題の提供日まで（問題提供料を含む場合）",
        url=lambda p: reverse("review_payments") + f"#payment-{p.pk}",
        title=_title,
        number=lambda p: f"#{p.pk}",
        state=lambda row: PaymentRequest.OPEN_LABEL,
        submitted=lambda row: row["request_date"],
        flags=_flags,
        batch=inbox.BatchAction(
            "選んだ依頼票の入金をまとめて確認する",
            run=_confirm,
            done="入金を確認しました",
            date_label="入金確認日",
        ),
    )
)
