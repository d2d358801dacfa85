"""Checks for uploaded files: the type by content (not only by name), the
size, xlsx files that would expand into something huge (zip bombs) and Office
files carrying macros (issue 11, ASVS V12).

Every place the portal takes an uploaded Office file goes through
:func:`check_office_or_pdf` (attachments, certificate copies, question files)
or :func:`open_xlsx_safely` (completer lists, plan sheets, syllabus files);
both call :func:`refuse_macros`."""

import io
import os
import zipfile

from django.core.exceptions import ValidationError

OFFICE_AND_PDF = {
    ".pdf": (b"%PDF-",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".pptx": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0",),
    ".xls": (b"\xd0\xcf\x11\xe0",),
    ".ppt": (b"\xd0\xcf\x11\xe0",),
}
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_XLSX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_XLSX_RATIO = 200

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Storages and streams where Office keeps VBA: Word's "Macros", Excel's
# "_VBA_PROJECT_CUR", the "VBA" storage inside them and the "_VBA_PROJECT" stream.
OLE_VBA_NAMES = frozenset({"macros", "_vba_project_cur", "_vba_project", "vba"})
MACRO_MESSAGE = (
    "「{label}」にはマクロ（VBA）が含まれているため受け付けられません。"
    "マクロを含まない形式（.xlsx・.docx・.pptx・PDF）で保存し直してください。"
)


def _ooxml_has_macros(archive: zipfile.ZipFile) -> bool:
    """vbaProject.bin in any folder and any case, or a macro-enabled content type
    (.xlsm/.docm/.pptm renamed to .xlsx/.docx/.pptx)."""
    names = archive.namelist()
    if any(
        name.replace("\\", "/").rsplit("/", 1)[-1].lower() == "vbaproject.bin" for name in names
    ):
        return True
    for name in names:
        if name.lower() == "[content_types].xml":
            info = archive.getinfo(name)
            if info.file_size > 1024 * 1024:
                return True  # a real content-types part is a few kilobytes
            types = archive.read(name).lower()
            if (
                b"macroenabled" in types
                or b"vbaproject" in types
                or b"vnd.ms-office.activex" in types
            ):
                return True
    return False


def _ooxml_has_macros_or_unreadable(archive, label: str, kind: str = "Officeのファイル") -> bool:
    try:
        return _ooxml_has_macros(archive)
    except Exception:  # a damaged zip (e.g. understated sizes)
        raise ValidationError(f"「{label}」は{kind}として読み込めません。") from None


def _ole_has_macros(data: bytes) -> bool:
    """An OLE compound file (.xls/.doc/.ppt) with a VBA storage; a file that
    cannot be parsed is treated as carrying macros (refused)."""
    import olefile

    try:
        with olefile.OleFileIO(data) as ole:
            entries = ole.listdir(streams=True, storages=True)
    except Exception:
        return True
    if any(part.lower() in OLE_VBA_NAMES for entry in entries for part in entry):
        return True
    # PowerPoint 97-2003 keeps its VBA project compressed inside the document
    # stream; its marker is still visible as text.
    return b"_VBA_PROJECT" in data or "_VBA_PROJECT".encode("utf-16-le") in data


def refuse_macros(data: bytes, label: str = "ファイル") -> None:
    """Raise a Japanese ValidationError naming the field when ``data`` is an
    Office file with macros: an OOXML zip with vbaProject.bin or a
    macro-enabled content type, or an OLE file with a VBA storage."""
    if data.startswith(b"PK\x03\x04"):
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise ValidationError(f"「{label}」はOfficeのファイルとして読み込めません。") from None
        if _ooxml_has_macros_or_unreadable(archive, label):
            raise ValidationError(MACRO_MESSAGE.format(label=label))
    elif data.startswith(OLE_MAGIC[:4]) and _ole_has_macros(data):
        raise ValidationError(MACRO_MESSAGE.format(label=label))


def check_office_or_pdf(upload, label: str = "ファイル", max_bytes: int = MAX_UPLOAD_BYTES) -> None:
    """C15 attachments: PDF or Office files only, at most ``max_bytes``."""
    ext = os.path.splitext(upload.name or "")[1].lower()
    if ext not in OFFICE_AND_PDF:
        raise ValidationError(
            f"「{label}」はPDF・Word・Excel・PowerPointのファイルを選んでください（{ext or '拡張子なし'}は受け付けられません）。"
        )
    if upload.size > max_bytes:
        raise ValidationError(
            f"「{label}」は{max_bytes // (1024 * 1024)}MB以下にしてください（{upload.size / 1024 / 1024:.1f}MB）。"
        )
    head = upload.read(8)
    upload.seek(0)
    if not any(head.startswith(magic) for magic in OFFICE_AND_PDF[ext]):
        raise ValidationError(f"「{label}」の内容が拡張子（{ext}）と一致しません。")
    if ext != ".pdf":
        data = upload.read()
        upload.seek(0)
        refuse_macros(data, label)


MAX_XLSX_ROWS = 10_000  # plan sheets and syllabus files; completer lists pass their own
_ROW_TAG = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}row"
_DIMENSION_TAG = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}dimension"


