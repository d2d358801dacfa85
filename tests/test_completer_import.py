"""Completer list upload (certifications.completer_import): R3, R4, R7, R8, R13, E8.

Pure functions: no database access (pytest-django blocks it here)."""

import csv
import datetime
import io
import struct
import zipfile

import openpyxl
import pytest
from django.core.exceptions import ValidationError

from certifications.completer_import import (
    MAX_UPLOAD_BYTES,
    RowError,
    person_key,
    read_completer_file,
    validate_completer_rows,
)
from certifications.models import Completer
from exams.rules import IPA_FULL_MARKS, ipa_pass_score

PROVIDER = "99991"
EXAM_DATE = datetime.date(2015, 6, 14)  # management numbers 99991-FE1506-xxxxx

# 表5.8-3: the desktop program's 修了認定者情報 CSV with the two R8 columns.
MANUAL_HEADER = [
    "免除対象講座番号",
    "実施講座番号",
    "修了試験回数",
    "修了認定者管理番号",
    "姓(漢字)",
    "名(漢字)",
    "姓(カナ)",
    "名(カナ)",
    "生年月日",
    "修了認定年月日",
    "修了試験結果",
    "民間資格の合格日",
    "民間資格の合格番号",
]
MANUAL_ROWS = [
    [
        "1",
        "1",
        "4",
        "99991-FE1506-00001",
        "情報",
        "一郎",
        "ジョウホウ",
        "イチロウ",
        "1995/10/6",
        "2015/7/1",
        "60",
        "",
        "",
    ],
    [
        "2",
        "1",
        "4",
        "99991-FE1506-00002",
        "情報",
        "二郎",
        "ジョウホウ",
        "ジロウ",
        "1994/5/22",
        "2015/7/1",
        "54",
        "",
        "",
    ],
    [
        "3",
        "1",
        "4",
        "99991-FE1506-00003",
        "情報",
        "三郎",
        "ジョウホウ",
        "サブロウ",
        "1994/7/12",
        "2015/7/1",
        "62",
        "",
        "",
    ],
    [
        "4",
        "1",
        "4",
        "99991-FE1506-00004",
        "情報",
        "四郎",
        "ジョウホウ",
        "シロウ",
        "1993/3/20",
        "2015/7/1",
        "67",
        "",
        "",
    ],
    [
        "5",
        "1",
        "4",
        "99991-FE1506-00005",
        "情報",
        "五郎",
        "ジョウホウ",
        "ゴロウ",
        "1994/4/9",
        "2015/7/1",
        "51",
        "",
        "",
    ],
]

SIMPLE_HEADER = [
    "修了認定者管理番号",
    "姓(漢字)",
    "名(漢字)",
    "姓(カナ)",
    "名(カナ)",
    "生年月日",
    "点数",
]


def xlsx_bytes(rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, encoding="utf-8", delimiter=","):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def person(
    n,
    *,
    family="情報",
    given="一郎",
    family_kana="ジョウホウ",
    given_kana="イチロウ",
    birth="1995/10/6",
    score=60,
):
    return [f"{n:05d}", family, given, family_kana, given_kana, birth, score]


def validate(rows, **kwargs):
    # The manual's examples (2015) score up to 67, so the default 0–100 range.
    options = {
        "provider_number": PROVIDER,
        "exam_date": EXAM_DATE,
        "pass_score": ipa_pass_score(),
        "private": False,
    }
    return validate_completer_rows(rows, **{**options, **kwargs})


def load(name, data, **kwargs):
    return validate(read_completer_file(name, data), **kwargs)


def only_error(errors) -> RowError:
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


# --- header variants, xlsx and CSV ------------------------------------------------


