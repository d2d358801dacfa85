"""Questions (質問書, W5, M§12, 別紙15) and the help page (ヘルプ, I4/I5:
M§12.2 Q&A and the M§13.1 contact)."""

import datetime
import re
import shutil
import subprocess

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal import audit, documents, workflow
from portal.bizdays import JST
from portal.models import Notice
from providers import questions, rules
from providers.models import Question, QuestionCategory, QuestionSubcategory

from .conftest import client_for

pytestmark = pytest.mark.django_db

S = Question.State
VALUES = {
    "category": QuestionCategory.DELIVERY,
    "subcategory": QuestionSubcategory.DELIVERY_ADD,
    "document": "manual",
    "page": "P38",
    "body": "免除対象講座の認定日と同じ日に開講する実施講座を追加できますか。",
}
FRIDAY_BEFORE_GOLDEN_WEEK = datetime.datetime(2025, 5, 2, 10, 0, tzinfo=JST)


def pdf(name="guide.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.7 test", content_type="application/pdf")


def asked(provider, staff, now=FRIDAY_BEFORE_GOLDEN_WEEK, **values):
    draft = questions.save_draft(provider, staff, {**VALUES, **values})
    return questions.submit_question(draft.pk, staff, now=now)


def _pdftotext(data: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (Debian poppler-utils) is not installed: run `make system-deps`")
    result = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],
        input=data, capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    return re.sub(r"\s+", " ", result.stdout.decode("utf-8"))


# --- the due date (W5, W6) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked_on", "due_on"),
    [
        (datetime.date(2026, 12, 2), datetime.date(2026, 12, 7)),  # Wed → Mon (weekend skipped)
        (datetime.date(2026, 12, 5), datetime.date(2026, 12, 9)),  # Sat → Wed
        # Golden Week 2025: 5/3–5/6 (憲法記念日, みどりの日, こどもの日, 振替休日).
        (datetime.date(2025, 5, 2), datetime.date(2025, 5, 9)),
        # The year-end break 29 Dec – 3 Jan (W6).
        (datetime.date(2026, 12, 25), datetime.date(2027, 1, 5)),
    ],
)
def test_w5_due_date_is_three_ipa_business_days_after_the_question(asked_on, due_on):
    assert rules.question_due_on(asked_on) == due_on


def test_w5_the_portal_promises_the_shorter_of_the_manuals_two_figures():
    """M§12 says 3 business days, 別紙15 says 5: the portal shows the shorter."""
    assert rules.QUESTION_ANSWER_DAYS == 3 < rules.QUESTION_FORM_ANSWER_DAYS == 5
    assert rules.question_overdue_days(datetime.date(2025, 5, 9), datetime.date(2025, 5, 9)) == 0
    assert rules.question_overdue_days(datetime.date(2025, 5, 9), datetime.date(2025, 5, 12)) == 3
    assert rules.question_overdue_days(None, datetime.date(2025, 5, 12)) == 0


# --- filing -------------------------------------------------------------------------------


def test_w5_a_sent_question_has_a_q_receipt_a_due_date_and_tells_ipa_and_the_asker(
    provider_a, staff_a, reviewer, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        question = asked(provider_a, staff_a)
    assert question.state == S.ASKED
    assert question.due_on == datetime.date(2025, 5, 9)  # over Golden Week
    number = workflow.receipt_number(question)
    assert re.fullmatch(r"Q2025-\d{6}", number)
    to = {m.to[0]: m for m in mail.outbox}
    assert set(to) == {settings.IPA_NOTICE_EMAIL, staff_a.email}
    assert number in to[staff_a.email].subject and "2025年5月9日" in to[staff_a.email].body
    assert "20001" in to[settings.IPA_NOTICE_EMAIL].subject
    assert VALUES["body"] in to[settings.IPA_NOTICE_EMAIL].body
    assert Notice.objects.filter(recipient=reviewer, subject__contains=number).exists()
    entry = audit.entries_for(question).filter(action="question.submit").get()
    assert entry.changes["state"] == [S.DRAFT, S.ASKED]
    assert "（作成中 → 回答待ち）" in audit.sentence(entry)


def test_w5_input_confirm_send_through_the_pages(client, provider_a, staff_a):
    client_for(client, staff_a)
    form = client.get(reverse("question_create")).content.decode()
    assert reverse("help") in form  # the form links to the help page
    assert "他の講座開設者に関する情報" in form
    response = client.post(
        reverse("question_create"), {**VALUES, "attachments": [pdf(), pdf("plan.pdf")]}
    )
    question = Question.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "question_detail", args=[question.pk]
    )
    confirm = client.get(response["Location"]).content.decode()
    assert "（確認）" in confirm and VALUES["body"] in confirm
    assert "guide.pdf" in confirm and "plan.pdf" in confirm
    assert question.state == S.DRAFT and not workflow.receipt_number(question)
    # 修正する: the draft again, one attachment dropped.
    first = question.attachments.get(name="guide.pdf")
    client.post(
        reverse("question_edit", args=[question.pk]),
        {**VALUES, "page": "P39", "remove": [first.pk]},
    )
    question.refresh_from_db()
    assert question.page == "P39" and [a.name for a in question.attachments.all()] == ["plan.pdf"]
    client.post(reverse("question_submit", args=[question.pk]))
    question.refresh_from_db()
    assert question.state == S.ASKED
    page = client.get(reverse("question_detail", args=[question.pk])).content.decode()
    assert workflow.receipt_number(question) in page and "回答の予定日" in page


