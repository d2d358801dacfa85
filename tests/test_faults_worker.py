# ruff: noqa: F811  (fixtures imported)
"""Issue 11 item 3: Redis (the broker) down while a provider submits, with the
real Celery worker (run with `pytest -m worker -p no:xdist`, CELERY_BROKER_URL
at Redis). While the broker URL points at a closed port the filing is saved
and its notices and document wait in the outbox; once the broker is back,
`manage.py relay_outbox` publishes them and the worker sends each e-mail and
renders the document exactly once, even when a message is delivered again."""

import time

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from exams import services
from exams.models import ResultReport
from portal.celery import app
from portal.models import GeneratedDocument, OutboxMessage

from .conftest import client_for
from .test_exams_services import IN_REPORT, setup  # noqa: F401
from .test_faults import broker_down
from .test_worker import celery_worker  # noqa: F401
from .test_workflow import _report_in, ctx  # noqa: F401

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _wait(condition, seconds=60):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)  # polling a real worker, not timing a feature
    assert condition(), "the worker did not finish in time"


def test_i11_worker_broker_down_then_back_notices_and_document_produced_once(
    ctx, client, celery_worker
):
    app.conf.task_always_eager = True  # the preparation's own mails, at once
    try:
        report = _report_in("draft", ctx)
    finally:
        app.conf.task_always_eager = False
    mail.outbox.clear()
    OutboxMessage.objects.all().delete()
    staff = ctx["staff_a"]
    with broker_down():
        services.submit_report(report.pk, staff, now=IN_REPORT)
        response = client_for(client, staff).post(
            reverse("document_request", args=["shoshiki_1", ctx["provider_a"].pk])
        )
    assert response.status_code == 302
    assert ResultReport.objects.get(pk=report.pk).state == "submitted"
    assert GeneratedDocument.objects.get().status == GeneratedDocument.Status.PENDING
    assert list(OutboxMessage.objects.values_list("status", flat=True)) == ["pending"] * 3
    assert mail.outbox == []

    call_command("relay_outbox")  # Redis is back
    _wait(lambda: len(mail.outbox) >= 2)
    _wait(lambda: GeneratedDocument.objects.get().status == GeneratedDocument.Status.DONE)
    _wait(lambda: OutboxMessage.objects.filter(status="done").count() == 2)
    call_command("relay_outbox")  # nothing left to publish
    # Each notice delivered once more (a relay whose commit was lost): not sent again.
    for message in OutboxMessage.objects.filter(task_name="portal.send_mail"):
        result = app.send_task(
            "portal.send_mail", args=message.args, kwargs={"outbox_id": message.pk}
        )
        assert result.get(timeout=30) == 0
    document = GeneratedDocument.objects.get()
    again = app.send_task("portal.render_document", args=[document.pk]).get(timeout=30)
    assert again == document.checksum
    assert GeneratedDocument.objects.get().finished_at == document.finished_at
    assert len(mail.outbox) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([staff.email, "jitec-kouza@example.jp"])