HEADER_VARIANTS = [
    pytest.param(MANUAL_HEADER, MANUAL_ROWS, id="manual-table-5.8-3"),
    pytest.param(
        ["No.", "氏名", "フリガナ", "生年月日", "得点", "住所"],
        [
            [n, f"情報\u3000{g}", f"ジョウホウ {k}", b, s, "東京都"]
            for n, g, k, b, s in [
                (1, "一郎", "イチロウ", "1995/10/06", 60),
                (2, "二郎", "ジロウ", "1994-05-22", 54),
                (3, "三郎", "サブロウ", "19940712", 62),
                (4, "四郎", "シロウ", "1993/3/20", 67),
                (5, "五郎", "ゴロウ", "1994年4月9日", 51),
            ]
        ],
        id="school-list-full-name",
    ),
    pytest.param(
        ["番号", "姓（漢字）", "名 (漢字)", "セイ", "メイ", "生年月日", "修了試験の点数"],
        [
            [str(n), "情報", g, "ジョウホウ", k, b, s]
            for n, g, k, b, s in [
                (1, "一郎", "イチロウ", "1995/10/6", 60),
                (2, "二郎", "ジロウ", "1994/5/22", 54),
                (3, "三郎", "サブロウ", "1994/7/12", 62),
                (4, "四郎", "シロウ", "1993/3/20", 67),
                (5, "五郎", "ゴロウ", "1994/4/9", 51),
            ]
        ],
        id="full-width-brackets-and-seimei",
    ),
    pytest.param(
        ["連番", "姓", "名", "姓カナ", "名カナ", "生年月日", "点数"],
        [
            [f"99991 FE1506 {n:05d}", "情報", g, "ジョウホウ", k, b, s]
            for n, g, k, b, s in [
                (1, "一郎", "イチロウ", "1995/10/6", 60),
                (2, "二郎", "ジロウ", "1994/5/22", 54),
                (3, "三郎", "サブロウ", "1994/7/12", 62),
                (4, "四郎", "シロウ", "1993/3/20", 67),
                (5, "五郎", "ゴロウ", "1994/4/9", 51),
            ]
        ],
        id="figure-5.8-4-spaced-numbers",
    ),
]


def assert_manual_people(cleaned):
    assert [(c["serial"], c["family_name"], c["given_name"], c["given_kana"]) for c in cleaned] == [
        (1, "情報", "一郎", "イチロウ"),
        (2, "情報", "二郎", "ジロウ"),
        (3, "情報", "三郎", "サブロウ"),
        (4, "情報", "四郎", "シロウ"),
        (5, "情報", "五郎", "ゴロウ"),
    ]
    assert cleaned[0]["birth_date"] == datetime.date(1995, 10, 6)
    assert cleaned[0]["family_kana"] == "ジョウホウ"
    assert [c["score"] for c in cleaned] == [60, 54, 62, 67, 51]


@pytest.mark.parametrize(("header", "rows"), HEADER_VARIANTS)
def test_r3_header_variants_xlsx(header, rows):
    cleaned, errors = load("修了認定者.xlsx", xlsx_bytes([header, *rows]))
    assert errors == []
    assert_manual_people(cleaned)


@pytest.mark.parametrize(("header", "rows"), HEADER_VARIANTS)
@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("cp932", ","), ("utf-8", ","), ("utf-8-sig", ","), ("cp932", "\t"), ("utf-16", "\t")],
)
def test_r3_header_variants_csv(header, rows, encoding, delimiter):
    data = csv_bytes([header, *rows], encoding, delimiter)
    cleaned, errors = load("修了認定者.CSV", data)
    assert errors == []
    assert_manual_people(cleaned)


def test_r3_header_below_a_title_row_and_row_numbers_kept():
    rows = [
        ["修了認定者一覧（2015年6月）"],
        [],
        SIMPLE_HEADER,
        person(1),
        [],
        person(2, given="髙志"),
    ]
    raw = read_completer_file("a.xlsx", xlsx_bytes(rows))
    assert [number for number, _ in raw] == [4, 6]  # Excel's row numbers; blank row 5 skipped
    _, errors = validate(raw)
    assert only_error(errors).row == 6


def test_r3_template_rows_with_only_a_number_are_skipped():
    rows = [SIMPLE_HEADER, person(1), ["00002"], ["00003", "", "", "", "", "", ""]]
    raw = read_completer_file("a.xlsx", xlsx_bytes(rows))
    assert [number for number, _ in raw] == [2]


