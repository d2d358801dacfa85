import datetime
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Prefetch, Q, Sum, TextChoices
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from portal import documents
from portal.decorators import role_required
from portal.forms import FAILED, JapaneseErrorsMixin, attempt, bounded_formfield
from portal.isolation import get_for_user_or_404, provider_of
from portal.roles import is_ipa_staff, is_provider_staff, is_reviewer

from . import rules, services
from .models import FeeDocument, FeeDocumentKind, FeeKind, FeeLine, PaymentRequest


class PaymentRequestForm(JapaneseErrorsMixin, forms.ModelForm):
    class Meta:
        formfield_callback = bounded_formfield  # issue 11: column bounds
        model = PaymentRequest
        fields = [
            "payment_date",
            "bank",
            "payer_name_kana",
            "transfers",
            "contact_name",
            "contact_department",
            "contact_tel",
            "note",
        ]
        widgets = {
            "payment_date": forms.DateInput(attrs={"type": "date"}),
            "note": forms.Textarea(attrs={"rows": 2}),
        }


@role_required(is_provider_staff)
def fee_list(request):
    """Unpaid fees, the 入金確認依頼票 form (F2) and IPA's bank account (F5)."""
    provider = provider_of(request.user)
    returned = Prefetch(
        "returned_requests", queryset=PaymentRequest.objects.order_by("-returned_on", "-pk")
    )
    unpaid = list(
        FeeLine.objects.for_user(request.user, own=True)
        .unpaid()
        .select_related("course", "exam_application__session")
        .prefetch_related(returned)
    )
    now = timezone.now()
    for line in unpaid:
        line.notes = _unpaid_notes(line, now)
    initial = {
        "payer_name_kana": f"{provider.number}{provider.name_kana.replace(chr(0x3000), '')}",
        "transfers": 1,
    }
    form = PaymentRequestForm(request.POST or None, initial=initial)
    selected = [int(x) for x in request.POST.getlist("lines") if x.isdigit()]
    if request.method == "POST" and form.is_valid():
        payment = attempt(
            request,
            lambda: services.create_payment_request(
                provider, request.user, selected, form.cleaned_data
            ),
            form=form,
            success="入金確認依頼票を作成しました。ダウンロードして内容を確認してください。",
        )
        if payment is not FAILED:
            return redirect("payment_request_detail", pk=payment.pk)
    requests = list(
        PaymentRequest.objects.for_user(request.user, own=True)
        .annotate(n_lines=Count("lines"), total=Sum(F("lines__unit_amount") * F("lines__quantity")))
        .prefetch_related("returned_lines")
        .order_by("-request_date", "-pk")
    )
    for r in requests:
        if r.returned_on:  # a returned form keeps the lines it named
            r.n_lines = len(r.returned_lines.all())
            r.total = sum(line.amount for line in r.returned_lines.all())
    # The fee history: every line, paid, waiting, unpaid or cancelled (取消).
    history = Paginator(
        FeeLine.objects.for_user(request.user, own=True)
        .select_related("payment_request")
        .prefetch_related(returned)
        .order_by("-created_at", "-pk"),
        50,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "fees/fee_list.html",
        {"unpaid": unpaid, "form": form, "selected": selected, "requests": requests,
         "bank": rules.IPA_BANK_ACCOUNT, "provider": provider, "history": history},
    )  # fmt: skip


def _unpaid_notes(line, now) -> list[str]:
    """Why an unpaid line is in that state and what happens next: a returned
    入金確認依頼票 (F3) and, for a problem fee, the application close (E2,
    M§5.7: the fee is due by the close; IPA may accept a late payment until
    the exam date, after which the unpaid fee is cancelled)."""
    notes = [
        f"入金確認依頼票 #{r.pk} は{r.returned_on:%Y/%m/%d}に差し戻されました（入金を確認できません）：{r.return_reason}"
        for r in line.returned_requests.all()
    ]
    application = getattr(line, "exam_application", None)
    closes = application.session.application_closes_at if application else None
    if closes is not None and now >= closes:
        exam = application.session.exam_date
        notes.append(
            f"申込み締切（{timezone.localtime(closes):%Y/%m/%d %H:%M}）を過ぎています。"
            "締切後の入金は、IPAが認めた場合に限り問題が提供されます。"
            f"修了試験日（{exam:%Y/%m/%d}）までに入金確認依頼票の作成がない場合は取り消されます。"
        )
    return notes


