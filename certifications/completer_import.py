"""Bulk upload of certified completers (修了認定者, R3, R4, R7, R8, E8) from
an Excel (.xlsx) or CSV file.

Pure functions, no database access. A view or service calls them in two steps
and stores the rows itself, all or nothing::

    rows = read_completer_file(upload.name, upload.read(), private=private)
    cleaned, errors = validate_completer_rows(
        rows, provider_number="99991", exam_date=report.exam_date,
        pass_score=ipa_pass_score(), private=private,
        existing_people={person_key(c) for c in already_reported},
        existing_serials=services.month_serials(report),  # R4: the whole exam month
    )
    if errors:
        ...  # show str(e) for e in errors; store nothing
    else:
        Completer.objects.bulk_create([Completer(report=report, **row) for row in cleaned])

``read_completer_file`` raises :class:`~django.core.exceptions.ValidationError`
for problems of the file as a whole (type, size, zip bomb, encoding, missing
columns); ``validate_completer_rows`` never raises for bad data but returns one
:class:`RowError` per problem (row number in the file, column, message), so a
provider can fix a 10,000-row file in one pass.

The files people have
---------------------
* the manual's 修了認定者情報 CSV of the desktop program (表5.8-3), with or
  without the two R8 columns 民間資格の合格日 / 民間資格の合格番号, saved by
  Excel as Shift_JIS (cp932) or UTF-8, comma- or tab-separated;
* a school's own list: 番号 / 氏名 / フリガナ / 生年月日 / 点数 and more columns.

Header names are compared after NFKC (full-width letters, digits and brackets
become half-width, half-width katakana full-width), with all spaces removed,
other bracket shapes (【】［］「」…) treated as ( ), letters lower-cased and
required-field marks (※ *) dropped, so ``姓（漢字）``, ``姓 (漢字)`` and
``姓【漢字】`` are the same header. Unknown columns (免除対象講座番号,
修了認定年月日, 住所, …) are ignored and not carried into the cleaned rows: only
the data the report needs is transferred (R13).

Decisions where the manual is silent
------------------------------------
* The header row is the first row, among the first 20 non-empty rows, that
  has at least two recognised column names (so a title row above it is fine).
* Rows whose recognised columns other than the serial are all empty are
  skipped: blank rows, template rows numbered in advance, and the manual's
  表5.8-3 running number in its (ignored) first column.
* Serial numbers (R3, R4): a cell may hold the 5-digit serial (``1``,
  ``00001``), the 16-character management number ``99991FE150600001`` or its
  display form ``99991-FE1506-00001`` (spaces instead of hyphens too, as in
  figure 5.8-4); a full number must match this report's provider and exam
  month. Serials are unique per provider and exam month across all reports
  (R4): ``existing_serials`` holds every serial already used for the month.
  **Rows without a serial (or a file without the column) get the next
  free serial after the highest serial in the file and in**
  ``existing_serials``, in file order; gaps are accepted (R3), so nothing is
  renumbered.
* Names (R3): surrounding spaces are stripped and half-width katakana is
  widened; other characters are kept as written (no NFKC: it would silently
  change the kanji of a person's name). ``氏名`` is split at its one space
  (full- or half-width) into surname and given name.
* Kana: NFKC (half-width katakana and ｰ become full-width), runs of spaces
  become one full-width space, then the P3 katakana rule applies. Hiragana is
  not converted: it is reported, so the provider checks the reading.
* Birth date: a date cell, ``1998/10/6``, ``1998-10-06``, ``1998.10.6``,
  ``1998年10月6日`` or ``19981006`` (text or a number cell), also with a
  trailing ``0:00:00`` as some programs write into CSV. Other numbers (an Excel
  serial number in a cell formatted as a number) and Japanese era dates are
  refused, the latter with a hint to use the Western calendar. Plausible: born in 1900 or
  later and at least 10 years before the exam date.
* Score (E8): an integer 0–``max_score`` (100 by default; 60 for IPA problems),
  at least ``pass_score`` when it is given: a completer passed the exam.
* R7: the same person — surname, given name, both kana and the birth date,
  see :func:`person_key` — only once per file and not again when they are in
  ``existing_people`` (the completers already reported for this delivery
  course); the error names the earlier row or says 既に報告済み.
* R8: for private-qualification courses (``private=True``) both columns are
  required by ``read_completer_file`` and both values in every row; for other
  courses the two values are ignored.
* Lengths follow the model: names 20 characters, kana 40, pass number 40.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from portal.uploads import MAX_UPLOAD_BYTES as PORTAL_MAX_UPLOAD_BYTES
from portal.uploads import open_xlsx_safely, too_many_rows_error
from portal.validators import (
    FULLWIDTH_SPACE,
    JisTextValidator,
    KatakanaValidator,
    PersonNameValidator,
)

__all__ = [
    "COLUMN_LABELS",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "MAX_UPLOAD_BYTES",
    "RowError",
    "person_key",
    "read_completer_file",
    "validate_completer_rows",
]

MAX_UPLOAD_BYTES = PORTAL_MAX_UPLOAD_BYTES  # 10 MB, the portal-wide upload limit
MAX_ROWS = 99_999  # data rows: serials have 5 digits (R3)
MAX_COLUMNS = 64  # columns to the right of BL are not read
HEADER_SEARCH_ROWS = 20
# Issue 11: every row of the sheet or file counts, blank or not (an xlsx of
# 600,000 blank rows held a worker for 17 s); reading stops at the first row past it.
MAX_SHEET_ROWS = MAX_ROWS + HEADER_SEARCH_ROWS
FILE_LABEL = "修了認定者の一覧"

MIN_BIRTH_DATE = datetime.date(1900, 1, 1)
MIN_AGE_YEARS = 10
NAME_MAX_LENGTH = 20  # Completer.family_name / given_name
KANA_MAX_LENGTH = 40  # Completer.family_kana / given_kana
PASS_NUMBER_MAX_LENGTH = 40  # Completer.private_pass_number

# --- columns -----------------------------------------------------------------------

# Japanese labels used in messages (the model's verbose names where there is one).
COLUMN_LABELS = {
    "serial": "修了認定者管理番号",
    "family_name": "姓（漢字）",
    "given_name": "名（漢字）",
    "full_name": "氏名",
    "family_kana": "姓（カナ）",
    "given_kana": "名（カナ）",
    "full_kana": "氏名（カナ）",
    "birth_date": "生年月日",
    "score": "点数",
    "private_pass_date": "民間資格の合格日",
    "private_pass_number": "民間資格の合格番号",
}
PERSON_LABEL = "氏名・生年月日"

_HEADER_ALIASES = {
    "serial": ["修了認定者管理番号", "管理番号", "番号", "連番", "No.", "No", "NO."],
    "family_name": ["姓(漢字)", "姓", "氏", "姓（漢字）", "氏(漢字)"],
    "given_name": ["名(漢字)", "名", "名（漢字）"],
    "full_name": ["氏名", "氏名(漢字)", "修了認定者名"],
    "family_kana": ["姓(カナ)", "セイ", "姓カナ", "フリガナ(姓)", "姓(フリガナ)", "せい"],
    "given_kana": ["名(カナ)", "メイ", "名カナ", "フリガナ(名)", "名(フリガナ)", "めい"],
    "full_kana": ["氏名(カナ)", "フリガナ", "氏名カナ", "氏名(フリガナ)", "ふりがな", "修了認定者名(カタカナ)"],
    "birth_date": ["生年月日"],
    "score": ["点数", "修了試験結果", "得点", "修了試験の点数"],
    "private_pass_date": ["民間資格の合格日", "民間資格合格日"],
    "private_pass_number": ["民間資格の合格番号", "民間資格合格番号"],
}  # fmt: skip

_BRACKETS = str.maketrans("[]{}【】〔〕「」『』〈〉《》<>", "()" * 9)
_HEADER_DROP = str.maketrans("", "", "※*＊")


def _header_key(text: object) -> str:
    s = unicodedata.normalize("NFKC", str(text)).translate(_BRACKETS).translate(_HEADER_DROP)
    return "".join(s.split()).lower()


HEADERS = {_header_key(alias): key for key, aliases in _HEADER_ALIASES.items() for alias in aliases}

# Required column groups: one of the alternatives must be complete.
_REQUIRED_GROUPS = [
    ((("family_name", "given_name"), ("full_name",)), "「姓（漢字）」「名（漢字）」（または「氏名」）"),
    ((("family_kana", "given_kana"), ("full_kana",)), "「姓（カナ）」「名（カナ）」（または「氏名（カナ）」）"),
    ((("birth_date",),), "「生年月日」"),
    ((("score",),), "「点数」（または「修了試験結果」）"),
]  # fmt: skip
_PRIVATE_GROUPS = [
    ((("private_pass_date",),), "「民間資格の合格日」"),
    ((("private_pass_number",),), "「民間資格の合格番号」"),
]


# --- errors ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem of one row: ``7431行目「生年月日」：日付として読み取れません（「1999/13/01」）。``"""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.row}行目「{self.column}」：{self.message}"


