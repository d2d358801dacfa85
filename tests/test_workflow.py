"""The declared life cycles (portal.workflow): every transition of every
registered workflow is walked through its domain service and must send its
notice (e-mail and in-app list), write its audit entry with the old and new
state, and refuse a bad move with a Japanese message."""

import datetime
import smtplib
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from calendars.models import ExamSession
from certifications import services as completer_services
from courses import services as course_services
from courses.models import DeliveryCourse, ExemptionCourse
from exams import services
from exams.models import ExamApplication, ResultReport
from portal import audit, workflow
from portal.models import Notice
from providers.models import Registration

from .conftest import client_for
from .factories import PASSWORD, UserFactory, registration_values
from .test_exams_services import (  # noqa: F401
    IN_APPLY,
    IN_REPORT,
    PERSON,
    _pay_on,
    _report,
    setup,
)

pytestmark = pytest.mark.django_db
CLOSING_DAY = datetime.date(2024, 11, 13)  # the problem fee paid in time


# How to bring each filing kind into a state and make a move through its own
# service. A workflow registered without an entry here fails
# test_every_registered_workflow_is_walked.
def _report_in(state, ctx):
    staff, reviewer = ctx["staff_a"], ctx["reviewer"]
    report = _report(ctx["setup"], staff)
    completer_services.add_completer(report.pk, staff, PERSON)
    services.update_report(report.pk, staff, {"consent_confirmed": True})
    if state in ("submitted", "returned", "accepted"):
        services.submit_report(report.pk, staff, now=IN_REPORT)
    if state == "returned":
        services.decide_report(report.pk, reviewer, accept=False, reason="点数を確認してください。")
    if state == "accepted":
        _pay_on(report, staff, reviewer, CLOSING_DAY)
        services.decide_report(report.pk, reviewer, accept=True)
    return ResultReport.objects.get(pk=report.pk)


def _report_move(action, report, ctx):
    if action == "submit":
        services.submit_report(report.pk, ctx["staff_a"], now=IN_REPORT)
        return ctx["staff_a"]
    if action == "accept":
        _pay_on(report, ctx["staff_a"], ctx["reviewer"], CLOSING_DAY)
    services.decide_report(
        report.pk, ctx["reviewer"], accept=action == "accept", reason="点数を確認してください。"
    )
    return ctx["reviewer"]


def _application_in(state, ctx):
    site, delivery, staff = ctx["setup"]["site"], ctx["setup"]["delivery"], ctx["staff_a"]
    application = services.save_application(site.pk, staff, delivery.pk, 20, now=IN_APPLY)
    if state == "submitted":
        services.submit_applications(site.pk, staff, now=IN_APPLY)
    return ExamApplication.objects.get(pk=application.pk)


def _application_move(action, application, ctx):
    if action == "withdraw":  # E2: before the close
        services.withdraw_application(application.pk, ctx["staff_a"], now=IN_APPLY)
        return ctx["staff_a"]
    if action == "end_by_change":  # D6: a change request drops the applied exam
        from providers import changes

        delivery = application.delivery_course
        jan = ExamSession.objects.get(exam_date=datetime.date(2025, 1, 26))
        with mock.patch(
            "django.utils.timezone.localdate", return_value=datetime.date(2024, 11, 20)
        ):
            draft = changes.save_draft(
                "delivery_course", delivery, ctx["staff_a"],
                {"exams": {"upper_1": {"kind": "ipa", "session": jan.pk, "vendor_date": None}}},
            )  # fmt: skip
            changes.submit_change(draft.pk, ctx["staff_a"])
            changes.approve_change(draft.pk, ctx["reviewer"])
        return ctx["reviewer"]
    if action == "cancel":  # E2: METI/IPA cancel the exam
        services.cancel_session(
            application.session_id, ctx["ipa_admin"], datetime.date(2024, 12, 1),
            "台風の接近により経済産業省・IPAが中止を決定",
        )  # fmt: skip
        return ctx["ipa_admin"]
    services.submit_applications(application.site_id, ctx["staff_a"], now=IN_APPLY)
    return ctx["staff_a"]


