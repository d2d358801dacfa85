"""Fees as the other apps use them: :func:`charge` (a fee line, F1),
:func:`is_paid`, payment requests (入金確認依頼票, F2) and payment confirmation
(F3), whose consequences the charging apps hear through
``fees.signals.payment_confirmed``. Which unpaid lines nothing could ever
close (C9/E2) the charging apps say through :func:`register_orphans`."""

import datetime
from collections.abc import Callable, Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from portal import audit
from portal.isolation import owns
from portal.roles import require_reviewer
from providers.services import require_active

from . import rules
from .models import FeeKind, FeeLine, FeeSchedule, PaymentRequest
from .signals import payment_confirmed


def unit_amount(kind: str, on: datetime.date) -> int:
    """F1: the amount of ``kind`` in force on ``on`` (LookupError when the
    fee schedule has none)."""
    return rules.fee_amount(FeeSchedule.objects.all(), kind, on)


def charge(
    provider,
    kind: str,
    *,
    description: str,
    on: datetime.date,
    quantity: int = 1,
    course=None,
) -> FeeLine:
    """F1: one fee owed by ``provider``, at the amount in force on ``on``
    (never refunded; cancelled only while on no 入金確認依頼票, C9)."""
    return FeeLine.objects.create(
        provider=provider,
        kind=kind,
        description=description,
        unit_amount=unit_amount(kind, on),
        quantity=quantity,
        course=course,
    )


def is_paid(obj) -> bool:
    """Whether IPA confirmed the payment of ``obj``: a FeeLine, or an object
    with its fee line (``fee_line``) or lines (``fee_lines``). Cancelled lines
    are owed no more; an object with nothing owed is not paid."""
    if isinstance(obj, FeeLine):
        lines = [obj]
    elif hasattr(obj, "fee_lines"):
        lines = list(obj.fee_lines.select_related("payment_request"))
    else:
        line = getattr(obj, "fee_line", None)
        lines = [line] if line is not None else []
    owed = [line for line in lines if line.cancelled_on is None]
    return bool(owed) and all(
        line.payment_request_id is not None and line.payment_request.confirmed_on is not None
        for line in owed
    )


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
            FeeLine.objects.select_for_update(of=("self",))
            .unpaid()
            .filter(pk__in=line_ids, provider=provider)
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
        if request.returned_on is not None:
            raise ValidationError(
                {
                    "confirmed_on": "この依頼票は差し戻し済みです。新しい入金確認依頼票で確認してください。"
                }
            )
        if request.payment_date and on < request.payment_date:
            raise ValidationError(
                {
                    "confirmed_on": "「入金確認日」は依頼票の入金日"
                    f"（{request.payment_date:%Y年%-m月%-d日}）以降の日付にしてください。"
                }
            )
        request.confirmed_on = on
        request.confirmed_by = reviewer
        request.save(update_fields=["confirmed_on", "confirmed_by"])
        audit.record(
            "payment.confirm", request, actor=reviewer, changes={"confirmed_on": [None, on]}
        )
        # The apps that charged the lines record what the payment means for
        # them (courses: the course's 入金確認日), inside this transaction.
        payment_confirmed.send(
            sender=PaymentRequest,
            request=request,
            lines=list(request.lines.order_by("created_at", "id")),
            on=on,
            actor=reviewer,
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
        cancelled = list(lines.select_for_update(of=("self",)).unpaid())
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


def mark_refundable(
    lines, reason: str, actor=None, on: datetime.date | None = None
) -> list[FeeLine]:
    """E2 (M§5.7 (11)): the only refund the scheme knows. METI/IPA cancelled
    the exam the lines of ``lines`` (a FeeLine queryset) were for: each line
    on a 入金確認依頼票 (paid, or waiting for IPA's confirmation) becomes
    refundable (返金対象) with ``reason``; lines never put on a form are not
    touched (the caller cancels them, :func:`cancel_unpaid`). A line already
    marked stays as it was. Call inside the caller's transaction; returns the
    marked lines."""
    reason = (reason or "").strip()[:200]
    on = on or timezone.localdate()
    with transaction.atomic():
        marked = list(
            lines.select_for_update(of=("self",)).filter(
                payment_request__isnull=False,
                cancelled_on__isnull=True,
                refundable_since__isnull=True,
            )
        )
        for line in marked:
            line.refundable_since = on
            line.refund_reason = reason
            line.save(update_fields=["refundable_since", "refund_reason"])
            audit.record(
                "fee_line.refundable",
                line,
                actor=actor,
                changes={"refundable_since": [None, on]},
                note=f"{line.get_kind_display()}（{line.description}、{line.amount:,}円）を返金対象にしました。{reason}",
            )
    return marked


def return_payment_request(
    request_pk: int, reviewer, reason: str, on: datetime.date | None = None
) -> PaymentRequest:
    """F3 (M§5.2 (13), M§5.7 (11), 別紙13): IPA cannot match the 入金確認依頼票
    with money received (入金を確認できません). The form stays in the history,
    marked 差し戻し with the reason and the lines it named; those lines are
    owed again (未払い), so the provider can pay and file a new form, or
    delete/withdraw what they were for (which cancels them, C9). A line whose
    purpose is already gone (course deleted or withdrawn, exam date passed)
    is cancelled at once: nothing could ever close it otherwise. The provider
    is told by e-mail."""
    from portal import notify

    require_reviewer(reviewer)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"return_reason": "「差し戻し理由」を入力してください。"})
    if len(reason) > 200:
        raise ValidationError(
            {"return_reason": "「差し戻し理由」は200文字以内で入力してください。"}
        )
    on = on or timezone.localdate()
    with transaction.atomic():
        request = (
            PaymentRequest.objects.select_for_update(of=("self",))
            .select_related("provider", "created_by")
            .get(pk=request_pk)
        )
        if request.confirmed_on is not None:
            raise ValidationError(
                {
                    "return_reason": "入金を確認済みの依頼票は差し戻せません（手数料は返金されません）。"
                }
            )
        if request.returned_on is not None:
            raise ValidationError({"return_reason": "この依頼票は既に差し戻し済みです。"})
        lines = list(request.lines.select_for_update().order_by("created_at", "id"))
        request.returned_on = on
        request.returned_by = reviewer
        request.return_reason = reason
        request.save(update_fields=["returned_on", "returned_by", "return_reason"])
        request.returned_lines.set(lines)
        FeeLine.objects.filter(pk__in=[line.pk for line in lines]).update(payment_request=None)
        audit.record(
            "payment_request.return",
            request,
            actor=reviewer,
            changes={"returned_on": [None, on]},
            note=reason,
        )
        cancelled = cancel_orphaned(
            FeeLine.objects.filter(pk__in=[line.pk for line in lines]), on, reviewer
        )
        gone = {line.pk for line in cancelled}
        provider = request.provider
        recipients = [provider.contact_email]
        if request.created_by and request.created_by.email != provider.contact_email:
            recipients.append(request.created_by.email)
        notify.send_on_commit(
            "payment_request_returned",
            {
                "payment": request,
                "provider": provider,
                "reason": reason,
                "owed": [line for line in lines if line.pk not in gone],
                "cancelled": cancelled,
            },  # fmt: skip
            recipients,
        )
    return request


