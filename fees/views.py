import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from portal import documents
from portal.decorators import role_required
from portal.forms import JapaneseErrorsMixin, apply_service_errors
from portal.isolation import get_for_user_or_404, provider_of
from portal.roles import is_ipa_staff, is_provider_staff, is_reviewer

from . import rules, services
from .models import FeeLine, PaymentRequest


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


@role_required(is_ipa_staff)
def review_payments(request):
    status = request.GET.get("status", "open")
    payments = PaymentRequest.objects.select_related("provider").annotate(
        n_lines=Count("lines"), total=Sum(F("lines__unit_amount") * F("lines__quantity"))
    )
    if status == "open":
        payments = payments.filter(confirmed_on__isnull=True)
    elif status == "confirmed":
        payments = payments.filter(confirmed_on__isnull=False)
    page = Paginator(payments.order_by("payment_date", "pk"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "fees/review_payments.html",
        {"page": page, "status": status, "can_decide": is_reviewer(request.user)},
    )


@require_POST
@role_required(is_reviewer)
def review_payment_confirm(request, pk: int):
    payment = get_object_or_404(PaymentRequest, pk=pk)
    try:
        on = datetime.date.fromisoformat(request.POST.get("confirmed_on", ""))
        services.confirm_payment(payment.pk, request.user, on)
    except ValueError:
        messages.error(request, "「入金確認日」は日付（例：2026-04-01）で入力してください。")
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(
            request, f"入金確認依頼票 #{payment.pk} の入金を {on:%Y年%-m月%-d日} 付で確認しました。"
        )
    return redirect("review_payments")
