"""State changes of exam applications (E2–E4) and result reports (R1–R13),
one function each. Deadlines are checked here, on the server, to the second:
every function that a window governs takes ``now`` (default: the current
time), so tests can put the clock at 14:59:59 or 15:00:00."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from calendars import rules as calendar_rules
from calendars.models import ExamSession
from courses.models import DeliveryCourse, DeliveryExam, SubmissionStates
from fees import rules as fee_rules
from fees import services as fee_services
from fees.models import FeeKind, FeeLine
from portal import audit, receipts
from portal import workflow as life_cycle
from portal.isolation import owns, require_owner
from portal.roles import is_ipa_admin, require_reviewer
from portal.services import save_transition
from portal.workflow import transition
from providers.services import require_active

from . import rules, workflow
from .models import (
    LIVE_APPLICATION_STATES,
    ExamApplication,
    ExamSite,
    LatePaymentDecision,
    ResultReport,
)

A = ExamApplication.S
R = ResultReport.S


# Not allowed in the current state or outside the window (a TransitionError).
ExamStateError = workflow.ExamStateError


def _now(now):
    return now or timezone.now()


def _local(dt: datetime.datetime) -> str:
    return f"{timezone.localtime(dt):%Y年%-m月%-d日 %H:%M}"


def _save(obj) -> None:
    save_transition(
        obj, ExamStateError, "他の操作と重なりました。画面を更新してやり直してください。"
    )


def _window_problem(opens, closes, now, name: str) -> str | None:
    if opens is None or closes is None:
        return f"この修了試験の{name}はまだ公表されていません。"
    if now < opens:
        return f"{name}は{_local(opens)}からです。"
    if not calendar_rules.window_is_open(opens, closes, now):
        return f"{name}は{_local(closes)}に締め切りました。締切後は理由のいかんにかかわらず受け付けられません。"
    return None


def session_cancelled_problem(session: ExamSession) -> str | None:
    """E2: an exam METI/IPA cancelled takes nothing any more: no application,
    change, withdrawal or result report."""
    if not session.is_cancelled:
        return None
    return (
        f"{session}は{session.cancellation_text}。"
        "この修了試験への申込み・変更・結果の報告はできません。"
    )


def application_window_problem(session: ExamSession, now: datetime.datetime) -> str | None:
    """E2: applications only inside the window; nothing after 15:00 on the
    closing day, whatever the reason; nothing for a cancelled exam."""
    cancelled = session_cancelled_problem(session)
    if cancelled:
        return cancelled
    return _window_problem(
        session.application_opens_at, session.application_closes_at, now, "申込み期間"
    )


def report_window_problem(session: ExamSession, now: datetime.datetime) -> str | None:
    """R1: the report is filed inside the report window (Friday 17:00)."""
    return _window_problem(session.report_opens_at, session.report_closes_at, now, "結果の報告期間")


def report_window(report: ResultReport) -> tuple:
    """R1: (opens, closes) of the report's window: the IPA exam's report
    window, or for an IPA審査 exam from its own date to the close of the IPA
    exam of the same month (table 4.5-5)."""
    session = report.session
    if report.kind == ResultReport.Kind.REVIEWED:
        return rules.reviewed_report_window(report.exam_date, session.report_closes_at)
    return session.report_opens_at, session.report_closes_at


def report_window_problem_for(report: ResultReport, now: datetime.datetime) -> str | None:
    """R1: why this report cannot be submitted now, or None inside its window."""
    return _window_problem(*report_window(report), now, "結果の報告期間")


# Exam sites and applications (E2–E4) ---------------------------------------------------


def save_site(provider, user, session_pk: int, values: dict, site_pk=None, now=None) -> ExamSite:
    """講座の運営実施体制 for one exam at one site, with the recipient (E3, E4).
    Editable until the application window closes."""
    now = _now(now)
    with transaction.atomic():
        if not owns(user, provider):
            raise PermissionDenied("この講座開設者の体制は作成できません。")
        require_active(provider)
        session = ExamSession.objects.get(pk=session_pk)
        if session.is_cancelled:
            raise ExamStateError(session_cancelled_problem(session))
        if session.application_closes_at and now >= session.application_closes_at:
            raise ExamStateError(application_window_problem(session, now))
        if site_pk:
            site = ExamSite.objects.select_for_update().get(pk=site_pk, provider=provider)
            before = audit.snapshot(site, list(values))
        else:
            site = ExamSite(provider=provider, session=session)
            before = {}
        for name, value in values.items():
            setattr(site, name, value)
        if site.recipient_is_contact:
            for name in ExamSite.RECIPIENT_FIELDS:
                setattr(site, name, "")
        site.full_clean(exclude=["provider", "session"])
        site.save()
        audit.record_update("exam_site.save", site, before, values, actor=user)
    return site


def eligible_delivery_courses(provider, session: ExamSession):
    """D4: approved delivery courses whose exam rows name this IPA exam, of
    courses certified on the exam date."""
    if not session.published:
        return DeliveryCourse.objects.none()
    ids = DeliveryExam.objects.filter(session=session, kind="ipa").values_list(
        "delivery_course_id", flat=True
    )
    return (
        DeliveryCourse.objects.filter(
            pk__in=ids,
            state=SubmissionStates.APPROVED,
            deletion_requested=False,
            course__provider=provider,
            course__state=SubmissionStates.CERTIFIED,
            course__certified_on__lte=session.exam_date,
            course__valid_until__gte=session.exam_date,
            end_date__lt=session.exam_date,
        )
        .select_related("course__provider")
        .order_by("course__serial", "serial")
    )


def _day(day: datetime.date) -> str:
    return f"{day:%Y年%-m月%-d日}（{'月火水木金土日'[day.weekday()]}）"


def _moment(at: datetime.datetime) -> str:
    local = timezone.localtime(at)
    return f"{_day(local.date())}{local:%H:%M}"


@dataclass(frozen=True)
class Blocker:
    """One reason why nothing can be applied for at an exam, with where it is
    fixed: ``link`` is "delivery", "course", "new_course", "calendar" or ""."""

    text: str
    link: str = ""
    course: object = None
    delivery: object = None


def application_blockers(provider, session: ExamSession, now=None) -> list[Blocker]:
    """E2/D4: why this provider can apply for nothing at this exam — the
    window (not open yet: when it opens; closed), and each certified course or
    delivery course that does not qualify (see eligible_delivery_courses)."""
    now = _now(now)
    exam = _day(session.exam_date)
    if session.is_cancelled:  # E2: nothing else matters
        return [Blocker(
            f"{exam}の修了試験は{session.cancellation_text}。申し込むことはできません。"
            "次の修了試験は修了試験の日程から選んでください。", link="calendar",
        )]  # fmt: skip
    blockers = []
    opens, closes = session.application_opens_at, session.application_closes_at
    if opens is None or closes is None:
        blockers.append(Blocker(f"{exam}の修了試験の申込み期間はまだ公表されていません。"))
    elif now < opens:
        blockers.append(Blocker(
            f"申込み期間はまだ始まっていません。{_moment(opens)}から{_moment(closes)}まで申し込めます"
            "（実施場所の運営実施体制は今から登録できます）。"
        ))  # fmt: skip
    elif now >= closes:
        blockers.append(Blocker(
            f"申込み期間は{_moment(closes)}に締め切りました。締切後は理由のいかんにかかわらず申し込めません。"
            "次の修了試験は修了試験の日程から選んでください。", link="calendar",
        ))  # fmt: skip
    courses = list(provider.courses.exclude(state=SubmissionStates.WITHDRAWN).order_by("serial"))
    certified = [c for c in courses if c.state == SubmissionStates.CERTIFIED]
    if not certified:
        if courses:
            blockers.append(Blocker(
                "認定済みの免除対象講座がありません。修了試験に申し込めるのは、認定された講座の実施講座だけです"
                f"（{'、'.join(f'{c.number}：{c.get_state_display()}' for c in courses[:5])}）。",
                link="course", course=courses[0],
            ))  # fmt: skip
        else:
            blockers.append(Blocker(
                "免除対象講座がまだありません。講座の認定を受け、実施講座を承認されると修了試験に申し込めます。",
                link="new_course",
            ))  # fmt: skip
        return blockers
    valid = []
    for course in certified:
        if course.certified_on and course.certified_on > session.exam_date:
            blockers.append(Blocker(
                f"免除対象講座 {course.number} の認定日（{_day(course.certified_on)}）が修了試験日より後です。",
                link="course", course=course,
            ))  # fmt: skip
        elif course.valid_until and course.valid_until < session.exam_date:
            blockers.append(Blocker(
                f"免除対象講座 {course.number} の有効期間は{_day(course.valid_until)}までで、"
                "この修了試験日には終わっています。",
                link="course", course=course,
            ))  # fmt: skip
        else:
            valid.append(course)
    named = set(
        DeliveryExam.objects.filter(session=session, kind="ipa").values_list(
            "delivery_course_id", flat=True
        )
    )
    deliveries = (
        DeliveryCourse.objects.filter(course__in=valid, pk__in=named)
        .select_related("course__provider")
        .order_by("course__serial", "serial")
    )
    found = False
    for delivery in deliveries:
        found = True
        if life_cycle.state_of(delivery).closed:  # D8: 削除済み
            text = f"実施講座 {delivery.number} は{delivery.get_state_display()}です。"
        elif delivery.state != SubmissionStates.APPROVED:
            text = f"実施講座 {delivery.number} は{delivery.get_state_display()}で、まだ承認されていません。"
        elif delivery.deletion_requested:
            text = f"実施講座 {delivery.number} は削除を申請中です。"
        elif delivery.end_date >= session.exam_date:
            text = (f"実施講座 {delivery.number} の終了日（{_day(delivery.end_date)}）が修了試験日より後です。"
                    "修了試験は実施講座の終了後に行います。")  # fmt: skip
        else:
            continue
        blockers.append(Blocker(text, link="delivery", course=delivery.course, delivery=delivery))
    if valid and not found:
        blockers.append(Blocker(
            f"{exam}の修了試験を「修了試験」の欄（IPA提供問題）に設定した実施講座がありません。"
            "認定済みの講座に、この修了試験を設定した実施講座を登録して承認を受けてください。",
            link="course", course=valid[0],
        ))  # fmt: skip
    return blockers


def problem_fee_unit(on: datetime.date) -> int | None:
    """F1: the problem fee per applicant in force on ``on`` (None when the fee
    schedule has none)."""
    try:
        return fee_services.unit_amount(FeeKind.PROBLEM, on)
    except LookupError:
        return None


def problem_fee(application: ExamApplication, unit: int | None = None) -> int | None:
    """E2: what an application costs: its fee line once filed; before that,
    applicants × the unit fee filing today would charge (``unit``, looked up
    when not given). None when the fee schedule has no problem fee."""
    if application.fee_line_id:
        return application.fee_line.amount
    if unit is None:
        unit = problem_fee_unit(timezone.localdate())
    return None if unit is None else rules.fee_total(application.applicants, unit)


def _locked_site(site_pk: int) -> ExamSite:
    return (
        ExamSite.objects.select_for_update(of=("self",))
        .select_related("session", "provider")
        .get(pk=site_pk)
    )


def save_application(
    site_pk: int, user, delivery_pk: int, applicants: int, now=None
) -> ExamApplication:
    """申請書式3 for one delivery course (E2): allowed while the window has not
    closed; zero applicants means there is nothing to file."""
    now = _now(now)
    with transaction.atomic():
        site = _locked_site(site_pk)
        require_owner(user, site.provider)
        session = site.session
        if session.is_cancelled:
            raise ExamStateError(session_cancelled_problem(session))
        if session.application_closes_at is None or now >= session.application_closes_at:
            raise ExamStateError(application_window_problem(session, now) or "申込みできません。")
        if applicants < 1:
            raise ValidationError(
                # E2
                {"applicants": "「応募者数」が0名の場合は申込みは不要です。"}
            )
        if problem := rules.applicants_bound_problem(applicants):
            raise ValidationError({"applicants": problem})
        delivery = eligible_delivery_courses(site.provider, session).filter(pk=delivery_pk).first()
        if delivery is None:
            raise ValidationError(
                {
                    # D4
                    "delivery_course": "この実施講座はこの修了試験を対象にしていないか、承認・認定されていません。"
                }
            )
        # A withdrawn application stays in the history; the course may apply again.
        application = ExamApplication.objects.filter(
            delivery_course=delivery, session=session, state__in=LIVE_APPLICATION_STATES
        ).first()
        if application is not None and application.state != A.DRAFT:
            raise ExamStateError(
                "この実施講座は既に申し込み済みです。応募者数の変更は申込み内容の変更で行ってください。"
            )
        before = application.applicants if application else None
        if application is None:
            application = ExamApplication(
                delivery_course=delivery, session=session, site=site, applicants=applicants
            )
        application.site = site
        application.applicants = applicants
        application.save()
        audit.record(
            "exam_application.save",
            application,
            actor=user,
            changes={"applicants": [before, applicants]},
        )
    return application


def submit_applications(site_pk: int, user, now=None) -> list[ExamApplication]:
    """申込み: every draft application of the site, inside the window (to the
    second, E2); the problem-fee lines (2,000 JPY × applicants) are created."""
    now = _now(now)
    with transaction.atomic():
        site = _locked_site(site_pk)
        require_owner(user, site.provider)
        problem = application_window_problem(site.session, now)
        if problem:
            raise ExamStateError(problem)
        site.full_clean(exclude=["provider", "session"])
        drafts = list(
            site.applications.select_for_update(of=("self",))
            .filter(state=A.DRAFT)
            .select_related("delivery_course__course__provider")
        )
        if not drafts:
            raise ValidationError("申し込む実施講座がありません。")
        # D4/D6/D8: each delivery course must still qualify now — not deleted
        # or asked to be deleted, its exam rows still naming this exam, its
        # course still certified — under the lock the change services take.
        ids = [a.delivery_course_id for a in drafts]
        list(DeliveryCourse.objects.select_for_update(of=("self",)).filter(pk__in=ids))
        eligible = set(
            eligible_delivery_courses(site.provider, site.session)
            .filter(pk__in=ids)
            .values_list("pk", flat=True)
        )
        unfit = [a.delivery_course for a in drafts if a.delivery_course_id not in eligible]
        if unfit:
            raise ValidationError(
                [
                    f"実施講座 {d.number} は、この修了試験に申し込めなくなりました"
                    f"（{d.get_state_display()}{'・削除申請中' if d.deletion_requested else ''}、"
                    "または修了試験の設定が変わりました）。一時保存した申込みを削除してください。"
                    for d in unfit
                ]
            )
        # The 到達番号 first, so that the notices of the move carry it; the
        # acting staff's 到達 mail is the workflow's notice (no second mail).
        receipts.issue(site, receipts.Kind.EXAM_APPLICATION, user, now, url=reverse("exam_session", args=[site.session_id]),
                       title=f"{site}（{'、'.join(f'{a.delivery_course.number} {a.applicants}名' for a in drafts)}）",
                       mail=False)  # fmt: skip
        for n, application in enumerate(drafts, 1):
            application.fee_line = fee_services.charge(
                site.provider,
                FeeKind.PROBLEM,
                description=f"{application.delivery_course.number} {site.session.exam_date:%Y年%-m月%-d日}の修了試験",
                on=timezone.localdate(now),
                quantity=application.applicants,
            )
            # One submission, one 到達番号: told once, naming every course.
            transition(application, "submit", actor=user, now=now,
                       changes={"applicants": [None, application.applicants]},
                       notify=n == len(drafts), notice={"applications": drafts})  # fmt: skip
    return drafts


def change_applicants(application_pk: int, user, applicants: int, now=None) -> ExamApplication:
    """E2: the count may change until the close; never after it, and not once
    the fee was put on a 入金確認依頼票."""
    now = _now(now)
    with transaction.atomic():
        application = (
            ExamApplication.objects.select_for_update(of=("self",))
            .select_related("session", "site__provider", "fee_line")
            .get(pk=application_pk)
        )
        require_owner(user, application.site.provider)
        problem = application_window_problem(application.session, now)
        if problem:
            raise ExamStateError(problem)
        if not life_cycle.state_of(application).in_force:
            raise ExamStateError(
                f"この申込みは「{life_cycle.state_label(application)}」のため応募者数を変更できません。"
            )
        if applicants < 1:
            raise ValidationError(
                {"applicants": "「応募者数」は1名以上にしてください（0名の場合は申込み不要です）。"}
            )
        if problem := rules.applicants_bound_problem(applicants):
            raise ValidationError({"applicants": problem})
        fee = application.fee_line
        if fee is not None and fee.payment_request_id:
            raise ExamStateError("入金確認依頼票を作成した後は応募者数を変更できません。")
        before = application.applicants
        application.applicants = applicants
        _save(application)
        # R6 checks the report against the application's current count.
        ResultReport.objects.filter(application=application).update(applicants=applicants)
        if fee is not None:
            fee.quantity = applicants
            fee.save(update_fields=["quantity"])
        audit.record(
            "exam_application.change",
            application,
            actor=user,
            changes={"applicants": [before, applicants]},
        )
    return application


def withdrawal_fee_outcome(application: ExamApplication, done: bool = False) -> str:
    """E2/F1: what withdrawing the application means for its problem fee, as
    the confirmation page and the notice say it: an unpaid fee is cancelled;
    one on a 入金確認依頼票 (paid or waiting for IPA) is never refunded nor
    carried over."""
    line = application.fee_line
    if line is None or line.cancelled_on:
        return "この申込みに請求中の問題提供料はありません。"
    amount = f"{line.amount:,}円"
    if line.payment_request_id is None:
        verb = "取り消しました" if done else "取り消されます"
        return f"未払いの問題提供料 {amount} は{verb}（お支払いは不要です）。"
    if line.paid_on:
        return f"入金済みの問題提供料 {amount} は返金されず、次回以降の修了試験にも充当できません。"
    return (
        f"問題提供料 {amount} は入金確認依頼票 #{line.payment_request_id} に記載済みです。"
        "お振り込み済みの場合も返金されず、次回以降の修了試験にも充当できません。"
    )


def withdraw_application(application_pk: int, user, now=None) -> ExamApplication:
    """問題提供情報（修了試験情報）の削除 (M§5.7, E2): the provider withdraws a
    filed application until the application close (15:00 on the closing day,
    to the second). Its unpaid problem fee is cancelled (C9); a fee on a
    入金確認依頼票 stays and is never refunded nor carried over. IPA, the
    acting staff and the contact are told (exams.workflow)."""
    now = _now(now)
    with transaction.atomic():
        application = (
            ExamApplication.objects.select_for_update(of=("self",))
            .select_related(
                "session",
                "site__provider",
                "delivery_course__course__provider",
                "fee_line__payment_request",
            )  # fmt: skip
            .get(pk=application_pk)
        )
        require_owner(user, application.site.provider)
        application.as_of = now  # the clock of the declared window condition
        life_cycle.check(application, "withdraw", actor=user)
        outcome = withdrawal_fee_outcome(application, done=True)
        application.fee_outcome = outcome  # for the view's completion message
        if application.fee_line_id:
            fee_services.cancel_unpaid(
                FeeLine.objects.filter(pk=application.fee_line_id),
                f"実施講座 {application.number} の{application.session}の申込みを取り下げたため",
                actor=user, on=timezone.localdate(now),
            )  # fmt: skip
        transition(application, "withdraw", actor=user, note=outcome,
                   notice={"fee_outcome": outcome})  # fmt: skip
    return application


def end_applications_by_change(delivery, dates, actor, note: str) -> list[ExamApplication]:
    """D6 (table 4.5-1): IPA approved a change request of ``delivery`` that
    removes the exams of ``dates`` someone applied for; each filed
    application for them ends (取下げ) as a withdrawal does — its unpaid
    problem fee is cancelled, a paid one is never refunded — and the contact
    is told. Called in the approval's transaction (courses.services)."""
    applications = list(
        ExamApplication.objects.select_for_update(of=("self",))
        .filter(delivery_course=delivery, state=A.SUBMITTED, session__exam_date__in=dates)
        .select_related("session", "site__provider", "fee_line__payment_request")
    )
    for application in applications:
        outcome = withdrawal_fee_outcome(application, done=True)
        if application.fee_line_id:
            fee_services.cancel_unpaid(
                FeeLine.objects.filter(pk=application.fee_line_id),
                f"実施講座 {application.number} の{application.session}を変更申請で取りやめたため",
                actor=actor, on=timezone.localdate(),
            )  # fmt: skip
        transition(application, "end_by_change", actor=actor, note=note,
                   notice={"fee_outcome": outcome, "change_note": note})  # fmt: skip
    return applications


