"""The public registry of certified courses (P9, M§2.3, M§2.5): the service
that chooses the courses IPA publishes on a day and reads them in a constant
number of queries, and their rows for the page, the CSV and the PDF.

What is published (M§2.3): provider number, the provider's name, its
representative and address, the certification date, the course's name and
the places of its delivery courses (設置場所) — the delivery courses listed on
the certificate (approved, no deletion request). A course appears from its
certification date, or from the next IPA business day when IPA is closed on
that date (M§5.2 (16), :func:`courses.rules.published_from`). A revoked
course is published as revoked, with its date (M§2.5), for as long as the
revocation bars the provider (:data:`courses.rules.REVOCATION_LISTED_YEARS`);
an expired one leaves the current list (the list of past certifications
still shows it, marked).

The states come from the workflow declaration (in force / closed), never
spelled here (tests/test_workflow_declarations.py).
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from portal.documents import ListDocument
from providers.models import Category

from . import rules
from .models import DeliveryCourse, ExemptionCourse
from .workflow import DELIVERY_COURSE, EXEMPTION_COURSE

PAGE_SIZE = 50
TITLE = "認定免除対象講座の一覧"


def _in_force_states() -> tuple[str, ...]:
    return EXEMPTION_COURSE.values(lambda s: s.in_force)


def _certified_states() -> tuple[str, ...]:
    """Every state a certified course can be in: in force, or closed
    (expired, revoked). A withdrawn application is closed too but never has a
    certification date, so the query also asks for one."""
    return EXEMPTION_COURSE.values(lambda s: s.in_force or s.closed)


def listed_deliveries() -> QuerySet[DeliveryCourse]:
    """The delivery courses a certified course lists, on the registry and on
    its certificate: the approved ones in force — a deletion request takes
    one off only once IPA approves it (D8: 削除済み), not while it is filed."""
    return DeliveryCourse.objects.filter(state__in=DELIVERY_COURSE.values(lambda s: s.in_force))


@dataclass(frozen=True)
class RegistryQuery:
    """What the public asked for: free text (provider number or name, course
    name), a prefecture (of the provider's address or of a delivery course),
    a provider category, and whether past certifications are shown too."""

    q: str = ""
    prefecture: str = ""
    category: str = ""
    include_past: bool = False

    def describe(self) -> str:
        """The conditions in words, for the PDF's heading ("" when none)."""
        parts = []
        if self.q:
            parts.append(f"キーワード「{self.q}」")
        if self.prefecture:
            parts.append(f"都道府県「{self.prefecture}」")
        if self.category:
            parts.append(f"区分「{Category(self.category).label}」")
        if self.include_past:
            parts.append("認定期間が終了した講座を含む")
        return "、".join(parts)


def registry_courses(today: datetime.date, query: RegistryQuery = RegistryQuery()) -> QuerySet:
    """P9: the courses published on ``today`` that match ``query``, in the
    order of IPA's list (provider number, course number), with the provider
    and the listed delivery courses loaded (three queries for a page with its
    count, whatever its length)."""
    courses = ExemptionCourse.objects.filter(
        state__in=_certified_states(),
        certified_on__isnull=False,
        certified_on__lte=rules.published_up_to(today),
    )
    if not query.include_past:
        valid = (
            Q(state__in=_in_force_states(), valid_until__gte=today)
            & (Q(revoked_on__isnull=True) | Q(revoked_on__gt=today))
            # P8: a provider that withdrew (取止め) leaves the list from that day.
            & (Q(provider__withdrawn_on__isnull=True) | Q(provider__withdrawn_on__gt=today))
        )
        revoked = Q(
            revoked_on__lte=today,
            revoked_on__gt=rules.add_months(today, -12 * rules.REVOCATION_LISTED_YEARS),
        )
        courses = courses.filter(valid | revoked)
    for term in query.q.split():
        courses = courses.filter(
            Q(provider__number__icontains=term)
            | Q(provider__name__icontains=term)
            | Q(provider__name_kana__icontains=term)
            | Q(name__icontains=term)
        )
    if query.prefecture:
        held_there = listed_deliveries().filter(course=OuterRef("pk"), prefecture=query.prefecture)
        courses = courses.filter(Q(provider__prefecture=query.prefecture) | Exists(held_there))
    if query.category:
        courses = courses.filter(provider__category=query.category)
    return (
        courses.select_related("provider")
        .prefetch_related(
            Prefetch(
                "delivery_courses",
                queryset=listed_deliveries().order_by("serial"),
                to_attr="listed_deliveries",
            )
        )
        .order_by("provider__number", "serial")
    )


@dataclass(frozen=True)
class RegistryRow:
    """One published course as the public sees it."""

    provider_number: str
    provider_name: str
    representative_name: str
    address: str
    category: str
    course_number: str
    course_name: str
    certified_on: datetime.date
    published_on: datetime.date
    valid_until: datetime.date | None
    locations: list[str] = field(default_factory=list)
    status: str = rules.CertificationStatus.VALID
    revoked_on: datetime.date | None = None

    @property
    def status_label(self) -> str:
        if self.status == rules.CertificationStatus.REVOKED:
            return "認定取消し"
        return rules.CertificationStatus.LABELS[self.status]

    @property
    def revoked(self) -> bool:
        return self.status == rules.CertificationStatus.REVOKED

    @property
    def expired(self) -> bool:
        return self.status == rules.CertificationStatus.EXPIRED


def _location(delivery: DeliveryCourse) -> str:
    """設置場所 as on the certificate: prefecture and address, then the building."""
    return " ".join(
        part for part in (f"{delivery.prefecture}{delivery.address}", delivery.building) if part
    )


def registry_row(course: ExemptionCourse, today: datetime.date) -> RegistryRow:
    """The row of a course from :func:`registry_courses` (no query)."""
    provider = course.provider
    deliveries = getattr(course, "listed_deliveries", None)
    if deliveries is None:  # a course not loaded by registry_courses
        deliveries = list(listed_deliveries().filter(course=course).order_by("serial"))
    return RegistryRow(
        provider_number=provider.number,
        provider_name=provider.name,
        representative_name=provider.representative_name,
        address=f"{provider.prefecture}{provider.address}",
        category=provider.get_category_display(),
        course_number=course.number,
        course_name=course.name,
        certified_on=course.certified_on,
        published_on=rules.published_from(course.certified_on),
        valid_until=course.valid_until,
        # one place once, however many delivery courses are held there
        locations=list(dict.fromkeys(_location(d) for d in deliveries)),
        status=certification_status(course, today),
        revoked_on=course.revoked_on,
    )


def certification_status(course: ExemptionCourse, today: datetime.date) -> str:
    """有効 / 期間満了 / 取消し of a course (rules.certification_status), the
    state asked of the workflow declaration."""
    return rules.certification_status(
        in_force=EXEMPTION_COURSE.state(course.state).in_force,
        valid_until=course.valid_until,
        revoked_on=course.revoked_on,
        today=today,
    )


def rows(today: datetime.date, query: RegistryQuery = RegistryQuery()):
    """Every matching row (the CSV and the PDF), read in chunks."""
    for course in registry_courses(today, query).iterator(chunk_size=500):
        yield registry_row(course, today)


# The CSV (UTF-8 with a BOM and CRLF, as the portal's other CSV files:
# portal.documents.ListDocument) -------------------------------------------------

CSV_HEADER = [
    "講座開設者番号", "講座開設者名", "代表者名", "住所", "区分", "免除対象講座番号",
    "免除対象講座の名称", "設置場所", "認定年月日", "認定終了日", "状況", "認定取消日",
]  # fmt: skip


def _slash(day: datetime.date | None) -> str:
    return f"{day:%Y/%m/%d}" if day else ""


def csv_row(row: RegistryRow) -> list:
    return [
        row.provider_number, row.provider_name, row.representative_name, row.address,
        row.category, row.course_number, row.course_name, " / ".join(row.locations),
        _slash(row.certified_on), _slash(row.valid_until), row.status_label,
        _slash(row.revoked_on),
    ]  # fmt: skip


# A list without a source object: the document registry's ListDocument writes
# it (its CSV conventions), but it is not registered — nothing is generated in
# the background or stored, and anyone may download it.
REGISTRY_CSV = ListDocument(
    id="registry_csv",
    title=TITLE,
    model="courses.ExemptionCourse",
    provider_number=lambda spec: "",
    can_download=lambda user, spec: True,
    personal_data=False,
    header=CSV_HEADER,
    rows=lambda spec, data: (csv_row(row) for row in rows(*spec)),
)


def registry_csv(today: datetime.date, query: RegistryQuery = RegistryQuery()) -> bytes:
    """P9: the list as CSV (UTF-8 with a BOM so that Excel reads it, CRLF)."""
    return REGISTRY_CSV.render((today, query))


# The PDF: an A4 landscape list like IPA's koza_ichiran.pdf -------------------------

PDF_TEMPLATE = "courses/registry_pdf.html"
PDF_STYLESHEET = "css/registry-pdf.css"


def registry_pdf(today: datetime.date, query: RegistryQuery = RegistryQuery()) -> bytes:
    """P9: the list as a PDF (WeasyPrint, IPAex fonts). The same data on the
    same day gives the same bytes (fixed metadata dates)."""
    from django.template.loader import render_to_string

    from portal import pdf

    html = render_to_string(
        PDF_TEMPLATE,
        {
            "title": TITLE,
            "today": today,
            "conditions": query.describe(),
            "rows": list(rows(today, query)),
            "stamp": f"{today.isoformat()}T00:00:00+09:00",
        },
    )
    return pdf.html_to_pdf(html, [pdf.stylesheet(PDF_STYLESHEET)])


def filename(today: datetime.date, extension: str) -> str:
    return f"{TITLE}_{today:%Y%m%d}.{extension}"