def test_r3_xlsx_date_and_number_cells():
    rows = [
        SIMPLE_HEADER,
        [1, "情報", "一郎", "ジョウホウ", "イチロウ", datetime.datetime(1995, 10, 6), 60.0],
        [2, "情報", "二郎", "ジョウホウ", "ジロウ", 19940522, 54],
    ]
    cleaned, errors = load("a.xlsx", xlsx_bytes(rows))
    assert errors == []
    assert [(c["serial"], c["birth_date"], c["score"]) for c in cleaned] == [
        (1, datetime.date(1995, 10, 6), 60),
        (2, datetime.date(1994, 5, 22), 54),
    ]


def test_r3_cleaned_rows_pass_the_model_field_validation():
    cleaned, errors = load("a.csv", csv_bytes([MANUAL_HEADER, *MANUAL_ROWS], "cp932"))
    assert errors == []
    for row in cleaned:
        Completer(**row).full_clean(
            exclude=["report"], validate_unique=False, validate_constraints=False
        )


# --- missing and unknown columns ------------------------------------------------------


def test_r3_missing_columns_named_in_japanese():
    header = ["番号", "姓(漢字)", "名(漢字)", "姓(カナ)", "名(カナ)", "点数"]
    with pytest.raises(ValidationError) as excinfo:
        read_completer_file(
            "a.csv", csv_bytes([header, ["1", "情報", "一郎", "ジョウホウ", "イチロウ", "60"]])
        )
    message = excinfo.value.messages[0]
    assert "必要な列がありません" in message
    assert "「生年月日」" in message
    assert "点数" not in message


def test_r3_no_header_row_found():
    with pytest.raises(ValidationError) as excinfo:
        read_completer_file("a.csv", csv_bytes([["a", "b"], ["1", "2"]]))
    assert "見出し行が見つかりません" in excinfo.value.messages[0]
    assert "「生年月日」" in excinfo.value.messages[0]


def test_r3_two_columns_for_one_field_refused():
    header = ["番号", "管理番号", "氏名", "フリガナ", "生年月日", "点数"]
    with pytest.raises(ValidationError) as excinfo:
        read_completer_file("a.csv", csv_bytes([header]))
    assert "「修了認定者管理番号」の列" in excinfo.value.messages[0]


def test_r13_unknown_personal_columns_are_not_carried_over():
    header = [*SIMPLE_HEADER, "住所", "メールアドレス", "電話番号"]
    row = [*person(1), "東京都文京区", "ichiro@example.jp", "03-1234-5678"]
    raw = read_completer_file("a.xlsx", xlsx_bytes([header, row]))
    assert set(raw[0][1]) == {
        "serial",
        "family_name",
        "given_name",
        "family_kana",
        "given_kana",
        "birth_date",
        "score",
    }
    cleaned, _ = validate(raw)
    assert "ichiro@example.jp" not in repr(cleaned)
    stored = {f.name for f in Completer._meta.fields} - {"id", "report", "management_number"}
    assert set(cleaned[0]) == stored


# --- R3: names and kana ---------------------------------------------------------------


def test_r3_halfwidth_kana_normalised():
    rows = [
        SIMPLE_HEADER,
        person(1, family_kana="ｼﾞｮｳﾎｳ", given_kana=" ｲﾁﾛｰ "),
        ["2", "スミス", "ジョン", "スミス", "ｼﾞｮﾝ ﾎﾟｰﾙ", "1990/1/1", "50"],
    ]
    cleaned, errors = load("a.csv", csv_bytes(rows, "cp932"))
    assert errors == []
    assert (cleaned[0]["family_kana"], cleaned[0]["given_kana"]) == ("ジョウホウ", "イチロー")
    assert cleaned[1]["given_kana"] == "ジョン\u3000ポール"