def delete_application(application_pk: int, user) -> None:
    """A draft application (一時保存, never filed) is simply deleted: IPA has
    not seen it and no fee was charged."""
    with transaction.atomic():
        application = (
            ExamApplication.objects.select_for_update(of=("self",))
            .select_related("site__provider", "delivery_course__course__provider", "session")
            .get(pk=application_pk)
        )
        require_owner(user, application.site.provider)
        if not life_cycle.is_editable_by_provider(application):
            raise ExamStateError(
                f"この申込みは「{life_cycle.state_label(application)}」のため削除できません"
                "（申込み済みの申込みは、申込み締切までに取り下げてください）。"
            )
        audit.record("exam_application.delete", application, actor=user,
                     changes={"applicants": [application.applicants, None]})  # fmt: skip
        application.delete()


# Exam cancellation by METI/IPA (E2, M§5.7 (11)) ------------------------------------------


@dataclass(frozen=True)
class Cancellation:
    """What cancelling an exam does (or did): the applications it ends, the
    providers told, the problem fees made refundable and those cancelled."""

    session: ExamSession
    applications: list
    providers: list
    refundable: list  # fee lines on a 入金確認依頼票 (paid or waiting)
    cancelled: list  # unpaid fee lines

    @property
    def refundable_total(self) -> int:
        return sum(line.amount for line in self.refundable)

    @property
    def cancelled_total(self) -> int:
        return sum(line.amount for line in self.cancelled)


