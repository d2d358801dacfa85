"""Exam-day pages of one exam site (E5, E6, E7, E10): timetable with the
delay of M§6.12, proctors, the two exam-day documents and the register of
special-measure requests. Thin: the rules live in ``exams.examday.rules``,
the checks in ``exams.examday.forms``.

Who: the site's own provider staff read and edit; IPA staff (reviewers,
administrators) read; another provider's staff get 404 (portal.isolation).
"""

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from calendars import rules as calendar_rules
from portal import audit
from portal import documents as portal_documents
from portal.decorators import role_required
from portal.idempotency import idempotent
from portal.isolation import get_for_user_or_404, owns
from portal.roles import is_ipa_staff, is_provider_staff
from providers import services as provider_services

from ..models import ExamSite, SpecialMeasureRequest
from . import documents, rules
from .forms import ExamDayOptionsForm, SpecialMeasureForm

EXAMDAY_DOCUMENTS = ["examday_sheet", "answer_sheet"]

viewer_required = role_required(is_provider_staff | is_ipa_staff)
provider_required = role_required(is_provider_staff)


def _site(request, pk: int) -> ExamSite:
    return get_for_user_or_404(
        ExamSite.objects.select_related("provider", "session"), request.user, pk=pk
    )


def _own_site(request, pk: int) -> ExamSite:
    """Edits: only the site's own provider staff (also when the user is IPA
    staff too, whom ``scope`` would let see every site)."""
    site = _site(request, pk)
    if not owns(request.user, site):
        raise Http404("見つかりません。")
    return site


def _rooms(counts: list[int], total: int) -> dict:
    if not counts:
        return {"rows": [], "total_proctors": rules.proctors_needed(total), "mismatch": False}
    proctors = rules.proctors_for_rooms(counts)
    return {
        "rows": [
            {"room": i, "examinees": n, "proctors": p}
            for i, (n, p) in enumerate(zip(counts, proctors, strict=True), start=1)
        ],
        "sum": sum(counts),
        "total_proctors": sum(proctors),
        "mismatch": sum(counts) != total,
    }


@viewer_required
def examday_site(request, pk: int):
    site = _site(request, pk)
    options = ExamDayOptionsForm(request.GET or None)
    delay, rooms = 0, []
    if options.is_bound:
        options.is_valid()
        if "delay" not in options.errors:
            delay = options.cleaned_data.get("delay") or 0
        if "rooms" not in options.errors:
            rooms = options.cleaned_data.get("rooms") or []
    applications = list(documents.site_applications(site))
    total = documents.applicant_total(applications)
    return render(
        request,
        "exams/examday/site.html",
        {
            "site": site,
            "exam_day": calendar_rules.exam_day_label(site.session.exam_date),
            "options": options,
            "delay": delay,
            "timetables": [rules.timetable(False, delay), rules.timetable(True, delay)],
            "applications": applications,
            "applicants": total,
            "proctors": rules.proctors_needed(total),
            "rooms": _rooms(rooms, total),
            "proctor_guide": documents.PROCTOR_GUIDE,
            "measure_rows": documents.special_measure_rows(site),
            "measures": rules.MEASURES,
            "can_edit": owns(request.user, site),
            "documents": portal_documents.panel(request.user, site, EXAMDAY_DOCUMENTS),
            "question_count": rules.QUESTION_COUNT,
            "answer_choices": rules.ANSWER_CHOICES,
        },
    )


def _measure_form(request, site: ExamSite, measure: SpecialMeasureRequest | None):
    today = timezone.localdate()
    before = audit.snapshot(measure) if measure else {}
    form = SpecialMeasureForm(request.POST or None, instance=measure, site=site, today=today)
    if request.method == "POST" and (problem := provider_services.write_problem(site.provider)):
        form.add_error(None, problem)  # 取止め・認定取消し (P6/P8)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
            audit.record(
                "special_measure.update" if measure else "special_measure.create",
                saved,
                actor=request.user,
                changes=audit.diff(before, audit.snapshot(saved)),
                note=f"不足{len(form.problems)}件" if form.problems else "",
            )
        messages.success(request, f"{saved.examinee_name}さんの特別措置の申請を保存しました。")
        if form.problems:
            messages.warning(
                request,
                f"必要書類等の不足が{len(form.problems)}件あります。そろうまで「認める」にはできません。",
            )
        return redirect(reverse("examday_site", args=[site.pk]) + "#special-measures")
    if "decision" in form.errors:
        warnings = []  # the error summary lists them already
    elif request.method == "POST" or measure is None:
        warnings = form.problem_messages
    else:
        warnings = rules.evidence_problems(
            measure,
            site.session.exam_date,
            documents.application_opens_on(site.session),
            today=today,
        )
    return render(
        request,
        "exams/examday/special_measure_form.html",
        {
            "site": site,
            "exam_day": calendar_rules.exam_day_label(site.session.exam_date),
            "measure": measure,
            "form": form,
            "warnings": warnings,
            "measures": rules.MEASURES,
            "window": rules.certificate_window(site.session.exam_date),
        },
    )


@provider_required
@idempotent  # issue 11: one object per posted form
def special_measure_create(request, pk: int):
    return _measure_form(request, _own_site(request, pk), None)


@provider_required
def special_measure_edit(request, pk: int, measure_pk: int):
    site = _own_site(request, pk)
    measure = get_for_user_or_404(SpecialMeasureRequest, request.user, site=site, pk=measure_pk)
    return _measure_form(request, site, measure)
