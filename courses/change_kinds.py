"""What of a delivery course may change by a change request (table 5.6-1
「実施講座情報の変更」, M§5.5, M§5.6, D6, D8, X1–X3): its values and exam rows
(``delivery_course``), and its deletion (``delivery_deletion``). The forms of
either are 申請書式2-添付書類2, 申請書式2-添付書類3 (this delivery course
only) and 申請書式5 (courses.documents, providers.documents). A delivery
course never approved is edited or deleted at once (X1, D8). Registered at
start-up by courses.apps."""

import copy

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from portal import workflow
from providers import changes

from . import rules, services
from .models import DeliveryCourse, DeliveryStates

KIND_CHANGE = "delivery_course"
KIND_DELETION = "delivery_deletion"
DELIVERY_DOCUMENTS = ("change_shoshiki_2_att_2", "change_shoshiki_2_att_3", "shoshiki_5")


def _label(delivery: DeliveryCourse) -> str:
    return f"実施講座 {delivery.number} {delivery.name}"


def _provider(delivery: DeliveryCourse):
    return delivery.course.provider


def _course_page(delivery: DeliveryCourse) -> str:
    return reverse("course_detail", args=[delivery.course_id])


def _review_page(delivery: DeliveryCourse) -> str:
    return reverse("review_course_detail", args=[delivery.course_id])


def _other_open(delivery: DeliveryCourse, kind: str) -> bool:
    return changes.open_requests_for(delivery).filter(kind=kind).exists()


def _not_approved(delivery: DeliveryCourse, what: str) -> str | None:
    """X1: only an approved delivery course needs a request — of a course
    still certified (not after its revocation or end, C11)."""
    if delivery.state == DeliveryStates.APPROVED:
        return services.course_closed_problem(delivery.course)
    if delivery.state == DeliveryStates.DELETED:
        return "この実施講座は削除済みです。"
    if workflow.state_of(delivery).provider_may_edit:
        return (
            f"承認前の実施講座は変更申請なしで{what}できます。講座のページから{what}してください。"
        )
    return "審査中の実施講座は、IPAの回答を待ってから変更してください。"


# --- 実施講座情報の変更 -----------------------------------------------------------------


def delivery_current(delivery: DeliveryCourse) -> dict:
    return {
        **changes.values_of(delivery, services.CHANGEABLE_DELIVERY_FIELDS),
        "exams": services.exam_values(delivery.exams.all()),
    }


def _slot_label(key: str) -> str:
    row, n = key.rsplit("_", 1)
    return f"修了試験 {'上段' if row == 'upper' else '下段（救済措置）'} 実施日{'①②'[int(n) - 1]}"


def _slot_text(delivery: DeliveryCourse, value: dict | None) -> str:
    if not value:
        return "（設定なし）"
    exam = services.exams_from_values(delivery, {"upper_1": value})[0]
    day = exam.date
    return f"{day.year}年{day.month:02d}月{day.day:02d}日（{exam.get_kind_display()}）"


def delivery_items(delivery: DeliveryCourse, original: dict, proposed: dict) -> list[changes.Item]:
    fields = {k: v for k, v in proposed.items() if k != "exams"}
    rows = changes.field_items(DeliveryCourse, original, fields)
    before = original.get("exams") or {}
    after = proposed.get("exams", before) or {}
    for key in services.SLOT_KEYS:
        if before.get(key) != after.get(key):
            rows.append(
                changes.Item(
                    key=f"exam_{key}",
                    item=_slot_label(key),
                    after=_slot_text(delivery, after.get(key)),
                    before=_slot_text(delivery, before.get(key)),
                )
            )
    return rows


def proposed_delivery(target: DeliveryCourse, proposed: dict) -> DeliveryCourse:
    """``target`` as ``proposed`` leaves it, unsaved; its exam rows in
    ``preview_exams`` (courses.documents reads them)."""
    delivery = copy.copy(target)
    for name, value in proposed.items():
        if name != "exams":
            setattr(delivery, name, changes.from_json(delivery, name, value))
    if "exams" in proposed:
        delivery.preview_exams = services.exams_from_values(target, proposed["exams"] or {})
    else:
        delivery.preview_exams = list(target.exams.all())
    return delivery


def preview_delivery(request) -> DeliveryCourse:
    """The delivery course as it reads after the change (not saved)."""
    return proposed_delivery(request.target, request.proposed)


