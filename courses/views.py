"""Pages of exemption courses: the provider's wizard and the reviewer's pages.
Views are thin: forms check input, services change state."""

import copy
import datetime
import hashlib

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from portal import audit, documents
from portal.decorators import role_required
from portal.forms import FAILED, apply_service_errors, attempt
from portal.idempotency import idempotent
from portal.isolation import get_for_user_or_404, provider_of
from portal.receipts import annotate_latest_number
from portal.roles import is_ipa_admin, is_ipa_staff, is_provider_staff, is_reviewer
from providers import changes as change_requests
from providers import rules as provider_rules
from providers import services as provider_services

from . import change_kinds, changes, rules, services
from .forms import (
    AttachmentForm,
    CourseForm,
    DeletionRequestForm,
    DeliveryChangeForm,
    DeliveryCourseForm,
    MaterialFormSet,
    OperationStructureForm,
    ReasonForm,
    RevokeForm,
)
from .models import (
    DeliveryCourse,
    DeliveryStates,
    ExemptionCourse,
    OperationStructure,
    SubmissionStates,
    SyllabusItem,
)

S = SubmissionStates
COURSE_DOCUMENTS = [
    "shoshiki_2",
    "shoshiki_2_att_1",
    "shoshiki_2_att_2",
    "shoshiki_2_att_3",
    "unei_taisei",
]
RETURN_SECTIONS = [
    ("course", "講座の基本情報"),
    ("materials", "使用する教材"),
    ("plan", "受講計画"),
    ("structure", "講座の運営実施体制"),
    ("deliveries", "実施講座"),
    ("attachments", "添付書類"),
]

provider_required = role_required(is_provider_staff)
staff_required = role_required(is_ipa_staff)
reviewer_required = role_required(is_reviewer)


def _own_course(request, pk: int) -> ExemptionCourse:
    return get_for_user_or_404(
        ExemptionCourse.objects.select_related("provider"), request.user, pk=pk
    )


def course_outlook(course: ExemptionCourse, today: datetime.date) -> dict:
    """The forecast certification date (C8) and what the provider sees about it."""
    applied = course.application_date or today
    planned = services.planned_certification_date(course) if course.desired_month else None
    return {
        "planned": planned,
        "earliest": rules.earliest_certification_date(applied),
        "defects_deadline": rules.defects_deadline(planned) if planned else None,
        "busy": bool(planned and rules.is_busy_certification_month(planned)),
    }


# Provider ------------------------------------------------------------------------


@provider_required
def course_list(request):
    provider = provider_of(request.user)
    courses = (
        ExemptionCourse.objects.for_user(request.user, own=True)
        .select_related("provider")
        .annotate(
            n_deliveries=Count(
                "delivery_courses", filter=~Q(delivery_courses__state=DeliveryStates.DELETED)
            )
        )
        .order_by("-serial")
    )
    # Issue 11: 50 a page (a provider may have hundreds of courses).
    page = Paginator(courses, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "courses/course_list.html",
        {"courses": page.object_list, "page": page, "provider": provider},
    )


@provider_required
@idempotent  # issue 11: one object per posted form
def course_create(request):
    provider = provider_of(request.user)
    # I5: before its first course application the provider accepts the terms
    # and confirms its registered data (providers' terms page).
    if provider_services.needs_terms(provider) and not provider.courses.exists():
        messages.info(
            request, "最初の講座を申請する前に、利用規約に同意し、登録内容を確認してください。"
        )
        return redirect(reverse("provider_terms") + "?next=" + reverse("course_create"))
    form = CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        course = attempt(
            request,
            lambda: services.create_course(provider, request.user, form.cleaned_data),
            form=form,
            success=lambda course: (
                f"免除対象講座 {course.number} を一時保存しました。次に受講計画を入力してください。"
            ),
        )
        if course is not FAILED:
            return redirect("course_plan", pk=course.pk)
    return render(request, "courses/course_form.html", {"form": form, "course": None})


