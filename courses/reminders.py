"""The reminders of courses (portal.reminders), found by
portal.reminders.kinds():

* C11/C13: a certification ends in 60 days (it is never extended: a new
  course is applied for), to the provider's registered contact;
* D7: a delivery course waiting for IPA's answer more than 5 IPA business
  days after its submission, to IPA (an items-overdue source).
"""

import datetime

from django.urls import reverse
from django.utils import timezone

from portal import reminders, workflow

from . import rules
from .models import ExemptionCourse

ENDING_DAYS_BEFORE = 60


def certification_ending(today: datetime.date):
    """From 60 days before the end date until the end date."""
    certified = workflow.for_model("courses.ExemptionCourse").values(lambda s: s.in_force)
    courses = ExemptionCourse.objects.filter(
        state__in=certified,
        valid_until__gte=today,
        valid_until__lte=today + datetime.timedelta(days=ENDING_DAYS_BEFORE),
    ).select_related("provider")
    for course in courses.order_by("valid_until", "pk"):
        yield reminders.Reminder(
            key=reminders.object_key(course),
            occasion=f"{course.valid_until:%Y-%m-%d}",
            to=reminders.provider_contact(course.provider),
            link=reverse("course_detail", args=[course.pk]),
            context={
                "provider": course.provider,
                "course": course,
                "days": (course.valid_until - today).days,
            },
        )


def delivery_answer_due(delivery) -> datetime.date:
    """D7: IPA answers a delivery course within 5 IPA business days of its
    submission (courses.rules.delivery_review_due, also the inbox's due date)."""
    return rules.delivery_review_due(timezone.localdate(delivery.submitted_at))


reminders.register(
    reminders.Kind(
        name="certification_ending",
        label=f"免除対象講座の認定終了日の{ENDING_DAYS_BEFORE}日前",
        template="reminder_certification_ending",
        due=certification_ending,
        order=30,
    )
)
# Delivery courses overdue at IPA (D7) are reminded through the inbox's
# source (portal.inbox.overdue_items), whose due date is delivery_answer_due's.
