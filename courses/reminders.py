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

from portal import bizdays, reminders, workflow

from .models import DeliveryCourse, ExemptionCourse

ENDING_DAYS_BEFORE = 60
DELIVERY_ANSWER_DAYS = 5  # D7: IPA answers within 5 business days


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
    submission."""
    filed_on = timezone.localdate(delivery.submitted_at)
    return bizdays.add_business_days(filed_on, DELIVERY_ANSWER_DAYS)


def overdue_deliveries(today: datetime.date):
    """D7: the delivery courses added to a certified course (those filed with
    their course are reviewed with it) waiting for IPA past their due date."""
    waiting = workflow.for_model("courses.DeliveryCourse").values(lambda s: s.waiting_for_ipa)
    certified = workflow.for_model("courses.ExemptionCourse").values(lambda s: s.in_force)
    deliveries = DeliveryCourse.objects.filter(
        state__in=waiting, submitted_at__isnull=False, course__state__in=certified
    ).select_related("course__provider")
    for delivery in deliveries.order_by("submitted_at", "pk"):
        due_on = delivery_answer_due(delivery)
        if due_on < today:
            yield reminders.Overdue(
                key=reminders.object_key(delivery),
                title=f"実施講座の追加申請 {delivery.number}（{delivery.name}）",
                due_on=due_on,
                link=reverse("review_course_detail", args=[delivery.course_id]),
                provider=delivery.course.provider,
            )


reminders.register(
    reminders.Kind(
        name="certification_ending",
        label=f"免除対象講座の認定終了日の{ENDING_DAYS_BEFORE}日前",
        template="reminder_certification_ending",
        due=certification_ending,
        order=30,
    )
)
reminders.register_overdue_source("courses.delivery", overdue_deliveries)
