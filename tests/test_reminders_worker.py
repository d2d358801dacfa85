# ruff: noqa: F811  (fixtures imported)
"""The daily reminders (portal.send_reminders) run by the real Celery worker:
the beat's message is consumed from the broker, the ledger written, the
e-mails sent by ``portal.send_mail``; a second message the same day sends
nothing (run with `pytest -m worker`)."""

import datetime
import time

import pytest
from django.core import mail

from portal.celery import app
from portal.models import ReminderSent

from .course_factories import certified_course
from .test_worker import celery_worker  # noqa: F401

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _wait(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)  # polling a real worker, not timing a feature


def test_worker_c13_reminder_sent_once_by_the_beat_task(
    provider_a, staff_a, reviewer, celery_worker
):
    app.conf.task_always_eager = True
    try:
        certified_course(provider_a, staff_a, reviewer)  # ends 2026-09-30
    finally:
        app.conf.task_always_eager = False
    mail.outbox.clear()
    day = datetime.date(2026, 8, 1).isoformat()  # 60 days before the end
    assert app.send_task("portal.send_reminders", args=[day]).get(timeout=30) == 1
    _wait(lambda: len(mail.outbox) >= 1)
    assert [m.to for m in mail.outbox] == [["hanako@ipa-daigaku.example.jp"]]
    assert "認定終了日" in mail.outbox[0].subject
    assert app.send_task("portal.send_reminders", args=[day]).get(timeout=30) == 0
    assert len(mail.outbox) == 1
    assert ReminderSent.objects.count() == 1
