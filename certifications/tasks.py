from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="certifications.report_evidence_due")
def report_evidence_due() -> list[int]:
    """Beat, on the 1st of each month (E9, M§6.14.3): e-mail IPA the result
    reports whose evidence has been kept one year and may be deleted."""
    return services.report_evidence_due(timezone.localdate())