def change_requestable(delivery: DeliveryCourse) -> str | None:
    problem = _not_approved(delivery, "編集")
    if problem:
        return problem
    if _other_open(delivery, KIND_DELETION):
        return "この実施講座には削除申請が出ています。削除申請を取り下げてから変更してください。"
    return None


def course_certified(request) -> str | None:
    """C11: checked again when IPA approves (the course may be revoked meanwhile)."""
    return services.course_closed_problem(request.target.course)


def second_exam_condition(request) -> str | None:
    """D6: a second exam (実施日②) added to an approved delivery course must
    be approved before the first exam is held (checked when filed and again
    when IPA approves)."""
    before = request.original.get("exams") or {}
    after = request.proposed.get("exams", before) or {}
    added = [key for key in ("upper_2", "lower_2") if after.get(key) and not before.get(key)]
    if not added or not before:
        return None
    delivery = request.target
    first = min(e.date for e in services.exams_from_values(delivery, before))
    return rules.second_exam_problem(first, timezone.localdate())


def _problems(target: DeliveryCourse, proposed: dict) -> list[str]:
    delivery = proposed_delivery(target, proposed)
    problems = services.changed_delivery_problems(delivery, delivery.preview_exams)
    if "exams" in proposed:
        problems += services.exam_change_problems(
            target, delivery.preview_exams, timezone.localdate()
        )
    return problems


def validate_delivery(target: DeliveryCourse, proposed: dict) -> None:
    """D2–D5 when the copy is saved: the form shows what to fix."""
    problems = _problems(target, proposed)
    if problems:
        raise ValidationError(problems)


def rows_condition(request) -> str | None:
    """D2–D5 again when filed and approved (the calendar may have moved)."""
    return "　".join(_problems(request.target, request.proposed)) or None


DELIVERY_CHANGE = changes.register(
    changes.ChangeKind(
        key=KIND_CHANGE,
        label="実施講座情報の変更",
        model="courses.DeliveryCourse",
        form_title="申請書式2-添付書類3",
        documents=DELIVERY_DOCUMENTS,
        provider=_provider,
        target_label=_label,
        target_number=lambda delivery: delivery.number,
        current=delivery_current,
        items=delivery_items,
        apply=services.apply_delivery_change,
        requestable=change_requestable,
        validate=validate_delivery,
        conditions=(course_certified, second_exam_condition, rows_condition),
        edit_url=lambda request: reverse(
            "delivery_change", args=[request.target.course_id, request.target_id]
        ),
        target_url=_course_page,
        review_target_url=_review_page,
        preview=preview_delivery,
    )
)


# --- 実施講座の削除 (D8, M§5.5) --------------------------------------------------------


def deletion_requestable(delivery: DeliveryCourse) -> str | None:
    problem = _not_approved(delivery, "削除")
    if problem:
        return problem
    if _other_open(delivery, KIND_CHANGE):
        return "この実施講座には変更申請が出ています。変更申請を取り下げるか承認されてから削除を申請してください。"
    return rules.deletion_problem(list(services.applied_exam_dates(delivery)))


def deletion_items(delivery, original: dict, proposed: dict) -> list[changes.Item]:
    """D8 (table 5.5-2): the fixed row of 申請書式5."""
    if not proposed.get("deletion"):
        return []
    return [
        changes.Item(
            key="deletion",
            item=rules.DELETION_ITEM,
            after=rules.DELETION_AFTER,
            before=rules.DELETION_BEFORE,
        )
    ]


def nobody_applied(request) -> str | None:
    """D8: checked when filed and again when IPA approves."""
    return rules.deletion_problem(list(services.applied_exam_dates(request.target)))


DELIVERY_DELETION = changes.register(
    changes.ChangeKind(
        key=KIND_DELETION,
        label="実施講座の削除",
        model="courses.DeliveryCourse",
        form_title=rules.DELETION_FORM,
        documents=DELIVERY_DOCUMENTS,
        provider=_provider,
        target_label=_label,
        target_number=lambda delivery: delivery.number,
        current=lambda delivery: {"deletion": False},
        items=deletion_items,
        apply=services.delete_by_request,
        requestable=deletion_requestable,
        conditions=(course_certified, nobody_applied),
        edit_url=lambda request: reverse(
            "delivery_deletion", args=[request.target.course_id, request.target_id]
        ),
        target_url=_course_page,
        review_target_url=_review_page,
        preview=lambda request: request.target,
        on_file=services.mark_deletion_requested,
        approval_notice=False,  # the delivery course's move tells (delivery_deleted)
    )
)