def test_w5_refusals_name_the_field_and_keep_what_was_typed(client, provider_a, staff_a):
    client_for(client, staff_a)
    response = client.post(
        reverse("question_create"),
        {**VALUES, "subcategory": "", "attachments": [SimpleUploadedFile("x.exe", b"MZ")]},
    )
    html = response.content.decode()
    assert response.status_code == 200 and not Question.objects.exists()
    assert VALUES["body"] in html  # nothing typed is lost
    assert "「添付ファイル」はPDF・Word・Excel・PowerPoint" in html
    with pytest.raises(ValidationError) as refused:
        questions.save_draft(provider_a, staff_a, {**VALUES, "subcategory": ""})
    assert "項目「実施講座」の詳細を選択してください。" in str(refused.value)
    with pytest.raises(ValidationError, match="その内容を入力してください"):
        questions.save_draft(provider_a, staff_a, {**VALUES, "category": QuestionCategory.OTHER})
    with pytest.raises(ValidationError, match="質問内容"):
        questions.save_draft(provider_a, staff_a, {**VALUES, "body": " "})
    with pytest.raises(ValidationError, match="5件まで"):
        questions.save_draft(provider_a, staff_a, VALUES, [pdf(f"{i}.pdf") for i in range(6)])


# --- the thread ---------------------------------------------------------------------------


def test_w5_thread_answer_follow_up_request_and_reply_in_time_order(
    provider_a, staff_a, reviewer, django_capture_on_commit_callbacks
):
    question = asked(provider_a, staff_a)
    t = FRIDAY_BEFORE_GOLDEN_WEEK
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        questions.answer_question(question.pk, reviewer, "追加できます。", now=t.replace(day=7))
    question.refresh_from_db()
    assert question.state == S.ANSWERED and question.due_on is None
    (answered,) = mail.outbox
    assert answered.to == [staff_a.email] and "追加できます。" in answered.body
    # A follow-up reopens it, due 3 business days after the follow-up.
    questions.follow_up(question.pk, staff_a, "開講日の前日でも同じですか。", now=t.replace(day=8))
    question.refresh_from_db()
    assert question.state == S.ASKED and question.due_on == datetime.date(2025, 5, 13)
    questions.request_info(question.pk, reviewer, "どの講座ですか。", now=t.replace(day=9))
    question.refresh_from_db()
    assert question.state == S.INFO_REQUESTED and question.due_on is None
    questions.reply(question.pk, staff_a, "99991-021です。", [pdf()], now=t.replace(day=12))
    question.refresh_from_db()
    assert question.state == S.ASKED and question.due_on == datetime.date(2025, 5, 15)
    questions.answer_question(question.pk, reviewer, "同じです。", now=t.replace(day=13))
    questions.close_question(question.pk, staff_a, "解決しました。", now=t.replace(day=14))
    question.refresh_from_db()
    assert question.state == S.RESOLVED
    thread = list(questions.thread(question))
    assert [m.body for m in thread] == [
        "追加できます。", "開講日の前日でも同じですか。", "どの講座ですか。",
        "99991-021です。", "同じです。", "解決しました。",
    ]  # fmt: skip
    assert [m.from_ipa for m in thread] == [True, False, True, False, True, False]
    assert thread[3].attachments.get().name == "guide.pdf"
    with pytest.raises(workflow.TransitionError, match="終了"):
        questions.follow_up(question.pk, staff_a, "もう一つ")


def test_w5_ipa_ends_an_answered_question_and_the_asker_is_told(
    provider_a, staff_a, reviewer, django_capture_on_commit_callbacks
):
    question = asked(provider_a, staff_a)
    questions.answer_question(question.pk, reviewer, "追加できます。")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        questions.end_question(question.pk, reviewer)
    question.refresh_from_db()
    assert question.state == S.RESOLVED
    assert [m.to for m in mail.outbox] == [[staff_a.email]]


