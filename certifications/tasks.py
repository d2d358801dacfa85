from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="certifications.report_evidence_due")
def report_evidence_due() -> list[int]:
    """Beat, on the 1st of each month (E9, M§6.14.3): e-mail IPA the result
    reports whose evidence has been kept one year and may be deleted."""
    return services.report_evidence_due(timezone.localdate())


@shared_task(name="certifications.delete_staged_uploads")
def delete_staged_uploads() -> int:
    """Beat, hourly (issue 11): delete staged bulk uploads older than 24 hours."""
    return services.delete_staged_uploads()
