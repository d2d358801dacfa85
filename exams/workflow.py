"""The life cycles of the exam application (申請書式3, E2) and the result
report (申請書式4, R1–R13), declared once (portal.workflow): the provider
applies; the provider reports, IPA returns it with reasons or accepts it.
Registered at start-up by exams.apps."""

from django.urls import reverse
from django.utils import timezone

from fees import services as fee_services
from portal import receipts, workflow
from portal.roles import is_ipa_admin, is_provider_member, is_reviewer

from .models import ApplicationState as AS
from .models import ReportState as S


class ExamStateError(workflow.TransitionError):
    """Not allowed in the current state or outside the window."""


def _provider(report):
    return report.delivery_course.course.provider


def _page(report) -> str:
    return reverse("report_detail", args=[report.pk])


def _review_page(report) -> str:
    return reverse("review_report", args=[report.pk])


def problem_fee_unpaid(report) -> str | None:
    """F3: an IPA-provided exam is accepted only once its problem fee is paid."""
    application = report.application
    if application is None:
        return None
    if not fee_services.is_paid(application):
        return "この修了試験の問題提供料の入金が確認できていないため受理できません。"
    return None


def late_payment_undecided(report) -> str | None:
    """E2/F3: a fee received after the close waits for IPA's decision."""
    from .services import late_payment_problem

    return late_payment_problem(report.application) if report.application else None


RESULT_REPORT = workflow.register(
    workflow.Workflow(
        model="exams.ResultReport",
        name="修了試験結果の報告",
        audit_prefix="report",
        provider=_provider,
        error=ExamStateError,
        states=(
            workflow.State(S.DRAFT, S.DRAFT.label, "badge", provider_may_edit=True),
            workflow.State(
                S.SUBMITTED, S.SUBMITTED.label, "badge state-submitted", waiting_for_ipa=True
            ),
            workflow.State(
                S.RETURNED,
                S.RETURNED.label,
                "badge state-returned",
                provider_may_edit=True,
                returned=True,
            ),
            workflow.State(S.ACCEPTED, S.ACCEPTED.label, "badge state-accepted", in_force=True),
        ),
        transitions=(
            workflow.Transition(
                action="submit",
                sources=(S.DRAFT, S.RETURNED),
                target=S.SUBMITTED,
                verb="報告する",
                confirm="{obj}をIPAに報告します。報告後は変更できません。よろしいですか。",
                allowed=is_provider_member,
                refused="報告済み・受理済みの報告は変更できません（変更は申請書式4・5の変更申請で行います）。",
                notices=(
                    workflow.Notify("report_submitted_ipa", ("ipa_notice",), _review_page),
                    workflow.Notify("report_submitted", ("actor",), _page),
                ),
            ),
            workflow.Transition(
                action="return",
                method="return_for_correction",
                sources=(S.SUBMITTED,),
                target=S.RETURNED,
                verb="差し戻す",
                confirm="{obj}を差し戻します。よろしいですか。",
                allowed=is_reviewer,
                permission="exams.review_report",
                refused="確認待ちの報告ではありません。",
                notices=(
                    workflow.Notify("report_returned", ("provider_contact", "submitter"), _page),
                ),
            ),
            workflow.Transition(
                action="accept",
                sources=(S.SUBMITTED,),
                target=S.ACCEPTED,
                verb="受理する",
                confirm="{obj}を受理します。よろしいですか。",
                allowed=is_reviewer,
                permission="exams.review_report",
                refused="確認待ちの報告ではありません。",
                conditions=(problem_fee_unpaid, late_payment_undecided),
                notices=(workflow.Notify("report_accepted", ("provider_contact",), _page),),
            ),
        ),
    )
)


# The exam application (申請書式3, E2) ----------------------------------------


def _application_provider(application):
    return application.site.provider


def _session_page(application) -> str:
    return reverse("exam_session", args=[application.session_id])


def _review_session_page(application) -> str:
    return reverse("review_exam_session", args=[application.session_id])


def application_receipt(application):
    """The applications of one site are filed together under the site's
    到達番号: the one issued when this application was submitted."""
    numbered = receipts.for_object(application.site)
    if application.submitted_at is not None:
        at_submission = numbered.filter(submitted_at=application.submitted_at).first()
        if at_submission is not None:
            return at_submission
    return numbered.first()


