"""Payment requests (入金確認依頼票, F2) and payment confirmation (F3)."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from portal import audit
from portal.isolation import owns
from portal.roles import require_reviewer
from providers.services import require_active

from . import rules
from .models import FeeKind, FeeLine, PaymentRequest


def create_payment_request(provider, user, line_ids: list[int], values: dict) -> PaymentRequest:
    """F2: one form for the unpaid lines the provider selects."""
    if not owns(user, provider):
        raise PermissionDenied("この講座開設者の入金確認依頼票は作成できません。")
    require_active(provider)
    problem = rules.payer_name_problem(values.get("payer_name_kana", ""), provider.number)
    if problem:
        raise ValidationError({"payer_name_kana": problem})
    with transaction.atomic():
        lines = list(
            FeeLine.objects.select_for_update().unpaid().filter(pk__in=line_ids, provider=provider)
        )
        if not lines or len(lines) != len(set(line_ids)):
            raise ValidationError({"lines": "未払いの手数料を1つ以上選んでください。"})
        if sum(line.kind == FeeKind.REVIEW for line in lines) > rules.MAX_REVIEW_LINES:
            raise ValidationError(
                {"lines": f"講座認定審査手数料は1枚の依頼票に{rules.MAX_REVIEW_LINES}件までです。"}
            )
        request = PaymentRequest(provider=provider, created_by=user, **values)
        request.full_clean()
        request.save()
        FeeLine.objects.filter(pk__in=[line.pk for line in lines]).update(payment_request=request)
        audit.record("payment_request.create", request, actor=user, note=f"{len(lines)}件")
    return request


def confirm_payment(request_pk: int, reviewer, on: datetime.date) -> PaymentRequest:
    """F3: IPA records the confirmed date; the courses paid for may be reviewed."""
    require_reviewer(reviewer)
    if on > timezone.localdate():
        raise ValidationError({"confirmed_on": "「入金確認日」に未来の日付は入力できません。"})
    with transaction.atomic():
        request = PaymentRequest.objects.select_for_update().get(pk=request_pk)
        if request.confirmed_on is not None:
            raise ValidationError({"confirmed_on": "この依頼票の入金は既に確認済みです。"})
        request.confirmed_on = on
        request.confirmed_by = reviewer
        request.save(update_fields=["confirmed_on", "confirmed_by"])
        from courses.models import ExemptionCourse

        course_ids = request.lines.filter(kind=FeeKind.REVIEW).values_list("course_id", flat=True)
        ExemptionCourse.objects.filter(pk__in=course_ids, payment_confirmed_on__isnull=True).update(
            payment_confirmed_on=on
        )
        audit.record(
            "payment.confirm", request, actor=reviewer, changes={"confirmed_on": [None, on]}
        )
    return request


def cancel_unpaid(lines, reason: str, actor=None, on: datetime.date | None = None) -> list[FeeLine]:
    """C9 (M§5.3): cancel (取消) the lines of ``lines`` (a FeeLine queryset) that
    were never put on a 入金確認依頼票, because what they were for was deleted
    or withdrawn. A line on a 入金確認依頼票 may have been paid: it is never
    cancelled nor refunded and stays in the history as it is. Call inside the
    caller's transaction; returns the cancelled lines."""
    on = on or timezone.localdate()
    with transaction.atomic():
        cancelled = list(lines.select_for_update().unpaid())
        for line in cancelled:
            line.cancelled_on = on
            line.cancel_reason = reason
            line.save(update_fields=["cancelled_on", "cancel_reason"])
            audit.record(
                "fee_line.cancel",
                line,
                actor=actor,
                changes={"cancelled_on": [None, on]},
                note=f"{line.get_kind_display()}（{line.description}、{line.amount:,}円）を取り消しました。{reason}",
            )
    return cancelled
