"""Pages of questions (質問書, W5, 別紙15) and the help page (ヘルプ, M§12.2, M§13.1).

Provider staff: their provider's questions (list, new → 確認画面 → 送信,
the thread with the follow-up form). IPA: every question, the earliest due
first with the overdue ones marked, and the answer form (reviewers only).
Another provider's question answers 404 (portal.isolation)."""

from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from portal import audit, documents, receipts, workflow
from portal.decorators import role_required
from portal.forms import FAILED, attempt
from portal.idempotency import idempotent
from portal.isolation import get_for_user_or_404, provider_of
from portal.receipts import annotate_latest_number
from portal.roles import is_ipa_staff, is_provider_staff, is_reviewer

from . import help as help_data
from . import questions, rules
from .models import Question
from .question_forms import CloseForm, MessageForm, QuestionForm
from .services import write_problem

PAGE_SIZE = 50
DOCUMENTS = ["shitsumonsho"]
ALL = "all"


def _own(request, pk: int) -> Question:
    return get_for_user_or_404(
        Question.objects.for_user(request.user, own=True).select_related("provider", "asked_by"),
        request.user,
        pk=pk,
    )


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _tabs(base, flow, state):
    counts = dict(base.values_list("state").annotate(n=Count("id")).order_by())
    tabs = [(ALL, "すべて", sum(counts.values()))]
    tabs += [(s.value, s.label, counts.get(s.value, 0)) for s in flow.states]
    return tabs


def _mark_overdue(page, today):
    for question in page:
        question.overdue_days = (
            rules.question_overdue_days(question.due_on, today)
            if workflow.state_of(question).waiting_for_ipa
            else 0
        )
    return page


# --- provider ---------------------------------------------------------------------


@role_required(is_provider_staff)
def question_list(request):
    flow = workflow.for_model(Question)
    base = Question.objects.for_user(request.user, own=True)
    state = request.GET.get("state") or ALL
    rows = base.select_related("asked_by")
    if state in flow.values(lambda s: True):
        rows = rows.filter(state=state)
    else:
        state = ALL
    page = _page(request, annotate_latest_number(rows).order_by("-created_at", "-pk"))
    return render(
        request,
        "questions/list.html",
        {
            "page": _mark_overdue(page, timezone.localdate()),
            "tabs": _tabs(base, flow, state),
            "state": state,
            "answer_days": rules.QUESTION_ANSWER_DAYS,
        },
    )


def _form_context(request, form, question=None):
    provider = provider_of(request.user)
    return {
        "form": form,
        "question": question,
        "provider": provider,
        "status_problem": write_problem(provider),
        "attachments": list(question.attachments.filter(message=None)) if question else [],
        "answer_days": rules.QUESTION_ANSWER_DAYS,
        "subcategories": rules.question_subcategories(),
    }


@role_required(is_provider_staff)
@idempotent  # issue 11: one object per posted form
def question_create(request):
    """Input (this page) → 確認画面 (the draft's page) → 送信 (UX)."""
    form = QuestionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        provider = provider_of(request.user)
        question = attempt(
            request,
            lambda: questions.save_draft(
                provider, request.user, form.values(), form.cleaned_data["attachments"]
            ),
            form=form,
        )
        if question is not FAILED:
            return redirect("question_detail", pk=question.pk)
    return render(request, "questions/form.html", _form_context(request, form))


@role_required(is_provider_staff)
def question_edit(request, pk: int):
    """修正する: the draft again, with its attachments (some may be removed)."""
    question = _own(request, pk)
    if not workflow.is_editable_by_provider(question):
        return redirect("question_detail", pk=pk)
    initial = {name: getattr(question, name) for name in questions.QUESTION_FIELDS}
    form = QuestionForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        remove = [int(v) for v in request.POST.getlist("remove") if v.isdigit()]
        saved = attempt(
            request,
            lambda: questions.save_draft(
                question.provider,
                request.user,
                form.values(),
                form.cleaned_data["attachments"],
                question_pk=question.pk,
                remove=remove,
            ),  # fmt: skip
            form=form,
        )
        if saved is not FAILED:
            return redirect("question_detail", pk=pk)
    return render(request, "questions/form.html", _form_context(request, form, question))


def _thread_context(request, question):
    return {
        "question": question,
        "messages_": questions.thread(question),
        "question_files": [a for a in question.attachments.all() if a.message_id is None],
        "documents": documents.panel(request.user, question, DOCUMENTS),
        "overdue_days": (
            rules.question_overdue_days(question.due_on, timezone.localdate())
            if workflow.state_of(question).waiting_for_ipa
            else 0
        ),
        "answer_days": rules.QUESTION_ANSWER_DAYS,
    }


@role_required(is_provider_staff)
def question_detail(request, pk: int, message_form=None, close_form=None):
    """A draft: the 確認画面 (送信 / 修正する). Sent: the thread, oldest first,
    with the form of what the provider may do next."""
    question = _own(request, pk)
    context = _thread_context(request, question)
    context.update(
        {
            "message_form": message_form or MessageForm(),
            "close_form": close_form or CloseForm(),
            "next_steps": receipts.NEXT_STEPS[receipts.Kind.QUESTION],
            "status_problem": write_problem(question.provider),
        }
    )
    return render(request, "questions/detail.html", context)


@require_POST
@role_required(is_provider_staff)
def question_submit(request, pk: int):
    question = _own(request, pk)
    attempt(
        request,
        lambda: questions.submit_question(question.pk, request.user),
        success=lambda q: (
            f"質問書をIPAに送信しました（到達番号 {workflow.receipt_number(q)}）。"
            f"回答の予定日は{q.due_on:%Y年%-m月%-d日}です。"
        ),
        forbidden_as_message=True,
    )
    return redirect("question_detail", pk=pk)