def test_r3_halfwidth_katakana_in_a_name_is_widened():
    cleaned, errors = load("a.csv", csv_bytes([SIMPLE_HEADER, person(1, given="ﾐﾕｷ")]))
    assert errors == []
    assert cleaned[0]["given_name"] == "ミユキ"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("a.xlsx", xlsx_bytes([SIMPLE_HEADER, person(1), person(2, family="髙橋")])),
        ("a.csv", csv_bytes([SIMPLE_HEADER, person(1), person(2, family="髙橋")], "cp932")),
    ],
)
def test_r3_non_jis_kanji_rejected_with_row_and_column(name, data):
    cleaned, errors = load(name, data)
    error = only_error(errors)
    assert (error.row, error.column) == (3, "姓（漢字）")
    assert str(error).startswith("3行目「姓（漢字）」：使用できない文字「髙」が含まれています。")
    assert "「髙」は「高」で入力してください。" in str(error)  # the JIS character to use
    assert [c["serial"] for c in cleaned] == [1]  # the good rows; the caller stores nothing


@pytest.mark.parametrize(
    ("given", "bad"), [("Taro", "「T」"), ("一郎①", "「①」"), ("太 郎", "半角スペース")]
)
def test_r3_latin_letters_and_other_characters_rejected(given, bad):
    _, errors = load("a.csv", csv_bytes([SIMPLE_HEADER, person(1, given=given)]))
    error = only_error(errors)
    assert error.column == "名（漢字）"
    assert bad in error.message


def test_r3_full_name_needs_one_space():
    header = ["番号", "氏名", "フリガナ", "生年月日", "点数"]
    rows = [
        header,
        ["1", "情報一郎", "ジョウホウ　イチロウ", "1995/10/6", "60"],
        ["2", "情報　髙志", "ジョウホウ　タカシ", "1995/10/6", "60"],
    ]
    _, errors = load("a.csv", csv_bytes(rows))
    assert [(e.row, e.column) for e in errors] == [(2, "氏名"), (3, "氏名")]
    assert "姓と名の間にスペースを1つ" in errors[0].message
    assert "「髙」" in errors[1].message


@pytest.mark.parametrize(("kana", "bad"), [("じょうほう", "「じ」"), ("ジョウホウ1", "「1」")])
def test_r3_kana_must_be_katakana(kana, bad):
    _, errors = load("a.csv", csv_bytes([SIMPLE_HEADER, person(1, family_kana=kana)]))
    error = only_error(errors)
    assert error.column == "姓（カナ）"
    assert bad in error.message


def test_r3_required_values_and_lengths():
    rows = [SIMPLE_HEADER, person(1, given=""), person(2, family="情" * 21)]
    _, errors = load("a.csv", csv_bytes(rows))
    assert [str(e) for e in errors] == [
        "2行目「名（漢字）」：入力されていません。",
        "3行目「姓（漢字）」：20文字以内で入力してください（21文字）。",
    ]


# --- birth date -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "1998/10/6",
        "1998/10/06",
        "1998-10-06",
        "19981006",
        "1998.10.6",
        "1998年10月6日",
        "１９９８／１０／０６",
        "1998/10/06 0:00:00",
    ],
)
def test_r3_birth_date_formats(value):
    cleaned, errors = load("a.csv", csv_bytes([SIMPLE_HEADER, person(1, birth=value)]))
    assert errors == []
    assert cleaned[0]["birth_date"] == datetime.date(1998, 10, 6)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1999/13/01", "2行目「生年月日」：日付として読み取れません（「1999/13/01」）。"),
        (
            "H10.10.6",
            "2行目「生年月日」：日付として読み取れません（「H10.10.6」）。"
            "和暦ではなく西暦（例：1998/10/06）で入力してください。",
        ),
        (
            "1899/12/31",
            "2行目「生年月日」：1900年1月1日より前の日付です（「1899/12/31」）。"
            "生年月日を確認してください。",
        ),
        (
            "2006/01/01",
            "2行目「生年月日」：修了試験の実施日（2015/06/14）の時点で10歳に満たない"
            "日付です（「2006/01/01」）。生年月日を確認してください。",
        ),
        ("", "2行目「生年月日」：入力されていません。"),
    ],
)
def test_r3_birth_date_errors(value, expected):
    _, errors = load("a.csv", csv_bytes([SIMPLE_HEADER, person(1, birth=value)]))
    assert str(only_error(errors)) == expected