@provider_required
def course_edit(request, pk: int):
    course = _own_course(request, pk)
    form = CourseForm(request.POST or None, instance=course)
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "course_type"}
        try:
            services.update_course(course.pk, request.user, values)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except services.CourseStateError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "講座の基本情報を保存しました。")
            return redirect("course_detail", pk=course.pk)
        course.refresh_from_db()
    return render(request, "courses/course_form.html", {"form": form, "course": course})


@provider_required
def course_detail(request, pk: int):
    course = _own_course(request, pk)
    today = timezone.localdate()
    problems = services.submission_problems(course, today) if course.is_editable_by_provider else []
    deliveries = course.delivery_courses.prefetch_related("exams__session").order_by("serial")
    # Issue 11: the delivery courses 50 a page.
    page = Paginator(annotate_latest_number(deliveries), 50).get_page(request.GET.get("page"))
    deliveries = _with_open_changes(page.object_list)  # 到達番号 (D7)
    return render(
        request,
        "courses/course_detail.html",
        {
            "course": course,
            "page": page,
            "problems": problems,
            "outlook": course_outlook(course, today),
            "today": today,
            "deliveries": deliveries,
            "plan_total": services.plan_total(course),
            "documents": documents.panel(request.user, course, COURSE_DOCUMENTS),
            "return_sections": dict(RETURN_SECTIONS),
            "certificates": course.issued_certificates.defer("content").select_related("issued_by"),
            "no_course_change": rules.NO_COURSE_CHANGE,  # C13
            "revocation_bar_end": provider_rules.revocation_bar_end(course.revoked_on)
            if course.revoked_on
            else None,
        },
    )


