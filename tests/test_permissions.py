"""Every URL name of the project × every role, and a foreign provider → 404.

A URL name missing from TABLE fails test_every_url_name_is_in_the_table, so
each new page must state who may see it.
"""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from calendars.models import ExamSession
from certifications import services as completer_services
from certifications.models import Completer, CompleterUpload, PrivateCertificateCopy
from courses.models import CourseAttachment
from exams import services as exam_services
from exams.models import ProblemFile, ResultReport, SpecialMeasureRequest
from fees.models import FeeDocument, FeeLine, PaymentRequest
from portal import services as portal_services
from providers import changes, questions
from providers import services as provider_services
from providers.models import Registration

from .course_factories import certified_course
from .factories import PASSWORD, registration_values

ROLES = ["anonymous", "staff_a", "staff_b", "reviewer", "ipa_admin"]
EXAM_ROLES = {
    "exam_site": "東京都文京区本駒込2-28-8", "manager": "情報 太郎", "manager_deputy": "情報 花子",
    "electronic_keeper": "情報 花子", "printer": "情報 花子", "printed_keeper": "情報 花子",
    "storage_method": "金庫", "exam_executive": "情報 太郎", "grading_lead": "情報 太郎",
    "graders": 2, "grading_passes": 2,
}  # fmt: skip

# url name: (method, kwargs key, {role: expected status})
# "doc" = a finished 申請書式1 of provider A; "reg" = a submitted registration.
LOGIN = 302
TABLE = {
    "home": ("get", None, dict(anonymous=200, staff_a=200, staff_b=200, reviewer=302, ipa_admin=302)),
    "healthz": ("get", None, dict.fromkeys(ROLES, 200)),
    # Issue 11 (item 6): the health endpoint, public, answering only ok / error.
    "health": ("get", None, dict.fromkeys(ROLES, 200)),
    "login": ("get", None, dict(anonymous=200, staff_a=302, staff_b=302, reviewer=302, ipa_admin=302)),
    "logout": ("post", None, dict.fromkeys(ROLES, 302)),
    "password_reset": ("get", None, dict.fromkeys(ROLES, 200)),
    # Issue 11: two-factor authentication (IPA staff have a device in the tests).
    "otp_settings": ("get", None, dict(anonymous=LOGIN, staff_a=200, staff_b=200, reviewer=200, ipa_admin=200)),
    "otp_setup": ("get", None, dict(anonymous=LOGIN, staff_a=200, staff_b=200, reviewer=200, ipa_admin=200)),
    "otp_verify": ("get", None, dict(anonymous=LOGIN, staff_a=302, staff_b=302, reviewer=200, ipa_admin=200)),
    "password_reset_done": ("get", None, dict.fromkeys(ROLES, 200)),
    "password_reset_confirm": ("get", "reset", dict.fromkeys(ROLES, 200)),
    "password_reset_complete": ("get", None, dict.fromkeys(ROLES, 200)),
    "registration_signup": ("get", None, dict.fromkeys(ROLES, 200)),
    "registration_signup_done": ("get", None, dict.fromkeys(ROLES, 200)),
    # Issue 11: the e-mail confirmation of a sign-up (public, by the mailed link).
    "registration_signup_sent": ("get", None, dict.fromkeys(ROLES, 200)),
    "registration_confirm": ("get", "signup_token", dict.fromkeys(ROLES, 200)),
    "registration_status": ("get", "token", dict.fromkeys(ROLES, 200)),
    "provider_profile": ("get", None, dict(anonymous=LOGIN, staff_a=200, staff_b=200, reviewer=403, ipa_admin=403)),
    "review_queue": ("get", None, dict(anonymous=LOGIN, staff_a=403, staff_b=403, reviewer=200, ipa_admin=200)),
    "review_detail": ("get", "reg", dict(anonymous=LOGIN, staff_a=403, staff_b=403, reviewer=200, ipa_admin=200)),
    "review_return": ("post", "reg", dict(anonymous=LOGIN, staff_a=403, staff_b=403, reviewer=302, ipa_admin=403)),
    "review_withdraw": ("post", "reg", dict(anonymous=LOGIN, staff_a=403, staff_b=403, reviewer=302, ipa_admin=403)),
    "review_accept": ("post", "reg", dict(anonymous=LOGIN, staff_a=403, staff_b=403, reviewer=302, ipa_admin=403)),
    "review_provider": ("get", "provider_a", dict(anonymous=LOGIN, staff_a=403, staff_b=403, reviewer=200, ipa_admin=200)),
    "document_request": ("post", "doc_request", dict(anonymous=LOGIN, staff_a=302, staff_b=404, reviewer=302, ipa_admin=404)),
    "document_detail": ("get", "doc", dict(anonymous=LOGIN, staff_a=200, staff_b=404, reviewer=200, ipa_admin=404)),
    "document_status": ("get", "doc", dict(anonymous=LOGIN, staff_a=200, staff_b=404, reviewer=200, ipa_admin=404)),
    "document_download": ("get", "doc", dict(anonymous=LOGIN, staff_a=200, staff_b=404, reviewer=200, ipa_admin=404)),
    "notice_list": ("get", None, dict(anonymous=LOGIN, staff_a=200, staff_b=200, reviewer=200, ipa_admin=200)),
    "reminder_settings": ("get", None, dict(anonymous=LOGIN, staff_a=200, staff_b=200, reviewer=200, ipa_admin=200)),
}  # fmt: skip