# --- reading -----------------------------------------------------------------------


def read_completer_file(
    name: str, data: bytes, *, private: bool = False, label: str = FILE_LABEL
) -> list[tuple[int, dict[str, Any]]]:
    """The data rows of an uploaded completer list as ``(row number, values)``.

    ``values`` maps the canonical keys of the recognised columns present in the
    file (see ``COLUMN_LABELS``) to the raw cell values: ``str``, ``int``,
    ``float``, ``datetime`` or ``None`` for xlsx, ``str`` for CSV. Row numbers
    are those Excel shows (1 = first row of the sheet or file).

    The type, the size and, for xlsx, the declared uncompressed size (zip bomb)
    are checked before anything is parsed. ``private=True`` (R8) also requires
    the columns 民間資格の合格日 and 民間資格の合格番号.
    """
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ("xlsx", "csv"):
        shown = f".{ext}" if ext else "拡張子なし"
        hint = (
            "（Excel 97-2003形式は、Excelで.xlsx形式に保存し直してください）"
            if ext == "xls"
            else ""
        )
        raise ValidationError(
            f"「{label}」はExcel（.xlsx）またはCSV（.csv）のファイルを選んでください"
            f"（{shown}は受け付けられません）。{hint}"
        )
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(
            f"「{label}」は{MAX_UPLOAD_BYTES // (1024 * 1024)}MB以下にしてください"
            f"（{len(data) / 1024 / 1024:.1f}MB）。"
        )
    if not data.strip():
        raise ValidationError(f"「{label}」が空です。")
    if ext == "xlsx":
        return _read_xlsx(data, label, private)
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError(
            f"「{label}」は拡張子が.csvですが、中身はExcelのファイルです。"
            "Excelの「名前を付けて保存」でCSV形式を選ぶか、.xlsxのままアップロードしてください。"
        )
    return _read_csv(data, label, private)


