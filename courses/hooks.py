"""What this app tells the apps below it through their hooks (registered on
import, from CoursesConfig.ready), so that they import nothing of courses:

* providers: the revoked courses that bar their provider (P6);
* fees: what a confirmed review fee means for the course (F3), and which
  unpaid review fees nothing could ever close (C9).
"""

from django.db.models import Q
from django.dispatch import receiver

from fees import services as fee_services
from fees.models import FeeKind
from fees.signals import payment_confirmed
from providers import services as provider_services

from . import services
from .models import ExemptionCourse, SubmissionStates


def revoked_course_dates(provider):
    """P6 (M§2.5): a revoked course bars its provider for two years."""
    return ExemptionCourse.objects.filter(provider=provider, revoked_on__isnull=False).values_list(
        "revoked_on", flat=True
    )


def providers_with_revoked_courses():
    return ExemptionCourse.objects.filter(revoked_on__isnull=False).values("provider_id")


provider_services.register_revocation_source(revoked_course_dates, providers_with_revoked_courses)


@receiver(payment_confirmed, dispatch_uid="courses.review_fee_paid")
def review_fee_paid(sender, *, lines, on, actor, **kwargs):
    """F3: the courses whose review fee was on the confirmed 入金確認依頼票 may
    be reviewed; each keeps its 入金確認日."""
    course_ids = sorted(
        {line.course_id for line in lines if line.kind == FeeKind.REVIEW and line.course_id}
    )
    for course_id in course_ids:
        services.record_review_fee_paid(course_id, on, actor)


def orphaned_review_fees(unpaid, today):
    """C9 (M§5.3): a review fee of a course deleted or withdrawn."""
    gone = unpaid.filter(Q(course__isnull=True) | Q(course__state=SubmissionStates.WITHDRAWN))
    if gone.exists():
        return [(gone, "入金が確認できず、免除対象講座は削除または取り下げ済みのため")]
    return []


fee_services.register_orphans(FeeKind.REVIEW, orphaned_review_fees)


def review_fee_receipt_days(lines):
    """F4 (M§14): a receipt for a review fee is issued from the day the
    course's certificate was first issued — its 認定日 (a 再発行 moves
    ``certificate_issued_on``, not the day the receipt became available)."""
    ids = {line.course_id for line in lines if line.course_id}
    issued = dict(
        ExemptionCourse.objects.filter(pk__in=ids)
        .exclude(certificate_number="")
        .values_list("pk", "certified_on")
    )
    return {line.pk: issued.get(line.course_id) for line in lines}


fee_services.register_receipt_day(FeeKind.REVIEW, "認定証の発行日", review_fee_receipt_days)