# Courses and fees (issue 3). "course"/"delivery"/"payment" belong to provider A.
OWN = dict(anonymous=LOGIN, staff_a=200, staff_b=200, reviewer=403, ipa_admin=403)
OWN_OBJECT = dict(anonymous=LOGIN, staff_a=200, staff_b=404, reviewer=403, ipa_admin=403)
OWN_ACTION = dict(anonymous=LOGIN, staff_a=302, staff_b=404, reviewer=403, ipa_admin=403)
IPA_PAGE = dict(anonymous=LOGIN, staff_a=403, staff_b=403, reviewer=200, ipa_admin=200)
IPA_ACTION = dict(anonymous=LOGIN, staff_a=403, staff_b=403, reviewer=302, ipa_admin=403)
TABLE.update({
    "course_list": ("get", None, OWN),
    "course_create": ("get", None, OWN),
    "fee_list": ("get", None, OWN),
    "course_detail": ("get", "course", OWN_OBJECT),
    "course_edit": ("get", "course", OWN_OBJECT),
    "course_materials": ("get", "course", OWN_OBJECT),
    "course_plan": ("get", "course", OWN_OBJECT),
    "course_structure": ("get", "course", OWN_OBJECT),
    "course_attachments": ("get", "course", OWN_OBJECT),
    "delivery_create": ("get", "course", OWN_OBJECT),
    "delivery_edit": ("get", "delivery", OWN_OBJECT),
    "payment_request_detail": ("get", "payment", OWN_OBJECT),
    "course_plan_import": ("post", "course", OWN_ACTION),
    "course_submit": ("post", "course", OWN_ACTION),
    "course_delete": ("post", "course", OWN_ACTION),
    "course_withdraw": ("post", "course", OWN_ACTION),
    "delivery_delete": ("post", "delivery", OWN_ACTION),
    "delivery_submit": ("post", "delivery", OWN_ACTION),
    # Issue 9 (D6, D8): change, deletion request, an exam dropped.
    "delivery_change": ("get", "delivery", OWN_OBJECT),
    "delivery_deletion": ("get", "delivery", OWN_OBJECT),
    "delivery_drop_exam": ("post", "delivery", OWN_ACTION),
    "review_course_queue": ("get", None, IPA_PAGE),
    "review_course_detail": ("get", "course", IPA_PAGE),
    "review_payments": ("get", None, IPA_PAGE),
    "review_course_return": ("post", "course", IPA_ACTION),
    "review_course_start": ("post", "course", IPA_ACTION),
    "review_course_approve": ("post", "course", IPA_ACTION),
    "review_course_certify": ("post", "course", IPA_ACTION),
    "review_course_materials": ("post", "course", IPA_ACTION),
    "review_course_reissue": ("post", "course", IPA_ACTION),
    "certificate_download": ("get", "certificate", dict(anonymous=LOGIN, staff_a=200, staff_b=404, reviewer=200, ipa_admin=200)),
    "review_delivery": ("post", "delivery", IPA_ACTION),
    # The payment is already confirmed: the refusal is shown on the queue (200), not redirected.
    "review_payment_confirm": ("post", "payment", dict(IPA_ACTION, reviewer=200)),
    # The same confirmed payment cannot be returned: the refusal is shown on the queue (200).
    "review_payment_return": ("post", "payment", dict(IPA_ACTION, reviewer=200)),
})  # fmt: skip

