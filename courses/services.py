"""State changes of exemption courses and delivery courses, one function each
(check, transaction.atomic(), save, audit entry, notification)."""

import datetime
from decimal import Decimal
from fractions import Fraction

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from calendars.models import ExamSession
from calendars.rules import exam_day_label
from fees import services as fee_services
from fees.models import FeeKind
from portal import audit, receipts, workflow
from portal.isolation import owns, require_owner
from portal.roles import require_reviewer
from portal.services import save_transition
from portal.validators import normalize_full_name
from portal.workflow import transition
from providers import changes as change_requests
from providers import rules as provider_rules
from providers.services import require_active, require_not_barred

from . import changes, rules
from .models import (
    CertificateNumberCounter,
    DeliveryCourse,
    DeliveryExam,
    ExemptionCourse,
    OperationStructure,
    SubmissionStates,
    SyllabusItem,
)
from .workflow import CourseStateError

S = SubmissionStates
EDITABLE = (S.DRAFT, S.RETURNED)


def _fraction(value) -> Fraction:
    return Fraction(str(value if value is not None else 0))


def plan_total(course: ExemptionCourse) -> Decimal:
    """C5: the exact sum of the study plan's hours (summed here, not by SQL:
    SQLite adds decimals as floats, 99.9999999999998 instead of 100.00)."""
    return sum(course.plan_rows.values_list("hours", flat=True), Decimal(0))


def _save(obj) -> None:
    save_transition(obj, CourseStateError, "この講座は他の担当者が先に処理しました。")


def _locked_delivery(delivery_pk: int) -> DeliveryCourse:
    return (
        DeliveryCourse.objects.select_for_update(of=("self",))
        .select_related("course__provider")
        .get(pk=delivery_pk)
    )


def _locked(course_pk: int) -> ExemptionCourse:
    return (
        ExemptionCourse.objects.select_for_update(of=("self",))
        .select_related("provider")
        .get(pk=course_pk)
    )


# Provider side -------------------------------------------------------------------


def _check_course_values(course: ExemptionCourse) -> None:
    """C3, C4, C8 on every save, so that a mistake shows at once, not only
    at submission."""
    errors = rules.private_course_problems(
        course.course_type, course.vendor_name, course.private_exam_name
    )
    name = rules.course_name_problems(course.name, course.course_type, course.vendor_name)
    if name:
        errors["name"] = name
    ratio = rules.attendance_ratio_problem(course.attendance_ratio, "出席率（修了認定の基準）")
    if ratio:
        errors["attendance_ratio"] = ratio
    if course.desired_month and course.state == S.DRAFT and course.application_date is None:
        desired = rules.desired_month_problem(timezone.localdate(), course.desired_month)
        if desired:
            errors["desired_month"] = desired
    if errors:
        raise ValidationError(errors)


def create_course(provider, user, values: dict) -> ExemptionCourse:
    """一時保存 of a new course: from here on its type is fixed (C2)."""
    with transaction.atomic():
        if not owns(user, provider):
            raise PermissionDenied("この講座開設者の講座は作成できません。")
        require_active(provider)
        last = provider.courses.select_for_update().aggregate(m=Max("serial"))["m"] or 0
        # M§5.3: a deleted course's number is never given again (its fee lines
        # and audit entries still name it).
        deleted = (
            ExemptionCourse.history.filter(provider_id=provider.pk).aggregate(m=Max("serial"))["m"]
            or 0
        )
        course = ExemptionCourse(provider=provider, serial=max(last, deleted) + 1, **values)
        _check_course_values(course)
        course.full_clean(exclude=["state"])
        course.save()
        audit.record(
            "course.create", course, actor=user, changes={"course_type": [None, course.course_type]}
        )
    return course


def update_course(course_pk: int, user, values: dict) -> ExemptionCourse:
    """Edit a draft or returned course; a submitted one is read-only (W1)."""
    with transaction.atomic():
        course = _locked(course_pk)
        require_owner(user, course)
        if course.state not in EDITABLE:
            raise CourseStateError("申請中・承認済みの講座は変更できません。")
        if "course_type" in values and values["course_type"] != course.course_type:
            raise ValidationError(
                {
                    "course_type": "「民間資格併用種別」は一時保存の後は変更できません。講座を削除して入力し直してください。"
                }
            )
        before = audit.snapshot(course, list(values))
        for name, value in values.items():
            setattr(course, name, value)
        _check_course_values(course)
        course.full_clean(exclude=["state"])
        _save(course)
        audit.record_update("course.update", course, before, values, actor=user)
    return course


def delete_course(course_pk: int, user) -> None:
    """C2/M§5.3: an unapproved course (draft, returned, withdrawn) is deleted at
    once, without a deletion request (its delivery courses first). Its unpaid
    review fee is cancelled (C9); a fee already on a 入金確認依頼票 is not
    refunded and stays in the fee history."""
    with transaction.atomic():
        course = _locked(course_pk)
        require_owner(user, course)
        if course.state not in (S.DRAFT, S.RETURNED, S.WITHDRAWN):
            raise CourseStateError(
                "申請中・承認済みの講座は削除できません（認定後の削除は削除申請が必要です）。"
            )
        fee_services.cancel_unpaid(
            course.fee_lines.all(), f"免除対象講座 {course.number} を削除したため", actor=user
        )
        audit.record("course.delete", course, actor=user, note=str(course))
        for delivery in course.delivery_courses.all():
            delivery.exams.all().delete()
            delivery.delete()
        course.delete()


