"""Rules P2, P3, R3 and input formats (portal.validators). No Django settings needed."""

import pytest
from django.core.exceptions import ValidationError

from portal.validators import (
    FullNameWithSpaceValidator,
    JisTextValidator,
    KatakanaValidator,
    PersonNameValidator,
    PhoneNumberValidator,
    PostalCodeValidator,
    invalid_characters,
    is_jis_kanji,
    is_jis_x0208,
    normalize_phone,
    normalize_postal_code,
    validate_full_name_with_space,
    validate_jis_text,
    validate_katakana,
    validate_person_name,
    validate_phone_number,
    validate_postal_code,
)

# Outside JIS X 0208: IBM extension (髙 U+9AD9, 﨑 U+FA11), not in any JIS
# (𠮷 U+20BB7), JIS X 0212 only (鷗 U+9DD7), NEC special (① U+2460).
NON_JIS = ["髙", "﨑", "𠮷", "鷗", "①"]


def messages(validator, value):
    with pytest.raises(ValidationError) as excinfo:
        validator(value)
    return " ".join(excinfo.value.messages)


# --- R3: JIS X 0208 level 1/2 ---------------------------------------------------


@pytest.mark.parametrize("ch", NON_JIS)
def test_r3_non_jis_characters_are_not_jis_kanji(ch):
    assert not is_jis_kanji(ch)
    assert not is_jis_x0208(ch)


@pytest.mark.parametrize("text", ["高", "崎", "吉", "鴎", "渡邊", "齋藤", "情報"])
def test_r3_jis_level_1_and_2_kanji_accepted(text):
    assert all(is_jis_kanji(ch) for ch in text)


def test_r3_level_boundaries():
    # 47-51 (0xCFD3) is the last level 1 kanji, 48-01 (0xD0A1) the first level 2,
    # 84-06 (0xF4A6) the last level 2 kanji; 16-01 (0xB0A1) is the first level 1.
    for code in ("b0a1", "cfd3", "d0a1", "f4a6"):
        assert is_jis_kanji(bytes.fromhex(code).decode("euc_jp")), code
    # Row 1-8 characters are JIS X 0208 but not kanji.
    for ch in "○々ーあアＡ１":
        assert is_jis_x0208(ch)
        assert not is_jis_kanji(ch)
    # Half-width katakana (0x8E prefix) and ¥ (euc_jp maps it to 0x5C) are not JIS X 0208.
    assert not is_jis_x0208("ｱ")
    assert not is_jis_x0208("¥")


def test_r3_jis_text_accepts_organisation_names_and_addresses():
    v = JisTextValidator("申請者名(漢字)")
    v("ＩＰＡ大学")
    v("IPA大学 情報処理学部")
    v("○○市○○区○○○○1-2-3")
    v("東京都文京区本駒込二丁目28番8号　文京グリーンコートセンターオフィス16階")
    v("（株）情報処理〜研究所")
    # Windows IME spellings of JIS symbols: ～ (U+FF5E) and － (U+FF0D).
    v("９：００～１７：００、１－２－３")
    v("")  # empty values are the field's business (required=...)


@pytest.mark.parametrize("ch", [*NON_JIS, "ｱ", "㈱", "Ⅰ", "\t"])
def test_r3_jis_text_rejects_and_quotes_non_jis(ch):
    msg = messages(JisTextValidator("住所"), f"東京都{ch}区1-2-3")
    assert "「住所」" in msg
    assert f"「{ch}」" in msg or ch == "\t"


def test_r3_jis_text_message_names_invisible_characters():
    assert "「タブ」" in messages(JisTextValidator("住所"), "東京都\t千代田区")
    assert "「改行」" in messages(JisTextValidator("部署名"), "情報\n処理")
    JisTextValidator("備考", allow_newlines=True)("1行目\r\n2行目")


def test_r3_jis_text_halfwidth_katakana_message():
    msg = messages(JisTextValidator("部署名"), "ｼﾞｮｳﾎｳ部")
    assert "「ｼ」" in msg
    assert "半角カタカナは使用できません" in msg


def test_r3_person_name_accepts_jis_names():
    v = PersonNameValidator("代表者名")
    for name in [
        "高",
        "崎",
        "吉田",
        "鴎外",
        "渡邊",
        "齋藤",
        "佐々木",
        "〆木",
        "一ヶ谷",
        "みすゞ",
        "あい",
        "アイ",
        "ヴィ",
    ]:
        v(name)


@pytest.mark.parametrize(
    ("ch", "jis"), [("髙", "高"), ("﨑", "崎"), ("𠮷", "吉"), ("鷗", "鴎"), ("德", "徳")]
)
def test_r3_person_name_rejects_non_jis_kanji_and_suggests_the_jis_one(ch, jis):
    msg = messages(PersonNameValidator("代表者名"), f"{ch}田")
    assert msg == (
        f"「代表者名」に使用できない文字「{ch}」が含まれています。「{ch}」は「{jis}」で入力してください。"
    )


