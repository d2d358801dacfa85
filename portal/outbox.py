"""The transactional outbox: Celery tasks that survive a broker outage.

``enqueue`` writes an :class:`~portal.models.OutboxMessage` in the caller's
transaction, so the message exists exactly when the change it belongs to was
committed. After the commit it is published at once; when the broker (Redis)
cannot be reached it simply stays 送信待ち and ``manage.py relay_outbox``
publishes it later. The relay is a command, not a beat task, because a beat
task needs the very broker that is down; docker-compose runs it in a small
loop service (``relay_outbox --loop``). Requests do not retry the backlog: a
broker that is down would add its timeout to every user's request.

A message is published once: it is marked 処理中 under
``select_for_update(skip_locked=True)`` in the transaction that publishes it,
so the immediate attempt and any number of relays never take the same row.
Should the commit after a publish fail, the message is published again; the
tasks are idempotent for that (a finished document is left as it is, a notice
e-mail marks its row 完了 and is not sent twice).
"""

import logging
import smtplib

from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from .models import OutboxMessage

log = logging.getLogger(__name__)

# The immediate attempt and the relay fail fast while the broker is down (the
# relay tries again on its next round); kombu's default would retry for seconds.
PUBLISH_RETRY_POLICY = {"max_retries": 0}


def enqueue(task_name: str, *args) -> OutboxMessage:
    """Record a task in the current transaction; publish it after the commit."""
    message = OutboxMessage.objects.create(task_name=task_name, args=list(args))
    transaction.on_commit(lambda: publish([message.pk]), robust=True)
    return message


def relay(limit: int = 100) -> int:
    """Publish the messages still waiting, oldest first; the number published.
    Stops at the first broker error (it is down: the next round tries again)."""
    ids = list(
        OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    return publish(ids)


def publish(ids) -> int:
    published = 0
    for pk in ids:
        try:
            if _publish_one(pk):
                published += 1
        except BrokerError as exc:
            OutboxMessage.objects.filter(pk=pk, status=OutboxMessage.Status.PENDING).update(
                attempts=_plus_one(), last_error=describe_error(exc)
            )
            log.warning("outbox message #%s waits: the broker cannot be reached (%s)", pk, exc)
            break
    return published


def _plus_one():
    from django.db.models import F

    return F("attempts") + 1


def _publish_one(pk: int) -> bool:
    from .celery import app
    from .tasks import TASKS_WITH_OUTBOX_ID  # noqa: F401  (registers the tasks)

    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, status=OutboxMessage.Status.PENDING)
            .first()
        )
        if message is None:  # published already, or taken by another relay
            return False
        message.status = OutboxMessage.Status.SENT
        message.sent_at = timezone.now()
        message.attempts += 1
        message.last_error = ""
        message.save(update_fields=["status", "sent_at", "attempts", "last_error"])
        task = app.tasks[message.task_name]
        kwargs = {"outbox_id": message.pk} if message.task_name in TASKS_WITH_OUTBOX_ID else {}
        try:
            task.apply_async(
                tuple(message.args), kwargs, retry=True, retry_policy=PUBLISH_RETRY_POLICY
            )
        except BrokerError:
            raise  # rolls the row back to 送信待ち
        except Exception:
            # Eager mode (no broker): the task ran here and failed; the task
            # recorded its own failure. The message was delivered.
            log.exception("outbox message #%s: the task failed when run in-process", pk)
    return True


def resend(queryset) -> int:
    """The admin's 再送: failed (or stuck) notices go back to 送信待ち and are
    published after the commit; the number queued."""
    ids = list(queryset.exclude(status=OutboxMessage.Status.DONE).values_list("pk", flat=True))
    OutboxMessage.objects.filter(pk__in=ids).update(
        status=OutboxMessage.Status.PENDING, sent_at=None, done_at=None, attempts=0
    )
    transaction.on_commit(lambda: publish(ids), robust=True)
    return len(ids)


def describe_error(exc: BaseException) -> str:
    """The error in Japanese for the admin (the technical detail is in the log)."""
    if isinstance(exc, BrokerError):
        what = "キュー（Redis）に接続できませんでした"
    elif isinstance(exc, smtplib.SMTPRecipientsRefused):
        what = "メールサーバーが宛先を受け付けませんでした"
    elif isinstance(exc, smtplib.SMTPException):
        what = "メールサーバーが送信を拒否しました"
    elif isinstance(exc, OSError):
        what = "メールサーバーに接続できませんでした"
    else:
        what = "処理中にエラーが発生しました"
    return f"{what}。"
