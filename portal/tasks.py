import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

from . import services


@shared_task(name="portal.render_document")
def render_document(generated_pk: int) -> str:
    return services.render_document(generated_pk).checksum


@shared_task(
    name="portal.send_mail",
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=1800,
    retry_kwargs={"max_retries": 6},
)
def send_notice_mail(subject: str, body: str, to: list[str]) -> int:
    """One notice e-mail (portal.notify.queue_on_commit), retried with a
    growing pause while the mail server refuses or cannot be reached."""
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)


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