@role_required(is_provider_staff)
def payment_request_detail(request, pk: int):
    payment = get_for_user_or_404(
        PaymentRequest.objects.select_related("provider"), request.user, pk=pk
    )
    return render(
        request,
        "fees/payment_request_detail.html",
        {"payment": payment, "bank": rules.IPA_BANK_ACCOUNT,
         "lines": (payment.returned_lines if payment.returned_on else payment.lines).select_related("course"),
         "documents": documents.panel(request.user, payment, ["nyukin_irai"])},
    )  # fmt: skip


class PaymentTab(TextChoices):
    """The tabs of the reviewer's payment queue (not a filing's state)."""

    OPEN = "open", "確認待ち"
    CONFIRMED = "confirmed", "確認済み"
    RETURNED = "returned", "差し戻し"
    # E2: forms with a problem fee of an exam METI/IPA cancelled (返金対象).
    REFUND = "refund", "返金対象（試験中止）"
    ALL = "all", "すべて"


PAYMENT_STATUSES = tuple(PaymentTab.values)


def _purposes(payment) -> list[dict]:
    """What a payment is for, from its prefetched lines (別紙13): each review fee
    with its course, the problem fees with their exam and applicants."""
    rows = []
    lines = payment.returned_lines.all() if payment.returned_on else payment.lines.all()
    for line in lines:
        late = ""
        # E2: a paid problem fee of a cancelled exam is to be refunded.
        refund = {"refund": line.refund_note,
                  "refund_label": line.REFUNDABLE_LABEL if line.is_refundable else "入金確認後に返金対象"}  # fmt: skip
        if line.kind == FeeKind.REVIEW and line.course is not None:
            rows.append({"kind": line.get_kind_display(), "course": line.course,
                         "text": f"{line.course.number} {line.course.name}", "amount": line.amount,
                         **refund})  # fmt: skip
            continue
        application = getattr(line, "exam_application", None)
        if line.kind == FeeKind.PROBLEM and application is not None:
            text = (
                f"{application.session.exam_date:%Y/%m/%d}の修了試験　"
                f"{application.delivery_course.number} {application.delivery_course.name}　"
                f"応募者{line.quantity:,}名"
            )
            # E2/W7: the fee is due by the close; a later payment date needs
            # IPA's decision before problems are provided (M§5.7).
            closes = application.session.application_closes_at
            if rules.payment_is_late(payment.payment_date, closes):
                late = (
                    f"入金日が申込み締切（{timezone.localtime(closes):%Y/%m/%d %H:%M}）より後です"
                )
        else:
            text = line.description
        rows.append({"kind": line.get_kind_display(), "course": None, "text": text,
                     "amount": line.amount, "late": late, **refund})  # fmt: skip
    return rows


