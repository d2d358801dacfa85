"""The life cycles of the exemption course (免除対象講座, C1–C16) and of the
delivery course (実施講座, D1–D9), declared once (portal.workflow).

A course is filed (申請書データ確定), returned with reasons or approved, and
certified on the 1st of a month (C8) — by the reviewer or the scheduled task —
until its certification period ends (C11); a draft or returned application
may be withdrawn. The delivery courses filed with the course move with it
(``cascade``). A delivery course added to a certified course is filed on its
own (D7), and IPA returns it with reasons or approves it. Registered at
start-up by courses.apps."""

import dataclasses

from django.urls import reverse

from portal import workflow
from portal.roles import is_ipa_admin, is_provider_member, is_reviewer

from .models import DeliveryStates
from .models import SubmissionStates as S


class CourseStateError(workflow.TransitionError):
    """The course is not in a state that allows this action."""


def _provider(delivery):
    return delivery.course.provider


def _owner(course):
    return course.provider


def _own_page(course) -> str:
    return reverse("course_detail", args=[course.pk])


def _own_review_page(course) -> str:
    return reverse("review_course_detail", args=[course.pk])


def _filed_with(states):
    def children(course):
        return course.delivery_courses.filter(state__in=states)

    return children


def _course_page(delivery) -> str:
    return reverse("course_detail", args=[delivery.course_id])


def _review_page(delivery) -> str:
    return reverse("review_course_detail", args=[delivery.course_id])


def _deletion_request(delivery):
    """The latest deletion request of the delivery course (D8)."""
    from providers import changes

    from .change_kinds import KIND_DELETION

    return changes.requests_for(delivery).filter(kind=KIND_DELETION).first()


def _deletion_filer(delivery):
    request = _deletion_request(delivery)
    receipt = workflow.latest_receipt(request) if request is not None else None
    return receipt.actor if receipt is not None else None


# Whoever filed the deletion request (D8), told of its approval with the contact.
DELETION_FILER = workflow.FromObject(
    key="deletion_filer",
    email=lambda delivery: getattr(_deletion_filer(delivery), "email", None),
    user=_deletion_filer,
)

ALONE = "この実施講座は単独で申請できません。"
NOT_WAITING = "この実施講座は審査待ちではありません。"


def review_started(course) -> str | None:
    """F3: the review (and so the approval) waits for the confirmed fee."""
    if course.review_started_on is None:
        return "審査を開始してから承認してください（入金確認が必要です）。"
    return None


def course_not_certified(delivery) -> str | None:
    """Only a delivery course of a certified course is filed on its own."""
    return ALONE if delivery.course.state != S.CERTIFIED else None


def course_still_certified(delivery) -> str | None:
    """A delivery course filed alone is approved only while its course is
    certified: not after the certification was revoked (C11) or ended."""
    if delivery.course.state != S.CERTIFIED:
        return (
            f"免除対象講座 {delivery.course.number} は「{delivery.course.get_state_display()}」"
            "のため、実施講座を承認できません。"
        )
    return None


DONE = "この講座は既に処理されています（現在の状態：{state}）。"
COURSE_STATES = (
    workflow.State(S.DRAFT, S.DRAFT.label, "badge", provider_may_edit=True),
    workflow.State(S.SUBMITTED, S.SUBMITTED.label, "badge state-submitted", waiting_for_ipa=True),
    workflow.State(
        S.RETURNED, S.RETURNED.label, "badge state-returned", provider_may_edit=True, returned=True
    ),
    # Approved, to be certified on the 1st (C8): not yet in force.
    workflow.State(S.APPROVED, S.APPROVED.label, "badge state-accepted"),
    workflow.State(S.CERTIFIED, S.CERTIFIED.label, "badge state-accepted", in_force=True),
    workflow.State(S.EXPIRED, S.EXPIRED.label, "badge", closed=True),
    workflow.State(S.REVOKED, S.REVOKED.label, "badge state-returned", closed=True),
    workflow.State(S.WITHDRAWN, S.WITHDRAWN.label, "badge", closed=True),
)
_SUBMITTED_NOTICES = (
    workflow.Notify("course_submitted_ipa", ("ipa_notice",), _own_review_page),
    workflow.Notify("course_submitted", ("actor",), _own_page),
)

COURSE_SUBMIT = workflow.Transition(
    action="submit",
    sources=(S.DRAFT,),
    target=S.SUBMITTED,
    verb="申請する",
    confirm="{obj}の申請書データを確定してIPAに申請します。申請後は変更できません。よろしいですか。",
    allowed=is_provider_member,
    refused="この講座は既に申請されています。",
    cascade=((_filed_with((S.DRAFT, S.RETURNED)), "file"),),
    notices=_SUBMITTED_NOTICES,
)

