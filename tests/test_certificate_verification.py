"""C12 with its verification: the 認定証 PDF carries a QR code of its public
verification page and a short verification code; the page shows what the
certificate says and its status today (有効 / 期間満了 / 取消し), the SHA-256
of the issued PDF and compares a copy (一致 / 不一致); an unknown code reveals
nothing; a reissued version still answers, as superseded."""

import datetime
import hashlib
import re
import shutil
import subprocess

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from certifications import services as certificate_services
from certifications import verification
from certifications.models import VERIFICATION_ALPHABET, IssuedCertificate
from courses import services as course_services
from courses.models import ExemptionCourse, SubmissionStates

from .course_factories import certified_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def today(monkeypatch):
    def set_today(day):
        monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: day)
        return day

    return set_today


@pytest.fixture
def course(provider_a, staff_a, reviewer):
    return certified_course(provider_a, staff_a, reviewer)  # certified 2024-10-01


@pytest.fixture
def issued(course):
    return IssuedCertificate.objects.get(course=course, version=1)


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} (Debian {package}) is not installed: run `make system-deps`")
    return path


def qr_codes_of(pdf: bytes, tmp_path) -> list[str]:
    """Render the PDF's first page to PNG (pdftoppm) and read its QR codes (zbarimg)."""
    (tmp_path / "certificate.pdf").write_bytes(pdf)
    subprocess.run(
        [_tool("pdftoppm", "poppler-utils"), "-r", "150", "-png", "-singlefile", "-f", "1",
         str(tmp_path / "certificate.pdf"), str(tmp_path / "page")],
        check=True, timeout=60,
    )  # fmt: skip
    result = subprocess.run(
        [_tool("zbarimg", "zbar-tools"), "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable",
         str(tmp_path / "page.png")],
        capture_output=True, timeout=60,
    )  # fmt: skip
    return result.stdout.decode().split()


