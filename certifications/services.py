"""Issuing a 認定証 (C12): the PDF is rendered once, when it is issued, and
stored with the values printed on it; downloads serve the stored bytes."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.dispatch import receiver
from django.utils import timezone

from courses import services as course_services
from courses.models import ExemptionCourse, SubmissionStates
from portal import audit, workflow
from portal.roles import require_reviewer

from .models import IssuedCertificate


def issue(course, actor, on: datetime.date, *, reissue: bool = False, reason: str = ""):
    """Render the certificate of ``course`` as it stands now (issue date
    ``course.certificate_issued_on``) and store it as the next version. The
    caller holds the course's row lock inside its transaction."""
    from .documents import CERTIFICATE, certificate_data, render_certificate

    content = render_certificate(course)
    last = course.issued_certificates.aggregate(m=Max("version"))["m"] or 0
    now = timezone.now()
    return IssuedCertificate.objects.create(
        course=course,
        version=last + 1,
        kind=IssuedCertificate.Kind.REISSUE if reissue else IssuedCertificate.Kind.ISSUE,
        document_number=course.certificate_number,
        issued_on=on,
        reason=reason,
        issued_by=actor if actor is not None and actor.is_authenticated else None,
        created_at=now,
        filename=CERTIFICATE.filename(course, now),
        content=content,
        checksum=IssuedCertificate.checksum_of(content),
        data=certificate_data(course),
    )


def versions(course):
    """Every issued version of the course's certificate, newest first (without
    the bytes)."""
    return course.issued_certificates.defer("content").select_related("issued_by")


def record_download(issued: IssuedCertificate, user) -> None:
    """Downloads of an issued certificate are audited on its course."""
    audit.record(
        "certificate.download",
        issued.course,
        actor=user,
        note=f"{issued.filename}（{issued.document_number}・第{issued.version}版、"
        f"照合値 {issued.checksum[:12]}）",
    )


@receiver(workflow.transitioned, sender=ExemptionCourse, dispatch_uid="certificate_on_certify")
def issue_on_certification(sender, obj, action, actor, data, **kwargs):
    """C12: the certificate is a record: its PDF is stored as issued, in the
    transaction that certifies the course."""
    if action == "certify":
        issue(obj, actor, data["on"])


def reissue_certificate(
    course_pk: int, reviewer, reason: str, on: datetime.date | None = None
) -> ExemptionCourse:
    """C12 再発行 (e.g. after delivery courses were added): an explicit reviewer
    action. The new version carries today's data and its own issue date; the
    document number stays (M§5.2 and 別紙14 name one number per certificate);
    every earlier version stays stored and downloadable."""
    on = on or timezone.localdate()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "「再発行の理由」を入力してください。"})
    if len(reason) > 200:
        raise ValidationError({"reason": "「再発行の理由」は200文字以内で入力してください。"})
    if on > timezone.localdate():
        raise ValidationError({"on": "「発行日」に未来の日付は入力できません。"})
    with transaction.atomic():
        course = course_services._locked(course_pk)
        require_reviewer(reviewer)
        if not reviewer.has_perm("courses.review_course"):
            raise PermissionDenied("この操作を行う権限がありません。")
        if course.state != SubmissionStates.CERTIFIED or not course.certificate_number:
            raise course_services.CourseStateError(
                "認定証を再発行できるのは認定期間中の講座だけです"
                f"（現在の状態：{course.get_state_display()}）。"
            )
        previous = course.certificate_issued_on
        if previous and on < previous:
            raise ValidationError(
                {"on": f"「発行日」は前回の発行日（{previous:%Y年%-m月%-d日}）以降にしてください。"}
            )
        course.certificate_issued_on = on
        course_services._save(course)
        issued = issue(course, reviewer, on, reissue=True, reason=reason)
        audit.record(
            "course.certificate_reissue",
            course,
            actor=reviewer,
            changes={"certificate_issued_on": [previous, on]},
            note=f"認定証（{course.certificate_number}）を第{issued.version}版として再発行：{reason}",
        )
    return course