def _read_xlsx(data: bytes, label: str, private: bool) -> list[tuple[int, dict]]:
    # zip-bomb, macro, type and row-count checks before parsing
    wb = open_xlsx_safely(data, label, max_rows=MAX_SHEET_ROWS)
    try:
        if not wb.worksheets:
            raise ValidationError(f"「{label}」にシートがありません。")
        ws = wb.worksheets[0]
        # A declared <dimension> beyond the limit is refused before any row is
        # read; some programs write a wrong (too small) one, so the rows really
        # there are read, but never more than the limit.
        declared = ws.max_row  # None when the sheet declares no dimension
        if declared is not None and declared > MAX_SHEET_ROWS:
            raise _too_many_rows(label)
        ws.reset_dimensions()
        rows = ws.iter_rows(min_row=1, max_col=MAX_COLUMNS, values_only=True)
        return _rows_to_dicts(_limited(enumerate(rows, start=1), label), label, private)
    except ValidationError:
        raise
    except Exception:  # a damaged sheet: openpyxl raises all sorts of things
        raise ValidationError(f"「{label}」はExcel（.xlsx）として読み込めません。") from None
    finally:
        wb.close()


def _decode(data: bytes, label: str) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]  # Excel's "Unicode テキスト"
    else:
        encodings = ["utf-8-sig", "cp932"]  # cp932 = Windows Shift_JIS, a superset
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise ValidationError(
        f"「{label}」の文字コードを判別できません。UTF-8またはShift_JISのCSVで保存してください。"
    )