# C9/E2: what each kind of line is for lives in the app that charges it. That
# app registers, for its kind, ``find(unpaid_lines, today)`` giving
# (lines, reason) pairs: the unpaid lines nothing could ever close, and why.
Orphans = Callable[[object, datetime.date], Iterable[tuple[object, str]]]
_ORPHANS: dict[str, Orphans] = {}


def register_orphans(kind: str, find: Orphans) -> None:
    _ORPHANS[kind] = find


def cancel_orphaned(lines, today: datetime.date, actor=None) -> list[FeeLine]:
    """C9/E2: cancel the unpaid lines of ``lines`` that nothing could ever close:
    a review fee of a course deleted or withdrawn (M§5.3), a problem fee of an
    exam whose date has passed (M§5.7: the fee is due by the close; IPA may
    still accept a late payment until the exam, never after) — as the
    charging apps tell (:func:`register_orphans`)."""
    cancelled = []
    unpaid = lines.unpaid()
    for kind in FeeKind.values:
        find = _ORPHANS.get(kind)
        if find is None:
            continue
        for orphans, reason in find(unpaid.filter(kind=kind), today):
            cancelled += cancel_unpaid(orphans, reason, actor=actor, on=today)
    return cancelled


def cancel_lapsed_problem_fees(today: datetime.date) -> list[int]:
    """E2 (M§5.7): the daily task. The problem fee is due (着金) by the
    application close; after it the line stays open, because IPA may still
    accept a late payment (the application then waits for IPA's decision
    before problems are provided). Once the exam date has passed without any
    入金確認依頼票, nothing can be provided any more: the line is cancelled.
    A line on a form waits for IPA to confirm or return the form."""
    lines = FeeLine.objects.filter(kind=FeeKind.PROBLEM)
    return [line.pk for line in cancel_orphaned(lines, today)]


