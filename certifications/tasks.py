from celery import shared_task

from . import services


@shared_task(name="certifications.delete_staged_uploads")
def delete_staged_uploads() -> int:
    """Beat, hourly (issue 11): delete staged bulk uploads older than 24 hours."""
    return services.delete_staged_uploads()
