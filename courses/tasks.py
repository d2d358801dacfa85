from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="courses.certify_due_courses")
def certify_due_courses() -> list[int]:
    """Beat, 00:05 JST on the 1st: certify approved courses (C8)."""
    return services.certify_due_courses(timezone.localdate())


@shared_task(name="courses.expire_courses")
def expire_courses() -> list[int]:
    """Beat, daily: end certifications past their end date (C11)."""
    return services.expire_courses(timezone.localdate())