# Issue 10 (F4, I1–I3, I5): the fee history, invoices and receipts, the terms. An empty
# request is refused on the page itself (200); "fee_document" is provider A's.
TABLE.update({
    "fee_history": ("get", None, OWN),
    "provider_terms": ("get", None, OWN),
    "provider_documents": ("get", None, OWN),
    "fee_document_issue": ("post", None, OWN),
    "fee_document_download": ("get", "fee_document", dict(anonymous=LOGIN, staff_a=200, staff_b=404, reviewer=200, ipa_admin=200)),
})  # fmt: skip

# Exams (issue 4): "site"/"application"/"report"/"upload" belong to provider A.
TABLE.update({
    "exam_calendar": ("get", None, OWN),
    "exam_session": ("get", "session", OWN),
    "exam_site_create": ("get", "session", OWN),
    "exam_site_edit": ("get", "site_edit", OWN_OBJECT),
    "application_save": ("post", "site", OWN_ACTION),
    "site_submit": ("post", "site", OWN_ACTION),
    "application_change": ("post", "application", OWN_ACTION),
    "report_open": ("post", "application", OWN_ACTION),
    # Issue 9 (E2): the withdrawal's confirmation page (the window is closed
    # today: it says so), a draft's deletion (this one is filed: refused).
    "application_withdraw": ("get", "application", OWN_OBJECT),
    "application_delete": ("post", "application", OWN_ACTION),
    "reviewed_report_create": ("get", "delivery_only", OWN_OBJECT),
    "report_detail": ("get", "report", OWN_OBJECT),
    "completer_add": ("post", "report", {**OWN_ACTION, "staff_a": 200}),  # refused: the form again
    "completer_edit": ("get", "completer", OWN_OBJECT),
    "completer_delete": ("post", "report", OWN_ACTION),
    "completer_upload": ("post", "report", OWN_ACTION),
    "report_submit": ("post", "report", OWN_ACTION),
    "certificate_copy_upload": ("post", "report", OWN_ACTION),
    "certificate_copy_download": ("get", "certificate_copy", dict(anonymous=LOGIN, staff_a=200, staff_b=404, reviewer=200, ipa_admin=200)),
    "attachment_download": ("get", "attachment", dict(anonymous=LOGIN, staff_a=200, staff_b=404, reviewer=200, ipa_admin=200)),
    "upload_preview": ("get", "upload", OWN_OBJECT),
    "upload_confirm": ("post", "upload", OWN_ACTION),
    "review_exams": ("get", None, IPA_PAGE),
    "review_exam_session": ("get", "session", IPA_PAGE),
    # E2: only an IPA administrator records an exam's cancellation (this one
    # has a report opened: the page says it cannot be cancelled).
    "review_session_cancel": ("get", "session", dict(IPA_PAGE, reviewer=403)),
    "review_report": ("get", "report", IPA_PAGE),
    "review_report_decide": ("post", "report", IPA_ACTION),
    "review_late_payment_decide": ("post", "application", IPA_ACTION),
    "examday_site": ("get", "site_pk", dict(anonymous=LOGIN, staff_a=200, staff_b=404, reviewer=200, ipa_admin=200)),
    "special_measure_create": ("get", "site_pk", OWN_OBJECT),
    "special_measure_edit": ("get", "measure", OWN_OBJECT),
})  # fmt: skip

# Change requests (issue 9): "change" is a submitted request of provider A.
TABLE.update({
    "provider_change": ("get", None, OWN),
    "change_list": ("get", None, OWN),
    "change_detail": ("get", "change", OWN_OBJECT),
    "change_submit": ("post", "change", OWN_ACTION),
    "change_withdraw": ("post", "change", OWN_ACTION),
    "change_review_queue": ("get", None, IPA_PAGE),
    "change_review_detail": ("get", "change", IPA_PAGE),
    "change_review_approve": ("post", "change", IPA_ACTION),
    # Without a reason the reviewer gets the page again with the message.
    "change_review_return": ("post", "change", {**IPA_ACTION, "reviewer": 200}),
    # P7: the contact change; ログイン完了 is refused (with a message) to all
    # but the new contact; the invitation link is public (a bad token: 200).
    "contact_change": ("get", None, OWN),
    "change_confirm_login": ("post", "change", OWN_ACTION),
    "contact_invitation": ("get", "reset", dict.fromkeys(ROLES, 200)),
    # R11: the correction of an accepted report's completers (an open draft shows them).
    "completer_correction": ("get", "accepted_report", OWN_OBJECT),
})  # fmt: skip

