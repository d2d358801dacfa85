"""Completion-exam rules (E*) as pure functions."""

import datetime


def window_is_open(
    opens_at: datetime.datetime | None,
    closes_at: datetime.datetime | None,
    now: datetime.datetime,
) -> bool:
    """E1/E2/R1: a window is open from its start up to, not including, its
    close: at 15:00:00 on the closing day nothing is accepted any more."""
    if opens_at is None or closes_at is None:
        return False
    return opens_at <= now < closes_at