def pdf_text(pdf: bytes) -> str:
    result = subprocess.run(
        [_tool("pdftotext", "poppler-utils"), "-layout", "-enc", "UTF-8", "-", "-"],
        input=pdf, capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    return re.sub(r"[ \t\r\n]+", " ", result.stdout.decode())


def page_text(response) -> str:
    html = response.content.decode()
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", html))


# The code ------------------------------------------------------------------------------


def test_c12_every_issued_version_gets_a_random_unambiguous_unique_code(issued):
    code = issued.verification_code
    assert len(code) == 12 and set(code) <= set(VERIFICATION_ALPHABET)
    assert not set("IO01") & set(VERIFICATION_ALPHABET)
    assert issued.display_verification_code == f"{code[:4]}-{code[4:8]}-{code[8:]}"
    codes = {verification.new_code() for _ in range(2000)}
    assert len(codes) == 2000  # random, not a sequence


def test_c12_typed_codes_are_normalised():
    assert verification.normalize("abcd-efgh-jklm") == "ABCDEFGHJKLM"
    assert verification.normalize(" ＡＢＣＤ－ＥＦＧＨ　ＪＫＬＭ ") == "ABCDEFGHJKLM"  # full-width
    assert verification.normalize("ABCD EFGH JKLM") == "ABCDEFGHJKLM"
    assert verification.normalize("ABCD-EFGH-JKL0") is None  # 0 is not in the alphabet
    assert verification.normalize("ABCD-EFGH") is None
    assert verification.normalize("") is None


# The QR code on the certificate ------------------------------------------------------------


def test_c12_certificate_qr_code_decodes_to_its_verification_page(
    client, course, issued, tmp_path, today
):
    pdf = bytes(issued.content)
    url = verification.verification_url(issued.verification_code)
    assert url == f"{settings.SITE_URL}/verify/{issued.display_verification_code}/"
    assert qr_codes_of(pdf, tmp_path) == [url]
    assert issued.display_verification_code in pdf_text(pdf)  # printed beside it

    today(datetime.date(2025, 5, 1))
    response = client.get(url.removeprefix(settings.SITE_URL))  # anonymous
    assert response.status_code == 200
    text = page_text(response)
    assert "状況： 有効" in text
    assert "2024-2026年度講座A" in text and "Ａ学園" in text
    assert "2024情テ人国第1号" in text  # the document number
    assert "2024年10月1日" in text and "2026年9月30日" in text  # certification and end dates
    assert "第1版・発行" in text
    assert issued.checksum == hashlib.sha256(pdf).hexdigest()
    assert issued.checksum in text


def test_c12_reissued_certificate_has_its_own_code_and_the_old_one_says_superseded(
    client, course, issued, reviewer, tmp_path, today
):
    today(datetime.date(2025, 4, 1))
    certificate_services.reissue_certificate(course.pk, reviewer, "実施講座を追加したため")
    second = IssuedCertificate.objects.get(course=course, version=2)
    assert second.verification_code != issued.verification_code
    assert qr_codes_of(bytes(second.content), tmp_path) == [
        verification.verification_url(second.verification_code)
    ]
    old = page_text(
        client.get(reverse("certificate_verify", args=[issued.display_verification_code]))
    )
    assert "2025年4月1日に再発行（第2版）" in old and "置き換わっています" in old
    assert second.display_verification_code not in old  # the new code is not given away
    new = page_text(
        client.get(reverse("certificate_verify", args=[second.display_verification_code]))
    )
    assert "置き換わっています" not in new and "第2版・再発行" in new


# Comparing a copy ----------------------------------------------------------------------


def test_c12_uploaded_copy_matches_and_a_tampered_one_does_not(client, issued):
    url = reverse("certificate_verify", args=[issued.display_verification_code])
    pdf = bytes(issued.content)
    same = client.post(url, {"file": SimpleUploadedFile("認定証.pdf", pdf, "application/pdf")})
    assert same.status_code == 200
    assert "一致：" in page_text(same) and "不一致：" not in page_text(same)

    tampered = bytearray(pdf)
    position = pdf.index(b"/Producer") if b"/Producer" in pdf else len(pdf) // 2
    tampered[position] ^= 0x01  # one bit of one byte
    assert hashlib.sha256(bytes(tampered)).hexdigest() != issued.checksum
    changed = client.post(url, {"file": SimpleUploadedFile("認定証.pdf", bytes(tampered))})
    assert "不一致：" in page_text(changed)
    assert IssuedCertificate.objects.get(pk=issued.pk).checksum == issued.checksum  # nothing stored


def test_c12_a_huge_upload_is_refused_before_it_is_read(client, issued):
    url = reverse("certificate_verify", args=[issued.display_verification_code])
    huge = SimpleUploadedFile("認定証.pdf", b"%PDF" + b"0" * (21 * 1024 * 1024))
    text = page_text(client.post(url, {"file": huge}))
    assert "20MB以下のファイルを選んでください" in text
    assert "一致：" not in text and "不一致：" not in text


def test_c12_pasted_sha256_is_compared(client, issued):
    url = reverse("certificate_verify", args=[issued.display_verification_code])
    pasted = " ".join(re.findall(".{8}", issued.checksum.upper()))  # spaces, upper case
    assert "一致：" in page_text(client.post(url, {"sha256": pasted}))
    other = hashlib.sha256(b"another file").hexdigest()
    assert "不一致：" in page_text(client.post(url, {"sha256": other}))
    refused = page_text(client.post(url, {"sha256": "abc"}))
    assert "「SHA-256（ファイルのハッシュ値）」は16進数64桁" in refused
    empty = page_text(client.post(url, {}))
    assert "「認定証のPDFファイル」を選ぶか" in empty


# An unknown code --------------------------------------------------------------------------


def test_c12_unknown_code_reveals_nothing(client, course, issued):
    responses = [
        client.get(reverse("certificate_verify", args=["WXYZ-2345-6789"])),  # well-formed
        client.get(reverse("certificate_verify", args=["not-a-code"])),  # malformed
        client.post(reverse("certificate_verify", args=["WXYZ-2345-6789"]), {"sha256": issued.checksum}),
    ]  # fmt: skip
    for response in responses:
        assert response.status_code == 404
        text = page_text(response)
        assert "該当する認定証は見つかりません" in text
        for secret in ("Ａ学園", "20001", "2024-2026年度講座A", "2024情テ人国第1号", issued.checksum,
                       "有効", "一致"):  # fmt: skip
            assert secret not in text, secret
    # the same page for both, apart from the echoed code
    first, second = (page_text(r).replace(code, "") for r, code in
                     zip(responses[:2], ("WXYZ-2345-6789", "not-a-code"), strict=True))  # fmt: skip
    assert first == second


def test_c12_code_form_leads_to_the_code_page(client, issued):
    form = client.get(reverse("certificate_verify_form"))
    assert form.status_code == 200 and "照合コード" in page_text(form)
    typed = issued.display_verification_code.lower().replace("-", " ")
    response = client.get(reverse("certificate_verify_form"), {"code": typed})
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "certificate_verify", args=[issued.display_verification_code]
    )
    assert client.get(reverse("certificate_verify_form"), {"code": "xyz"}).status_code == 404