def test_r3_person_name_rejects_other_characters_with_the_field_hint():
    msg = messages(PersonNameValidator("代表者名"), "①田")
    assert msg == (
        "「代表者名」に使用できない文字「①」が含まれています。"
        "JIS第1・第2水準の漢字、ひらがな、カタカナで入力してください。"
    )


@pytest.mark.parametrize(
    "value", ["Taro", "Ｔａｒｏ", "太郎2", "太郎２", "ﾀﾛｳ", "太郎・", "太郎　"]
)
def test_r3_person_name_rejects_latin_digits_symbols_halfwidth_kana(value):
    with pytest.raises(ValidationError):
        validate_person_name(value, label="氏名")


def test_r3_person_name_lists_each_bad_character_once():
    msg = messages(PersonNameValidator("氏名"), "髙髙﨑")
    assert msg.startswith("「氏名」に使用できない文字「髙」「﨑」が含まれています。")
    assert msg.count("髙") == 2  # listed once, and once with the character to use instead


def test_r3_invalid_characters_helper():
    assert invalid_characters("髙橋﨑髙", is_jis_kanji) == ["髙", "﨑"]
    assert invalid_characters("情報", is_jis_kanji) == []
    assert invalid_characters("", is_jis_kanji) == []


# --- P2: full name with one full-width space -------------------------------------


@pytest.mark.parametrize("value", ["情報　太郎", "渡邊　みすゞ", "佐々木　アイ"])
def test_p2_full_name_accepted(value):
    FullNameWithSpaceValidator("代表者名")(value)


SPACING_MESSAGE = (
    "「代表者名」は姓と名の間に全角スペースを1つ入れて入力してください（例：情報　太郎）。"
)


@pytest.mark.parametrize(
    "value",
    [
        "情報太郎",  # no space
        "情報 太郎",  # half-width space
        "　情報太郎",  # leading
        "情報太郎　",  # trailing
        "情報　　太郎",  # two full-width spaces
        "情報　太郎　次郎",  # three parts
        "情報　 太郎",  # mixed spaces
        "　",
    ],
)
def test_p2_full_name_spacing_rejected(value):
    assert SPACING_MESSAGE in messages(FullNameWithSpaceValidator("代表者名"), value)


def test_p2_full_name_bad_characters_quoted():
    msg = messages(FullNameWithSpaceValidator("代表者名"), "髙橋　太郎")
    assert "「代表者名」に使用できない文字「髙」が含まれています。" in msg
    assert SPACING_MESSAGE not in msg
    # Both problems at once are both reported.
    msg = messages(FullNameWithSpaceValidator("連絡担当者名"), "Taro Yamada")
    assert "「T」" in msg
    assert "「連絡担当者名」は姓と名の間に全角スペース" in msg


def test_p2_full_name_function_form():
    validate_full_name_with_space("情報　太郎", label="代表者名")
    with pytest.raises(ValidationError):
        validate_full_name_with_space("情報太郎", label="代表者名")


# --- P3: katakana -------------------------------------------------------------------


@pytest.mark.parametrize("value", ["ジョウホウ　タロウ", "ヴィクトリア", "アイピーエー", "ヶヵ"])
def test_p3_katakana_accepted(value):
    KatakanaValidator("代表者名(カナ)")(value)


def test_p3_katakana_rejects_halfwidth_katakana():
    msg = messages(KatakanaValidator("代表者名(カナ)"), "ｼﾞｮｳﾎｳ")
    assert "「代表者名(カナ)」" in msg
    assert "「ｼ」" in msg
    assert "半角カタカナは使用できません" in msg


@pytest.mark.parametrize("ch", ["じ", "A", "Ａ", "1", "１", "情", "・"])
def test_p3_katakana_rejects_and_quotes(ch):
    msg = messages(KatakanaValidator("フリガナ"), f"ジョウホウ{ch}")
    assert "「フリガナ」" in msg
    assert f"「{ch}」" in msg


def test_p3_katakana_halfwidth_space_rejected():
    msg = messages(KatakanaValidator("フリガナ"), "ジョウホウ タロウ")
    assert "「半角スペース」" in msg


@pytest.mark.parametrize("value", ["　ジョウホウ", "ジョウホウ　", "ジョウホウ　　タロウ"])
def test_p3_katakana_space_placement_rejected(value):
    assert "「フリガナ」の先頭・末尾" in messages(KatakanaValidator("フリガナ"), value)


def test_p3_katakana_function_form():
    validate_katakana("タロウ")
    with pytest.raises(ValidationError):
        validate_katakana("たろう")


# --- postal code ---------------------------------------------------------------------


def test_postal_valid():
    PostalCodeValidator("郵便番号")("123-4567")
    validate_postal_code("113-8663")