def _registration_in(state, ctx):
    from providers import services as provider_services

    values = registration_values(name="ワークフロー情報学院", contact_email="apply@wf.example.jp")
    registration, _token = provider_services.submit_registration(values, PASSWORD)
    if state == "returned":
        provider_services.return_registration(registration.pk, ctx["reviewer"], "住所の確認", [])
    return Registration.objects.get(pk=registration.pk)


def _registration_move(action, registration, ctx):
    from providers import services as provider_services

    reviewer = ctx["reviewer"]
    if action == "resubmit":
        values = registration_values(
            name="ワークフロー情報学院", contact_email="apply@wf.example.jp"
        )
        provider_services.resubmit_registration(registration.pk, values)
        return registration.applicant
    if action == "return":
        provider_services.return_registration(registration.pk, reviewer, "住所の確認", [])
    elif action == "accept":
        provider_services.accept_registration(registration.pk, reviewer)
    else:
        provider_services.withdraw_registration(registration.pk, reviewer, "申請者の申し出")
    return reviewer


# A delivery course added to the certified course (D7): filed 5 business days
# before its start (Golden Week 2025: Thu 5/1 for Mon 5/12).
DELIVERY_FILED_ON = datetime.date(2025, 5, 1)


def _filing_day():
    return mock.patch("django.utils.timezone.localdate", return_value=DELIVERY_FILED_ON)


def _delivery_in(state, ctx):
    staff, reviewer = ctx["staff_a"], ctx["reviewer"]
    june, july = (ExamSession.objects.get(exam_date=d) for d in (datetime.date(2025, 6, 8), datetime.date(2025, 7, 27)))  # fmt: skip
    values = {"name": "2025年度実施講座5月コースB", "prefecture": "東京都", "address": "文京区本駒込2-28-8",
              "expected_learners": 10, "start_date": datetime.date(2025, 5, 12),
              "end_date": datetime.date(2025, 6, 7), "instructors": "講師名：情報 太郎",
              "committee_declaration": True}  # fmt: skip
    slots = [{"row": "upper", "slot": 1, "kind": "ipa", "session": june},
             {"row": "upper", "slot": 2, "kind": "ipa", "session": july}]  # fmt: skip
    delivery = course_services.save_delivery_course(ctx["setup"]["course"].pk, staff, values, slots)
    with _filing_day():
        if state in ("submitted", "returned"):
            course_services.submit_delivery_course(delivery.pk, staff)
        if state == "returned":
            course_services.review_delivery_course(
                delivery.pk, reviewer, approve=False, reason="会場の階数を入力してください。"
            )
        if state == "approved":  # and its deletion requested (D8: its only move)
            from providers import changes

            course_services.submit_delivery_course(delivery.pk, staff)
            course_services.review_delivery_course(delivery.pk, reviewer, approve=True)
            delivery.refresh_from_db()
            draft = changes.save_draft("delivery_deletion", delivery, staff, {"deletion": True})
            changes.submit_change(draft.pk, staff)
    return DeliveryCourse.objects.get(pk=delivery.pk)


def _delivery_move(action, delivery, ctx):
    with _filing_day():
        if action == "delete_by_request":  # D8: the approval of a deletion request
            from providers import changes

            changes.approve_change(changes.requests_for(delivery).get().pk, ctx["reviewer"])
            return ctx["reviewer"]
        if action == "submit":
            course_services.submit_delivery_course(delivery.pk, ctx["staff_a"])
            return ctx["staff_a"]
        course_services.review_delivery_course(
            delivery.pk, ctx["reviewer"], approve=action == "approve",
            reason="会場の階数を入力してください。",
        )  # fmt: skip
    return ctx["reviewer"]


# The exemption course (申請書式2 family): a second course of provider A, filed
# on 2024-08-20 for certification on 2024-10-01; the certified one of the
# setup expires after its end date.
COURSE_FILED_ON = datetime.date(2024, 8, 20)


