"""Issue 11, item 4 (uploads): stored errors capped, staged uploads deleted
after 24 hours, blank rows counted toward the row limit, request sizes, and
Office files with macros refused."""

import datetime
import io
import itertools
import struct
import zipfile

import openpyxl
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from certifications import completer_import
from certifications import services as completer_services
from certifications.completer_import import MAX_SHEET_ROWS, read_completer_file
from certifications.models import Completer, CompleterUpload
from exams import services
from exams.models import ResultReport
from portal.middleware import RequestSizeLimitMiddleware
from portal.uploads import check_office_or_pdf, open_xlsx_safely, refuse_macros

from .conftest import client_for
from .test_exams_services import _apply, setup  # noqa: F401  (fixture)

D = datetime.date
HEADER = "修了認定者管理番号,姓(漢字),名(漢字),姓(カナ),名(カナ),生年月日,点数"


def _open_report(setup, staff):  # noqa: F811
    application = _apply(setup, staff, applicants=10)
    report = services.open_report(application.pk, staff)
    ResultReport.objects.filter(pk=report.pk).update(
        applicants=20000, examinees=20000, certified_on=D(2024, 12, 10)
    )
    return report


# --- stored errors ------------------------------------------------------------------


@pytest.mark.django_db
def test_i11_uploads_a_bad_file_stores_the_first_1000_errors_and_the_count(
    setup,  # noqa: F811
    staff_a,
    client,
):
    report = _open_report(setup, staff_a)
    # every row has 5 errors: name, given name (not JIS), kana x2, birth date
    lines = [HEADER] + [f",①,②,abc,def,xx,{60}" for _ in range(400)]
    upload = completer_services.stage_upload(
        report.pk, staff_a, "c.csv", "\r\n".join(lines).encode()
    )
    upload.refresh_from_db()
    assert upload.error_count == 2000
    assert len(upload.errors) == CompleterUpload.MAX_STORED_ERRORS == 1000
    page = client_for(client, staff_a).get(reverse("upload_preview", args=[upload.pk]))
    assert page.status_code == 200
    assert "エラー 2,000件（最初の1,000件を表示）" in page.content.decode()
    with pytest.raises(ValidationError, match="エラーのある行"):
        completer_services.confirm_upload(upload.pk, staff_a)
    assert not Completer.objects.exists()


# --- staged uploads deleted after 24 hours --------------------------------------------


@pytest.mark.django_db
def test_i11_uploads_staged_uploads_are_deleted_after_24_hours_by_a_beat_task(
    setup,  # noqa: F811
    staff_a,
):
    from portal.celery import app

    report = _open_report(setup, staff_a)
    now = timezone.now()
    old = CompleterUpload.objects.create(report=report, filename="old.csv")
    CompleterUpload.objects.filter(pk=old.pk).update(created_at=now - datetime.timedelta(hours=25))
    fresh = CompleterUpload.objects.create(report=report, filename="new.csv")
    CompleterUpload.objects.filter(pk=fresh.pk).update(
        created_at=now - datetime.timedelta(hours=23)
    )
    entry = settings.CELERY_BEAT_SCHEDULE["delete-staged-uploads"]
    app.loader.import_default_modules()
    task = app.tasks[entry["task"]]
    assert task() == 1
    assert list(CompleterUpload.objects.values_list("filename", flat=True)) == ["new.csv"]


# --- blank rows count toward the row limit ----------------------------------------------


def _xlsx_with_sheet_xml(sheet_xml: bytes) -> bytes:
    wb = openpyxl.Workbook()
    wb.active.append(["x"])
    buffer = io.BytesIO()
    wb.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = sheet_xml
            target.writestr(info.filename, data)
    return out.getvalue()


def _sheet_xml(rows: list[str], dimension: str | None) -> bytes:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{dim}<sheetData>{''.join(rows)}</sheetData></worksheet>"
    ).encode()


def _cells(row: int, values: list[str]) -> str:
    cells = "".join(
        f'<c r="{chr(65 + i)}{row}" t="inlineStr"><is><t>{v}</t></is></c>'
        for i, v in enumerate(values)
    )
    return f'<row r="{row}">{cells}</row>'