def _live_applications(session: ExamSession):
    return (
        ExamApplication.objects.filter(session=session, state__in=LIVE_APPLICATION_STATES)
        .select_related(
            "site__provider", "delivery_course__course__provider", "fee_line__payment_request"
        )  # fmt: skip
        .order_by(
            "site__provider__number",
            "delivery_course__course__serial",
            "delivery_course__serial",
            "pk",
        )  # fmt: skip
    )


def _providers(applications) -> list:
    return list({a.site.provider_id: a.site.provider for a in applications}.values())


def cancellation_preview(session: ExamSession) -> Cancellation:
    """What ``cancel_session`` would do now (the confirmation page)."""
    applications = list(_live_applications(session))
    lines = [a.fee_line for a in applications if a.fee_line_id and not a.fee_line.cancelled_on]
    return Cancellation(
        session, applications, _providers(applications),
        refundable=[line for line in lines if line.payment_request_id],
        cancelled=[line for line in lines if not line.payment_request_id],
    )  # fmt: skip


def cancellation_blocker(session: ExamSession) -> str | None:
    """Why the exam cannot be cancelled at all (already cancelled, or held:
    its results are being reported), or None."""
    if session.is_cancelled:
        return f"{session}は既に中止として記録されています（{session.cancellation_text}）。"
    if ResultReport.objects.filter(application__session=session).exists():
        return f"{session}は結果の報告が始まっているため（実施済み）、中止にできません。"
    return None