def _read_csv(data: bytes, label: str, private: bool) -> list[tuple[int, dict]]:
    text = _decode(data, label)
    sample = text[:8192]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _rows_to_dicts(_limited(enumerate(reader, start=1), label), label, private)
    except csv.Error:
        raise ValidationError(f"「{label}」はCSVとして読み込めません。") from None


def _too_many_rows(label: str) -> ValidationError:
    return too_many_rows_error(label, MAX_SHEET_ROWS)


def _limited(numbered_rows: Iterable[tuple[int, Sequence[object]]], label: str):
    """The rows up to :data:`MAX_SHEET_ROWS`, blank ones included; the first
    row past it raises (nothing after it is read)."""
    for number, cells in numbered_rows:
        if number > MAX_SHEET_ROWS:
            raise _too_many_rows(label)
        yield number, cells


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _map_header(cells: Sequence[object]) -> dict[str, int]:
    """Canonical key -> column index for the recognised cells of a header row."""
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        if _is_blank(cell):
            continue
        key = HEADERS.get(_header_key(cell))
        if key is None:
            continue
        if key in columns:
            raise ValidationError(
                f"見出し「{cells[columns[key]]}」と「{cell}」はどちらも"
                f"「{COLUMN_LABELS[key]}」の列です。どちらか一方にしてください。"
            )
        columns[key] = index
    return columns


def _missing_columns(columns: Mapping[str, int], private: bool) -> list[str]:
    groups = _REQUIRED_GROUPS + (_PRIVATE_GROUPS if private else [])
    return [
        text
        for alternatives, text in groups
        if not any(all(key in columns for key in keys) for keys in alternatives)
    ]


def _rows_to_dicts(
    numbered_rows: Iterable[tuple[int, Sequence[object]]], label: str, private: bool
) -> list[tuple[int, dict]]:
    rows = iter(numbered_rows)
    columns = _find_header(rows, label, private)
    # Split alternatives: prefer 姓/名 columns over 氏名 when a file has both.
    for family, given, full in (
        ("family_name", "given_name", "full_name"),
        ("family_kana", "given_kana", "full_kana"),
    ):
        if family in columns and given in columns:
            columns.pop(full, None)
        else:  # only 氏名 is complete (checked by _find_header)
            columns.pop(family, None)
            columns.pop(given, None)
    if not private:
        columns.pop("private_pass_date", None)
        columns.pop("private_pass_number", None)
    items = list(columns.items())
    result: list[tuple[int, dict]] = []
    for number, cells in rows:
        width = len(cells)
        values = {key: (cells[i] if i < width else None) for key, i in items}
        if all(_is_blank(v) for k, v in values.items() if k != "serial"):
            continue  # blank, or a template row with only its number filled in
        if len(result) >= MAX_ROWS:
            raise ValidationError(f"「{label}」の行数が多すぎます（1回に{MAX_ROWS:,}行まで）。")
        result.append((number, values))
    return result