def _course_in(state, ctx):
    from fees import services as fee_services

    from .course_factories import complete_course

    staff, reviewer = ctx["staff_a"], ctx["reviewer"]
    if state == "certified":
        return ExemptionCourse.objects.get(pk=ctx["setup"]["course"].pk)
    course = complete_course(ctx["provider_a"], staff)
    with mock.patch("django.utils.timezone.localdate", return_value=COURSE_FILED_ON):
        if state != "draft":
            course_services.submit_course(course.pk, staff)
        if state == "returned":
            course_services.return_course(
                course.pk, reviewer, "教材の発行年月日を確認してください。"
            )
        if state == "approved":
            request = fee_services.create_payment_request(
                ctx["provider_a"], staff, [course.fee_lines.get().pk],
                {"payment_date": COURSE_FILED_ON, "bank": "銀行", "payer_name_kana": "20001エー"},
            )  # fmt: skip
            fee_services.confirm_payment(request.pk, reviewer, COURSE_FILED_ON)
            course_services.start_review(course.pk, reviewer)
            course_services.approve_course(course.pk, reviewer)
    return ExemptionCourse.objects.get(pk=course.pk)


def _course_move(action, course, ctx):
    staff, reviewer = ctx["staff_a"], ctx["reviewer"]
    with mock.patch("django.utils.timezone.localdate", return_value=COURSE_FILED_ON):
        if action in ("submit", "resubmit"):
            course_services.submit_course(course.pk, staff)
            return staff
        if action == "withdraw":
            course_services.withdraw_course(course.pk, staff)
            return staff
        if action == "return":
            course_services.return_course(
                course.pk, reviewer, "教材の発行年月日を確認してください。"
            )
            return reviewer
        if action == "approve":
            from fees import services as fee_services

            request = fee_services.create_payment_request(
                ctx["provider_a"], staff, [course.fee_lines.get().pk],
                {"payment_date": COURSE_FILED_ON, "bank": "銀行", "payer_name_kana": "20001エー"},
            )  # fmt: skip
            fee_services.confirm_payment(request.pk, reviewer, COURSE_FILED_ON)
            course_services.start_review(course.pk, reviewer)
            course_services.approve_course(course.pk, reviewer)
            return reviewer
    if action == "certify":
        course_services.certify_course(course.pk, reviewer, datetime.date(2024, 10, 1))
        return reviewer
    if action == "revoke":  # C11: an administrator, with date and reason
        with mock.patch("django.utils.timezone.localdate", return_value=REVOKED_ON):
            course_services.revoke_course(
                course.pk,
                ctx["ipa_admin"],
                REVOKED_ON,
                "修了認定の報告をしなかったため（マニュアル2.5(4)）",
            )
        return ctx["ipa_admin"]
    assert action == "expire"
    assert course_services.expire_courses(course.valid_until + datetime.timedelta(days=1))
    return None


REVOKED_ON = datetime.date(2025, 3, 3)


# P8: the notice of withdrawal of provider A (filed by its contact).
def _withdrawal_in(state, ctx):
    from providers import services as provider_services

    assert state == "submitted"
    return provider_services.file_withdrawal(
        ctx["provider_a"], ctx["staff_a"], "講座の開設をやめるため"
    )


def _withdrawal_move(action, withdrawal, ctx):
    from providers import services as provider_services

    if action == "accept":
        provider_services.accept_withdrawal(withdrawal.pk, ctx["reviewer"])
        return ctx["reviewer"]
    provider_services.withdraw_withdrawal(withdrawal.pk, ctx["staff_a"])
    return ctx["staff_a"]


def _change_in(state, ctx):
    from providers import changes

    staff, provider = ctx["staff_a"], ctx["provider_a"]
    if state == "approved":  # the only move from here: a contact change's ログイン完了 (P7)
        return _contact_change_received(ctx)
    change = changes.save_draft("provider_info", provider, staff, {"name": "変更後の学園"})
    if state in ("submitted", "returned"):
        changes.submit_change(change.pk, staff)
    if state == "returned":
        changes.return_change(change.pk, ctx["reviewer"], "登記簿の名称と合わせてください。")
    return type(change).objects.get(pk=change.pk)


