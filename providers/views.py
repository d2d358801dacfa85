from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from portal import audit, documents, receipts
from portal.decorators import role_required
from portal.forms import FAILED, JapaneseErrorsMixin, apply_service_errors, attempt
from portal.isolation import get_for_user_or_404, provider_of
from portal.receipts import annotate_latest_number
from portal.roles import is_ipa_staff, is_provider_staff, is_reviewer

from . import contact, services
from .filters import RegistrationFilter
from .forms import RegistrationForm, ReturnForm, SignupForm, WithdrawalForm
from .models import Provider, Registration, Withdrawal

SESSION_TOKEN_KEY = "registration_token"
SIGNUP_SENT_KEY = "registration_signup_sent"


def field_rows(obj, highlight=()):
    """(name, label, display value, highlighted) in the order of 申請書式1."""
    rows = []
    for name in obj.FORM_FIELDS:
        field = obj._meta.get_field(name)
        value = getattr(obj, name)
        if field.choices:
            value = getattr(obj, f"get_{name}_display")()
        elif isinstance(value, bool):
            value = "申告済み" if value else "未申告"
        rows.append((name, field.verbose_name, "" if value is None else value, name in highlight))
    return rows


def signup(request):
    """The public sign-up (申請書式1). A valid form is kept as an unconfirmed
    sign-up and a confirmation link is mailed to the address (issue 11): the
    registration is submitted only when the link is opened. The answer is the
    same whether or not the address is known. Posts are limited per client
    and per address (portal.throttle); a refusal keeps what was typed."""
    from portal import throttle

    status = 200
    if request.method == "POST":
        form = SignupForm(request.POST)
        if form.is_valid():
            if not throttle.allow_form_post(request, "signup", form.cleaned_data["contact_email"]):
                form.add_error(None, throttle.RATE_LIMITED_MESSAGE)
                status = 429
            else:
                result = attempt(
                    request,
                    lambda: services.start_signup(form.values(), form.cleaned_data["password1"]),
                    form=form,
                )
                if result is not FAILED:
                    request.session[SIGNUP_SENT_KEY] = True
                    return redirect("registration_signup_sent")
    else:
        form = SignupForm()
    return render(request, "providers/signup.html", {"form": form}, status=status)


def signup_sent(request):
    """「確認メールを送信しました」: the same page for every address."""
    return render(
        request,
        "providers/signup_sent.html",
        {
            "sent": request.session.get(SIGNUP_SENT_KEY, False),
            "hours": settings.SIGNUP_CONFIRMATION_HOURS,
        },
    )


def signup_confirm(request, token: str):
    """The link of the confirmation e-mail: the 確認画面 of what will be
    submitted (GET: a mail scanner opening the link submits nothing), and
    the submission (POST), then the completion page with its 到達番号."""
    pending = services.pending_signup_for_token(token)
    if pending is None:
        return render(request, "providers/signup_link_invalid.html", status=404)
    preview = Registration(
        **{
            name: Registration._meta.get_field(name).to_python(value)
            for name, value in pending.values.items()
        }
    )
    errors = []
    if request.method == "POST":
        try:
            result = services.confirm_signup(token)
        except ValidationError as exc:
            errors = exc.messages
        else:
            if result is None:
                return render(request, "providers/signup_link_invalid.html", status=404)
            request.session[SESSION_TOKEN_KEY] = result[1]
            request.session.pop(SIGNUP_SENT_KEY, None)
            return redirect("registration_signup_done")
    return render(
        request,
        "providers/signup_confirm.html",
        {"rows": field_rows(preview), "errors": errors, "expires_at": pending.expires_at},
    )


def signup_done(request):
    token = request.session.get(SESSION_TOKEN_KEY)
    registration = services.registration_for_token(token) if token else None
    return render(
        request, "providers/signup_done.html", {"registration": registration, "token": token}
    )


def registration_status(request, token: str):
    """The applicant's page (reached by the secret link in the e-mail): where
    the registration stands, the reviewer's reasons, and the form to fix it."""
    registration = services.registration_for_token(token)
    if registration is None:
        raise Http404("申請が見つかりません。")
    form = None
    if registration.is_editable_by_applicant:
        if request.method == "POST":
            form = RegistrationForm(
                request.POST, instance=registration, highlight_fields=registration.return_fields
            )
            if form.is_valid():
                try:
                    services.resubmit_registration(registration.pk, form.values())
                except ValidationError as exc:
                    apply_service_errors(form, exc)
                except services.RegistrationStateError as exc:
                    messages.error(request, str(exc))
                    return redirect("registration_status", token=token)
                else:
                    messages.success(
                        request, "修正した申請を再提出しました。IPAの確認をお待ちください。"
                    )
                    return redirect("registration_status", token=token)
            # A failed POST must not leave the instance half-changed in the page.
            registration.refresh_from_db()
        else:
            form = RegistrationForm(
                instance=registration, highlight_fields=registration.return_fields
            )
    return render(
        request,
        "providers/registration_status.html",
        {
            "registration": registration,
            "form": form,
            "rows": field_rows(registration, registration.return_fields),
            "token": token,
        },
    )


