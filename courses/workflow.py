"""The life cycle of a delivery course (実施講座, D1–D9) added to a certified
course, declared once (portal.workflow): the provider files it on its own
(D7), IPA returns it with reasons or approves it. Delivery courses filed with
their course move with the course (courses.services.submit_course and the
course's review) and are no move here. Registered at start-up by
courses.apps."""

from django.urls import reverse

from portal import workflow
from portal.roles import is_provider_member, is_reviewer

from .models import SubmissionStates as S


class CourseStateError(workflow.TransitionError):
    """The course is not in a state that allows this action."""


def _provider(delivery):
    return delivery.course.provider


def _course_page(delivery) -> str:
    return reverse("course_detail", args=[delivery.course_id])


def _review_page(delivery) -> str:
    return reverse("review_course_detail", args=[delivery.course_id])


ALONE = "この実施講座は単独で申請できません。"
NOT_WAITING = "この実施講座は審査待ちではありません。"


def course_not_certified(delivery) -> str | None:
    """Only a delivery course of a certified course is filed on its own."""
    return ALONE if delivery.course.state != S.CERTIFIED else None


DELIVERY_COURSE = workflow.register(
    workflow.Workflow(
        model="courses.DeliveryCourse",
        name="実施講座",
        audit_prefix="delivery",
        provider=_provider,
        error=CourseStateError,
        states=(
            workflow.State(S.DRAFT, S.DRAFT.label, "badge", provider_may_edit=True),
            workflow.State(S.SUBMITTED, S.SUBMITTED.label, "badge state-submitted"),
            workflow.State(
                S.RETURNED, S.RETURNED.label, "badge state-returned", provider_may_edit=True
            ),
            workflow.State(S.APPROVED, S.APPROVED.label, "badge state-accepted"),
        ),
        transitions=(
            workflow.Transition(
                action="submit",
                sources=(S.DRAFT, S.RETURNED),
                target=S.SUBMITTED,
                verb="申請する",
                confirm="{obj}の追加をIPAに申請します。申請後は変更できません。よろしいですか。",
                allowed=is_provider_member,
                refused=ALONE,
                conditions=(course_not_certified,),
                notices=(
                    workflow.Notify("delivery_submitted_ipa", ("ipa_notice",), _review_page),
                    workflow.Notify("delivery_submitted", ("actor",), _course_page),
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
                refused=NOT_WAITING,
                notices=(
                    workflow.Notify(
                        "delivery_returned", ("provider_contact", "submitter"), _course_page
                    ),
                ),
            ),
            workflow.Transition(
                action="approve",
                sources=(S.SUBMITTED,),
                target=S.APPROVED,
                verb="承認する",
                confirm="{obj}を承認します。よろしいですか。",
                allowed=is_reviewer,
                refused=NOT_WAITING,
                notices=(
                    workflow.Notify(
                        "delivery_approved", ("provider_contact", "submitter"), _course_page
                    ),
                ),
            ),
        ),
    )
)
