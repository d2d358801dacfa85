"""Issue 9, item 6 (E2, F1, F3; M§5.7 (11), figure 5.7-2): the provider
withdraws an exam application (問題提供情報の削除) until the application close,
15:00:00 of the closing day — an unpaid problem fee is cancelled, a paid one
is never refunded; and METI/IPA cancel an exam (試験中止): its applications
end, its paid problem fees become refundable — the only refund the scheme
knows — the unpaid ones are cancelled, and nothing can be applied for or
reported for it any more."""

import datetime
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from calendars.models import ExamSession
from exams import services
from exams.models import ExamApplication
from fees import services as fee_services
from fees.models import FeeLine
from portal.models import AuditEntry

from .course_factories import certified_course
from .test_exams_services import DEC, IN_APPLY, ROLES, at, setup  # noqa: F401

pytestmark = pytest.mark.django_db
D = datetime.date
CLOSE = at(2024, 11, 13, 15, 0, 0)  # the application close of the 2024-12-08 exam
JUST_BEFORE = at(2024, 11, 13, 14, 59, 59)
REASON = "台風の接近により経済産業省・IPAが中止を決定"
DECIDED = D(2024, 12, 5)


def _apply(site, delivery, staff, applicants=20, now=IN_APPLY):
    services.save_application(site.pk, staff, delivery.pk, applicants, now=now)
    return services.submit_applications(site.pk, staff, now=now)[-1]


def _put_on_form(line, staff):
    return fee_services.create_payment_request(
        line.provider, staff, [line.pk],
        {"payment_date": D(2024, 11, 11), "bank": "銀行", "payer_name_kana": f"{line.provider.number}エー"},
    )  # fmt: skip


def _pay(line, staff, reviewer):
    request = _put_on_form(line, staff)
    fee_services.confirm_payment(request.pk, reviewer, D(2024, 11, 12))
    return request


def _line(application) -> FeeLine:
    return FeeLine.objects.select_related("payment_request").get(pk=application.fee_line_id)


# Withdrawal before the close (問題提供情報の削除) ---------------------------------------


def test_e2_withdrawal_before_the_close_ends_the_application_and_cancels_the_unpaid_fee(
    setup,  # noqa: F811
    staff_a,
    provider_a,
    reviewer,
    client,
    django_capture_on_commit_callbacks,
):
    application = _apply(setup["site"], setup["delivery"], staff_a)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw_application(application.pk, staff_a, now=IN_APPLY)
    application.refresh_from_db()
    assert application.state == ExamApplication.S.WITHDRAWN
    line = _line(application)
    assert line.status_label == "取消" and "取り下げたため" in line.cancel_reason
    assert not FeeLine.objects.unpaid().exists()  # nothing left to pay
    # One audit entry of the move, one of the cancelled fee.
    entry = AuditEntry.objects.get(action="exam_application.withdraw")
    assert entry.changes["state"] == ["submitted", "withdrawn"]
    assert AuditEntry.objects.filter(action="fee_line.cancel", object_id=str(line.pk)).exists()
    # IPA (it has seen the application) and the contact are told, with the fee.
    sent = {m.to[0]: m for m in mail.outbox}
    ipa = sent[settings.IPA_NOTICE_EMAIL]
    assert application.number in ipa.subject and "取り下げられました" in ipa.subject
    contact = sent[provider_a.contact_email]
    assert "【取下げ】" in contact.subject
    assert "未払いの問題提供料 40,000円 は取り消しました" in contact.body
    # The provider's fee page shows it as cancelled, not owed.
    client.force_login(staff_a)
    page = client.get(reverse("fee_list")).content.decode()
    assert "未払いの手数料はありません" in page and "取消" in page
    session_page = client.get(reverse("exam_session", args=[setup["session"].pk])).content.decode()
    assert "取下げ" in session_page


def test_e2_a_paid_problem_fee_stays_paid_after_withdrawal_and_is_never_refunded(
    setup,  # noqa: F811
    staff_a,
    provider_a,
    reviewer,
    client,
    django_capture_on_commit_callbacks,
):
    application = _apply(setup["site"], setup["delivery"], staff_a)
    _pay(_line(application), staff_a, reviewer)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw_application(application.pk, staff_a, now=IN_APPLY)
    line = _line(application)
    assert line.cancelled_on is None and line.refundable_since is None
    assert line.status_label == "入金確認済み" and not line.is_refundable
    contact = next(m for m in mail.outbox if m.to == [provider_a.contact_email])
    assert "入金済みの問題提供料 40,000円 は返金されず" in contact.body
    assert "次回以降の修了試験にも充当できません" in contact.body
    client.force_login(staff_a)
    page = client.get(reverse("fee_list")).content.decode()
    assert "入金確認済み" in page
    assert FeeLine.REFUNDABLE_LABEL not in page.split("手数料の履歴")[1].split("</table>")[0]