def _contact_change_received(ctx):
    """A contact change IPA has received (approved): the new contact has an
    account and has set a password (P7, M§10.2)."""
    from providers import changes, contact

    staff, provider = ctx["staff_a"], ctx["provider_a"]
    values = {"contact_family_name": "後任", "contact_given_name": "次郎",
              "contact_email": "jiro@a.example.jp"}  # fmt: skip
    change = contact.save_contact_draft(provider, staff, values)
    changes.submit_change(change.pk, staff)
    changes.approve_change(change.pk, ctx["reviewer"])
    new = UserFactory._meta.model.objects.get(email="jiro@a.example.jp")
    new.set_password(PASSWORD)
    new.save()
    ctx["new_contact"] = new
    return type(change).objects.get(pk=change.pk)


def _change_move(action, change, ctx):
    from providers import changes, contact

    staff, reviewer = ctx["staff_a"], ctx["reviewer"]
    if action == "confirm_login":
        contact.confirm_login(change.pk, ctx["new_contact"])
        return ctx["new_contact"]
    if action in ("submit", "resubmit"):
        changes.submit_change(change.pk, staff)
        return staff
    if action == "withdraw":
        changes.withdraw_change(change.pk, staff)
        return staff
    if action == "return":
        changes.return_change(change.pk, reviewer, "登記簿の名称と合わせてください。")
    else:
        changes.approve_change(change.pk, reviewer)
    return reviewer


# W5: a question of provider A's contact (質問書), through its own services.
QUESTION_VALUES = {"category": "delivery", "subcategory": "delivery_add", "document": "manual",
                   "page": "P38", "body": "実施講座を追加できますか。"}  # fmt: skip


def _question_in(state, ctx):
    from providers import questions
    from providers.models import Question

    staff, reviewer = ctx["staff_a"], ctx["reviewer"]
    question = questions.save_draft(ctx["provider_a"], staff, QUESTION_VALUES)
    if state != "draft":
        questions.submit_question(question.pk, staff)
    if state in ("answered", "info_requested"):
        service = questions.answer_question if state == "answered" else questions.request_info
        service(question.pk, reviewer, "回答です。")
    return Question.objects.get(pk=question.pk)


def _question_move(action, question, ctx):
    from providers import questions

    staff, reviewer = ctx["staff_a"], ctx["reviewer"]
    provider_moves = {
        "submit": lambda: questions.submit_question(question.pk, staff),
        "reply": lambda: questions.reply(question.pk, staff, "補足です。"),
        "follow_up": lambda: questions.follow_up(question.pk, staff, "追加の質問です。"),
        "close": lambda: questions.close_question(question.pk, staff, "解決しました。"),
    }
    if action in provider_moves:
        provider_moves[action]()
        return staff
    {
        "answer": lambda: questions.answer_question(question.pk, reviewer, "回答です。"),
        "request_info": lambda: questions.request_info(question.pk, reviewer, "確認です。"),
        "end": lambda: questions.end_question(question.pk, reviewer),
    }[action]()
    return reviewer


SCENARIOS = {
    "providers.Question": (_question_in, _question_move),
    "providers.Withdrawal": (_withdrawal_in, _withdrawal_move),
    "providers.ChangeRequest": (_change_in, _change_move),
    "exams.ResultReport": (_report_in, _report_move),
    "exams.ExamApplication": (_application_in, _application_move),
    "providers.Registration": (_registration_in, _registration_move),
    "courses.DeliveryCourse": (_delivery_in, _delivery_move),
    "courses.ExemptionCourse": (_course_in, _course_move),
}

# What each recipient kind means, written out here independently of
# portal.workflow.RECIPIENTS: (e-mail addresses, users with an in-app notice).
EXPECTED = {
    "actor": lambda ctx, actor: ({actor.email}, {actor}),
    "ipa_notice": lambda ctx, actor: ({settings.IPA_NOTICE_EMAIL}, {ctx["reviewer"]}),
    "provider_contact": lambda ctx, actor: (
        {ctx["provider_a"].contact_email},
        {ctx["staff_a"]},
    ),
    "ipa_if_filed": lambda ctx, actor: (
        ({settings.IPA_NOTICE_EMAIL}, {ctx["reviewer"]})
        if ctx["source"] != "draft"
        else (set(), set())
    ),
    "submitter": lambda ctx, actor: ({ctx["staff_a"].email}, {ctx["staff_a"]}),
    "deletion_filer": lambda ctx, actor: ({ctx["staff_a"].email}, {ctx["staff_a"]}),
    # W5: the staff member who asked the question.
    "asker": lambda ctx, actor: ({ctx["staff_a"].email}, {ctx["staff_a"]}),
    # The applicant of a registration: no account before acceptance.
    "applicant": lambda ctx, actor: ({ctx["obj"].contact_email}, set()),
    "applicant_account": lambda ctx, actor: ({ctx["obj"].contact_email}, {ctx["obj"].applicant}),
}


