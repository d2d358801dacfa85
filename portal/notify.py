"""E-mail notices, sent after the transaction commits."""

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string


def render(template: str, context: dict) -> tuple[str, str]:
    """Render ``templates/mail/<template>.txt``: (subject = first line, body)."""
    context = {"site_url": settings.SITE_URL, **context}
    text = render_to_string(f"mail/{template}.txt", context).lstrip()
    subject, _, body = text.partition("\n")
    return subject.strip(), body.strip() + "\n"


def send_on_commit(template: str, context: dict, to: list[str]) -> None:
    """Render ``templates/mail/<template>.txt`` (first line = subject) and send
    it once the surrounding transaction has committed, by the retried Celery
    task (``queue_on_commit``)."""
    subject, body = render(template, context)
    queue_on_commit(subject, body, to)


def queue_on_commit(subject: str, body: str, to: list[str]) -> None:
    """Send one e-mail by the Celery task ``portal.send_mail`` once the
    transaction has committed. ``robust``: a mail that cannot be queued or
    sent is logged and never undoes or blocks what was committed."""
    from .tasks import send_notice_mail

    recipients = [r for r in to if r]
    if recipients:
        transaction.on_commit(
            lambda: send_notice_mail.delay(subject, body, recipients), robust=True
        )
