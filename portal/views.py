from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from . import audit, documents, services
from . import dashboard as dashboard_parts
from .forms import LoginForm
from .isolation import provider_of
from .models import GeneratedDocument
from .roles import is_ipa_admin, is_provider_staff, is_reviewer


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


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
