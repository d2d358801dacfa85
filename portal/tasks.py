import logging
import smtplib

from celery import Task, shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from . import outbox, services
from .models import OutboxMessage

log = logging.getLogger(__name__)

# The tasks published through portal.outbox that take its row's id (``outbox_id``).
TASKS_WITH_OUTBOX_ID = {"portal.send_mail"}


@shared_task(name="portal.render_document")
def render_document(generated_pk: int) -> str:
    # Idempotent: a document already rendered is left as it is (a message
    # delivered twice, or run again after its worker was killed).
    return services.render_document(generated_pk).checksum


class NoticeMailTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        """The retries are exhausted (or the error is not retried): the notice
        shows as 失敗 in the admin, with the error, to be sent again (再送)."""
        outbox_id = kwargs.get("outbox_id")
        log.error("notice mail (outbox #%s) not sent: %r", outbox_id, exc)
        if outbox_id:
            OutboxMessage.objects.filter(pk=outbox_id).exclude(
                status=OutboxMessage.Status.DONE
            ).update(status=OutboxMessage.Status.FAILED, last_error=outbox.describe_error(exc))


@shared_task(
    base=NoticeMailTask,
    name="portal.send_mail",
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=1800,
    retry_kwargs={"max_retries": 6},
)
def send_notice_mail(subject: str, body: str, to: list[str], outbox_id: int | None = None) -> int:
    """One notice e-mail (portal.notify.queue_on_commit), retried with a
    growing pause while the mail server refuses or cannot be reached. With
    its outbox row: sent once, however often the message is delivered (the
    row, locked while sending, says 完了 once it was sent)."""
    if outbox_id is None:
        return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(pk=outbox_id).first()
        if message is None or message.status == OutboxMessage.Status.DONE:
            return 0
        sent = send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)
        message.status = OutboxMessage.Status.DONE
        message.done_at = timezone.now()
        message.last_error = ""
        message.save(update_fields=["status", "done_at", "last_error"])
    return sent


@shared_task(name="portal.send_reminders")
def send_reminders(today: str | None = None) -> int:
    """The daily reminders (portal.reminders) of every registered kind, for
    today in Asia/Tokyo or the ISO date ``today``; a re-run sends nothing
    twice."""
    import datetime

    from . import reminders

    return reminders.run(datetime.date.fromisoformat(today) if today else None)


@shared_task(name="portal.delete_old_idempotency_keys")
def delete_old_idempotency_keys() -> int:
    """Beat, daily (issue 11): one-time form tokens older than two days."""
    from .idempotency import delete_old_keys

    return delete_old_keys()
