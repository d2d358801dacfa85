import datetime
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from portal import documents
from portal.decorators import role_required
from portal.forms import JapaneseErrorsMixin, apply_service_errors
from portal.isolation import get_for_user_or_404, provider_of
from portal.roles import is_ipa_staff, is_provider_staff, is_reviewer

from . import rules, services
from .models import FeeKind, FeeLine, PaymentRequest


class PaymentRequestForm(JapaneseErrorsMixin, forms.ModelForm):
    class Meta:
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
    unpaid = FeeLine.objects.unpaid().filter(provider=provider).select_related("course")
    initial = {
        "payer_name_kana": f"{provider.number}{provider.name_kana.replace(chr(0x3000), '')}",
        "transfers": 1,
    }
    form = PaymentRequestForm(request.POST or None, initial=initial)
    selected = [int(x) for x in request.POST.getlist("lines") if x.isdigit()]
    if request.method == "POST" and form.is_valid():
        try:
            payment = services.create_payment_request(
                provider, request.user, selected, form.cleaned_data
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request, "入金確認依頼票を作成しました。ダウンロードして内容を確認してください。"
            )
            return redirect("payment_request_detail", pk=payment.pk)
    requests = (
        PaymentRequest.objects.filter(provider=provider)
        .annotate(n_lines=Count("lines"), total=Sum(F("lines__unit_amount") * F("lines__quantity")))
        .order_by("-request_date", "-pk")
    )
    # The fee history: every line, paid, waiting, unpaid or cancelled (取消).
    history = Paginator(
        FeeLine.objects.filter(provider=provider)
        .select_related("payment_request")
        .order_by("-created_at", "-pk"),
        50,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "fees/fee_list.html",
        {"unpaid": unpaid, "form": form, "selected": selected, "requests": requests,
         "bank": rules.IPA_BANK_ACCOUNT, "provider": provider, "history": history},
    )  # fmt: skip


@role_required(is_provider_staff)
def payment_request_detail(request, pk: int):
    payment = get_for_user_or_404(
        PaymentRequest.objects.select_related("provider"), request.user, pk=pk
    )
    return render(
        request,
        "fees/payment_request_detail.html",
        {"payment": payment, "lines": payment.lines.select_related("course"), "bank": rules.IPA_BANK_ACCOUNT,
         "documents": documents.panel(request.user, payment, ["nyukin_irai"])},
    )  # fmt: skip


PAYMENT_STATUSES = ("open", "confirmed", "all")


def _purposes(payment) -> list[dict]:
    """What a payment is for, from its prefetched lines (別紙13): each review fee
    with its course, the problem fees with their exam and applicants."""
    rows = []
    for line in payment.lines.all():
        if line.kind == FeeKind.REVIEW and line.course is not None:
            rows.append({"kind": line.get_kind_display(), "course": line.course,
                         "text": f"{line.course.number} {line.course.name}", "amount": line.amount})  # fmt: skip
            continue
        application = getattr(line, "exam_application", None)
        if line.kind == FeeKind.PROBLEM and application is not None:
            text = (
                f"{application.session.exam_date:%Y/%m/%d}の修了試験　"
                f"{application.delivery_course.number} {application.delivery_course.name}　"
                f"応募者{line.quantity:,}名"
            )
        else:
            text = line.description
        rows.append({"kind": line.get_kind_display(), "course": None, "text": text,
                     "amount": line.amount})  # fmt: skip
    return rows


def _review_payments_page(request, status: str, page_number, refused=None):
    """The reviewer's queue; ``refused`` = (payment pk, typed value, message)
    re-shows a refused confirmation beside its field, with what was typed."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Prefetch
    from django.utils import timezone

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
        .prefetch_related(Prefetch("lines", queryset=lines))
    )
    if status == "open":
        payments = payments.filter(confirmed_on__isnull=True)
    elif status == "confirmed":
        payments = payments.filter(confirmed_on__isnull=False)
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
        p.document = latest.get(str(p.pk))
        p.typed, p.refusal = "", ""
        if refused and refused[0] == p.pk:
            p.typed, p.refusal = refused[1], refused[2]
    page.object_list = rows
    return render(
        request,
        "fees/review_payments.html",
        {"page": page, "status": status, "can_decide": is_reviewer(request.user),
         "today": timezone.localdate(), "refused": refused},
    )  # fmt: skip


@role_required(is_ipa_staff)
def review_payments(request):
    status = request.GET.get("status", "open")
    if status not in PAYMENT_STATUSES:
        status = "open"
    return _review_payments_page(request, status, request.GET.get("page"))


@require_POST
@role_required(is_reviewer)
def review_payment_confirm(request, pk: int):
    """F3: the reviewer records the day IPA saw the money. A missing, malformed
    or future date is refused beside the field, keeping what was typed."""
    payment = get_object_or_404(PaymentRequest, pk=pk)
    status = request.POST.get("status", "open")
    if status not in PAYMENT_STATUSES:
        status = "open"
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
