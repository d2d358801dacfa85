"""Pages of the completers of a result report (R3–R8): add one, correct one
(開く / 更新), delete, the bulk upload with its preview, and the copies of
private-qualification certificates. Their URLs sit under the report's
(``exams/reports/<pk>/…``); the report page itself (exams.views) shows them
through ``exams.signals.report_page``. Views are thin. Also the issued 認定証 (C12): downloads of the stored
versions and the reviewer's 再発行."""

import copy

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from courses.models import ExemptionCourse
from courses.views import _date, _review_action, reviewer_required
from exams import services as exam_services
from exams.models import ResultReport
from exams.services import ExamStateError
from exams.views import own_report, report_page
from portal.decorators import role_required
from portal.forms import FAILED, apply_service_errors, attempt
from portal.idempotency import idempotent
from portal.isolation import get_for_user_or_404
from portal.roles import is_ipa_staff, is_provider_staff
from portal.views import serve_upload

from . import services
from .completer_import import MAX_UPLOAD_BYTES
from .forms import CompleterCorrectionForm, CompleterForm
from .models import Completer, CompleterUpload

provider_required = role_required(is_provider_staff)


COMPLETERS_PER_PAGE = 100


def completer_listing(request, report) -> dict:
    """Issue 11: the report's completers 100 a page, searched by name (kanji
    or kana) or by 修了認定者管理番号 (with or without hyphens), and their
    total; a report of 10,000 completers no longer renders in one loop."""
    completers = report.completers.all()
    total = completers.count()
    query = request.GET.get("q", "").strip()[:40]
    if query:
        digits = query.replace("-", "").replace("－", "")
        completers = completers.filter(
            Q(family_name__contains=query) | Q(given_name__contains=query)
            | Q(family_kana__contains=query) | Q(given_kana__contains=query)
            | Q(management_number__contains=digits)
        )  # fmt: skip
    page = Paginator(completers.order_by("serial", "pk"), COMPLETERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return {
        "completers": page.object_list,
        "page": page,
        "completer_count": total,
        "completer_query": query,
        "completer_matches": page.paginator.count,
    }


def report_page_sections(sender, *, request, report, review, completer_form=None, **kwargs):
    """exams.signals.report_page: the completers of the report; on the
    provider's page also the completer form (a refused one again, open);
    on an accepted report the corrections by change request (R11)."""
    from portal.receipts import annotate_latest_number
    from providers import changes

    requests = changes.requests_for(report).filter(kind=services.CORRECTION_KIND)
    corrections = {
        "correctable": services.correction_problem(report) is None,
        "correction_requests": list(annotate_latest_number(requests)[:20]),
        "correction_review": review,
    }
    listing = completer_listing(request, report)
    if review:
        return {**listing, **corrections}
    return {
        **corrections,
        **listing,
        "completer_form": completer_form
        or CompleterForm(
            private=exam_services.is_private(report),
            initial={"serial": services.next_completer_serial(report)},
        ),
        "completer_form_open": completer_form is not None,
    }


@require_POST
@provider_required
@idempotent  # issue 11: one object per posted form
def completer_add(request, pk: int):
    """One completer from the form; a refusal shows the form again with every
    field as typed and the message beside each field."""
    report = own_report(request, pk)
    form = CompleterForm(request.POST, private=exam_services.is_private(report))
    if form.is_valid():
        try:
            completer = services.add_completer(report.pk, request.user, form.values())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except ExamStateError as exc:
            messages.error(request, str(exc))
            return redirect("report_detail", pk=report.pk)
        else:
            messages.success(
                request,
                f"{completer.management_number_display} {completer.family_name}　{completer.given_name} を登録しました。",
            )
            return redirect("report_detail", pk=report.pk)
    messages.error(request, "修了認定者を登録できませんでした。入力内容を確認してください。")
    return report_page(request, report, completer_form=form)


@provider_required
def completer_edit(request, pk: int, completer_pk: int):
    """R3: 開く / 更新 — correct one completer of a draft or returned report."""
    report = own_report(request, pk)
    completer = get_object_or_404(report.completers, pk=completer_pk)
    editable = report.state in (ResultReport.S.DRAFT, ResultReport.S.RETURNED)
    problem = services.correction_problem(report)  # R11: accepted → a change request
    form = CompleterForm(
        request.POST or None,
        instance=completer,
        private=exam_services.is_private(report),
        edit=True,
    )
    if not editable:  # shown read-only: no hints about changing it
        for field in form.fields.values():
            field.disabled = True
            field.help_text = ""
    if request.method == "POST" and form.is_valid():
        try:
            completer = services.update_completer(
                report.pk, completer.pk, request.user, form.values()
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except ExamStateError as exc:
            messages.error(request, str(exc))
            return redirect("report_detail", pk=report.pk)
        else:
            messages.success(
                request,
                f"{completer.management_number_display} {completer.family_name}　{completer.given_name} を更新しました。",
            )
            return redirect("report_detail", pk=report.pk)
    return render(
        request,
        "certifications/completer_form.html",
        {
            "report": report,
            "completer": completer,
            "form": form,
            "editable": editable,
            "correction_problem": problem,
            "correctable": not editable and problem is None,
        },  # fmt: skip
    )


def _chosen_pks(request, draft) -> list[int]:
    """The completers of the correction page: those chosen on the report page
    (``c``), those of the form sent (``chosen``) and those the request being
    written already corrects."""
    data = request.POST if request.method == "POST" else request.GET
    pks = {
        int(x) for x in data.getlist("chosen" if request.method == "POST" else "c") if x.isdigit()
    }
    if draft is not None:
        pks |= {
            int(pk) for pk, values in draft.proposed.items() if values != draft.original.get(pk)
        }
    return sorted(pks)


@provider_required
def completer_correction(request, pk: int):
    """R11: 修了認定者情報の訂正（変更申請） — the chosen completers of an
    accepted report on a copy, one form each (initial: the approved values
    or those of the request being written); saving stores the change
    request (作成中) and opens its page to check and file it. Nothing of
    the completers changes until IPA approves."""
    from providers import changes

    report = own_report(request, pk)
    problem = services.correction_problem(report)
    if problem:  # X1: a draft or returned report is corrected in place
        messages.info(request, problem)
        return redirect("report_detail", pk=report.pk)
    draft = changes.editable_draft(services.CORRECTION_KIND, report)
    pks = _chosen_pks(request, draft)
    if len(pks) > services.CORRECTION_LIMIT:
        messages.error(
            request,
            f"一度に訂正できるのは{services.CORRECTION_LIMIT}名までです。選び直してください。",
        )
        return redirect("report_detail", pk=report.pk)
    completers = list(report.completers.filter(pk__in=pks).order_by("serial"))
    if not completers:
        messages.error(request, "訂正する修了認定者を選んでください。")
        return redirect(f"{reverse('report_detail', args=[report.pk])}#completers")
    rows = []
    for completer in completers:
        instance = copy.copy(completer)  # the form edits a copy, never the record
        values = draft.proposed.get(str(completer.pk)) if draft else None
        if values:
            for name, value in values.items():
                if name in services.CORRECTABLE_FIELDS:
                    setattr(instance, name, Completer._meta.get_field(name).to_python(value))
        form = CompleterCorrectionForm(
            request.POST if request.method == "POST" else None,
            instance=instance,
            prefix=f"c{completer.pk}",
        )
        rows.append({"completer": completer, "form": form})
    reason = (
        request.POST.get("reason", "")
        if request.method == "POST"
        else (draft.reason if draft else "")
    )
    refusal = []
    if request.method == "POST":
        if all(row["form"].is_valid() for row in rows):
            try:
                change = services.save_completer_correction(
                    report.pk,
                    request.user,
                    {row["completer"].pk: row["form"].values() for row in rows},
                    reason=reason.strip(),
                )
            except ValidationError as exc:
                refusal = _put_errors(rows, exc)
            else:
                messages.success(
                    request,
                    "訂正内容を保存しました（まだ反映されていません）。内容と書類を確認して申請してください。",
                )
                return redirect("change_detail", change.pk)
        messages.error(request, "訂正内容を保存できませんでした。入力内容を確認してください。")
    summary = [
        (row["completer"].management_number_display, field_id, label, message)
        for row in rows
        for field_id, label, message in row["form"].error_summary()
    ]
    return render(
        request,
        "certifications/completer_correction.html",
        {"report": report, "rows": rows, "reason": reason, "continued": draft,
         "summary": summary, "refusal": refusal, "error_count": len(summary) + len(refusal)},
    )  # fmt: skip


def _put_errors(rows, exc: ValidationError) -> list[str]:
    """The service's refusal, keyed by the forms' prefixed field names
    (``c<pk>-<field>``), beside each field; what belongs to no form is
    returned for the top of the page."""
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    forms = {row["form"].prefix: row["form"] for row in rows}
    rest = []
    for key, errors in exc.error_dict.items():
        prefix, _, name = key.partition("-")
        form = forms.get(prefix)
        if form is None:
            rest += [m for error in errors for m in error.messages]
            continue
        form.add_error(name if name in form.fields else None, errors)
    return rest


@require_POST
@provider_required
def completer_delete(request, pk: int):
    report = own_report(request, pk)
    ids = [int(x) for x in request.POST.getlist("completers") if x.isdigit()]
    if not ids and request.POST.get("all") != "1":
        messages.error(request, "削除する修了認定者を選んでください。")
        return redirect("report_detail", pk=report.pk)
    attempt(
        request,
        lambda: services.delete_completers(report.pk, request.user, ids or None),
        success=lambda count: f"修了認定者を{count}名削除しました。",
    )
    return redirect("report_detail", pk=report.pk)


@require_POST
@provider_required
@idempotent  # issue 11: one object per posted form
def completer_upload(request, pk: int):
    report = own_report(request, pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "「修了認定者ファイル」を選んでください。")
        return redirect("report_detail", pk=report.pk)
    if upload.size > MAX_UPLOAD_BYTES:
        messages.error(
            request,
            f"「修了認定者ファイル」は{MAX_UPLOAD_BYTES // (1024 * 1024)}MB以下にしてください。",
        )
        return redirect("report_detail", pk=report.pk)
    staged = attempt(
        request, lambda: services.stage_upload(report.pk, request.user, upload.name, upload.read())
    )
    if staged is FAILED:
        return redirect("report_detail", pk=report.pk)
    return redirect("upload_preview", pk=staged.pk)


@provider_required
def upload_preview(request, pk: int):
    upload = get_for_user_or_404(
        CompleterUpload.objects.select_related("report__delivery_course__course__provider"),
        request.user,
        pk=pk,
    )
    errors = upload.errors[: CompleterUpload.MAX_STORED_ERRORS]
    total = max(
        upload.error_count, len(upload.errors)
    )  # issue 11: the stored first 1,000 and the count
    return render(request, "certifications/upload_preview.html", {"upload": upload, "report": upload.report,
                                                        "rows": upload.rows[:200], "errors": errors,
                                                        "error_total": total, "error_total_shown": f"{total:,}",
                                                        "errors_shown": f"{len(errors):,}"})  # fmt: skip


@require_POST
@provider_required
def upload_confirm(request, pk: int):
    upload = get_for_user_or_404(CompleterUpload, request.user, pk=pk)
    confirmed = attempt(
        request,
        lambda: services.confirm_upload(upload.pk, request.user),
        success=lambda count: f"修了認定者を{count}名登録しました。",
    )
    if confirmed is FAILED:
        return redirect("upload_preview", pk=upload.pk)
    return redirect("report_detail", pk=upload.report_id)


@require_POST
@provider_required
@idempotent  # issue 11: one object per posted form
def certificate_copy_upload(request, pk: int):
    report = own_report(request, pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "「民間資格の合格証のコピー」のファイルを選んでください。")
    else:
        attempt(
            request,
            lambda: services.add_certificate_copy(
                report.pk, request.user, request.POST.get("title", ""), upload
            ),
            success="民間資格の合格証のコピーを登録しました。",
        )
    return redirect("report_detail", pk=report.pk)


@role_required(lambda user: is_provider_staff(user) or is_ipa_staff(user))
def certificate_copy_download(request, pk: int, copy_pk: int):
    """R8 certificate copies: the provider's own staff and IPA staff only."""
    report = get_for_user_or_404(
        ResultReport.objects.select_related("delivery_course__course__provider"),
        request.user,
        pk=pk,
    )
    copy = get_object_or_404(report.certificate_copies, pk=copy_pk)
    return serve_upload(request, copy.file, report, "report.certificate_copy_download")


# The issued 認定証 (C12) ---------------------------------------------------------


@require_POST
@reviewer_required
def review_course_reissue(request, pk: int):
    """C12 再発行: a new version of the certificate with its own issue date."""

    def act(course):
        if request.POST.get("confirm") != "1":
            raise ValidationError(
                "再発行する場合は「新しい版として再発行することを確認しました」にチェックを付けてください。"
            )
        on = _date(request.POST.get("on", ""), "発行日")
        services.reissue_certificate(course.pk, request.user, request.POST.get("reason", ""), on)
        return f"認定証を{on:%Y年%-m月%-d日}付で再発行しました。以前の版も引き続きダウンロードできます。"

    return _review_action(request, pk, act)


@role_required(lambda user: is_provider_staff(user) or is_ipa_staff(user))
def certificate_download(request, pk: int, version: int):
    """C12: an issued certificate, exactly the bytes stored when it was issued;
    the provider's own staff and IPA staff; every download is audited."""
    from django.http import HttpResponse
    from django.utils.http import content_disposition_header

    course = get_for_user_or_404(
        ExemptionCourse.objects.select_related("provider"), request.user, pk=pk
    )
    issued = get_object_or_404(course.issued_certificates, version=version)
    services.record_download(issued, request.user)
    response = HttpResponse(bytes(issued.content), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, issued.filename)
    response["Cache-Control"] = "no-store"
    return response


# Checking a certificate (its verification code and QR code): public ------------------

VERIFY_TEMPLATE = "certifications/verify.html"


def _verify_page(request, status=200, **context):
    from django.utils import timezone

    from .forms import VerifyCodeForm

    context.setdefault("form", VerifyCodeForm(initial={"code": context.get("typed", "")}))
    context["today"] = timezone.localdate()
    response = render(request, VERIFY_TEMPLATE, context, status=status)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"  # codes are for holders, not for search engines
    return response


def certificate_verify_form(request):
    """Type a code from a certificate (or arrive from its QR code, below)."""
    from . import verification
    from .forms import VerifyCodeForm

    if "code" not in request.GET:
        return _verify_page(request)
    form = VerifyCodeForm(request.GET)
    if not form.is_valid():
        return _verify_page(request, form=form)
    typed = form.cleaned_data["code"].strip()
    code = verification.normalize(typed)
    if code is None:  # cannot be a code: the same answer as an unknown one
        return _verify_page(request, status=404, typed=typed, unknown=True)
    return redirect("certificate_verify", code=verification.display_code(code))


TOO_LARGE = "「認定証のPDFファイル」は20MB以下のファイルを選んでください。"


def _too_large(request) -> bool:
    from .forms import MAX_CHECK_BYTES

    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return length > MAX_CHECK_BYTES + 64 * 1024  # the file and the form around it


def certificate_verify(request, code: str):
    """The verification page of one code: what the certificate says and its
    status today, and the checksum comparison of a copy (POST). An unknown
    code answers 404 with the same page and nothing about any certificate;
    lookups are limited per client address."""
    from django.utils import timezone

    from . import verification
    from .forms import ChecksumForm

    if not verification.allow_lookup(getattr(request, "client_ip", None)):
        return _verify_page(request, status=429, typed=code, limited=True)
    result = verification.lookup(code, timezone.localdate())
    if result is None:
        return _verify_page(request, status=404, typed=code, unknown=True)
    match, refused = None, ""
    if request.method == "POST" and _too_large(request):
        # refused before the upload is read (a public form: no huge bodies)
        check_form, refused = ChecksumForm(), TOO_LARGE
    elif request.method == "POST":
        check_form = ChecksumForm(request.POST, request.FILES)
        if check_form.is_valid():
            match = verification.compare_checksum(result, check_form.checksum())
    else:
        check_form = ChecksumForm()
    return _verify_page(
        request,
        typed=result.display_code,
        result=result,
        check_form=check_form,
        match=match,
        check_refused=refused,
    )


# I4/I5 (issue 10): the provider's documents page ----------------------------------------


@role_required(is_provider_staff)
def provider_documents(request):
    """Every certificate and generated form the provider can download, in one
    place: its 申請書式1, the forms of each course (20 courses a page, in a
    constant number of queries), every issued 認定証, and the way to its
    invoices and receipts."""
    from django.core.paginator import Paginator
    from django.db.models import Prefetch

    from courses.views import COURSE_DOCUMENTS
    from portal import documents
    from portal.isolation import provider_of

    from .models import IssuedCertificate

    provider = provider_of(request.user)
    issued = Prefetch(
        "issued_certificates",
        queryset=IssuedCertificate.objects.defer("content", "data").order_by("-version"),
    )
    page = Paginator(
        ExemptionCourse.objects.for_user(request.user, own=True)
        .select_related("provider")
        .prefetch_related(issued)
        .order_by("-serial"),
        20,
    ).get_page(request.GET.get("page"))
    courses = list(page.object_list)
    return render(
        request,
        "certifications/provider_documents.html",
        {"provider": provider, "page": page, "courses": courses,
         "provider_documents": documents.panel(request.user, provider, ["shoshiki_1"]),
         "course_documents": documents.panel_for_many(
             request.user, courses, COURSE_DOCUMENTS, label=lambda c: f"{c.number} {c.name}")},
    )  # fmt: skip
