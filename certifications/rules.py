"""Business rules of completers and their evidence as pure functions (no
database access)."""

import datetime

from providers.rules import add_years

# E9 (M§6.14.3): 修了認定者であることを証明する資料 … は、1年間保管してください。
EVIDENCE_RETENTION_YEARS = 1


def evidence_kept_until(certified_on: datetime.date) -> datetime.date:
    """E9 (M§6.14.3): the last day the evidence of a certification (the copies
    of private-qualification certificates attached to the result report, R8)
    must still be kept. One year counted as the Civil Code counts periods: the
    day of certification is not counted (民法140条) and the year ends with the
    day before the corresponding day of the year after (民法143条) — the
    same date a year later; 29 February: 28 February."""
    return add_years(certified_on, EVIDENCE_RETENTION_YEARS)


def evidence_deletable_from(certified_on: datetime.date | None) -> datetime.date | None:
    """The first day the evidence may be deleted: the day after the year of
    keeping (None while the report has no certification date)."""
    if certified_on is None:
        return None
    return evidence_kept_until(certified_on) + datetime.timedelta(days=1)


def evidence_due_for_deletion(
    certified_on: datetime.date | None, accepted: bool, on: datetime.date
) -> bool:
    """Whether the evidence of a report is due for deletion on ``on``: the
    report was accepted by IPA (until then IPA may still ask for it,
    M§6.14.3) and the year of keeping is over."""
    deletable = evidence_deletable_from(certified_on)
    return accepted and deletable is not None and on >= deletable
