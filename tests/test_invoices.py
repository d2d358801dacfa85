"""Issue 10, items 4–5: qualified invoices and receipts (F4, I3, M§14), the fee
history (I1, I2) and the terms to accept before the first course (I5)."""

import datetime
import hashlib
import shutil
import subprocess
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fees import rules
from fees import services as fee_services
from fees.models import FeeDocument, FeeKind, FeeLine
from portal.models import AuditEntry

from .course_factories import certified_course
from .test_exams_services import DEC, IN_APPLY, ROLES  # noqa: F401

pytestmark = pytest.mark.django_db
D = datetime.date
CERTIFIED = D(2024, 10, 1)  # certified_course's 認定日


def _on(day):
    return mock.patch("django.utils.timezone.localdate", return_value=day)


def _pdftotext(data: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (Debian poppler-utils) is not installed: run `make system-deps`")
    out = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return out.stdout.decode()


@pytest.fixture
def course(provider_a, staff_a, reviewer):
    return certified_course(provider_a, staff_a, reviewer)


def _review_line(course) -> FeeLine:
    return course.fee_lines.get(kind=FeeKind.REVIEW)


def _problem_line(provider, staff, course) -> FeeLine:
    from calendars.models import ExamSession
    from exams import services as exam_services

    session = ExamSession.objects.get(exam_date=DEC)
    site = exam_services.save_site(provider, staff, session.pk, ROLES, now=IN_APPLY)
    delivery = course.delivery_courses.get()
    exam_services.save_application(site.pk, staff, delivery.pk, 20, now=IN_APPLY)
    application = exam_services.submit_applications(site.pk, staff, now=IN_APPLY)[0]
    return FeeLine.objects.get(pk=application.fee_line_id)


PAID_ON = D(2024, 11, 11)


def _pay(line, staff, reviewer, on=PAID_ON):
    with _on(on):
        request = fee_services.create_payment_request(
            line.provider, staff, [line.pk],
            {"payment_date": on, "bank": "銀行", "payer_name_kana": f"{line.provider.number}エー"},
        )  # fmt: skip
        fee_services.confirm_payment(request.pk, reviewer, on)
    return request


def _issue(client, kind, lines, addressee="Ａ学園 経理部"):
    return client.post(
        reverse("fee_document_issue"),
        {"kind": kind, "addressee": addressee, "lines": [line.pk for line in lines]},
    )


# Pure rules ------------------------------------------------------------------------


def test_f4_tax_is_computed_once_per_document_and_rounded_down():
    assert rules.consumption_tax_included(35_000) == 3_181  # 3,181.8… → 3,181
    assert rules.consumption_tax_included(40_000) == 3_636
    # once on the total, not per line: two lines of 2,000 give 363, not 181 + 181
    assert rules.consumption_tax_included(4_000) == 363
    assert rules.consumption_tax_included(2_000) * 2 == 362
    assert rules.document_number("invoice", 2026, 1) == "INV-2026-000001"
    assert rules.document_number("receipt", 2026, 12) == "RCP-2026-000012"


def test_f4_receipt_window_is_one_year_from_the_day_it_became_available():
    common = dict(description="講座", cancelled=False, refundable=False, paid_on=D(2024, 9, 1),
                  available_from=CERTIFIED, available_label="認定証の発行日")  # fmt: skip
    assert rules.receipt_problem(**common, today=D(2024, 9, 30)) == (
        "「講座」の領収書は、認定証の発行日（2024/10/01）以降に発行できます。"
    )
    assert rules.receipt_problem(**common, today=CERTIFIED) is None
    assert rules.receipt_problem(**common, today=D(2025, 10, 1)) is None
    assert "1年以内に限り" in rules.receipt_problem(**common, today=D(2025, 10, 2))
    assert rules.one_year_after(D(2024, 2, 29)) == D(2025, 2, 28)
    assert "入金確認前" in rules.receipt_problem(**{**common, "paid_on": None}, today=CERTIFIED)


def test_f4_invoice_only_before_payment_rule():
    common = dict(description="講座", cancelled=False, today=D(2024, 11, 10))
    assert rules.invoice_problem(**common, paid_on=None, payment_date=None) is None
    # a form naming a payment date still to come: not paid yet
    assert rules.invoice_problem(**common, paid_on=None, payment_date=D(2024, 11, 12)) is None
    assert "入金済み" in rules.invoice_problem(**common, paid_on=None, payment_date=D(2024, 11, 9))
    assert "入金確認済み" in rules.invoice_problem(
        **common, paid_on=D(2024, 11, 9), payment_date=D(2024, 11, 9)
    )


# Receipts and invoices through the pages -------------------------------------------


def test_f4_i3_receipt_for_a_review_fee_after_the_certificate_carries_what_it_must(
    client, course, staff_a
):
    client.force_login(staff_a)
    line = _review_line(course)
    with _on(D(2024, 10, 15)):
        response = _issue(client, "receipt", [line], addressee="学校法人Ａ学園 経理課")
    assert response.status_code == 302
    document = FeeDocument.objects.get()
    assert document.number == "RCP-2024-000001"
    assert document.total == 35_000 and document.tax == 3_181
    assert document.checksum == hashlib.sha256(bytes(document.content)).hexdigest()
    text = _pdftotext(bytes(document.content))
    assert "領収書" in text
    assert "T1234567890123" in text  # IPA's registration number (the setting)
    assert "独立行政法人情報処理推進機構" in text  # the issuer
    assert "2024年10月15日" in text  # the date
    assert "学校法人Ａ学園 経理課" in text  # the addressee, as typed
    assert "RCP-2024-000001" in text
    assert line.description in text  # what the line is for
    assert "10%対象 合計（税込）" in text and "35,000円" in text
    assert "うち消費税等（10%）" in text and "3,181円" in text
    entry = AuditEntry.objects.get(action="fee_document.receipt")
    assert "RCP-2024-000001" in entry.note


def test_f4_receipt_refused_before_the_certificate_and_after_one_year(
    client, provider_a, staff_a, reviewer
):
    from .course_factories import complete_course

    draft = complete_course(provider_a, staff_a)
    from courses import services as course_services

    with _on(D(2024, 8, 1)):
        course_services.submit_course(draft.pk, staff_a)
    line = _review_line(draft)
    _pay(line, staff_a, reviewer, on=D(2024, 8, 2))
    client.force_login(staff_a)
    with _on(D(2024, 8, 3)):
        response = _issue(client, "receipt", [line], addressee="経理部の宛名")
    assert response.status_code == 200
    html = response.content.decode()
    assert "の領収書は、認定証の発行日以降に発行できます。" in html
    assert "経理部の宛名" in html  # nothing typed is lost
    assert f'value="{line.pk}" aria-label="{line.description}" checked' in html
    assert not FeeDocument.objects.exists()


def test_f4_receipt_refused_more_than_a_year_after_the_certificate(client, course, staff_a):
    client.force_login(staff_a)
    with _on(D(2025, 10, 2)):
        response = _issue(client, "receipt", [_review_line(course)])
    assert (
        "認定証の発行日（2024/10/01）から1年以内に限り発行できます。" in response.content.decode()
    )
    with _on(D(2025, 10, 1)):
        assert _issue(client, "receipt", [_review_line(course)]).status_code == 302


def test_f4_invoice_only_before_payment(client, course, provider_a, staff_a, reviewer):
    client.force_login(staff_a)
    paid = _review_line(course)
    with _on(D(2024, 11, 10)):
        response = _issue(client, "invoice", [paid])
    assert "入金確認済みのため、請求書は発行できません（請求書は入金前に限り発行できます）。" in (
        response.content.decode()
    )
    problem = _problem_line(provider_a, staff_a, course)  # 20 applicants: 40,000 円, unpaid
    with _on(D(2024, 11, 10)):
        assert _issue(client, "invoice", [problem], addressee="Ａ学園").status_code == 302
    invoice = FeeDocument.objects.get()
    assert invoice.number == "INV-2024-000001" and invoice.kind == "invoice"
    text = _pdftotext(bytes(invoice.content))
    assert "請求書（適格請求書）" in text and "T1234567890123" in text
    assert "40,000円" in text and "3,636円" in text and "INV-2024-000001" in text
    assert "Ａ学園" in text


def test_f4_problem_fee_receipt_after_the_problems_delivery(
    client, course, provider_a, staff_a, reviewer
):
    client.force_login(staff_a)
    problem = _problem_line(provider_a, staff_a, course)
    _pay(problem, staff_a, reviewer, on=D(2024, 11, 11))
    with _on(DEC - datetime.timedelta(days=1)):
        response = _issue(client, "receipt", [problem])
    assert "修了試験問題の提供日（修了試験日）（2024/12/08）以降に発行できます" in (
        response.content.decode()
    )
    with _on(DEC):
        assert _issue(client, "receipt", [problem, _review_line(course)]).status_code == 302
    receipt = FeeDocument.objects.get()
    assert receipt.total == 75_000 and receipt.tax == rules.consumption_tax_included(75_000)
    assert receipt.lines.count() == 2


def test_i3_download_serves_the_stored_bytes_and_each_download_is_audited(
    client, course, staff_a, staff_b, reviewer
):
    client.force_login(staff_a)
    with _on(D(2024, 10, 15)):
        _issue(client, "receipt", [_review_line(course)])
    document = FeeDocument.objects.get()
    url = reverse("fee_document_download", args=[document.pk])
    first = client.get(url)
    second = client.get(url)
    assert first.status_code == 200 and first["Cache-Control"] == "no-store"
    assert first["Content-Disposition"].startswith("attachment")
    assert first.content == second.content == bytes(document.content)
    assert AuditEntry.objects.filter(action="fee_document.download").count() == 2
    history = client.get(reverse("fee_history")).content.decode()
    assert url in history and document.number in history
    client.force_login(staff_b)
    assert client.get(url).status_code == 404  # another provider
    client.force_login(reviewer)
    assert client.get(url).status_code == 200


def test_f4_another_providers_line_is_refused(client, course, staff_b):
    client.force_login(staff_b)
    with _on(D(2024, 10, 15)):
        response = _issue(client, "receipt", [_review_line(course)])
    assert response.status_code == 200
    assert "1つ以上選んでください" in response.content.decode()
    assert not FeeDocument.objects.exists()


def test_f4_document_numbers_are_sequential(course, provider_a, staff_a):
    line = _review_line(course)
    numbers = [
        fee_services.issue_document(provider_a, staff_a, "receipt", [line.pk], "宛名", today=D(2024, 10, 2)).number
        for _ in range(3)
    ]  # fmt: skip
    assert numbers == ["RCP-2024-000001", "RCP-2024-000002", "RCP-2024-000003"]


# The fee history (I1/I2) -------------------------------------------------------------


def _add_lines(provider, n):
    for i in range(n):
        FeeLine.objects.create(
            provider=provider, kind=FeeKind.PROBLEM, description=f"修了試験 {i}", unit_amount=2000
        )


def test_i1_i2_fee_history_shows_every_line_with_status_and_links(
    client, course, provider_a, staff_a, reviewer
):
    problem = _problem_line(provider_a, staff_a, course)
    review = _review_line(course)
    client.force_login(staff_a)
    html = client.get(reverse("fee_history")).content.decode()
    assert problem.description in html and review.description in html
    assert "未払い" in html and "入金確認済み" in html
    assert "35,000円" in html and "40,000円" in html
    assert reverse("payment_request_detail", args=[review.payment_request_id]) in html
    assert "2024/10/01" in html or "入金確認" in html  # the payment date


def test_i1_i2_fee_history_costs_the_same_with_many_rows(
    client, course, provider_a, staff_a, django_assert_max_num_queries
):
    client.force_login(staff_a)
    url = reverse("fee_history")
    _add_lines(provider_a, 5)
    _add_documents(provider_a, FeeLine.objects.all()[:1])
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    _add_lines(provider_a, 200)
    _add_documents(provider_a, FeeLine.objects.all()[1:40])
    with django_assert_max_num_queries(len(small.captured_queries)):
        html = client.get(url).content.decode()
    assert html.count('name="lines"') == 50  # paginated


def _add_documents(provider, lines):
    for line in lines:
        document = FeeDocument.objects.create(
            provider=provider, kind="invoice", number=f"INV-2099-{line.pk:06d}", issued_on=D(2024, 1, 1),
            addressee="宛名", total=line.amount, tax=0, filename="x.pdf", content=b"x", checksum="0",
        )  # fmt: skip
        document.lines.add(line)


# I5: the terms and the registered data before the first course ---------------------


def test_i5_first_course_application_waits_for_the_terms_and_the_registered_data(
    client, provider_a, staff_a
):
    provider_a.terms_accepted_at = None
    provider_a.save(update_fields=["terms_accepted_at"])
    client.force_login(staff_a)
    response = client.get(reverse("course_create"))
    assert response.status_code == 302
    assert response["Location"] == reverse("provider_terms") + "?next=" + reverse("course_create")
    page = client.get(response["Location"]).content.decode()
    assert "利用規約" in page and "第2条（事前申請の原則）" in page
    assert provider_a.name in page and provider_a.contact_email in page  # 申請書式1's data
    # both boxes are needed; what is missing is named
    refused = client.post(
        reverse("provider_terms"), {"agree": "on", "next": reverse("course_create")}
    )
    assert refused.status_code == 200
    assert "登録内容（申請書式1）に誤りがないことを確認しました" in refused.content.decode()
    provider_a.refresh_from_db()
    assert provider_a.terms_accepted_at is None
    accepted = client.post(
        reverse("provider_terms"),
        {"agree": "on", "confirm_data": "on", "next": reverse("course_create")},
    )
    assert accepted.status_code == 302 and accepted["Location"] == reverse("course_create")
    provider_a.refresh_from_db()
    assert provider_a.terms_accepted_at is not None
    assert provider_a.terms_accepted_by == staff_a
    entry = AuditEntry.objects.get(action="provider.terms_accept")
    assert "利用規約" in entry.note
    assert client.get(reverse("course_create")).status_code == 200
    assert (
        "に同意し、登録内容を確認しました" in client.get(reverse("provider_terms")).content.decode()
    )


def test_i5_next_never_leaves_the_site(client, provider_a, staff_a):
    provider_a.terms_accepted_at = None
    provider_a.save(update_fields=["terms_accepted_at"])
    client.force_login(staff_a)
    response = client.post(
        reverse("provider_terms"),
        {"agree": "on", "confirm_data": "on", "next": "https://evil.example.com/"},
    )
    assert response["Location"] == reverse("home")


def test_i5_a_provider_with_courses_is_not_stopped(client, course, provider_a, staff_a):
    """Its first course application was made before the terms page existed."""
    provider_a.terms_accepted_at = None
    provider_a.save(update_fields=["terms_accepted_at"])
    client.force_login(staff_a)
    assert client.get(reverse("course_create")).status_code == 200


# The documents page (I4) --------------------------------------------------------------


def test_i4_documents_page_lists_certificates_and_forms_with_constant_queries(
    client, course, provider_a, staff_a, django_assert_max_num_queries
):
    from .course_factories import complete_course

    client.force_login(staff_a)
    url = reverse("provider_documents")
    with CaptureQueriesContext(connection) as small:
        html = client.get(url).content.decode()
    assert reverse("certificate_download", args=[course.pk, 1]) in html
    assert course.certificate_number in html
    assert "申請書式1" in html and "申請書式2" in html
    for _ in range(3):
        complete_course(provider_a, staff_a, with_delivery=False)
    with django_assert_max_num_queries(len(small.captured_queries)):
        html = client.get(url).content.decode()
    assert html.count('data-doc="shoshiki_2"') == 4  # one 申請書式2 button per course