@pytest.mark.parametrize(
    "value",
    ["1234567", "１２３-４５６７", "123-456", "12-34567", "123ー4567", "〒123-4567", " 123-4567"],
)
def test_postal_invalid(value):
    msg = messages(PostalCodeValidator("郵便番号"), value)
    assert msg == "「郵便番号」は「123-4567」の形式（半角数字とハイフン）で入力してください。"


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("123-4567", "123-4567"),
        ("1234567", "123-4567"),
        ("１２３４５６７", "123-4567"),
        ("１２３－４５６７", "123-4567"),
        ("123‐4567", "123-4567"),
        ("123ー4567", "123-4567"),
        ("123−4567", "123-4567"),
        ("〒123-4567", "123-4567"),
        ("　123-4567 ", "123-4567"),
        ("", ""),
    ],
)
def test_postal_normalize(raw, normalized):
    assert normalize_postal_code(raw) == normalized
    if normalized:
        validate_postal_code(normalize_postal_code(raw))


def test_postal_normalize_leaves_garbage_for_the_validator():
    assert normalize_postal_code("12345") == "12345"
    with pytest.raises(ValidationError):
        validate_postal_code(normalize_postal_code("12345"))


# --- phone number --------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "03-1234-5678",
        "090-1234-5678",
        "0120-123-456",
        "999-999-9999",
        "01267-2-3456",
        "0800-123-4567",
    ],
)
def test_phone_valid(value):
    PhoneNumberValidator("電話番号")(value)


@pytest.mark.parametrize(
    "value",
    [
        "0312345678",  # no hyphens
        "03-1234-567",  # 9 digits
        "090-1234-56789",  # 12 digits
        "03-1234-5678-9",  # four groups
        "03--12345678",
        "03 1234 5678",
        "０３-１２３４-５６７８",  # full-width: normalize first
        "+81-3-1234-5678",
        "03-1234-567a",
    ],
)
def test_phone_invalid(value):
    msg = messages(PhoneNumberValidator("連絡先電話番号"), value)
    assert "「連絡先電話番号」" in msg
    assert "03-1234-5678" in msg


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("０３－１２３４－５６７８", "03-1234-5678"),
        ("090ー1234ー5678", "090-1234-5678"),
        ("03‐1234−5678", "03-1234-5678"),
        (" 0120-123-456　", "0120-123-456"),
        ("", ""),
    ],
)
def test_phone_normalize(raw, normalized):
    assert normalize_phone(raw) == normalized
    if normalized:
        validate_phone_number(normalize_phone(raw))


# --- migration stability ----------------------------------------------------------------

ALL_CLASSES = [
    PersonNameValidator,
    FullNameWithSpaceValidator,
    KatakanaValidator,
    JisTextValidator,
    PostalCodeValidator,
    PhoneNumberValidator,
]


@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_r3_validators_equal_for_same_label(cls):
    assert cls("代表者名") == cls("代表者名")
    assert cls("代表者名") != cls("連絡担当者名")
    assert hash(cls("代表者名")) == hash(cls("代表者名"))
    path, args, kwargs = cls("代表者名").deconstruct()
    assert path == f"portal.validators.{cls.__name__}"
    assert args == ("代表者名",)
    assert kwargs == {}


def test_r3_different_validator_classes_not_equal():
    assert PersonNameValidator("氏名") != KatakanaValidator("氏名")
    assert JisTextValidator("備考") != JisTextValidator("備考", allow_newlines=True)
    assert JisTextValidator("備考", allow_newlines=True).deconstruct()[2] == {
        "allow_newlines": True
    }


def test_r3_function_forms_use_label():
    with pytest.raises(ValidationError) as excinfo:
        validate_jis_text("髙", label="所在地")
    assert "「所在地」" in excinfo.value.messages[0]


@pytest.mark.parametrize(
    "validator",
    [
        PersonNameValidator("姓（漢字）"),
        FullNameWithSpaceValidator("代表者名"),
        JisTextValidator("住所"),
    ],
)
@pytest.mark.parametrize(
    ("typed", "jis"),
    [("髙", "高"), ("﨑", "崎"), ("德", "徳"), ("𠮷", "吉"), ("鷗", "鴎"), ("\ufa10", "塚")],
)
def test_r3_every_refusal_of_a_non_jis_kanji_suggests_the_jis_character(validator, typed, jis):
    value = (
        f"{typed}本\u3000太郎"
        if isinstance(validator, FullNameWithSpaceValidator)
        else f"{typed}本"
    )
    assert f"「{typed}」は「{jis}」で入力してください。" in messages(validator, value)


def test_r3_a_kanji_without_a_jis_form_gets_the_kana_advice():
    msg = messages(PersonNameValidator("名（漢字）"), "龘")
    assert "ひらがな・カタカナで入力してください" in msg