def _find_header(rows: Iterator[tuple[int, Sequence[object]]], label: str, private: bool):
    seen = 0
    best: dict[str, int] = {}
    for _number, cells in rows:
        if all(_is_blank(c) for c in cells):
            continue
        columns = _map_header(cells)
        if len(columns) >= 2:
            missing = _missing_columns(columns, private)
            if missing:
                raise ValidationError(
                    f"「{label}」に必要な列がありません：{'、'.join(missing)}。"
                    "見出し行に列名を入れてください。"
                )
            return columns
        best = best or columns
        seen += 1
        if seen >= HEADER_SEARCH_ROWS:
            break
    missing = "、".join(_missing_columns(best, private))
    raise ValidationError(
        f"「{label}」に見出し行が見つかりません。先頭の行に{missing}などの列名を入れてください。"
    )


# --- validating --------------------------------------------------------------------

_HALFWIDTH_KATAKANA_RUN = re.compile("[\uff61-\uff9f]+")
_MANAGEMENT_NUMBER = re.compile(r"(\d{5})FE(\d{4})(\d{5})")
_SERIAL_DIGITS = re.compile(r"\d{1,5}")
_DATE_YMD = re.compile(
    r"(\d{4})\s*[/\-.年]\s*(\d{1,2})\s*[/\-.月]\s*(\d{1,2})\s*日?(?:\s*[T ]?\s*0?0:00(?::00)?)?"
)
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_ERA_DATE = re.compile(r"[MTSHRmtshr明大昭平令]")
_SERIAL_SEPARATORS = str.maketrans("", "", " -_\u3000")

_NAME_VALIDATORS = {
    key: PersonNameValidator(COLUMN_LABELS[key])
    for key in ("family_name", "given_name", "full_name")
}
_KANA_VALIDATORS = {
    key: KatakanaValidator(COLUMN_LABELS[key]) for key in ("family_kana", "given_kana", "full_kana")
}
_PASS_NUMBER_VALIDATOR = JisTextValidator(COLUMN_LABELS["private_pass_number"])


def person_key(row: Mapping[str, Any]) -> tuple:
    """R7 identity of a completer: (surname, given name, surname kana, given kana, birth date).

    Works on cleaned rows and on ``Completer.objects.values(...)`` dicts, so a
    caller builds ``existing_people`` as ``{person_key(c) for c in qs.values()}``.
    """
    return (
        row["family_name"],
        row["given_name"],
        row["family_kana"],
        row["given_kana"],
        row["birth_date"],
    )


def birth_date_problem(value: datetime.date, exam_date: datetime.date) -> str | None:
    """A plausible birth date: 1900 or later, and at least 10 years before the
    exam (shared by the file import and the one-by-one form)."""
    if value < MIN_BIRTH_DATE:
        return f"1900年1月1日より前の日付です（「{_shown(value)}」）。生年月日を確認してください。"
    try:
        latest = exam_date.replace(year=exam_date.year - MIN_AGE_YEARS)
    except ValueError:  # 29 February
        latest = exam_date.replace(year=exam_date.year - MIN_AGE_YEARS, day=28)
    if value > latest:
        return (
            f"修了試験の実施日（{exam_date:%Y/%m/%d}）の時点で{MIN_AGE_YEARS}歳に"
            f"満たない日付です（「{_shown(value)}」）。生年月日を確認してください。"
        )
    return None


def _shown(value: object) -> str:
    if isinstance(value, datetime.datetime):
        value = value.date() if value.time() == datetime.time() else value
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return f"{value:%Y/%m/%d}"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text if len(text) <= 30 else text[:30] + "…"


def _validator_messages(validator, value: str, label: str) -> list[str]:
    """Messages of a portal validator without the leading 「label」に (the
    RowError names the column already)."""
    prefix = f"「{label}」に"
    messages = []
    for error in validator.errors(value):
        for message in error.messages:
            messages.append(message.removeprefix(prefix))
    return messages


