"""E-mail notices, sent after the transaction commits."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string


def send_on_commit(template: str, context: dict, to: list[str]) -> None:
    """Render ``templates/mail/<template>.txt`` (first line = subject) and send
    it once the surrounding transaction has committed."""
    context = {"site_url": settings.SITE_URL, **context}
    text = render_to_string(f"mail/{template}.txt", context).lstrip()
    subject, _, body = text.partition("\n")
    recipients = [r for r in to if r]

    def _send():
        send_mail(subject.strip(), body.strip() + "\n", settings.DEFAULT_FROM_EMAIL, recipients)

    if recipients:
        transaction.on_commit(_send)