def save_delivery_course(course_pk: int, user, values: dict, exams: list[dict], delivery_pk=None):
    """Add or edit a delivery course of an editable course, with its exam slots
    (D1, D4/D5 checked at submission, where the whole course is known)."""
    with transaction.atomic():
        course = _locked(course_pk)
        require_owner(user, course)
        if course.state not in (*EDITABLE, S.CERTIFIED):
            raise CourseStateError("申請中・承認済みの講座の実施講座は、ここでは変更できません。")
        if delivery_pk is None:
            last = course.delivery_courses.aggregate(m=Max("serial"))["m"] or 0
            delivery = DeliveryCourse(course=course, serial=last + 1)
            before = {}
        else:
            delivery = course.delivery_courses.get(pk=delivery_pk)
            if delivery.state not in EDITABLE:
                raise CourseStateError(
                    "申請中・承認済みの実施講座は変更できません（変更申請が必要です）。"
                )
            before = audit.snapshot(delivery, list(values))
        for name, value in values.items():
            setattr(delivery, name, value)
        delivery.full_clean(exclude=["state", "course"])
        if course.course_type != rules.CourseType.NONE_IPA and not delivery.vendor_name:
            raise ValidationError(
                {
                    # D1
                    "vendor_name": "民間資格を活用する講座の実施講座では「活用する民間資格事業者名」を入力してください。"
                }
            )
        if not delivery.committee_declaration:
            raise ValidationError(
                {"committee_declaration": "講師に試験委員が含まれないことを確認してください。"}
            )
        reviewed_problem = rules.reviewed_exam_problem(course.course_type)
        reviewed = [s for s in exams if s.get("kind") == rules.REVIEWED and s.get("vendor_date")]
        if reviewed and reviewed_problem:
            raise ValidationError(
                {f"{reviewed[0]['row']}_{reviewed[0]['slot']}_vendor_date": reviewed_problem}
            )
        for slot in reviewed:
            # E1/R1 (table 4.5-5): an IPA審査 exam is reported by the close of
            # the same month's IPA report window, so it must lie before it.
            # Checked once the month's IPA report window is published.
            day = slot["vendor_date"]
            published = ExamSession.objects.filter(
                published=True, exam_date__year=day.year, exam_date__month=day.month,
                report_closes_at__isnull=False,
            )  # fmt: skip
            if published.exists() and ExamSession.reporting_for_reviewed_exam(day) is None:
                raise ValidationError(
                    {
                        f"{slot['row']}_{slot['slot']}_vendor_date": (
                            f"IPA審査問題の修了試験日（{slot['vendor_date']:%Y年%-m月%-d日}）は、"
                            "同じ月のIPA提供問題の修了試験の結果報告期限より前の日にしてください。"
                        )
                    }
                )
        _save(delivery)
        delivery.exams.all().delete()
        for slot in exams:
            if slot.get("session") or slot.get("vendor_date"):
                DeliveryExam.objects.create(delivery_course=delivery, **slot)
        audit.record_update("delivery.save", delivery, before, values, actor=user)
    return delivery


def delete_delivery_course(delivery_pk: int, user) -> None:
    """A delivery course never approved is deleted at once (D8)."""
    with transaction.atomic():
        delivery = _locked_delivery(delivery_pk)
        require_owner(user, delivery.course)
        if delivery.state not in EDITABLE or delivery.course.state not in (*EDITABLE, S.CERTIFIED):
            raise CourseStateError("承認済み・申請中の実施講座は削除申請（申請書式5）が必要です。")
        audit.record("delivery.delete", delivery, actor=user, note=str(delivery))
        delivery.exams.all().delete()
        delivery.delete()


def _exam_rows(delivery):
    rows = {("upper", 1): (rules.IPA, None), ("upper", 2): (rules.IPA, None),
            ("lower", 1): (rules.IPA, None), ("lower", 2): (rules.IPA, None)}  # fmt: skip
    for exam in delivery.exams.all():
        rows[(exam.row, exam.slot)] = (exam.kind, exam.date)
    return [rows[("upper", 1)], rows[("upper", 2)]], [rows[("lower", 1)], rows[("lower", 2)]]


def submission_problems(course: ExemptionCourse, today: datetime.date) -> list[tuple[str, str]]:
    """The checklist shown before 申請書データ確定: [(section, message)]. Empty
    when the course can be submitted."""
    problems: list[tuple[str, str]] = []
    add = problems.extend
    add(
        ("講座", p)
        for p in rules.course_name_problems(course.name, course.course_type, course.vendor_name)
    )
    add(
        ("講座", p)
        for p in rules.private_course_problems(
            course.course_type, course.vendor_name, course.private_exam_name
        ).values()
    )
    ratio = rules.attendance_ratio_problem(course.attendance_ratio)
    if ratio:
        problems.append(("講座", ratio))
    desired = rules.desired_month_problem(course.application_date or today, course.desired_month)
    if desired:
        problems.append(("講座", desired))
    plan_hours = plan_total(course)
    add(
        ("受講計画", p)
        for p in rules.hours_problems(
            course.course_type,
            _fraction(course.total_hours),
            _fraction(plan_hours),
            _fraction(course.vendor_min_hours) if course.vendor_min_hours is not None else None,
        )
    )
    required = list(SyllabusItem.objects.filter(active=True).values_list("code", flat=True))
    planned = list(course.plan_rows.values_list("syllabus_item__code", flat=True))
    add(
        ("受講計画", p) for p in rules.plan_coverage_problems(course.course_type, required, planned)
    )
    if not course.course_manager:
        problems.append(("受講計画", "「免除対象講座 管理責任者」を入力してください。"))
    if not course.materials.exists():
        problems.append(("受講計画", "使用する教材を1つ以上登録してください。"))
    if not OperationStructure.objects.filter(course=course).exists():
        problems.append(("運営実施体制", "講座の運営実施体制を入力してください。"))
    deliveries = list(course.delivery_courses.prefetch_related("exams__session"))
    if not deliveries and course.state in EDITABLE and course.certified_on is None:
        problems.append(
            # C10
            ("実施講座", "新規の免除対象講座には実施講座が少なくとも1つ必要です。")
        )
    if course.learning_mode != "classroom" and not course.attachments.exists():
        problems.append(
            # C15
            ("添付書類", "e-ラーニング等の場合は、学習方法を示す別紙を添付してください。")
        )
    # C8: a late fix slips the certification date, and every delivery course
    # check (D2 start/end, D4 exams inside the period) follows it.
    add(delivery_fit_problems(course, planned_certification_date(course, today), deliveries))
    return problems