def _kind(kind):
    return kind if isinstance(kind, str) else kind.key


MOVES = [
    (flow.model, move.action, source)
    for flow in workflow.all_workflows()
    for move in flow.transitions
    for source in move.sources
    if not move.with_parent  # moved, and told, with its parent (below)
]


def test_a_move_made_with_its_parent_is_cascaded_by_a_parent_move_with_notices():
    for flow in workflow.all_workflows():
        for move in flow.transitions:
            if not move.with_parent:
                continue
            assert not move.notices
            parents = [
                (parent_flow, parent)
                for parent_flow in workflow.all_workflows()
                for parent in parent_flow.transitions
                if any(action == move.action for _, action in parent.cascade)
            ]
            assert parents, f"{flow.model}.{move.action}: no move cascades to it"
            assert all(parent.notices for _, parent in parents)
            assert move.with_parent in {parent.action for _, parent in parents}


@pytest.fixture
def ctx(setup, provider_a, staff_a, reviewer, ipa_admin):  # noqa: F811
    return {"setup": setup, "provider_a": provider_a, "staff_a": staff_a, "reviewer": reviewer,
            "ipa_admin": ipa_admin}  # fmt: skip


def test_every_registered_workflow_is_walked():
    flows = {flow.model for flow in workflow.all_workflows()}
    assert {
        "exams.ResultReport",
        "exams.ExamApplication",
        "providers.Registration",
        "courses.DeliveryCourse",
        "courses.ExemptionCourse",
    } <= flows
    assert flows <= set(SCENARIOS), f"no scenario for {flows - set(SCENARIOS)}"


@pytest.mark.parametrize(("model", "action", "source"), MOVES)
def test_newcomer_every_transition_notifies_by_mail_and_in_app(
    model, action, source, ctx, client, django_capture_on_commit_callbacks
):
    flow = workflow.for_model(model)
    move = flow.get(action)
    assert move.notices, f"{model}.{action} declares no notice"
    prepare, perform = SCENARIOS[model]
    obj = prepare(source, ctx)
    ctx["obj"], ctx["source"] = obj, source
    assert getattr(obj, flow.field) == source
    mail.outbox.clear()
    Notice.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        actor = perform(action, obj, ctx)
    assert_notices_sent(flow, move, obj, source, actor, ctx, client)


def expected_mails(move, ctx, actor) -> int:
    return len({e for n in move.notices for k in n.to for e in EXPECTED[_kind(k)](ctx, actor)[0]})


