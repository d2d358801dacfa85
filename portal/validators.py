"""Field validators for application forms (rules P2, P3, R3 and input formats).

Pure Python: no database access and no Django settings are needed. Every
validator raises :class:`django.core.exceptions.ValidationError` with a
Japanese message that names the field (the *label*, which differs per form)
and, for disallowed characters, quotes the offending characters.

The classes are ``@deconstructible`` and compare equal by their arguments, so
they can be used in model ``validators=[...]`` without spurious migrations::

    name = models.CharField("代表者名", validators=[FullNameWithSpaceValidator("代表者名")])

Like Django's own validators they accept empty values (``""``/``None``)
silently: whether a field is required is the field's business.

JIS X 0208 detection
--------------------
Python's ``euc_jp`` codec maps exactly the JIS X 0208:1990 repertoire to two
bytes ``0xA1-0xFE``: rows 1-8 (symbols, full-width alphanumerics, kana, Greek,
Cyrillic, box drawing), rows 16-47 (level 1 kanji, 2,965 characters, row 47
ends at 47-51) and rows 48-84 (level 2 kanji, 3,390 characters, row 84 ends at
84-06). It has nothing in rows 9-15 or 85-94, so NEC specials such as ① and
IBM extensions such as 髙 and 﨑 do not encode at all. JIS X 0212 supplementary
characters (e.g. 鷗) encode as three bytes with an ``0x8F`` prefix and
half-width katakana as two bytes with an ``0x8E`` prefix; both are rejected by
the lead-byte check.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

__all__ = [
    "FullNameWithSpaceValidator",
    "JisTextValidator",
    "KatakanaValidator",
    "PersonNameValidator",
    "PhoneNumberValidator",
    "PostalCodeValidator",
    "invalid_characters",
    "is_halfwidth_katakana",
    "is_jis_kanji",
    "is_jis_text_char",
    "is_jis_x0208",
    "is_katakana_char",
    "is_person_name_char",
    "jis_substitute",
    "normalize_full_name",
    "normalize_phone",
    "normalize_postal_code",
    "validate_full_name_with_space",
    "validate_jis_text",
    "validate_katakana",
    "validate_person_name",
    "validate_phone_number",
    "validate_postal_code",
]

FULLWIDTH_SPACE = "\u3000"

# Windows (CP932) IMEs produce these code points for six JIS X 0208 row-1/2
# symbols, whereas Python's euc_jp uses the JIS-standard mapping (～ is U+301C
# WAVE DASH there, － is U+2212 MINUS SIGN, ...). They are the same JIS X 0208
# characters, so accept both spellings rather than reject what a Windows user
# typed for "1－2－3" or "9:00～17:00".
_CP932_JIS_X0208_VARIANTS = frozenset(
    "\uff5e"  # ～ FULLWIDTH TILDE        = JIS 1-33 (U+301C 〜)
    "\u2225"  # ∥ PARALLEL TO            = JIS 1-34 (U+2016 ‖)
    "\uff0d"  # － FULLWIDTH HYPHEN-MINUS = JIS 1-61 (U+2212 −)
    "\uffe0"  # ￠ FULLWIDTH CENT SIGN    = JIS 1-81 (U+00A2 ¢)
    "\uffe1"  # ￡ FULLWIDTH POUND SIGN   = JIS 1-82 (U+00A3 £)
    "\uffe2"  # ￢ FULLWIDTH NOT SIGN     = JIS 2-44 (U+00AC ¬)
)

# Name marks that are not kanji but belong in names: 々 (佐々木), 〆 (〆木),
# ヶ (一ヶ谷), ー (長音), and the kana iteration marks ゝゞヽヾ (みすゞ).
_NAME_MARKS = frozenset("々〆ヶーゝゞヽヾ")


# --- character classes ---------------------------------------------------------


def _euc_jp(ch: str) -> bytes | None:
    try:
        return ch.encode("euc_jp")
    except UnicodeEncodeError:
        return None


def is_jis_x0208(ch: str) -> bool:
    """Whether ``ch`` is a JIS X 0208 character (rows 1-84: symbols, kana, kanji...)."""
    if ch in _CP932_JIS_X0208_VARIANTS:
        return True
    b = _euc_jp(ch)
    # Lead byte 0xA1-0xF4 = rows 1-84; excludes 0x8E (half-width katakana),
    # 0x8F (JIS X 0212) and single bytes (ASCII, but also ¥ and ‾, which
    # euc_jp maps onto 0x5C and 0x7E).
    return b is not None and len(b) == 2 and 0xA1 <= b[0] <= 0xF4


def is_jis_kanji(ch: str) -> bool:
    """Whether ``ch`` is a JIS X 0208 level 1 or level 2 kanji (rows 16-84)."""
    b = _euc_jp(ch)
    # Rows 16-47 (0xB0-0xCF) are level 1, rows 48-84 (0xD0-0xF4) level 2.
    return b is not None and len(b) == 2 and 0xB0 <= b[0] <= 0xF4


def is_halfwidth_katakana(ch: str) -> bool:
    """Half-width katakana and punctuation, U+FF61-FF9F (｡｢｣､･ｦ-ﾟ)."""
    return "\uff61" <= ch <= "\uff9f"


def is_person_name_char(ch: str) -> bool:
    """Characters allowed in a person's name (without spaces)."""
    return (
        is_jis_kanji(ch)
        # Hiragana ぁ-ん. U+3094-3096 (ゔゕゖ) are outside JIS X 0208.
        or "\u3041" <= ch <= "\u3093"
        or "\u30a1" <= ch <= "\u30f6"  # full-width katakana ァ-ヶ, incl. ヴ
        or ch in _NAME_MARKS
    )