def too_many_rows_error(label: str, max_rows: int) -> ValidationError:
    return ValidationError(
        f"「{label}」の行数が多すぎます（空白の行も含めて1回に{max_rows:,}行まで）。"
        "不要な行を削除するか、ファイルを分けてください。"
    )


def _refuse_long_sheets(archive: zipfile.ZipFile, label: str, max_rows: int) -> None:
    """Issue 11: count every <row> of every sheet, blank ones too, and its
    number, stopping at the first past ``max_rows``. openpyxl reads a whole
    sheet when it opens a workbook whose sheet declares no dimension (600,000
    blank rows held a worker for 17 s), so this runs before it."""
    from openpyxl.xml.functions import iterparse  # defusedxml: no entities

    for name in archive.namelist():
        if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
            continue
        count = 0
        with archive.open(name) as source:
            for event, element in iterparse(source, events=("start", "end")):
                if element.tag == _DIMENSION_TAG and event == "start":
                    # a declared dimension past the limit: refused before any row
                    last = (
                        (element.get("ref") or "")
                        .rpartition(":")[2]
                        .lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ$")
                    )
                    if last.isdigit() and int(last) > max_rows:
                        raise too_many_rows_error(label, max_rows)
                if element.tag != _ROW_TAG:
                    continue
                if event == "start":
                    count += 1
                    number = element.get("r")
                    if count > max_rows or (number and number.isdigit() and int(number) > max_rows):
                        raise too_many_rows_error(label, max_rows)
                else:
                    element.clear()


def open_xlsx_safely(data: bytes, label: str = "ファイル", max_rows: int = MAX_XLSX_ROWS):
    """Open an uploaded .xlsx with openpyxl after refusing zip bombs by their
    declared sizes (checked in microseconds, before anything is inflated),
    macros, and sheets of more than ``max_rows`` rows (blank rows count)."""
    import openpyxl

    if not data.startswith(b"PK\x03\x04"):
        raise ValidationError(f"「{label}」はExcel（.xlsx）形式のファイルを選んでください。")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ValidationError(f"「{label}」はExcel（.xlsx）として読み込めません。") from None
    total = sum(info.file_size for info in archive.infolist())
    compressed = max(1, sum(info.compress_size for info in archive.infolist()))
    if total > MAX_XLSX_UNCOMPRESSED or total / compressed > MAX_XLSX_RATIO:
        raise ValidationError(f"「{label}」は展開後のサイズが大きすぎるため受け付けられません。")
    if _ooxml_has_macros_or_unreadable(archive, label, "Excel（.xlsx）"):
        raise ValidationError(MACRO_MESSAGE.format(label=label))
    try:
        _refuse_long_sheets(archive, label, max_rows)
    except ValidationError:
        raise
    except Exception:
        raise ValidationError(f"「{label}」はExcel（.xlsx）として読み込めません。") from None
    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise ValidationError(f"「{label}」はExcel（.xlsx）として読み込めません。") from None
