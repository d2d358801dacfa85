"""申請書式1（認定申請者情報申請書）: the provider's registration form as .xlsx.

Built from scratch with openpyxl and laid out like 別紙2 of the manual. The
layout is one table (``_LAYOUT``) of rows; each row lists its cells as
``(columns, content, style)``. A content that is a :class:`_Field` is a value
of :func:`shoshiki_1_data` and its first cell is listed in
:data:`SHOSHIKI_1_CELLS`.
"""

import datetime
import io
import math
import unicodedata
import zipfile
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.writer.excel import ExcelWriter

from portal.documents import DocumentType, deterministic_zip, register
from portal.roles import is_provider_member, is_reviewer

from .models import Category, Referral

FORM_VERSION = "Ver.20240401"
SHEET_TITLE = "申請書式1"
FORM_TITLE = "基本情報技術者試験免除対象講座の申請者(講座開設者)情報の申請書"
FONT_NAME = "IPAexGothic"
LAST_COLUMN = "F"
CHECKED, UNCHECKED = "●", "○"
OPTION_SEPARATOR = "\u3000"

# Column widths (in characters of the default font); about 100 fit A4 portrait.
COLUMN_WIDTHS = {"A": 27, "B": 12, "C": 17, "D": 7, "E": 15, "F": 19}


# --- data -------------------------------------------------------------------


def shoshiki_1_data(provider) -> dict:
    """The values written on the form, as plain str/int; their hash is the data version."""
    return {
        "form_version": FORM_VERSION,
        "number": str(provider.number or ""),
        "application_date": provider.application_date.isoformat(),
        "postal_code": provider.postal_code,
        "prefecture": provider.prefecture,
        "address": provider.address,
        "name": provider.name,
        "representative_name": provider.representative_name,
        "name_kana": provider.name_kana,
        "contact_family_name": provider.contact_family_name,
        "contact_given_name": provider.contact_given_name,
        "contact_department": provider.contact_department,
        "contact_tel": provider.contact_tel,
        "contact_fax": provider.contact_fax or "",
        "contact_email": provider.contact_email,
        "contact_postal_code": provider.contact_postal_code,
        "contact_prefecture": provider.contact_prefecture,
        "contact_address": provider.contact_address,
        "category": provider.category,
        "referral": provider.referral,
        "referral_dm_year": provider.referral_dm_year,
        "referral_dm_month": provider.referral_dm_month,
        "remarks": provider.remarks or "",
    }


def _japanese_date(iso: str) -> str:
    day = datetime.date.fromisoformat(iso)
    return f"{day.year}年{day.month}月{day.day}日"


def _options(choices, selected: str, labels: dict | None = None) -> str:
    labels = labels or {}
    return OPTION_SEPARATOR.join(
        f"{CHECKED if value == selected else UNCHECKED}{labels.get(value, label)}"
        for value, label in choices
    )


def _dm_label(data: dict) -> str:
    year, month = "\u3000", "\u3000"
    if data["referral"] == Referral.IPA_DM:
        year = str(data["referral_dm_year"] or "\u3000")
        month = str(data["referral_dm_month"] or "\u3000")
    return f"{Referral.IPA_DM.label}（{year}年{month}月頃）"


def _cell_values(data: dict) -> dict[str, str]:
    """The text of each field cell of the form."""
    return {
        "form_version": data["form_version"],
        "date": _japanese_date(data["application_date"]),
        "address": f"〒{data['postal_code']}\u3000{data['prefecture']}{data['address']}",
        "name": data["name"],
        "representative_name": data["representative_name"],
        "number": data["number"],
        "name_kana": data["name_kana"],
        "name_kanji": data["name"],
        "contact_family_name": data["contact_family_name"],
        "contact_given_name": data["contact_given_name"],
        "contact_department": data["contact_department"],
        "contact_tel": data["contact_tel"],
        "contact_fax": data["contact_fax"],
        "contact_email": data["contact_email"],
        "contact_postal_code": data["contact_postal_code"],
        "contact_prefecture": data["contact_prefecture"],
        "contact_address": data["contact_address"],
        "category": _options(Category.choices, data["category"]),
        "referral": _options(
            Referral.choices, data["referral"], labels={Referral.IPA_DM: _dm_label(data)}
        ),
        "remarks": data["remarks"],
    }


# --- layout -----------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    key: str


L, V, N = "label", "value", "note"  # the table's styles
_STYLED = {L, V, "sub", "section", "remarks"}  # bordered table cells