def assert_notices_sent(flow, move, obj, source, actor, ctx, client):
    """The outbox and the in-app list after ``move`` (also used with the real
    Celery worker, tests/test_workflow_worker.py)."""
    model, action = flow.model, move.action
    obj.refresh_from_db()
    assert getattr(obj, flow.field) == move.target
    number = workflow.receipt_number(obj)  # the 到達番号 of the filing
    if action == "delete_by_request":  # D8: the filing is the deletion request
        from providers import changes

        number = workflow.receipt_number(changes.requests_for(obj).first())
    assert number or source == "draft"  # a draft never filed has none
    # One e-mail per address; every one names the object, its 到達番号 and a link.
    # D6: a move made by the approval of a change request comes after that
    # request's own notices (filed, approved), checked in the request's walk.
    sent = {
        tuple(m.to): m
        for m in mail.outbox
        if action != "end_by_change" or "申込みを取り下げました" in m.subject
    }
    for notice in move.notices:
        emails, users = set(), set()
        for kind in notice.to:
            more_emails, more_users = EXPECTED[_kind(kind)](ctx, actor)
            emails |= more_emails
            users |= more_users
        # A notice without a page (an applicant with no account) links nothing.
        link = settings.SITE_URL + notice.link(obj) if notice.link else ""
        for email in emails:
            message = sent.pop((email,), None)
            assert message is not None, f"{model}.{action}: no mail to {email}"
            assert obj.number in message.subject and number in message.subject
            assert link in message.body
            assert not any(c in message.subject for c in ("submit", "state", "R1"))
        for user in users:
            assert Notice.objects.filter(
                recipient=user, url=notice.path(obj), subject__contains=number
            ).exists(), f"{model}.{action}: no in-app notice for {user.email}"
    assert not sent, f"unexpected mail: {[(to, m.subject) for to, m in sent.items()]}"
    # The in-app list shows it, and the header counts it until it is read.
    # (A registration's applicant has no account before acceptance: e-mail only.)
    members = [u for n in move.notices for k in n.to for u in EXPECTED[_kind(k)](ctx, actor)[1]]
    if not members:
        assert not Notice.objects.exists()
        return
    member = members[0]
    client_for(client, member)
    assert "未読" in client.get(reverse("home"), follow=True).content.decode()
    page = client.get(reverse("notice_list")).content.decode()
    assert number in page and "未読" in page
    assert not Notice.objects.filter(recipient=member, read_at__isnull=True).exists()


@pytest.mark.parametrize(("model", "action", "source"), MOVES)
def test_every_transition_is_audited_with_old_and_new_state(model, action, source, ctx):
    flow = workflow.for_model(model)
    move = flow.get(action)
    prepare, perform = SCENARIOS[model]
    obj = prepare(source, ctx)
    actor = perform(action, obj, ctx)
    entry = audit.entries_for(obj).filter(action=f"{flow.audit_prefix}.{action}").first()
    assert entry.changes[flow.field] == [source, move.target]
    assert entry.actor == actor
    before, after = flow.state(source).label, flow.state(move.target).label
    assert f"（{before} → {after}）" in audit.sentence(entry)


def test_every_declared_transition_matches_the_models_django_fsm_method():
    for flow in workflow.all_workflows():
        model = flow.model_class()
        fsm = list(getattr(model(), f"get_all_{flow.field}_transitions")())
        # Several declared moves may share one method (submit and resubmit).
        for name in {move.method_name for move in flow.transitions}:
            declared = {
                (s, move.target)
                for move in flow.transitions
                if move.method_name == name
                for s in move.sources
            }
            found = {(t.source, t.target) for t in fsm if t.name == name}
            assert found == declared, f"{flow.model}.{name}"


def test_the_services_type_no_state_pair_for_the_result_report():
    source = Path(services.__file__).read_text(encoding="utf-8")
    start = source.index("def submit_report")
    # submit_report and decide_report end the module (add_certificate_copy,
    # which followed them, is in certifications.services now).
    assert 'changes={"state"' not in source[start:]


def test_the_services_type_no_state_pair_for_the_exam_application():
    source = Path(services.__file__).read_text(encoding="utf-8")
    start = source.index("def submit_applications")
    end = source.index("def change_applicants")
    assert 'changes={"state"' not in source[start:end]


def test_the_services_type_no_state_pair_for_the_delivery_course():
    source = Path(course_services.__file__).read_text(encoding="utf-8")
    start = source.index("def submit_delivery_course")
    end = source.index("# Syllabus reference data")
    assert 'changes={"state"' not in source[start:end]


def test_newcomer_delivery_course_filing_one_mail_with_its_receipt_number(
    ctx, django_capture_on_commit_callbacks
):
    """The acting staff's 到達 mail is the declared notice: one mail, not two;
    a return tells the contact and the submitter why, with the course page."""
    draft = _delivery_in("draft", ctx)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _delivery_move("submit", draft, ctx)
    mine = [m for m in mail.outbox if m.to == [ctx["staff_a"].email]]
    assert len(mine) == 1
    number = workflow.receipt_number(draft)
    assert number.startswith("J") and number in mine[0].subject
    assert "5営業日以内に承認" in mine[0].body  # what happens next
    submitted = DeliveryCourse.objects.get(pk=draft.pk)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _delivery_move("return", submitted, ctx)
    returned = {tuple(m.to): m for m in mail.outbox}
    for email in (ctx["provider_a"].contact_email, ctx["staff_a"].email):
        body = returned[(email,)].body
        assert "会場の階数を入力してください。" in body
        assert settings.SITE_URL + reverse("course_detail", args=[draft.course_id]) in body