@require_POST
@role_required(is_provider_staff)
def question_message(request, pk: int):
    """The provider's reply to IPA's request (補足) or a follow-up on an answer."""
    question = _own(request, pk)
    form = MessageForm(request.POST, request.FILES)
    if form.is_valid():
        service = (
            questions.reply
            if workflow.may(question, "reply", request.user)
            else questions.follow_up
        )
        result = attempt(
            request,
            lambda: service(
                question.pk,
                request.user,
                form.cleaned_data["body"],
                form.cleaned_data["attachments"],
            ),  # fmt: skip
            form=form,
            success="IPAに送信しました。回答をお待ちください。",
            forbidden_as_message=True,
        )
        if result is not FAILED:
            return redirect("question_detail", pk=pk)
    return question_detail(request, pk, message_form=form)


@require_POST
@role_required(is_provider_staff)
def question_close(request, pk: int):
    question = _own(request, pk)
    form = CloseForm(request.POST)
    if form.is_valid():
        attempt(
            request,
            lambda: questions.close_question(question.pk, request.user, form.cleaned_data["note"]),
            success="質問書を終了しました。",
            forbidden_as_message=True,
        )
        return redirect("question_detail", pk=pk)
    return question_detail(request, pk, close_form=form)


@role_required(lambda user: is_provider_staff(user) or is_ipa_staff(user))
def question_attachment(request, pk: int, file_pk: int):
    """An attachment of the thread: the provider's own staff and IPA staff only."""
    from portal.views import serve_upload

    question = get_for_user_or_404(Question.objects.all(), request.user, pk=pk)
    attachment = get_object_or_404(question.attachments, pk=file_pk)
    return serve_upload(request, attachment.file, question, "question.attachment_download")


# --- IPA ----------------------------------------------------------------------------


@role_required(is_ipa_staff)
def question_review_list(request):
    """Every sent question: those waiting for IPA first (earliest due first,
    overdue marked in red with the days), the other states as tabs."""
    flow = workflow.for_model(Question)
    base = Question.objects.exclude(state__in=flow.values(lambda s: s.provider_may_edit))
    waiting = flow.values(lambda s: s.waiting_for_ipa)
    state = request.GET.get("state") or waiting[0]
    if state == ALL:
        rows = base.select_related("provider", "asked_by").order_by("-waiting_since", "-pk")
    elif state in waiting:
        rows = questions.waiting_questions()
    elif state in flow.values(lambda s: not s.provider_may_edit):
        rows = base.filter(state=state).select_related("provider", "asked_by")
        rows = rows.order_by("-waiting_since", "-pk")
    else:
        return redirect("question_review_list")
    page = _page(request, annotate_latest_number(rows))
    counts = dict(base.values_list("state").annotate(n=Count("id")).order_by())
    tabs = [
        (s.value, s.label, counts.get(s.value, 0)) for s in flow.states if not s.provider_may_edit
    ]
    tabs.append((ALL, "すべて", sum(counts.values())))
    return render(
        request,
        "questions/review_list.html",
        {"page": _mark_overdue(page, timezone.localdate()), "tabs": tabs, "state": state},
    )


@role_required(is_ipa_staff)
def question_review_detail(request, pk: int, message_form=None):
    question = get_object_or_404(
        Question.objects.exclude(
            state__in=workflow.for_model(Question).values(lambda s: s.provider_may_edit)
        ).select_related("provider", "asked_by"),
        pk=pk,
    )
    context = _thread_context(request, question)
    context.update(
        {
            "message_form": message_form or MessageForm(),
            "close_form": CloseForm(),
            "can_answer": is_reviewer(request.user),
            "audit_entries": audit.entries_for(question)[:100],
            "receipt_rows": receipts.for_object(question).select_related("actor"),
        }
    )
    return render(request, "questions/review_detail.html", context)


@require_POST
@role_required(is_reviewer)
def question_answer(request, pk: int):
    """回答する (or, with ``step=request_info``, ask the provider for more)."""
    question = get_object_or_404(Question, pk=pk)
    form = MessageForm(request.POST, request.FILES)
    asking = request.POST.get("step") == "request_info"
    if form.is_valid():
        service = questions.request_info if asking else questions.answer_question
        result = attempt(
            request,
            lambda: service(
                question.pk,
                request.user,
                form.cleaned_data["body"],
                form.cleaned_data["attachments"],
            ),  # fmt: skip
            form=form,
            success=(
                "講座開設者に確認を依頼しました。"
                if asking
                else "回答を送信しました。講座開設者に通知しました。"
            ),
            forbidden_as_message=True,
        )
        if result is not FAILED:
            return redirect("question_review_detail", pk=pk)
    return question_review_detail(request, pk, message_form=form)


@require_POST
@role_required(is_reviewer)
def question_end(request, pk: int):
    question = get_object_or_404(Question, pk=pk)
    form = CloseForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    attempt(
        request,
        lambda: questions.end_question(question.pk, request.user, note),
        success="質問書を回答済みとして終了しました。",
        forbidden_as_message=True,
    )
    return redirect("question_review_detail", pk=pk)


# --- help (I5/I4: the manual's Q&A and IPA's contact) ------------------------------------


def help_page(request):
    """ヘルプ: public (also before login), the manual's よくある質問 by topic,
    IPA's contact and postal address, and the way to ask a question."""
    return render(
        request,
        "questions/help.html",
        {
            "topics": help_data.topics(),
            "contact": help_data.IPA_CONTACT,
            "answer_days": rules.QUESTION_ANSWER_DAYS,
        },
    )