def cancellation_problems(session: ExamSession, on, reason: str, now=None) -> dict:
    """Why the cancellation cannot be recorded as typed: {field: message}."""
    today = timezone.localdate(_now(now))
    problems = {}
    blocker = cancellation_blocker(session)
    if blocker:
        problems[NON_FIELD_ERRORS] = blocker
    if on is None:
        problems["cancelled_on"] = "「中止の決定日」を入力してください。"
    elif on > today:
        problems["cancelled_on"] = "「中止の決定日」に未来の日付は入力できません。"
    elif on > session.exam_date:
        problems["cancelled_on"] = (
            f"「中止の決定日」は修了試験日（{_day(session.exam_date)}）以前の日付にしてください。"
        )
    reason = (reason or "").strip()
    if not reason:
        problems["cancellation_reason"] = "「中止の理由」を入力してください。"
    elif len(reason) > 200:
        problems["cancellation_reason"] = "「中止の理由」は200文字以内で入力してください。"
    return problems


def cancel_session(
    session_pk: int, admin, on: datetime.date, reason: str, now=None
) -> Cancellation:
    """E2 (M§5.7 (11)): an IPA administrator records that METI/IPA cancelled
    the exam (試験中止), with the date of the decision and the reason. Every
    live application of the exam ends (中止, one audit entry each, each
    provider told once naming all its applications); the problem fees on a
    入金確認依頼票 become refundable — the only refund the scheme knows —
    and the unpaid ones are cancelled. Nothing can be applied for or
    reported for the exam any more. All or nothing."""
    if not is_ipa_admin(admin):
        raise PermissionDenied("修了試験の中止を記録できるのはIPA管理者だけです。")
    now = _now(now)
    reason = (reason or "").strip()
    with transaction.atomic():
        session = ExamSession.objects.select_for_update().get(pk=session_pk)
        problems = cancellation_problems(session, on, reason, now)
        if problems:
            raise ValidationError(problems)
        session.cancelled_on = on
        session.cancellation_reason = reason
        session.cancelled_by = admin
        session.save(update_fields=["cancelled_on", "cancellation_reason", "cancelled_by"])
        audit.record("exam_session.cancel", session, actor=admin,
                     changes={"cancelled_on": [None, on]}, note=reason)  # fmt: skip
        applications = list(_live_applications(session).select_for_update(of=("self",)))
        fee_reason = f"{session}は経済産業省・IPAの判断で中止されました（{reason}）"[:200]
        today = timezone.localdate(now)
        refundable, cancelled = [], []
        by_provider: dict[int, list] = {}
        for application in applications:
            by_provider.setdefault(application.site.provider_id, []).append(application)
        for group in by_provider.values():
            lines = FeeLine.objects.filter(exam_application__in=group)
            marked = fee_services.mark_refundable(lines, fee_reason, actor=admin, on=today)
            dropped = fee_services.cancel_unpaid(lines, fee_reason, actor=admin, on=today)
            refundable += marked
            cancelled += dropped
            # One notice per provider, naming every application and fee.
            for n, application in enumerate(group, 1):
                transition(application, "cancel", actor=admin, note=reason,
                           notify=n == len(group),
                           notice={"applications": group, "session": session, "reason": reason,
                                   "refundable": marked, "cancelled_fees": dropped})  # fmt: skip
    return Cancellation(session, applications, _providers(applications), refundable, cancelled)