def _delivery_label(delivery: DeliveryCourse) -> str:
    return f"実施講座 {delivery.number}「{delivery.name}」"


def delivery_fit_problems(
    course: ExemptionCourse, certification: datetime.date, deliveries=None
) -> list[tuple[str, str]]:
    """D2/D3/D4/D5 of each delivery course against the course's certification
    date ``certification`` (the slipped one, C8) and the period it opens:
    [(delivery course label, message)]."""
    if deliveries is None:
        deliveries = course.delivery_courses.prefetch_related("exams__session")
    ipa_dates = set(ExamSession.objects.filter(published=True).values_list("exam_date", flat=True))
    valid_to = rules.certification_end_date(certification)
    problems = []
    for delivery in deliveries:
        label = _delivery_label(delivery)
        upper, lower = _exam_rows(delivery)
        first_exam = min((d for _, d in upper + lower if d), default=None)
        problems += [(label, p) for p in rules.delivery_period_problems(
            delivery.start_date, delivery.end_date, certification, valid_to, first_exam)]  # fmt: skip
        problems += [(label, p) for p in rules.exam_rows_problems(
            course.course_type, upper, lower, ipa_dates, certification, valid_to)]  # fmt: skip
    return problems


def _refuse_unfit_deliveries(course: ExemptionCourse, certification: datetime.date, hint: str):
    """Approval and certification re-check the delivery courses against the
    (slipped, C8) certification date and name every one that no longer fits."""
    deliveries = course.delivery_courses.exclude(state=S.WITHDRAWN).prefetch_related(
        "exams__session"
    )
    problems = delivery_fit_problems(course, certification, deliveries)
    if problems:
        raise ValidationError(
            [f"認定日（{certification:%Y年%-m月%-d日}）に合わない実施講座があります。{hint}"]
            + [f"{label}：{message}" for label, message in problems]
        )


def submit_course(course_pk: int, user) -> ExemptionCourse:
    """申請書データ確定: the course (and its delivery courses) become read-only
    until IPA answers; the review fee line is created once (C9, F1)."""
    today = timezone.localdate()
    with transaction.atomic():
        course = _locked(course_pk)
        require_owner(user, course)
        require_not_barred(course.provider, today)
        if not workflow.is_editable_by_provider(course):
            raise CourseStateError("この講座は既に申請されています。")
        if course.application_date is None:
            course.application_date = today
        problems = submission_problems(course, today)
        if problems:
            raise ValidationError([f"{section}：{message}" for section, message in problems])
        resubmission = course.state == S.RETURNED
        if resubmission:
            course.defects_cleared_on = today
        if not course.fee_lines.filter(kind=FeeKind.REVIEW).exists():
            fee_services.charge(
                course.provider,
                FeeKind.REVIEW,
                description=f"{course.number} {course.name}",
                on=today,
                course=course,
            )
        # The 到達番号 first, so that the notices of the move carry it (the
        # acting staff's 到達 mail is the workflow's notice).
        receipts.issue(
            course, receipts.Kind.COURSE, user, mail=False,
            next_text=PAID_NEXT_STEPS if review_fee_status(course) == "paid" else "",
        )  # fmt: skip
        transition(course, "resubmit" if resubmission else "submit", actor=user)
    return course


# C9: the review fee is paid once; a resubmission after payment goes straight
# back to the reviewer.
PAID_NEXT_STEPS = (
    "講座認定審査手数料は入金確認済みのため、改めてのお振り込みは不要です。"
    "IPAが修正内容を審査し、承認または差し戻しをお知らせします。"
)


def review_fee_status(course: ExemptionCourse) -> str:
    """The course's one review fee (C9, F1): "paid" once IPA confirmed it,
    "requested" once a 入金確認依頼票 names it, else "unpaid"."""
    if course.payment_confirmed_on:
        return "paid"
    if course.fee_lines.filter(kind=FeeKind.REVIEW, payment_request__isnull=False).exists():
        return "requested"
    return "unpaid"


def record_review_fee_paid(course_pk: int, on: datetime.date, actor) -> ExemptionCourse | None:
    """F3: IPA confirmed the payment of the course's review fee (told by
    fees.signals.payment_confirmed, inside the confirming transaction): the
    course keeps the 入金確認日 of its first confirmed payment, with its
    history and an audit entry. None when it was already recorded."""
    course = _locked(course_pk)
    if course.payment_confirmed_on is not None:
        return None
    before = audit.snapshot(course, ["payment_confirmed_on"])
    course.payment_confirmed_on = on
    course.save(update_fields=["payment_confirmed_on"])
    audit.record_update(
        "course.payment_confirm", course, before, ["payment_confirmed_on"], actor=actor
    )
    return course


# IPA side --------------------------------------------------------------------------


