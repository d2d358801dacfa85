"""入金確認依頼票 (F2, 別紙13) as .xlsx, with IPA's bank account (F5).

One form covers the fees paid together (M§13.2): up to five review-fee lines
(講座認定審査手数料01–05: course number and name) and one problem-fee line
(修了試験問題提供料: the applicants of the exam applications paid with it).
A form document (portal.documents.FormDocument) laid out with the table
writer of :mod:`portal.xlsx` and the provider header of portal.layout_blocks.
"""

import unicodedata

from portal import xlsx
from portal.documents import FormDocument, register, reviewer_or_owner
from portal.layout_blocks import ProviderHeader
from portal.xlsx import Data, Field

from .models import FeeKind
from .rules import IPA_BANK_ACCOUNT, MAX_REVIEW_LINES

FORM_VERSION = "Ver.20240401"
SHEET_TITLE = "入金確認依頼票"
L, V, SUB, SEC = "label", "value", "sub", "section"
STYLES = {
    **xlsx.STYLES,
    "money": xlsx.style(11, horizontal="right", bordered=True, number_format="#,##0"),
    "total": xlsx.style(12, bold=True, horizontal="right", bordered=True, number_format="#,##0"),
    "applicants": xlsx.style(11, horizontal="center", bordered=True, number_format="#,##0"),
}
WIDTHS = {"A": 5, "B": 24, "C": 14, "D": 10, "E": 8, "F": 39}


# --- data -------------------------------------------------------------------


