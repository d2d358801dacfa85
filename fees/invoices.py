"""F4/I3 (M§14): the PDF of a qualified invoice (適格請求書) or receipt (領収書).

What a qualified invoice must carry (消費税法第57条の4): the issuer's name and
registration number (登録番号, ``settings.IPA_INVOICE_REGISTRATION_NUMBER``),
the date, what each line is for, the total per tax rate with that rate, the
consumption tax per rate, and the addressee — plus our document number. The
fees are tax-inclusive (F1); the tax is computed once per document and rate
(fees.rules.consumption_tax_included: rounded down)."""

from django.conf import settings
from django.template.loader import render_to_string

from .models import FeeDocumentKind
from .rules import IPA_BANK_ACCOUNT, TAX_RATE, consumption_tax_included

TEMPLATE = "fees/pdf/fee_document.html"
ISSUER = {
    "name": "独立行政法人情報処理推進機構",
    "department": "デジタル人材センター 国家資格・試験部 実施グループ 講座担当",
    "postal_code": "〒113-8663",
    "address": "東京都文京区本駒込2-28-8 文京グリーンコートセンターオフィス15階",
}
TITLES = {FeeDocumentKind.INVOICE: "請求書（適格請求書）", FeeDocumentKind.RECEIPT: "領収書"}


def document_data(document, lines) -> dict:
    """The values printed on the document, as plain str/int (stored with it)."""
    rows = [
        {
            "kind": line.get_kind_display(),
            "description": line.description,
            "unit_amount": line.unit_amount,
            "quantity": line.quantity,
            "amount": line.amount,
            "paid_on": f"{line.paid_on:%Y/%m/%d}" if line.paid_on else "",
        }
        for line in lines
    ]
    total = sum(row["amount"] for row in rows)
    return {
        "kind": document.kind,
        "title": TITLES[document.kind],
        "number": document.number,
        "issued_on": document.issued_on.isoformat(),
        "addressee": document.addressee,
        "provider_number": document.provider.number,
        "provider_name": document.provider.name,
        "issuer": ISSUER,
        "registration_number": settings.IPA_INVOICE_REGISTRATION_NUMBER,
        "rows": rows,
        "tax_rate": TAX_RATE,
        "total": total,
        "tax": consumption_tax_included(total),
        "bank": IPA_BANK_ACCOUNT,
    }


def document_html(data: dict) -> str:
    import datetime

    issued = datetime.date.fromisoformat(data["issued_on"])
    return render_to_string(
        TEMPLATE,
        {
            "data": data,
            "issued": issued,
            "is_invoice": data["kind"] == FeeDocumentKind.INVOICE,
            "stamp": f"{data['issued_on']}T00:00:00+09:00",
        },
    )


def render_document(data: dict) -> bytes:
    from portal import pdf  # WeasyPrint loads on first render only

    return pdf.html_to_pdf(document_html(data))