def _widen_katakana(value: str) -> str:
    if not any("\uff61" <= ch <= "\uff9f" for ch in value):
        return value
    return _HALFWIDTH_KATAKANA_RUN.sub(lambda m: unicodedata.normalize("NFKC", m.group()), value)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _parse_date(value: object) -> tuple[datetime.date | None, str | None]:
    """(date, None) or (None, message)."""
    if isinstance(value, datetime.datetime):
        return value.date(), None
    if isinstance(value, datetime.date):
        return value, None
    if isinstance(value, bool):
        return None, f"日付として読み取れません（「{_shown(value)}」）。"
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 19981006 typed into a number cell; other numbers fail below
    text = unicodedata.normalize("NFKC", str(value)).strip()
    m = _DATE_YMD.fullmatch(text) or _DATE_COMPACT.fullmatch(text)
    if m:
        try:
            return datetime.date(int(m[1]), int(m[2]), int(m[3])), None
        except ValueError:
            pass
    message = f"日付として読み取れません（「{_shown(value)}」）。"
    if _ERA_DATE.match(text):
        message += "和暦ではなく西暦（例：1998/10/06）で入力してください。"
    return None, message


def _parse_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    text = text.removesuffix("点").strip()
    if text.isascii() and text.isdigit():
        return int(text)
    return None


