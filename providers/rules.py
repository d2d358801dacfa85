"""Business rules of providers as pure functions (no database access)."""

import datetime

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
