"""Fee rules (F1–F3) as pure functions."""

import datetime
import unicodedata

from portal.bizdays import JST

# M§13.2 表13.2-1 (F5)
IPA_BANK_ACCOUNT = {
    "bank": "三菱UFJ銀行",
    "branch": "東京公務部",
    "account": "普通預金 14487",
    "holder": "独立行政法人 情報処理推進機構",
}
MAX_REVIEW_LINES = 5  # F2: up to five review-fee lines on one form


def fee_amount(schedules, kind: str, on: datetime.date) -> int:
    """F1: the amount of ``kind`` in force on ``on``; ``schedules`` are rows
    with kind, amount, valid_from, valid_to."""
    for row in sorted(schedules, key=lambda r: r.valid_from, reverse=True):
        if (
            row.kind == kind
            and row.valid_from <= on
            and (row.valid_to is None or on <= row.valid_to)
        ):
            return row.amount
    raise LookupError(f"{on} に有効な手数料（{kind}）が登録されていません。")


def payer_name_problem(payer_name_kana: str, provider_number: str) -> str | None:
    """F2: the payer name is in katakana and starts with the 5-digit provider number."""
    name = (
        unicodedata.normalize("NFKC", payer_name_kana or "").replace(" ", "").replace("\u3000", "")
    )
    if not name.startswith(provider_number):
        return f"「振込名義人」は講座開設者番号（{provider_number}）から始めてください（例：{provider_number}アイピーエーダイガク）。"
    rest = name[len(provider_number) :]
    if not rest or any(not ("\u30a1" <= ch <= "\u30fa" or ch in "ー・") for ch in rest):
        return (
            "「振込名義人」は講座開設者番号に続けて、講座開設者名を全角カタカナで入力してください。"
        )
    return None


def payment_is_late(
    payment_date: datetime.date | None, application_closes_at: datetime.datetime | None
) -> bool:
    """E2/F3 (M§5.7): the problem fee must have arrived (着金) by the
    application close. A payment dated after the closing day is late; one on
    the closing day itself cannot be told apart by its date and counts as in
    time."""
    if payment_date is None or application_closes_at is None:
        return False
    return payment_date > application_closes_at.astimezone(JST).date()


# --- F4 (M§14): qualified invoices (適格請求書) and receipts (領収書) ----------------

TAX_RATE = 10  # per cent: the fees are standard-rated (標準税率10%)
DOCUMENT_PREFIXES = {"invoice": "INV", "receipt": "RCP"}
MAX_ADDRESSEE = 100


def consumption_tax_included(total: int, rate: int = TAX_RATE) -> int:
    """The consumption tax contained in a tax-inclusive ``total`` at ``rate`` %.

    Rounding rule (適格請求書: one rounding per invoice and per tax rate): the
    tax is computed once on the invoice's total of that rate, never line by
    line, as total × rate / (100 + rate) rounded down (切り捨て) to the yen."""
    return total * rate // (100 + rate)


def document_number(kind: str, year: int, serial: int) -> str:
    """INV-2026-000001 / RCP-2026-000001: unique and sequential per kind and year."""
    return f"{DOCUMENT_PREFIXES[kind]}-{year}-{serial:06d}"


def one_year_after(day: datetime.date) -> datetime.date:
    """The same day a year later (29 February → 28 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def invoice_problem(
    *,
    description: str,
    cancelled: bool,
    paid_on: datetime.date | None,
    payment_date: datetime.date | None,
    today: datetime.date,
) -> str | None:
    """F4 (M§14): a qualified invoice is issued only before payment — not for
    a fee whose payment IPA confirmed, nor for one the provider reported
    paid (its 入金確認依頼票 names a payment date that has come)."""
    if cancelled:
        return f"「{description}」は取り消された手数料のため、請求書は発行できません。"
    if paid_on is not None:
        return (
            f"「{description}」は入金確認済みのため、請求書は発行できません"
            "（請求書は入金前に限り発行できます）。"
        )
    if payment_date is not None and payment_date <= today:
        return (
            f"「{description}」は入金確認依頼票で入金済み（{payment_date:%Y/%m/%d}）と届け出ているため、"
            "請求書は発行できません（請求書は入金前に限り発行できます）。"
        )
    return None


def receipt_problem(
    *,
    description: str,
    cancelled: bool,
    refundable: bool,
    paid_on: datetime.date | None,
    available_from: datetime.date | None,
    available_label: str,
    today: datetime.date,
) -> str | None:
    """F4 (M§14): a receipt is issued for a paid fee, from the day it becomes
    available (``available_from``: the certificate's issue for a review fee,
    the problems' delivery for a problem fee — ``available_label`` names it)
    and within one year of that day."""
    if cancelled:
        return f"「{description}」は取り消された手数料のため、領収書は発行できません。"
    if paid_on is None:
        return f"「{description}」は入金確認前のため、領収書は発行できません（領収書は入金確認後に発行できます）。"
    if refundable:
        return f"「{description}」は返金対象（試験中止）のため、領収書は発行できません。"
    if available_from is None or today < available_from:
        when = f"（{available_from:%Y/%m/%d}）" if available_from else ""
        return f"「{description}」の領収書は、{available_label}{when}以降に発行できます。"
    if today > one_year_after(available_from):
        return (
            f"「{description}」の領収書は、{available_label}（{available_from:%Y/%m/%d}）から"
            "1年以内に限り発行できます。"
        )
    return None


def addressee_problem(addressee: str) -> str | None:
    if not addressee.strip():
        return "「宛名」を入力してください。"
    if len(addressee.strip()) > MAX_ADDRESSEE:
        return f"「宛名」は{MAX_ADDRESSEE}文字以内で入力してください。"
    return None


def payment_confirmation_due(
    problem_deliveries: list[datetime.date | None],
) -> datetime.date | None:
    """F3/E2: problems are provided only for a confirmed problem fee, so a
    form with problem fees is confirmed by the earliest delivery day of their
    exams; a form of review fees only has no fixed date (the review waits)."""
    dates = [d for d in problem_deliveries if d is not None]
    return min(dates) if dates else None