class _RowCleaner:
    """Validates one row at a time; holds the per-upload settings."""

    def __init__(self, provider_number, exam_date, pass_score, max_score, private):
        self.provider_number = str(provider_number)
        self.exam_yymm = f"{exam_date:%y%m}"
        self.exam_date = exam_date
        self.pass_score = pass_score
        self.max_score = max_score
        self.private = private

    def serial(self, raw, err) -> int | None:
        if _is_blank(raw):
            return None
        label = COLUMN_LABELS["serial"]
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            serial = _parse_int(raw)
        else:
            text = unicodedata.normalize("NFKC", str(raw)).translate(_SERIAL_SEPARATORS).upper()
            serial = None
            if m := _MANAGEMENT_NUMBER.fullmatch(text):
                if m[1] != self.provider_number:
                    err(label, f"管理番号（「{_shown(raw)}」）の講座開設者番号が、"
                               f"この報告の講座開設者番号（{self.provider_number}）と一致しません。")  # fmt: skip
                    return None
                if m[2] != self.exam_yymm:
                    err(label, f"管理番号（「{_shown(raw)}」）の年月（{m[2]}）が、"
                               f"修了試験の実施年月（{self.exam_yymm}）と一致しません。")  # fmt: skip
                    return None
                serial = int(m[3])
            elif _SERIAL_DIGITS.fullmatch(text):
                serial = int(text)
        if serial is None:
            err(label, f"管理番号として読み取れません（「{_shown(raw)}」）。下5桁の番号（例：00001）"
                       f"か「{self.provider_number}-FE{self.exam_yymm}-00001」の形式で入力してください。")  # fmt: skip
            return None
        if not 1 <= serial <= 99999:
            err(label, f"番号は00001～99999にしてください（「{_shown(raw)}」）。")
            return None
        return serial

    def name(self, key, raw, err) -> str | None:
        label = COLUMN_LABELS[key]
        value = _widen_katakana(_text(raw))
        if not value:
            err(label, "入力されていません。")
            return None
        messages = _validator_messages(_NAME_VALIDATORS[key], value, label)
        if messages:  # the validator suggests the JIS character (髙 → 高)
            for message in messages:
                err(label, message)
            return None
        if len(value) > NAME_MAX_LENGTH:
            err(label, f"{NAME_MAX_LENGTH}文字以内で入力してください（{len(value)}文字）。")
            return None
        return value

    def kana(self, key, raw, err) -> str | None:
        label = COLUMN_LABELS[key]
        value = FULLWIDTH_SPACE.join(unicodedata.normalize("NFKC", _text(raw)).split())
        if not value:
            err(label, "入力されていません。")
            return None
        messages = _validator_messages(_KANA_VALIDATORS[key], value, label)
        for message in messages:
            err(label, message)
        if messages:
            return None
        if len(value) > KANA_MAX_LENGTH:
            err(label, f"{KANA_MAX_LENGTH}文字以内で入力してください（{len(value)}文字）。")
            return None
        return value

    def split(self, key, raw, err) -> tuple[Any, Any]:
        """氏名 / 氏名（カナ） -> (surname, given name) at the one space."""
        label = COLUMN_LABELS[key]
        text = _text(raw)
        if key == "full_kana":
            text = unicodedata.normalize("NFKC", text)
        parts = text.split()
        if not parts:
            err(label, "入力されていません。")
            return None, None
        if len(parts) != 2:
            example = "ジョウホウ　イチロウ" if key == "full_kana" else "情報　一郎"
            err(label, f"姓と名の間にスペースを1つ入れて入力してください（例：{example}）"
                       f"（「{_shown(raw)}」）。")  # fmt: skip
            return None, None
        check = self.kana if key == "full_kana" else self.name
        family, given = (check(key, part, err) for part in parts)
        return family, given

    def birth_date(self, raw, err) -> datetime.date | None:
        label = COLUMN_LABELS["birth_date"]
        if _is_blank(raw):
            err(label, "入力されていません。")
            return None
        value, message = _parse_date(raw)
        if message:
            err(label, message)
            return None
        problem = birth_date_problem(value, self.exam_date)
        if problem:
            err(label, problem)
            return None
        return value

    def score(self, raw, err) -> int | None:
        label = COLUMN_LABELS["score"]
        if _is_blank(raw):
            err(label, "入力されていません。")
            return None
        value = _parse_int(raw)
        if value is None or not 0 <= value <= self.max_score:
            err(label, f"0～{self.max_score}の整数で入力してください（「{_shown(raw)}」）。")
            return None
        if self.pass_score is not None and value < self.pass_score:
            err(label, f"合格基準（{self.pass_score}点以上）に達していません（「{value}」）。"
                       # E8
                       "修了認定者として報告できるのは修了試験の合格者だけです。")  # fmt: skip
            return None
        return value

    def private_pass(self, values, err) -> tuple[datetime.date | None, str]:
        date_label = COLUMN_LABELS["private_pass_date"]
        number_label = COLUMN_LABELS["private_pass_number"]
        raw_date = values.get("private_pass_date")
        raw_number = values.get("private_pass_number")
        pass_date = None
        if _is_blank(raw_date):
            # R8
            err(date_label, "民間資格活用ありの講座では入力が必要です。")
        else:
            pass_date, message = _parse_date(raw_date)
            if message:
                err(date_label, message)
        number = unicodedata.normalize("NFKC", _text(raw_number))
        if not number:
            # R8
            err(number_label, "民間資格活用ありの講座では入力が必要です。")
        else:
            for message in _validator_messages(_PASS_NUMBER_VALIDATOR, number, number_label):
                err(number_label, message)
            if len(number) > PASS_NUMBER_MAX_LENGTH:
                err(number_label, f"{PASS_NUMBER_MAX_LENGTH}文字以内で入力してください"
                                  f"（{len(number)}文字）。")  # fmt: skip
        return pass_date, number