def test_e2_withdrawal_refused_from_15_00_00_of_the_closing_day_one_second_before_works(
    setup,  # noqa: F811
    staff_a,
):
    application = _apply(setup["site"], setup["delivery"], staff_a)
    with pytest.raises(services.ExamStateError, match="2024年11月13日 15:00に締め切りました"):
        services.withdraw_application(application.pk, staff_a, now=CLOSE)
    application.refresh_from_db()
    assert application.state == ExamApplication.S.SUBMITTED
    assert _line(application).cancelled_on is None  # nothing half-done
    services.withdraw_application(application.pk, staff_a, now=JUST_BEFORE)
    application.refresh_from_db()
    assert application.state == ExamApplication.S.WITHDRAWN


def test_e2_a_withdrawn_course_may_apply_again_before_the_close(setup, staff_a):  # noqa: F811
    first = _apply(setup["site"], setup["delivery"], staff_a, applicants=20)
    services.withdraw_application(first.pk, staff_a, now=IN_APPLY)
    again = _apply(setup["site"], setup["delivery"], staff_a, applicants=12)
    assert again.pk != first.pk and again.state == ExamApplication.S.SUBMITTED
    assert _line(again).amount == 24000 and _line(first).status_label == "取消"
    # A live application stays one per course and exam.
    with pytest.raises(services.ExamStateError, match="既に申し込み済み"):
        services.save_application(setup["site"].pk, staff_a, setup["delivery"].pk, 3, now=IN_APPLY)


def test_e2_withdraw_page_names_the_exam_and_the_fee_and_refuses_after_the_close(
    setup,  # noqa: F811
    staff_a,
    client,
):
    application = _apply(setup["site"], setup["delivery"], staff_a)
    url = reverse("application_withdraw", args=[application.pk])
    with mock.patch("django.utils.timezone.now", return_value=IN_APPLY):
        client.force_login(staff_a)
        session_page = client.get(reverse("exam_session", args=[setup["session"].pk]))
        assert url in session_page.content.decode()  # offered while the window is open
        page = client.get(url).content.decode()
    assert "2024年12月8日（日）の修了試験" in page and application.number in page
    assert "未払いの問題提供料 40,000円 は取り消されます" in page
    assert "返金できず" in page and "問題提供情報の削除" in page
    confirm = page.split('id="withdraw-submit" data-confirm="')[1].split('"')[0]
    assert "2024年12月8日の修了試験" in confirm and application.site.exam_site in confirm
    assert "取り消されます" in confirm and confirm.endswith("よろしいですか？")
    with mock.patch("django.utils.timezone.now", return_value=CLOSE):
        client.force_login(staff_a)  # days later: a new sign-in (idle timeout)
        assert (
            url
            not in client.get(reverse("exam_session", args=[setup["session"].pk])).content.decode()
        )
        refused = client.get(url).content.decode()
        assert "15:00に締め切りました" in refused and 'id="withdraw-submit"' not in refused
        response = client.post(url, follow=True)
    assert "締め切りました" in response.content.decode()
    application.refresh_from_db()
    assert application.state == ExamApplication.S.SUBMITTED
    with mock.patch("django.utils.timezone.now", return_value=JUST_BEFORE):
        client.force_login(staff_a)
        response = client.post(url, follow=True)
    assert (
        "申込みを取り下げました。未払いの問題提供料 40,000円 は取り消しました"
        in response.content.decode()
    )
    application.refresh_from_db()
    assert application.state == ExamApplication.S.WITHDRAWN


def test_e2_a_draft_application_is_simply_deleted_a_filed_one_is_not(
    setup,  # noqa: F811
    staff_a,
    staff_b,
    client,
):
    draft = services.save_application(
        setup["site"].pk, staff_a, setup["delivery"].pk, 5, now=IN_APPLY
    )
    url = reverse("application_delete", args=[draft.pk])
    client.force_login(staff_b)
    assert client.post(url).status_code == 404  # another provider's: as if missing
    client.force_login(staff_a)
    response = client.post(url, follow=True)
    assert "一時保存した申込みを削除しました" in response.content.decode()
    assert not ExamApplication.objects.filter(pk=draft.pk).exists()
    assert AuditEntry.objects.filter(action="exam_application.delete").exists()
    filed = _apply(setup["site"], setup["delivery"], staff_a)
    response = client.post(reverse("application_delete", args=[filed.pk]), follow=True)
    assert "取り下げてください" in response.content.decode()
    assert ExamApplication.objects.filter(pk=filed.pk).exists()