# Issue 10: IPA's inbox (W2): administrators read it; reviewers assign and
# act in batches (an empty post goes back to the inbox with a message).
TABLE.update({
    "inbox": ("get", None, IPA_PAGE),
    "inbox_assign": ("post", None, IPA_ACTION),
    "inbox_batch": ("post", None, IPA_ACTION),
})  # fmt: skip

# Issue 9: the public registry (P9) and the certificate check: public pages.
PUBLIC = dict.fromkeys(ROLES, 200)
TABLE.update({
    "registry": ("get", None, PUBLIC),
    "registry_csv": ("get", None, PUBLIC),
    "registry_pdf": ("get", None, PUBLIC),
    "certificate_verify_form": ("get", None, PUBLIC),
    "certificate_verify": ("get", "verify_code", PUBLIC),
})  # fmt: skip

# Issue 9 item 8: withdrawal (P8) and revocation (C11). "withdrawal" is an
# open notice of withdrawal of provider A (so its form redirects to it).
TABLE.update({
    "withdrawal_request": ("get", None, dict(OWN, staff_a=302)),
    "withdrawal_detail": ("get", "withdrawal", OWN_OBJECT),
    "withdrawal_withdraw": ("post", "withdrawal", OWN_ACTION),
    "review_withdrawal_list": ("get", None, IPA_PAGE),
    "review_withdrawal_detail": ("get", "withdrawal", IPA_PAGE),
    "review_withdrawal_accept": ("post", "withdrawal", IPA_ACTION),
    # Administrators only; an empty form is shown again with its errors (200).
    "review_course_revoke": ("post", "course", dict(IPA_ACTION, reviewer=403, ipa_admin=200)),
})  # fmt: skip

# Issue 10 item 3 (W5): "question" is a question of provider A waiting for
# IPA (its edit page sends back to it; an empty message or answer is shown
# again with its error), with an attachment; the help page is public (I4).
TABLE.update({
    "help": ("get", None, PUBLIC),
    "question_list": ("get", None, OWN),
    "question_create": ("get", None, OWN),
    "question_detail": ("get", "question", OWN_OBJECT),
    "question_edit": ("get", "question", dict(OWN_OBJECT, staff_a=302)),
    "question_submit": ("post", "question", OWN_ACTION),
    "question_message": ("post", "question", dict(OWN_ACTION, staff_a=200)),
    "question_close": ("post", "question", OWN_ACTION),
    "question_attachment": ("get", "question_file", dict(OWN_OBJECT, reviewer=200, ipa_admin=200)),
    "question_review_list": ("get", None, IPA_PAGE),
    "question_review_detail": ("get", "question", IPA_PAGE),
    "question_answer": ("post", "question", dict(IPA_ACTION, reviewer=200)),
    "question_end": ("post", "question", IPA_ACTION),
})  # fmt: skip

# Issue 10 item 2 (E3, M§6.3): the exam-problem delivery. "problem_file" is
# the problems of provider A's paid application, available already; only its
# recipient (the registered contact, staff_a) downloads, everyone else 404.
RECIPIENT_ONLY = dict(anonymous=LOGIN, staff_a=200, staff_b=404, reviewer=404, ipa_admin=404)
TABLE.update({
    "problem_list": ("get", None, dict(anonymous=LOGIN, staff_a=200, staff_b=200, reviewer=200, ipa_admin=200)),
    "problem_download": ("get", "problem_file", RECIPIENT_ONLY),
    "problem_password": ("get", "problem_file", RECIPIENT_ONLY),
    "problem_recipient_invitation": ("get", "reset", dict.fromkeys(ROLES, 200)),
    "review_problems": ("get", "session", IPA_PAGE),
    # Administrators only; an empty form is shown again with its errors (200).
    "review_problem_upload": ("post", "session", dict(IPA_ACTION, reviewer=403, ipa_admin=200)),
})  # fmt: skip

# The state a reviewer's POST leaves the registration in (others change nothing).
EFFECT = {"review_return": "returned", "review_accept": "accepted", "review_withdraw": "withdrawn"}