def test_c12_lookups_are_rate_limited_per_client(client, issued, settings):
    settings.CERTIFICATE_VERIFY_LIMIT = 3
    url = reverse("certificate_verify", args=[issued.display_verification_code])
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
    limited = client.get(url)
    assert limited.status_code == 429
    assert "しばらくしてからお試しください" in page_text(limited)
    assert "Ａ学園" not in page_text(limited)


# The status today -------------------------------------------------------------------------


def _status(client, issued):
    response = client.get(reverse("certificate_verify", args=[issued.display_verification_code]))
    assert response.status_code == 200
    return re.search(r"状況： (\S+)", page_text(response))[1]


def test_c12_status_valid_expired_revoked(client, course, issued, today):
    today(datetime.date(2026, 9, 30))
    assert _status(client, issued) == "有効"
    # past the end date: 期間満了 (also before the scheduled task moved the course) …
    today(datetime.date(2026, 10, 1))
    assert _status(client, issued) == "期間満了"
    course_services.expire_courses(datetime.date(2026, 10, 1))
    assert ExemptionCourse.objects.get(pk=course.pk).state == SubmissionStates.EXPIRED
    assert _status(client, issued) == "期間満了"
    assert "認定期間は2026年9月30日に終了しました" in page_text(
        client.get(reverse("certificate_verify", args=[issued.display_verification_code]))
    )


def test_c12_status_revoked_with_its_date(client, course, issued, today):
    # The revocation is another part's transition: its state and date, set here.
    ExemptionCourse.objects.filter(pk=course.pk).update(
        state=SubmissionStates.REVOKED, revoked_on=datetime.date(2025, 3, 10)
    )
    today(datetime.date(2025, 3, 11))
    assert _status(client, issued) == "取消し"
    text = page_text(
        client.get(reverse("certificate_verify", args=[issued.display_verification_code]))
    )
    assert "2025年3月10日に取り消されました" in text
    assert "認定取消日 2025年3月10日" in text


# Certificates issued before the codes ---------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_c12_certificates_issued_before_the_codes_get_one_in_the_data_migration(
    provider_a, staff_a, reviewer
):
    """0006 adds the column empty, 0007 gives every existing row a code, 0008
    makes it required and unique."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    course = certified_course(provider_a, staff_a, reviewer)
    before = ("certifications", "0006_verification_code")
    latest = ("certifications", "0008_verification_code_unique")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    try:
        old = executor.loader.project_state([before]).apps.get_model(
            "certifications", "IssuedCertificate"
        )
        old.objects.update(verification_code=None)
        second = old.objects.get(course_id=course.pk)
        second.pk, second.version, second.verification_code = None, 2, None
        second.save()
        assert old.objects.filter(verification_code=None).count() == 2
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate([latest])
    codes = list(IssuedCertificate.objects.values_list("verification_code", flat=True))
    assert len(codes) == 2 and len(set(codes)) == 2
    assert all(verification.normalize(code) == code for code in codes)
