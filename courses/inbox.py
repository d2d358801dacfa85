"""The courses app's items in IPA's inbox (portal.inbox, W2): exemption
courses under review (C8) and delivery courses filed on their own, after
their course (D7: IPA answers within 5 business days). Delivery courses filed
with their course are reviewed with it and are not listed twice."""

from django.urls import reverse

from portal import inbox, workflow
from portal.inbox import local_date

from . import rules
from .models import DeliveryCourse, ExemptionCourse


def _waiting(model):
    return workflow.for_model(model).values(lambda s: s.waiting_for_ipa)


def _in_force(model):
    return workflow.for_model(model).values(lambda s: s.in_force)


inbox.register_source(
    inbox.InboxSource(
        kind="course",
        label="免除対象講座",
        order=20,
        queryset=lambda: (
            ExemptionCourse.objects.filter(state__in=_waiting(ExemptionCourse))
            .select_related("provider")
            .order_by("submitted_at", "pk")
        ),
        due=lambda c: rules.course_review_due(c.desired_month),
        due_note="認定希望月の前月1日（不備の解消期限）まで",
        url=lambda c: reverse("review_course_detail", args=[c.pk]),
        provider=lambda c: (c.provider.number, c.provider.name),
        title=lambda c: c.name,
    )
)

inbox.register_source(
    inbox.InboxSource(
        kind="delivery",
        label="実施講座",
        order=30,
        queryset=lambda: (
            DeliveryCourse.objects.filter(state__in=_waiting(DeliveryCourse))
            .filter(course__state__in=_in_force(ExemptionCourse))
            .select_related("course__provider")
            .order_by("submitted_at", "pk")
        ),
        due=lambda d: (
            rules.delivery_review_due(local_date(d.submitted_at)) if d.submitted_at else None
        ),
        due_note="申請から5営業日以内に回答",
        url=lambda d: reverse("review_course_detail", args=[d.course_id]) + f"#delivery-{d.pk}",
        provider=lambda d: (d.course.provider.number, d.course.provider.name),
        title=lambda d: d.name,
    )
)