# (row, height in points, [(columns, content, style)]); columns "B" or "B:F".
_LAYOUT = [
    (1, 17, [("A", SHEET_TITLE, "plain")]),
    (2, 17, [("A", _Field("form_version"), "plain")]),
    (3, 17, [("E:F", _Field("date"), "date")]),
    (4, 10, []),
    (5, 26, [("A:F", FORM_TITLE, "title")]),
    (6, 10, []),
    (7, 36, [("A", "申請者の住所（法人住所）", L), ("B:F", _Field("address"), V)]),
    (8, 24, [("A", "申請者名（法人名称）", L), ("B:F", _Field("name"), V)]),
    (9, 24, [("A", "代表者名", L), ("B:F", _Field("representative_name"), V)]),
    (10, 17, [("B:F", "氏名のみで間に全角スペースを入れてください。", N)]),
    (11, 10, []),
    (
        12,
        30,
        [("A", "講座開設者番号\n(講座担当使用欄)", L), ("B:C", _Field("number"), V)],
    ),
    (
        13,
        24,
        [
            ("A13:A14", "申請者名（法人名称）", L),
            ("B", "カナ", "sub"),
            ("C:F", _Field("name_kana"), V),
        ],
    ),
    (14, 24, [("B", "漢字", "sub"), ("C:F", _Field("name_kanji"), V)]),
    (15, 22, [("A:F", "担当者連絡先", "section")]),
    (
        16,
        24,
        [
            ("A", "氏名", L),
            ("B", "姓\u3000名", "sub"),
            ("C", _Field("contact_family_name"), V),
            ("D:F", _Field("contact_given_name"), V),
        ],
    ),
    (17, 24, [("A", "部署名", L), ("B:F", _Field("contact_department"), V)]),
    (18, 24, [("A", "TEL", L), ("B:F", _Field("contact_tel"), V)]),
    (19, 24, [("A", "FAX", L), ("B:F", _Field("contact_fax"), V)]),
    (20, 24, [("A", "電子メール", L), ("B:F", _Field("contact_email"), V)]),
    (
        21,
        24,
        [
            ("A21:A23", "住所", L),
            ("B", "郵便番号", "sub"),
            ("C:F", _Field("contact_postal_code"), V),
        ],
    ),
    (22, 24, [("B", "都道府県", "sub"), ("C:F", _Field("contact_prefecture"), V)]),
    (23, 36, [("B", "市区町村以下", "sub"), ("C:F", _Field("contact_address"), V)]),
    (24, 10, []),
    (25, 30, [("A", "該当する区分に\nチェックを付けて下さい", L), ("B:F", _Field("category"), V)]),
    (26, 30, [("A", "本制度を知ったきっかけは\n何ですか？", L), ("B:F", _Field("referral"), V)]),
    (27, 10, []),
    (28, 22, [("A:F", "備考", "section")]),
    (29, 120, [("A:F", _Field("remarks"), "remarks")]),
]
LAST_ROW = _LAYOUT[-1][0]
PRINT_AREA = f"A1:{LAST_COLUMN}{LAST_ROW}"


def _range(columns: str, row: int) -> str:
    """The reference of a cell span: B -> B7, B:F -> B7:F7; A13:A14 stays as it is."""
    if any(ch.isdigit() for ch in columns):
        return columns
    first, _, last = columns.partition(":")
    return f"{first}{row}:{last}{row}" if last else f"{first}{row}"


SHOSHIKI_1_CELLS = {
    content.key: _range(columns, row).split(":")[0]
    for row, _height, cells in _LAYOUT
    for columns, content, _style in cells
    if isinstance(content, _Field)
}

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_LABEL_FILL = PatternFill("solid", fgColor="F2F2F2")
_SECTION_FILL = PatternFill("solid", fgColor="D9D9D9")
_STYLES = {
    "plain": (Font(name=FONT_NAME, size=10.5), Alignment(vertical="center"), None),
    "date": (
        Font(name=FONT_NAME, size=10.5),
        Alignment(horizontal="right", vertical="center"),
        None,
    ),
    "title": (
        Font(name=FONT_NAME, size=14, bold=True),
        Alignment(horizontal="center", vertical="center"),
        None,
    ),
    L: (
        Font(name=FONT_NAME, size=10.5),
        Alignment(horizontal="left", vertical="center", wrap_text=True, indent=1),
        _LABEL_FILL,
    ),
    "sub": (
        Font(name=FONT_NAME, size=10.5),
        Alignment(horizontal="center", vertical="center", wrap_text=True),
        _LABEL_FILL,
    ),
    "section": (
        Font(name=FONT_NAME, size=10.5, bold=True),
        Alignment(horizontal="left", vertical="center", indent=1),
        _SECTION_FILL,
    ),
    V: (
        Font(name=FONT_NAME, size=11),
        Alignment(horizontal="left", vertical="center", wrap_text=True, indent=1),
        None,
    ),
    N: (
        Font(name=FONT_NAME, size=9, color="C00000"),
        Alignment(horizontal="left", vertical="top", indent=1),
        None,
    ),
    "remarks": (
        Font(name=FONT_NAME, size=10.5),
        Alignment(horizontal="left", vertical="top", wrap_text=True, indent=1),
        None,
    ),
}


