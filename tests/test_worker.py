"""Celery integration through a real worker (run in its own pytest invocation:
`pytest -m worker`). Uses CELERY_BROKER_URL (Redis in CI); on a machine with no
broker it falls back to kombu's in-process memory transport, still a real
worker consuming real messages."""

import os
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import transaction

from portal import services
from portal.celery import app
from portal.models import GeneratedDocument

from .factories import MembershipFactory, ProviderFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(scope="module")
def celery_worker():
    broker = os.environ.get("CELERY_BROKER_URL") or "memory://"
    backend = "redis" + broker[len("redis") :] if broker.startswith("redis") else "cache+memory://"
    app.conf.update(
        task_always_eager=False,
        broker_url=broker,
        result_backend=backend,
        task_ignore_result=False,
    )
    _rebind_results(ignore=False)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as worker:
        yield worker
    app.conf.update(task_always_eager=True, task_ignore_result=True, result_backend=None)
    _rebind_results(ignore=True)


def _rebind_results(ignore):
    """Celery keeps the result backend it built first (per thread) and copies
    task_ignore_result onto each task when the app is finalised: refresh both,
    so results are stored even when an earlier test (the kill -9 tests) used
    the app with results off."""
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)
    for task in app.tasks.values():
        task.ignore_result = ignore


def _wait_done(pk, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        generated = GeneratedDocument.objects.get(pk=pk)
        if generated.status in (GeneratedDocument.Status.DONE, GeneratedDocument.Status.FAILED):
            return generated
        time.sleep(0.05)  # polling a real worker, not timing a feature
    raise AssertionError("the worker did not finish the document in time")


def test_worker_renders_document_enqueued_on_commit(celery_worker):
    assert not app.conf.task_always_eager
    provider = ProviderFactory(number="30001", name="ワーカー学園")
    staff = MembershipFactory(provider=provider).user
    with transaction.atomic():
        generated = services.request_document("shoshiki_1", provider, staff)
        # Not sent before the commit: the worker must see the committed row.
        assert GeneratedDocument.objects.get(pk=generated.pk).status == "pending"
    done = _wait_done(generated.pk)
    assert done.status == GeneratedDocument.Status.DONE
    assert done.filename.startswith("(30001)申請書式1：認定申請者情報申請書_")
    assert len(done.checksum) == 64
    assert bytes(done.content)[:2] == b"PK"


def test_worker_task_delivered_twice_keeps_one_result(celery_worker):
    from portal.tasks import render_document

    provider = ProviderFactory(number="30002")
    staff = MembershipFactory(provider=provider).user
    with transaction.atomic():
        generated = services.request_document("shoshiki_1", provider, staff)
    first = _wait_done(generated.pk)
    checksum = render_document.delay(generated.pk).get(timeout=30)
    assert checksum == first.checksum
    assert GeneratedDocument.objects.get(pk=generated.pk).finished_at == first.finished_at