def _review_payments_page(request, status: str, page_number, refused=None, field="confirmed_on"):
    """The reviewer's queue; ``refused`` = (payment pk, typed value, message)
    re-shows a refused confirmation (``field`` "confirmed_on") or return
    ("return_reason") beside its field, with what was typed."""
    from django.contrib.contenttypes.models import ContentType

    from portal.models import GeneratedDocument

    lines = FeeLine.objects.select_related(
        "course__provider",
        "exam_application__session",
        "exam_application__delivery_course__course__provider",
    ).order_by("created_at", "id")
    payments = (
        PaymentRequest.objects.select_related("provider")
        .annotate(
            n_lines=Count("lines"),
            total=Sum(F("lines__unit_amount") * F("lines__quantity")),
            applicants=Sum("lines__quantity", filter=Q(lines__kind=FeeKind.PROBLEM)),
        )
        .prefetch_related(
            Prefetch("lines", queryset=lines), Prefetch("returned_lines", queryset=lines)
        )
    )
    if status == PaymentTab.OPEN:
        payments = payments.filter(confirmed_on__isnull=True, returned_on__isnull=True)
    elif status == PaymentTab.CONFIRMED:
        payments = payments.filter(confirmed_on__isnull=False)
    elif status == PaymentTab.RETURNED:
        payments = payments.filter(returned_on__isnull=False)
    elif status == PaymentTab.REFUND:
        flagged = FeeLine.objects.filter(
            refundable_since__isnull=False, cancelled_on__isnull=True
        ).values("payment_request")
        payments = payments.filter(pk__in=flagged)
    page = Paginator(payments.order_by("payment_date", "pk"), 50).get_page(page_number)
    rows = list(page.object_list)
    # The latest 入金確認依頼票 file of each row, in one query.
    latest = {}
    files = GeneratedDocument.objects.filter(
        content_type=ContentType.objects.get_for_model(PaymentRequest),
        object_id__in=[str(p.pk) for p in rows],
        doc_type="nyukin_irai",
    ).defer("content")
    for generated in files.order_by("requested_at", "pk"):
        latest[generated.object_id] = generated
    for p in rows:
        p.purposes = _purposes(p)
        if p.returned_on:
            p.n_lines = len(p.purposes)
            p.total = sum(row["amount"] for row in p.purposes)
            p.applicants = sum(line.quantity for line in p.returned_lines.all()
                               if line.kind == FeeKind.PROBLEM)  # fmt: skip
        p.document = latest.get(str(p.pk))
        p.typed, p.refusal, p.typed_reason, p.return_refusal = "", "", "", ""
        if refused and refused[0] == p.pk:
            if field == "return_reason":
                p.typed_reason, p.return_refusal = refused[1], refused[2]
            else:
                p.typed, p.refusal = refused[1], refused[2]
    page.object_list = rows
    return render(
        request,
        "fees/review_payments.html",
        {"page": page, "status": status, "tabs": PaymentTab.choices,
         "can_decide": is_reviewer(request.user),
         "today": timezone.localdate(), "refused": refused, "refused_field": field},
    )  # fmt: skip


@role_required(is_ipa_staff)
def review_payments(request):
    status = request.GET.get("status", PaymentTab.OPEN)
    if status not in PAYMENT_STATUSES:
        status = PaymentTab.OPEN
    return _review_payments_page(request, status, request.GET.get("page"))


@require_POST
@role_required(is_reviewer)
def review_payment_confirm(request, pk: int):
    """F3: the reviewer records the day IPA saw the money. A missing, malformed
    or future date is refused beside the field, keeping what was typed."""
    payment = get_object_or_404(PaymentRequest, pk=pk)
    status = request.POST.get("status", PaymentTab.OPEN)
    if status not in PAYMENT_STATUSES:
        status = PaymentTab.OPEN
    page_number = request.POST.get("page") or None
    typed = (request.POST.get("confirmed_on") or "").strip()
    try:
        if not typed:
            raise ValidationError("「入金確認日」を入力してください。")
        try:
            on = datetime.date.fromisoformat(typed)
        except ValueError:
            raise ValidationError(
                "「入金確認日」は日付（例：2026-04-01）で入力してください。"
            ) from None
        services.confirm_payment(payment.pk, request.user, on)
    except (ValidationError, PermissionDenied) as exc:
        message = " ".join(getattr(exc, "messages", [str(exc)]))
        return _review_payments_page(request, status, page_number, (payment.pk, typed, message))
    messages.success(
        request, f"入金確認依頼票 #{payment.pk} の入金を {on:%Y年%-m月%-d日} 付で確認しました。"
    )
    query = {"status": status, **({"page": page_number} if page_number else {})}
    return redirect(reverse("review_payments") + "?" + urlencode(query))


@require_POST
@role_required(is_reviewer)
def review_payment_return(request, pk: int):
    """F3: 入金を確認できません — the reviewer returns a form IPA cannot match
    with money received, with a reason; its fees are owed again (未払い)."""
    payment = get_object_or_404(PaymentRequest, pk=pk)
    status = request.POST.get("status", PaymentTab.OPEN)
    if status not in PAYMENT_STATUSES:
        status = PaymentTab.OPEN
    page_number = request.POST.get("page") or None
    typed = (request.POST.get("return_reason") or "").strip()
    try:
        services.return_payment_request(payment.pk, request.user, typed)
    except (ValidationError, PermissionDenied) as exc:
        message = " ".join(getattr(exc, "messages", [str(exc)]))
        return _review_payments_page(
            request, status, page_number, (payment.pk, typed, message), field="return_reason"
        )
    messages.success(
        request,
        f"入金確認依頼票 #{payment.pk} を差し戻しました。手数料は未払いに戻り、"
        "講座開設者にメールで知らせました。",
    )
    query = {"status": status, **({"page": page_number} if page_number else {})}
    return redirect(reverse("review_payments") + "?" + urlencode(query))


