"""A small toolkit for the portal's Excel forms, built from scratch with openpyxl.

A form is a table of rows; each row lists its cells as ``(columns, content,
style)``:

* ``columns`` is one column (``"B"``), a span of one row (``"B:F"``) or an
  explicit range over several rows (``"A13:A14"``); a span is merged;
* ``content`` is fixed form text (a ``str`` or number), a :class:`Field` (a key
  of the ``values`` mapping given to :func:`write_rows`) or a :class:`Data`
  (a value inline). Fields and data are the user's values: rows grow so that
  their wrapped text stays visible;
* ``style`` is a key of a mapping of :class:`Style` (see :data:`STYLES`).

Text is always written as text: a value such as ``=HYPERLINK(...)`` typed by a
user never becomes a formula when a reviewer opens the file in Excel.

:func:`write_table_rows` is the fast writer for long tables (thousands of
completers): values and one shared named style per column, no merges.

A :class:`Sheet` is one sheet of a document: its layout rows, the values of
their fields, an optional fast :class:`Table` after them and its print setup;
:func:`build_workbook` lays the sheets out (portal.documents.FormDocument does
it for every form); :func:`list_sheet` is the sheet of a list (a header and
rows, as portal.documents.ListDocument writes them).

:func:`workbook_bytes` writes a workbook deterministically: the same data gives
the same bytes (fixed document properties and zip entry timestamps).
"""

import datetime
import io
import math
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell.cell import Cell as _Cell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.writer.excel import ExcelWriter

FONT_NAME = "IPAexGothic"
CREATOR = "fe-kouza-portal"
CHECKED, UNCHECKED = "●", "○"  # radio buttons of the forms
BOX_CHECKED, BOX_UNCHECKED = "■", "□"  # check boxes (e.g. 削除フラグ, D9)
WEEKDAYS = "月火水木金土日"


# --- contents -----------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """A cell whose text is ``values[key]``."""

    key: str


@dataclass(frozen=True)
class Data:
    """A cell holding a user's value inline (grows its row like a Field)."""

    value: object


Cell = tuple[str, object, str]
Row = tuple[int, float, list[Cell]]


# --- styles -------------------------------------------------------------------

THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
LABEL_FILL = PatternFill("solid", fgColor="F2F2F2")
SECTION_FILL = PatternFill("solid", fgColor="D9D9D9")
MARK_FILL = PatternFill("solid", fgColor="FFF2CC")


@dataclass(frozen=True)
class Style:
    font: Font
    alignment: Alignment
    fill: PatternFill | None = None
    bordered: bool = False
    number_format: str | None = None


def style(
    size: float = 10.5,
    *,
    bold: bool = False,
    color: str | None = None,
    horizontal: str | None = None,
    vertical: str | None = "center",
    wrap: bool = False,
    shrink: bool = False,
    indent: int = 0,
    fill: PatternFill | None = None,
    bordered: bool = False,
    number_format: str | None = None,
) -> Style:
    """A :class:`Style` in the form's font. Only the options given are set, so
    that the written styles stay minimal (and the bytes stable)."""
    font = {"name": FONT_NAME, "size": size}
    if bold:
        font["bold"] = True
    if color:
        font["color"] = color
    alignment = {}
    if horizontal:
        alignment["horizontal"] = horizontal
    if vertical:
        alignment["vertical"] = vertical
    if wrap:
        alignment["wrap_text"] = True
    if shrink:
        alignment["shrink_to_fit"] = True
    if indent:
        alignment["indent"] = indent
    return Style(Font(**font), Alignment(**alignment), fill, bordered, number_format)


# The common styles of the forms: labels on grey, values in bordered cells.
STYLES: dict[str, Style] = {
    "plain": style(),
    "date": style(horizontal="right"),
    "title": style(14, bold=True, horizontal="center"),
    "label": style(horizontal="left", wrap=True, indent=1, fill=LABEL_FILL, bordered=True),
    "sub": style(horizontal="center", wrap=True, fill=LABEL_FILL, bordered=True),
    "section": style(bold=True, horizontal="left", indent=1, fill=SECTION_FILL, bordered=True),
    "value": style(11, horizontal="left", wrap=True, indent=1, bordered=True),
    "note": style(9, color="C00000", horizontal="left", vertical="top", indent=1),
    "remarks": style(horizontal="left", vertical="top", wrap=True, indent=1, bordered=True),
    # tables
    "head": style(10, horizontal="center", wrap=True, fill=LABEL_FILL, bordered=True),
    "cell": style(10, horizontal="left", wrap=True, indent=1, bordered=True),
    "center": style(10, horizontal="center", wrap=True, bordered=True),
    "number": style(10, horizontal="right", bordered=True, number_format="#,##0"),
    "hours": style(10, horizontal="right", bordered=True, number_format="0.00"),
    "unit": style(10, horizontal="left", bordered=True),
    "mark": style(11, bold=True, horizontal="center", fill=MARK_FILL, bordered=True),
    "small": style(9, horizontal="left", wrap=True),
}


