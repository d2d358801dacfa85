# ruff: noqa: F811  (fixtures imported)
"""Issue 11 item 3, faults survived (eager level; the real worker's side is in
tests/test_faults_worker.py): the broker down while a provider submits (the
transactional outbox, portal.outbox, and its relay), the mail server refusing
connections (retried, then 失敗 in the admin with 再送), PostgreSQL failing
under a request (a Japanese 503 page, nothing half-saved, the next request
served)."""

import os
import socket
from contextlib import contextmanager
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import OperationalError, close_old_connections, connection, connections
from django.test import Client
from django.urls import reverse

from exams import services
from exams.models import ResultReport
from portal.celery import app
from portal.models import GeneratedDocument, OutboxMessage

from .conftest import client_for
from .test_exams_services import IN_REPORT, setup  # noqa: F401
from .test_workflow import _report_in, ctx  # noqa: F401

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    """A local TCP port nothing listens on (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reset_broker_pools():
    """Forget the producer connections, so that the next publish connects to
    the broker URL now configured."""
    app._after_fork()  # what Celery does in a forked child: new pools on next use


@contextmanager
def broker_down():
    """Redis unreachable: tasks are published (not run in-process) to a closed port."""
    down = f"redis://127.0.0.1:{closed_port()}/0"
    before = (app.conf.task_always_eager, app.conf.broker_url)
    # Celery reads CELERY_BROKER_URL from the environment before its settings.
    with mock.patch.dict(os.environ, {"CELERY_BROKER_URL": down}):
        app.conf.update(task_always_eager=False, broker_url=down)
        reset_broker_pools()
        try:
            yield
        finally:
            app.conf.update(task_always_eager=before[0], broker_url=before[1])
    reset_broker_pools()


@pytest.fixture
def retrying_eagerly():
    """As the worker does: a failed task is retried (here at once, in-process)."""
    before = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = before


# --- Redis (broker) down while a provider submits ----------------------------


def test_i11_broker_down_submission_saved_and_notices_sent_once_by_the_relay(
    ctx, django_capture_on_commit_callbacks
):
    report = _report_in("draft", ctx)
    mail.outbox.clear()
    OutboxMessage.objects.all().delete()
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        services.submit_report(report.pk, ctx["staff_a"], now=IN_REPORT)
    assert ResultReport.objects.get(pk=report.pk).state == "submitted"  # the filing stands
    waiting = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING)
    assert waiting.count() == 2 and {m.task_name for m in waiting} == {"portal.send_mail"}
    assert all(m.attempts == 1 and "Redis" in m.last_error for m in waiting)
    assert mail.outbox == []
    # The relay while Redis is still down: nothing lost, nothing sent.
    with broker_down():
        call_command("relay_outbox")
    assert waiting.count() == 2 and mail.outbox == []
    # Redis is back (eager: the task runs as the worker would).
    with django_capture_on_commit_callbacks(execute=True):
        call_command("relay_outbox")
        call_command("relay_outbox")  # a second relay publishes nothing again
    assert len(mail.outbox) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [ctx["staff_a"].email, "jitec-kouza@example.jp"]
    )
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"done"}


def test_i11_broker_down_document_requested_by_the_view_rendered_once_back(
    client, provider_a, staff_a, django_capture_on_commit_callbacks
):
    client_for(client, staff_a)
    url = reverse("document_request", args=["shoshiki_1", provider_a.pk])
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302  # the request page, not an error
    generated = GeneratedDocument.objects.get()
    assert generated.status == GeneratedDocument.Status.PENDING
    message = OutboxMessage.objects.get(task_name="portal.render_document")
    assert (message.status, message.args) == ("pending", [generated.pk])
    with django_capture_on_commit_callbacks(execute=True):
        call_command("relay_outbox")
    generated.refresh_from_db()
    assert generated.status == GeneratedDocument.Status.DONE
    finished, checksum = generated.finished_at, generated.checksum
    # Delivered again (a relay's commit lost after the publish): nothing changes.
    app.tasks["portal.render_document"].apply((generated.pk,))
    generated.refresh_from_db()
    assert (generated.finished_at, generated.checksum) == (finished, checksum)


def test_i11_outbox_message_is_published_once_and_a_redelivered_mail_not_sent_twice(
    provider_a, staff_a, django_capture_on_commit_callbacks
):
    from portal import notify

    with django_capture_on_commit_callbacks(execute=True):
        notify.queue_on_commit("件名", "本文", ["x@example.jp"])
    message = OutboxMessage.objects.get()
    assert message.status == "done" and message.attempts == 1 and len(mail.outbox) == 1
    assert call_command("relay_outbox") is None and message.attempts == 1
    app.tasks["portal.send_mail"].apply(
        ("件名", "本文", ["x@example.jp"]), {"outbox_id": message.pk}
    )
    assert len(mail.outbox) == 1  # recorded as sent: the second delivery sends nothing


def test_i11_relay_stops_at_the_first_broker_error_and_keeps_the_order(
    provider_a, staff_a, django_capture_on_commit_callbacks
):
    from portal import notify, outbox

    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            notify.queue_on_commit(f"件名{n}", "本文", ["x@example.jp"])
    with broker_down():
        assert outbox.relay() == 0
    attempts = list(OutboxMessage.objects.order_by("created_at", "id").values_list("attempts"))
    assert attempts == [(2,), (1,), (1,)]  # one refused try per round, not one per message
    assert outbox.relay() == 3
    assert [m.subject for m in mail.outbox] == ["件名0", "件名1", "件名2"]


# --- SMTP refusing connections -------------------------------------------------


def test_i11_smtp_refused_transition_stands_mail_retried_then_failed_in_admin_and_resent(
    ctx, settings, retrying_eagerly, django_capture_on_commit_callbacks, client
):
    report = _report_in("draft", ctx)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    OutboxMessage.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_report(report.pk, ctx["staff_a"], now=IN_REPORT)
    assert ResultReport.objects.get(pk=report.pk).state == "submitted"
    failed = OutboxMessage.objects.filter(status=OutboxMessage.Status.FAILED)
    assert failed.count() == 2
    assert all("メールサーバーに接続できませんでした" in m.last_error for m in failed)

    admin = client_for(client, ctx["ipa_admin"])
    changelist = reverse("admin:portal_outboxmessage_changelist")
    page = admin.get(changelist, {"status__exact": "failed"}).content.decode()
    assert "通知・書類作成の処理" in page and "失敗" in page and "通知メールの送信" in page
    assert "結果報告" in page or "報告" in page  # the subject, in Japanese
    assert "選択した通知を再送する" in page
    assert ">failed<" not in page and ">pending<" not in page
    assert "メールサーバーに接続できませんでした" in page and "ConnectionRefused" not in page

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # SMTP is back
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            changelist,
            {"action": "resend", "_selected_action": list(failed.values_list("pk", flat=True))},
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 2
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"done"}


# --- PostgreSQL failing under a request ------------------------------------------


def _terminate_on_insert_into(table):
    """Kill the request's database session when it writes ``table`` (PostgreSQL:
    pg_terminate_backend from a second connection, as a restart does; SQLite:
    the error psycopg would raise)."""

    def wrapper(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("INSERT") and f'"{table}"' in sql:
            if connection.vendor == "postgresql":
                pid = context["connection"].connection.info.backend_pid
                other = connections.create_connection("default")
                try:
                    with other.cursor() as cursor:
                        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
                finally:
                    other.close()
            else:
                raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    return wrapper


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_i11_database_lost_mid_filing_gives_japanese_503_nothing_saved_next_request_ok(
    provider_a, staff_a
):
    client = Client(raise_request_exception=False)
    client.force_login(staff_a)
    url = reverse("document_request", args=["shoshiki_1", provider_a.pk])
    # The request writes its document row, then the outbox row: the session
    # dies between the two.
    with connection.execute_wrapper(_terminate_on_insert_into("portal_outboxmessage")):
        response = client.post(url)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "ただいまサービスを利用できません" in page and "もう一度操作してください" in page
    assert "Service Unavailable" not in page and "OperationalError" not in page
    assert not GeneratedDocument.objects.exists()  # nothing half-saved
    assert not OutboxMessage.objects.exists()
    response = client.post(url)  # the database is back: served again
    assert response.status_code == 302
    assert GeneratedDocument.objects.get().status == GeneratedDocument.Status.DONE


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_i11_stale_connection_after_a_database_restart_costs_no_request(provider_a, staff_a):
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    client = Client(raise_request_exception=False)
    client.force_login(staff_a)
    # The test client leaves out what the WSGI handler does around requests.
    close_old_connections()
    assert client.get(reverse("home")).status_code == 200
    close_old_connections()
    connection.ensure_connection()
    if connection.vendor == "postgresql":  # a persistent connection (conn_max_age=60) is killed
        pid = connection.connection.info.backend_pid
        other = connections.create_connection("default")
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        other.close()
    assert client.get(reverse("home")).status_code == 200  # checked, replaced, served
