"""Business rules of providers as pure functions (no database access)."""

import datetime

from .models import Provider

PROVIDER_NUMBER_MAX = 99999
REVOCATION_BAR_YEARS = 2


def add_years(d: datetime.date, years: int) -> datetime.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def revocation_bars_registration(revoked_on: datetime.date | None, on: datetime.date) -> bool:
    """P6 (M§2.4 (3), M§2.5): a provider whose certification was revoked cannot
    register or be certified for 2 years from the day of the revocation."""
    if revoked_on is None:
        return False
    return on < add_years(revoked_on, REVOCATION_BAR_YEARS)


def revocation_bar_end(revoked_on: datetime.date) -> datetime.date:
    """P6 (M§2.5): the first day on which a provider revoked on ``revoked_on``
    may be certified (or register) again: 2 years later."""
    return add_years(revoked_on, REVOCATION_BAR_YEARS)


def revocation_bar_ends(revoked_dates, on: datetime.date) -> datetime.date | None:
    """P6 (M§2.5): the day from which a new certification may be given again,
    when one of ``revoked_dates`` (revocations of this provider or of its
    courses) is less than 2 years before ``on``; None when nothing bars it."""
    ends = [
        revocation_bar_end(d)
        for d in revoked_dates
        if d is not None and revocation_bars_registration(d, on)
    ]
    return max(ends) if ends else None


def ja_date(d: datetime.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def status_write_problem(
    status: str, withdrawn_on: datetime.date | None, revoked_on: datetime.date | None
) -> str | None:
    """P8/P6 (M§11, M§2.5): a withdrawn (取止め) or revoked (認定取消し)
    provider keeps reading its data but submits nothing any more."""
    if status == Provider.Status.WITHDRAWN:
        since = f"（{ja_date(withdrawn_on)}）" if withdrawn_on else ""
        return (
            f"講座開設者の取止め{since}により、申請・届出・報告はできません。"
            "登録内容や提出済みの書類は引き続き閲覧できます。"
            "再び講座を開設する場合は、新たに講座開設者の登録を申請してください（以前の講座開設者番号は使えません）。"
        )
    if status == Provider.Status.REVOKED:
        since = f"（{ja_date(revoked_on)}）" if revoked_on else ""
        return (
            f"講座の認定の取消し{since}により、申請・届出・報告はできません。"
            "登録内容や提出済みの書類は引き続き閲覧できます。"
            "取消しの日から2年間は新たな認定を受けられません。"
        )
    return None


def revocation_bar_problem(revoked_dates, on: datetime.date) -> str | None:
    """P6 (M§2.4 (3), M§2.5): the message refusing a course submission or a
    certification while a revocation less than 2 years old bars it."""
    ends = revocation_bar_ends(revoked_dates, on)
    if ends is None:
        return None
    return (
        "講座の認定の取消しを受けた日から2年を経過していないため、免除対象講座の申請・認定はできません"
        f"（{ja_date(ends)}以降に申請できます）。"
    )


def next_provider_number(last_issued: int, taken: set[str]) -> tuple[str, int]:
    """P5: the next free 5-digit number after ``last_issued``; numbers already
    taken (e.g. the manual's sample 99991) are skipped; nothing is ever reused.
    Returns (number, new last_issued)."""
    candidate = last_issued + 1
    while f"{candidate:05d}" in taken:
        candidate += 1
    if candidate > PROVIDER_NUMBER_MAX:
        raise ValueError("講座開設者番号の上限（99999）に達しました。")
    return f"{candidate:05d}", candidate


def referral_dm_problem(referral: str, year: int | None, month: int | None) -> str | None:
    """P1: with 当機構からのDM the year and month (年 月頃) are asked for."""
    if referral != "ipa_dm":
        return None
    if not year or not month:
        return "「本制度を知ったきっかけ」で当機構からのDMを選んだ場合は、DMを受け取った年と月を入力してください。"
    if not 1 <= month <= 12:
        return "「DMを受け取った月」は1～12で入力してください。"
    if not 2000 <= year <= 2100:
        return "「DMを受け取った年」は西暦4桁で入力してください。"
    return None


def normalize_name_for_match(name: str) -> str:
    """Compare organisation names regardless of spaces and width."""
    import unicodedata

    return "".join(unicodedata.normalize("NFKC", name).split()).lower()


REGISTRATION_ANSWER_BUSINESS_DAYS = 3  # M§5.1 (3): 受信後3営業日以内に確認のお電話


def registration_review_due(submitted_on: datetime.date) -> datetime.date:
    """M§5.1 (3): IPA calls the applicant back within 3 IPA business days
    (W6) of receiving the registration (申請書式1)."""
    from portal.bizdays import add_business_days

    return add_business_days(submitted_on, REGISTRATION_ANSWER_BUSINESS_DAYS)