EXEMPTION_COURSE = workflow.register(
    workflow.Workflow(
        model="courses.ExemptionCourse",
        name="免除対象講座",
        audit_prefix="course",
        provider=_owner,
        error=CourseStateError,
        states=COURSE_STATES,
        transitions=(
            COURSE_SUBMIT,
            # The same filing once more after a return (its own audit code).
            dataclasses.replace(
                COURSE_SUBMIT,
                action="resubmit",
                method="submit",
                sources=(S.RETURNED,),
                verb="再申請する",
                confirm="{obj}の修正内容を確定してIPAに再申請します。よろしいですか。",
            ),
            workflow.Transition(
                action="return",
                method="return_for_correction",
                sources=(S.SUBMITTED,),
                target=S.RETURNED,
                verb="差し戻す",
                confirm="{obj}を差し戻します。よろしいですか。",
                allowed=is_reviewer,
                permission="courses.review_course",
                refused=DONE,
                cascade=((_filed_with((S.SUBMITTED,)), "return_with_course"),),
                notices=(
                    workflow.Notify(
                        "course_returned", ("provider_contact", "submitter"), _own_page
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
                permission="courses.review_course",
                refused=DONE,
                conditions=(review_started,),
                cascade=((_filed_with((S.SUBMITTED,)), "approve_with_course"),),
                notices=(
                    workflow.Notify(
                        "course_approved", ("provider_contact", "submitter"), _own_page
                    ),
                ),
            ),
            workflow.Transition(
                action="certify",
                sources=(S.APPROVED,),
                target=S.CERTIFIED,
                verb="認定する",
                confirm="{obj}を認定します。認定証が発行されます。よろしいですか。",
                allowed=is_reviewer,
                permission="courses.review_course",
                by_system=True,  # the scheduled task of the 1st (C8)
                refused="承認済みの講座だけを認定できます（現在の状態：{state}）。",
                notices=(
                    workflow.Notify(
                        "course_certified", ("provider_contact", "submitter"), _own_page
                    ),
                ),
            ),
            workflow.Transition(
                action="expire",
                sources=(S.CERTIFIED,),
                target=S.EXPIRED,
                verb="有効期間を終了する",
                allowed=lambda user, obj: False,  # only the scheduled task (C11)
                by_system=True,
                notices=(workflow.Notify("course_expired", ("provider_contact",), _own_page),),
            ),
            # C11/P6 (M§2.5): an IPA administrator revokes a certification with
            # its date and reason. Only a certified course: an approved one is
            # not certified yet (nothing to revoke; should grounds appear before
            # the 1st, the bar of another revocation or IPA's return stops it —
            # require_not_barred refuses its certification), and an expired one
            # has ended. Only this course is revoked: the provider stays active
            # and keeps its other certified courses, but receives no new
            # certification for 2 years (M§2.5: 「新たな認定を一切受けられません」;
            # providers.services.require_not_barred). The 認定証 stays as issued.
            workflow.Transition(
                action="revoke",
                sources=(S.CERTIFIED,),
                target=S.REVOKED,
                verb="認定を取り消す",
                confirm=(
                    "免除対象講座 {obj}の認定を取り消します。取消しの日から2年間、この講座開設者は"
                    "新たな認定を一切受けられません（マニュアル2.5）。取り消した認定は元に戻せません。"
                    "よろしいですか。"
                ),
                allowed=is_ipa_admin,
                permission="courses.revoke_course",
                refused="認定済みの講座だけを取り消せます（現在の状態：{state}）。",
                notices=(
                    workflow.Notify("course_revoked", ("provider_contact",), _own_page),
                    workflow.Notify("course_revoked_ipa", ("ipa_notice",), _own_review_page),
                ),
            ),
            workflow.Transition(
                action="withdraw",
                sources=(S.DRAFT, S.RETURNED),
                target=S.WITHDRAWN,
                verb="取り下げる",
                confirm="{obj}の申請を取り下げます。取り下げた申請は元に戻せません。よろしいですか。",
                allowed=is_provider_member,
                refused="この講座は申請中または認定済みのため取り下げられません。",
                notices=(
                    workflow.Notify("course_withdrawn", ("actor",), _own_page),
                    workflow.Notify("course_withdrawn_ipa", ("ipa_if_filed",), _own_review_page),
                ),
            ),
        ),
    )
)


DELIVERY_COURSE = workflow.register(
    workflow.Workflow(
        model="courses.DeliveryCourse",
        name="実施講座",
        audit_prefix="delivery",
        provider=_provider,
        error=CourseStateError,
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
            workflow.State(S.APPROVED, S.APPROVED.label, "badge state-accepted", in_force=True),
            # D8 (M§5.5): IPA approved its deletion request (申請書式5).
            workflow.State(
                DeliveryStates.DELETED, DeliveryStates.DELETED.label, "badge", closed=True
            ),
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
                permission="courses.review_course",
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
                permission="courses.review_course",
                refused=NOT_WAITING,
                conditions=(course_still_certified,),
                notices=(
                    workflow.Notify(
                        "delivery_approved", ("provider_contact", "submitter"), _course_page
                    ),
                ),
            ),
            # D8: made by the approval of a deletion request (courses.change_kinds,
            # providers.changes.approve_change), whose notice tells the provider.
            workflow.Transition(
                action="delete_by_request",
                sources=(S.APPROVED,),
                target=DeliveryStates.DELETED,
                verb="削除申請の承認により削除する",
                allowed=is_reviewer,
                permission="courses.review_course",
                refused="承認済みの実施講座だけを削除申請で削除できます（現在の状態：{state}）。",
                notices=(
                    workflow.Notify(
                        "delivery_deleted", ("provider_contact", DELETION_FILER), _course_page
                    ),
                ),
            ),
            # Filed with the course (申請書式2 family): moved by the course's
            # submit / resubmit, return and approve, told in the course's notices.
            workflow.Transition(
                action="file",
                method="submit",
                sources=(S.DRAFT, S.RETURNED),
                target=S.SUBMITTED,
                verb="講座とともに申請する",
                allowed=is_provider_member,
                with_parent="submit",
                notices=(),
            ),
            workflow.Transition(
                action="return_with_course",
                method="return_for_correction",
                sources=(S.SUBMITTED,),
                target=S.RETURNED,
                verb="講座とともに差し戻す",
                allowed=is_reviewer,
                permission="courses.review_course",
                with_parent="return",
                passes=("reason",),
                notices=(),
            ),
            workflow.Transition(
                action="approve_with_course",
                method="approve",
                sources=(S.SUBMITTED,),
                target=S.APPROVED,
                verb="講座とともに承認する",
                allowed=is_reviewer,
                permission="courses.review_course",
                with_parent="approve",
                passes=("on",),
                notices=(),
            ),
        ),
    )
)