# --- the table writer -------------------------------------------------------------


def cell_range(columns: str, row: int) -> str:
    """The reference of a cell span: B -> B7, B:F -> B7:F7; A13:A14 stays as it is."""
    if any(ch.isdigit() for ch in columns):
        return columns
    first, _, last = columns.partition(":")
    return f"{first}{row}:{last}{row}" if last else f"{first}{row}"


def field_cells(rows: Iterable[Row]) -> dict[str, str]:
    """Each Field's key → the reference of its (first) cell."""
    return {
        content.key: cell_range(columns, row).split(":")[0]
        for row, _height, cells in rows
        for columns, content, _style in cells
        if isinstance(content, Field)
    }


def text_lines(text, width: float) -> int:
    """Lines a wrapped text takes in a cell ``width`` characters wide (an estimate:
    a full-width character takes about 1.6 widths, a half-width one 1)."""
    lines = 0
    for paragraph in str(text).split("\n"):
        units = sum(1.6 if unicodedata.east_asian_width(ch) in "FWA" else 1.0 for ch in paragraph)
        lines += max(1, math.ceil(units / max(width - 3, 1)))
    return lines


def _span_width(columns: str, widths: Mapping[str, float]) -> float:
    first, _, last = "".join(ch for ch in columns if not ch.isdigit()).partition(":")
    span = range(column_index_from_string(first), column_index_from_string(last or first) + 1)
    return sum(widths.get(get_column_letter(i), 8.43) for i in span)


def _content_value(content, values: Mapping):
    if isinstance(content, Field):
        return values[content.key]
    if isinstance(content, Data):
        return content.value
    return content


def row_height(
    height: float, cells: list[Cell], values: Mapping, styles: Mapping, widths: Mapping
) -> float:
    """The layout's height, grown so that wrapped user values stay visible."""
    for columns, content, style_key in cells:
        st = styles[style_key]
        if not isinstance(content, Field | Data) or not st.alignment.wrap_text:
            continue
        value = _content_value(content, values)
        if value is None or value == "":
            continue
        line_height = st.font.size * 1.35
        lines = text_lines(value, _span_width(columns, widths))
        height = max(height, lines * line_height + 6)
    return height


def write_rows(
    ws,
    rows: Iterable[Row],
    values: Mapping | None = None,
    styles: Mapping[str, Style] = STYLES,
    widths: Mapping[str, float] | None = None,
) -> None:
    """Write the layout ``rows`` onto ``ws``: values, merges, styles, borders and
    row heights. ``widths`` default to the sheet's column widths."""
    values = values or {}
    if widths is None:
        widths = {key: dim.width for key, dim in ws.column_dimensions.items() if dim.width}
    for row, height, cells in rows:
        ws.row_dimensions[row].height = row_height(height, cells, values, styles, widths)
        for columns, content, style_key in cells:
            ref = cell_range(columns, row)
            value = _content_value(content, values)
            st = styles[style_key]
            first = ws[ref.split(":")[0]]
            first.value = value
            if isinstance(value, str):
                # Never a formula: a value such as "=HYPERLINK(...)" typed by a
                # user stays text when a reviewer opens the file in Excel.
                first.data_type = "s"
            if ":" in ref:
                ws.merge_cells(ref)
            block = ws[ref] if ":" in ref else ((first,),)
            for line in block:
                for cell in line:
                    cell.font = st.font
                    cell.alignment = st.alignment
                    if st.fill is not None:
                        cell.fill = st.fill
                    if st.bordered:
                        cell.border = BORDER
                    if st.number_format:
                        cell.number_format = st.number_format


# --- the fast table writer ---------------------------------------------------------


