"""Pages of the exam-problem delivery (E3, M§6.3–6.6): the recipient's list,
downloads and password confirmation; IPA's upload and download status per
exam date. Views are thin: exams.delivery holds the rules."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from calendars.models import ExamSession
from calendars.rules import exam_day_label
from portal.decorators import role_required
from portal.forms import FAILED, attempt
from portal.roles import is_ipa_admin, is_ipa_staff
from providers.contact_views import ContactInvitationView

from . import delivery
from .forms import ProblemFileForm
from .models import ProblemDownload, ProblemFile, ProblemFileKind

staff_required = role_required(is_ipa_staff)
admin_required = role_required(is_ipa_admin)
PAGE_SIZE = 50


# The recipient ----------------------------------------------------------------------


@login_required
def problem_list(request):
    """E3/M§6.3: the exam dates whose problems this user receives, what is
    available from which date, download links and the password pages."""
    today = timezone.localdate()
    sites = list(delivery.sites_for_recipient(request.user))
    files = {}
    for f in ProblemFile.objects.filter(session__in={s.session_id for s in sites}):
        files.setdefault(f.session_id, {})[f.kind] = f
    downloaded = set(
        ProblemDownload.objects.filter(site__in=sites).values_list("site_id", "file_id")
    )
    rows = []
    for site in sites:
        problem = delivery.delivery_problem(site)
        entries = []
        for kind, label in ProblemFileKind.choices:
            f = files.get(site.session_id, {}).get(kind)
            entries.append({
                "label": label, "file": f,
                "from": f.available_from if f else delivery.standard_available_from(site.session, kind),
                "available": f is not None and f.available_from <= today and problem is None,
                "downloaded": f is not None and (site.pk, f.pk) in downloaded,
            })  # fmt: skip
        rows.append({
            "site": site, "problem": problem, "entries": entries,
            "exam_day": exam_day_label(site.session.exam_date),
            "decrypt_by": exam_day_label(delivery.reminder_day(site.session)),
        })  # fmt: skip
    return render(request, "exams/problems.html", {"rows": rows, "today": today})


@login_required
def problem_download(request, site_pk: int, file_pk: int):
    """The file as an attachment, never cached; audited. 404 for anyone but
    the recipient of a paid site, and before the file's 提供開始日."""
    site = delivery.recipient_site_or_404(request.user, site_pk)
    problem_file = delivery.available_file_or_404(site, file_pk)
    delivery.record_download(request.user, site, problem_file)
    response = FileResponse(problem_file.file.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, problem_file.filename)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def problem_password(request, site_pk: int, file_pk: int):
    """M§6.4: the decryption password, only to the recipient, only after a
    confirmation (POST), never in an e-mail; audited."""
    site = delivery.recipient_site_or_404(request.user, site_pk)
    problem_file = delivery.available_file_or_404(site, file_pk)
    shown = request.method == "POST"
    if shown:
        delivery.record_password_view(request.user, site, problem_file)
    response = render(
        request,
        "exams/problem_password.html",
        {"site": site, "file": problem_file, "shown": shown},
    )
    response["Cache-Control"] = "no-store"
    return response


class RecipientInvitationView(ContactInvitationView):
    """E3: the temporary recipient sets a password (the one-time link of the
    e-mail sent when the account was made)."""

    template_name = "exams/problem_recipient_invitation.html"


problem_recipient_invitation = RecipientInvitationView.as_view()


# IPA ------------------------------------------------------------------------------


@staff_required
def review_problems(request, pk: int):
    """IPA, per exam date: the files (administrators upload them) and who has
    and has not downloaded, 50 sites a page, a fixed number of queries."""
    session = get_object_or_404(ExamSession, pk=pk)
    files = _files(session)
    sites = (
        delivery.delivery_sites(session)
        .select_related("recipient_account__user")
        .order_by("provider__number", "pk")
    )
    page = Paginator(sites, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = delivery.status_rows(page.object_list, files)
    form = ProblemFileForm(initial={"kind": ProblemFileKind.SAMPLE})
    return render(request, "exams/review_problems.html", _review_context(
        session, files, page, rows, form, request,
    ))  # fmt: skip


def _files(session) -> list[ProblemFile]:
    """The exam date's files, the sample first (the order they come out)."""
    order = list(ProblemFileKind.values)
    found = ProblemFile.objects.filter(session=session).select_related("session", "uploaded_by")
    return sorted(found, key=lambda f: order.index(f.kind))


def _review_context(session, files, page, rows, form, request) -> dict:
    by_kind = {f.kind: f for f in files}
    return {
        "session": session, "page": page, "rows": rows, "form": form, "files": files,
        "kinds": [
            {"label": label, "file": by_kind.get(kind),
             "standard": delivery.standard_available_from(session, kind)}
            for kind, label in ProblemFileKind.choices
        ],
        "may_upload": is_ipa_admin(request.user),
        "reminder_day": delivery.reminder_day(session),
    }  # fmt: skip


@require_POST
@admin_required
def review_problem_upload(request, pk: int):
    session = get_object_or_404(ExamSession, pk=pk)
    form = ProblemFileForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        done = attempt(
            request,
            lambda: delivery.upload_problem_file(
                session.pk,
                request.user,
                data["kind"],
                data["file"],
                data["password"],
                data["available_from"],
            ),  # fmt: skip
            form=form,
            success=lambda f: (
                f"{f.get_kind_display()}を登録しました（提供開始日 "
                f"{exam_day_label(f.available_from)}）。"
            ),
        )
        if done is not FAILED:
            return redirect("review_problems", pk=session.pk)
    else:
        messages.error(request, "入力内容を確認してください。")
    files = _files(session)
    sites = delivery.delivery_sites(session).select_related("recipient_account__user")
    page = Paginator(sites.order_by("provider__number", "pk"), PAGE_SIZE).get_page(1)
    rows = delivery.status_rows(page.object_list, files)
    return render(
        request,
        "exams/review_problems.html",
        _review_context(session, files, page, rows, form, request),
    )
