"""/health/: is this instance able to serve? (issue 11, item 6)

django-health-check runs the checks named in settings.HEALTH_CHECKS (database,
cache, media storage, free disk) and, when Celery has a broker and tasks are
not run eagerly, settings.HEALTH_CHECKS_CELERY too (the broker answers, a
worker answers its ping). compose's web health check and any monitor read it.

The public answer is only {"status": "ok"} (200) or {"status": "error"} (503):
the failing check's message, host names and versions go to the log
(django-health-check logs every failure), never to the client. An operator
sees the details with `manage.py health_check health --no-http`.
"""

import asyncio
import dataclasses
import datetime
import logging
import typing
from pathlib import Path

import celery
from django.conf import settings
from django.http import JsonResponse
from health_check.contrib.celery import Ping
from health_check.contrib.psutil import Disk
from health_check.contrib.redis import Redis
from health_check.views import HealthCheckView

logger = logging.getLogger(__name__)


def configured_checks() -> list:
    """The checks for this process's settings (read on every request, so a test
    may override them)."""
    checks = list(settings.HEALTH_CHECKS)
    if settings.CELERY_BROKER_URL and not settings.CELERY_TASK_ALWAYS_EAGER:
        checks += settings.HEALTH_CHECKS_CELERY
    return checks


def _media_volume() -> str:
    """MEDIA_ROOT, or its nearest existing parent before the first upload."""
    path = Path(settings.MEDIA_ROOT).resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    return str(path)


@dataclasses.dataclass
class MediaDisk(Disk):
    """The disk holding MEDIA_ROOT (uploads, certificates) has room left."""

    path: str = dataclasses.field(default_factory=_media_volume)


def _broker_client():
    from redis.asyncio import Redis as RedisClient

    return RedisClient.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=2)


@dataclasses.dataclass
class Broker(Redis):
    """The Celery broker (Redis, CELERY_BROKER_URL) answers a PING."""

    client_factory: typing.Callable = dataclasses.field(default=_broker_client, repr=False)


def _portal_app() -> celery.Celery:
    from .celery import app

    return app


@dataclasses.dataclass
class WorkerPing(Ping):
    """A Celery worker of the portal's app answers its ping and consumes the
    default queue."""

    app: celery.Celery = dataclasses.field(default_factory=_portal_app, repr=False)
    timeout: datetime.timedelta = dataclasses.field(
        default=datetime.timedelta(seconds=2), repr=False
    )


class HealthView(HealthCheckView):
    """Run the configured checks; answer only ok or error."""

    def get_checks(self):
        self.checks = configured_checks()
        return super().get_checks()

    async def get(self, request, *args, **kwargs):
        with self.get_executor() as executor:
            self.results = await asyncio.gather(
                *(check.get_result(executor) for check in self.get_checks())
            )
        failed = [result for result in self.results if result.error]
        if failed:
            logger.error(
                "health check failed: %s",
                "; ".join(f"{result.check!r}: {result.error}" for result in failed),
            )
            return JsonResponse({"status": "error"}, status=503)
        return JsonResponse({"status": "ok"})


health = HealthView.as_view()