def test_newcomer_one_mail_for_an_application_carries_its_receipt_number(
    ctx, django_capture_on_commit_callbacks
):
    """The acting staff's 到達 mail is the declared notice: one mail, not two."""
    draft = _application_in("draft", ctx)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _application_move("submit", draft, ctx)
    mine = [m for m in mail.outbox if m.to == [ctx["staff_a"].email]]
    assert len(mine) == 1
    number = workflow.receipt_number(draft)
    assert number.startswith("S") and number in mine[0].subject
    assert "2,000円" in mine[0].body  # what to do next: pay the problem fee


def test_a_bad_move_raises_transition_error_in_japanese(ctx):
    draft = _report_in("draft", ctx)
    with pytest.raises(workflow.TransitionForbidden, match="権限がありません"):
        workflow.transition(draft, "submit", actor=ctx["reviewer"])
    with pytest.raises(workflow.TransitionError, match="この操作はできません"):
        workflow.transition(draft, "approve", actor=ctx["staff_a"])
    with pytest.raises(services.ExamStateError, match="確認待ちの報告ではありません"):
        workflow.transition(draft, "accept", actor=ctx["reviewer"])
    services.submit_report(draft.pk, ctx["staff_a"], now=IN_REPORT)
    _pay_on(draft, ctx["staff_a"], ctx["reviewer"], CLOSING_DAY)
    services.decide_report(draft.pk, ctx["reviewer"], accept=True)
    report = ResultReport.objects.get(pk=draft.pk)
    with pytest.raises(services.ExamStateError, match="確認待ちの報告ではありません"):
        workflow.transition(report, "accept", actor=ctx["reviewer"])
    with pytest.raises(workflow.TransitionError, match="変更申請"):
        workflow.transition(report, "submit", actor=ctx["staff_a"])
    assert ResultReport.objects.get(pk=report.pk).state == "accepted"


def test_a_stale_object_is_refused_not_overwritten(ctx):
    report = _report_in("submitted", ctx)
    stale = ResultReport.objects.get(pk=report.pk)
    services.decide_report(
        report.pk, ctx["reviewer"], accept=False, reason="点数を確認してください。"
    )
    with pytest.raises(workflow.TransitionError, match="他の操作と重なりました"):
        workflow.transition(stale, "return", actor=ctx["reviewer"], reason="二重")
    assert ResultReport.objects.get(pk=report.pk).return_reason == "点数を確認してください。"


def test_labels_and_actions_come_from_the_declaration(ctx):
    report = _report_in("submitted", ctx)
    assert workflow.state_label(report) == "報告済み（確認待ち）"
    assert not workflow.is_editable_by_provider(report)
    assert [m.action for m in workflow.available_actions(report, ctx["reviewer"])] == [
        "return",
        "accept",
    ]
    assert workflow.available_actions(report, ctx["staff_a"]) == []
    move = workflow.for_object(report).get("accept")
    assert str(report) in move.confirm_text(report)


class _FailingOnce(EmailBackend):
    calls = 0

    def send_messages(self, messages):
        type(self).calls += 1
        if type(self).calls == 1:
            raise smtplib.SMTPServerDisconnected("down")
        return super().send_messages(messages)


