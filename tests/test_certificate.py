"""認定証 (C12, 別紙14) as a PDF: its fields, A4 and one page, the dates of the
review record (C11), the file name (W3) and who may download it."""

import datetime
import re
import shutil
import subprocess
import zlib

import pytest
from django.utils import timezone

from calendars.models import ExamSession
from certifications import services as certificate_services
from certifications.documents import (
    CERTIFICATE,
    certificate_data,
    certificate_html,
    render_certificate,
)
from courses import services
from courses.models import DeliveryCourse, ExemptionCourse
from fees import services as fee_services
from fees.models import FeeLine
from portal import documents, pdf
from portal import services as portal_services
from portal.documents import PDF_MIME
from portal.models import GeneratedDocument

from .course_factories import complete_course

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 8, 20)
CERTIFIED_ON = datetime.date(2024, 10, 1)
A4_POINTS = (595.28, 841.89)

# Delivery courses added to the one of complete_course (99991-001-001).
MORE_DELIVERIES = [
    ("2024年度実施講座10月コースB", "大阪府", "大阪市北区梅田1-1-1", "梅田ビル3階"),
    ("2024年度実施講座11月コースC", "愛知県", "名古屋市中区栄2-2-2", ""),
]


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


def _add_deliveries(course, staff, count):
    for name, prefecture, address, building in MORE_DELIVERIES[:count]:
        services.save_delivery_course(
            course.pk, staff,
            {"name": name, "prefecture": prefecture, "address": address, "building": building,
             "expected_learners": 20, "start_date": datetime.date(2024, 10, 1),
             "end_date": datetime.date(2024, 12, 7), "instructors": "講師名：情報 太郎",
             "committee_declaration": True},
            [{"row": "upper", "slot": 1, "kind": "ipa",
              "session": ExamSession.objects.get(exam_date=datetime.date(2024, 12, 8))}],
        )  # fmt: skip


def _approved_course(provider, staff, reviewer, deliveries=1):
    """Submitted, paid, reviewed and approved (as in test_courses_services)."""
    course = complete_course(provider, staff)
    _add_deliveries(course, staff, deliveries - 1)
    services.submit_course(course.pk, staff)
    line = FeeLine.objects.get(course=course)
    request = fee_services.create_payment_request(
        provider, staff, [line.pk],
        {"payment_date": TODAY, "bank": "三菱UFJ銀行 本店", "payer_name_kana": "20001エーガクエン"},
    )  # fmt: skip
    fee_services.confirm_payment(request.pk, reviewer, TODAY)
    services.start_review(course.pk, reviewer)
    services.approve_course(course.pk, reviewer)
    return ExemptionCourse.objects.get(pk=course.pk)


def _certified_course(provider, staff, reviewer, deliveries=1):
    course = _approved_course(provider, staff, reviewer, deliveries)
    services.certify_course(course.pk, reviewer, CERTIFIED_ON)
    return ExemptionCourse.objects.get(pk=course.pk)


@pytest.fixture
def certified(provider_a, staff_a, reviewer):
    return _certified_course(provider_a, staff_a, reviewer, deliveries=3)


def _text(data: bytes) -> str:
    """``pdftotext -layout`` of the PDF, with runs of white space (including
    the full-width space, which pdftotext writes as spaces) made one space."""
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (Debian poppler-utils) is not installed: run `make system-deps`")
    result = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],
        input=data, capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    return re.sub(r"\s+", " ", result.stdout.decode("utf-8"))


def _inflated(data: bytes) -> bytes:
    """The PDF with its Flate streams inflated: WeasyPrint keeps the page
    objects in compressed object streams."""
    parts = [data]
    for match in re.finditer(rb"stream\r?\n", data):
        try:
            parts.append(zlib.decompressobj().decompress(data[match.end() :]))
        except zlib.error:
            continue
    return b"\n".join(parts)