def test_w5_the_thread_pages_show_the_messages_and_the_answer_form(
    client, provider_a, staff_a, reviewer
):
    question = asked(provider_a, staff_a)
    client_for(client, reviewer)
    page = client.get(reverse("question_review_detail", args=[question.pk])).content.decode()
    assert 'id="answer-form"' in page and VALUES["body"] in page
    response = client.post(
        reverse("question_answer", args=[question.pk]), {"body": "", "step": "answer"}
    )
    assert "「本文」を入力してください。" in response.content.decode()
    client.post(reverse("question_answer", args=[question.pk]), {"body": "追加できます。"})
    question.refresh_from_db()
    assert question.state == S.ANSWERED
    client_for(client, staff_a)
    page = client.get(reverse("question_detail", args=[question.pk])).content.decode()
    assert "追加できます。" in page and "追加で質問する" in page
    client.post(reverse("question_message", args=[question.pk]), {"body": "もう一点あります。"})
    question.refresh_from_db()
    assert question.state == S.ASKED


# --- isolation and permissions --------------------------------------------------------------


def test_w5_another_providers_question_is_404_and_never_listed(
    client, provider_a, staff_a, provider_b, staff_b
):
    question = asked(provider_a, staff_a)
    client_for(client, staff_b)
    for name in ("question_detail", "question_edit"):
        assert client.get(reverse(name, args=[question.pk])).status_code == 404
    for name in ("question_submit", "question_message", "question_close"):
        assert client.post(reverse(name, args=[question.pk]), {"body": "x"}).status_code == 404
    assert VALUES["body"] not in client.get(reverse("question_list")).content.decode()
    with pytest.raises(PermissionDenied):
        questions.follow_up(question.pk, staff_b, "他社の質問に追加")
    assert list(Question.objects.for_user(staff_b)) == []


def test_w5_only_reviewers_answer(client, provider_a, staff_a, reviewer, ipa_admin):
    question = asked(provider_a, staff_a)
    for user in (staff_a, ipa_admin):
        with pytest.raises(PermissionDenied):
            questions.answer_question(question.pk, user, "回答")
    client_for(client, ipa_admin)  # administrators read, reviewers answer
    assert client.get(reverse("question_review_detail", args=[question.pk])).status_code == 200
    assert (
        client.post(reverse("question_answer", args=[question.pk]), {"body": "x"}).status_code
        == 403
    )
    question.refresh_from_db()
    assert question.state == S.ASKED


def test_w5_ipa_does_not_see_drafts(client, provider_a, staff_a, reviewer):
    draft = questions.save_draft(provider_a, staff_a, VALUES)
    client_for(client, reviewer)
    assert client.get(reverse("question_review_detail", args=[draft.pk])).status_code == 404
    assert (
        VALUES["body"]
        not in client.get(reverse("question_review_list") + "?state=all").content.decode()
    )


def test_w5_attachments_are_served_to_the_provider_and_ipa_and_audited(
    client, provider_a, staff_a, staff_b, reviewer
):
    draft = questions.save_draft(provider_a, staff_a, VALUES, [pdf()])
    question = questions.submit_question(draft.pk, staff_a)
    attachment = question.attachments.get()
    url = reverse("question_attachment", args=[question.pk, attachment.pk])
    client_for(client, staff_b)
    assert client.get(url).status_code == 404
    client_for(client, reviewer)
    response = client.get(url)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert (
        audit.entries_for(question)
        .filter(action="question.attachment_download", actor=reviewer)
        .exists()
    )


# --- the IPA list (W2's inbox reads waiting_questions) -------------------------------------------


def _many(provider, staff, n, due_on):
    Question.objects.bulk_create(
        Question(provider=provider, provider_number=provider.number, asked_by=staff,
                 category=QuestionCategory.OTHER, category_other=f"その他{i}", body=f"質問{i}",
                 state=S.ASKED, due_on=due_on, waiting_since=FRIDAY_BEFORE_GOLDEN_WEEK)
        for i in range(n)
    )  # fmt: skip


def test_w5_waiting_questions_earliest_due_first_and_overdue_marked(
    client, provider_a, staff_a, provider_b, staff_b, reviewer
):
    later = asked(provider_a, staff_a, now=FRIDAY_BEFORE_GOLDEN_WEEK.replace(month=6))
    early = asked(provider_b, staff_b)
    answered = asked(provider_a, staff_a)
    questions.answer_question(answered.pk, reviewer, "回答")
    waiting = list(questions.waiting_questions())
    assert [q.pk for q in waiting] == [early.pk, later.pk]
    assert waiting[0].due_on == datetime.date(2025, 5, 9)
    client_for(client, reviewer)
    page = client.get(reverse("question_review_list")).content.decode()
    assert "overdue-row" in page and "日超過" in page  # today is long after May 2025
    assert page.index(workflow.receipt_number(early)) < page.index(workflow.receipt_number(later))