@role_required(is_provider_staff)
def provider_profile(request):
    provider = provider_of(request.user)
    return render(
        request,
        "providers/provider_profile.html",
        {
            "provider": provider,
            "rows": field_rows(provider),
            "documents": documents.panel(request.user, provider, ["shoshiki_1"]),
            "withdrawal": services.open_withdrawal(provider),
            "status_problem": services.write_problem(provider),
            # P4/P7: who the registered contact is, and the link to change it.
            "contact_member": provider.memberships.filter(is_contact=True, active=True)
            .select_related("user")
            .first(),
            "open_contact_change": contact.open_contact_change(provider),
        },
    )


# Withdrawal (取止め, P8, M§11) ---------------------------------------------------------


@role_required(is_provider_staff)
def withdrawal_request(request):
    """Input → 確認画面 → 完了 (UX): the form (number and name shown from the
    record, the reason), the page that shows what will be sent and what
    follows, then the notice's page with its 到達番号."""
    provider = provider_of(request.user)
    waiting = services.open_withdrawal(provider)
    if waiting is not None:
        return redirect("withdrawal_detail", pk=waiting.pk)
    step = request.POST.get("step", "") if request.method == "POST" else ""
    form = WithdrawalForm(request.POST if step in ("confirm", "submit") else None)
    if step == "back":  # 修正する: the input again with what was typed
        form = WithdrawalForm(
            initial={"reason": request.POST.get("reason", ""),
                     "confirm_identity": bool(request.POST.get("confirm_identity"))}
        )  # fmt: skip
    confirming = False
    if step in ("confirm", "submit") and form.is_valid():
        if step == "confirm":
            confirming = True
        else:
            withdrawal = attempt(
                request,
                lambda: services.file_withdrawal(
                    provider, request.user, form.cleaned_data["reason"]
                ),
                form=form,
                success="認定講座開設者の取止めを届け出ました。IPAの受理をお待ちください。",
            )
            if withdrawal is not FAILED:
                return redirect("withdrawal_detail", pk=withdrawal.pk)
    return render(
        request,
        "providers/withdrawal_form.html",
        {
            "provider": provider,
            "form": form,
            "confirming": confirming,
            "status_problem": services.write_problem(provider),
            "next_steps": receipts.NEXT_STEPS[receipts.Kind.WITHDRAWAL],
        },
    )


@role_required(is_provider_staff)
def withdrawal_detail(request, pk: int):
    withdrawal = get_for_user_or_404(
        Withdrawal.objects.for_user(request.user, own=True).select_related("provider"),
        request.user,
        pk=pk,
    )
    return render(
        request,
        "providers/withdrawal_detail.html",
        {"withdrawal": withdrawal, "provider": withdrawal.provider},
    )


@require_POST
@role_required(is_provider_staff)
def withdrawal_withdraw(request, pk: int):
    withdrawal = get_for_user_or_404(
        Withdrawal.objects.for_user(request.user, own=True), request.user, pk=pk
    )
    attempt(
        request,
        lambda: services.withdraw_withdrawal(withdrawal.pk, request.user),
        success="取止めの届出を取り下げました。講座開設者の登録はこれまでどおり続きます。",
    )
    return redirect("withdrawal_detail", pk=withdrawal.pk)


@role_required(is_ipa_staff)
def review_withdrawal_list(request):
    state = request.GET.get("state", Withdrawal.State.SUBMITTED)
    if state not in Withdrawal.State.values:
        state = Withdrawal.State.SUBMITTED
    rows = annotate_latest_number(
        Withdrawal.objects.filter(state=state).select_related("provider", "submitted_by")
    )
    page = Paginator(rows.order_by("submitted_at", "pk"), 50).get_page(request.GET.get("page"))
    counts = dict(Withdrawal.objects.values_list("state").annotate(n=Count("id")).order_by())
    return render(
        request,
        "providers/review_withdrawals.html",
        {
            "page": page,
            "state": state,
            "counts": [(s, label, counts.get(s, 0)) for s, label in Withdrawal.State.choices],
        },
    )


@role_required(is_ipa_staff)
def review_withdrawal_detail(request, pk: int):
    withdrawal = get_object_or_404(
        Withdrawal.objects.select_related("provider", "submitted_by", "decided_by"), pk=pk
    )
    return render(
        request,
        "providers/review_withdrawal.html",
        {
            "withdrawal": withdrawal,
            "provider": withdrawal.provider,
            "receipt_rows": receipts.for_object(withdrawal).select_related("actor"),
            "audit_entries": audit.entries_for(withdrawal)[:100],
        },
    )


@require_POST
@role_required(is_reviewer)
def review_withdrawal_accept(request, pk: int):
    withdrawal = get_object_or_404(Withdrawal, pk=pk)
    attempt(
        request,
        lambda: services.accept_withdrawal(withdrawal.pk, request.user),
        success=lambda w: (
            f"取止めの届出を受理しました。講座開設者 {w.provider_number} は"
            f"{w.withdrawn_on:%Y年%-m月%-d日}付で取止めとなりました。"
        ),
        forbidden_as_message=True,
    )
    return redirect("review_withdrawal_detail", pk=pk)


