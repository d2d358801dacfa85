"""申請書式1（認定申請者情報申請書）: the provider's registration form as .xlsx.

A form document (portal.documents.FormDocument) laid out like 別紙2 of the
manual. The layout is one table (``_LAYOUT``) of rows; each row lists its
cells as ``(columns, content, style)``. A content that is a :class:`_Field` is a
value of :func:`_cell_values` and its first cell is listed in
:data:`SHOSHIKI_1_CELLS`. The head and the provider header are the blocks of
portal.layout_blocks that every form shares.
"""

from django.utils import timezone

from portal import xlsx
from portal.documents import FormDocument, register, reviewer_or_owner
from portal.layout_blocks import ProviderHeader, form_head
from portal.xlsx import Field as _Field

from .models import Category, Referral

FORM_VERSION = "Ver.20240401"
SHEET_TITLE = "申請書式1"
FORM_TITLE = "基本情報技術者試験免除対象講座の申請者(講座開設者)情報の申請書"
LAST_COLUMN = "F"

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
        "date": xlsx.japanese_date(data["application_date"]),
        "address": f"〒{data['postal_code']}\u3000{data['prefecture']}{data['address']}",
        "name": data["name"],
        "representative_name": data["representative_name"],
        **PROVIDER.values(data["number"], data["name"], data["name_kana"]),
        "contact_family_name": data["contact_family_name"],
        "contact_given_name": data["contact_given_name"],
        "contact_department": data["contact_department"],
        "contact_tel": data["contact_tel"],
        "contact_fax": data["contact_fax"],
        "contact_email": data["contact_email"],
        "contact_postal_code": data["contact_postal_code"],
        "contact_prefecture": data["contact_prefecture"],
        "contact_address": data["contact_address"],
        "category": xlsx.options(Category.choices, data["category"]),
        "referral": xlsx.options(
            Referral.choices, data["referral"], labels={Referral.IPA_DM: _dm_label(data)}
        ),
        "remarks": data["remarks"],
    }


# --- layout -----------------------------------------------------------------


L, V, N = "label", "value", "note"  # styles of portal.xlsx.STYLES

# 別紙2 asks for the provider number in the 講座担当 column.
PROVIDER = ProviderHeader(
    label="A", height=24, number_label="講座開設者番号\n(講座担当使用欄)", number_height=30,
    number_key="number", kanji_key="name_kanji",
)  # fmt: skip

