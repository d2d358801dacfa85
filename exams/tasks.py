from celery import shared_task
from django.utils import timezone

from . import delivery


@shared_task(name="exams.problem_recipient_accounts")
def problem_recipient_accounts() -> dict:
    """Beat, hourly (E3): make the named recipients' temporary accounts once
    the application window has closed, remove them after the report window."""
    now = timezone.now()
    made = delivery.create_recipient_accounts(now)
    removed = delivery.remove_recipient_accounts(now)
    return {"created": [a.pk for a in made], "removed": [a.pk for a in removed]}


@shared_task(name="exams.remind_undownloaded")
def remind_undownloaded() -> list[int]:
    """Beat, Fridays 09:00 JST (M§6.3): remind recipients who have not
    downloaded the problems, once per recipient and exam date."""
    return [r.pk for r in delivery.remind_undownloaded(timezone.localdate())]