@role_required(is_ipa_staff)
def review_queue(request):
    base = Registration.objects.select_related("provider").order_by("-submitted_at")
    base = annotate_latest_number(base)  # 到達番号
    data = request.GET.copy()
    if "state" not in data:
        data["state"] = Registration.State.SUBMITTED
    filterset = RegistrationFilter(data, queryset=base)
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    counts = dict(Registration.objects.values_list("state").annotate(n=Count("id")).order_by())
    return render(
        request,
        "providers/review_queue.html",
        {
            "filter": filterset,
            "page": page,
            "counts": [(s, label, counts.get(s, 0)) for s, label in Registration.State.choices],
            "withdrawals_waiting": Withdrawal.objects.filter(
                state=Withdrawal.State.SUBMITTED
            ).count(),
        },
    )


def _review_context(request, registration, return_form=None):
    last_resubmit = audit.entries_for(registration).filter(action="registration.resubmit").first()
    changes = last_resubmit.changes if last_resubmit else {}
    return {
        "registration": registration,
        "rows": field_rows(registration, changes),
        "changes": audit.labelled_changes(Registration, changes),
        "return_form": return_form or ReturnForm(),
        "audit_entries": audit.entries_for(registration)[:100],
        # Administrators read the page and its audit trail; reviewers decide.
        "can_decide": is_reviewer(request.user),
    }


@role_required(is_ipa_staff)
def review_detail(request, pk: int):
    registration = get_object_or_404(Registration.objects.select_related("provider"), pk=pk)
    return render(request, "providers/review_detail.html", _review_context(request, registration))


@require_POST
@role_required(is_reviewer)
def review_return(request, pk: int):
    registration = get_object_or_404(Registration, pk=pk)
    form = ReturnForm(request.POST)
    if form.is_valid():
        attempt(
            request,
            lambda: services.return_registration(
                registration.pk,
                request.user,
                form.cleaned_data["reason"],
                form.cleaned_data["fields"],
            ),
            success="申請を差し戻しました。申請者にメールで通知しました。",
            forbidden_as_message=True,
        )
        return redirect("review_detail", pk=pk)
    return render(
        request,
        "providers/review_detail.html",
        _review_context(request, registration, form),
        status=400,
    )


@require_POST
@role_required(is_reviewer)
def review_accept(request, pk: int):
    registration = get_object_or_404(Registration, pk=pk)
    attempt(
        request,
        lambda: services.accept_registration(registration.pk, request.user),
        success=lambda provider: f"申請を受理し、講座開設者番号 {provider.number} を付与しました。",
        forbidden_as_message=True,
    )
    return redirect("review_detail", pk=pk)


@role_required(is_ipa_staff)
def review_provider(request, pk: int):
    provider = get_object_or_404(Provider, pk=pk)
    return render(
        request,
        "providers/review_provider.html",
        {
            "provider": provider,
            "rows": field_rows(provider),
            "members": provider.memberships.select_related("user"),
            "audit_entries": audit.entries_for(provider)[:100],
            "documents": documents.panel(request.user, provider, ["shoshiki_1"]),
            "can_download": documents.get("shoshiki_1").can_download(request.user, provider),
        },
    )


@require_POST
@role_required(is_reviewer)
def review_withdraw(request, pk: int):
    registration = get_object_or_404(Registration, pk=pk)
    attempt(
        request,
        lambda: services.withdraw_registration(
            registration.pk, request.user, request.POST.get("reason", "")
        ),
        success="申請を取下げとして処理しました。申請者にメールで通知しました。",
        forbidden_as_message=True,
    )
    return redirect("review_detail", pk=pk)


# I5: the terms of use and the registered data, before the first course ----------------


class TermsForm(JapaneseErrorsMixin, forms.Form):
    agree = forms.BooleanField(label="上記の利用規約に同意します")
    confirm_data = forms.BooleanField(
        label="上記の登録内容（申請書式1）に誤りがないことを確認しました",
        help_text="誤りがある場合は、同意する前に変更申請をしてください。",
    )


@role_required(is_provider_staff)
def provider_terms(request):
    """I5: the terms (利用規約) and the provider's 申請書式1 data; accepting
    stores who and when, then the user goes on to ``next`` (the course
    application it came from)."""
    from django.utils.http import url_has_allowed_host_and_scheme

    from .terms import TERMS, TERMS_VERSION

    provider = provider_of(request.user)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    form = TermsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = attempt(
            request,
            lambda: services.accept_terms(provider, request.user),
            form=form,
            success="利用規約への同意と登録内容の確認を記録しました。",
        )
        if result is not FAILED:
            return redirect(next_url or "home")
    return render(
        request,
        "providers/terms.html",
        {"provider": provider, "rows": field_rows(provider), "terms": TERMS,
         "version": TERMS_VERSION, "form": form, "next": next_url},
    )  # fmt: skip
