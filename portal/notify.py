"""E-mail notices, sent after the transaction commits."""

from django.conf import settings
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
    transaction has committed, through the outbox (portal.outbox): written
    with the change, it is sent when the broker is back if it is down now. A
    mail that cannot be sent is retried, then shown as 失敗 in the admin; it
    never undoes or blocks what was committed."""
    from . import outbox

    recipients = [r for r in to if r]
    if recipients:
        outbox.enqueue("portal.send_mail", subject, body, recipients)
