"""The life cycle of the provider registration (申請書式1, P1–P6), declared
once (portal.workflow): IPA returns it with reasons, accepts it (the provider
number is issued) or closes it as withdrawn; the applicant fixes a returned
one and submits it again. The first submission creates the registration
(providers.services.submit_registration) and is no move. Registered at
start-up by providers.apps."""

import dataclasses

from django.urls import reverse

from portal import workflow
from portal.roles import is_provider_member, is_reviewer

from .contact import is_new_contact
from .models import ChangeRequest, Question, Registration, Withdrawal

S = Registration.State
W = Withdrawal.State


class RegistrationStateError(workflow.TransitionError):
    """The registration is no longer in a state that allows this action."""


def _review_page(registration) -> str:
    return reverse("review_detail", args=[registration.pk])


def _login_page(registration) -> str:
    return reverse("login")


def _signup_page(registration) -> str:
    return reverse("registration_signup")


def _is_applicant(user, registration) -> bool:
    return user is not None and user.pk == registration.applicant_id


# The applicant has no account before acceptance: the contact e-mail given in
# the registration; once accepted, the now active account sees it too.
APPLICANT = workflow.FromObject("applicant", lambda r: r.contact_email)
APPLICANT_ACCOUNT = workflow.FromObject(
    "applicant_account", lambda r: r.contact_email, user=lambda r: r.applicant
)