def late_payments_to_decide():
    """E2/F3/W7: submitted applications whose confirmed problem fee came after
    the closing day and that wait for IPA's decision."""
    from zoneinfo import ZoneInfo

    from django.db.models.functions import TruncDate

    return ExamApplication.objects.filter(
        state=ExamApplication.S.SUBMITTED,
        late_payment_decision="",
        fee_line__payment_request__confirmed_on__isnull=False,
        fee_line__payment_request__payment_date__gt=TruncDate(
            "session__application_closes_at", tzinfo=ZoneInfo("Asia/Tokyo")
        ),
    )


def late_payment_date(application: ExamApplication) -> datetime.date | None:
    """E2/F3/W7: the date of the confirmed problem-fee payment when it came
    after the application close, else None."""
    line = application.fee_line
    request = line.payment_request if line is not None else None
    if request is None or request.confirmed_on is None:
        return None
    if fee_rules.payment_is_late(request.payment_date, application.session.application_closes_at):
        return request.payment_date
    return None


def late_payment_problem(application: ExamApplication) -> str | None:
    """Why the problems cannot be provided nor the result accepted because
    the fee came after the close (None when in time or accepted by IPA)."""
    from calendars.rules import exam_day_label

    paid = late_payment_date(application)
    if paid is None or application.late_payment_decision == LatePaymentDecision.ACCEPTED:
        return None
    closes = timezone.localtime(application.session.application_closes_at)
    late = (
        f"問題提供料の入金日（{exam_day_label(paid)}）が申込み締切"
        f"（{exam_day_label(closes.date())} {closes:%H:%M}）より後です。"
    )
    if application.late_payment_decision == LatePaymentDecision.REFUSED:
        return (
            late + "IPAが遅れた入金を認めないと判断したため、問題の提供と結果の受理はできません。"
        )
    return (
        late + "IPAが遅れた入金を認めるかどうかを判断するまで、問題の提供と結果の受理はできません。"
    )