# Exam cancellation by METI/IPA (試験中止) --------------------------------------------


@pytest.fixture
def applied(setup, provider_a, staff_a, provider_b, staff_b, reviewer):  # noqa: F811
    """Three applications for the 2024-12-08 exam: provider A's paid one and
    one on a 入金確認依頼票 IPA has not confirmed yet; provider B's unpaid one."""
    session = setup["session"]
    provider_b.contact_email = "contact@b.example.jp"  # the factory gives both one address
    provider_b.save(update_fields=["contact_email"])
    paid = _apply(setup["site"], setup["delivery"], staff_a, applicants=20)
    _pay(_line(paid), staff_a, reviewer)
    second = certified_course(provider_a, staff_a, reviewer).delivery_courses.get()
    waiting = _apply(setup["site"], second, staff_a, applicants=5)
    _put_on_form(_line(waiting), staff_a)
    b_delivery = certified_course(provider_b, staff_b, reviewer).delivery_courses.get()
    b_site = services.save_site(provider_b, staff_b, session.pk, ROLES, now=IN_APPLY)
    unpaid = _apply(b_site, b_delivery, staff_b, applicants=3)
    return {"session": session, "paid": paid, "waiting": waiting, "unpaid": unpaid,
            "b_site": b_site}  # fmt: skip