def test_r3_ten_years_before_the_exam_is_accepted():
    cleaned, errors = load("a.csv", csv_bytes([SIMPLE_HEADER, person(1, birth="2005/06/14")]))
    assert errors == []


# --- E8: score ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "message"),
    [
        ("35", "合格基準（36点以上）に達していません（「35」）。"),
        ("61", "0～60の整数で入力してください（「61」）。"),
        ("50.5", "0～60の整数で入力してください（「50.5」）。"),
        ("六十", "0～60の整数で入力してください（「六十」）。"),
    ],
)
def test_e8_score_must_be_a_passing_integer(score, message):
    data = csv_bytes([SIMPLE_HEADER, person(1, score=score)])
    _, errors = load("a.csv", data, max_score=IPA_FULL_MARKS)
    error = only_error(errors)
    assert error.column == "点数"
    assert error.message.startswith(message)


def test_e8_vendor_exam_without_pass_score():
    rows = [SIMPLE_HEADER, person(1, score="95"), person(2, given="二郎", score="１０点")]
    cleaned, errors = load("a.csv", csv_bytes(rows), pass_score=None)  # 0–100 by default
    assert errors == []
    assert [c["score"] for c in cleaned] == [95, 10]


# --- R3/R4: serials -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["99991FE150600007", "99991-FE1506-00007", "99991 FE1506 00007", "00007", "7", "７"]
)
def test_r4_serial_formats(value):
    cleaned, errors = load("a.csv", csv_bytes([SIMPLE_HEADER, [value, *person(1)[1:]]]))
    assert errors == []
    assert cleaned[0]["serial"] == 7


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "99992-FE1506-00001",
            "の講座開設者番号が、この報告の講座開設者番号（99991）と一致しません。",
        ),
        ("99991-FE1507-00001", "の年月（1507）が、修了試験の実施年月（1506）と一致しません。"),
        ("00000", "番号は00001～99999にしてください（「00000」）。"),
        ("123456", "管理番号として読み取れません（「123456」）。"),
    ],
)
def test_r4_serial_errors(value, message):
    _, errors = load("a.csv", csv_bytes([SIMPLE_HEADER, [value, *person(1)[1:]]]))
    error = only_error(errors)
    assert error.column == "修了認定者管理番号"
    assert message in error.message


def test_r3_serial_unique_in_file_and_report():
    rows = [
        SIMPLE_HEADER,
        person(1),
        person(2, given="二郎"),
        person(1, given="三郎"),
        person(5, given="四郎"),
    ]
    _, errors = load("a.csv", csv_bytes(rows), existing_serials={5})
    assert [str(e) for e in errors] == [
        "4行目「修了認定者管理番号」：番号00001が2行目と重複しています。",
        "5行目「修了認定者管理番号」：番号00005は同じ年月の修了試験で既に使われています"
        "（報告が違っても同じ番号は使えません）。空欄にすると空いている番号を付けます。",
    ]


def test_r3_rows_without_serial_get_next_free_after_maximum():
    rows = [
        SIMPLE_HEADER,
        person(3),
        ["", *person(0, given="二郎")[1:]],
        person(7, given="三郎"),
        ["", *person(0, given="四郎")[1:]],
    ]
    cleaned, errors = load("a.csv", csv_bytes(rows), existing_serials={10})
    assert errors == []
    assert [c["serial"] for c in cleaned] == [3, 11, 7, 12]


def test_r3_file_without_serial_column_is_numbered_in_file_order():
    header = ["氏名", "フリガナ", "生年月日", "点数"]
    rows = [
        header,
        ["情報　一郎", "ジョウホウ　イチロウ", "1995/10/6", "60"],
        ["情報　二郎", "ジョウホウ　ジロウ", "1994/5/22", "54"],
    ]
    cleaned, errors = load("a.csv", csv_bytes(rows))
    assert errors == []
    assert [c["serial"] for c in cleaned] == [1, 2]