def validate_completer_rows(
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    *,
    provider_number: str,
    exam_date: datetime.date,
    pass_score: int | None,
    private: bool,
    existing_people: set[tuple] | frozenset[tuple] = frozenset(),
    existing_serials: set[int] | frozenset[int] = frozenset(),
    max_score: int = 100,
) -> tuple[list[dict[str, Any]], list[RowError]]:
    """Clean the rows of :func:`read_completer_file`.

    Returns ``(cleaned, errors)``: ``cleaned`` holds the error-free rows in file
    order as dicts for ``Completer(report=report, **row)`` (serial, family_name,
    given_name, family_kana, given_kana, birth_date, score, private_pass_date,
    private_pass_number); ``errors`` one :class:`RowError` per problem, in row
    order. Store nothing when ``errors`` is not empty.

    ``existing_people`` holds :func:`person_key` tuples of completers already
    reported for the delivery course (R7); ``existing_serials`` the serials
    the provider already used for this exam month, in any report (R4).
    """
    cleaner = _RowCleaner(provider_number, exam_date, pass_score, max_score, private)
    errors: list[RowError] = []
    parsed: list[tuple[int, dict, bool]] = []  # (row, values, ok)
    serial_rows: dict[int, int] = {}

    for number, values in rows:
        row_errors: list[RowError] = []

        def err(column: str, message: str, _row=number, _errors=row_errors) -> None:
            _errors.append(RowError(_row, column, message))

        serial = cleaner.serial(values.get("serial"), err)
        if serial is not None:
            if serial in existing_serials:
                err(COLUMN_LABELS["serial"],
                    f"番号{serial:05d}は同じ年月の修了試験で既に使われています（報告が違っても"
                    "同じ番号は使えません）。空欄にすると空いている番号を付けます。")  # fmt: skip
            elif serial in serial_rows:
                err(COLUMN_LABELS["serial"],
                    f"番号{serial:05d}が{serial_rows[serial]}行目と重複しています。")  # fmt: skip
            else:
                serial_rows[serial] = number
        elif not _is_blank(values.get("serial")):
            serial = -1  # unreadable: do not give it a new number

        if "full_name" not in values:
            family_name = cleaner.name("family_name", values.get("family_name"), err)
            given_name = cleaner.name("given_name", values.get("given_name"), err)
        else:
            family_name, given_name = cleaner.split("full_name", values.get("full_name"), err)
        if "full_kana" not in values:
            family_kana = cleaner.kana("family_kana", values.get("family_kana"), err)
            given_kana = cleaner.kana("given_kana", values.get("given_kana"), err)
        else:
            family_kana, given_kana = cleaner.split("full_kana", values.get("full_kana"), err)
        birth_date = cleaner.birth_date(values.get("birth_date"), err)
        score = cleaner.score(values.get("score"), err)
        if private:
            pass_date, pass_number = cleaner.private_pass(values, err)
        else:
            pass_date, pass_number = None, ""

        cleaned = {
            "serial": serial,
            "family_name": family_name,
            "given_name": given_name,
            "family_kana": family_kana,
            "given_kana": given_kana,
            "birth_date": birth_date,
            "score": score,
            "private_pass_date": pass_date,
            "private_pass_number": pass_number,
        }
        errors.extend(row_errors)
        parsed.append((number, cleaned, not row_errors))

    # R7: the same person once per file and not again after an earlier report.
    people_rows: dict[tuple, int] = {}
    for number, cleaned, _ok in parsed:
        key = person_key(cleaned)
        if None in key:
            continue  # already reported as a field error
        who = f"{key[0]}\u3000{key[1]}（{key[2]}\u3000{key[3]}）、{key[4]:%Y/%m/%d}生"
        if key in existing_people:
            message = (
                # R7
                f"{who}は既に報告済みです。同じ実施講座の修了認定者は1回だけ報告します。"
            )
        elif key in people_rows:
            message = (f"{who}は{people_rows[key]}行目と同じ人です。"
                       # R7
                       "同じ実施講座の修了認定者は1回だけ報告します。")  # fmt: skip
        else:
            people_rows[key] = number
            continue
        errors.append(RowError(number, PERSON_LABEL, message))

    # Rows without a serial: the next free serials after the highest one, in file order.
    next_serial = max([*serial_rows, *existing_serials], default=0) + 1
    for number, cleaned, _ok in parsed:
        if cleaned["serial"] is None:
            if next_serial > 99999:
                errors.append(RowError(number, COLUMN_LABELS["serial"],
                                       "空いている番号がありません（99999まで）。"))  # fmt: skip
            else:
                cleaned["serial"] = next_serial
            next_serial += 1

    error_rows = {e.row for e in errors}
    errors.sort(key=lambda e: e.row)  # stable: field order inside a row is kept
    result = [cleaned for number, cleaned, _ok in parsed if number not in error_rows]
    return result, errors