REGISTRATION = workflow.register(
    workflow.Workflow(
        model="providers.Registration",
        name="登録申請",
        audit_prefix="registration",
        provider=lambda registration: registration.provider,
        error=RegistrationStateError,
        states=(
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
            workflow.State(S.WITHDRAWN, S.WITHDRAWN.label, "badge", closed=True),
        ),
        transitions=(
            workflow.Transition(
                action="resubmit",
                sources=(S.RETURNED,),
                target=S.SUBMITTED,
                verb="再提出する",
                confirm="{obj}を修正して再提出します。よろしいですか。",
                allowed=_is_applicant,
                refused="この申請は現在修正できません（差し戻し中ではありません）。",
                notices=(
                    workflow.Notify("registration_ipa_notice", ("ipa_notice",), _review_page),
                    workflow.Notify("registration_resubmitted", (APPLICANT,), None),
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
                permission="providers.review_registration",
                # The status page is reached only by the secret link of the
                # 受付 mail: the notice names it instead of linking.
                notices=(workflow.Notify("registration_returned", (APPLICANT,), None),),
            ),
            workflow.Transition(
                action="accept",
                sources=(S.SUBMITTED,),
                target=S.ACCEPTED,
                verb="受理する",
                confirm="{obj}を受理します。よろしいですか。",
                allowed=is_reviewer,
                permission="providers.review_registration",
                notices=(
                    workflow.Notify("registration_accepted", (APPLICANT_ACCOUNT,), _login_page),
                ),
            ),
            workflow.Transition(
                action="withdraw",
                sources=(S.SUBMITTED, S.RETURNED),
                target=S.WITHDRAWN,
                verb="取下げとする",
                confirm="{obj}を取下げとして処理します。よろしいですか。",
                allowed=is_reviewer,
                permission="providers.review_registration",
                notices=(workflow.Notify("registration_withdrawn", (APPLICANT,), _signup_page),),
            ),
        ),
    )
)


# --- change requests (変更申請, 申請書式5; M§5.6, X1–X3) -----------------------------

C = ChangeRequest.State


class ChangeStateError(workflow.TransitionError):
    """The change request is no longer in a state that allows this action."""


def _change_page(change) -> str:
    return reverse("change_detail", args=[change.pk])


def _change_review_page(change) -> str:
    return reverse("change_review_detail", args=[change.pk])


CHANGE_SUBMIT = workflow.Transition(
    action="submit",
    sources=(C.DRAFT,),
    target=C.SUBMITTED,
    verb="申請する",
    confirm="{obj}の内容を確定してIPAに申請します。申請後は変更できません。よろしいですか。",
    allowed=is_provider_member,
    refused="この変更申請は既に申請されています（現在の状態：{state}）。",
    notices=(
        workflow.Notify("change_submitted_ipa", ("ipa_notice",), _change_review_page),
        workflow.Notify("change_submitted", ("actor",), _change_page),
    ),
)
CHANGE_DONE = "この変更申請は既に処理されています（現在の状態：{state}）。"

CHANGE_REQUEST = workflow.register(
    workflow.Workflow(
        model="providers.ChangeRequest",
        name="変更申請",
        audit_prefix="change",
        provider=lambda change: change.provider,
        error=ChangeStateError,
        states=(
            workflow.State(C.DRAFT, C.DRAFT.label, "badge", provider_may_edit=True),
            workflow.State(
                C.SUBMITTED, C.SUBMITTED.label, "badge state-submitted", waiting_for_ipa=True
            ),
            workflow.State(
                C.RETURNED,
                C.RETURNED.label,
                "badge state-returned",
                provider_may_edit=True,
                returned=True,
            ),
            # Approved and applied to the live record.
            workflow.State(C.APPROVED, C.APPROVED.label, "badge state-accepted", in_force=True),
            workflow.State(C.WITHDRAWN, C.WITHDRAWN.label, "badge", closed=True),
            # P7: a contact change approved (received) and confirmed by the
            # new contact's first login (ログイン完了, M§10.2 (3)).
            workflow.State(C.COMPLETED, C.COMPLETED.label, "badge state-accepted", in_force=True),
        ),
        transitions=(
            CHANGE_SUBMIT,
            dataclasses.replace(
                CHANGE_SUBMIT,
                action="resubmit",
                method="submit",
                sources=(C.RETURNED,),
                verb="再申請する",
                confirm="{obj}の修正内容を確定してIPAに再申請します。よろしいですか。",
            ),
            workflow.Transition(
                action="return",
                method="return_for_correction",
                sources=(C.SUBMITTED,),
                target=C.RETURNED,
                verb="差し戻す",
                confirm="{obj}を差し戻します。よろしいですか。",
                allowed=is_reviewer,
                permission="providers.review_change",
                refused=CHANGE_DONE,
                notices=(
                    workflow.Notify(
                        "change_returned", ("provider_contact", "submitter"), _change_page
                    ),
                ),
            ),
            workflow.Transition(
                action="approve",
                sources=(C.SUBMITTED,),
                target=C.APPROVED,
                verb="承認する",
                confirm="{obj}を承認します。変更内容が登録内容に反映されます。よろしいですか。",
                allowed=is_reviewer,
                permission="providers.review_change",
                refused=CHANGE_DONE,
                notices=(
                    workflow.Notify(
                        "change_approved", ("provider_contact", "submitter"), _change_page
                    ),
                ),
            ),
            workflow.Transition(
                action="withdraw",
                sources=(C.DRAFT, C.RETURNED),
                target=C.WITHDRAWN,
                verb="取り下げる",
                confirm="{obj}を取り下げます。取り下げた申請は元に戻せません。よろしいですか。",
                allowed=is_provider_member,
                refused="この変更申請は審査中または処理済みのため取り下げられません。",
                notices=(
                    workflow.Notify("change_withdrawn_ipa", ("ipa_if_filed",), _change_review_page),
                ),
            ),
            workflow.Transition(
                action="confirm_login",
                sources=(C.APPROVED,),
                target=C.COMPLETED,
                verb="ログイン完了を連絡する",
                confirm="{obj}について、ログインできたことをIPAに連絡します。よろしいですか。",
                allowed=is_new_contact,
                refused="この変更申請のログイン完了は連絡できません（現在の状態：{state}）。",
                notices=(
                    workflow.Notify(
                        "change_login_confirmed_ipa", ("ipa_notice",), _change_review_page
                    ),
                    workflow.Notify("change_completed", ("actor",), _change_page),
                ),
            ),
        ),
    )
)


# P8 (M§11): the provider's notice of withdrawal (取止め). Filing it creates
# it in 審査待ち (providers.services.file_withdrawal, with its 到達番号; no
# move, as the registration). IPA accepts it — the provider becomes 取止め,
# its number is retired, its data stays read-only — or, while it waits, the
# provider takes it back (取下げ). IPA does not return it: M§11 asks for three
# facts only (number, name, reason); should IPA doubt one, it calls the
# contact, who takes the notice back and files again.


class WithdrawalStateError(workflow.TransitionError):
    """The withdrawal notice is no longer in a state that allows this action."""


def _withdrawal_page(withdrawal) -> str:
    return reverse("withdrawal_detail", args=[withdrawal.pk])


def _withdrawal_review_page(withdrawal) -> str:
    return reverse("review_withdrawal_detail", args=[withdrawal.pk])


# The notices of the filing itself (no move: providers.services.file_withdrawal
# sends them with portal.workflow.announce).
WITHDRAWAL_FILED = (
    workflow.Notify("withdrawal_submitted", ("actor",), _withdrawal_page),
    workflow.Notify("withdrawal_submitted_ipa", ("ipa_notice",), _withdrawal_review_page),
)

WITHDRAWAL = workflow.register(
    workflow.Workflow(
        model="providers.Withdrawal",
        name="取止めの届出",
        audit_prefix="withdrawal",
        provider=lambda withdrawal: withdrawal.provider,
        error=WithdrawalStateError,
        states=(
            workflow.State(
                W.SUBMITTED, W.SUBMITTED.label, "badge state-submitted", waiting_for_ipa=True
            ),
            workflow.State(W.ACCEPTED, W.ACCEPTED.label, "badge state-accepted", in_force=True),
            workflow.State(W.WITHDRAWN, W.WITHDRAWN.label, "badge", closed=True),
        ),
        transitions=(
            workflow.Transition(
                action="accept",
                sources=(W.SUBMITTED,),
                target=W.ACCEPTED,
                verb="受理する",
                confirm=(
                    "{obj}を受理します。講座開設者は取止めとなり、講座開設者番号は以後使われません。"
                    "元に戻せません。よろしいですか。"
                ),
                allowed=is_reviewer,
                permission="providers.review_withdrawal",
                refused="この届出は既に処理されています（現在の状態：{state}）。",
                notices=(
                    workflow.Notify(
                        "withdrawal_accepted", ("provider_contact", "submitter"), _withdrawal_page
                    ),
                ),
            ),
            workflow.Transition(
                action="withdraw",
                sources=(W.SUBMITTED,),
                target=W.WITHDRAWN,
                verb="取り下げる",
                confirm="{obj}を取り下げます。よろしいですか。",
                allowed=is_provider_member,
                refused="この届出は既に処理されているため取り下げられません（現在の状態：{state}）。",
                notices=(
                    workflow.Notify("withdrawal_withdrawn", ("actor",), _withdrawal_page),
                    workflow.Notify(
                        "withdrawal_withdrawn_ipa", ("ipa_notice",), _withdrawal_review_page
                    ),
                ),
            ),
        ),
    )
)


# --- questions (質問書, W5, M§12, 別紙15) -----------------------------------------
# A staff member writes the question (作成中, attachments kept while the 確認画面
# is shown) and sends it (回答待ち, 到達番号 Q…, due in 3 IPA business days).
# A reviewer answers (回答済み) or asks for more (補足待ち; the provider's reply
# puts it back to 回答待ち with a new due date). A follow-up reopens an
# answered question. The provider ends it whenever it likes; IPA ends an
# answered one (終了). The thread is providers.QuestionMessage.

Q = Question.State


class QuestionStateError(workflow.TransitionError):
    """The question is no longer in a state that allows this action."""


def _question_page(question) -> str:
    return reverse("question_detail", args=[question.pk])


def _question_review_page(question) -> str:
    return reverse("question_review_detail", args=[question.pk])


@dataclasses.dataclass(frozen=True)
class _Asker:
    """The staff member who asked, while still staff of the question's
    provider; otherwise the provider's registered contact (P7)."""

    key: str = "asker"

    def __call__(self, flow, question, actor):
        from portal.roles import membership_of

        user = question.asked_by
        membership = membership_of(user)
        if membership is None or membership.provider_id != question.provider_id:
            return workflow.RECIPIENTS["provider_contact"](flow, question, actor)
        return [workflow.Addressee(user.email, user)]


ASKER = _Asker()
QUESTION_DONE = "この質問書は現在この操作ができません（現在の状態：{state}）。"

QUESTION = workflow.register(
    workflow.Workflow(
        model="providers.Question",
        name="質問書",
        audit_prefix="question",
        provider=lambda question: question.provider,
        error=QuestionStateError,
        states=(
            workflow.State(Q.DRAFT, Q.DRAFT.label, "badge", provider_may_edit=True),
            workflow.State(Q.ASKED, Q.ASKED.label, "badge state-submitted", waiting_for_ipa=True),
            workflow.State(Q.INFO_REQUESTED, Q.INFO_REQUESTED.label, "badge state-returned"),
            workflow.State(Q.ANSWERED, Q.ANSWERED.label, "badge state-accepted"),
            workflow.State(Q.RESOLVED, Q.RESOLVED.label, "badge", closed=True),
        ),
        transitions=(
            workflow.Transition(
                action="submit",
                sources=(Q.DRAFT,),
                target=Q.ASKED,
                verb="送信する",
                confirm="{obj}をIPAに送信します。送信後は質問内容を変更できません。よろしいですか。",
                allowed=is_provider_member,
                refused="この質問書は既に送信されています（現在の状態：{state}）。",
                notices=(
                    workflow.Notify(
                        "question_submitted_ipa", ("ipa_notice",), _question_review_page
                    ),
                    workflow.Notify("question_submitted", ("actor",), _question_page),
                ),
            ),
            workflow.Transition(
                action="answer",
                sources=(Q.ASKED,),
                target=Q.ANSWERED,
                verb="回答する",
                confirm="{obj}に回答します。回答は講座開設者に通知されます。よろしいですか。",
                allowed=is_reviewer,
                refused=QUESTION_DONE,
                notices=(workflow.Notify("question_answered", (ASKER,), _question_page),),
            ),
            workflow.Transition(
                action="request_info",
                sources=(Q.ASKED,),
                target=Q.INFO_REQUESTED,
                verb="確認を依頼する",
                confirm="{obj}について講座開設者に確認を依頼します。よろしいですか。",
                allowed=is_reviewer,
                refused=QUESTION_DONE,
                notices=(workflow.Notify("question_info_requested", (ASKER,), _question_page),),
            ),
            workflow.Transition(
                action="reply",
                sources=(Q.INFO_REQUESTED,),
                target=Q.ASKED,
                verb="補足して送信する",
                confirm="{obj}に補足を付けてIPAに送信します。よろしいですか。",
                allowed=is_provider_member,
                refused=QUESTION_DONE,
                notices=(
                    workflow.Notify("question_replied_ipa", ("ipa_notice",), _question_review_page),
                ),
            ),
            workflow.Transition(
                action="follow_up",
                sources=(Q.ANSWERED,),
                target=Q.ASKED,
                verb="追加で質問する",
                confirm="{obj}に追加の質問を送信します。よろしいですか。",
                allowed=is_provider_member,
                refused=QUESTION_DONE,
                notices=(
                    workflow.Notify(
                        "question_follow_up_ipa", ("ipa_notice",), _question_review_page
                    ),
                ),
            ),
            workflow.Transition(
                action="close",
                sources=(Q.DRAFT, Q.ASKED, Q.INFO_REQUESTED, Q.ANSWERED),
                target=Q.RESOLVED,
                verb="終了する",
                confirm="{obj}を終了します。終了した質問書には追加で質問できません。よろしいですか。",
                allowed=is_provider_member,
                refused="この質問書は既に終了しています。",
                notices=(
                    workflow.Notify(
                        "question_closed_ipa", ("ipa_if_filed",), _question_review_page
                    ),
                    workflow.Notify("question_closed", ("actor",), _question_page),
                ),
            ),
            workflow.Transition(
                action="end",
                sources=(Q.ANSWERED,),
                target=Q.RESOLVED,
                verb="回答済みとして終了する",
                confirm="{obj}を回答済みとして終了します。よろしいですか。",
                allowed=is_reviewer,
                refused=QUESTION_DONE,
                notices=(workflow.Notify("question_ended", (ASKER,), _question_page),),
            ),
        ),
    )
)