def _named_styles(wb, prefix: str, keys, styles: Mapping[str, Style]) -> list:
    """One shared named style per column: the repeated rows get a copy of its
    style array (what ``cell.style = name`` does, without the name lookup per
    cell) — no font, border or alignment objects per cell."""
    arrays = {}
    for key in dict.fromkeys(keys):
        st = styles[key]
        named = NamedStyle(name=f"{prefix}_{key}", font=st.font, alignment=st.alignment)
        if st.bordered:
            named.border = BORDER
        if st.fill is not None:
            named.fill = st.fill
        if st.number_format:
            named.number_format = st.number_format
        wb.add_named_style(named)
        arrays[key] = named.as_tuple()
    return [arrays[key] for key in keys]


def write_table_rows(
    ws, first_row: int, rows: Iterable[Sequence], style_keys, styles: Mapping[str, Style] = STYLES
) -> int:
    """Write plain rows fast: values and a shared style per column (``style_keys``,
    keys of ``styles``), no merges and no row heights. Text stays text (never a
    formula). Returns the last row written (``first_row - 1`` for none)."""
    arrays = _named_styles(ws.parent, ws.title.replace(" ", "_"), style_keys, styles)
    cells = ws._cells  # Cell objects go straight in, skipping ws.cell()'s look-ups
    n = first_row - 1
    for n, values in enumerate(rows, start=first_row):
        for column, (value, array) in enumerate(zip(values, arrays, strict=True), start=1):
            cell = _Cell(ws, row=n, column=column, value=value, style_array=array)
            if isinstance(value, str):
                cell.data_type = "s"
            cells[(n, column)] = cell
    return n


# --- sheets of a document -------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """Long plain rows after a sheet's layout, written by :func:`write_table_rows`."""

    first_row: int
    rows: Iterable[Sequence]
    style_keys: Sequence[str]


@dataclass(frozen=True)
class Sheet:
    """One sheet: the layout ``rows`` and the ``values`` of their fields, an
    optional fast ``table`` after them, and the print setup (A4, one page wide;
    the print area runs from A1 to the last column of ``widths`` and the last
    row written)."""

    title: str
    widths: Mapping[str, float]
    rows: Sequence[Row]
    values: Mapping | None = None
    table: Table | None = None
    landscape: bool = False
    fit_height: int = 1  # 0: as many pages as needed (lists), with title_rows repeated
    title_rows: str | None = None
    freeze_panes: str | None = None
    row_breaks: Sequence[int] = ()  # a page break after each of these rows


def write_sheet(wb: Workbook, sheet: Sheet, styles: Mapping[str, Style] = STYLES):
    """Add ``sheet`` to ``wb``: its layout, its table and its print setup."""
    ws = new_sheet(wb, sheet.title, sheet.widths)
    write_rows(ws, sheet.rows, sheet.values or {}, styles, sheet.widths)
    last = max((row for row, _height, _cells in sheet.rows), default=0)
    if sheet.table is not None:
        table = sheet.table
        last = max(
            last, write_table_rows(ws, table.first_row, table.rows, table.style_keys, styles)
        )
    if sheet.freeze_panes:
        ws.freeze_panes = sheet.freeze_panes
    last_column = get_column_letter(max(map(column_index_from_string, sheet.widths)))
    setup_page(
        ws,
        f"A1:{last_column}{max(last, 1)}",
        landscape=sheet.landscape,
        fit_height=sheet.fit_height,
        title_rows=sheet.title_rows,
    )
    for row in sheet.row_breaks:
        ws.row_breaks.append(Break(id=row))
    return ws


def build_workbook(sheets: Iterable[Sheet], styles: Mapping[str, Style] = STYLES) -> Workbook:
    """A workbook of ``sheets``, in their order."""
    wb = new_workbook()
    for sheet in sheets:
        write_sheet(wb, sheet, styles)
    return wb


@dataclass(frozen=True)
class ListSheet:
    """How a list prints as .xlsx: a header row (``header_style``, one row
    ``header_height`` high) repeated on every page and frozen, then one row per
    item with a style per column (``cell_styles``)."""

    title: str
    widths: Mapping[str, float]
    cell_styles: Sequence[str]
    header_style: str = "head"
    header_height: float = 20
    landscape: bool = False


def list_sheet(spec: ListSheet, header: Sequence[str], rows: Iterable[Sequence]) -> Sheet:
    """The :class:`Sheet` of a list: the header in row 1, the rows from row 2."""
    columns = [get_column_letter(n) for n in range(1, len(header) + 1)]
    head = [(1, spec.header_height, [(col, text, spec.header_style) for col, text in zip(columns, header, strict=True)])]  # fmt: skip
    return Sheet(
        spec.title,
        spec.widths,
        head,
        table=Table(2, rows, spec.cell_styles),
        landscape=spec.landscape,
        fit_height=0,
        title_rows="1:1",
        freeze_panes="A2",
    )