def _squeeze(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").replace(" ", "")


def _contact(request) -> dict | None:
    """The contact for this payment, only when it is not the registered contact
    (別紙13: 講座開設者の登録担当者と違う場合のみ記入)."""
    if not request.contact_name:
        return None
    provider = request.provider
    registered = _squeeze(provider.contact_family_name + provider.contact_given_name)
    if _squeeze(request.contact_name) == registered:
        return None
    return {
        "name": request.contact_name,
        "department": request.contact_department,
        "tel": request.contact_tel,
    }


def nyukin_irai_data(request) -> dict:
    """The values written on the form, as plain str/int; their hash is the data version."""
    # A returned form (差し戻し) still prints the fees it named.
    named = request.returned_lines if request.returned_on else request.lines
    lines = list(named.select_related("course__provider").order_by("created_at", "id"))
    review = [
        {
            "course_number": line.course.number if line.course else "",
            "course_serial": f"{line.course.serial:03d}" if line.course else "",
            "course_name": line.course.name if line.course else line.description,
            "amount": line.amount,
        }
        for line in lines
        if line.kind == FeeKind.REVIEW
    ]
    problem_lines = [line for line in lines if line.kind == FeeKind.PROBLEM]
    problem = None
    if problem_lines:
        problem = {
            "applicants": sum(line.quantity for line in problem_lines),
            "amount": sum(line.amount for line in problem_lines),
            "descriptions": [line.description for line in problem_lines],
        }
    return {
        "form_version": FORM_VERSION,
        "request_date": request.request_date.isoformat(),
        "provider_number": str(request.provider.number or ""),
        "provider_name": request.provider.name,
        "contact": _contact(request),
        "payment_date": request.payment_date.isoformat(),
        "bank": request.bank,
        "payer_name_kana": request.payer_name_kana,
        "transfers": request.transfers,
        "note": request.note or "",
        "review_lines": review,
        "problem": problem,
        "total": sum(line.amount for line in lines),
        "ipa_bank": dict(IPA_BANK_ACCOUNT),
    }


# --- layout -----------------------------------------------------------------

PROVIDER = ProviderHeader(kana=False, kanji_key="provider_name")
_HEAD = [
    (1, 17, [("A:C", Field("form_version"), "plain")]),
    (2, 28, [("A:F", SHEET_TITLE, "title")]),
    (3, 8, []),
    (4, 24, [("A:B", "確認依頼日\n（入金確認票の提出日）", L), ("C:D", Field("request_date"), V)]),
    (5, 8, []),
    *PROVIDER.rows(6),
    (8, 8, []),
    (9, 20, [("A:F", "本件に関する問い合わせ先", SEC)]),
    (10, 17, [("A:F", "※講座開設者の登録担当者と違う場合のみ記入してください。個人情報の目的外の使用はいたしません。", "note")]),
    (11, 22, [("A:B", "担当者氏名", L), ("C:F", Field("contact_name"), V)]),
    (12, 22, [("A:B", "所属部署", L), ("C:F", Field("contact_department"), V)]),
    (13, 22, [("A:B", "電話番号", L), ("C:F", Field("contact_tel"), V)]),
    (14, 8, []),
    (15, 22, [("A:B", "入金日", L), ("C:D", Field("payment_date"), V)]),
    (16, 22, [("A:B", "入金元金融機関", L), ("C:F", Field("bank"), V)]),
    (17, 22, [("A:B", "振込名義人（カタカナ）", L), ("C:F", Field("payer_name_kana"), V)]),
    (18, 8, []),
    (19, 20, [("A:F", "金額", SEC)]),
    (20, 24, [("A:B", "合計金額", L), ("C", Field("total"), "total"), ("D:E", "入金口数", SUB),
              ("F", Field("transfers"), V)]),
    (21, 30, [("A:B", "連絡事項", L), ("C:F", Field("note"), "remarks")]),
    (22, 22, [("A:B", "内訳", "head"), ("C", "金額", "head"), ("D:E", "免除対象講座番号", "head"),
              ("F", "免除対象講座の名称", "head")]),
]  # fmt: skip
FIRST_REVIEW_ROW = 23


def _layout(data: dict) -> list:
    rows = list(_HEAD)
    review = data["review_lines"]
    n = FIRST_REVIEW_ROW
    for i in range(max(MAX_REVIEW_LINES, len(review))):
        line = review[i] if i < len(review) else None
        rows.append(
            (
                n,
                22,
                [
                    ("A", i + 1, "center"),
                    ("B", f"講座認定審査手数料{i + 1:02d}", L),
                    ("C", Data(line["amount"] if line else None), "money"),
                    # The number as the form asks for it: the provider's number,
                    # then the course's last 3 digits (M§5.2 表5.2-5).
                    ("D", Data(f"{data['provider_number']} -" if line else ""), "center"),
                    ("E", Data(line["course_serial"] if line else ""), "center"),
                    ("F", Data(line["course_name"] if line else ""), "cell"),
                ],
            )
        )
        n += 1
    problem = data["problem"]
    rows += [
        (n, 20, [("A:C", "", "plain"), ("D:E", "応募者数", "head"), ("F", "備考", "head")]),
        (
            n + 1,
            22,
            [
                ("A", n - FIRST_REVIEW_ROW + 1, "center"),
                ("B", "修了試験問題提供料", L),
                ("C", Data(problem["amount"] if problem else None), "money"),
                ("D:E", Data(problem["applicants"] if problem else None), "applicants"),
                ("F", Data("、".join(problem["descriptions"]) if problem else ""), "cell"),
            ],
        ),
        (n + 2, 12, []),
        (n + 3, 20, [("A:F", "振込先（独立行政法人情報処理推進機構）", SEC)]),
        (n + 4, 22, [("A:B", "振込先銀行名", L), ("C:F", Field("ipa_bank"), V)]),
        (n + 5, 22, [("A:B", "振込先支店名", L), ("C:F", Field("ipa_branch"), V)]),
        (n + 6, 22, [("A:B", "振込先口座番号", L), ("C:F", Field("ipa_account"), V)]),
        (n + 7, 22, [("A:B", "振込先口座名義人", L), ("C:F", Field("ipa_holder"), V)]),
        (n + 8, 17, [("A:F", "※振込手数料は、講座開設者の負担となります。受理した手数料は、理由のいかんにかかわらず返還できません。", "note")]),
    ]  # fmt: skip
    return rows


def _values(data: dict) -> dict:
    contact = data["contact"] or {}
    bank = data["ipa_bank"]
    return {
        "form_version": data["form_version"],
        "request_date": xlsx.slash_date(data["request_date"]),
        **PROVIDER.values(data["provider_number"], data["provider_name"]),
        "contact_name": contact.get("name", ""),
        "contact_department": contact.get("department", ""),
        "contact_tel": contact.get("tel", ""),
        "payment_date": xlsx.slash_date(data["payment_date"]),
        "bank": data["bank"],
        "payer_name_kana": data["payer_name_kana"],
        "total": data["total"],
        "transfers": data["transfers"],
        "note": data["note"],
        "ipa_bank": bank["bank"],
        "ipa_branch": bank["branch"],
        "ipa_account": bank["account"],
        "ipa_holder": bank["holder"],
    }


NYUKIN_IRAI_CELLS = xlsx.field_cells(_HEAD)


def _sheets(data: dict) -> list:
    return [xlsx.Sheet(SHEET_TITLE, WIDTHS, _layout(data), _values(data))]


NYUKIN_IRAI = register(
    FormDocument(
        id="nyukin_irai",
        title="入金確認依頼票",
        model="fees.PaymentRequest",
        provider_number=lambda request: request.provider.number,
        can_download=reviewer_or_owner,
        data=nyukin_irai_data,
        sheets=_sheets,
        stamp=lambda data: data["request_date"],
        workbook_title=SHEET_TITLE,
        styles=STYLES,
    )
)
# The .xlsx bytes of 入金確認依頼票; the same data gives the same bytes.
render_nyukin_irai = NYUKIN_IRAI.render