def _pages(data: bytes) -> tuple[int, list[tuple[float, float]]]:
    """The page count and the size (width, height in points) of each page."""
    inflated = _inflated(data)
    count = int(re.search(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", inflated)[1])
    boxes = [
        (float(x1) - float(x0), float(y1) - float(y0))
        for x0, y0, x1, y1 in re.findall(
            rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", inflated
        )
    ]
    return count, boxes


def test_c12_certificate_pdf_shows_every_field_of_bessi14(certified):
    text = _text(CERTIFICATE.render(certified))

    assert "2024情テ人国第1号" in text  # document number
    assert "基本情報技術者試験 免除対象講座 認定証" in text  # title
    assert "認定講座開設者 Ａ学園" in text  # provider name
    assert "代表者名 情報 太郎 殿" in text  # 「情報　太郎」, full-width space
    assert "認定講座開設者住所 東京都 文京区本駒込2-28-8" in text
    assert "講座開設者番号 20001" in text
    assert "免除対象講座 2024-2026年度講座A" in text  # course name
    assert "受講計画 申請書のとおり" in text
    assert "実施講座の一覧 20001-001-001 2024年度実施講座10月コースA" in text
    assert "東京都文京区本駒込2-28-8 IPAビル8階" in text  # its location
    assert "20001-001-002 2024年度実施講座10月コースB 大阪府大阪市北区梅田1-1-1 梅田ビル3階" in text
    assert "20001-001-003 2024年度実施講座11月コースC 愛知県名古屋市中区栄2-2-2" in text
    assert "実施講座の数 3講座" in text  # the count
    assert "備考" in text
    assert "証する。" in text and "告示第5条第1項" in text
    assert "本認定の有効期限は、2026年9月30日までとする。" in text  # validity end date
    assert "認定年月日：2024年10月1日" in text  # certification date
    issue = text.rindex("2024年10月1日")  # the issue date, then the issuer
    assert text.index("独立行政法人情報処理推進機構", issue) > issue
    assert "（公 印 省 略）" in text


def test_c12_certificate_is_one_a4_portrait_page(certified):
    count, boxes = _pages(render_certificate(certified))
    assert count == 1
    assert boxes
    for width, height in boxes:
        assert width == pytest.approx(A4_POINTS[0], abs=0.5)
        assert height == pytest.approx(A4_POINTS[1], abs=0.5)


@pytest.mark.parametrize("deliveries", [1, 2])
def test_c12_one_page_also_for_one_or_two_delivery_courses(
    deliveries, provider_a, staff_a, reviewer
):
    course = _certified_course(provider_a, staff_a, reviewer, deliveries=deliveries)
    data = render_certificate(course)
    assert _pages(data)[0] == 1
    assert f"実施講座の数 {deliveries}講座" in _text(data)


def test_c12_long_names_and_addresses_still_fit_one_page(certified, provider_a):
    """The compact layout is used when the normal one would take two pages."""
    provider_a.name = "学校法人情報処理学園 東京情報技術専門学校"
    provider_a.address = "千代田区丸の内一丁目1番1号 丸の内パークビルディング10階"
    provider_a.save()
    ExemptionCourse.objects.filter(pk=certified.pk).update(
        name="2024-2026年度 基本情報技術者試験 午前免除対策講座A（夜間・週末コース）"
    )
    DeliveryCourse.objects.filter(course=certified).update(
        name="2024年度実施講座10月コースA（東京情報技術専門学校 情報処理科 夜間部）",
        address="千代田区丸の内一丁目1番1号",
        building="丸の内パークビルディング 10階 1001会議室",
    )
    course = ExemptionCourse.objects.get(pk=certified.pk)
    normal = pdf.html_to_pdf(certificate_html(course), [pdf.stylesheet("css/certificate.css")])
    assert _pages(normal)[0] == 2  # the normal layout alone would not fit
    data = render_certificate(course)
    assert _pages(data)[0] == 1
    text = _text(data)
    assert "実施講座の数 3講座" in text
    assert "独立行政法人情報処理推進機構" in text


def test_c12_many_delivery_courses_flow_onto_further_a4_pages_without_loss(certified):
    first = DeliveryCourse.objects.get(course=certified, serial=1)
    for serial in range(4, 31):
        first.pk = None
        first.serial = serial
        first.save()
    data = render_certificate(certified)
    count, boxes = _pages(data)
    assert count >= 2
    assert len(boxes) == count
    assert all(b == pytest.approx(A4_POINTS, abs=0.5) for b in boxes)
    text = _text(data)
    assert "実施講座の数 30講座" in text
    assert all(f"20001-001-{n:03d}" in text for n in range(1, 31))
    assert text.count("独立行政法人情報処理推進機構") == 1


def test_c12_deleted_delivery_courses_are_left_out(certified):
    # D8: deleted by an approved deletion request (削除済み); a request only
    # filed leaves it listed until IPA approves it.
    DeliveryCourse.objects.filter(course=certified, serial=2).update(
        deletion_requested=True, state=DeliveryCourse.S.DELETED
    )
    text = _text(render_certificate(certified))
    assert "20001-001-002" not in text
    assert "20001-001-001" in text and "20001-001-003" in text
    assert "実施講座の数 2講座" in text
    assert [d["number"] for d in certificate_data(certified)["delivery_courses"]] == [
        "20001-001-001",
        "20001-001-003",
    ]


def test_c11_certificate_dates_are_those_of_the_review_record(certified):
    assert (certified.certified_on, certified.valid_until) == (
        CERTIFIED_ON,
        datetime.date(2026, 9, 30),
    )
    data = certificate_data(certified)
    assert (data["certified_on"], data["valid_until"], data["issued_on"]) == (
        "2024-10-01",
        "2026-09-30",
        "2024-10-01",
    )
    text = _text(render_certificate(certified))
    assert "認定年月日：2024年10月1日" in text
    assert "2026年9月30日までとする" in text


def test_c12_same_data_gives_the_same_bytes_with_fixed_pdf_dates(certified):
    first = render_certificate(certified)
    second = render_certificate(ExemptionCourse.objects.get(pk=certified.pk))
    assert first == second
    assert first.startswith(b"%PDF-")
    # The PDF dates are the issue date (00:00 JST), not the time of rendering.
    assert b"D:20241001000000+09'00" in _inflated(first)
    # The self-contained HTML (stylesheet inline) renders to the very same PDF.
    assert pdf.html_to_pdf(certificate_html(certified, standalone=True)) == first
    assert CERTIFICATE.data_version(certified) == CERTIFICATE.data_version(
        ExemptionCourse.objects.get(pk=certified.pk)
    )


def test_c12_user_text_is_escaped_in_the_certificate(certified, provider_a):
    provider_a.name = '<img src="http://evil.example/x.png">Ａ学園'
    provider_a.save()
    certified.refresh_from_db()
    html = certificate_html(certified)
    assert "<img" not in html
    assert "&lt;img" in html


def test_c12_url_fetcher_refuses_everything_but_static_files():
    fetcher = pdf.StaticFilesOnlyFetcher()
    for url in (
        "http://example.com/a.css",
        "https://example.com/a.png",
        "data:text/css,body{}",
        "file:///etc/passwd",
        "file://example.com/static/css/certificate.css",
    ):
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(url)
    response = fetcher.fetch((pdf.STATIC_DIR / "css" / "certificate.css").as_uri())
    assert b"@page" in response.read()
    response.close()


def test_c12_no_certificate_before_certification(provider_a, staff_a, reviewer):
    course = _approved_course(provider_a, staff_a, reviewer)
    with pytest.raises(ValueError, match="認定証がありません"):
        render_certificate(course)


def test_c12_registry_entry_is_a_pdf_of_the_exemption_course():
    doc = documents.get("certificate")
    assert doc is CERTIFICATE
    assert doc.title == "基本情報技術者試験免除対象講座認定証"
    assert doc.model == "courses.ExemptionCourse"
    assert (doc.extension, doc.mime_type) == ("pdf", PDF_MIME)
    assert doc.model_class() is ExemptionCourse


def test_w3_certificate_file_name(certified):
    at = timezone.make_aware(datetime.datetime(2024, 10, 1, 9, 30, 5))
    assert (
        CERTIFICATE.filename(certified, at)
        == "(20001)基本情報技術者試験免除対象講座認定証_20241001_093005.pdf"
    )


def test_w3_certificate_generated_through_the_portal_is_named_and_stored_as_pdf(certified, staff_a):
    generated = portal_services.request_document("certificate", certified, staff_a)
    generated = portal_services.render_document(generated.pk)
    assert generated.status == GeneratedDocument.Status.DONE, generated.error
    assert generated.mime_type == PDF_MIME
    assert re.fullmatch(
        r"\(20001\)基本情報技術者試験免除対象講座認定証_\d{8}_\d{6}\.pdf", generated.filename
    )
    assert bytes(generated.content) == render_certificate(certified)


def test_c12_can_download_only_once_certified_and_only_own_provider_or_reviewer(
    provider_a, staff_a, staff_b, reviewer, outsider
):
    from django.contrib.auth.models import AnonymousUser

    course = _approved_course(provider_a, staff_a, reviewer)
    for user in (staff_a, reviewer, staff_b, outsider):
        assert CERTIFICATE.can_download(user, course) is False  # no certificate yet

    services.certify_course(course.pk, reviewer, CERTIFIED_ON)
    course = ExemptionCourse.objects.get(pk=course.pk)
    assert CERTIFICATE.can_download(staff_a, course) is True
    assert CERTIFICATE.can_download(reviewer, course) is True
    assert CERTIFICATE.can_download(staff_b, course) is False  # another provider's staff
    assert CERTIFICATE.can_download(outsider, course) is False
    assert CERTIFICATE.can_download(AnonymousUser(), course) is False

    # The certificate stays downloadable after the certification period ends.
    services.expire_courses(datetime.date(2026, 10, 1))
    course = ExemptionCourse.objects.get(pk=course.pk)
    assert course.state == "expired"
    assert CERTIFICATE.can_download(staff_a, course) is True


def test_c12_draft_course_has_no_certificate(provider_a, staff_a, reviewer):
    course = complete_course(provider_a, staff_a)
    assert CERTIFICATE.can_download(staff_a, course) is False
    assert CERTIFICATE.can_download(reviewer, course) is False


# C12: an issued certificate is a record -------------------------------------------


def _download(client, user, course, version):
    from django.urls import reverse

    client.force_login(user)
    response = client.get(reverse("certificate_download", args=[course.pk, version]))
    assert response.status_code == 200
    assert response["Content-Type"] == PDF_MIME
    return b"".join(response) if response.streaming else response.content


def test_c12_issued_certificate_is_stored_and_served_unchanged_after_data_changes(
    certified, provider_a, staff_a, reviewer, client
):
    from certifications.models import IssuedCertificate
    from portal.models import AuditEntry

    issued = IssuedCertificate.objects.get(course=certified)
    assert (issued.version, issued.document_number, issued.issued_on) == (
        1,
        "2024情テ人国第1号",
        CERTIFIED_ON,
    )
    original = bytes(issued.content)
    assert original == render_certificate(certified)

    # Provider and course data change after the issue.
    provider_a.name = "Ｃ学園"
    provider_a.save()
    ExemptionCourse.objects.filter(pk=certified.pk).update(name="2024-2026年度講座Z")
    course = ExemptionCourse.objects.get(pk=certified.pk)
    assert render_certificate(course) != original  # today's data would print otherwise

    served = _download(client, staff_a, course, 1)
    assert served == original
    assert "免除対象講座 2024-2026年度講座A" in _text(served)
    assert "Ｃ学園" not in _text(served)
    assert _download(client, reviewer, course, 1) == original
    # The registry's certificate (the document panel) is the stored record too.
    assert CERTIFICATE.render(course) == original
    notes = list(
        AuditEntry.objects.filter(action="certificate.download").values_list("note", flat=True)
    )
    assert len(notes) == 2 and all("2024情テ人国第1号・第1版" in n for n in notes)


def _reissue(client, reviewer, course, **data):
    from django.urls import reverse

    client.force_login(reviewer)
    post = {"on": "2024-11-15", "reason": "実施講座 20001-001-004 の追加", "confirm": "1", **data}
    return client.post(reverse("review_course_reissue", args=[course.pk]), post, follow=True)


def test_c12_reissue_is_a_reviewer_action_with_its_own_issue_date_and_keeps_every_version(
    certified, staff_a, reviewer, client, monkeypatch
):
    from django.urls import reverse

    from certifications.models import IssuedCertificate

    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *a, **k: datetime.date(2024, 11, 15)
    )
    first = bytes(IssuedCertificate.objects.get(course=certified).content)
    # A delivery course added and approved after the certification.
    added = DeliveryCourse.objects.get(course=certified, serial=1)
    added.pk, added.serial, added.name = None, 4, "2024年度実施講座12月コースD"
    added.save()

    html = _reissue(client, reviewer, certified).content.decode()
    assert "認定証を2024年11月15日付で再発行しました" in html
    versions = list(IssuedCertificate.objects.filter(course=certified).order_by("version"))
    assert [(v.version, v.kind, v.issued_on) for v in versions] == [
        (1, "issue", CERTIFIED_ON),
        (2, "reissue", datetime.date(2024, 11, 15)),
    ]
    assert versions[1].document_number == versions[0].document_number == "2024情テ人国第1号"
    assert versions[1].issued_by == reviewer
    assert bytes(versions[0].content) == first  # the first version is untouched
    course = ExemptionCourse.objects.get(pk=certified.pk)
    assert course.certificate_issued_on == datetime.date(2024, 11, 15)
    assert course.certified_on == CERTIFIED_ON  # the certification date does not move

    second = _text(_download(client, staff_a, course, 2))
    assert "20001-001-004 2024年度実施講座12月コースD" in second
    assert "実施講座の数 4講座" in second
    assert "2024年11月15日" in second and "認定年月日：2024年10月1日" in second
    assert "実施講座の数 3講座" in _text(_download(client, staff_a, course, 1))

    # Both versions are listed on the provider's and the reviewer's course pages.
    for user, name in ((staff_a, "course_detail"), (reviewer, "review_course_detail")):
        client.force_login(user)
        page = client.get(reverse(name, args=[course.pk])).content.decode()
        assert "第2版" in page and "第1版" in page and "再発行" in page
        assert reverse("certificate_download", args=[course.pk, 1]) in page
        assert reverse("certificate_download", args=[course.pk, 2]) in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"confirm": ""}, "確認しました」にチェックを付けてください"),
        ({"reason": " "}, "「再発行の理由」を入力してください。"),
        ({"on": "2024-11-16"}, "「発行日」に未来の日付は入力できません。"),
        ({"on": "2024-09-30"}, "前回の発行日（2024年10月1日）以降にしてください"),
    ],
)
def test_c12_reissue_refusals_name_the_problem_and_issue_nothing(
    data, message, certified, reviewer, client, monkeypatch
):
    from certifications.models import IssuedCertificate

    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *a, **k: datetime.date(2024, 11, 15)
    )
    html = _reissue(client, reviewer, certified, **data).content.decode()
    assert message in html
    assert IssuedCertificate.objects.filter(course=certified).count() == 1
    assert ExemptionCourse.objects.get(pk=certified.pk).certificate_issued_on == CERTIFIED_ON


def test_c12_only_reviewers_reissue_and_only_certified_courses(
    certified, staff_a, ipa_admin, reviewer, monkeypatch
):
    from django.core.exceptions import PermissionDenied

    from certifications.models import IssuedCertificate

    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *a, **k: datetime.date(2024, 11, 15)
    )
    for user in (staff_a, ipa_admin):
        with pytest.raises(PermissionDenied):
            certificate_services.reissue_certificate(certified.pk, user, "理由")
    services.expire_courses(datetime.date(2026, 10, 1))
    with pytest.raises(services.CourseStateError, match="認定期間中の講座だけ"):
        certificate_services.reissue_certificate(certified.pk, reviewer, "理由")
    assert IssuedCertificate.objects.filter(course=certified).count() == 1
