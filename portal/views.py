from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from . import audit, documents, services
from . import dashboard as dashboard_parts
from .decorators import role_required
from .forms import LoginForm
from .isolation import provider_of
from .models import GeneratedDocument
from .roles import is_ipa_admin, is_ipa_staff, is_provider_staff, is_reviewer


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


class RateLimitedPasswordResetView(auth_views.PasswordResetView):
    """Password reset, limited per client and per address (issue 11): past
    the limit no mail is sent and the form is shown again with the typed
    address and a Japanese message (status 429)."""

    def form_valid(self, form):
        from . import throttle

        if not throttle.allow_form_post(
            self.request, "password_reset", form.cleaned_data.get("email", "")
        ):
            form.add_error(None, throttle.RATE_LIMITED_MESSAGE)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


# Seconds a client is asked to wait when the database cannot be reached.
RETRY_AFTER_SECONDS = 30


def server_error(request):
    """handler500: when the database cannot be reached (PostgreSQL restarting,
    a connection it closed), a 503 page in Japanese with Retry-After — the
    filing's transaction was rolled back, nothing of it is saved. Rendered
    without the request's context processors, which would query the database
    again. Any other error is Django's 500 page (templates/500.html)."""
    import sys

    from django import db
    from django.template import loader
    from django.views import defaults

    if isinstance(sys.exc_info()[1], db.OperationalError | db.InterfaceError):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return defaults.server_error(request)


def healthz(request):
    return JsonResponse({"status": "ok"})


def home(request):
    """Where each role starts: the provider dashboard (I1), the review queue,
    or the administrators' menu; the public sees the scheme's front page."""
    user = request.user
    if not user.is_authenticated:
        return render(request, "portal/landing.html")
    if is_provider_staff(user):
        return dashboard(request)
    if is_reviewer(user):
        return redirect("review_queue")
    if is_ipa_admin(user):
        return redirect("admin:index")
    return render(request, "portal/no_role.html")


@login_required
def dashboard(request):
    """I1: where the provider stands and what to do next; each app adds its
    part (portal.dashboard)."""
    provider = provider_of(request.user)
    if provider is None:
        raise Http404
    return render(request, "portal/dashboard.html", dashboard_parts.page_context(request, provider))


def _document_for_user(request, pk: int):
    """The generated document if the registry lets this user download it;
    otherwise 404, the same answer as for a document that does not exist."""
    generated = GeneratedDocument.objects.filter(pk=pk).first()
    if generated is None:
        raise Http404("書類が見つかりません。")
    doc = documents.get(generated.doc_type)
    source = doc.model_class()._default_manager.filter(pk=generated.object_id).first()
    if source is None or not doc.can_download(request.user, source):
        raise Http404("書類が見つかりません。")
    return generated, doc, source


@login_required
@require_POST
def document_request(request, doc_id: str, object_pk: int):
    try:
        doc = documents.get(doc_id)
    except KeyError:
        raise Http404("書類が見つかりません。") from None
    source = doc.model_class()._default_manager.filter(pk=object_pk).first()
    if source is None or not doc.can_download(request.user, source):
        raise Http404("書類が見つかりません。")
    generated = services.request_document(doc_id, source, request.user)
    return redirect("document_detail", pk=generated.pk)


@login_required
def document_detail(request, pk: int):
    generated, doc, source = _document_for_user(request, pk)
    done = generated.status == GeneratedDocument.Status.DONE
    return render(
        request,
        "portal/document_detail.html",
        {"generated": generated, "doc": doc,
         "outdated": done and documents.outdated(doc, source, generated)},
    )  # fmt: skip


@login_required
def document_status(request, pk: int):
    """The htmx fragment polled by the progress page while the file renders."""
    generated, doc, source = _document_for_user(request, pk)
    return render(request, "portal/_document_status.html", {"generated": generated, "doc": doc})


@login_required
def document_download(request, pk: int):
    generated, doc, source = _document_for_user(request, pk)
    if generated.status != GeneratedDocument.Status.DONE:
        return redirect("document_detail", pk=pk)
    services.record_download(generated, source, request.user)
    response = HttpResponse(bytes(generated.content), content_type=generated.mime_type)
    from django.utils.http import content_disposition_header

    response["Content-Disposition"] = content_disposition_header(True, generated.filename)
    response["Cache-Control"] = "no-store"
    return response