HEAD = ["番号", "姓(漢字)", "名(漢字)", "姓(カナ)", "名(カナ)", "生年月日", "点数"]
PERSON = ["", "情報", "太郎", "ジョウホウ", "タロウ", "1998/10/06", "80"]


def test_i11_uploads_a_sheet_declaring_600000_rows_is_refused_before_reading():
    rows = [_cells(1, HEAD), _cells(2, PERSON)]
    data = _xlsx_with_sheet_xml(_sheet_xml(rows, "A1:G600000"))
    with pytest.raises(ValidationError, match="空白の行も含めて"):
        read_completer_file("c.xlsx", data)


def test_i11_uploads_blank_rows_count_toward_the_row_limit_in_xlsx():
    # no dimension declared; the blank rows are really there, one data row after them
    blank = "".join(f'<row r="{n}"/>' for n in range(2, MAX_SHEET_ROWS + 2))
    rows = [_cells(1, HEAD), blank, _cells(MAX_SHEET_ROWS + 2, PERSON)]
    data = _xlsx_with_sheet_xml(_sheet_xml(rows, None))
    with pytest.raises(ValidationError, match="空白の行も含めて"):
        read_completer_file("c.xlsx", data)


def test_i11_uploads_blank_rows_count_toward_the_row_limit_in_csv():
    data = (
        HEADER
        + "\r\n"
        + ",,,,,,\r\n" * MAX_SHEET_ROWS
        + "1,情報,太郎,ジョウホウ,タロウ,1998/10/06,80\r\n"
    )
    with pytest.raises(ValidationError, match="空白の行も含めて"):
        read_completer_file("c.csv", data.encode())


def test_i11_uploads_reading_stops_at_the_first_row_past_the_limit():
    read = itertools.count(1)

    def endless_blank_rows():
        yield 1, HEAD
        for number in itertools.count(2):
            assert next(read) <= MAX_SHEET_ROWS, "read past the limit"
            yield number, [""] * 7

    with pytest.raises(ValidationError, match="空白の行も含めて"):
        completer_import._rows_to_dicts(
            completer_import._limited(endless_blank_rows(), "一覧"), "一覧", False
        )


# --- request sizes ----------------------------------------------------------------------


def test_i11_uploads_request_sizes_are_limited_in_settings():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 5 * 1024 * 1024
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    assert "portal.middleware.RequestSizeLimitMiddleware" in settings.MIDDLEWARE


@pytest.mark.django_db
def test_i11_uploads_a_too_large_request_gets_a_japanese_413_page():
    request = RequestFactory().post(
        "/", data=b"x", content_type="application/octet-stream",
        CONTENT_LENGTH=str(settings.PORTAL_MAX_REQUEST_BYTES + 1),
    )  # fmt: skip
    called = []
    response = RequestSizeLimitMiddleware(lambda r: called.append(r))(request)
    assert response.status_code == 413
    assert "送信された内容が大きすぎます" in response.content.decode()
    assert not called