def return_course(
    course_pk: int, reviewer, reason: str, fields: dict | None = None
) -> ExemptionCourse:
    """差し戻し with a reason and, per field, what to fix (W1)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "「差し戻し理由」を入力してください。"})
    require_reviewer(reviewer)
    with transaction.atomic():
        course = _locked(course_pk)
        # W1: after the resubmission the reviewer sees what changed since now.
        course.returned_snapshot = changes.snapshot(course)
        transition(course, "return", actor=reviewer, reason=reason, fields=fields or {},
                   note=reason)  # fmt: skip
    return course


def start_review(course_pk: int, reviewer, on: datetime.date | None = None) -> ExemptionCourse:
    """F3: the review starts only once the review fee is confirmed paid."""
    on = on or timezone.localdate()
    require_reviewer(reviewer)
    with transaction.atomic():
        course = _locked(course_pk)
        workflow.check(course, "approve", actor=reviewer, conditions=False)
        if course.payment_confirmed_on is None:
            raise CourseStateError(
                # F3
                "講座認定審査手数料の入金が確認できていないため、審査を開始できません。"
            )
        if course.review_started_on is None:
            course.review_started_on = on
            _save(course)
            audit.record(
                "course.review_start",
                course,
                actor=reviewer,
                changes={"review_started_on": [None, on]},
            )
    return course


def approve_course(course_pk: int, reviewer, on: datetime.date | None = None) -> ExemptionCourse:
    """承認: the review ends; the course waits for its certification date."""
    on = on or timezone.localdate()
    require_reviewer(reviewer)
    with transaction.atomic():
        course = _locked(course_pk)
        workflow.check(course, "approve", actor=reviewer)  # F3: the review has started
        _refuse_unfit_deliveries(
            course,
            planned_certification_date(course, on),
            "このままでは承認できません。差し戻して、実施講座の開始日・修了試験日を直してもらってください。",
        )
        transition(course, "approve", actor=reviewer, on=on)
    return course


def planned_certification_date(
    course: ExemptionCourse, today: datetime.date | None = None
) -> datetime.date:
    """C8: the desired month, slipped when the defects were cleared late. A
    returned course is not fixed yet: it is counted as fixed today at the
    earliest, so the forecast slips as the days pass."""
    today = today or timezone.localdate()
    applied = course.application_date or today
    cleared = course.defects_cleared_on
    if course.state == S.RETURNED:
        cleared = today if cleared is None else max(cleared, today)
    return rules.certification_date(applied, course.desired_month, cleared)


def certify_course(course_pk: int, actor, on: datetime.date) -> ExemptionCourse:
    """認定 on the 1st of a month (C8): sets the C11 dates. Done by the reviewer,
    or by the scheduled task on the 1st (actor None)."""
    if on.day != 1:
        raise ValidationError({"on": "認定日は毎月1日です。"})
    with transaction.atomic():
        course = _locked(course_pk)
        if actor is not None:
            require_reviewer(actor)
        workflow.check(course, "certify", actor=actor)
        require_active(course.provider)  # P8: a withdrawn provider is not certified
        require_not_barred(course.provider, on)
        if on < planned_certification_date(course):
            raise CourseStateError(
                # C8
                f"この講座の認定日は最短で{planned_certification_date(course):%Y年%-m月%-d日}です。"
            )
        _refuse_unfit_deliveries(
            course, on, "この日付では認定できません。認定日の見込みの日付で認定してください。"
        )
        fy = rules.fiscal_year(on)
        counter, _ = CertificateNumberCounter.objects.select_for_update().get_or_create(
            fiscal_year=fy
        )
        counter.last_issued += 1
        counter.save(update_fields=["last_issued"])
        course.certificate_number = rules.certificate_number(fy, counter.last_issued)
        course.certificate_issued_on = on
        course.review_fee = (
            course.fee_lines.filter(kind=FeeKind.REVIEW)
            .values_list("unit_amount", flat=True)
            .first()
        )
        # C12: the certificate is a record: certifications stores its PDF as
        # issued when the move is made (portal.workflow.transitioned).
        transition(course, "certify", actor=actor, on=on)
    return course


def certify_due_courses(today: datetime.date) -> list[int]:
    """The scheduled task of the 1st: certify every approved course whose
    certification date has come."""
    done = []
    if today.day != 1:
        return done
    for pk in ExemptionCourse.objects.filter(state=S.APPROVED).values_list("pk", flat=True):
        course = ExemptionCourse.objects.select_related("provider").get(pk=pk)
        if planned_certification_date(course) <= today:
            try:
                certify_course(pk, None, today)
            except ValidationError as exc:
                # A delivery course no longer fits the certification date, or a
                # recent revocation bars the provider (P6): the course waits,
                # and IPA is told which one and why.
                _report_blocked_certification(course, today, exc.messages)
                continue
            done.append(pk)
    return done


def _report_blocked_certification(course, today, reasons: list[str]) -> None:
    from django.conf import settings

    from portal import notify

    with transaction.atomic():
        audit.record(
            "course.certify_blocked",
            course,
            note=f"{today:%Y年%-m月%-d日}の自動認定を見送りました。" + " ".join(reasons),
        )
        notify.send_on_commit(
            "course_certify_blocked",
            {"course": course, "on": today, "reasons": reasons},
            [settings.IPA_NOTICE_EMAIL],
        )


def expire_courses(today: datetime.date) -> list[int]:
    """C11/C13: a certification ends after its end date; it is never extended."""
    expired = []
    for pk in ExemptionCourse.objects.filter(state=S.CERTIFIED, valid_until__lt=today).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            course = _locked(pk)
            if course.state == S.CERTIFIED and course.valid_until < today:
                transition(course, "expire", actor=None)
                # C9: nothing is owed for a course whose certification has ended
                # (a certified course is paid; this closes a line left by hand).
                fee_services.cancel_unpaid(
                    course.fee_lines.all(),
                    f"免除対象講座 {course.number} の認定期間が終了したため",
                    on=today,
                )
                expired.append(pk)
    return expired


def revoke_course(course_pk: int, admin, on: datetime.date | None, reason: str) -> ExemptionCourse:
    """C11/P6 (M§2.5): an IPA administrator revokes the certification of one
    course with its date and reason (figure 5.2-4: 認定取消日, 認定取消理由).

    Only this course is revoked (M§2.5 names the certification of a course):
    the provider stays active, keeps its other certified courses and their
    delivery courses, exams and reports, but for 2 years from ``on`` it files
    no new course and no course of it is certified (providers.services.
    require_not_barred reads the date through courses.hooks). The 認定証
    stays as issued (certifications.documents.CERTIFICATE_STATES), the review
    fee is never refunded (C9). The provider's contact and IPA are told."""
    reason = (reason or "").strip()
    today = timezone.localdate()
    with transaction.atomic():
        course = _locked(course_pk)
        # The state and who may revoke first: a reviewer gets a refusal, not
        # a field error.
        workflow.check(course, "revoke", actor=admin)
        errors = {}
        if on is None:
            errors["on"] = "「認定取消日」を入力してください。"
        elif on > today:
            errors["on"] = "「認定取消日」に将来の日付は指定できません。"
        elif course.certified_on and on < course.certified_on:
            errors["on"] = (
                f"「認定取消日」は認定日（{course.certified_on:%Y年%-m月%-d日}）以降の日付にしてください。"
            )
        elif course.valid_until and on > course.valid_until:
            errors["on"] = (
                f"「認定取消日」は認定終了日（{course.valid_until:%Y年%-m月%-d日}）までの日付にしてください。"
            )
        if not reason:
            errors["reason"] = "「認定取消理由」を入力してください。"
        elif len(reason) > 1000:
            errors["reason"] = "「認定取消理由」は1000文字以内で入力してください。"
        if errors:
            raise ValidationError(errors)
        transition(
            course,
            "revoke",
            actor=admin,
            on=on,
            reason=reason,
            note=reason,
            notice={"bar_ends": provider_rules.revocation_bar_end(on)},
        )
    return course


