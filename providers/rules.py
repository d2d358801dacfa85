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


# --- questions (質問書, W5, M§12, 別紙15) -----------------------------------------

# W5: IPA answers a question within 3 IPA business days (M§12: 「原則、3営業日以内に
# 回答致します」). The 備考 of 別紙15 says 「原則、5営業日以内」; the two texts of the
# manual disagree, and the portal promises the shorter one, so that a provider is
# never told a later date than the manual's own page on questions gives.
QUESTION_ANSWER_DAYS = 3
QUESTION_FORM_ANSWER_DAYS = 5  # 別紙15's figure, not used for the due date (see above)


def question_due_on(asked_on: datetime.date) -> datetime.date:
    """W5: the day by which IPA answers a question asked (or followed up, or
    completed by a reply) on ``asked_on``: the 3rd IPA business day after it
    (W6: weekends, national holidays and 29 Dec – 3 Jan do not count; a
    question sent on a Saturday is due on the following Wednesday)."""
    from portal.bizdays import add_business_days

    return add_business_days(asked_on, QUESTION_ANSWER_DAYS)


def question_overdue_days(due_on: datetime.date | None, today: datetime.date) -> int:
    """How many days past its due date an unanswered question is (0: not overdue)."""
    if due_on is None or today <= due_on:
        return 0
    return (today - due_on).days


def question_subcategories() -> dict[str, list[str]]:
    """別紙15's boxes under each 項目 (その他 has a free text instead)."""
    from .models import QuestionCategory as C
    from .models import QuestionSubcategory as Sub

    return {
        C.COURSE: [Sub.COURSE_OPENING, Sub.COURSE_FEE, Sub.COURSE_MATERIALS],
        C.DELIVERY: [Sub.DELIVERY_ADD, Sub.DELIVERY_DELETE, Sub.DELIVERY_CHANGE],
        C.EXAM: [Sub.EXAM_APPLICATION, Sub.EXAM_PREPARATION, Sub.EXAM_CONDUCT],
        C.CERTIFICATION: [Sub.CERTIFICATION_REPORT],
        C.MAIN_EXAM: [Sub.MAIN_EXAM_EXEMPTION],
        C.OTHER: [],
    }


def question_topic_problems(category: str, subcategory: str, other: str) -> dict[str, str]:
    """W5: the 項目 and its detail as 別紙15 asks them, {field: message}."""
    from .models import QuestionCategory

    allowed = question_subcategories().get(category)
    if allowed is None:
        return {"category": "「項目」を選択してください。"}
    if category == QuestionCategory.OTHER:
        if not (other or "").strip():
            return {"category_other": "項目が「その他」のときは、その内容を入力してください。"}
        return {}
    if subcategory not in allowed:
        label = QuestionCategory(category).label
        return {"subcategory": f"項目「{label}」の詳細を選択してください。"}
    return {}


REGISTRATION_ANSWER_BUSINESS_DAYS = 3  # M§5.1 (3): 受信後3営業日以内に確認のお電話


def registration_review_due(submitted_on: datetime.date) -> datetime.date:
    """M§5.1 (3): IPA calls the applicant back within 3 IPA business days
    (W6) of receiving the registration (申請書式1)."""
    from portal.bizdays import add_business_days

    return add_business_days(submitted_on, REGISTRATION_ANSWER_BUSINESS_DAYS)