# --- workbook and page setup -------------------------------------------------------


def new_workbook() -> Workbook:
    """An empty workbook: add its sheets with :func:`new_sheet`."""
    wb = Workbook()
    wb.remove(wb.active)
    return wb


def new_sheet(wb: Workbook, title: str, widths: Mapping[str, float]):
    """A new sheet of ``wb``, titled and with its column widths (in characters
    of the default font; about 100 fit A4 portrait)."""
    ws = wb.create_sheet(title)
    for column, width in widths.items():
        ws.column_dimensions[column].width = width
    return ws


def setup_page(
    ws,
    print_area: str,
    *,
    landscape: bool = False,
    fit_height: int = 1,
    title_rows: str | None = None,
    margins: tuple[float, float, float] = (0.6, 0.7, 0.3),
) -> None:
    """A4, fit to one page wide; ``fit_height`` pages high (0: as many as
    needed, with ``title_rows`` such as ``"5:6"`` repeated on each page)."""
    ws.print_area = print_area
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE if landscape else ws.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth = 1
    # fit-to-page only ever shrinks, so ordinary data prints at the same scale
    # as with fitToHeight = 0; the longest values still stay on one page.
    ws.page_setup.fitToHeight = fit_height
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    side, top_bottom, header_footer = margins
    ws.page_margins.left = ws.page_margins.right = side
    ws.page_margins.top = ws.page_margins.bottom = top_bottom
    ws.page_margins.header = ws.page_margins.footer = header_footer
    ws.sheet_view.showGridLines = False
    if title_rows:
        ws.print_title_rows = title_rows


def deterministic_zip(data: bytes) -> bytes:
    """Rewrite an OOXML zip with fixed entry timestamps so that the same data
    gives the same bytes (openpyxl stamps the current time on every entry)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


def workbook_bytes(
    wb: Workbook,
    fixed_datetime: datetime.datetime | datetime.date | str,
    *,
    title: str | None = None,
) -> bytes:
    """The .xlsx bytes of ``wb``; created/modified are ``fixed_datetime`` (a
    value of the data, never "now"; an ISO date is read), so the same data
    gives the same bytes."""
    if isinstance(fixed_datetime, str):
        fixed_datetime = datetime.date.fromisoformat(fixed_datetime)
    if not isinstance(fixed_datetime, datetime.datetime):
        fixed_datetime = datetime.datetime.combine(fixed_datetime, datetime.time())
    if fixed_datetime.tzinfo is not None:
        fixed_datetime = fixed_datetime.replace(tzinfo=None)
    wb.properties.created = fixed_datetime
    wb.properties.modified = fixed_datetime
    wb.properties.creator = CREATOR
    if title is not None:
        wb.properties.title = title
    buffer = io.BytesIO()
    # ExcelWriter directly: openpyxl.save_workbook would stamp "modified" with now.
    ExcelWriter(wb, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    return deterministic_zip(buffer.getvalue())


# --- value formats ---------------------------------------------------------------


def japanese_date(day: datetime.date | str | None) -> str:
    """2017年10月3日 (blank for None)."""
    if not day:
        return ""
    if isinstance(day, str):
        day = datetime.date.fromisoformat(day)
    return f"{day.year}年{day.month}月{day.day}日"


def japanese_date_weekday(day: datetime.date | str | None) -> str:
    """2018年04月02日(月), as 申請書式2-添付書類3 prints dates (blank for None)."""
    if not day:
        return ""
    if isinstance(day, str):
        day = datetime.date.fromisoformat(day)
    return f"{day:%Y年%m月%d日}({WEEKDAYS[day.weekday()]})"


def slash_date(day: datetime.date | str | None) -> str:
    """2017/10/03 (yyyy/mm/dd as the forms ask; blank for None)."""
    if not day:
        return ""
    if isinstance(day, str):
        day = datetime.date.fromisoformat(day)
    return f"{day:%Y/%m/%d}"


def options(choices, selected, labels: Mapping | None = None, separator: str = "\u3000") -> str:
    """Radio buttons as text: ●大学\u3000○企業 …"""
    labels = labels or {}
    return separator.join(
        f"{CHECKED if value == selected else UNCHECKED}{labels.get(value, label)}"
        for value, label in choices
    )


def box(checked: bool) -> str:
    return BOX_CHECKED if checked else BOX_UNCHECKED