def _text_lines(text: str, width: float) -> int:
    """Lines a wrapped text takes in a cell ``width`` characters wide (an estimate:
    a full-width character takes about 1.6 widths, a half-width one 1)."""
    lines = 0
    for paragraph in str(text).split("\n"):
        units = sum(1.6 if unicodedata.east_asian_width(ch) in "FWA" else 1.0 for ch in paragraph)
        lines += max(1, math.ceil(units / max(width - 3, 1)))
    return lines


def _row_height(height: float, cells: list, values: dict, row: int) -> float:
    """The layout's height, grown so that wrapped values stay visible."""
    for columns, content, style in cells:
        if not isinstance(content, _Field) or not _STYLES[style][1].wrap_text:
            continue
        first, _, last = "".join(ch for ch in columns if not ch.isdigit()).partition(":")
        span = range(column_index_from_string(first), column_index_from_string(last or first) + 1)
        width = sum(COLUMN_WIDTHS[get_column_letter(i)] for i in span)
        line_height = _STYLES[style][0].size * 1.35
        height = max(height, _text_lines(values[content.key], width) * line_height + 6)
    return height


def _build(data: dict) -> Workbook:
    values = _cell_values(data)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    for column, width in COLUMN_WIDTHS.items():
        ws.column_dimensions[column].width = width

    for row, height, cells in _LAYOUT:
        ws.row_dimensions[row].height = _row_height(height, cells, values, row)
        for columns, content, style in cells:
            ref = _range(columns, row)
            text = values[content.key] if isinstance(content, _Field) else content
            font, alignment, fill = _STYLES[style]
            first = ws[ref.split(":")[0]]
            first.value = text
            if isinstance(text, str):
                # Never a formula: a value such as "=HYPERLINK(...)" typed by a
                # user stays text when a reviewer opens the file in Excel.
                first.data_type = "s"
            if ":" in ref:
                ws.merge_cells(ref)
            block = ws[ref] if ":" in ref else ((first,),)
            for line in block:
                for cell in line:
                    cell.font = font
                    cell.alignment = alignment
                    if fill is not None:
                        cell.fill = fill
                    if style in _STYLED:
                        cell.border = _BORDER

    ws.print_area = PRINT_AREA
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth = 1
    # One page also for the longest values: fit-to-page only ever shrinks, so
    # ordinary data prints at the same scale as with fitToHeight = 0.
    ws.page_setup.fitToHeight = 1
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.6
    ws.page_margins.top = ws.page_margins.bottom = 0.7
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.sheet_view.showGridLines = False

    stamp = datetime.datetime.combine(
        datetime.date.fromisoformat(data["application_date"]), datetime.time()
    )
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = "fe-kouza-portal"
    wb.properties.title = SHEET_TITLE
    return wb


def render_shoshiki_1(provider) -> bytes:
    """The .xlsx bytes of 申請書式1; the same data gives the same bytes."""
    wb = _build(shoshiki_1_data(provider))
    buffer = io.BytesIO()
    # ExcelWriter directly: openpyxl.save_workbook would stamp "modified" with now.
    ExcelWriter(wb, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    return deterministic_zip(buffer.getvalue())


SHOSHIKI_1 = register(
    DocumentType(
        id="shoshiki_1",
        title="申請書式1：認定申請者情報申請書",
        model="providers.Provider",
        render=render_shoshiki_1,
        provider_number=lambda p: p.number,
        can_download=lambda user, p: (
            bool(user and user.is_authenticated)
            and (is_reviewer(user) or is_provider_member(user, p))
        ),
        data=shoshiki_1_data,
    )
)
