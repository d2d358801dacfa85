"""Pages of completion exams: the provider's calendar, applications and result
reports; the reviewer's overview per exam date. Views are thin."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from calendars.models import ExamSession
from courses.models import DeliveryCourse
from fees.models import FeeLine
from portal import audit, documents, workflow
from portal.bizdays import JST
from portal.decorators import role_required
from portal.forms import FAILED, apply_service_errors, attempt
from portal.idempotency import idempotent
from portal.isolation import get_for_user_or_404, provider_of
from portal.roles import is_ipa_admin, is_ipa_staff, is_provider_staff, is_reviewer

from . import rules, services, signals
from .forms import ExamSiteForm, ReportForm, ReviewedReportForm, SessionCancelForm
from .models import LIVE_APPLICATION_STATES, ExamApplication, ExamSite, ResultReport

provider_required = role_required(is_provider_staff)
staff_required = role_required(is_ipa_staff)
reviewer_required = role_required(is_reviewer)
admin_required = role_required(is_ipa_admin)
REPORT_DOCUMENTS = ["shoshiki_4", "minkan_goukaku", "completer_notice"]
REPORTED = (ResultReport.S.SUBMITTED, ResultReport.S.ACCEPTED)  # reported and not returned


# Provider ------------------------------------------------------------------------


@provider_required
def exam_calendar(request):
    """E1: the exam dates with their windows and countdowns, and where this
    provider stands for each."""
    provider = provider_of(request.user)
    now = timezone.now()
    sessions = list(ExamSession.objects.filter(published=True).order_by("-exam_date")[:12])
    applied = dict(
        ExamApplication.objects.for_user(request.user, own=True)
        .filter(state=ExamApplication.S.SUBMITTED)
        .values_list("session_id")
        .annotate(n=Sum("applicants"))
    )
    reports = dict(
        ResultReport.objects.for_user(request.user, own=True)
        .values_list("session_id")
        .annotate(n=Count("id", filter=Q(state__in=REPORTED)))
    )
    rows = [
        {
            "session": s,
            "apply_countdown": rules.countdown_text(
                s.application_closes_at, now, s.application_opens_at
            ),
            "report_countdown": rules.countdown_text(s.report_closes_at, now, s.report_opens_at),
            "applicants": applied.get(s.pk, 0),
            "reports": reports.get(s.pk, 0),
        }
        for s in sessions
    ]
    today = timezone.localdate(now)
    return render(
        request,
        "exams/calendar.html",
        {
            "rows": rows,
            # E1: sessions are newest first, so the first one tells whether any is to come.
            "no_future_exam": not sessions or sessions[0].exam_date < today,
            "has_demo": any(s.is_demo for s in sessions),
            "provider": provider,
            "documents": documents.panel(request.user, provider, ["csv_export"]),
        },
    )


@provider_required
def exam_session(request, pk: int):
    provider = provider_of(request.user)
    session = get_object_or_404(ExamSession, pk=pk)
    now = timezone.now()
    sites = list(
        ExamSite.objects.for_user(request.user, own=True)
        .filter(session=session)
        .prefetch_related(
            "applications__delivery_course__course__provider", "applications__session"
        )
    )
    applications = list(
        ExamApplication.objects.for_user(request.user, own=True)
        .filter(session=session)
        .select_related(
            "delivery_course__course__provider", "site", "fee_line__payment_request", "session"
        )
    )
    unit = services.problem_fee_unit(timezone.localdate(now))
    for a in applications:  # E2: a draft shows what filing it would cost
        a.fee_shown = services.problem_fee(a, unit)
    # A withdrawn application stays listed; its course may apply again.
    applied_ids = {a.delivery_course_id for a in applications if not workflow.state_of(a).closed}
    eligible = [
        d for d in services.eligible_delivery_courses(provider, session) if d.pk not in applied_ids
    ]
    apply_problem = services.application_window_problem(session, now)
    # E2/D4: a page with nothing to apply for says why, and where to fix it.
    blockers = (
        services.application_blockers(provider, session, now)
        if not applications and (apply_problem or not eligible)
        else []
    )
    reports = (
        ResultReport.objects.for_user(request.user, own=True)
        .filter(session=session)
        .select_related("delivery_course__course__provider", "application")
    )
    reviewed_candidates = DeliveryCourse.objects.for_user(request.user, own=True).filter(
        state=DeliveryCourse.S.APPROVED, exams__kind="reviewed",
        exams__vendor_date__year=session.exam_date.year, exams__vendor_date__month=session.exam_date.month,
    ).select_related("course__provider").distinct()  # fmt: skip
    return render(
        request,
        "exams/session.html",
        {
            "session": session,
            "site_rows": [
                (
                    s,
                    documents.panel(request.user, s, ["unei_taisei_exam"]),
                    sum(a.state == ExamApplication.S.DRAFT for a in s.applications.all()),
                )
                for s in sites
            ],  # fmt: skip
            "applications": applications,
            # The 申請書式3 of the applications that still count (E2).
            "application_documents": documents.panel_for_many(
                request.user,
                [a for a in applications if not workflow.state_of(a).closed],
                ["shoshiki_3"],
                label=lambda a: a.delivery_course.number,
            ),  # fmt: skip
            "eligible": eligible,
            "blockers": blockers,
            "reports": reports,
            "reviewed_candidates": reviewed_candidates,
            "apply_problem": apply_problem,
            "report_problem": services.report_window_problem(session, now),
            "exam_held": timezone.localtime(now).date() >= session.exam_date,
            "apply_countdown": rules.countdown_text(
                session.application_closes_at, now, session.application_opens_at
            ),
            "report_countdown": rules.countdown_text(
                session.report_closes_at, now, session.report_opens_at
            ),
        },
    )


@provider_required
@idempotent  # issue 11: one object per posted form
def site_form(request, pk: int, site_pk: int | None = None):
    provider = provider_of(request.user)
    session = get_object_or_404(ExamSession, pk=pk)
    site = (
        get_for_user_or_404(ExamSite, request.user, pk=site_pk, session=session)
        if site_pk
        else None
    )
    initial = {}
    if site is None:
        structure = getattr(
            provider.courses.filter(operation_structure__isnull=False).first(),
            "operation_structure",
            None,
        )
        if structure is not None:  # start from the course's structure
            initial = {
                f: getattr(structure, f)
                for f in ExamSiteForm.Meta.fields
                if hasattr(structure, f) and f != "created_on"
            }
    form = ExamSiteForm(request.POST or None, instance=site, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_site(
                provider, request.user, session.pk, form.cleaned_data, site_pk=site_pk
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except services.ExamStateError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "修了試験の運営実施体制を保存しました。")
            return redirect("exam_session", pk=session.pk)
    return render(request, "exams/site_form.html", {"form": form, "session": session, "site": site})


@require_POST
@provider_required
@idempotent  # issue 11: one object per posted form
def application_save(request, site_pk: int):
    site = get_for_user_or_404(ExamSite, request.user, pk=site_pk)
    try:
        delivery_pk = int(request.POST.get("delivery_course", 0))
        applicants = int(request.POST.get("applicants") or 0)
    except ValueError:
        messages.error(request, "「応募者数」は半角数字で入力してください。")
    else:
        attempt(
            request,
            lambda: services.save_application(site.pk, request.user, delivery_pk, applicants),
            success="申込み内容を一時保存しました。「申し込む」を押すと確定します。",
            forbidden_as_message=True,
        )
    return redirect("exam_session", pk=site.session_id)


@require_POST
@provider_required
def site_submit(request, site_pk: int):
    site = get_for_user_or_404(ExamSite, request.user, pk=site_pk)

    def done(submitted):
        total = sum(a.applicants for a in submitted)
        return f"{len(submitted)}件の実施講座（応募者{total}名）を申し込みました。問題提供料 {total * 2000:,}円を申込み期間内にお振り込みください。"

    attempt(
        request,
        lambda: services.submit_applications(site.pk, request.user),
        success=done,
        forbidden_as_message=True,
    )
    return redirect("exam_session", pk=site.session_id)


@require_POST
@provider_required
def application_change(request, pk: int):
    application = get_for_user_or_404(
        ExamApplication.objects.select_related("site"), request.user, pk=pk
    )
    try:
        applicants = int(request.POST.get("applicants") or 0)
    except ValueError:
        messages.error(request, "「応募者数」は半角数字で入力してください。")
    else:
        attempt(
            request,
            lambda: services.change_applicants(application.pk, request.user, applicants),
            success="応募者数を変更しました。",
            forbidden_as_message=True,
        )
    return redirect("exam_session", pk=application.session_id)


@provider_required
def application_withdraw(request, pk: int):
    """問題提供情報（修了試験情報）の削除 (M§5.7, E2): the confirmation page
    (GET) names the exam and what happens to the problem fee; POST withdraws
    the application, until the close (15:00 of the closing day)."""
    application = get_for_user_or_404(
        ExamApplication.objects.select_related(
            "session", "site", "delivery_course__course__provider", "fee_line__payment_request"
        ),
        request.user,
        pk=pk,
    )
    if request.method == "POST":
        done = attempt(
            request,
            lambda: services.withdraw_application(application.pk, request.user),
            success=lambda a: f"{a}の申込みを取り下げました。{a.fee_outcome}",
            forbidden_as_message=True,
        )
        if done is not FAILED:
            return redirect("exam_session", pk=application.session_id)
    try:
        workflow.check(application, "withdraw", actor=request.user)
    except workflow.TransitionError as exc:
        problem = str(exc)
    else:
        problem = ""
    return render(request, "exams/application_withdraw.html", {
        "application": application, "session": application.session, "problem": problem,
        "fee_outcome": services.withdrawal_fee_outcome(application),
        "receipt_number": workflow.receipt_number(application),  # the site's 到達番号
    })  # fmt: skip


@require_POST
@provider_required
def application_delete(request, pk: int):
    """A draft application (never filed) is simply deleted."""
    application = get_for_user_or_404(
        ExamApplication.objects.select_related("delivery_course__course__provider"),
        request.user,
        pk=pk,
    )
    number, session_pk = application.number, application.session_id
    attempt(
        request,
        lambda: services.delete_application(application.pk, request.user),
        success=f"実施講座 {number} の一時保存した申込みを削除しました。",
        forbidden_as_message=True,
    )
    return redirect("exam_session", pk=session_pk)


@require_POST
@provider_required
def report_open(request, pk: int):
    application = get_for_user_or_404(ExamApplication, request.user, pk=pk)
    report = attempt(
        request,
        lambda: services.open_report(application.pk, request.user),
        forbidden_as_message=True,
    )
    if report is FAILED:
        return redirect("exam_session", pk=application.session_id)
    return redirect("report_detail", pk=report.pk)


@provider_required
@idempotent  # issue 11: one object per posted form
def reviewed_report_create(request, pk: int):
    delivery = get_for_user_or_404(
        DeliveryCourse.objects.select_related("course__provider"), request.user, pk=pk
    )
    form = ReviewedReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        report = attempt(
            request,
            lambda: services.create_reviewed_report(delivery.pk, request.user, form.cleaned_data),
            form=form,
        )
        if report is not FAILED:
            return redirect("report_detail", pk=report.pk)
    return render(request, "exams/reviewed_report_form.html", {"form": form, "delivery": delivery})


def own_report(request, pk: int) -> ResultReport:
    return get_for_user_or_404(
        ResultReport.objects.select_related("delivery_course__course__provider", "session", "application"),
        request.user, pk=pk,
    )  # fmt: skip


def report_page(request, report: ResultReport, form=None, status=200, **sections):
    """The report page; a refused form is shown again with what was typed.
    The apps above exams add their parts (signals.report_page), given
    ``sections`` (e.g. certifications' refused completer form)."""
    private = services.is_private(report)
    return render(
        request,
        "exams/report.html",
        {
            "report": report,
            "form": form or ReportForm(instance=report),
            **signals.report_page_sections(request, report, review=False, **sections),
            "private": private,
            "problems": services.report_problems(report)
            if workflow.is_editable_by_provider(report)
            else [],
            "window_problem": services.report_window_problem_for(report, timezone.now()),
            "pass_score": services.pass_score(report),
            "documents": documents.panel(
                request.user,
                report,
                REPORT_DOCUMENTS if private else ["shoshiki_4", "completer_notice"],
                mark_outdated=True,  # R11: files made before a correction was approved
            ),
        },
        status=status,
    )


@provider_required
def report_detail(request, pk: int):
    report = own_report(request, pk)
    form = ReportForm(request.POST or None, instance=report)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_report(report.pk, request.user, form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except services.ExamStateError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "報告内容を保存しました。")
            return redirect("report_detail", pk=report.pk)
        report.refresh_from_db()
    return report_page(request, report, form=form)


@require_POST
@provider_required
def report_submit(request, pk: int):
    report = own_report(request, pk)
    submitted = attempt(
        request,
        lambda: services.submit_report(report.pk, request.user),
        success="修了試験結果を報告しました。IPAの受理後、各修了認定者に修了認定者管理番号を伝えてください（IPAからは通知しません）。",
    )
    if submitted is not FAILED and submitted.late_flag:
        messages.warning(request, "修了認定年月日から2週間を超えた報告です。IPAに確認されます。")
    return redirect("report_detail", pk=report.pk)


# IPA ----------------------------------------------------------------------------


def _per_session(queryset, aggregate):
    """One number per exam date from its own subquery, so counting the
    reports never multiplies the applicants (and the other way round)."""
    rows = (
        queryset.filter(session=OuterRef("pk"))
        .order_by()
        .values("session")
        .annotate(value=aggregate)
        .values("value")
    )
    return Coalesce(Subquery(rows), Value(0))


_late_payments_to_decide = services.late_payments_to_decide


@staff_required
def review_exams(request):
    submitted = ExamApplication.objects.filter(state=ExamApplication.S.SUBMITTED)
    sessions = ExamSession.objects.order_by("-exam_date").annotate(
        n_applications=_per_session(submitted, Count("pk")),
        n_applicants=_per_session(submitted, Sum("applicants")),
        n_reports=_per_session(ResultReport.objects.filter(state__in=REPORTED), Count("pk")),
        n_late=_per_session(ResultReport.objects.filter(late_flag=True), Count("pk")),
        n_late_payment=_per_session(_late_payments_to_decide(), Count("pk")),
    )[:24]
    return render(request, "exams/review_exams.html", {"sessions": sessions})


@staff_required
def review_exam_session(request, pk: int):
    session = get_object_or_404(ExamSession.objects.select_related("cancelled_by"), pk=pk)
    now = timezone.now()
    # Every filed application (a draft is not IPA's): the live ones, and the
    # withdrawn or cancelled ones with what became of their fees (E2).
    applications = ExamApplication.objects.filter(session=session, submitted_at__isnull=False)
    live_q = Q(state__in=LIVE_APPLICATION_STATES)
    paid_q = Q(fee_line__payment_request__confirmed_on__isnull=False)
    closes = session.application_closes_at
    late_q = (
        paid_q & Q(fee_line__payment_request__payment_date__gt=closes.astimezone(JST).date())
        if closes is not None
        else Q(pk__in=[])
    )  # fees.rules.payment_is_late for every application of this exam
    # Issue 11: the figures from one aggregate over the filed applications,
    # the table 100 rows a page (a session may have thousands).
    figures = applications.aggregate(
        n_live=Count("pk", filter=live_q),
        n_closed=Count("pk", filter=~live_q),
        total_applicants=Coalesce(Sum("applicants", filter=live_q), Value(0)),
        unpaid=Count("pk", filter=live_q & ~paid_q & ~Q(fee_line__cancelled_on__isnull=False)),
        late_to_decide=Count("pk", filter=late_q & Q(late_payment_decision="")),
    )
    page = Paginator(
        applications.select_related(
            "delivery_course__course__provider", "fee_line__payment_request", "site", "session"
        ).order_by(
            "delivery_course__course__provider__number",
            "delivery_course__course__serial",
            "delivery_course__serial",
            "pk",
        ),
        100,
    ).get_page(request.GET.get("page"))
    reports = {
        r.application_id: r
        for r in ResultReport.objects.filter(application__in=[a.pk for a in page.object_list])
    }
    rows = []
    for a in page.object_list:
        report = reports.get(a.pk)
        request_obj = a.fee_line.payment_request if a.fee_line_id else None
        rows.append({
            "application": a,
            "live": not workflow.state_of(a).closed,
            "paid_on": request_obj.confirmed_on if request_obj else None,
            "late_payment_on": services.late_payment_date(a),
            "late_payment_problem": services.late_payment_problem(a),
            "report": report,
            "overdue": not workflow.state_of(a).closed
            and session.report_closes_at is not None and now >= session.report_closes_at
            and (report is None or report.state == ResultReport.S.DRAFT),
        })  # fmt: skip
    reviewed = ResultReport.objects.filter(
        session=session, application__isnull=True
    ).select_related("delivery_course__course__provider")
    refundable = FeeLine.objects.refundable().filter(
        exam_application__session=session, exam_application__submitted_at__isnull=False
    )
    refund = refundable.aggregate(
        n=Count("pk"), total=Coalesce(Sum(F("unit_amount") * F("quantity")), Value(0))
    )
    return render(request, "exams/review_session.html", {
        "session": session, "rows": rows, "page": page, "reviewed": reviewed, **figures,
        "n_refundable": refund["n"], "refund_total": refund["total"],
        "may_cancel": is_ipa_admin(request.user) and not session.is_cancelled,
        "can_decide": is_reviewer(request.user),
    })  # fmt: skip


@admin_required
def review_session_cancel(request, pk: int):
    """E2 (M§5.7 (11)): an IPA administrator records that METI/IPA cancelled
    the exam: input (date, reason) → 確認画面 (what ends, which fees become
    refundable or are cancelled) → recorded, back on the exam's page."""
    session = get_object_or_404(ExamSession, pk=pk)
    form = SessionCancelForm(request.POST or None, initial={"cancelled_on": timezone.localdate()})
    step = "input"
    if request.method == "POST" and form.is_valid():
        on, reason = form.cleaned_data["cancelled_on"], form.cleaned_data["cancellation_reason"]
        problems = services.cancellation_problems(session, on, reason)
        if problems:
            apply_service_errors(form, ValidationError(problems))
        elif request.POST.get("step") == "commit" and "back" not in request.POST:
            done = attempt(
                request,
                lambda: services.cancel_session(session.pk, request.user, on, reason),
                form=form,
                success=lambda c: (
                    f"{session}を中止として記録しました。申込み{len(c.applications)}件を終了し、"
                    f"講座開設者{len(c.providers)}者に通知しました（返金対象の問題提供料 "
                    f"{len(c.refundable)}件・{c.refundable_total:,}円、取り消した未払いの問題提供料 "
                    f"{len(c.cancelled)}件・{c.cancelled_total:,}円）。"
                ),
            )
            if done is not FAILED:
                return redirect("review_exam_session", pk=session.pk)
        elif "back" not in request.POST:
            step = "confirm"
    return render(request, "exams/review_session_cancel.html", {
        "session": session, "form": form, "step": step,
        "preview": services.cancellation_preview(session),
        "problem": services.cancellation_blocker(session),
    })  # fmt: skip


@staff_required
def review_report(request, pk: int):
    report = get_object_or_404(
        ResultReport.objects.select_related(
            "delivery_course__course__provider", "session",
            "application__session", "application__fee_line__payment_request",
        ), pk=pk,
    )  # fmt: skip
    application = report.application
    return render(request, "exams/review_report.html", {
        "report": report, **signals.report_page_sections(request, report, review=True),
        "late_payment_on": services.late_payment_date(application) if application else None,
        "late_payment_problem": services.late_payment_problem(application) if application else None,
        "documents": documents.panel(request.user, report, REPORT_DOCUMENTS, mark_outdated=True),
        "audit_entries": audit.entries_for(report)[:100], "can_decide": is_reviewer(request.user),
    })  # fmt: skip


@require_POST
@reviewer_required
def review_report_decide(request, pk: int):
    report = get_object_or_404(ResultReport, pk=pk)
    accept = request.POST.get("decision") == "accept"
    attempt(
        request,
        lambda: services.decide_report(
            report.pk, request.user, accept, request.POST.get("reason", "")
        ),
        success="報告を受理しました。" if accept else "報告を差し戻しました。",
        forbidden_as_message=True,
    )
    return redirect("review_report", pk=report.pk)


@require_POST
@reviewer_required
def review_late_payment_decide(request, pk: int):
    """E2/F3/W7: accept or refuse a problem fee received after the close."""
    application = get_object_or_404(ExamApplication, pk=pk)
    accept = request.POST.get("decision") == "accept"
    attempt(
        request,
        lambda: services.decide_late_payment(
            application.pk, request.user, accept, request.POST.get("note", "")
        ),
        success=lambda _: (
            f"{application.delivery_course.number}の締切後の入金を"
            + (
                "認めました。問題の提供と結果の受理ができます。"
                if accept
                else "認めないと判断しました。"
            )
        ),
        forbidden_as_message=True,
    )
    return redirect("review_exam_session", pk=application.session_id)
