"""Questions (質問書, W5, M§12, 別紙15): one function per step, each in one
transaction, moving the question through its declared life cycle
(providers.workflow.QUESTION) with its audit entry and notices.

A question belongs to one provider (``provider_path``): its staff see only
their own, IPA reviewers answer, and nothing of another provider is ever part
of a question or its answer (the form says so, as 別紙15 does).

``waiting_questions()`` is what IPA owes an answer to, with ``due_on`` (W5),
for the IPA inbox."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portal import audit, receipts, workflow
from portal.isolation import require_owner
from portal.roles import require_reviewer
from portal.uploads import check_office_or_pdf
from portal.workflow import transition

from . import rules
from .models import Question, QuestionAttachment, QuestionMessage
from .workflow import QuestionStateError  # noqa: F401  (re-exported)

MAX_ATTACHMENTS = 5  # per question and message (C15's checks on each file)
QUESTION_FIELDS = ["category", "subcategory", "category_other", "document", "document_other",
                   "page", "body"]  # fmt: skip

M = QuestionMessage.Kind


def waiting_questions():
    """Questions IPA owes an answer to (回答待ち), the earliest due first, each
    with ``due_on`` (W5: 3 IPA business days after it was asked, followed up
    or completed) and its provider; one query whatever their number."""
    flow = workflow.for_model(Question)
    return (
        Question.objects.filter(state__in=flow.values(lambda s: s.waiting_for_ipa))
        .select_related("provider", "asked_by")
        .order_by("due_on", "waiting_since", "pk")
    )


def check_attachments(uploads, already: int = 0) -> None:
    """PDF or Office files only, each at most 10 MB (portal.uploads), and at
    most MAX_ATTACHMENTS per question or message."""
    uploads = [u for u in uploads if u]
    if already + len(uploads) > MAX_ATTACHMENTS:
        raise ValidationError(
            {
                "attachments": f"添付ファイルは{MAX_ATTACHMENTS}件までです（{already + len(uploads)}件）。"
            }
        )
    for upload in uploads:
        try:
            check_office_or_pdf(upload, "添付ファイル")
        except ValidationError as exc:
            raise ValidationError({"attachments": exc.messages}) from None


def _attach(question, uploads, user, message=None) -> None:
    for upload in uploads:
        if upload:
            QuestionAttachment.objects.create(
                question=question, message=message, file=upload,
                name=(upload.name or "添付ファイル")[:200], uploaded_by=user,
            )  # fmt: skip


def _clean_values(values: dict) -> dict:
    values = {name: (values.get(name) or "") for name in QUESTION_FIELDS}
    values = {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}
    from .models import QuestionCategory, QuestionDocument

    if values["category"] == QuestionCategory.OTHER:
        values["subcategory"] = ""
    else:
        values["category_other"] = ""
    if values["document"] != QuestionDocument.OTHER:
        values["document_other"] = ""
    return values


def save_draft(provider, user, values: dict, uploads=(), *, question_pk=None, remove=()):
    """The question as written (作成中): new, or a draft edited again after
    the 確認画面 (``remove``: attachment ids to drop). Nothing is sent yet."""
    values = _clean_values(values)
    errors = rules.question_topic_problems(
        values["category"], values["subcategory"], values["category_other"]
    )
    if not values["body"]:
        errors["body"] = "「質問内容」を入力してください。"
    from .models import QuestionDocument

    if values["document"] == QuestionDocument.OTHER and not values["document_other"]:
        errors["document_other"] = "資料名が「その他」のときは、資料の名前を入力してください。"
    try:  # each file's type and size, reported with the other fields' problems
        check_attachments(uploads)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if question_pk is None:
            require_owner(user, provider)
            question = Question(provider=provider, provider_number=provider.number, asked_by=user)
            before = {}
        else:
            question = _locked(question_pk)
            require_owner(user, question)
            if not workflow.is_editable_by_provider(question):
                raise QuestionStateError("この質問書は送信済みのため変更できません。")
            before = audit.snapshot(question, QUESTION_FIELDS)
        for name, value in values.items():
            setattr(question, name, value)
        question.full_clean(exclude=["provider", "asked_by", "state"])
        kept = question.attachments.exclude(pk__in=list(remove)) if question.pk else None
        check_attachments(uploads, kept.count() if kept is not None else 0)
        question.save()
        if remove:
            for attachment in question.attachments.filter(pk__in=list(remove), message=None):
                attachment.file.delete(save=False)
                attachment.delete()
        _attach(question, uploads, user)
        audit.record(
            "question.save",
            question,
            actor=user,
            changes=audit.diff(before, audit.snapshot(question, QUESTION_FIELDS)),
        )
    return question


def _locked(question_pk: int) -> Question:
    return (
        Question.objects.select_for_update(of=("self",))
        .select_related("provider", "asked_by")
        .get(pk=question_pk)
    )


def _today(now):
    return timezone.localtime(now).date()


def submit_question(question_pk: int, user, now=None) -> Question:
    """確認画面 → 送信: the question goes to IPA with its 到達番号 (Q…), due
    in 3 IPA business days (W5); IPA and the asker are told."""
    now = now or timezone.now()
    with transaction.atomic():
        question = _locked(question_pk)
        require_owner(user, question)
        workflow.check(question, "submit", actor=user)
        provider = question.provider
        question.contact_name = user.display_name
        question.contact_email = user.email
        question.contact_tel = provider.contact_tel or ""
        receipts.issue(question, receipts.Kind.QUESTION, user, now=now, mail=False)
        transition(
            question, "submit", actor=user,
            due_on=rules.question_due_on(_today(now)), now=now,
        )  # fmt: skip
    return question


def _message(question, user, kind, body, uploads, *, from_ipa: bool, now) -> QuestionMessage:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "「本文」を入力してください。"})
    check_attachments(uploads)
    message = QuestionMessage(
        question=question, kind=kind, from_ipa=from_ipa, author=user, body=body, created_at=now
    )
    message.full_clean(exclude=["question", "author"])
    message.save()
    _attach(question, uploads, user, message)
    return message


def answer_question(question_pk: int, reviewer, body: str, uploads=(), now=None) -> Question:
    """A reviewer answers (回答済み); the asker is told with the answer."""
    return _ipa_move(question_pk, reviewer, "answer", M.ANSWER, body, uploads, now)


def request_info(question_pk: int, reviewer, body: str, uploads=(), now=None) -> Question:
    """A reviewer asks the provider for more (補足待ち): the clock stops."""
    return _ipa_move(question_pk, reviewer, "request_info", M.INFO_REQUEST, body, uploads, now)


def _ipa_move(question_pk, reviewer, action, kind, body, uploads, now):
    require_reviewer(reviewer)
    now = now or timezone.now()
    with transaction.atomic():
        question = _locked(question_pk)
        workflow.check(question, action, actor=reviewer)
        message = _message(question, reviewer, kind, body, uploads, from_ipa=True, now=now)
        transition(question, action, actor=reviewer, now=now, notice={"message": message})
    return question


def reply(question_pk: int, user, body: str, uploads=(), now=None) -> Question:
    """The provider answers IPA's request (補足): back to 回答待ち, due in 3
    IPA business days from the reply (W5)."""
    return _provider_move(question_pk, user, "reply", M.REPLY, body, uploads, now)


def follow_up(question_pk: int, user, body: str, uploads=(), now=None) -> Question:
    """A follow-up on an answered question reopens it (回答待ち, W5 again)."""
    return _provider_move(question_pk, user, "follow_up", M.FOLLOW_UP, body, uploads, now)


def _provider_move(question_pk, user, action, kind, body, uploads, now):
    now = now or timezone.now()
    with transaction.atomic():
        question = _locked(question_pk)
        require_owner(user, question)
        workflow.check(question, action, actor=user)
        message = _message(question, user, kind, body, uploads, from_ipa=False, now=now)
        transition(
            question, action, actor=user, now=now,
            due_on=rules.question_due_on(_today(now)), notice={"message": message},
        )  # fmt: skip
    return question


def close_question(question_pk: int, user, note: str = "", now=None) -> Question:
    """The provider ends the question (solved, or no longer needed)."""
    now = now or timezone.now()
    with transaction.atomic():
        question = _locked(question_pk)
        require_owner(user, question)
        workflow.check(question, "close", actor=user)
        message = None
        if (note or "").strip():
            message = _message(question, user, M.CLOSING, note, (), from_ipa=False, now=now)
        transition(question, "close", actor=user, now=now, notice={"message": message})
    return question


def end_question(question_pk: int, reviewer, note: str = "", now=None) -> Question:
    """IPA ends an answered question (e.g. no follow-up came)."""
    require_reviewer(reviewer)
    now = now or timezone.now()
    with transaction.atomic():
        question = _locked(question_pk)
        workflow.check(question, "end", actor=reviewer)
        message = None
        if (note or "").strip():
            message = _message(question, reviewer, M.CLOSING, note, (), from_ipa=True, now=now)
        transition(question, "end", actor=reviewer, now=now, notice={"message": message})
    return question


def thread(question):
    """The question's messages, oldest first, with their authors and files."""
    return question.messages.select_related("author").prefetch_related("attachments")