# (row, height in points, [(columns, content, style)]); columns "B" or "B:F".
_LAYOUT = [
    *form_head(SHEET_TITLE, FORM_TITLE, LAST_COLUMN, "E:F", spacer=10),
    (7, 36, [("A", "申請者の住所（法人住所）", L), ("B:F", _Field("address"), V)]),
    (8, 24, [("A", "申請者名（法人名称）", L), ("B:F", _Field("name"), V)]),
    (9, 24, [("A", "代表者名", L), ("B:F", _Field("representative_name"), V)]),
    (10, 17, [("B:F", "氏名のみで間に全角スペースを入れてください。", N)]),
    (11, 10, []),
    *PROVIDER.rows(12),
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


SHOSHIKI_1_CELLS = xlsx.field_cells(_LAYOUT)


SHOSHIKI_1 = register(
    FormDocument(
        id="shoshiki_1",
        title="申請書式1：認定申請者情報申請書",
        model="providers.Provider",
        provider_number=lambda p: p.number,
        can_download=reviewer_or_owner,
        data=shoshiki_1_data,
        sheets=lambda data: [xlsx.Sheet(SHEET_TITLE, COLUMN_WIDTHS, _LAYOUT, _cell_values(data))],
        stamp=lambda data: data["application_date"],
        workbook_title=SHEET_TITLE,
    )
)
# The .xlsx bytes of 申請書式1; the same data gives the same bytes.
render_shoshiki_1 = SHOSHIKI_1.render


# --- 申請書式5（変更申請書, 別紙9, figure 5.5-4） and 申請書式1 of a change ----------------

SHOSHIKI_5_VERSION = "Ver.20170929"
SHOSHIKI_5_SHEET = "申請書式5"
SHOSHIKI_5_WIDTHS = {"A": 6, "B": 24, "C": 14, "D": 20, "E": 20, "F": 14}
SHOSHIKI_5_PROVIDER = ProviderHeader(label="A:B", kana=False, height=24)
ENTRY_FIRST_ROW = 14


def shoshiki_5_data(change) -> dict:
    """The values of 申請書式5 (X3): the provider, the form the change is
    about (変更する書式) and one row per changed item (変更する項目 / 変更後 /
    変更前); a completer's row names its 修了認定者管理番号 (table 5.6-2)."""
    from .changes import get_kind

    kind = get_kind(change.kind)
    day = timezone.localtime(change.submitted_at or change.created_at).date()
    return {
        "form_version": SHOSHIKI_5_VERSION,
        "date": day.isoformat(),
        "provider_number": change.provider.number,
        "name": change.provider.name,
        "form_title": kind.title(change),
        "target": change.target_label,
        "items": [
            {"no": n, "item": i["item"], "after": i["after"], "before": i["before"]}
            for n, i in enumerate(change.items, 1)
        ],
    }


def _shoshiki_5_layout(data: dict) -> list:
    rows = [
        *form_head(SHOSHIKI_5_SHEET, "変更申請書", "F", "E:F", spacer=8),
        *SHOSHIKI_5_PROVIDER.rows(7),
        (9, 8, []),
        (10, 24, [("A:B", "変更する書式", L), ("C:F", _Field("form_title"), V)]),
        (11, 24, [("A:B", "変更の対象", L), ("C:F", _Field("target"), V)]),
        (12, 17, [("A:F", "変更する項目・変更後・変更前は申請者（講座開設者）が入力", N)]),
        (13, 22, [("A", "No.", "head"), ("B", "変更する項目", "head"),
                  ("C:F", "変更後／変更前", "head")]),
    ]  # fmt: skip
    row = ENTRY_FIRST_ROW
    for entry in data["items"]:
        rows += [
            (row, 18, [(f"A{row}:A{row + 3}", xlsx.Data(entry["no"]), "center"),
                       (f"B{row}:B{row + 3}", xlsx.Data(entry["item"]), "cell"),
                       ("C:F", "変更後", "sub")]),
            (row + 1, 24, [("C:F", xlsx.Data(entry["after"]), "cell")]),
            (row + 2, 18, [("C:F", "変更前", "sub")]),
            (row + 3, 24, [("C:F", xlsx.Data(entry["before"]), "cell")]),
        ]  # fmt: skip
        row += 4
    return rows


def _shoshiki_5_values(data: dict) -> dict:
    return {
        "form_version": data["form_version"],
        "date": xlsx.japanese_date(data["date"]),
        **SHOSHIKI_5_PROVIDER.values(data["provider_number"], data["name"]),
        "form_title": data["form_title"],
        "target": data["target"],
    }


def is_change_party(user, change) -> bool:
    return reviewer_or_owner(user, change)


SHOSHIKI_5 = register(
    FormDocument(
        id="shoshiki_5",
        title="申請書式5：変更申請書",
        model="providers.ChangeRequest",
        provider_number=lambda change: change.provider.number,
        can_download=is_change_party,
        data=shoshiki_5_data,
        sheets=lambda data: [
            xlsx.Sheet(
                SHOSHIKI_5_SHEET,
                SHOSHIKI_5_WIDTHS,
                _shoshiki_5_layout(data),
                _shoshiki_5_values(data),
            )
        ],  # fmt: skip
        stamp=lambda data: data["date"],
        workbook_title=SHOSHIKI_5_SHEET,
    )
)
render_shoshiki_5 = SHOSHIKI_5.render


def _change_shoshiki_1_data(change) -> dict:
    """申請書式1 as it reads after the change (table 5.6-1): the provider's
    values with the request's proposed ones, dated the request's day."""
    from .changes import preview

    data = shoshiki_1_data(preview(change))
    day = timezone.localtime(change.submitted_at or change.created_at).date()
    return {**data, "application_date": day.isoformat()}


CHANGE_SHOSHIKI_1 = register(
    FormDocument(
        id="change_shoshiki_1",
        title="申請書式1：認定申請者情報申請書",
        model="providers.ChangeRequest",
        provider_number=lambda change: change.provider.number,
        can_download=is_change_party,
        data=_change_shoshiki_1_data,
        sheets=lambda data: [xlsx.Sheet(SHEET_TITLE, COLUMN_WIDTHS, _LAYOUT, _cell_values(data))],
        stamp=lambda data: data["application_date"],
        workbook_title=SHEET_TITLE,
    )
)


from . import question_documents  # noqa: E402, F401  (質問書, W5: registered on import)