# --- F4/I3 (M§14): qualified invoices and receipts --------------------------------
#
# When a receipt may be issued for a paid line depends on what the line was
# for, which the charging app knows: courses/certifications tell the day the
# course's certificate was issued (review fee), exams the day the problems
# were delivered (problem fee). Each registers, for its kind, a label naming
# that day and ``find(lines)`` giving {line pk: day or None}.
ReceiptDays = Callable[[list], dict[int, datetime.date | None]]
_RECEIPT_DAYS: dict[str, tuple[str, ReceiptDays]] = {}


def register_receipt_day(kind: str, label: str, find: ReceiptDays) -> None:
    _RECEIPT_DAYS[kind] = (label, find)


def receipt_days(lines) -> dict[int, tuple[datetime.date | None, str]]:
    """{line pk: (the day from which a receipt may be issued, what that day is)}."""
    days = {}
    for kind in FeeKind.values:
        label, find = _RECEIPT_DAYS.get(kind, ("発行可能日", lambda lines: {}))
        of_kind = [line for line in lines if line.kind == kind]
        if not of_kind:
            continue
        found = find(of_kind)
        for line in of_kind:
            days[line.pk] = (found.get(line.pk), label)
    return days


def document_problems(kind: str, lines, today: datetime.date) -> list[str]:
    """F4: why each of ``lines`` (with their payment_request loaded) cannot be
    on a document of ``kind`` today; empty when all can."""
    from .models import FeeDocumentKind

    problems = []
    days = receipt_days(lines) if kind == FeeDocumentKind.RECEIPT else {}
    for line in lines:
        request = line.payment_request
        if kind == FeeDocumentKind.INVOICE:
            problem = rules.invoice_problem(
                description=line.description,
                cancelled=line.cancelled_on is not None,
                paid_on=line.paid_on,
                payment_date=request.payment_date if request else None,
                today=today,
            )
        else:
            available_from, label = days.get(line.pk, (None, "発行可能日"))
            problem = rules.receipt_problem(
                description=line.description,
                cancelled=line.cancelled_on is not None,
                refundable=line.is_refundable,
                paid_on=line.paid_on,
                available_from=available_from,
                available_label=label,
                today=today,
            )
        if problem:
            problems.append(problem)
    return problems


def _next_document_number(kind: str, year: int) -> str:
    from .models import FeeDocumentCounter

    counter, _ = FeeDocumentCounter.objects.select_for_update().get_or_create(kind=kind, year=year)
    counter.last_serial += 1
    counter.save(update_fields=["last_serial"])
    return rules.document_number(kind, year, counter.last_serial)


def issue_document(provider, user, kind: str, line_ids: list[int], addressee: str, today=None):
    """F4/I3: issue a qualified invoice (before payment) or a receipt (after
    the certificate / the problems' delivery, within one year) for the
    provider's chosen lines, addressed to ``addressee``. The PDF is stored as
    issued; the issue is audited."""
    import hashlib

    from .invoices import document_data, render_document
    from .models import FeeDocument, FeeDocumentKind

    if not owns(user, provider):
        raise PermissionDenied("この講座開設者の請求書・領収書は発行できません。")
    if kind not in FeeDocumentKind.values:
        raise ValidationError({"kind": "「種類」で請求書か領収書かを選んでください。"})
    addressee = (addressee or "").strip()
    problem = rules.addressee_problem(addressee)
    if problem:
        raise ValidationError({"addressee": problem})
    today = today or timezone.localdate()
    with transaction.atomic():
        lines = list(
            FeeLine.objects.select_for_update(of=("self",))
            .select_related("payment_request")
            .filter(pk__in=line_ids, provider=provider)
            .order_by("created_at", "id")
        )
        if not lines or len(lines) != len(set(line_ids)):
            raise ValidationError(
                {"lines": "請求書・領収書に載せる手数料を1つ以上選んでください。"}
            )
        problems = document_problems(kind, lines, today)
        if problems:
            raise ValidationError({"lines": problems})
        number = _next_document_number(kind, today.year)
        total = sum(line.amount for line in lines)
        document = FeeDocument(
            provider=provider,
            kind=kind,
            number=number,
            issued_on=today,
            addressee=addressee,
            total=total,
            tax=rules.consumption_tax_included(total),
            issued_by=user,
        )
        document.data = document_data(document, lines)
        document.content = render_document(document.data)
        document.checksum = hashlib.sha256(document.content).hexdigest()
        document.filename = f"{number}.pdf"
        document.save()
        document.lines.set(lines)
        audit.record(
            f"fee_document.{kind}",
            document,
            actor=user,
            note=f"{document.number} 宛名：{addressee} {len(lines)}件 {total:,}円",
        )
    return document


def record_document_download(document, user) -> None:
    """I3: every download of an issued invoice or receipt is audited."""
    audit.record("fee_document.download", document, actor=user, note=document.number)