@pytest.mark.parametrize("who", ["staff_a", "reviewer"])
def test_w5_question_lists_keep_a_constant_number_of_queries(
    client, provider_a, staff_a, reviewer, who, django_assert_max_num_queries
):
    user = {"staff_a": staff_a, "reviewer": reviewer}[who]
    url = reverse("question_list" if who == "staff_a" else "question_review_list")
    client_for(client, user)
    _many(provider_a, staff_a, 3, datetime.date(2025, 5, 9))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _many(provider_a, staff_a, 120, datetime.date(2025, 5, 9))
    with django_assert_max_num_queries(len(few)):
        response = client.get(url)
    html = response.content.decode()
    assert "1 / 3" in html  # 50 a page
    assert html.count("その他（その他") == 50


# --- the print (別紙15) ----------------------------------------------------------------------


def test_w5_question_prints_like_bessi_15_with_the_question_and_provider_number(
    provider_a, staff_a, reviewer
):
    question = asked(provider_a, staff_a)
    questions.answer_question(question.pk, reviewer, "追加できます。")
    doc = documents.get("shitsumonsho")
    assert doc.can_download(staff_a, question) and doc.can_download(reviewer, question)
    data = doc.render(question)
    assert data.startswith(b"%PDF")
    text = _pdftotext(data)
    assert "質問書" in text and "20001" in text and provider_a.name in text
    assert VALUES["body"] in text.replace(" ", "")
    assert "■ 実施講座" in text and "■ 追加" in text and "□ 削除" in text
    assert "追加できます。" in text and workflow.receipt_number(question) in text
    assert "1 枚中 1 枚目" in text
    assert doc.filename(question).startswith("(20001)質問書_")


def test_w5_the_print_is_downloaded_through_the_document_registry(
    client, provider_a, staff_a, staff_b, django_capture_on_commit_callbacks
):
    question = asked(provider_a, staff_a)
    client_for(client, staff_a)
    page = client.get(reverse("question_detail", args=[question.pk])).content.decode()
    assert 'data-doc="shitsumonsho"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("document_request", args=["shitsumonsho", question.pk]))
    assert response.status_code == 302
    from portal.models import GeneratedDocument

    generated = GeneratedDocument.objects.get(doc_type="shitsumonsho")
    assert generated.status == "done" and generated.filename.startswith("(20001)質問書_")
    download = client.get(reverse("document_download", args=[generated.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    client_for(client, staff_b)
    refused = client.post(reverse("document_request", args=["shitsumonsho", question.pk]))
    assert refused.status_code == 404


# --- the help page (I4/I5, M§12.2, M§13.1) ---------------------------------------------------


def test_i4_help_page_is_public_with_the_manuals_qa_by_topic_and_ipas_contact(client):
    response = client.get(reverse("help"))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("12.2.1 申請者情報の登録", "12.2.7 修了試験の申込み", "12.2.13 その他",
                 "修了試験の応募者は、0人でした。何か手続きは必要でしょうか。", "手続きは不要です。",
                 "〒113-8663", "文京グリーンコートセンターオフィス 15 階",
                 "国家資格・試験部 実施グループ 講座担当", "jitec-kouza@ipa.go.jp",
                 "件名の最初に講座開設者番号を記載してください。"):  # fmt: skip
        assert text in html, text
    assert html.count("<dt>") >= 30


def test_i4_help_is_linked_from_the_navigation_and_footer(client, staff_a):
    assert reverse("help") in client.get(reverse("login")).content.decode()
    client_for(client, staff_a)
    home = client.get(reverse("question_list")).content.decode()
    assert f'href="{reverse("help")}"' in home
    assert "質問書を作成する" in client.get(reverse("help")).content.decode()


def test_w5_the_answer_goes_to_the_contact_when_the_asker_left_the_provider(
    provider_a, staff_a, reviewer, django_capture_on_commit_callbacks
):
    from .factories import MembershipFactory

    colleague = MembershipFactory(provider=provider_a, user__email="kyoumu@a.example.jp")
    question = asked(provider_a, colleague.user)
    colleague.active = False
    colleague.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        questions.answer_question(question.pk, reviewer, "追加できます。")
    assert [m.to for m in mail.outbox] == [[provider_a.contact_email]]
    assert Notice.objects.filter(recipient=staff_a, subject__contains="回答").exists()


def test_w2_w5_a_waiting_question_is_in_ipas_inbox_with_its_due_date(
    client, provider_a, staff_a, reviewer
):
    question = asked(provider_a, staff_a)
    client_for(client, reviewer)
    page = client.get(reverse("inbox"), {"kind": "question"}).content.decode()
    assert workflow.receipt_number(question) in page or question.summary in page
    assert reverse("question_review_detail", args=[question.pk]) in page
    assert "2025/05/09" in page or "2025年5月9日" in page  # W5: its due date