def serve_upload(request, uploaded_file, audited_obj, action: str):
    """Send a stored upload as an attachment, after the caller checked access;
    every download is audited (the files may hold personal data)."""
    import os

    from django.http import FileResponse

    audit.record(action, audited_obj, actor=request.user, note=uploaded_file.name)
    response = FileResponse(
        uploaded_file.open("rb"), as_attachment=True, filename=os.path.basename(uploaded_file.name)
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def reminder_settings(request):
    """The user's switch for reminders (portal.reminders). The notices of
    decisions and returns (portal.workflow) cannot be turned off."""
    from django.contrib import messages
    from django.db import transaction

    from . import reminders

    user = request.user
    if request.method == "POST":
        enabled = request.POST.get("reminders_enabled") == "on"
        if enabled != user.reminders_enabled:
            with transaction.atomic():
                user.reminders_enabled = enabled
                user.save(update_fields=["reminders_enabled"])
                audit.record(
                    "user.reminders_on" if enabled else "user.reminders_off",
                    user,
                    actor=user,
                    changes={"reminders_enabled": [not enabled, enabled]},
                )
        messages.success(
            request,
            "リマインダーを受け取る設定にしました。"
            if enabled
            else "リマインダーを受け取らない設定にしました。",
        )
        return redirect("reminder_settings")
    return render(
        request,
        "portal/reminder_settings.html",
        {"kinds": [kind.label for kind in reminders.kinds()]},
    )


@login_required
def notice_list(request):
    """The user's notices of the filings' life cycles (portal.workflow),
    newest first, 30 a page; the notices shown are marked read."""
    from django.core.paginator import Paginator
    from django.utils import timezone

    from .models import Notice

    page = Paginator(Notice.objects.filter(recipient=request.user), 30).get_page(
        request.GET.get("page")
    )
    unread = [n.pk for n in page if n.read_at is None]
    if unread:
        Notice.objects.filter(pk__in=unread).update(read_at=timezone.now())
    return render(request, "portal/notices.html", {"page": page, "unread": set(unread)})


# IPA's inbox (W2) ------------------------------------------------------------------


def _inbox_query(request) -> str:
    """The filters of the page the reviewer came from (to go back to it)."""
    from urllib.parse import urlencode

    keep = ("kind", "state", "due", "assignee", "provider", "urgent", "flagged", "sort", "page")
    return urlencode([(k, request.POST.get(k)) for k in keep if request.POST.get(k)])


def _back_to_inbox(request):
    from django.urls import reverse

    query = _inbox_query(request)
    return redirect(reverse("inbox") + (f"?{query}" if query else ""))


@role_required(is_ipa_staff)
def inbox(request):
    """Every item waiting for IPA, whatever its kind (W2): filters, counts
    per kind, the most urgent and earliest due first, 50 per page."""
    from django.core.paginator import Paginator

    from . import inbox as inbox_items

    filters = inbox_items.Filters.from_query(request.GET)
    today = inbox_items.today()
    box = inbox_items.build(request.user, filters, today)
    page = Paginator(box.items, inbox_items.PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = inbox_items.finish(list(page.object_list))
    source = inbox_items.get_source(filters.kind) if filters.kind else None
    return render(
        request,
        "portal/inbox.html",
        {"page": page, "box": box, "filters": filters, "today": today,
         "sources": inbox_items.sources(), "batch_source": source if source and source.batch else None,
         "reviewers": list(inbox_items.reviewers()), "can_decide": is_reviewer(request.user),
         "due_choices": inbox_items.DUE_CHOICES, "assignee_choices": inbox_items.ASSIGNEE_CHOICES,
         "sort_choices": inbox_items.SORT_CHOICES},
    )  # fmt: skip


@require_POST
@role_required(is_reviewer)
def inbox_assign(request):
    """A reviewer takes an item or gives it to a colleague (or releases it)."""
    from django.contrib import messages
    from django.contrib.auth import get_user_model
    from django.core.exceptions import PermissionDenied, ValidationError

    from . import inbox as inbox_items

    choice = request.POST.get("to") or ""
    if choice == "me":
        assignee = request.user
    elif choice.isdigit():
        assignee = get_user_model().objects.filter(pk=int(choice), is_active=True).first()
    else:
        assignee = None
    try:
        if choice and assignee is None:
            raise ValidationError("「担当者」にはIPA審査担当者を選んでください。")
        inbox_items.assign(request.POST.get("item", ""), assignee, actor=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        if assignee is None:
            messages.success(request, "担当の割り当てを外しました。")
        elif assignee.pk == request.user.pk:
            messages.success(request, "この項目を担当します。")
        else:
            messages.success(
                request,
                f"{inbox_items.person(assignee)}さんに担当を依頼し、お知らせとメールを送りました。",
            )
    return _back_to_inbox(request)


@require_POST
@role_required(is_reviewer)
def inbox_batch(request):
    """Several items of one kind at once (payments confirmed with one date,
    reports accepted), each through its own service; the refused ones are
    named with the reason."""
    import datetime

    from django.contrib import messages
    from django.core.exceptions import ValidationError

    from . import inbox as inbox_items

    kind = request.POST.get("batch_kind", "")
    data = {}
    typed = (request.POST.get("date") or "").strip()
    try:
        source = inbox_items.get_source(kind)
        if source is not None and source.batch is not None and source.batch.date_label:
            label = source.batch.date_label
            if not typed:
                raise ValidationError(f"「{label}」を入力してください。")
            try:
                data["date"] = datetime.date.fromisoformat(typed)
            except ValueError:
                raise ValidationError(
                    f"「{label}」は日付（例：2026-04-01）で入力してください。"
                ) from None
        result = inbox_items.run_batch(kind, request.POST.getlist("items"), request.user, data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back_to_inbox(request)
    if result.done:
        messages.success(
            request,
            f"{len(result.done)}件の{source.label}について{source.batch.done}："
            + "、".join(result.done),
        )
    for name, why in result.refused:
        messages.error(request, f"{name}：{why}")
    return _back_to_inbox(request)


# Two-factor authentication (issue 11) -------------------------------------------------


@login_required
def otp_setup(request):
    """Set up the authenticator app: the QR code (inline SVG) and the secret
    as text, confirmed with a 6-digit code; then the 10 recovery codes, shown
    this once."""
    from . import twofactor

    if twofactor.has_device(request.user) and not request.user.is_verified():
        return redirect(f"{reverse('otp_verify')}?{request.META.get('QUERY_STRING', '')}")
    key = request.session.get(twofactor.SETUP_KEY_SESSION)
    if not key:
        key = twofactor.new_key()
        request.session[twofactor.SETUP_KEY_SESSION] = key
    error = ""
    if request.method == "POST":
        codes = twofactor.confirm_setup(request, key, request.POST.get("code", ""))
        if codes is not None:
            request.session.pop(twofactor.SETUP_KEY_SESSION, None)
            return render(
                request,
                "registration/otp_recovery_codes.html",
                {"codes": codes, "next": twofactor.safe_next(request)},
            )
        error = (
            "確認コードが正しくありません。認証アプリに表示されている6桁の数字を入力してください。"
        )
    url = twofactor.otpauth_url(request.user, key)
    # segno's own SVG: path data only, nothing the user typed.
    qr_svg = mark_safe(twofactor.qr_svg(url))  # noqa: S308  # nosec
    return render(
        request,
        "registration/otp_setup.html",
        {
            "qr_svg": qr_svg,
            "secret": twofactor.base32_secret(key),
            "error": error,
            "next": request.POST.get("next") or request.GET.get("next", ""),
            "required": bool(is_ipa_staff(request.user)),
        },
        status=400 if error else 200,
    )


@login_required
def otp_verify(request):
    """The second factor after the password: the app's code or a recovery code."""
    from . import twofactor

    if not twofactor.has_device(request.user):
        return redirect(f"{reverse('otp_setup')}?{request.META.get('QUERY_STRING', '')}")
    error = ""
    if request.method == "POST":
        if twofactor.verify(request, request.POST.get("code", "")):
            return redirect(twofactor.safe_next(request))
        error = (
            "確認コードが正しくありません。認証アプリの6桁の数字、または予備コードを入力してください。"
            "続けて誤ると、しばらく入力を受け付けません。"
        )
    return render(
        request,
        "registration/otp_verify.html",
        {"error": error, "next": request.POST.get("next") or request.GET.get("next", "")},
        status=400 if error else 200,
    )


@login_required
def otp_settings(request):
    """The account's page of the second factor: whether it is on; provider
    staff may turn it on (and off again)."""
    from . import twofactor

    if request.method == "POST" and request.POST.get("action") == "disable":
        twofactor.disable(request.user)
        request.session[twofactor.HAS_DEVICE_SESSION] = False
        messages.success(request, "二段階認証を解除しました。")
        return redirect("otp_settings")
    return render(
        request,
        "registration/otp_settings.html",
        {
            "enabled": twofactor.has_device(request.user),
            "required": bool(is_ipa_staff(request.user)),
        },
    )