def decide_late_payment(application_pk: int, reviewer, accept: bool, note: str = "", now=None):
    """IPA's explicit decision on a problem fee received after the close
    (E2/F3, W7): accepted, the problems may be provided and the result
    accepted; refused, neither. Decided once."""
    require_reviewer(reviewer)
    now = _now(now)
    with transaction.atomic():
        application = (
            ExamApplication.objects.select_for_update(of=("self",))
            .select_related("session", "fee_line__payment_request")
            .get(pk=application_pk)
        )
        if late_payment_date(application) is None:
            raise ExamStateError(
                "この申込みの問題提供料は締切後の入金ではないため、判断は不要です。"
            )
        if application.late_payment_decision:
            raise ExamStateError(
                f"締切後の入金は既に判断済みです（{application.get_late_payment_decision_display()}）。"
            )
        note = note.strip()
        if not accept and not note:
            raise ValidationError({"note": "認めない場合は「判断の理由」を入力してください。"})
        application.late_payment_decision = (
            LatePaymentDecision.ACCEPTED if accept else LatePaymentDecision.REFUSED
        )
        application.late_payment_note = note[:200]
        application.late_payment_decided_by = reviewer
        application.late_payment_decided_at = now
        _save(application)
        audit.record(
            "exam_application.late_payment",
            application,
            actor=reviewer,
            changes={
                "late_payment_decision": [None, application.get_late_payment_decision_display()]
            },
            note=note,
        )
    return application