# Django's admin is one namespace; only IPA administrators (is_staff) get in.
ADMIN_TABLE = {
    "admin:index": dict(anonymous=302, staff_a=302, staff_b=302, reviewer=302, ipa_admin=200),
    "admin:providers_provider_changelist": dict(
        anonymous=302, staff_a=302, staff_b=302, reviewer=302, ipa_admin=200
    ),
    "admin:portal_auditentry_changelist": dict(
        anonymous=302, staff_a=302, staff_b=302, reviewer=302, ipa_admin=200
    ),
    # Issue 11: login lockouts and two-factor devices.
    "admin:axes_accessattempt_changelist": dict(
        anonymous=302, staff_a=302, staff_b=302, reviewer=302, ipa_admin=200
    ),
    "admin:otp_totp_totpdevice_changelist": dict(
        anonymous=302, staff_a=302, staff_b=302, reviewer=302, ipa_admin=200
    ),
}


def project_url_names(resolver=None, namespace=""):
    names = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            names |= project_url_names(pattern, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)
    return names


def test_every_url_name_is_in_the_table():
    missing = project_url_names() - set(TABLE)
    assert not missing, f"add these URL names to TABLE with the expected status per role: {missing}"
    stale = set(TABLE) - project_url_names()
    assert not stale, f"these names no longer exist: {stale}"


@pytest.fixture
def objects(
    db,
    provider_a,
    staff_a,
    staff_b,
    reviewer,
    ipa_admin,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *a, **k: datetime.date(2024, 8, 20)
    )
    course = certified_course(provider_a, staff_a, reviewer)
    payment = course.fee_lines.get().payment_request
    delivery = course.delivery_courses.get()
    session = ExamSession.objects.get(exam_date=datetime.date(2024, 12, 8))
    in_window = datetime.datetime(2024, 11, 10, 10, 0, tzinfo=datetime.UTC)
    site = exam_services.save_site(provider_a, staff_a, session.pk, EXAM_ROLES, now=in_window)
    exam_services.save_application(site.pk, staff_a, delivery.pk, 10, now=in_window)
    application = exam_services.submit_applications(site.pk, staff_a, now=in_window)[0]
    report = exam_services.open_report(application.pk, staff_a)
    completer = Completer.objects.create(report=report, serial=1, family_name="情報", given_name="一郎",
                                         family_kana="ジョウホウ", given_kana="イチロウ",
                                         birth_date=datetime.date(1998, 10, 6), score=60)  # fmt: skip
    upload = CompleterUpload.objects.create(report=report, uploaded_by=staff_a, filename="a.csv")
    certificate_copy = PrivateCertificateCopy.objects.create(
        report=report, title="合格証", file=SimpleUploadedFile("c.pdf", b"%PDF-1.7")
    )
    attachment = CourseAttachment.objects.create(
        course=course, title="学習ガイド", file=SimpleUploadedFile("g.pdf", b"%PDF-1.7")
    )
    # E3: the application's problem fee is confirmed; the problems are out.
    paid = PaymentRequest.objects.create(
        provider=provider_a, payment_date=datetime.date(2024, 11, 11), bank="銀行",
        payer_name_kana="20001エー", confirmed_on=datetime.date(2024, 11, 12),
    )  # fmt: skip
    FeeLine.objects.filter(pk=application.fee_line_id).update(payment_request=paid)
    problem_file = ProblemFile.objects.create(
        session=session, kind=ProblemFile.Kind.PROBLEMS, filename="p.pdf", size=8, sha256="0" * 64,
        file=SimpleUploadedFile("p.pdf", b"%PDF-1.7"), available_from=datetime.date(2024, 8, 1),
        password="Kouza#2024",
    )  # fmt: skip
    measure = SpecialMeasureRequest.objects.create(
        site=site, examinee_name="情報 一郎", measures=["seat"]
    )
    # R11: an accepted report with a correction being written (issue 9).
    accepted = ResultReport.objects.create(
        delivery_course=delivery, serial=2, kind=ResultReport.Kind.IPA, session=session,
        exam_date=session.exam_date, applicants=5, examinees=3, certified_on=datetime.date(2024, 12, 10),
        consent_confirmed=True, state=ResultReport.S.ACCEPTED,
    )  # fmt: skip
    jiro = Completer.objects.create(report=accepted, serial=2, family_name="情報", given_name="二郎",
                                    family_kana="ジョウホウ", given_kana="ジロウ",
                                    birth_date=datetime.date(1997, 5, 22), score=54)  # fmt: skip
    completer_services.save_completer_correction(
        accepted.pk, staff_a, {jiro.pk: {"given_kana": "ジロー"}}
    )
    with django_capture_on_commit_callbacks(execute=True):
        registration, token = provider_services.submit_registration(
            registration_values(contact_email="new@example.jp"), PASSWORD
        )
        signup_token = provider_services.start_signup(
            registration_values(contact_email="waiting@example.jp"), PASSWORD
        )
        doc = portal_services.request_document("shoshiki_1", provider_a, staff_a)
        withdrawal = provider_services.file_withdrawal(
            provider_a, staff_a, "講座の開設をやめるため"
        )
        change = changes.save_draft("provider_info", provider_a, staff_a, {"name": "変更後の学園"})
        changes.submit_change(change.pk, staff_a)
        question = questions.save_draft(
            provider_a, staff_a,
            {"category": "other", "category_other": "手続き全般", "document": "manual",
             "body": "質問です。"},
            [SimpleUploadedFile("q.pdf", b"%PDF-1.7")],
        )  # fmt: skip
        question = questions.submit_question(question.pk, staff_a)
    doc.refresh_from_db()
    assert doc.status == "done"
    fee_document = FeeDocument.objects.create(
        provider=provider_a, kind="receipt", number="RCP-2024-000001", issued_on=datetime.date(2024, 10, 2),
        addressee="Ａ学園", total=35000, tax=3181, filename="RCP-2024-000001.pdf", content=b"%PDF-1.7",
        checksum="0",
    )  # fmt: skip
    return {
        "reg": {"pk": registration.pk},
        "change": {"pk": change.pk},
        "course": {"pk": course.pk},
        "delivery": {"pk": course.pk, "delivery_pk": delivery.pk},
        "payment": {"pk": payment.pk},
        "fee_document": {"pk": fee_document.pk},
        "session": {"pk": session.pk},
        "site": {"site_pk": site.pk},
        "site_edit": {"pk": session.pk, "site_pk": site.pk},
        "application": {"pk": application.pk},
        "delivery_only": {"pk": delivery.pk},
        "report": {"pk": report.pk},
        "accepted_report": {"pk": accepted.pk},
        "completer": {"pk": report.pk, "completer_pk": completer.pk},
        "upload": {"pk": upload.pk},
        "site_pk": {"pk": site.pk},
        "certificate_copy": {"pk": report.pk, "copy_pk": certificate_copy.pk},
        "attachment": {"pk": course.pk, "attachment_pk": attachment.pk},
        "certificate": {"pk": course.pk, "version": 1},
        "verify_code": {"code": course.issued_certificates.get().display_verification_code},
        "measure": {"pk": site.pk, "measure_pk": measure.pk},
        "problem_file": {"site_pk": site.pk, "file_pk": problem_file.pk},
        "token": {"token": token},
        "signup_token": {"token": signup_token},
        "doc": {"pk": doc.pk},
        "withdrawal": {"pk": withdrawal.pk},
        "question": {"pk": question.pk},
        "question_file": {"pk": question.pk, "file_pk": question.attachments.get().pk},
        "doc_request": {"doc_id": "shoshiki_1", "object_pk": provider_a.pk},
        "provider_a": {"pk": provider_a.pk},
        "reset": {"uidb64": "MQ", "token": "bad-token"},
        "users": {
            "staff_a": staff_a,
            "staff_b": staff_b,
            "reviewer": reviewer,
            "ipa_admin": ipa_admin,
        },
    }