@pytest.mark.django_db
def test_i11_uploads_too_many_form_bytes_get_the_japanese_400_page(client):
    body = "a=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)
    response = client.post(
        reverse("login"), data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert "要求を処理できませんでした" in response.content.decode()


# --- Office files with macros -----------------------------------------------------------


def _ooxml(names: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in names.items():
            archive.writestr(name, data)
    return out.getvalue()


CONTENT_TYPES = (
    b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    b'officedocument.wordprocessingml.document.main+xml"/></Types>'
)
MACRO_TYPES = CONTENT_TYPES.replace(
    b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    b"application/vnd.ms-word.document.macroEnabled.main+xml",
)


def ole_file(storage_names=()) -> bytes:
    """A minimal OLE compound file (.doc/.xls) with the given empty storages."""
    free, end, fatsect, nostream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
    header += struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
    header += struct.pack("<I", 0) + struct.pack("<I", free) * 108
    fat = struct.pack("<II", fatsect, end) + struct.pack("<I", free) * 126

    def entry(name, kind, child=nostream, right=nostream):
        raw = (name + "\0").encode("utf-16-le") if name else b""
        e = raw.ljust(64, b"\0") + struct.pack("<HBB", len(raw), kind, 1)
        e += struct.pack("<III", nostream, right, child) + b"\0" * 36
        return e + struct.pack("<III", end if kind else 0, 0, 0)

    names = list(storage_names)
    entries = [entry("Root Entry", 5, child=1 if names else nostream)]
    for i, name in enumerate(names):
        entries.append(entry(name, 1, right=i + 2 if i + 1 < len(names) else nostream))
    while len(entries) % 4:
        entries.append(entry("", 0))
    return header + fat + b"".join(entries)


@pytest.mark.parametrize(
    "name, data",
    [
        ("a.docx", _ooxml({"[Content_Types].xml": CONTENT_TYPES, "word/vbaProject.bin": b"x"})),
        ("a.pptx", _ooxml({"[Content_Types].xml": CONTENT_TYPES, "ppt/deep/VBAPROJECT.BIN": b"x"})),
        ("a.docx", _ooxml({"[Content_Types].xml": MACRO_TYPES, "word/document.xml": b"<w/>"})),
        ("a.doc", ole_file(["Macros", "WordDocument"])),
        ("a.xls", ole_file(["_VBA_PROJECT_CUR", "Workbook"])),
        ("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"garbage" * 100),
    ],
)
def test_i11_uploads_office_files_with_macros_are_refused_naming_the_field(name, data):
    with pytest.raises(ValidationError, match="「添付ファイル」にはマクロ"):
        check_office_or_pdf(SimpleUploadedFile(name, data), "添付ファイル")


@pytest.mark.parametrize(
    "name, data",
    [
        ("a.docx", _ooxml({"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": b"<w/>"})),
        ("a.doc", ole_file(["WordDocument"])),
        ("a.pdf", b"%PDF-1.4\n%%EOF"),
    ],
)
def test_i11_uploads_office_files_without_macros_pass(name, data):
    check_office_or_pdf(SimpleUploadedFile(name, data), "添付ファイル")
    refuse_macros(data, "添付ファイル")


def test_i11_uploads_an_xlsm_renamed_to_xlsx_is_refused_for_completer_lists():
    wb = openpyxl.Workbook()
    buffer = io.BytesIO()
    wb.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    parts = {i.filename: source.read(i.filename) for i in source.infolist()}
    parts["xl/vbaProject.bin"] = b"\0" * 100
    with pytest.raises(ValidationError, match="「修了認定者の一覧」にはマクロ"):
        read_completer_file("c.xlsx", _ooxml(parts))
    with pytest.raises(ValidationError, match="マクロ"):
        open_xlsx_safely(_ooxml(parts), "受講計画シート")


def test_i11_uploads_600000_blank_rows_are_refused_before_openpyxl_opens_the_file(monkeypatch):
    # openpyxl reads a whole sheet without a dimension when it opens the workbook
    blank = "".join(f'<row r="{n}"/>' for n in range(2, 600_002))
    data = _xlsx_with_sheet_xml(_sheet_xml([_cells(1, HEAD), blank], None))

    def not_opened(*args, **kwargs):
        raise AssertionError("openpyxl opened a sheet past the row limit")

    monkeypatch.setattr(openpyxl, "load_workbook", not_opened)
    with pytest.raises(ValidationError, match="空白の行も含めて1回に100,019行まで"):
        read_completer_file("c.xlsx", data)
    with pytest.raises(ValidationError, match="「受講計画シート」の行数が多すぎます"):
        open_xlsx_safely(data, "受講計画シート")


def test_i11_uploads_one_row_numbered_past_the_limit_is_refused():
    rows = [_cells(1, HEAD), _cells(700_000, PERSON)]
    data = _xlsx_with_sheet_xml(_sheet_xml(rows, None))
    with pytest.raises(ValidationError, match="空白の行も含めて"):
        read_completer_file("c.xlsx", data)