# Study plan (C6) -------------------------------------------------------------------


def _editable_course(course_pk: int, user) -> ExemptionCourse:
    course = _locked(course_pk)
    require_owner(user, course)
    if course.state not in EDITABLE:
        raise CourseStateError("申請中・承認済みの講座は変更できません。")
    return course


def save_materials(course_pk: int, user, materials: list[dict]) -> None:
    """C6: the list of materials (replaces the previous list)."""
    from .models import StudyMaterial

    with transaction.atomic():
        course = _editable_course(course_pk, user)
        before = list(course.materials.values_list("name", flat=True))
        course.materials.all().delete()
        for order, values in enumerate(materials, start=1):
            material = StudyMaterial(course=course, order=order, **values)
            material.full_clean()
            material.save()
        audit.record("course.materials", course, actor=user,
                     changes={"materials": [before, [m["name"] for m in materials]]})  # fmt: skip


def save_plan(course_pk: int, user, manager: str, rows: list[dict]) -> ExemptionCourse:
    """C6: the plan rows (one per syllabus item code) and the course manager;
    rows with an unknown code are refused, nothing is half-saved."""
    from .models import StudyPlanRow

    with transaction.atomic():
        course = _editable_course(course_pk, user)
        items = {i.code: i for i in SyllabusItem.objects.filter(active=True)}
        unknown = [r["code"] for r in rows if r["code"] not in items]
        if unknown:
            raise ValidationError(
                {"plan": f"シラバスにない管理番号があります：{'、'.join(unknown[:10])}"}
            )
        before_total = plan_total(course)
        course.plan_rows.all().delete()
        for values in rows:
            row = StudyPlanRow(
                course=course,
                syllabus_item=items[values["code"]],
                material=values["material"],
                class_name=values["class_name"],
                planned_session=values["planned_session"],
                hours=values["hours"],
            )
            row.full_clean(exclude=["course", "syllabus_item"])
            row.save()
        course.course_manager = normalize_full_name(manager)  # P2: 「姓　名」
        course.full_clean(exclude=["state"])
        _save(course)
        after_total = plan_total(course)
        audit.record("course.plan", course, actor=user,
                     changes={"plan_total_hours": [before_total, after_total], "rows": [None, len(rows)]})  # fmt: skip
    return course


def import_plan(course_pk: int, user, data: bytes) -> int:
    """Import the provider's own 受講計画シート (.xlsx); all or nothing."""
    from portal.uploads import open_xlsx_safely

    from .plan_import import parse_plan_rows

    workbook = open_xlsx_safely(data, "受講計画シート")
    try:
        sheet = next(
            (ws for ws in workbook.worksheets if "受講計画" in ws.title), workbook.worksheets[0]
        )
        manager, rows, problems = parse_plan_rows(sheet.iter_rows(values_only=True, max_row=2000))
    finally:
        workbook.close()
    if problems:
        raise ValidationError({"file": problems})
    course = ExemptionCourse.objects.get(pk=course_pk)
    save_plan(course_pk, user, manager or course.course_manager, rows)
    return len(rows)


def save_operation_structure(course_pk: int, user, values: dict) -> OperationStructure:
    with transaction.atomic():
        course = _editable_course(course_pk, user)
        structure = OperationStructure.objects.filter(course=course).first() or OperationStructure(
            course=course
        )
        before = audit.snapshot(structure, list(values)) if structure.pk else {}
        for name, value in values.items():
            setattr(structure, name, value)
        structure.full_clean(exclude=["course"])
        structure.save()
        audit.record(
            "course.structure",
            course,
            actor=user,
            changes=audit.diff(before, audit.snapshot(structure, list(values))),
        )
    return structure


def add_attachment(course_pk: int, user, title: str, upload) -> None:
    """C15: extra documents for e-learning, recorded lectures and live streams."""
    from portal.uploads import check_office_or_pdf

    from .models import CourseAttachment

    check_office_or_pdf(upload, "ファイル")
    with transaction.atomic():
        course = _editable_course(course_pk, user)
        attachment = CourseAttachment.objects.create(
            course=course, title=title, file=upload, uploaded_by=user
        )
        audit.record(
            "course.attachment", course, actor=user, note=f"{title}（{attachment.file.name}）"
        )


def withdraw_course(course_pk: int, user) -> ExemptionCourse:
    """The provider withdraws a draft or returned application (fees are not refunded)."""
    with transaction.atomic():
        course = _locked(course_pk)
        require_owner(user, course)
        transition(course, "withdraw", actor=user)
        # C9: a withdrawn application owes no unpaid review fee any more.
        fee_services.cancel_unpaid(
            course.fee_lines.all(),
            f"免除対象講座 {course.number} の申請を取り下げたため",
            actor=user,
        )
    return course


def record_materials_post(
    course_pk: int, reviewer, requested_on=None, received_on=None
) -> ExemptionCourse:
    """C16: IPA asked for the materials by post / received them."""
    require_reviewer(reviewer)
    with transaction.atomic():
        course = _locked(course_pk)
        before = audit.snapshot(course, ["materials_requested_on", "materials_received_on"])
        if requested_on:
            course.materials_requested_on = requested_on
        if received_on:
            if not (requested_on or course.materials_requested_on):
                raise ValidationError(
                    {"received_on": "先に「教材送付の依頼日」を記録してください。"}
                )
            course.materials_received_on = received_on
        _save(course)
        audit.record_update("course.materials_post", course, before, before, actor=reviewer)  # fmt: skip
    return course


