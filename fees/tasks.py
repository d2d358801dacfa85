from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="fees.cancel_lapsed_problem_fees")
def cancel_lapsed_problem_fees() -> list[int]:
    """Beat, daily: cancel problem fees never paid for an exam that is past (E2)."""
    return services.cancel_lapsed_problem_fees(timezone.localdate())
