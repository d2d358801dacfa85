"""The layout blocks the manual's forms share, defined once.

The 別紙 figures repeat the same blocks: the head of the form (its name,
version, date and title), the provider header (講座開設者番号 and 申請者名), the
course and delivery-course headers (免除対象講座 / 実施講座 with 番号 and 名称),
the address of a site (実施講座設置場所) and the period of a delivery course
(実施講座開設時期). Each form places a block at its first row and on its own
column grid: ``label`` names the label columns (``"A"``, ``"A:B"``, ``"A:C"``);
a number takes the two columns after them, a name or an address runs from
the next column to ``last``. A block's ``values`` gives the values of its
fields, so that the layout and the values agree.

The rows are portal.xlsx layout rows ``(row, height, [(columns, content,
style)])`` with the styles of portal.xlsx.STYLES.
"""

from dataclasses import dataclass

from openpyxl.utils import column_index_from_string, get_column_letter

from .xlsx import BOX_CHECKED, BOX_UNCHECKED, Field, Row

L, V, SUB, SEC = "label", "value", "sub", "section"


def _column(columns: str, offset: int) -> str:
    """The column ``offset`` columns after the last one of ``columns``."""
    last = columns.rpartition(":")[2]
    return get_column_letter(column_index_from_string(last) + offset)


def _after(label: str, last: str) -> str:
    """The columns after ``label`` up to ``last``: a name's or an address's cells."""
    return f"{_column(label, 1)}:{last}"


def _number(label: str) -> str:
    """The two columns after ``label``: a number's cells."""
    return f"{_column(label, 1)}:{_column(label, 2)}"


def _down(label: str, first: int, last_row: int) -> str:
    """``label``'s columns merged over rows ``first``–``last_row`` (A13:A14, A8:C9)."""
    start, _, end = label.partition(":")
    return f"{start}{first}:{end or start}{last_row}"


def form_head(
    form_id: str, title: str, last: str, date_columns: str, *, id_columns="A", spacer=8
) -> list[Row]:
    """Rows 1–6 of a form: its name and version (top left), its date (top
    right) and its title across the page, with empty rows between."""
    return [
        (1, 17, [(id_columns, form_id, "plain")]),
        (2, 17, [(id_columns, Field("form_version"), "plain")]),
        (3, 17, [(date_columns, Field("date"), "date")]),
        (4, spacer, []),
        (5, 26, [(f"A:{last}", title, "title")]),
        (6, spacer, []),
    ]


@dataclass(frozen=True)
class ProviderHeader:
    """講座開設者番号, then 申請者名（法人名称） in カナ and 漢字 (two rows, the
    label merged down) or in 漢字 only (one row)."""

    label: str = "A:B"
    last: str = "F"
    kana: bool = True
    height: float = 22
    # 別紙6/7: the number's label spans A:B, the name's label A only.
    name_label: str | None = None
    number_label: str = "講座開設者番号"
    number_height: float | None = None
    number_key: str = "provider_number"
    kanji_key: str = "name"

    def rows(self, first: int) -> list[Row]:
        label = self.name_label or self.label
        sub, value, height = _column(label, 1), _after(_column(label, 1), self.last), self.height
        rows = [
            (first, self.number_height or height, [
                (self.label, self.number_label, L), (_number(self.label), Field(self.number_key), V),
            ]),
        ]  # fmt: skip
        if not self.kana:
            return [
                *rows,
                (first + 1, height, [
                    (label, "申請者名（法人名称）", L), (sub, "漢字", SUB), (value, Field(self.kanji_key), V),
                ]),
            ]  # fmt: skip
        return [
            *rows,
            (first + 1, height, [
                (_down(label, first + 1, first + 2), "申請者名（法人名称）", L),
                (sub, "カナ", SUB), (value, Field("name_kana"), V),
            ]),
            (first + 2, height, [(sub, "漢字", SUB), (value, Field(self.kanji_key), V)]),
        ]  # fmt: skip

    def values(self, number: str, name: str, name_kana: str = "") -> dict:
        values = {self.number_key: number, self.kanji_key: name}
        if self.kana:
            values["name_kana"] = name_kana
        return values


@dataclass(frozen=True)
class NumberedHeader:
    """A section title (免除対象講座, 実施講座) with the 番号 and 名称 rows; 別紙4
    names the course only (``numbered=False``); 別紙3/5 put a 講座の削除 box
    beside the title (``deletion_key``)."""

    title: str
    number_key: str
    name_key: str
    label: str = "A:B"
    last: str = "F"
    height: float = 22
    section_height: float = 20
    numbered: bool = True
    deletion_key: str | None = None

    def rows(self, first: int) -> list[Row]:
        if self.deletion_key:
            section = [
                (f"A:{_column(self.last, -2)}", self.title, SEC),
                (_column(self.last, -1), "講座の削除", SUB),
                (self.last, Field(self.deletion_key), "center"),
            ]
        else:
            section = [(f"A:{self.last}", self.title, SEC)]
        rows = [(first, self.section_height, section)]
        if self.numbered:
            number = [(self.label, "番号", L), (_number(self.label), Field(self.number_key), V)]
            rows.append((first + 1, self.height, number))
        name = [(self.label, "名称", L), (_after(self.label, self.last), Field(self.name_key), V)]
        rows.append((first + len(rows), self.height, name))
        return rows

    def values(self, number: str, name: str, deleted: bool = False) -> dict:
        values = {self.name_key: name}
        if self.numbered:
            values[self.number_key] = number
        if self.deletion_key:
            values[self.deletion_key] = BOX_CHECKED if deleted else BOX_UNCHECKED
        return values


def course_header(**options) -> NumberedHeader:
    """免除対象講座: the course's 番号 and 名称."""
    return NumberedHeader("免除対象講座", "course_number", "course_name", **options)


def delivery_header(**options) -> NumberedHeader:
    """実施講座: the delivery course's 番号 and 名称."""
    return NumberedHeader("実施講座", "delivery_number", "delivery_name", **options)


SITE_FIELDS = (Field("prefecture"), Field("address"), Field("building"))


def site_rows(
    first: int,
    title: str = "実施講座設置場所",
    *,
    label: str = "A",
    last: str = "F",
    contents=SITE_FIELDS,
) -> list[Row]:
    """A section title and the 住所 of a site: 都道府県, 市区町村以下 and 建物名
    (the fields ``prefecture``, ``address`` and ``building``, or fixed texts)."""
    value = _after(_column(label, 1), last)
    parts = zip(("都道府県", "市区町村以下", "建物名"), contents, strict=True)
    rows = [(first, 20, [(f"A:{last}", title, SEC)])]
    for n, (part, content) in enumerate(parts, start=1):
        cells = [(_column(label, 1), part, SUB), (value, content, V)]
        if n == 1:
            cells.insert(0, (_down(label, first + 1, first + 3), "住所", L))
        rows.append((first + n, 22, cells))
    return rows


def period_rows(first: int, *, length: bool = False) -> list[Row]:
    """実施講座開設時期: the first and last day of a delivery course (the fields
    ``start_date`` and ``end_date``), with its ``length`` on 別紙6."""
    end = [("A:B", "終了年月日", L), ("C:D", Field("end_date"), V)]
    if length:
        end.append(("E:F", Field("length"), V))
    return [
        (first, 20, [("A:F", "実施講座開設時期", SEC)]),
        (first + 1, 22, [("A:B", "開始年月日", L), ("C:D", Field("start_date"), V)]),
        (first + 2, 22, end),
    ]