# A delivery course added to a certified course (D2–D7) ---------------------------------


def delivery_problems(delivery: DeliveryCourse, today: datetime.date) -> list[str]:
    """What stops a delivery course of a certified course from being submitted
    (D7: 5 business days before the start; after a return, the fix is due 1
    business day before the start)."""
    course = delivery.course
    problems = []
    if delivery.state == S.RETURNED:
        if today > rules.delivery_fix_deadline(delivery.start_date):
            problems.append(
                # D7
                "不備の解消が開始日の1営業日前を過ぎました。開始日を不備解消日の翌日以降に変更してください。"
            )
    elif today > rules.delivery_submission_deadline(delivery.start_date):
        deadline = rules.delivery_submission_deadline(delivery.start_date)
        problems.append(
            # D7
            f"実施講座は開始日の5営業日前（{deadline:%Y年%-m月%-d日}）までに申請してください。"
            "開始日を遅らせて申請してください。"
        )
    upper, lower = _exam_rows(delivery)
    first_exam = min((d for _, d in upper + lower if d), default=None)
    problems += rules.delivery_period_problems(
        delivery.start_date, delivery.end_date, course.certified_on, course.valid_until, first_exam
    )
    ipa_dates = set(ExamSession.objects.filter(published=True).values_list("exam_date", flat=True))
    problems += rules.exam_rows_problems(
        course.course_type, upper, lower, ipa_dates, course.certified_on, course.valid_until
    )
    return problems


def submit_delivery_course(delivery_pk: int, user) -> DeliveryCourse:
    """実施講座の追加 for a certified course: its own submission with the D7 timing."""
    today = timezone.localdate()
    with transaction.atomic():
        delivery = _locked_delivery(delivery_pk)
        require_owner(user, delivery.course)
        if delivery.course.state != S.CERTIFIED or delivery.state not in EDITABLE:
            raise CourseStateError("この実施講座は単独で申請できません。")
        problems = delivery_problems(delivery, today)
        if problems:
            raise ValidationError(problems)
        # The 到達番号 first, so that the notices of the move carry it; the
        # acting staff's 到達 mail is the workflow's notice (no second mail).
        receipts.issue(delivery, receipts.Kind.DELIVERY, user, mail=False,
                       url=reverse("course_detail", args=[delivery.course_id]))  # fmt: skip
        transition(delivery, "submit", actor=user)
    return delivery


def review_delivery_course(
    delivery_pk: int, reviewer, approve: bool, reason: str = ""
) -> DeliveryCourse:
    """IPA approves or returns a delivery course submitted on its own; the
    provider's contact and the submitter are told (portal.workflow)."""
    require_reviewer(reviewer)
    with transaction.atomic():
        delivery = _locked_delivery(delivery_pk)
        if approve:
            transition(delivery, "approve", actor=reviewer, on=timezone.localdate())
        else:
            if delivery.state == S.SUBMITTED and not reason.strip():
                raise ValidationError({"reason": "「差し戻し理由」を入力してください。"})
            transition(delivery, "return", actor=reviewer, reason=reason.strip(), note=reason)
    return delivery


# After approval: change, exams dropped, deletion (D6, D8; M§5.5, table 4.5-1) -------

# What the apps above tell about the exams of a delivery course (exams.hooks):
# which were applied for or reported (D6, D8), and what ends when a change
# request removes an exam someone applied for (D6).
APPLIED, REPORTED = "applied", "reported"
_APPLIED_SOURCES: list = []
_REMOVED_HANDLERS: list = []


def register_applied_exams(source, removed=None) -> None:
    """``source(delivery) -> [(date, APPLIED | REPORTED)]``: the exam dates
    of the delivery course with a filed application or a result report;
    ``removed(delivery, dates, actor, note)``: ends what the approved removal
    of those exams leaves without an exam (in the approval's transaction)."""
    if source not in _APPLIED_SOURCES:
        _APPLIED_SOURCES.append(source)
    if removed is not None and removed not in _REMOVED_HANDLERS:
        _REMOVED_HANDLERS.append(removed)


def _exam_uses(delivery: DeliveryCourse) -> list[tuple[datetime.date, str]]:
    return [use for source in _APPLIED_SOURCES for use in source(delivery)]


def applied_exam_dates(delivery: DeliveryCourse) -> set[datetime.date]:
    """The exam dates someone applied for or reported (D6, D8)."""
    return {day for day, _ in _exam_uses(delivery)}


def reported_exam_dates(delivery: DeliveryCourse) -> set[datetime.date]:
    return {day for day, use in _exam_uses(delivery) if use == REPORTED}


def _exam_set(exams) -> set[tuple[str, datetime.date]]:
    return {(exam.kind, exam.date) for exam in exams if exam.date}


def exam_change_problems(delivery: DeliveryCourse, proposed_exams, today) -> list[str]:
    """D6 (table 4.5-1) of the exam rows a change request leaves: an exam
    held or reported stays as it is, and an exam added lies ahead."""
    before, after = _exam_set(delivery.exams.all()), _exam_set(proposed_exams)
    reported = reported_exam_dates(delivery)
    problems = []
    for _kind, day in sorted(before - after, key=lambda e: e[1]):
        if day in reported:
            problems.append(
                f"{exam_day_label(day)}の修了試験は結果を報告済みのため、変更・取りやめはできません。"
            )
        elif day <= today:
            problems.append(
                f"{exam_day_label(day)}の修了試験は実施日を過ぎているため、変更・取りやめはできません。"
            )
    for _kind, day in sorted(after - before, key=lambda e: e[1]):
        if day <= today:
            problems.append(
                f"追加する修了試験（{exam_day_label(day)}）は、今日より後の日付にしてください。"
            )
    return problems