# --- R7: the same person once ---------------------------------------------------------


def test_r7_duplicate_person_inside_the_file():
    rows = [SIMPLE_HEADER, person(1), person(2, given="二郎"), person(3)]
    cleaned, errors = load("a.csv", csv_bytes(rows))
    error = only_error(errors)
    assert (error.row, error.column) == (4, "氏名・生年月日")
    assert "2行目と同じ人です" in error.message
    assert "1回だけ報告します" in error.message
    assert [c["serial"] for c in cleaned] == [1, 2]


def test_r7_same_name_other_birth_date_is_another_person():
    rows = [SIMPLE_HEADER, person(1), person(2, birth="1996/1/1")]
    _, errors = load("a.csv", csv_bytes(rows))
    assert errors == []


def test_r7_duplicate_against_existing_people():
    existing = {("情報", "一郎", "ジョウホウ", "イチロウ", datetime.date(1995, 10, 6))}
    rows = [SIMPLE_HEADER, person(1, family_kana="ｼﾞｮｳﾎｳ"), person(2, given="二郎")]
    cleaned, errors = load("a.csv", csv_bytes(rows), existing_people=existing)
    error = only_error(errors)
    assert error.row == 2
    assert "既に報告済み" in error.message
    assert [c["given_name"] for c in cleaned] == ["二郎"]
    assert person_key(cleaned[0]) == (
        "情報",
        "二郎",
        "ジョウホウ",
        "イチロウ",
        datetime.date(1995, 10, 6),
    )


# --- R8: private-qualification courses ------------------------------------------------


def test_r8_private_columns_required():
    with pytest.raises(ValidationError) as excinfo:
        read_completer_file("a.csv", csv_bytes([SIMPLE_HEADER, person(1)]), private=True)
    assert "「民間資格の合格日」、「民間資格の合格番号」" in excinfo.value.messages[0]


def test_r8_private_values_required_and_stored():
    header = [*SIMPLE_HEADER, "民間資格の合格日", "民間資格の合格番号"]
    rows = [
        header,
        [*person(1), "2015/3/1", "ABC-0001"],
        [*person(2, given="二郎"), "", ""],
        [*person(3, given="三郎"), "2015/2/30", "ＡＢＣ－０００３"],
    ]
    raw = read_completer_file("a.xlsx", xlsx_bytes(rows), private=True)
    cleaned, errors = validate(raw, private=True)
    assert [str(e) for e in errors] == [
        "3行目「民間資格の合格日」：民間資格活用ありの講座では入力が必要です。",
        "3行目「民間資格の合格番号」：民間資格活用ありの講座では入力が必要です。",
        "4行目「民間資格の合格日」：日付として読み取れません（「2015/2/30」）。",
    ]
    assert (cleaned[0]["private_pass_date"], cleaned[0]["private_pass_number"]) == (
        datetime.date(2015, 3, 1),
        "ABC-0001",
    )


def test_r8_private_columns_ignored_for_other_courses():
    cleaned, errors = load(
        "a.csv", csv_bytes([MANUAL_HEADER, [*MANUAL_ROWS[0][:11], "2015/3/1", "X1"]])
    )
    assert errors == []
    assert (cleaned[0]["private_pass_date"], cleaned[0]["private_pass_number"]) == (None, "")


# --- a big file with one bad row ------------------------------------------------------

FAMILIES = [
    ("情報", "ジョウホウ"),
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("渡邊", "ワタナベ"),
    ("佐々木", "ササキ"),
    ("齋藤", "サイトウ"),
]
GIVEN = [
    ("一郎", "イチロウ"),
    ("花子", "ハナコ"),
    ("さくら", "サクラ"),
    ("翔", "ショウ"),
    ("美咲", "ミサキ"),
]