class _AlwaysFailing(EmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("down")


@pytest.fixture
def retrying_eagerly():
    """As the worker does: a failed task is retried (here at once, in-process)."""
    from portal.celery import app

    before = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = before


def test_newcomer_a_refused_mail_is_retried_and_never_undoes_the_move(
    ctx, settings, retrying_eagerly, django_capture_on_commit_callbacks
):
    report = _report_in("draft", ctx)
    settings.EMAIL_BACKEND = f"{__name__}._FailingOnce"
    _FailingOnce.calls = 0
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_report(report.pk, ctx["staff_a"], now=IN_REPORT)
    assert _FailingOnce.calls >= 2 and len(mail.outbox) == 2  # retried, then sent
    settings.EMAIL_BACKEND = f"{__name__}._AlwaysFailing"
    with django_capture_on_commit_callbacks(execute=True):
        services.decide_report(report.pk, ctx["reviewer"], accept=False, reason="点数の確認")
    report.refresh_from_db()
    assert report.state == "returned"  # committed although no mail could be sent
    assert Notice.objects.filter(recipient=ctx["staff_a"], subject__contains="差し戻し").exists()


def test_newcomer_notices_page_is_paginated_with_constant_queries(client, staff_a):
    other = UserFactory(email="other@example.jp")
    Notice.objects.create(recipient=other, subject="他人のお知らせ", body="本文")

    def add(n, start):
        Notice.objects.bulk_create(
            Notice(recipient=staff_a, subject=f"お知らせ{i:03d}", body="本文", url="/")
            for i in range(start, start + n)
        )

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries), response.content.decode()

    client_for(client, staff_a)
    add(5, 0)
    small, html = count(reverse("notice_list"))
    assert "お知らせ004" in html and "他人のお知らせ" not in html
    add(70, 5)
    large, html = count(reverse("notice_list"))
    assert large <= small, (small, large)
    assert html.count('<li class="card notice') == 30 and "1 / 3" in html  # 30 a page
    assert Notice.objects.filter(recipient=staff_a, read_at__isnull=True).count() == 40
    assert "お知らせ000" in count(reverse("notice_list") + "?page=3")[1]


def test_the_django_fsm_transitions_are_made_from_the_declarations_only():
    """No model declares a transition of its own (@transition): each comes
    from its workflow's table, with the declared Django permission."""
    root = Path(__file__).resolve().parent.parent
    for path in root.glob("*/models.py"):
        assert "@transition" not in path.read_text(encoding="utf-8"), path
    for flow in workflow.all_workflows():
        model = flow.model_class()
        for move in flow.transitions:
            meta = getattr(model, move.method_name)._django_fsm
            for source in move.sources:
                edge = meta.get_transition(source)
                assert edge.target == move.target
                assert (edge.permission or "") == move.permission, f"{flow.model}.{move.action}"


def test_newcomer_one_submission_of_two_courses_is_told_once_naming_both(
    ctx, django_capture_on_commit_callbacks
):
    """E2: the applications of one site share one 到達番号, so the staff and
    IPA get one mail each (and one in-app notice), naming every course."""
    from courses.models import DeliveryExam

    setup_, staff = ctx["setup"], ctx["staff_a"]
    first = setup_["delivery"]
    second = DeliveryCourse.objects.get(pk=first.pk)
    second.pk, second.serial, second.name = None, first.serial + 1, "2024年度実施講座10月コースB"
    second.save()
    for row in DeliveryExam.objects.filter(delivery_course=first):
        row.pk, row.delivery_course = None, second
        row.save()
    for delivery in (first, second):
        services.save_application(setup_["site"].pk, staff, delivery.pk, 10, now=IN_APPLY)
    mail.outbox.clear()
    Notice.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_applications(setup_["site"].pk, staff, now=IN_APPLY)
    mine = [m for m in mail.outbox if m.to == [staff.email]]
    ipa = [m for m in mail.outbox if m.to == [settings.IPA_NOTICE_EMAIL]]
    assert len(mine) == 1 and len(ipa) == 1
    for message in (mine[0], ipa[0]):
        assert first.number in message.body and second.number in message.body
        assert "ほか1件" in message.subject
    assert Notice.objects.filter(recipient=staff).count() == 1


def test_every_declared_move_has_its_japanese_audit_sentence():
    """The audit trail names each move in words (no 「操作しました」 fallback),
    also the moves made with a parent."""
    for flow in workflow.all_workflows():
        for move in flow.transitions:
            code = f"{flow.audit_prefix}.{move.action}"
            assert code in audit.ACTIONS, code
