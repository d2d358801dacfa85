# ruff: noqa: F811  (fixtures imported from the eager walk)
"""The notices of every declared transition (portal.workflow) sent by the
real Celery worker: the same walk as tests/test_workflow.py, with the e-mails
queued on commit, consumed from the broker and sent by ``portal.send_mail``
(run with `pytest -m worker`)."""

import time

import pytest
from django.core import mail

from portal import workflow
from portal.celery import app
from portal.models import Notice, OutboxMessage

from .test_exams_services import setup  # noqa: F401
from .test_worker import celery_worker  # noqa: F401
from .test_workflow import MOVES, SCENARIOS, assert_notices_sent, ctx, expected_mails  # noqa: F401

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _wait_for_mail(count, seconds=30):
    deadline = time.monotonic() + seconds
    while len(mail.outbox) < count and time.monotonic() < deadline:
        time.sleep(0.05)  # polling a real worker, not timing a feature


def _wait_for_earlier_mail(seconds=30):
    """The fixtures' own notices (the setup's certified course) went to the
    worker before the test switched to eager: wait until each is sent, so that
    none arrives late among the move's."""
    pending = OutboxMessage.objects.filter(task_name=OutboxMessage.Task.SEND_MAIL).exclude(
        status=OutboxMessage.Status.DONE
    )
    deadline = time.monotonic() + seconds
    while pending.exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # polling a real worker, not timing a feature
    assert not pending.exists(), "the worker did not send the fixtures' notices"


@pytest.mark.parametrize(("model", "action", "source"), MOVES)
def test_worker_every_transition_notifies_by_mail_and_in_app(
    model,
    action,
    source,
    ctx,
    client,
    celery_worker,
):
    flow = workflow.for_model(model)
    move = flow.get(action)
    prepare, perform = SCENARIOS[model]
    # The preparation's own mails are sent at once (eager), so that none of
    # them arrives late among the move's.
    app.conf.task_always_eager = True
    try:
        obj = prepare(source, ctx)
    finally:
        app.conf.task_always_eager = False
    ctx["obj"], ctx["source"] = obj, source
    _wait_for_earlier_mail()
    mail.outbox.clear()
    Notice.objects.all().delete()
    actor = perform(action, obj, ctx)  # committed: the worker sends the mails
    _wait_for_mail(expected_mails(move, ctx, actor))
    assert_notices_sent(flow, move, obj, source, actor, ctx, client)