# Result reports (R1–R13) -----------------------------------------------------------------


def _next_serial(delivery: DeliveryCourse) -> int:
    return (delivery.result_reports.aggregate(m=Max("serial"))["m"] or 0) + 1


def open_report(application_pk: int, user, now=None) -> ResultReport:
    """The report of an applied IPA exam (created once), from the exam day on:
    before the exam there is nothing to report."""
    now = _now(now)
    with transaction.atomic():
        application = (
            ExamApplication.objects.select_for_update(of=("self",))
            .select_related("delivery_course", "session", "site")
            .get(pk=application_pk)
        )
        require_owner(user, application.site.provider)
        if application.session.is_cancelled:  # E2: a cancelled exam was not held
            raise ExamStateError(
                f"{application.session}は{application.session.cancellation_text}。結果は報告できません。"
            )
        if application.state != A.SUBMITTED:
            raise ExamStateError("申込み済みの修了試験だけ結果を報告できます。")
        report = ResultReport.objects.filter(application=application).first()
        exam_date = application.session.exam_date
        if report is None and timezone.localtime(now).date() < exam_date:
            raise ExamStateError(f"修了試験（{_day(exam_date)}）の実施後に結果を報告してください。")
        if report is None:
            report = ResultReport.objects.create(
                delivery_course=application.delivery_course,
                serial=_next_serial(application.delivery_course),
                kind=ResultReport.Kind.IPA,
                application=application,
                session=application.session,
                exam_date=application.session.exam_date,
                applicants=application.applicants,
            )
            audit.record("report.open", report, actor=user)
    return report


def create_reviewed_report(delivery_pk: int, user, values: dict) -> ResultReport:
    """IPA審査 exams need no application; the report carries the R9 numbers and
    is filed from the vendor's exam date until the report window of the IPA
    exam of the same month closes (E1, table 4.5-5)."""
    with transaction.atomic():
        delivery = DeliveryCourse.objects.select_related("course__provider").get(pk=delivery_pk)
        require_owner(user, delivery.course.provider)
        if delivery.state != SubmissionStates.APPROVED:
            raise ExamStateError("承認済みの実施講座だけ修了試験結果を報告できます。")
        exam_date = values["exam_date"]
        if ResultReport.objects.filter(
            delivery_course=delivery, kind="reviewed", exam_date=exam_date
        ).exists():
            raise ValidationError(
                {  # E9
                    "exam_date": "この修了試験の報告は既に作成されています（再試験はできません）。"
                }
            )
        slot = delivery.exams.filter(kind="reviewed", vendor_date=exam_date).first()
        if slot is None:
            raise ValidationError(
                {"exam_date": "実施講座に設定したIPA審査問題の修了試験日を選んでください。"}
            )
        session = ExamSession.reporting_for_reviewed_exam(exam_date)
        if session is None:
            raise ValidationError(
                {
                    "exam_date": "同じ月のIPA提供問題の修了試験の結果報告期間（IPA審査問題の報告期限）が"
                    "公表されていないか、この試験日より前に終わっています。"
                }
            )
        report = ResultReport(
            delivery_course=delivery,
            serial=_next_serial(delivery),
            kind=ResultReport.Kind.REVIEWED,
            session=session,
            exam_date=exam_date,
            reviewed_exam_number=values.get("reviewed_exam_number", "").replace("-", "").upper(),
            problem_applicant_number=values.get("problem_applicant_number", "").upper(),
            vendor_pass_score=values.get("vendor_pass_score"),
            applicants=values["applicants"],
        )
        report.full_clean(exclude=["state"])
        if not report.reviewed_exam_number or not report.problem_applicant_number:
            raise ValidationError(
                {
                    # R9
                    "reviewed_exam_number": "IPA審査問題の場合は「修了試験問題審査管理番号」と「問題申請者番号」を入力してください。"
                }
            )
        report.save()
        audit.record("report.open", report, actor=user, changes={"kind": [None, "reviewed"]})
    return report


def editable_report(report_pk: int, user) -> ResultReport:
    """The report locked for a change by its own provider: a draft or a
    returned one (also for its completers, certifications.services)."""
    report = (
        ResultReport.objects.select_for_update(of=("self",))
        .select_related("delivery_course__course__provider", "session")
        .get(pk=report_pk)
    )
    require_owner(user, report.delivery_course.course)
    if report.state not in (R.DRAFT, R.RETURNED):
        raise ExamStateError(
            "報告済み・受理済みの報告は変更できません（変更は申請書式4・5の変更申請で行います）。"
        )
    return report


def certified_on_problem(report: ResultReport, today: datetime.date) -> str | None:
    """R2: the 修了認定年月日 lies between the exam date and the day the report
    is submitted (``today``): never before the exam, never in the future."""
    from calendars.rules import exam_day_label

    day = report.certified_on
    if day is None:
        return None
    if day < report.exam_date:
        return (
            f"「修了認定年月日」（{exam_day_label(day)}）は修了試験実施日"
            f"（{exam_day_label(report.exam_date)}）以降の日付にしてください。"
        )
    if day > today:
        return (
            f"「修了認定年月日」（{exam_day_label(day)}）に未来の日付は入力できません。"
            f"採点を完了し修了認定者を確定した日（今日{exam_day_label(today)}以前）を入力してください。"
        )
    return None


