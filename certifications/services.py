"""Issuing a 認定証 (C12): the PDF is rendered once, when it is issued, and
stored with the values printed on it; downloads serve the stored bytes."""

import datetime

from django.db.models import Max
from django.utils import timezone

from portal import audit

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