def is_katakana_char(ch: str) -> bool:
    """Full-width katakana ァ-ヶ (incl. ヴ, ヵ, ヶ) and the prolonged sound mark ー."""
    return "\u30a1" <= ch <= "\u30f6" or ch == "ー"


def is_jis_text_char(ch: str) -> bool:
    """Printable ASCII or any JIS X 0208 character (organisation names, addresses...)."""
    return " " <= ch <= "~" or is_jis_x0208(ch)


def invalid_characters(value: str, allowed: Callable[[str], bool]) -> list[str]:
    """The distinct characters of ``value`` for which ``allowed`` is false, in order."""
    return list(dict.fromkeys(ch for ch in value if not allowed(ch)))


# --- messages ------------------------------------------------------------------

_MAX_LISTED = 10

_CHAR_NAMES = {
    " ": "半角スペース",
    FULLWIDTH_SPACE: "全角スペース",
    "\t": "タブ",
    "\n": "改行",
    "\r": "改行",
}


def _describe(ch: str) -> str:
    """How to show ``ch`` inside 「」: invisible characters by name or code point."""
    if ch in _CHAR_NAMES:
        return _CHAR_NAMES[ch]
    if unicodedata.category(ch)[0] in "CZM":  # control, space, combining mark...
        return f"U+{ord(ch):04X}"
    return ch


def _quote(chars: Iterable[str]) -> str:
    names = list(dict.fromkeys(_describe(ch) for ch in chars))
    quoted = "".join(f"「{name}」" for name in names[:_MAX_LISTED])
    if len(names) > _MAX_LISTED:
        quoted += f"ほか{len(names) - _MAX_LISTED}文字"
    return quoted


# R3/UX: kanji outside JIS X 0208 that people type in names and addresses
# (IBM extensions, JIS X 0212/0213 variants) and the JIS character to write
# instead; a kanji with no JIS form is written in hiragana (草彅 → 草なぎ).
# Compatibility ideographs with a JIS twin (U+FA10 塚 → 塚) are found by NFC.
JIS_SUBSTITUTES = {
    "\u9ad9": "高",  # 髙 (はしごだか)
    "\ufa11": "崎",  # 﨑 (たつさき)
    "\U0002550e": "崎",  # 𥔎
    "\u5fb7": "徳",  # 德
    "\U00020bb7": "吉",  # 𠮷 (つちよし)
    "\u9dd7": "鴎",  # 鷗
    "\u6801": "柳",  # 栁
    "\u6ff5": "浜",  # 濵
    "\u6df8": "清",  # 淸
    "\u9751": "青",  # 靑
    "\u66fb": "昇",  # 曻
    "\u663b": "昂",  # 昻
    "\u7028": "瀬",  # 瀨
    "\u654e": "教",  # 敎
    "\u9ed1": "黒",  # 黑
    "\u537d": "即",  # 卽
    "\u5de2": "巣",  # 巢
    "\u69d7": "橋",  # 槗
    "\U0002123d": "土",  # 𡈽
    "\ufa14": "欅",  # 﨔
    "\u5f45": "なぎ",  # 彅 (草彅 → 草なぎ)
}


def jis_substitute(ch: str) -> str | None:
    """What to write instead of ``ch`` in JIS X 0208 (髙 → 高), or None."""
    if ch in JIS_SUBSTITUTES:
        return JIS_SUBSTITUTES[ch]
    composed = unicodedata.normalize("NFC", ch)
    if composed != ch and all(is_jis_x0208(c) for c in composed):
        return composed
    return None


