"""Issue 10, item 2 (E3, M§6.3–6.6): the exam problems come through the
portal instead of the file-exchange service. IPA uploads the decryption
sample (10 days before the exam) and the encrypted problems (4 days before)
with their passwords; the recipient — the registered contact, or the named
recipient with a temporary account made at the application close and removed
after the report window — downloads them from their date; the password only
on a POSTed confirmation, never by e-mail; every download audited; 404 for
everyone else; the Friday reminder once."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from calendars.models import ExamSession
from courses.models import DeliveryCourse
from exams import delivery
from exams import services as exam_services
from exams.models import (
    ApplicationState,
    ExamApplication,
    ExamSite,
    ProblemDownload,
    ProblemFile,
    ProblemRecipientAccount,
    ProblemReminder,
)
from exams.tasks import problem_recipient_accounts
from fees import services as fee_services
from fees.models import FeeKind, FeeLine, PaymentRequest
from portal import audit
from portal.models import AuditEntry, User

from .course_factories import certified_course
from .factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _axes_request():
    """django-axes checks every login against a request (issue 11)."""
    from django.test import RequestFactory

    return RequestFactory().post("/accounts/login/")


JST = ZoneInfo("Asia/Tokyo")
D = datetime.date
DEC = D(2024, 12, 8)  # Sunday; apply 11-06 .. 11-13 15:00; problems 12-04; report .. 12-13 17:00
IN_APPLY = datetime.datetime(2024, 11, 10, 10, 0, tzinfo=JST)
AFTER_CLOSE = datetime.datetime(2024, 11, 13, 15, 0, tzinfo=JST)
AFTER_REPORT = datetime.datetime(2024, 12, 13, 17, 0, tzinfo=JST)
PDF = b"%PDF-1.7\n% encrypted problems\n"
ROLES = {
    "exam_site": "東京都文京区本駒込2-28-8 IPA大学 本館", "manager": "情報 太郎 教務部",
    "manager_deputy": "情報 花子", "electronic_keeper": "情報 花子 教務部", "printer": "情報 花子 教務部",
    "printed_keeper": "情報 花子 教務部", "storage_method": "金庫、鍵は情報 太郎", "exam_executive": "情報 太郎",
    "grading_lead": "情報 太郎", "graders": 2, "grading_passes": 2,
}  # fmt: skip
RECIPIENT = {
    "recipient_is_contact": False, "recipient_postal_code": "113-8663",
    "recipient_address": "東京都文京区本駒込2-28-8", "recipient_workplace": "IPA大学 分校",
    "recipient_tel": "03-5978-7600", "recipient_name": "受取\u3000三郎", "recipient_department": "教務課",
    "recipient_email": "uketori@bunko.example.jp",
}  # fmt: skip


class Clock:
    """timezone.localdate() without an argument answers ``today``."""

    def __init__(self, today):
        self.today = today


@pytest.fixture
def clock(monkeypatch):
    real = timezone.localdate
    clock = Clock(D(2024, 8, 20))

    def localdate(value=None, tz=None):
        return real(value, tz) if value is not None else clock.today

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return clock


def _paid_site(provider, staff, reviewer, clock, values=ROLES, pay=True):
    course = certified_course(provider, staff, reviewer)
    delivery_course = course.delivery_courses.get()
    session = ExamSession.objects.get(exam_date=DEC)
    site = exam_services.save_site(provider, staff, session.pk, values, now=IN_APPLY)
    exam_services.save_application(site.pk, staff, delivery_course.pk, 10, now=IN_APPLY)
    application = exam_services.submit_applications(site.pk, staff, now=IN_APPLY)[0]
    if pay:
        _pay(application, staff, reviewer, clock)
    return site


def _pay(application, staff, reviewer, clock):
    line = FeeLine.objects.get(pk=application.fee_line_id)
    request = fee_services.create_payment_request(
        line.provider, staff, [line.pk],
        {"payment_date": D(2024, 11, 11), "bank": "銀行", "payer_name_kana": f"{line.provider.number}エー"},
    )  # fmt: skip
    before, clock.today = clock.today, D(2024, 11, 12)
    fee_services.confirm_payment(request.pk, reviewer, D(2024, 11, 12))
    clock.today = before


def _upload(admin, kind, password="Kouza#Dec2024", data=PDF, **kwargs):
    session = ExamSession.objects.get(exam_date=DEC)
    upload = SimpleUploadedFile(f"{kind}.pdf", data, content_type="application/pdf")
    return delivery.upload_problem_file(session.pk, admin, kind, upload, password, **kwargs)


@pytest.fixture
def files(ipa_admin):
    return {
        "sample": _upload(ipa_admin, "sample", password="Sample_2024"),
        "problems": _upload(ipa_admin, "problems"),
    }


def _download_url(site, problem_file):
    return reverse("problem_download", kwargs={"site_pk": site.pk, "file_pk": problem_file.pk})


def _password_url(site, problem_file):
    return reverse("problem_password", kwargs={"site_pk": site.pk, "file_pk": problem_file.pk})


# IPA's upload ------------------------------------------------------------------------------


def test_m6_3_files_are_available_10_and_4_days_before_and_stored_once_with_sha256(
    ipa_admin, files
):
    sample, problems = files["sample"], files["problems"]
    assert sample.available_from == D(2024, 11, 28)  # 10 days before
    assert problems.available_from == D(2024, 12, 4)  # 問題の提供日 (4 days before)
    assert len(sample.sha256) == 64 and problems.size == len(PDF)
    # A new upload replaces the earlier file of its kind (one file per kind).
    again = _upload(ipa_admin, "problems", available_from=D(2024, 12, 3))
    assert again.pk == problems.pk and again.available_from == D(2024, 12, 3)
    assert ProblemFile.objects.count() == 2
    entry = AuditEntry.objects.filter(action="problem_file.upload").first()
    assert "を登録しました" in audit.sentence(entry) and "problem" not in audit.sentence(entry)


def test_e3_only_an_ipa_administrator_uploads_and_only_a_pdf(ipa_admin, reviewer):
    with pytest.raises(PermissionDenied):
        _upload(reviewer, "problems")
    with pytest.raises(ValidationError) as refused:
        _upload(ipa_admin, "problems", data=b"PK\x03\x04 not a pdf")
    assert "「ファイル」の内容がPDFではありません。" in str(refused.value)
    with pytest.raises(ValidationError) as refused:
        _upload(ipa_admin, "problems", password=" ")
    assert "「復号パスワード」を入力してください。" in str(refused.value)


def test_e3_upload_page_keeps_the_typed_values_on_refusal(client, ipa_admin):
    session = ExamSession.objects.get(exam_date=DEC)
    client.force_login(ipa_admin)
    response = client.post(
        reverse("review_problem_upload", kwargs={"pk": session.pk}),
        {"kind": "problems", "password": "Kouza#Dec2024",
         "file": SimpleUploadedFile("p.txt", b"text")},
    )  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 200
    assert "「ファイル」はPDFファイルを選んでください。" in page
    assert 'value="Kouza#Dec2024"' in page
    response = client.post(
        reverse("review_problem_upload", kwargs={"pk": session.pk}),
        {"kind": "problems", "password": "Kouza#Dec2024", "file": SimpleUploadedFile("p.pdf", PDF)},
    )
    assert response.status_code == 302
    assert ProblemFile.objects.get().filename == "p.pdf"


# The registered contact downloads ------------------------------------------------------------


def test_e3_contact_downloads_from_the_date_with_attachment_no_store_and_audit(
    client, clock, provider_a, staff_a, reviewer, files
):
    site = _paid_site(provider_a, staff_a, reviewer, clock)
    client.force_login(staff_a)
    problems = files["problems"]
    clock.today = D(2024, 12, 3)  # the day before the delivery date: not yet
    assert client.get(_download_url(site, problems)).status_code == 404
    assert client.get(_password_url(site, problems)).status_code == 404
    page = client.get(reverse("problem_list")).content.decode()
    assert "2024年12月4日" in page and _download_url(site, files["sample"]) in page
    assert _download_url(site, problems) not in page
    clock.today = D(2024, 12, 4)  # the delivery date
    response = client.get(_download_url(site, problems))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment;")
    assert "problems.pdf" in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store"
    download = ProblemDownload.objects.get()
    assert (download.site, download.file, download.user) == (site, problems, staff_a)
    entry = AuditEntry.objects.get(action="problem_file.download")
    assert entry.actor == staff_a and provider_a.number in entry.note
    assert audit.sentence(entry).endswith("をダウンロードしました")
    assert "ダウンロード済み" in client.get(reverse("problem_list")).content.decode()


def test_e3_404_for_another_provider_a_colleague_ipa_and_an_unpaid_application(
    client, clock, provider_a, staff_a, provider_b, staff_b, reviewer, ipa_admin, files
):
    site = _paid_site(provider_a, staff_a, reviewer, clock, pay=False)
    clock.today = D(2024, 12, 5)
    url = _download_url(site, files["problems"])
    client.force_login(staff_a)  # the recipient, but the problem fee is not confirmed
    assert client.get(url).status_code == 404
    assert (
        "問題提供料の入金が確認されていません"
        in client.get(reverse("problem_list")).content.decode()
    )
    _pay(site.applications.get(), staff_a, reviewer, clock)
    assert client.get(url).status_code == 200
    colleague = MembershipFactory(provider=provider_a, user__email="c@a.example.jp").user
    for user in (staff_b, colleague, reviewer, ipa_admin):
        client.force_login(user)
        assert client.get(url).status_code == 404, user
        assert client.get(_password_url(site, files["problems"])).status_code == 404, user
    client.logout()
    assert client.get(url).status_code == 302  # to the login page
    # A withdrawn or cancelled application delivers nothing either.
    ExamApplication.objects.filter(site=site).update(state=ApplicationState.WITHDRAWN)
    client.force_login(staff_a)
    assert client.get(url).status_code == 404


def test_m6_4_password_only_on_the_posted_confirmation_never_by_mail(
    client, clock, provider_a, staff_a, reviewer, files, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        site = _paid_site(provider_a, staff_a, reviewer, clock)
    clock.today = D(2024, 12, 4)
    client.force_login(staff_a)
    url = _password_url(site, files["problems"])
    confirm = client.get(url)
    assert confirm.status_code == 200 and "Kouza#Dec2024" not in confirm.content.decode()
    assert "パスワードを表示する" in confirm.content.decode()
    shown = client.post(url)
    assert "Kouza#Dec2024" in shown.content.decode() and shown["Cache-Control"] == "no-store"
    assert AuditEntry.objects.filter(action="problem_file.password", actor=staff_a).count() == 1
    assert not any("Kouza#Dec2024" in m.body for m in mail.outbox)


# E3: the named recipient's temporary account ---------------------------------------------------


def test_e3_m6_3_temporary_recipient_account_created_at_close_downloads_removed_after_report(
    client, clock, provider_a, staff_a, reviewer, files, django_capture_on_commit_callbacks
):
    site = _paid_site(provider_a, staff_a, reviewer, clock, values={**ROLES, **RECIPIENT})
    before_close = AFTER_CLOSE - datetime.timedelta(seconds=1)
    assert delivery.create_recipient_accounts(before_close) == []  # the window is still open
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        made = delivery.create_recipient_accounts(AFTER_CLOSE)
    assert len(made) == 1
    account = ProblemRecipientAccount.objects.get(site=site)
    user = account.user
    assert user.email == "uketori@bunko.example.jp" and user.is_active
    assert not user.has_usable_password() and user.family_name == "受取"
    invitation = next(m for m in mail.outbox if m.to == [user.email])
    assert "受取人" in invitation.subject and "Kouza#Dec2024" not in invitation.body
    assert any(m.to == [provider_a.contact_email] for m in mail.outbox)  # the contact is told
    # A re-run makes nothing twice.
    assert delivery.create_recipient_accounts(AFTER_CLOSE) == []
    # The recipient sets a password with the link, logs in and downloads.
    link = re.search(r"http://\S+/exams/problems/invitation/\S+", invitation.body).group(0)
    path = link.removeprefix(settings.SITE_URL)
    form = client.get(path, follow=True)
    assert "修了試験問題の受取人" in form.content.decode()
    new_password = "Uketori-Sabur0-2024"
    response = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else path,
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 302
    assert client.login(request=_axes_request(), username=user.email, password=new_password)
    clock.today = D(2024, 12, 4)
    assert client.get(_download_url(site, files["problems"])).status_code == 200
    assert "2024年12月8日" in client.get(reverse("problem_list")).content.decode()
    # The contact is not this site's recipient: 404 for them.
    client.force_login(staff_a)
    assert client.get(_download_url(site, files["problems"])).status_code == 404
    # After the report window the account is removed.
    assert delivery.remove_recipient_accounts(AFTER_REPORT - datetime.timedelta(seconds=1)) == []
    removed = delivery.remove_recipient_accounts(AFTER_REPORT)
    assert [a.pk for a in removed] == [account.pk]
    user.refresh_from_db()
    assert not user.is_active and not user.has_usable_password()
    assert not client.login(request=_axes_request(), username=user.email, password=new_password)
    assert delivery.sites_for_recipient(user).count() == 0
    assert AuditEntry.objects.filter(action="problem_recipient.remove").count() == 1
    assert delivery.remove_recipient_accounts(AFTER_REPORT) == []  # once


def test_e3_no_temporary_account_for_an_unpaid_application(clock, provider_a, staff_a, reviewer):
    _paid_site(provider_a, staff_a, reviewer, clock, values={**ROLES, **RECIPIENT}, pay=False)
    assert delivery.create_recipient_accounts(AFTER_CLOSE) == []
    assert not User.objects.filter(email="uketori@bunko.example.jp").exists()


def test_e3_the_beat_task_makes_and_removes_accounts(clock, provider_a, staff_a, reviewer):
    site = _paid_site(provider_a, staff_a, reviewer, clock, values={**ROLES, **RECIPIENT})
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"exams.problem_recipient_accounts", "exams.remind_undownloaded"} <= tasks
    clock.today = D(2024, 11, 20)
    real_now = timezone.now

    try:
        timezone.now = lambda: AFTER_CLOSE
        assert len(problem_recipient_accounts.delay().get()["created"]) == 1
        timezone.now = lambda: AFTER_REPORT
        assert len(problem_recipient_accounts.delay().get()["removed"]) == 1
    finally:
        timezone.now = real_now
    assert ProblemRecipientAccount.objects.get(site=site).removed_at is not None


# The Friday reminder (M§6.3) ---------------------------------------------------------------


def test_m6_3_friday_reminder_once_per_recipient_and_exam_date(
    clock, provider_a, staff_a, provider_b, staff_b, reviewer, files,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    site_a = _paid_site(provider_a, staff_a, reviewer, clock)
    _paid_site(provider_b, staff_b, reviewer, clock)
    ProblemDownload.objects.create(file=files["problems"], site=site_a, user=staff_a)
    mail.outbox.clear()
    assert delivery.reminder_day(site_a.session) == D(2024, 12, 6)  # the Friday before
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery.remind_undownloaded(D(2024, 12, 5)) == []  # Thursday: nothing
        sent = delivery.remind_undownloaded(D(2024, 12, 6))
    assert [r.user for r in sent] == [staff_b]  # A has downloaded
    assert [m.to for m in mail.outbox] == [[staff_b.email]]
    assert "まだダウンロードされていません" in mail.outbox[0].subject
    assert "Kouza#Dec2024" not in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery.remind_undownloaded(D(2024, 12, 6)) == []  # the second run: nothing
    assert len(mail.outbox) == 1 and ProblemReminder.objects.count() == 1


# IPA's status table ------------------------------------------------------------------------


def _more_sites(provider, session, n, start):
    course = provider.courses.first()
    template = course.delivery_courses.first()
    for i in range(n):
        dc = DeliveryCourse.objects.get(pk=template.pk)
        dc.pk = None
        dc.serial = start + i
        dc.save()
        site = ExamSite.objects.create(provider=provider, session=session, **ROLES)
        request = PaymentRequest.objects.create(
            provider=provider, payment_date=D(2024, 11, 11), bank="銀行", payer_name_kana="ア",
            confirmed_on=D(2024, 11, 12),
        )  # fmt: skip
        line = FeeLine.objects.create(
            provider=provider, kind=FeeKind.PROBLEM, description="問題提供料", unit_amount=2000,
            quantity=5, payment_request=request,
        )  # fmt: skip
        ExamApplication.objects.create(
            delivery_course=dc, session=session, site=site, applicants=5,
            state=ApplicationState.SUBMITTED, submitted_at=IN_APPLY, fee_line=line,
        )  # fmt: skip


def test_e3_status_table_shows_who_downloaded_with_a_constant_number_of_queries(
    client, clock, provider_a, staff_a, reviewer, files
):
    site = _paid_site(provider_a, staff_a, reviewer, clock)
    session = site.session
    ProblemDownload.objects.create(file=files["sample"], site=site, user=staff_a)
    client.force_login(reviewer)
    url = reverse("review_problems", kwargs={"pk": session.pk})

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries), response.content.decode()

    _more_sites(provider_a, session, 3, 10)
    few, page = count()
    assert "ダウンロード済み" in page and "未ダウンロード" in page
    assert "ファイルを登録する" not in page  # a reviewer reads; administrators upload
    _more_sites(provider_a, session, 60, 20)
    many, page = count()
    assert many == few, (few, many)
    assert "page=2" in page  # 50 a page


def test_e3_the_dashboard_says_the_problems_are_out_until_downloaded(
    client, clock, provider_a, staff_a, reviewer, files, monkeypatch
):
    site = _paid_site(provider_a, staff_a, reviewer, clock)
    day = {"now": datetime.datetime(2024, 12, 3, 10, 0, tzinfo=JST)}
    monkeypatch.setattr("django.utils.timezone.now", lambda: day["now"])
    client.force_login(staff_a)
    assert "の修了試験の問題を" not in client.get(reverse("home")).content.decode()
    day["now"] = datetime.datetime(2024, 12, 4, 10, 0, tzinfo=JST)
    client.force_login(staff_a)  # a day later: the 30-minute session has ended
    page = client.get(reverse("home")).content.decode()
    assert "12月8日の修了試験の問題を12月4日から提供しています" in page
    assert reverse("problem_list") in page
    ProblemDownload.objects.create(file=files["problems"], site=site, user=staff_a)
    assert "の修了試験の問題を" not in client.get(reverse("home")).content.decode()
