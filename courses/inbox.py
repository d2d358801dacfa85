"""The courses app's items in IPA's inbox (portal.inbox, W2): exemption
courses under review (C8) and delivery courses filed on their own, after
their course was certified (D7: IPA answers within 5 business days).
Delivery courses filed with their course are reviewed with it and are not
listed twice."""

from django.db.models import F
from django.urls import reverse

from portal import inbox, workflow
from portal.inbox import local_date

from . import rules
from .models import DeliveryCourse, ExemptionCourse


def _states(model, predicate):
    return workflow.for_model(model).values(predicate)


inbox.register_source(
    inbox.InboxSource(
        kind="course",
        label="免除対象講座",
        order=20,
        queryset=lambda: ExemptionCourse.objects.filter(
            state__in=_states(ExemptionCourse, lambda s: s.waiting_for_ipa)
        ).select_related("provider"),
        summary=lambda qs: qs.values(
            "pk",
            "state",
            "submitted_at",
            "desired_month",
            provider_number=F("provider__number"),
            provider_name=F("provider__name"),
        ),  # fmt: skip
        state=inbox.workflow_state("courses.ExemptionCourse"),
        due=lambda row: rules.course_review_due(row["desired_month"]),
        due_note="認定希望月の前月1日（不備の解消期限）まで",
        url=lambda c: reverse("review_course_detail", args=[c.pk]),
        title=lambda c: c.name,
    )
)

inbox.register_source(
    inbox.InboxSource(
        kind="delivery",
        label="実施講座",
        order=30,
        queryset=lambda: DeliveryCourse.objects.filter(
            state__in=_states(DeliveryCourse, lambda s: s.waiting_for_ipa),
            course__state__in=_states(ExemptionCourse, lambda s: s.in_force),
        ).select_related("course__provider"),
        summary=lambda qs: qs.values(
            "pk",
            "state",
            "submitted_at",
            provider_number=F("course__provider__number"),
            provider_name=F("course__provider__name"),
        ),  # fmt: skip
        state=inbox.workflow_state("courses.DeliveryCourse"),
        due=lambda row: (
            rules.delivery_review_due(local_date(row["submitted_at"]))
            if row["submitted_at"]
            else None
        ),
        due_note="申請から5営業日以内に回答",
        url=lambda d: reverse("review_course_detail", args=[d.course_id]) + f"#delivery-{d.pk}",
        title=lambda d: d.name,
    )
)