def _is_kanji(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("CJK")


def _characters_hint(bad: list[str], hint: str) -> str:
    """For each refused kanji with a JIS form: 「髙」は「高」で入力してください。;
    for refused kanji without one, the general advice; for the other refused
    characters, the field's own hint (``hint``)."""
    pairs = [(ch, jis_substitute(ch)) for ch in bad]
    known = [f"「{ch}」は「{sub}」" for ch, sub in pairs if sub]
    text = f"{'、'.join(known[:_MAX_LISTED])}で入力してください。" if known else ""
    if any(_is_kanji(ch) and not sub for ch, sub in pairs):
        text += (
            "JIS第1・第2水準にない漢字は、代わりの字（例：髙→高、﨑→崎）"
            "か、ひらがな・カタカナで入力してください。"
        )
    if not text or any(not _is_kanji(ch) and not sub for ch, sub in pairs):
        text += hint
    return text


def _bad_characters_error(label: str, bad: list[str], hint: str) -> ValidationError:
    message = f"「{label}」に使用できない文字{_quote(bad)}が含まれています。"
    if any(is_halfwidth_katakana(ch) for ch in bad):
        message += "半角カタカナは使用できません。"
    return ValidationError(message + _characters_hint(bad, hint), code="invalid_characters")


# --- validators ----------------------------------------------------------------


class _LabelledValidator:
    """Base class: holds the field label, skips empty values, compares by arguments."""

    default_label = "入力内容"

    def __init__(self, label: str | None = None) -> None:
        self.label = label or self.default_label

    def _key(self) -> tuple:
        return (self.label,)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((type(self), self._key()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(map(repr, self._key()))})"

    def __call__(self, value: object) -> None:
        if value is None or value == "":
            return
        errors = self.errors(str(value))
        if errors:
            raise ValidationError(errors)

    def errors(self, value: str) -> list[ValidationError]:  # pragma: no cover
        raise NotImplementedError


@deconstructible
class PersonNameValidator(_LabelledValidator):
    """A surname or given name: JIS level 1/2 kanji, hiragana, katakana, 々〆ヶーゝゞヽヾ."""

    default_label = "氏名"
    hint = "JIS第1・第2水準の漢字、ひらがな、カタカナで入力してください。"

    def errors(self, value: str) -> list[ValidationError]:
        bad = invalid_characters(value, is_person_name_char)
        return [_bad_characters_error(self.label, bad, self.hint)] if bad else []


@deconstructible
class FullNameWithSpaceValidator(_LabelledValidator):
    """Rule P2: 「姓　名」 in one field, separated by exactly one full-width space."""

    default_label = "氏名"

    def errors(self, value: str) -> list[ValidationError]:
        errors = []
        # Spaces are reported by the layout check below, not as bad characters.
        bad = invalid_characters(
            value, lambda ch: ch in (" ", FULLWIDTH_SPACE) or is_person_name_char(ch)
        )
        if bad:
            errors.append(_bad_characters_error(self.label, bad, PersonNameValidator.hint))
        parts = value.split(FULLWIDTH_SPACE)
        if " " in value or len(parts) != 2 or not all(parts):
            errors.append(
                ValidationError(
                    f"「{self.label}」は姓と名の間に全角スペースを1つ入れて入力してください"
                    "（例：情報　太郎）。",
                    code="name_spacing",
                )
            )
        return errors


@deconstructible
class KatakanaValidator(_LabelledValidator):
    """Rule P3: full-width katakana and ー; words separated by single full-width spaces."""

    default_label = "フリガナ"

    def errors(self, value: str) -> list[ValidationError]:
        errors = []
        bad = invalid_characters(value, lambda ch: ch == FULLWIDTH_SPACE or is_katakana_char(ch))
        if bad:
            hint = "全角カタカナで入力してください。"
            if " " in bad:
                hint += "区切りには全角スペースを使用してください。"
            errors.append(_bad_characters_error(self.label, bad, hint))
        if (
            value.startswith(FULLWIDTH_SPACE)
            or value.endswith(FULLWIDTH_SPACE)
            or FULLWIDTH_SPACE * 2 in value
        ):
            errors.append(
                ValidationError(
                    f"「{self.label}」の先頭・末尾にスペースを入れたり、"
                    "スペースを続けて入力したりしないでください。",
                    code="katakana_spacing",
                )
            )
        return errors


@deconstructible
class JisTextValidator(_LabelledValidator):
    """Rule R3: printable ASCII or JIS X 0208 characters (organisation names, addresses...).

    ``allow_newlines=True`` additionally accepts line breaks, for multi-line text.
    """

    default_label = "入力内容"
    hint = "JIS第1・第2水準の範囲の文字で入力してください（機種依存文字や外字は使用できません）。"

    def __init__(self, label: str | None = None, allow_newlines: bool = False) -> None:
        super().__init__(label)
        self.allow_newlines = allow_newlines

    def _key(self) -> tuple:
        return (self.label, self.allow_newlines)

    def _allowed(self, ch: str) -> bool:
        return is_jis_text_char(ch) or (self.allow_newlines and ch in "\r\n")

    def errors(self, value: str) -> list[ValidationError]:
        bad = invalid_characters(value, self._allowed)
        return [_bad_characters_error(self.label, bad, self.hint)] if bad else []


_POSTAL_CODE_RE = re.compile(r"[0-9]{3}-[0-9]{4}")


@deconstructible
class PostalCodeValidator(_LabelledValidator):
    """``NNN-NNNN`` in half-width digits. Call :func:`normalize_postal_code` first."""

    default_label = "郵便番号"

    def errors(self, value: str) -> list[ValidationError]:
        if _POSTAL_CODE_RE.fullmatch(value):
            return []
        return [
            ValidationError(
                f"「{self.label}」は「123-4567」の形式（半角数字とハイフン）で入力してください。",
                code="invalid_postal_code",
            )
        ]


# Three hyphen-separated groups: area code (2-5 digits, e.g. 03, 090, 0120,
# 01267), local exchange (1-4) and subscriber number (3-4). The manual's own
# sample 999-999-9999 does not start with 0, so a leading 0 is not required.
_PHONE_RE = re.compile(r"[0-9]{2,5}-[0-9]{1,4}-[0-9]{3,4}")


@deconstructible
class PhoneNumberValidator(_LabelledValidator):
    """Japanese phone number, e.g. 03-1234-5678. Call :func:`normalize_phone` first."""

    default_label = "電話番号"

    def errors(self, value: str) -> list[ValidationError]:
        n_digits = len(value) - value.count("-")
        if _PHONE_RE.fullmatch(value) and n_digits in (10, 11):
            return []
        return [
            ValidationError(
                f"「{self.label}」は「03-1234-5678」のように、半角数字をハイフンで3つに区切って"
                "入力してください（数字は合計10桁または11桁）。",
                code="invalid_phone_number",
            )
        ]


# --- function forms ------------------------------------------------------------


def validate_person_name(value: str, label: str = "氏名") -> None:
    PersonNameValidator(label)(value)


def validate_full_name_with_space(value: str, label: str = "氏名") -> None:
    FullNameWithSpaceValidator(label)(value)


def validate_katakana(value: str, label: str = "フリガナ") -> None:
    KatakanaValidator(label)(value)


def validate_jis_text(value: str, label: str = "入力内容") -> None:
    JisTextValidator(label)(value)


def validate_postal_code(value: str, label: str = "郵便番号") -> None:
    PostalCodeValidator(label)(value)


def validate_phone_number(value: str, label: str = "電話番号") -> None:
    PhoneNumberValidator(label)(value)


# --- normalisers (forms call these before validating) -----------------------------

_DIGITS_AND_HYPHENS = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},  # ０-９
        **dict.fromkeys(
            "\uff0d"  # － FULLWIDTH HYPHEN-MINUS
            "\u2010"  # ‐ HYPHEN
            "\u2011"  # ‑ NON-BREAKING HYPHEN
            "\u2012"  # ‒ FIGURE DASH
            "\u2013"  # – EN DASH
            "\u2014"  # — EM DASH
            "\u2015"  # ― HORIZONTAL BAR
            "\u2212"  # − MINUS SIGN
            "\u30fc"  # ー KATAKANA-HIRAGANA PROLONGED SOUND MARK
            "\uff70"  # ｰ HALFWIDTH KATAKANA PROLONGED SOUND MARK
            "\ufe63",  # ﹣ SMALL HYPHEN-MINUS
            "-",
        ),
    }
)


def normalize_postal_code(value: str | None) -> str | None:
    """Full-width digits and hyphen look-alikes to ASCII; ``1234567`` -> ``123-4567``.

    A leading 〒 and surrounding (full- or half-width) spaces are dropped.
    Anything else is left for :class:`PostalCodeValidator` to reject.
    """
    if not value:
        return value
    s = value.strip().translate(_DIGITS_AND_HYPHENS).removeprefix("〒").strip()
    if len(s) == 7 and s.isascii() and s.isdigit():
        s = f"{s[:3]}-{s[3:]}"
    return s


def normalize_phone(value: str | None) -> str | None:
    """Full-width digits and hyphen look-alikes to ASCII; strip surrounding spaces."""
    if not value:
        return value
    return value.strip().translate(_DIGITS_AND_HYPHENS)


def normalize_full_name(value: str | None) -> str | None:
    """Rule P2: 「姓　名」 — the space between surname and given name, typed
    half-width, doubled or as a tab, becomes one full-width space (U+3000);
    spaces around the name are dropped. Characters are left as typed."""
    if not value:
        return value
    return FULLWIDTH_SPACE.join(value.split())