def big_table(n, bad_row):
    rows = [SIMPLE_HEADER]
    for i in range(1, n + 1):
        family, family_kana = FAMILIES[i % len(FAMILIES)]
        given, given_kana = GIVEN[i // len(FAMILIES) % len(GIVEN)]
        birth = datetime.date(1970, 1, 1) + datetime.timedelta(days=i)
        rows.append(
            [
                f"99991-FE1506-{i:05d}",
                family,
                given,
                family_kana,
                given_kana,
                f"{birth:%Y/%m/%d}",
                36 + i % 25,
            ]
        )
    rows[bad_row - 1][5] = "1999/13/01"  # rows[0] is file row 1 (the header)
    return rows


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_r3_10000_rows_with_one_bad_row(fmt):
    rows = big_table(10_000, bad_row=7431)
    data = xlsx_bytes(rows) if fmt == "xlsx" else csv_bytes(rows, "cp932")
    cleaned, errors = load(f"big.{fmt}", data)
    error = only_error(errors)
    assert str(error) == "7431行目「生年月日」：日付として読み取れません（「1999/13/01」）。"
    assert (error.row, error.column) == (7431, "生年月日")
    assert len(cleaned) == 9_999


# --- the file as a whole: type, size, zip bombs -----------------------------------------


def patched_sizes(data: bytes, size: int) -> bytes:
    """The xlsx with every member's declared uncompressed size set to ``size``."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        i = out.find(signature)
        while i != -1:
            struct.pack_into("<I", out, i + offset, size)
            i = out.find(signature, i + 4)
    return bytes(out)


def test_r13_zip_bomb_with_huge_declared_size_refused():
    data = patched_sizes(xlsx_bytes([SIMPLE_HEADER, person(1)]), 0xFFFF_FFF0)
    with pytest.raises(ValidationError) as excinfo:
        read_completer_file("bomb.xlsx", data)
    assert "展開後のサイズが大きすぎる" in excinfo.value.messages[0]


def test_r13_zip_bomb_with_high_compression_ratio_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (20 * 1024 * 1024))
    with pytest.raises(ValidationError) as excinfo:
        read_completer_file("bomb.xlsx", buffer.getvalue())
    assert "展開後のサイズが大きすぎる" in excinfo.value.messages[0]


def test_r13_xlsx_with_understated_sizes_is_not_read():
    # zipfile never inflates more than the declared size: the damaged file fails cleanly.
    data = patched_sizes(xlsx_bytes([SIMPLE_HEADER, person(1)]), 10)
    with pytest.raises(ValidationError, match="読み込めません"):
        read_completer_file("a.xlsx", data)


@pytest.mark.parametrize("name", ["big.csv", "big.xlsx"])
def test_r13_oversize_file_refused(name):
    with pytest.raises(ValidationError) as excinfo:
        read_completer_file(name, b"PK\x03\x04" + b"0" * MAX_UPLOAD_BYTES)
    assert "10MB以下にしてください" in excinfo.value.messages[0]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("list.xls", "（.xlsは受け付けられません）"),
        ("list.pdf", "（.pdfは受け付けられません）"),
        ("list", "（拡張子なしは受け付けられません）"),
    ],
)
def test_r13_other_file_types_refused(name, message):
    with pytest.raises(ValidationError) as excinfo:
        read_completer_file(name, b"\xd0\xcf\x11\xe0 whatever")
    assert message in excinfo.value.messages[0]


def test_r13_content_must_match_the_extension():
    with pytest.raises(ValidationError, match="中身はExcelのファイルです"):
        read_completer_file("a.csv", xlsx_bytes([SIMPLE_HEADER]))
    with pytest.raises(ValidationError, match=r"Excel（\.xlsx）形式のファイル"):
        read_completer_file("a.xlsx", csv_bytes([SIMPLE_HEADER]))


def test_r13_undecodable_csv_refused():
    with pytest.raises(ValidationError, match="文字コードを判別できません"):
        read_completer_file("a.csv", b"\x00\x01\x02\xff\xfe\x00")


def test_row_error_str():
    error = RowError(7431, "生年月日", "日付として読み取れません（「1999/13/01」）。")
    assert str(error) == "7431行目「生年月日」：日付として読み取れません（「1999/13/01」）。"