@provider_required
def course_materials(request, pk: int):
    course = _own_course(request, pk)
    formset = MaterialFormSet(request.POST or None, queryset=course.materials.all(), prefix="m")
    if request.method == "POST" and formset.is_valid():
        items = [
            {k: f.cleaned_data[k] for k in ("name", "publisher", "edition", "published_on")}
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        saved = attempt(
            request,
            lambda: services.save_materials(course.pk, request.user, items),
            success=f"使用する教材（{len(items)}件）を保存しました。",
        )
        if saved is not FAILED:
            return redirect("course_plan", pk=course.pk)
    return render(request, "courses/course_materials.html", {"course": course, "formset": formset})


@provider_required
def course_plan(request, pk: int):
    """受講計画シート as a table: one row per syllabus item, running total."""
    course = _own_course(request, pk)
    items = list(SyllabusItem.objects.filter(active=True))
    existing = {r.syllabus_item_id: r for r in course.plan_rows.all()}
    errors, rows = [], []
    if request.method == "POST":
        manager = request.POST.get("course_manager", "").strip()
        for item in items:
            values = {k: request.POST.get(f"{k}_{item.pk}", "").strip()
                      for k in ("material", "class_name", "planned_session", "hours")}  # fmt: skip
            if not any(values.values()):
                continue
            hours, problem = rules.parse_hours(values["hours"])  # C5/C6: never rounded
            if problem:
                errors.append(f"{item.code}：{problem}")
                continue
            for key, label in (
                ("material", "教材の名称"),
                ("class_name", "授業名"),
                ("planned_session", "実施予定"),
            ):
                if not values[key]:
                    errors.append(f"{item.code}：「{label}」を入力してください。")
            rows.append({**values, "code": item.code, "hours": hours})
        if not errors:
            try:
                services.save_plan(course.pk, request.user, manager, rows)
            except (ValidationError, services.CourseStateError) as exc:
                errors += exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            else:
                messages.success(request, f"受講計画（{len(rows)}項目）を保存しました。")
                return redirect("course_detail", pk=course.pk)
    keys = ("material", "class_name", "planned_session", "hours")
    table = []
    for item in items:
        if request.method == "POST":  # show what was typed, errors and all
            values = {k: request.POST.get(f"{k}_{item.pk}", "") for k in keys}
        else:
            row = existing.get(item.pk)
            values = {k: (getattr(row, k) if row else "") for k in keys}
        table.append({"item": item, **values})
    return render(
        request,
        "courses/course_plan.html",
        {
            "course": course,
            "table": table,
            "errors": errors,
            "materials": list(course.materials.values_list("name", flat=True)),
            "manager": request.POST.get("course_manager", course.course_manager),
        },
    )


@require_POST
@provider_required
def course_plan_import(request, pk: int):
    course = _own_course(request, pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "「受講計画シート」のファイルを選んでください。")
    elif upload.size > 5 * 1024 * 1024:
        messages.error(request, "「受講計画シート」は5MB以下のファイルにしてください。")
    else:
        attempt(
            request,
            lambda: services.import_plan(course.pk, request.user, upload.read()),
            success=lambda count: (
                f"受講計画シートから{count}項目を読み込みました。内容を確認してください。"
            ),
        )
    return redirect("course_plan", pk=course.pk)


@provider_required
def course_structure(request, pk: int):
    course = _own_course(request, pk)
    instance = OperationStructure.objects.filter(course=course).first()
    form = OperationStructureForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_operation_structure(course.pk, request.user, form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except services.CourseStateError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "講座の運営実施体制を保存しました。")
            return redirect("course_detail", pk=course.pk)
    return render(request, "courses/course_structure.html", {"course": course, "form": form})


@provider_required
@idempotent  # issue 11: one object per posted form
def delivery_form(request, pk: int, delivery_pk: int | None = None):
    course = _own_course(request, pk)
    delivery = get_object_or_404(course.delivery_courses, pk=delivery_pk) if delivery_pk else None
    form = DeliveryCourseForm(request.POST or None, instance=delivery, course=course)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_delivery_course(
                course.pk, request.user, form.values(), form.exam_slots(), delivery_pk
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except services.CourseStateError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"実施講座 {saved.number} を一時保存しました。")
            busy = rules.busy_delivery_start_warning(saved.start_date)
            if busy:
                messages.warning(request, busy)
            return redirect("course_detail", pk=course.pk)
    start = getattr(form, "cleaned_data", {}).get("start_date")
    return render(
        request,
        "courses/delivery_form.html",
        {
            "course": course,
            "form": form,
            "delivery": delivery,
            # D7 (M§4.4.1): busy start months are a warning, not a refusal.
            "busy_warning": rules.busy_delivery_start_warning(
                start or (delivery.start_date if delivery else None)
            ),
            # C1/D5 (table 1.2-1): which exam problems this course type may use.
            "reviewed_problem": rules.reviewed_exam_problem(course.course_type),
        },
    )


def _with_open_changes(deliveries) -> list:
    """The delivery courses, each with ``open_changes``: its change requests
    being written or under review (one query for all)."""
    deliveries = list(deliveries)
    by_target = {}
    if deliveries:
        open_requests = change_requests.open_requests_for_many(deliveries)
        for change in open_requests:
            by_target.setdefault(change.target_id, []).append(change)
    today = timezone.localdate()
    for delivery in deliveries:
        delivery.open_changes = by_target.get(delivery.pk, [])
        delivery.droppable = services.droppable_slots(delivery, today)  # D6
        delivery.may_request = not services.course_closed_problem(delivery.course)
        delivery.deletion_open = any(
            c.kind == change_kinds.KIND_DELETION for c in delivery.open_changes
        )
    return deliveries


def _approved_delivery(request, pk: int, delivery_pk: int):
    course = _own_course(request, pk)
    return course, get_object_or_404(course.delivery_courses, pk=delivery_pk)


@provider_required
@idempotent  # issue 11: one object per posted form
def delivery_change(request, pk: int, delivery_pk: int):
    """実施講座情報の変更 (X1–X3, D6): the approved delivery course as a copy
    in its usual form; saving stores a change request being written (nothing
    of the delivery course changes until IPA approves)."""
    course, delivery = _approved_delivery(request, pk, delivery_pk)
    kind = change_kinds.DELIVERY_CHANGE
    draft = change_requests.editable_draft(kind.key, delivery)
    problem = kind.requestable(delivery)
    if request.method == "POST":
        form = DeliveryChangeForm(request.POST, instance=copy.copy(delivery), course=course)
        if form.is_valid():
            result = attempt(
                request,
                lambda: change_requests.save_draft(
                    kind.key, delivery, request.user,
                    {**form.values(), "exams": form.exam_values()},
                    reason=form.cleaned_data["reason"],
                ),
                form=form,
                success="変更内容を保存しました。内容を確認して申請してください。",
            )  # fmt: skip
            if result is not FAILED:
                return redirect("change_detail", result.pk)
    else:
        form = DeliveryChangeForm(
            instance=change_requests.preview(draft) if draft else copy.copy(delivery),
            course=course,
            proposed_exams=draft.proposed.get("exams") if draft else None,
            initial={"reason": draft.reason if draft else "", "committee_declaration": True},
        )
    first = min((e.date for e in delivery.exams.all() if e.date), default=None)
    return render(
        request,
        "courses/delivery_form.html",
        {
            "course": course,
            "form": form,
            "delivery": delivery,
            "change_mode": True,
            "problem": problem,
            "continued": draft,
            # D6: a second exam only by a request approved before the first exam.
            "second_exam_hint": rules.second_exam_problem(first, timezone.localdate())
            if first
            else None,
            "first_exam": first,
            "reviewed_problem": rules.reviewed_exam_problem(course.course_type),
        },
    )


@provider_required
def delivery_deletion(request, pk: int, delivery_pk: int):
    """実施講座の削除 (D8, M§5.5): the page says what the request does and
    what it files (申請書式2-添付書類2・3, 申請書式5); saving stores the
    deletion request being written, filed from the request's page."""
    course, delivery = _approved_delivery(request, pk, delivery_pk)
    kind = change_kinds.DELIVERY_DELETION
    draft = change_requests.editable_draft(kind.key, delivery)
    problem = kind.requestable(delivery)
    form = DeletionRequestForm(
        request.POST or None, initial={"reason": draft.reason} if draft else None
    )
    if request.method == "POST" and form.is_valid():
        result = attempt(
            request,
            lambda: change_requests.save_draft(
                kind.key, delivery, request.user, {"deletion": True},
                reason=form.cleaned_data["reason"],
            ),
            form=form,
            success="削除申請を作成しました。内容を確認して申請してください。",
        )  # fmt: skip
        if result is not FAILED:
            return redirect("change_detail", result.pk)
    return render(
        request,
        "courses/delivery_deletion.html",
        {
            "course": course,
            "delivery": delivery,
            "form": form,
            "problem": problem,
            "continued": draft,
            "row": {
                "item": rules.DELETION_ITEM,
                "after": rules.DELETION_AFTER,
                "before": rules.DELETION_BEFORE,
            },
        },
    )


@require_POST
@provider_required
def delivery_drop_exam(request, pk: int, delivery_pk: int):
    """D6: drop one of two exams nobody applied for, without a request."""
    course, delivery = _approved_delivery(request, pk, delivery_pk)
    try:
        slot = int(request.POST.get("slot", ""))
    except ValueError:
        slot = 0
    attempt(
        request,
        lambda: services.drop_exam(delivery.pk, request.user, "upper", slot),
        success=f"実施講座 {delivery.number} の修了試験（実施日{'①②'[slot - 1] if slot in (1, 2) else ''}）"
        "の設定を取りやめました。申込みがないため変更申請は不要です。",
    )
    return redirect(f"{reverse('course_detail', args=[course.pk])}#deliveries")


@require_POST
@provider_required
def delivery_delete(request, pk: int, delivery_pk: int):
    course = _own_course(request, pk)
    delivery = get_object_or_404(course.delivery_courses, pk=delivery_pk)
    attempt(
        request,
        lambda: services.delete_delivery_course(delivery.pk, request.user),
        success="実施講座を削除しました。",
    )
    return redirect("course_detail", pk=course.pk)


@require_POST
@provider_required
def delivery_submit(request, pk: int, delivery_pk: int):
    course = _own_course(request, pk)
    delivery = get_object_or_404(course.delivery_courses, pk=delivery_pk)
    submitted = attempt(
        request,
        lambda: services.submit_delivery_course(delivery.pk, request.user),
        success="実施講座を申請しました。IPAは通常5営業日以内に回答します。",
    )
    if submitted is not FAILED:
        busy = rules.busy_delivery_start_warning(delivery.start_date)
        if busy:
            messages.warning(request, busy)
    return redirect("course_detail", pk=course.pk)


@provider_required
@idempotent  # issue 11: one object per posted form
def course_attachments(request, pk: int):
    course = _own_course(request, pk)
    form = AttachmentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_attachment(
                course.pk, request.user, form.cleaned_data["title"], form.cleaned_data["file"]
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        except services.CourseStateError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "添付書類を登録しました。")
            return redirect("course_attachments", pk=course.pk)
    return render(
        request,
        "courses/course_attachments.html",
        {"course": course, "form": form, "attachments": course.attachments.all()},
    )


@require_POST
@provider_required
def course_submit(request, pk: int):
    course = _own_course(request, pk)
    resubmission = course.state == S.RETURNED
    submitted = attempt(request, lambda: services.submit_course(course.pk, request.user))
    if submitted is FAILED:
        return redirect("course_detail", pk=course.pk)
    course = submitted
    done = "再申請しました。" if resubmission else "申請書データを確定しました。"
    fee = services.review_fee_status(course)
    if fee == "paid":  # W1: a resubmission never asks for the fee again
        messages.success(
            request, done + "講座認定審査手数料は入金確認済みのため、改めてのお振り込みは不要です。"
        )
    elif fee == "requested":
        messages.success(
            request,
            done
            + "講座認定審査手数料の入金確認依頼票は作成済みです。IPAの入金確認をお待ちください。",
        )
    else:
        messages.success(
            request,
            done
            + "講座認定審査手数料（35,000円）をお振り込みのうえ、入金確認依頼票を作成してください。",
        )
    return redirect("course_detail", pk=course.pk)


@require_POST
@provider_required
def course_delete(request, pk: int):
    course = _own_course(request, pk)
    deleted = attempt(
        request,
        lambda: services.delete_course(course.pk, request.user),
        success="免除対象講座を削除しました。",
    )
    if deleted is FAILED:
        return redirect("course_detail", pk=course.pk)
    return redirect("course_list")


@require_POST
@provider_required
def course_withdraw(request, pk: int):
    course = _own_course(request, pk)
    attempt(
        request,
        lambda: services.withdraw_course(course.pk, request.user),
        success="申請を取り下げました。",
    )
    return redirect("course_detail", pk=course.pk)


# IPA ----------------------------------------------------------------------------


@staff_required
def review_course_queue(request):
    state = request.GET.get("state", S.SUBMITTED)
    paid = request.GET.get("paid", "")
    q = request.GET.get("q", "").strip()
    courses = ExemptionCourse.objects.select_related("provider").annotate(
        n_deliveries=Count(
            "delivery_courses", filter=~Q(delivery_courses__state=DeliveryStates.DELETED)
        )
    )
    if state:
        courses = courses.filter(state=state)
    if paid == "yes":
        courses = courses.filter(payment_confirmed_on__isnull=False)
    elif paid == "no":
        courses = courses.filter(payment_confirmed_on__isnull=True)
    if q:
        courses = courses.filter(
            Q(name__icontains=q) | Q(provider__number=q) | Q(provider__name__icontains=q)
        )
    page = Paginator(courses.order_by("submitted_at", "pk"), 50).get_page(request.GET.get("page"))
    counts = dict(ExemptionCourse.objects.values_list("state").annotate(n=Count("id")).order_by())
    deliveries_waiting = DeliveryCourse.objects.filter(
        state=S.SUBMITTED, course__state=S.CERTIFIED
    ).select_related("course__provider")
    return render(
        request,
        "courses/review_queue.html",
        {
            "page": page,
            "state": state,
            "paid": paid,
            "q": q,
            "counts": [(s, label, counts.get(s, 0)) for s, label in S.choices],
            "deliveries_waiting": deliveries_waiting,
        },
    )


def _review_context(request, course, revoke_form=None) -> dict:
    today = timezone.localdate()
    return {
        "course": course,
        "problems": services.submission_problems(course, today)
        if course.state in (S.SUBMITTED, S.RETURNED)
        else [],
        "outlook": course_outlook(course, today),
        "deliveries": course.delivery_courses.prefetch_related("exams__session").order_by("serial"),
        "plan_rows": course.plan_rows.select_related("syllabus_item"),
        "plan_total": services.plan_total(course),
        "materials": course.materials.all(),
        "structure": OperationStructure.objects.filter(course=course).first(),
        "attachments": course.attachments.all(),
        "fee_lines": course.fee_lines.select_related("payment_request"),
        "documents": documents.panel(request.user, course, COURSE_DOCUMENTS),
        "audit_entries": audit.entries_for(course)[:100],
        "can_decide": is_reviewer(request.user),
        "return_form": ReasonForm(),
        "return_sections": RETURN_SECTIONS,
        "first_of_next_month": rules.add_months(rules.first_of_month(today), 1),
        "certificates": course.issued_certificates.defer("content").select_related("issued_by"),
        "today": today,
        "changes": changes.changes_since_return(course)
        if course.state in (S.SUBMITTED, S.RETURNED)
        else [],
        # C11: administrators revoke (the form only where the move is possible).
        "revoke_form": revoke_form or RevokeForm(initial={"on": today}, course=course, today=today),
        "revocation_bar_end": provider_rules.revocation_bar_end(course.revoked_on)
        if course.revoked_on
        else None,
    }


@staff_required
def review_course_detail(request, pk: int):
    course = get_object_or_404(ExemptionCourse.objects.select_related("provider"), pk=pk)
    return render(request, "courses/review_detail.html", _review_context(request, course))


def _review_action(request, pk: int, action):
    course = get_object_or_404(ExemptionCourse, pk=pk)
    attempt(
        request,
        lambda: action(course),
        success=lambda message: message,
        forbidden_as_message=True,
    )
    return redirect("review_course_detail", pk=pk)


@require_POST
@reviewer_required
def review_course_return(request, pk: int):
    fields = {
        key: request.POST.get(f"reason_{key}", "").strip()
        for key, _ in RETURN_SECTIONS
        if request.POST.get(f"reason_{key}", "").strip()
    }

    def act(course):
        services.return_course(course.pk, request.user, request.POST.get("reason", ""), fields)
        return "講座の申請を差し戻しました。"

    return _review_action(request, pk, act)


@require_POST
@reviewer_required
def review_course_start(request, pk: int):
    def act(course):
        services.start_review(course.pk, request.user)
        return "審査を開始しました。"

    return _review_action(request, pk, act)


@require_POST
@reviewer_required
def review_course_approve(request, pk: int):
    def act(course):
        services.approve_course(course.pk, request.user)
        return "講座を承認しました。認定日に認定されます。"

    return _review_action(request, pk, act)


def _date(value: str, label: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError(f"「{label}」は日付（例：2026-04-01）で入力してください。") from None


@require_POST
@reviewer_required
def review_course_certify(request, pk: int):
    def act(course):
        on = _date(request.POST.get("on", ""), "認定日")
        services.certify_course(course.pk, request.user, on)
        return f"{on:%Y年%-m月%-d日}付で認定しました。"

    return _review_action(request, pk, act)


@require_POST
@reviewer_required
def review_course_materials(request, pk: int):
    def act(course):
        requested = request.POST.get("requested_on") or None
        received = request.POST.get("received_on") or None
        services.record_materials_post(
            course.pk,
            request.user,
            _date(requested, "教材送付の依頼日") if requested else None,
            _date(received, "教材の受領日") if received else None,
        )
        return "教材の送付状況を記録しました。"

    return _review_action(request, pk, act)


@require_POST
@reviewer_required
def review_delivery(request, pk: int, delivery_pk: int):
    delivery = get_object_or_404(DeliveryCourse, pk=delivery_pk, course_id=pk)

    def act(course):
        approve = request.POST.get("decision") == "approve"
        services.review_delivery_course(
            delivery.pk, request.user, approve, request.POST.get("reason", "")
        )
        return "実施講座を承認しました。" if approve else "実施講座を差し戻しました。"

    return _review_action(request, pk, act)


@require_POST
@role_required(is_ipa_admin)
def review_course_revoke(request, pk: int):
    """C11 (M§2.5): an administrator revokes the certification (date, reason,
    confirmation); a refusal shows the form again with what was typed."""
    course = get_object_or_404(ExemptionCourse.objects.select_related("provider"), pk=pk)
    form = RevokeForm(request.POST, course=course, today=timezone.localdate())
    if form.is_valid():
        data = form.cleaned_data
        revoked = attempt(
            request,
            lambda: services.revoke_course(course.pk, request.user, data["on"], data["reason"]),
            form=form,
            success=lambda c: (
                f"免除対象講座 {c.number} の認定を{c.revoked_on:%Y年%-m月%-d日}付で取り消しました。"
                "講座開設者の登録担当者に通知しました。"
            ),
        )
        if revoked is not FAILED:
            return redirect("review_course_detail", pk=pk)
        course.refresh_from_db()
    return render(request, "courses/review_detail.html", _review_context(request, course, form))


@role_required(lambda user: is_provider_staff(user) or is_ipa_staff(user))
def attachment_download(request, pk: int, attachment_pk: int):
    """C15 attachments: the provider's own staff and IPA staff only."""
    from portal.views import serve_upload

    course = get_for_user_or_404(
        ExemptionCourse.objects.select_related("provider"), request.user, pk=pk
    )
    attachment = get_object_or_404(course.attachments, pk=attachment_pk)
    return serve_upload(request, attachment.file, course, "course.attachment_download")


# The public registry (P9, M§2.3): no login -------------------------------------------


def registry(request):
    """P9: the certified courses IPA publishes today, searchable and filtered
    by prefecture and category, 50 a page."""
    from . import registry as service
    from .forms import RegistryForm

    form = RegistryForm(request.GET)
    query = form.query()
    today = timezone.localdate()
    page = Paginator(service.registry_courses(today, query), service.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "courses/registry.html",
        {
            "form": form,
            "query": query,
            "today": today,
            "page": page,
            "rows": [service.registry_row(course, today) for course in page],
            "params": params.urlencode(),
        },
    )


RENDER_LIMIT = 20  # new renderings of the registry's files per client in 10 minutes


def _registry_download(request, extension: str, content_type: str, render_file):
    from django.core.cache import cache
    from django.http import HttpResponse
    from django.utils.http import content_disposition_header

    from portal import throttle

    from . import registry as service
    from .forms import RegistryForm

    query = RegistryForm(request.GET).query()
    today = timezone.localdate()
    # A public download that costs a rendering: the same list of the same day
    # is rendered once every few minutes at most.
    digest = hashlib.sha256(repr(query).encode()).hexdigest()[:32]
    key = f"registry:{extension}:{today.isoformat()}:{digest}"
    content = cache.get(key)
    if content is None:
        # Each new rendering counts against the client's limit (a cached
        # one does not): a long PDF takes seconds.
        if not throttle.allow(
            "registry-download", getattr(request, "client_ip", None), RENDER_LIMIT, 600
        ):
            return render(request, "courses/registry_busy.html", status=429)
        content = render_file(today, query)
        cache.set(key, content, timeout=300)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        True, service.filename(today, extension)
    )
    return response


def registry_csv(request):
    """P9: the list (with the page's conditions, every page) as CSV for Excel."""
    from . import registry as service

    return _registry_download(request, "csv", documents.CSV_MIME, service.registry_csv)


def registry_pdf(request):
    """P9: the list (with the page's conditions, every page) as a PDF."""
    from . import registry as service

    return _registry_download(request, "pdf", documents.PDF_MIME, service.registry_pdf)
