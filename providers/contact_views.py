"""Pages of the contact change (講座担当者の変更; P7, M§10): the provider's
form of the new contact on a copy, the new contact's ログイン完了, and the
invitation link that sets the new contact's password (M§10.2 (1))."""

import copy

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from portal import audit
from portal.decorators import role_required
from portal.forms import (
    FAILED,
    JapaneseErrorsMixin,
    JapaneseSetPasswordForm,
    attempt,
    bounded_formfield,
)
from portal.isolation import provider_of
from portal.roles import is_provider_staff
from portal.validators import normalize_phone

from . import changes, contact
from .change_kinds import CONTACT
from .forms import change_reason_field
from .models import ChangeRequest, Provider


class ContactChangeForm(JapaneseErrorsMixin, forms.ModelForm):
    """The new registered contact (申請書式1 「担当者連絡先」), on a copy of
    the provider: nothing of the record changes when it is saved."""

    reason = change_reason_field("人事異動のため。")

    class Meta:
        formfield_callback = bounded_formfield  # issue 11: column bounds
        model = Provider
        fields = contact.CONTACT_FIELDS
        widgets = {
            "contact_email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "contact_tel": forms.TextInput(
                attrs={"placeholder": "03-1234-5678", "inputmode": "tel"}
            ),
            "contact_fax": forms.TextInput(
                attrs={"placeholder": "03-1234-5679", "inputmode": "tel"}
            ),
        }
        help_texts = {
            "contact_email": "後任の担当者ご本人のアドレス。ログインIDになり、"
            "「ユーザ登録完了のお知らせ」と受領通知がここに届きます。",
        }

    def clean_contact_tel(self):
        return normalize_phone(self.cleaned_data["contact_tel"])

    def clean_contact_fax(self):
        return normalize_phone(self.cleaned_data.get("contact_fax", ""))

    def clean_contact_email(self):
        return self.cleaned_data["contact_email"].strip().lower()

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in contact.CONTACT_FIELDS}


@role_required(is_provider_staff)
def contact_change(request):
    """The registered contact as a copy in the 申請書式1 fields; saving it
    stores a contact change being written (P7)."""
    provider = provider_of(request.user)
    draft = changes.editable_draft(CONTACT.key, provider)
    pending = contact.open_contact_change(provider, exclude=draft)
    if request.method == "POST" and pending is None:
        form = ContactChangeForm(request.POST, instance=copy.copy(provider))
        if form.is_valid():
            result = attempt(
                request,
                lambda: contact.save_contact_draft(
                    provider, request.user, form.values(), reason=form.cleaned_data["reason"]
                ),
                form=form,
                success="変更内容を保存しました。内容を確認して申請してください。",
            )
            if result is not FAILED:
                return redirect("change_detail", result.pk)
    else:
        form = ContactChangeForm(
            instance=changes.preview(draft) if draft else copy.copy(provider),
            initial={"reason": draft.reason if draft else ""},
        )
    contact_member = provider.memberships.filter(is_contact=True, active=True).first()
    return render(
        request,
        "providers/contact_change.html",
        {
            "form": form,
            "provider": provider,
            "continued": draft,
            "pending": pending,
            "contact_member": contact_member,
        },
    )


@require_POST
@role_required(is_provider_staff)
def change_confirm_login(request, pk: int):
    """The new registered contact reports the first login (ログイン完了,
    M§10.2 (3)); IPA is told."""
    change = get_object_or_404(ChangeRequest.objects.for_user(request.user, own=True), pk=pk)
    attempt(
        request,
        lambda: contact.confirm_login(change.pk, request.user),
        success="ログイン完了をIPAに連絡しました。講座担当者の変更申請は完了です。",
        forbidden_as_message=True,
    )
    return redirect("home")


class InvitationPasswordForm(JapaneseSetPasswordForm):
    def save(self, commit=True):
        user = super(JapaneseSetPasswordForm, self).save(commit)
        audit.record("auth.password_set", user, actor=user)
        return user


class ContactInvitationView(auth_views.PasswordResetConfirmView):
    """The link of 「ユーザ登録完了のお知らせ」 (M§10.2 (1)): the new contact
    sets a password (one time: the token changes with it), then signs in."""

    token_generator = contact.invitation_tokens
    form_class = InvitationPasswordForm
    template_name = "providers/contact_invitation.html"
    success_url = reverse_lazy("login")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "days": contact.INVITATION_DAYS}

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(
            self.request,
            "パスワードを設定しました。メールアドレスと設定したパスワードでログインしてください。",
        )
        return response


contact_invitation = ContactInvitationView.as_view()
