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
