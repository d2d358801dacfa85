"""基本情報技術者試験免除対象講座認定証 (C12, 別紙14): the certificate of a
certified course as a PDF.

:func:`render_certificate` renders the course's current data; it is called
once per issue (認定, 再発行) by :mod:`certifications.services`, which stores
the bytes. Downloads (the registry's ``certificate``) serve the stored bytes.

The values (:func:`certificate_data`) go into the Django template
``certifications/certificate.html``; WeasyPrint renders it with
``static/css/certificate.css`` (parsed once) and the IPAex fonts. The PDF's
creation and modification dates are the issue date, so the same data gives
the same bytes.
"""

import datetime

from django.template.loader import render_to_string

from courses.models import ExemptionCourse, SubmissionStates
from portal import pdf
from portal.documents import PDF_MIME, DocumentType, register, reviewer_or_owner

TITLE = "基本情報技術者試験免除対象講座認定証"
TEMPLATE = "certifications/certificate.html"
STYLESHEET = "css/certificate.css"
ISSUER = "独立行政法人情報処理推進機構"
STUDY_PLAN = "申請書のとおり"

# A course has a certificate once certified; it keeps it when the
# certification ends or is revoked (the document stays as it was issued).
CERTIFICATE_STATES = (
    SubmissionStates.CERTIFIED,
    SubmissionStates.EXPIRED,
    SubmissionStates.REVOKED,
)
# The delivery courses listed: approved ones without a deletion request.
LISTED_DELIVERY_STATES = (SubmissionStates.APPROVED, SubmissionStates.CERTIFIED)


def has_certificate(course: ExemptionCourse) -> bool:
    return course.state in CERTIFICATE_STATES and bool(course.certificate_number)


def can_download_certificate(user, course: ExemptionCourse) -> bool:
    """The provider's own staff and reviewers, once the course has a certificate."""
    return has_certificate(course) and reviewer_or_owner(user, course)


def _iso(day: datetime.date | None) -> str:
    return day.isoformat() if day else ""


def certificate_data(course: ExemptionCourse) -> dict:
    """The values printed on the certificate, as plain str/int/list; their hash
    is the data version."""
    provider = course.provider
    deliveries = course.delivery_courses.filter(
        state__in=LISTED_DELIVERY_STATES, deletion_requested=False
    ).order_by("serial")
    return {
        "document_number": course.certificate_number,
        "provider_number": str(provider.number or ""),
        "provider_name": provider.name,
        "representative_name": provider.representative_name,
        "prefecture": provider.prefecture,
        "address": provider.address,
        "course_number": course.number,
        "course_name": course.name,
        "study_plan": STUDY_PLAN,
        "delivery_courses": [
            {
                "number": f"{course.number}-{d.serial:03d}",
                "name": d.name,
                "prefecture": d.prefecture,
                "address": d.address,
                "building": d.building,
            }
            for d in deliveries
        ],
        "remarks": "",
        "certified_on": _iso(course.certified_on),
        "valid_until": _iso(course.valid_until),
        "issued_on": _iso(course.certificate_issued_on or course.certified_on),
        "issuer": ISSUER,
    }


def japanese_date(iso: str) -> str:
    """``2024-10-01`` -> ``2024年10月1日`` (as on 別紙14)."""
    if not iso:
        return ""
    day = datetime.date.fromisoformat(iso)
    return f"{day.year}年{day.month}月{day.day}日"


def certificate_context(data: dict) -> dict:
    """The template's values: the data with dates and addresses written out."""
    issued = data["issued_on"] or data["certified_on"]
    return {
        "title": TITLE,
        "document_number": data["document_number"],
        "provider_name": data["provider_name"],
        "representative_name": data["representative_name"],
        "address": f"{data['prefecture']}\u3000{data['address']}",
        "provider_number": data["provider_number"],
        "course_name": data["course_name"],
        "study_plan": data["study_plan"],
        "delivery_courses": [
            {
                "number": d["number"],
                "name": d["name"],
                "location": " ".join(
                    part for part in (d["prefecture"] + d["address"], d["building"]) if part
                ),
            }
            for d in data["delivery_courses"]
        ],
        "delivery_count": len(data["delivery_courses"]),
        "remarks": data["remarks"],
        "certified_on": japanese_date(data["certified_on"]),
        "valid_until": japanese_date(data["valid_until"]),
        "issued_on": japanese_date(issued),
        "issuer": data["issuer"],
        # Fixed PDF metadata dates (the issue date), so same data -> same bytes.
        "stamp": f"{issued}T00:00:00+09:00",
    }


def certificate_html(
    course: ExemptionCourse, *, standalone: bool = False, compact: bool = False
) -> str:
    """The certificate's HTML. ``standalone`` puts the stylesheet inline (a
    self-contained page); the renderer instead passes the parsed stylesheet.
    ``compact`` sets smaller type and spacing (for long lists and values)."""
    if not has_certificate(course):
        raise ValueError(f"講座 {course.number} には認定証がありません（状態：{course.state}）。")
    return _html(certificate_context(certificate_data(course)), standalone, compact)


def _html(context: dict, standalone: bool = False, compact: bool = False) -> str:
    context = {
        **context,
        "inline_css": pdf.stylesheet_text(STYLESHEET) if standalone else "",
        "compact": compact,
    }
    return render_to_string(TEMPLATE, context)


def render_certificate(course: ExemptionCourse) -> bytes:
    """The PDF bytes of the certificate; the same data gives the same bytes.
    When long values push it past one page, the compact layout is tried."""
    if not has_certificate(course):
        raise ValueError(f"講座 {course.number} には認定証がありません（状態：{course.state}）。")
    context = certificate_context(certificate_data(course))
    return pdf.html_to_pdf(
        _html(context),
        [pdf.stylesheet(STYLESHEET)],
        denser=[lambda: _html(context, compact=True)],
    )


def latest_issued(course: ExemptionCourse):
    """The newest issued version (C12: the record kept when it was issued)."""
    return course.issued_certificates.order_by("-version").first()


def issued_certificate_pdf(course: ExemptionCourse) -> bytes:
    """C12: the bytes stored when the certificate was last issued, never a
    rendering of today's data (which may have changed since)."""
    issued = latest_issued(course)
    if issued is None:
        raise ValueError(f"講座 {course.number} の認定証はまだ発行されていません。")
    return bytes(issued.content)


def issued_certificate_data(course: ExemptionCourse) -> dict:
    issued = latest_issued(course)
    return {"version": issued.version, "checksum": issued.checksum} if issued else {}


CERTIFICATE = register(
    DocumentType(
        id="certificate",
        title=TITLE,
        model="courses.ExemptionCourse",
        render=issued_certificate_pdf,
        provider_number=lambda course: course.provider.number,
        can_download=can_download_certificate,
        data=issued_certificate_data,
        extension="pdf",
        mime_type=PDF_MIME,
    )
)