def _client(client, objects, role):
    if role != "anonymous":
        client.force_login(objects["users"][role])
    return client


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(TABLE))
def test_url_status_per_role(client, objects, name, role, django_capture_on_commit_callbacks):
    method, key, expected = TABLE[name]
    url = reverse(name, kwargs=objects[key] if key else None)
    data = (
        {"reason": "確認のため差し戻します。"}
        if name in ("review_return", "review_withdraw")
        else {}
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = getattr(_client(client, objects, role), method)(url, data)
    assert response.status_code == expected[role], (name, role, response.status_code)
    if name in EFFECT:  # a 302 alone would not tell success from a refused action
        state = Registration.objects.get(pk=objects["reg"]["pk"]).state
        assert state == (EFFECT[name] if role == "reviewer" else "submitted"), (name, role)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(ADMIN_TABLE))
def test_admin_status_per_role(client, objects, name, role):
    response = _client(client, objects, role).get(reverse(name))
    assert response.status_code == ADMIN_TABLE[name][role]


def test_foreign_provider_document_is_404_not_403(client, objects):
    """A document of provider A looks exactly like a missing one to B."""
    client.force_login(objects["users"]["staff_b"])
    foreign = client.get(reverse("document_download", kwargs=objects["doc"]))
    missing = client.get(reverse("document_download", kwargs={"pk": 999999}))
    assert foreign.status_code == missing.status_code == 404