# The values of an approved delivery course a change request may change
# (table 5.6-1 「実施講座情報の変更」): those of 申請書式2-添付書類3 and its
# exam rows. The declaration (試験委員) is confirmed once and stays.
CHANGEABLE_DELIVERY_FIELDS = [
    "name", "prefecture", "address", "building", "target_learners", "conditions",
    "expected_learners", "start_date", "end_date", "instructors", "vendor_name",
]  # fmt: skip
SLOT_KEYS = ("upper_1", "upper_2", "lower_1", "lower_2")


def exam_values(exams) -> dict:
    """{"upper_1": {"kind", "session", "vendor_date"}, …} of the exam rows
    (JSON, as a change request stores them); an empty slot is absent."""
    values = {}
    for exam in exams:
        values[f"{exam.row}_{exam.slot}"] = {
            "kind": exam.kind,
            "session": exam.session_id,
            "vendor_date": exam.vendor_date.isoformat() if exam.vendor_date else None,
        }
    return values


def exams_from_values(delivery: DeliveryCourse, values: dict) -> list[DeliveryExam]:
    """The exam rows of ``values`` as unsaved DeliveryExam objects."""
    exams = []
    for key in SLOT_KEYS:
        slot = values.get(key)
        if not slot:
            continue
        row, n = key.rsplit("_", 1)
        exams.append(
            DeliveryExam(
                delivery_course=delivery,
                row=row,
                slot=int(n),
                kind=slot["kind"],
                session_id=slot["session"],
                vendor_date=(
                    datetime.date.fromisoformat(slot["vendor_date"])
                    if slot["vendor_date"]
                    else None
                ),
            )
        )
    return exams


def changed_delivery_problems(delivery: DeliveryCourse, exams: list[DeliveryExam]) -> list[str]:
    """D2–D5 of a delivery course as a change request would leave it
    (``delivery`` unsaved with the proposed values, ``exams`` its rows)."""
    course = delivery.course
    rows = {("upper", 1): (rules.IPA, None), ("upper", 2): (rules.IPA, None),
            ("lower", 1): (rules.IPA, None), ("lower", 2): (rules.IPA, None)}  # fmt: skip
    for exam in exams:
        rows[(exam.row, exam.slot)] = (exam.kind, exam.date)
    upper = [rows[("upper", 1)], rows[("upper", 2)]]
    lower = [rows[("lower", 1)], rows[("lower", 2)]]
    first_exam = min((d for _, d in upper + lower if d), default=None)
    valid_from = course.certified_on or course.desired_month
    valid_to = course.valid_until or rules.certification_end_date(valid_from)
    problems = rules.delivery_period_problems(
        delivery.start_date, delivery.end_date, valid_from, valid_to, first_exam
    )
    ipa_dates = set(ExamSession.objects.filter(published=True).values_list("exam_date", flat=True))
    problems += rules.exam_rows_problems(
        course.course_type, upper, lower, ipa_dates, valid_from, valid_to
    )
    return problems


def apply_delivery_change(delivery: DeliveryCourse, changed: dict, actor, request) -> None:
    """The approved change request written to the delivery course (its
    values and exam rows), with its history and an audit entry naming the
    request (providers.changes.approve_change calls it in its transaction)."""
    fields = [name for name in CHANGEABLE_DELIVERY_FIELDS if name in changed]
    before = audit.snapshot(delivery, fields)
    for name in fields:
        value = changed[name]
        setattr(delivery, name, delivery._meta.get_field(name).to_python(value))
    delivery.full_clean(exclude=["state", "course"])
    _save(delivery)
    note = str(request)
    if "exams" in changed:
        old_exams = list(delivery.exams.all())
        new_exams = exams_from_values(delivery, changed["exams"])
        removed = {day for _, day in _exam_set(old_exams) - _exam_set(new_exams)}
        delivery.exams.all().delete()
        for exam in new_exams:
            exam.save()
        note = f"{note}（修了試験：{exam_rows_text(old_exams)} → {exam_rows_text(new_exams)}）"
        # D6: an exam someone applied for, removed by this approved request —
        # its applications end with it (exams.hooks).
        applied = removed & applied_exam_dates(delivery)
        for handler in _REMOVED_HANDLERS if applied else ():
            handler(delivery, sorted(applied), actor, str(request))
    audit.record_update("delivery.change", delivery, before, fields, actor=actor, note=note)


def exam_rows_text(exams) -> str:
    """「上段① 2024/12/08（IPA提供問題）、…」 in the order of 申請書式2-添付書類3."""
    return (
        "、".join(
            f"{e.get_row_display()}{e.get_slot_display()} {e.date:%Y/%m/%d}（{e.get_kind_display()}）"
            for e in sorted(exams, key=lambda e: e.sort_key)
            if e.date
        )
        or "なし"
    )


def mark_deletion_requested(delivery: DeliveryCourse, filed: bool) -> None:
    """D8/D9: a filed deletion request marks the delivery course (■ of
    申請書式2-添付書類2); no exam can be applied for it meanwhile. A
    withdrawn request clears the mark."""
    delivery.deletion_requested = filed
    delivery.save(update_fields=["deletion_requested"])


def delete_by_request(delivery: DeliveryCourse, changed: dict, actor, request) -> None:
    """D8: IPA approved the deletion request — the delivery course is 削除済み
    (its number, history and documents stay; it leaves the registry and no
    exam can be applied for it)."""
    delivery.deletion_requested = True
    transition(delivery, "delete_by_request", actor=actor, on=timezone.localdate(),
               note=str(request),
               notice={"change": request, "change_receipt": workflow.receipt_number(request)})  # fmt: skip


