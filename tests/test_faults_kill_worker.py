"""Issue 11 item 3: the Celery worker killed (kill -9) in the middle of a
render. The message was not acknowledged (CELERY_TASK_ACKS_LATE), so Redis
gives it to the next worker after the visibility timeout (short for this test:
CELERY_VISIBILITY_TIMEOUT), which renders the document: one document, one
stored file. Real worker processes (tests/killable_worker.py) on the broker of
CELERY_BROKER_URL (Redis); run with `pytest -m worker -p no:xdist` on
PostgreSQL."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, transaction

from portal import services
from portal.celery import app
from portal.models import GeneratedDocument, OutboxMessage

from .factories import MembershipFactory, ProviderFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROOT = Path(__file__).resolve().parent.parent


def _wait(condition, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)  # polling real worker processes, not timing a feature
    raise AssertionError("the worker did not get there in time")


@pytest.fixture
def broker(tmp_path):
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis"):
        pytest.fail("this test needs Redis: set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/7)")
    import redis

    redis.Redis.from_url(url).flushdb()  # this test's own database number
    before = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.update(task_always_eager=False, broker_url=url)
    app._after_fork()  # new producer connections to this broker
    yield url
    app.conf.update(task_always_eager=before[0], broker_url=before[1])
    app._after_fork()


def _start_worker(broker_url, tmp_path, name, pool="solo"):
    settings = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings_test",
        "CELERY_BROKER_URL": broker_url,
        "CELERY_VISIBILITY_TIMEOUT": "2",
        "I11_RENDER_HOLD": str(tmp_path / "hold"),
        "I11_RENDER_STARTS": str(tmp_path / "starts"),
    }
    if settings["ENGINE"].endswith("postgresql"):
        env["DATABASE_URL"] = (
            f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
        )
    else:
        env["SQLITE_PATH"] = settings["NAME"]
    log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115  (closed with the process)
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tests.killable_worker", "worker",
         f"--pool={pool}", "--concurrency=1", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "-n", f"{name}@%h", "--loglevel=INFO"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def _starts(tmp_path):
    path = tmp_path / "starts"
    return path.read_text().split() if path.exists() else []


def test_i11_worker_killed_mid_render_task_runs_again_and_stores_one_document(broker, tmp_path):
    provider = ProviderFactory(number="30011")
    staff = MembershipFactory(provider=provider).user
    (tmp_path / "hold").write_text("")
    first = _start_worker(broker, tmp_path, "first")
    try:
        with transaction.atomic():
            generated = services.request_document("shoshiki_1", provider, staff)
        assert OutboxMessage.objects.get().status == OutboxMessage.Status.SENT
        _wait(lambda: len(_starts(tmp_path)) == 1)  # the first worker is rendering
        assert GeneratedDocument.objects.get(pk=generated.pk).status == "running"
        os.kill(first.pid, signal.SIGKILL)  # mid-render: nothing acknowledged
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    (tmp_path / "hold").unlink()  # the next worker renders at once
    second = _start_worker(broker, tmp_path, "second")
    try:
        _wait(
            lambda: (
                GeneratedDocument.objects.get(pk=generated.pk).status
                == GeneratedDocument.Status.DONE
            )
        )
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(timeout=30)
        except subprocess.TimeoutExpired:
            second.kill()
            second.wait()
    starts = _starts(tmp_path)
    assert len(starts) == 2 and starts[0] != starts[1]  # run again, by the new worker
    done = GeneratedDocument.objects.get(pk=generated.pk)
    assert GeneratedDocument.objects.count() == 1
    assert len(done.checksum) == 64
    assert done.checksum == GeneratedDocument.checksum_of(bytes(done.content))
    assert bytes(done.content)[:2] == b"PK"


def test_i11_worker_process_killed_mid_render_is_rejected_and_rendered_by_the_next_child(
    broker, tmp_path
):
    """The prefork pool's child killed (the OOM killer, kill -9): the parent
    gets WorkerLostError and, with CELERY_TASK_REJECT_ON_WORKER_LOST, puts the
    message back instead of acknowledging it as failed; its next child renders."""
    provider = ProviderFactory(number="30012")
    staff = MembershipFactory(provider=provider).user
    (tmp_path / "hold").write_text("")
    worker = _start_worker(broker, tmp_path, "prefork", pool="prefork")
    try:
        with transaction.atomic():
            generated = services.request_document("shoshiki_1", provider, staff)
        _wait(lambda: len(_starts(tmp_path)) == 1)
        child = int(_starts(tmp_path)[0])
        assert child != worker.pid
        os.kill(child, signal.SIGKILL)
        _wait(
            lambda: (
                GeneratedDocument.objects.get(pk=generated.pk).status
                == GeneratedDocument.Status.DONE
            )
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    starts = _starts(tmp_path)
    assert len(starts) == 2 and str(child) != starts[1]
    done = GeneratedDocument.objects.get(pk=generated.pk)
    assert GeneratedDocument.objects.count() == 1
    assert done.checksum == GeneratedDocument.checksum_of(bytes(done.content))