# --- I1/I2: the fee history; F4/I3: invoices and receipts ------------------------------


class FeeDocumentForm(JapaneseErrorsMixin, forms.Form):
    kind = forms.ChoiceField(
        label="種類",
        choices=FeeDocumentKind.choices,
        widget=forms.RadioSelect,
        help_text="請求書は入金前に限り、領収書は入金確認後（審査手数料は認定証の発行後、"
        "問題提供料は修了試験問題の提供後）1年以内に発行できます。",
    )
    addressee = forms.CharField(
        label="宛名", max_length=rules.MAX_ADDRESSEE, help_text="「御中」は自動で付きます。"
    )


def _fee_history_page(request, form, selected, status=200):
    provider = provider_of(request.user)
    documents_of_line = Prefetch(
        "documents", queryset=FeeDocument.objects.defer("content", "data").order_by("pk")
    )
    returned = Prefetch(
        "returned_requests", queryset=PaymentRequest.objects.order_by("-returned_on", "-pk")
    )
    lines = Paginator(
        FeeLine.objects.for_user(request.user, own=True)
        .select_related("payment_request")
        .prefetch_related(documents_of_line, returned)
        .order_by("-created_at", "-pk"),
        50,
    ).get_page(request.GET.get("page"))
    issued = Paginator(
        FeeDocument.objects.for_user(request.user, own=True)
        .defer("content", "data")
        .annotate(n_lines=Count("lines"))
        .order_by("-issued_on", "-pk"),
        20,
    ).get_page(request.GET.get("docs"))
    return render(
        request,
        "fees/fee_history.html",
        {"provider": provider, "page": lines, "issued": issued, "form": form,
         "selected": selected, "registration_number": settings.IPA_INVOICE_REGISTRATION_NUMBER},
        status=status,
    )  # fmt: skip


@role_required(is_provider_staff)
def fee_history(request):
    """I1/I2: every fee line of the provider — what for, amount, status
    (未払い / 入金確認済み / 返金対象 …), payment date, its 入金確認依頼票 and
    invoices/receipts — and the request for an invoice or receipt (F4/I3)."""
    provider = provider_of(request.user)
    form = FeeDocumentForm(initial={"kind": FeeDocumentKind.RECEIPT, "addressee": provider.name})
    return _fee_history_page(request, form, [])


@require_POST
@role_required(is_provider_staff)
def fee_document_issue(request):
    """F4/I3: issue an invoice or receipt for the chosen lines; a refusal
    names the condition and keeps what was typed and chosen."""
    provider = provider_of(request.user)
    form = FeeDocumentForm(request.POST)
    selected = [int(x) for x in request.POST.getlist("lines") if x.isdigit()]
    if form.is_valid():
        document = attempt(
            request,
            lambda: services.issue_document(
                provider,
                request.user,
                form.cleaned_data["kind"],
                selected,
                form.cleaned_data["addressee"],
            ),
            form=form,
            success=lambda d: (
                f"{d.short_label}（{d.number}）を発行しました。ダウンロードしてください。"
            ),
        )
        if document is not FAILED:
            return redirect(reverse("fee_history") + "#issued-documents")
    return _fee_history_page(request, form, selected)


@role_required(lambda user: is_provider_staff(user) or is_ipa_staff(user))
def fee_document_download(request, pk: int):
    """I3: an issued invoice or receipt, exactly the bytes stored when it was
    issued; every download is audited."""
    from django.http import HttpResponse
    from django.utils.http import content_disposition_header

    document = get_for_user_or_404(FeeDocument.objects.all(), request.user, pk=pk)
    services.record_document_download(document, request.user)
    response = HttpResponse(bytes(document.content), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, document.filename)
    response["Cache-Control"] = "no-store"
    return response