def application_window_closed(application) -> str | None:
    """E2: a filed application may be withdrawn only until the application
    close (15:00 on the closing day, to the second); the clock is the
    service's ``now`` (``application.as_of``), else the current time."""
    from .services import application_window_problem

    now = getattr(application, "as_of", None) or timezone.now()
    return application_window_problem(application.session, now)


EXAM_APPLICATION = workflow.register(
    workflow.Workflow(
        model="exams.ExamApplication",
        name="修了試験の申込み",
        audit_prefix="exam_application",
        provider=_application_provider,
        error=ExamStateError,
        receipt=application_receipt,
        states=(
            workflow.State(AS.DRAFT, AS.DRAFT.label, "badge", provider_may_edit=True),
            # Made (申込み済み): IPA reviews nothing more, the exam is on.
            workflow.State(
                AS.SUBMITTED, AS.SUBMITTED.label, "badge state-submitted", in_force=True
            ),
            workflow.State(AS.WITHDRAWN, AS.WITHDRAWN.label, "badge", closed=True),
            # E2: METI/IPA cancelled the exam (試験中止); its problem fees are refundable.
            workflow.State(AS.CANCELLED, AS.CANCELLED.label, "badge state-cancelled", closed=True),
        ),
        transitions=(
            workflow.Transition(
                action="submit",
                sources=(AS.DRAFT,),
                target=AS.SUBMITTED,
                verb="申し込む",
                confirm="{obj}の修了試験を申し込みます。よろしいですか。",
                allowed=is_provider_member,
                refused="この実施講座は既に申し込み済みです。応募者数の変更は申込み内容の変更で行ってください。",
                notices=(
                    workflow.Notify(
                        "application_submitted_ipa", ("ipa_notice",), _review_session_page
                    ),
                    workflow.Notify("application_submitted", ("actor",), _session_page),
                ),
            ),
            # 問題提供情報（修了試験情報）の削除 (M§5.7, figure 5.7-2): until the
            # close; a paid fee is neither refunded nor carried over (E2).
            workflow.Transition(
                action="withdraw",
                sources=(AS.SUBMITTED,),
                target=AS.WITHDRAWN,
                verb="取り下げる",
                confirm="{obj}の申込みを取り下げます（問題提供情報の削除）。取り下げた申込みは元に戻せません。"
                "未払いの問題提供料は取り消されます。入金済みの問題提供料は返金されず、次回以降の修了試験にも充当できません。"
                "よろしいですか。",
                allowed=is_provider_member,
                conditions=(application_window_closed,),
                refused="この申込みは「{state}」のため取り下げられません。",
                notices=(
                    workflow.Notify(
                        "application_withdrawn", ("actor", "provider_contact"), _session_page
                    ),
                    workflow.Notify(
                        "application_withdrawn_ipa", ("ipa_notice",), _review_session_page
                    ),
                ),
            ),
            # E2 (M§5.7 (11)): METI/IPA cancel the exam (exams.services.cancel_session);
            # each provider is told once, naming all its applications and fees.
            workflow.Transition(
                # D6: IPA approved a change request of the delivery course that
                # removes this exam (exams.services.end_applications_by_change).
                action="end_by_change",
                method="withdraw",
                sources=(AS.SUBMITTED,),
                target=AS.WITHDRAWN,
                verb="変更申請の承認により取り下げる",
                allowed=is_reviewer,
                refused="この申込みは「{state}」のため取り下げられません。",
                notices=(
                    workflow.Notify(
                        "application_ended_by_change", ("provider_contact",), _session_page
                    ),
                ),
            ),
            workflow.Transition(
                action="cancel",
                sources=(AS.DRAFT, AS.SUBMITTED),
                target=AS.CANCELLED,
                verb="試験中止により終了する",
                confirm="{obj}を試験中止により終了します。よろしいですか。",
                allowed=is_ipa_admin,
                refused="この申込みは「{state}」のため試験中止の対象になりません。",
                notices=(
                    workflow.Notify("application_cancelled", ("provider_contact",), _session_page),
                ),
            ),
        ),
    )
)