def drop_exam(delivery_pk: int, user, row: str, slot: int) -> DeliveryCourse:
    """D6 (table 4.5-1): an approved delivery course with two exams drops one
    without a change request when nobody applied for it; its 下段 (救済措置)
    slot goes with it. Refused when someone applied (a change request is then
    needed), when the exam was held, or while a change request is open."""
    today = timezone.localdate()
    with transaction.atomic():
        delivery = _locked_delivery(delivery_pk)
        require_owner(user, delivery.course)
        if delivery.state != S.APPROVED:
            raise CourseStateError(
                "承認前の実施講座は、編集画面で修了試験の設定を変更してください。"
            )
        if change_requests.open_requests_for(delivery).exists():
            raise ValidationError(
                "この実施講座には作成中または審査中の変更申請があります。"
                "その申請で修了試験の設定を変更するか、申請を取り下げてから操作してください。"
            )
        closed = course_closed_problem(delivery.course)
        if closed:
            raise ValidationError(closed)
        exams = {(e.row, e.slot): e for e in delivery.exams.select_related("session")}
        if slot not in droppable_slots(delivery, today, list(exams.values())):
            exam = exams.get((row, slot))
            if exam is not None and exam.date and exam.date <= today:
                raise ValidationError(
                    f"{exam_day_label(exam.date)}の修了試験は実施日を過ぎているため、取りやめられません。"
                )
            raise ValidationError("取りやめられるのは、2回設定した修了試験のうちの1回だけです。")
        dropped = [e for (_r, n), e in exams.items() if n == slot]  # with its 下段 (救済措置)
        applied = applied_exam_dates(delivery)
        problem = rules.drop_exam_problem(any(e.date in applied for e in dropped))
        if problem:
            raise ValidationError(problem)
        note = exam_rows_text(dropped)
        for e in dropped:
            e.delete()
        if slot == 1:  # the second exam becomes the first (table 5.4-2: ① before ②)
            delivery.exams.filter(slot=2).update(slot=1)
        audit.record("delivery.drop_exam", delivery, actor=user, note=note)
    return delivery


def course_closed_problem(course: ExemptionCourse) -> str | None:
    """An approved delivery course changes, loses an exam or is deleted only
    while its course is certified (C11: not once revoked or ended)."""
    if course.state != S.CERTIFIED:
        return (
            f"免除対象講座 {course.number} は「{course.get_state_display()}」のため、"
            "実施講座の変更・削除はできません。"
        )
    return None


def droppable_slots(delivery: DeliveryCourse, today, exams=None) -> list[int]:
    """D6: the upper-row slots (① / ②) of an approved delivery course with
    two exams that are still ahead: the buttons of the course page and the
    check of :func:`drop_exam`."""
    exams = list(delivery.exams.all()) if exams is None else exams
    upper = [e for e in exams if e.row == "upper" and e.date]
    if delivery.state != S.APPROVED or len(upper) < 2 or course_closed_problem(delivery.course):
        return []
    return sorted(e.slot for e in upper if e.date > today)


# Syllabus reference data (C6) -------------------------------------------------------


def import_syllabus(rows: list[dict], actor) -> dict:
    """IPA administrators replace the FE syllabus list from a CSV/Excel file:
    rows are upserted by 管理番号; items missing from the file are kept (plans
    refer to them) but marked unused. All or nothing."""
    from portal.roles import is_ipa_admin

    if not is_ipa_admin(actor):
        raise PermissionDenied("シラバス項目を更新できるのはIPA管理者だけです。")
    problems = []
    seen = set()
    for number, row in enumerate(rows, start=2):
        code = (row.get("code") or "").strip().upper()
        if not code.startswith("FE") or not code[2:].isdigit():
            problems.append(
                f"{number}行目：「管理番号」は FE1 のように入力してください（「{code}」）。"
            )
        elif code in seen:
            problems.append(f"{number}行目：管理番号 {code} が重複しています。")
        seen.add(code)
        for key, label in (("field", "分野"), ("item", "項目"), ("sub_item", "小分類")):
            if not (row.get(key) or "").strip():
                problems.append(f"{number}行目：「{label}」が空欄です。")
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        before = SyllabusItem.objects.count()
        # Free the order numbers first so that the new order never collides.
        top = SyllabusItem.objects.aggregate(m=Max("order"))["m"] or 0
        for item in SyllabusItem.objects.all():
            item.order += top + len(rows) + 1
            item.save(update_fields=["order"])
        for order, row in enumerate(rows, start=1):
            SyllabusItem.objects.update_or_create(
                code=row["code"].strip().upper(),
                defaults={"order": order, "field": row["field"].strip(), "item": row["item"].strip(),
                          "sub_item": row["sub_item"].strip(), "to_be_confirmed": False, "active": True},
            )  # fmt: skip
        retired = SyllabusItem.objects.exclude(code__in=seen).update(active=False)
        audit.record(
            "syllabus.import",
            None,
            actor=actor,
            note=f"{len(rows)}項目（以前 {before}項目、使用停止 {retired}項目）",
        )
    return {"imported": len(rows), "retired": retired}


def read_syllabus_file(name: str, data: bytes) -> list[dict]:
    """Rows of a syllabus file: CSV (UTF-8 with or without BOM, or Shift_JIS)
    or .xlsx, with the columns 管理番号, 分野, 項目, 小分類 (header row first)."""
    import csv
    import io

    from portal.uploads import open_xlsx_safely

    keys = ["code", "field", "item", "sub_item"]
    if name.lower().endswith(".xlsx"):
        workbook = open_xlsx_safely(data, "シラバスファイル")
        try:
            values = list(workbook.worksheets[0].iter_rows(values_only=True, max_row=5000))
        finally:
            workbook.close()
    elif name.lower().endswith(".csv"):
        for encoding in ("utf-8-sig", "cp932"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValidationError(
                "「シラバスファイル」の文字コードが読み取れません（UTF-8 または Shift_JIS）。"
            )
        values = list(csv.reader(io.StringIO(text)))
    else:
        raise ValidationError(
            "「シラバスファイル」は CSV（.csv）か Excel（.xlsx）を選んでください。"
        )
    rows = [
        dict(zip(keys, [("" if v is None else str(v)) for v in row[:4]], strict=False))
        for row in values[1:]
        if row and any(v not in (None, "") for v in row)
    ]
    if not rows:
        raise ValidationError("「シラバスファイル」に項目の行がありません。")
    return rows