def update_report(report_pk: int, user, values: dict, now=None) -> ResultReport:
    """Examinees, certification date, remarks, consent (R2, R5, R13)."""
    now = _now(now)
    with transaction.atomic():
        report = editable_report(report_pk, user)
        if (
            "examinees" in values
            and values["examinees"] != report.examinees
            and report.completers.exists()
        ):
            raise ValidationError(
                {
                    # R5
                    "examinees": "修了認定者を登録した後は「受験者数」を変更できません。変更するには修了認定者をすべて削除してください。"
                }
            )
        before = audit.snapshot(report, list(values))
        for name, value in values.items():
            setattr(report, name, value)
        problem = certified_on_problem(report, timezone.localdate(now))
        if problem:
            raise ValidationError({"certified_on": problem})
        report.full_clean(exclude=["state", "application"])
        _save(report)
        audit.record_update("report.update", report, before, values, actor=user)
    return report


def pass_score(report: ResultReport) -> int | None:
    """E8: 60 % of 60 for IPA problems; the vendor's criterion for IPA審査."""
    if report.kind == ResultReport.Kind.IPA:
        return rules.ipa_pass_score()
    return report.vendor_pass_score


def max_score(report: ResultReport) -> int | None:
    """IPA problems: 60 questions of one point each (E7, E8)."""
    return rules.IPA_FULL_MARKS if report.kind == ResultReport.Kind.IPA else None


def is_private(report: ResultReport) -> bool:
    return report.delivery_course.course.course_type != "NONE_IPA"


def report_problems(report: ResultReport, today: datetime.date | None = None) -> list[str]:
    """The checklist before submission (R2, R5, R6, R13); ``today`` is the
    day of the submission (default: today)."""
    completers = report.completers.count()
    problems = rules.count_problems(report.applicants, report.examinees, completers)
    if completers and is_private(report) and not report.certificate_copies.exists():
        # R8
        problems.append("民間資格の合格証のコピーを登録してください。")
    if completers:
        if report.certified_on is None:
            problems.append(
                "「修了認定年月日」（採点を完了し修了認定者を確定した日）を入力してください。"
            )
        else:
            problem = certified_on_problem(report, today or timezone.localdate())
            if problem:
                problems.append(problem)
        if not report.consent_confirmed:
            problems.append(
                # R13
                "修了認定者から個人情報の提供について同意を得たことを確認してください。"
            )
    elif report.examinees is not None and report.remarks != ResultReport.NO_COMPLETERS_REMARK:
        problems.append(
            # R2
            f"修了認定者がいない場合は、備考に「{ResultReport.NO_COMPLETERS_REMARK}」と入力してください。"
        )
    return problems


def submit_report(report_pk: int, user, now=None) -> ResultReport:
    """申請書データ確定 of the result report: strictly inside the report window
    (R1, to the second); a report later than 2 weeks after the certification
    date is flagged for IPA (W7)."""
    now = _now(now)
    with transaction.atomic():
        report = editable_report(report_pk, user)
        if report.state == R.DRAFT:
            # A report IPA returned may still be fixed after the window.
            problem = report_window_problem_for(report, now)
            if problem:
                raise ExamStateError(problem)
        if not report.completers.exists():
            report.certified_on = None  # R2: no certification date without completers
        problems = report_problems(report, timezone.localdate(now))
        if problems:
            raise ValidationError(problems)
        report.late_flag = rules.is_late_report(report.certified_on, timezone.localdate(now))
        # The 到達番号 first, so that the notices of the move carry it; the
        # acting staff's 到達 mail is the workflow's notice (no second mail).
        receipts.issue(report, receipts.Kind.RESULT_REPORT, user, now,
                       url=reverse("report_detail", args=[report.pk]), mail=False)  # fmt: skip
        transition(report, "submit", actor=user,
                   changes={"completers": [None, report.completers.count()]},
                   note="修了認定から2週間を超えた報告" if report.late_flag else "")  # fmt: skip
    return report


def decide_report(report_pk: int, reviewer, accept: bool, reason: str = "") -> ResultReport:
    """IPA accepts the report (its fee paid, F3/E2) or returns it with the
    reasons; the provider's contact is told (portal.workflow)."""
    require_reviewer(reviewer)
    with transaction.atomic():
        report = (
            ResultReport.objects.select_for_update(of=("self",))
            .select_related("delivery_course__course__provider")
            .get(pk=report_pk)
        )
        if accept:
            transition(report, "accept", actor=reviewer)
        else:
            if report.state == R.SUBMITTED and not reason.strip():
                raise ValidationError({"reason": "「差し戻し理由」を入力してください。"})
            transition(report, "return", actor=reviewer, note=reason.strip(),
                       reason=reason.strip())  # fmt: skip
    return report
