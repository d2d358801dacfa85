"""Checks for uploaded files: the type by content (not only by name), the
size, and xlsx files that would expand into something huge (zip bombs)."""

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


def open_xlsx_safely(data: bytes, label: str = "ファイル"):
    """Open an uploaded .xlsx with openpyxl after refusing zip bombs by their
    declared sizes (checked in microseconds, before anything is inflated)."""
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
    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise ValidationError(f"「{label}」はExcel（.xlsx）として読み込めません。") from None