def test_e2_cancellation_ends_every_application_and_makes_paid_fees_refundable(
    applied,
    ipa_admin,
    reviewer,
    provider_a,
    provider_b,
    staff_a,
    django_capture_on_commit_callbacks,
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = services.cancel_session(applied["session"].pk, ipa_admin, DECIDED, REASON)
    sent = list(mail.outbox)
    assert len(result.applications) == 3 and len(result.providers) == 2
    session = ExamSession.objects.get(pk=applied["session"].pk)
    assert session.is_cancelled and session.cancellation_reason == REASON
    assert session.cancelled_by == ipa_admin
    for key in ("paid", "waiting", "unpaid"):
        application = ExamApplication.objects.get(pk=applied[key].pk)
        assert application.state == ExamApplication.S.CANCELLED
        # One audit entry each, with its own old and new state.
        (entry,) = AuditEntry.objects.filter(
            action="exam_application.cancel", object_id=str(application.pk)
        )
        assert entry.changes["state"] == ["submitted", "exam_cancelled"]
        assert entry.actor == ipa_admin and entry.note == REASON
    assert AuditEntry.objects.filter(action="exam_session.cancel").count() == 1
    # The paid fee is refundable (返金対象), the one on a form becomes so once
    # IPA confirms the money, the unpaid one is cancelled.
    paid = _line(applied["paid"])
    assert paid.is_refundable and paid.status_label == "返金対象（試験中止）"
    assert REASON in paid.refund_reason and paid in FeeLine.objects.refundable()
    waiting = _line(applied["waiting"])
    assert waiting.refundable_since and not waiting.is_refundable
    assert (
        waiting.status_label == "入金確認待ち"
        and "入金が確認されれば返金対象" in waiting.refund_note
    )
    fee_services.confirm_payment(waiting.payment_request_id, reviewer, D(2024, 12, 6))
    assert _line(applied["waiting"]).status_label == "返金対象（試験中止）"
    unpaid = _line(applied["unpaid"])
    assert unpaid.status_label == "取消" and not unpaid.is_refundable
    # One notice per provider, naming every application of it.
    to_a = [m for m in sent if provider_a.contact_email in m.to]
    to_b = [m for m in sent if provider_b.contact_email in m.to]
    assert len(to_a) == 1 and len(to_b) == 1
    assert "【試験中止】" in to_a[0].subject and "ほか1件" in to_a[0].subject
    assert applied["paid"].number in to_a[0].body and applied["waiting"].number in to_a[0].body
    assert REASON in to_a[0].body and "返金の対象" in to_a[0].body
    assert "お振り込みは不要" in to_b[0].body
    assert applied["paid"].number not in to_b[0].body


def test_e2_cancelled_exam_shows_refundable_fees_on_the_provider_and_ipa_pages(
    applied, ipa_admin, reviewer, staff_a, client
):
    services.cancel_session(applied["session"].pk, ipa_admin, DECIDED, REASON)
    client.force_login(staff_a)
    fees = client.get(reverse("fee_list")).content.decode()
    history = fees.split("手数料の履歴")[1]
    assert "返金対象（試験中止）" in history and REASON in history
    calendar = client.get(reverse("exam_calendar")).content.decode()
    row = calendar.split(">2024年12月8日")[1].split("</tr>")[0]
    assert "中止" in row and REASON in row and "中止のため申込みできません" in row
    page = client.get(reverse("exam_session", args=[applied["session"].pk])).content.decode()
    assert 'id="session-cancelled"' in page and REASON in page and "試験中止" in page
    assert "結果を報告する" not in page
    for user in (reviewer, ipa_admin):
        client.force_login(user)
        queue = client.get(reverse("review_payments") + "?status=refund").content.decode()
        assert "返金対象（試験中止）" in queue and REASON in queue
        assert f"#{_line(applied['paid']).payment_request_id}" in queue
        ipa = client.get(reverse("review_exam_session", args=[applied["session"].pk]))
        text = ipa.content.decode()
        assert 'id="session-cancelled"' in text and "返金対象（試験中止）" in text
        assert 'id="refund-total">40,000<' in text  # the paid 20 applicants
        exams = client.get(reverse("review_exams")).content.decode()
        assert "中止" in exams.split(">2024年12月8日")[1].split("</tr>")[0]


def test_e2_nothing_can_be_applied_for_or_reported_for_a_cancelled_exam(
    applied, ipa_admin, staff_a, staff_b, provider_b, client
):
    services.cancel_session(applied["session"].pk, ipa_admin, DECIDED, REASON)
    # A new application (or its draft, or a new site) is refused, saying why.
    with pytest.raises(services.ExamStateError, match="中止"):
        services.save_application(
            applied["b_site"].pk, staff_b, applied["unpaid"].delivery_course_id, 3, now=IN_APPLY
        )
    with pytest.raises(services.ExamStateError, match="中止"):
        services.save_site(provider_b, staff_b, applied["session"].pk, ROLES, now=IN_APPLY)
    with pytest.raises(services.ExamStateError):
        services.change_applicants(applied["unpaid"].pk, staff_b, 4, now=IN_APPLY)
    session = ExamSession.objects.get(pk=applied["session"].pk)
    blockers = services.application_blockers(provider_b, session, now=IN_APPLY)
    assert len(blockers) == 1 and "中止が決定されました" in blockers[0].text
    # No report can be opened for it, even on the exam day.
    with pytest.raises(services.ExamStateError, match="結果は報告できません"):
        services.open_report(applied["paid"].pk, staff_a, now=at(2024, 12, 9, 10, 0))
    client.force_login(staff_a)
    response = client.post(reverse("report_open", args=[applied["paid"].pk]), follow=True)
    assert "結果は報告できません" in response.content.decode()


def test_e2_an_unpaid_fee_whose_form_is_returned_after_the_cancellation_is_cancelled(
    applied, ipa_admin, reviewer
):
    services.cancel_session(applied["session"].pk, ipa_admin, DECIDED, REASON)
    waiting = _line(applied["waiting"])
    fee_services.return_payment_request(waiting.payment_request_id, reviewer, "入金がありません。")
    waiting = _line(applied["waiting"])
    assert waiting.status_label == "取消" and "中止されたため" in waiting.cancel_reason
    assert not waiting.is_refundable


def test_e2_the_admin_records_a_cancellation_through_input_confirmation_and_completion(
    applied, ipa_admin, client
):
    client.force_login(ipa_admin)
    session = applied["session"]
    url = reverse("review_session_cancel", args=[session.pk])
    assert url in client.get(reverse("review_exam_session", args=[session.pk])).content.decode()
    form = client.get(url).content.decode()
    assert "中止の決定日" in form and "中止の理由" in form
    # A missing reason is refused beside its field, with the date kept.
    refused = client.post(url, {"cancelled_on": "2024-12-05", "cancellation_reason": " "})
    text = refused.content.decode()
    assert "「中止の理由」を入力してください。" in text and 'value="2024-12-05"' in text
    # The confirmation page shows what will happen; nothing is recorded yet.
    confirm = client.post(url, {"cancelled_on": "2024-12-05", "cancellation_reason": REASON})
    text = confirm.content.decode()
    assert 'id="cancel-confirm"' in text and REASON in text and "2024年12月5日" in text
    preview = text.split('id="cancel-preview"')[1].split("</table>")[0]
    assert (
        "3件（講座開設者 2者）" in preview
        and "2件・50,000円" in preview
        and "1件・6,000円" in preview
    )
    assert not ExamSession.objects.get(pk=session.pk).is_cancelled
    # Back to the input keeps what was typed.
    back = client.post(
        url,
        {
            "cancelled_on": "2024-12-05",
            "cancellation_reason": REASON,
            "step": "commit",
            "back": "1",
        },
    )
    assert (
        REASON in back.content.decode() and not ExamSession.objects.get(pk=session.pk).is_cancelled
    )
    done = client.post(
        url, {"cancelled_on": "2024-12-05", "cancellation_reason": REASON, "step": "commit"}, follow=True
    )  # fmt: skip
    assert (
        "中止として記録しました" in done.content.decode()
        and "申込み3件を終了" in done.content.decode()
    )
    assert ExamSession.objects.get(pk=session.pk).is_cancelled
    # Twice is refused.
    again = client.get(url).content.decode()
    assert "既に中止として記録されています" in again and 'id="cancel-next"' not in again


def test_e2_a_reviewer_who_is_no_admin_cannot_cancel_an_exam(applied, reviewer, client):
    session = applied["session"]
    with pytest.raises(PermissionDenied):
        services.cancel_session(session.pk, reviewer, DECIDED, REASON)
    client.force_login(reviewer)
    url = reverse("review_session_cancel", args=[session.pk])
    assert client.get(url).status_code == 403
    response = client.post(
        url, {"cancelled_on": "2024-12-05", "cancellation_reason": REASON, "step": "commit"}
    )
    assert response.status_code == 403
    assert url not in client.get(reverse("review_exam_session", args=[session.pk])).content.decode()
    assert not ExamSession.objects.get(pk=session.pk).is_cancelled
    assert ExamApplication.objects.filter(state=ExamApplication.S.SUBMITTED).count() == 3


def test_e2_cancellation_is_refused_for_a_future_date_a_held_exam_and_all_or_nothing(
    applied, ipa_admin, staff_a
):
    session = applied["session"]
    with pytest.raises(ValidationError, match="修了試験日"):
        services.cancel_session(session.pk, ipa_admin, D(2024, 12, 9), REASON)
    with pytest.raises(ValidationError, match="未来の日付"):
        services.cancel_session(session.pk, ipa_admin, D(2999, 1, 1), REASON)
    # Half-way failure (the notice of the last application) leaves everything as it was.
    real, calls = services.transition, []

    def failing_second(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == 2:
            raise RuntimeError("down")
        return real(*args, **kwargs)

    with (
        mock.patch("exams.services.transition", side_effect=failing_second),
        pytest.raises(RuntimeError),
    ):
        services.cancel_session(session.pk, ipa_admin, DECIDED, REASON)
    assert len(calls) == 2
    assert not ExamSession.objects.get(pk=session.pk).is_cancelled
    assert not FeeLine.objects.filter(refundable_since__isnull=False).exists()
    assert ExamApplication.objects.filter(state=ExamApplication.S.SUBMITTED).count() == 3
    # A held exam (its results being reported) cannot be cancelled.
    services.open_report(applied["paid"].pk, staff_a, now=at(2024, 12, 9, 10, 0))
    with pytest.raises(ValidationError, match="実施済み"):
        services.cancel_session(session.pk, ipa_admin, DECIDED, REASON)


def test_e2_cancellation_pages_cost_the_same_queries_with_more_applications(
    setup,  # noqa: F811
    provider_a,
    staff_a,
    provider_b,
    staff_b,
    reviewer,
    ipa_admin,
    client,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    session = setup["session"]
    _pay(_line(_apply(setup["site"], setup["delivery"], staff_a)), staff_a, reviewer)
    client.force_login(ipa_admin)
    urls = [
        reverse("review_session_cancel", args=[session.pk]),
        reverse("review_exam_session", args=[session.pk]),
    ]

    def costs():
        found = {}
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found[url] = len(queries)
        return found

    before = costs()
    second = certified_course(provider_a, staff_a, reviewer).delivery_courses.get()
    _put_on_form(_line(_apply(setup["site"], second, staff_a, applicants=5)), staff_a)
    b_delivery = certified_course(provider_b, staff_b, reviewer).delivery_courses.get()
    b_site = services.save_site(provider_b, staff_b, session.pk, ROLES, now=IN_APPLY)
    _apply(b_site, b_delivery, staff_b, applicants=3)
    after = costs()
    assert all(after[url] <= before[url] for url in urls), (before, after)
    services.cancel_session(session.pk, ipa_admin, DECIDED, REASON)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(urls[1]).content.decode()
    assert len(queries) <= before[urls[1]] and "返金対象（試験中止）" in page
