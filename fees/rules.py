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


def payment_confirmation_due(
    problem_deliveries: list[datetime.date | None],
) -> datetime.date | None:
    """F3/E2: problems are provided only for a confirmed problem fee, so a
    form with problem fees is confirmed by the earliest delivery day of their
    exams; a form of review fees only has no fixed date (the review waits)."""
    dates = [d for d in problem_deliveries if d is not None]
    return min(dates) if dates else None
