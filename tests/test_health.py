"""Issue 11 (item 6): /health/ for compose's health checks and monitors."""

import json
from unittest import mock

import pytest
from django.test import override_settings
from health_check.exceptions import ServiceUnavailable

from portal import health


@pytest.mark.django_db
def test_i11_6_health_answers_ok_with_database_and_cache_up(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}
    # Never cached by a proxy: a stale "ok" would hide an outage.
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_i11_6_health_answers_503_without_details_when_the_database_fails(client, caplog):
    secret_detail = "could not connect to server db.internal:5432 as portal"
    with mock.patch(
        "health_check.checks.Database.run", side_effect=ServiceUnavailable(secret_detail)
    ):
        response = client.get("/health/", HTTP_ACCEPT="text/html")
    assert response.status_code == 503
    assert json.loads(response.content) == {"status": "error"}
    # The public sees neither the check's message nor what failed; the log does.
    assert b"db.internal" not in response.content
    assert b"Database" not in response.content
    assert secret_detail in caplog.text


@pytest.mark.django_db
def test_i11_6_health_answers_503_when_the_cache_fails(client):
    with mock.patch("health_check.checks.Cache.run", side_effect=ServiceUnavailable("down")):
        assert client.get("/health/").status_code == 503


def test_i11_6_health_checks_broker_and_worker_only_with_a_broker():
    names = lambda: [c if isinstance(c, str) else c[0] for c in health.configured_checks()]  # noqa: E731
    # The test settings run tasks eagerly (even when CI exports a broker).
    assert names() == [
        "health_check.checks.Database",
        "health_check.checks.Cache",
        "health_check.checks.Storage",
        "portal.health.MediaDisk",
    ]
    with override_settings(
        CELERY_BROKER_URL="redis://redis:6379/0", CELERY_TASK_ALWAYS_EAGER=False
    ):
        assert names()[-2:] == ["portal.health.Broker", "portal.health.WorkerPing"]
    with override_settings(CELERY_BROKER_URL="", CELERY_TASK_ALWAYS_EAGER=True):
        assert "portal.health.WorkerPing" not in names()


def test_i11_6_health_worker_ping_uses_the_portal_app():
    from portal.celery import app

    assert health.WorkerPing().app is app
    assert health.Broker().client_factory is health._broker_client
