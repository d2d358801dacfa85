"""Pages of change requests (変更申請, 申請書式5): the provider's list and
request page (確認画面: before/after per item, the forms of table 5.6-1,
申請 / 取下げ), the edit form of the provider's own data, and IPA's queue
(urgent first) with the decision page. The target apps' edit forms (a
delivery course, the completers of a report) call providers.changes too."""

import copy

from django import forms
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from portal import audit, documents, workflow
from portal.decorators import role_required
from portal.forms import FAILED, JapaneseErrorsMixin, attempt
from portal.idempotency import idempotent
from portal.isolation import get_for_user_or_404, provider_of
from portal.receipts import annotate_latest_number
from portal.roles import is_ipa_staff, is_provider_staff, is_reviewer

from . import changes
from .change_kinds import PROVIDER_FIELDS, PROVIDER_INFO
from .forms import RegistrationForm, change_reason_field
from .models import ChangeRequest, Provider

PAGE_SIZE = 50


class ProviderChangeForm(RegistrationForm):
    """申請書式1's fields that a change request may change, on a copy."""

    SECTIONS = [
        ("申請者（法人）", ["name", "name_kana", "representative_name", "postal_code",
                          "prefecture", "address"]),
        ("担当者の住所", ["contact_postal_code", "contact_prefecture", "contact_address"]),
        ("区分・備考", ["category", "remarks"]),
    ]  # fmt: skip

    reason = change_reason_field("法人名の変更、本部の移転。")

    class Meta(RegistrationForm.Meta):
        model = Provider
        fields = PROVIDER_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("declaration", None)

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in PROVIDER_FIELDS}


class ReturnChangeForm(JapaneseErrorsMixin, forms.Form):
    reason = forms.CharField(
        label="差し戻し理由", widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )


def _pager(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


# --- provider -------------------------------------------------------------------


@role_required(is_provider_staff)
@idempotent  # issue 11: one object per posted form
def provider_change(request):
    """The provider's data as a copy in the 申請書式1 form; saving it stores
    a change request being written (nothing of the record changes)."""
    provider = provider_of(request.user)
    draft = changes.editable_draft(PROVIDER_INFO.key, provider)
    if request.method == "POST":
        # The form edits a copy: nothing of the record changes here.
        form = ProviderChangeForm(request.POST, instance=copy.copy(provider))
        if form.is_valid():
            result = attempt(
                request,
                lambda: changes.save_draft(
                    PROVIDER_INFO.key,
                    provider,
                    request.user,
                    form.values(),
                    reason=form.cleaned_data["reason"],
                ),
                form=form,
                success="変更内容を保存しました。内容を確認して申請してください。",
            )
            if result is not FAILED:
                return redirect("change_detail", result.pk)
    else:
        form = ProviderChangeForm(
            instance=changes.preview(draft) if draft else copy.copy(provider),
            initial={"reason": draft.reason if draft else ""},
        )
    return render(
        request,
        "providers/provider_change.html",
        {"form": form, "provider": provider, "continued": draft},
    )


@role_required(is_provider_staff)
def change_list(request):
    base = annotate_latest_number(
        ChangeRequest.objects.for_user(request.user, own=True).order_by("-created_at", "-id")
    )
    return render(request, "providers/change_list.html", {"page": _pager(request, base)})


def _detail_context(request, change):
    kind = changes.get_kind(change.kind)
    return {
        "change": change,
        "kind": kind,
        "edit_url": kind.edit_url(change) if kind.edit_url else "",
        "documents": documents.panel(request.user, change, list(kind.documents)),
        "audit_entries": audit.entries_for(change)[:100],
    }


@role_required(is_provider_staff)
def change_detail(request, pk: int):
    change = get_object_or_404(
        ChangeRequest.objects.for_user(request.user, own=True).select_related("provider"), pk=pk
    )
    return render(request, "providers/change_detail.html", _detail_context(request, change))


@require_POST
@role_required(is_provider_staff)
def change_submit(request, pk: int):
    change = get_object_or_404(ChangeRequest.objects.for_user(request.user, own=True), pk=pk)
    attempt(
        request,
        lambda: changes.submit_change(change.pk, request.user),
        success=lambda c: f"変更申請をIPAに申請しました（到達番号 {workflow.receipt_number(c)}）。",
        forbidden_as_message=True,
    )
    return redirect("change_detail", change.pk)


@require_POST
@role_required(is_provider_staff)
def change_withdraw(request, pk: int):
    change = get_object_or_404(ChangeRequest.objects.for_user(request.user, own=True), pk=pk)
    attempt(
        request,
        lambda: changes.withdraw_change(change.pk, request.user),
        success="変更申請を取り下げました。登録内容は変わりません。",
        forbidden_as_message=True,
    )
    return redirect("change_detail", change.pk)


# --- IPA ----------------------------------------------------------------------------


@role_required(is_ipa_staff)
def change_review_queue(request):
    """Change requests waiting for IPA, urgent ones first (R11, M§12.2.11);
    the other states as tabs."""
    flow = workflow.for_model(ChangeRequest)
    state = request.GET.get("state") or "waiting"
    base = ChangeRequest.objects.select_related("provider")
    if state == "waiting":
        base = changes.review_queue()
    elif state in {s.value for s in flow.states}:
        base = base.filter(state=state).order_by("-submitted_at", "-id")
    kind = request.GET.get("kind") or ""
    if kind:
        base = base.filter(kind=kind)
    counts = dict(ChangeRequest.objects.values_list("state").annotate(n=Count("id")).order_by())
    waiting = flow.values(lambda s: s.waiting_for_ipa)
    tabs = [("waiting", "審査待ち", sum(counts.get(s, 0) for s in waiting))] + [
        (s.value, s.label, counts.get(s.value, 0)) for s in flow.states if not s.waiting_for_ipa
    ]
    return render(
        request,
        "providers/change_review_queue.html",
        {
            "page": _pager(request, annotate_latest_number(base)),
            "tabs": tabs,
            "state": state,
            "kind": kind,
            "kinds": [(k.key, k.label) for k in changes.all_kinds()],
        },
    )


@role_required(is_ipa_staff)
def change_review_detail(request, pk: int, return_form=None):
    change = get_for_user_or_404(
        ChangeRequest.objects.select_related("provider"), request.user, pk=pk
    )
    context = _detail_context(request, change)
    kind = context["kind"]
    context.update(
        {
            "return_form": return_form or ReturnChangeForm(),
            "can_decide": is_reviewer(request.user),
            "target_url": kind.review_target_url(change.target) if kind.review_target_url else "",
        }
    )
    return render(request, "providers/change_review_detail.html", context)


@require_POST
@role_required(is_reviewer)
def change_review_approve(request, pk: int):
    change = get_for_user_or_404(ChangeRequest.objects.all(), request.user, pk=pk)
    attempt(
        request,
        lambda: changes.approve_change(change.pk, request.user),
        success="変更申請を承認し、登録内容に反映しました。",
    )
    return redirect("change_review_detail", change.pk)


@require_POST
@role_required(is_reviewer)
def change_review_return(request, pk: int):
    change = get_for_user_or_404(ChangeRequest.objects.all(), request.user, pk=pk)
    form = ReturnChangeForm(request.POST)
    if form.is_valid():
        result = attempt(
            request,
            lambda: changes.return_change(change.pk, request.user, form.cleaned_data["reason"]),
            form=form,
            success="変更申請を差し戻しました。講座開設者に理由を通知しました。",
        )
        if result is not FAILED:
            return redirect("change_review_detail", change.pk)
    return change_review_detail(request, change.pk, return_form=form)
