"""Issue 11 item 1: the main pages cost the same number of queries with the
heavy provider as with a light one (the data set of ``load_scale``, built
small), the admin lists and the queues the same before and after more rows;
and the reviewer's 応募者数 is right for an exam with several reports."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from calendars.models import ExamSession
from certifications.management.commands.load_scale import (
    ADMIN_EMAIL,
    FIRST_NUMBER,
    HEAVY_NUMBER,
    REVIEWER_EMAIL,
    build,
)
from certifications.models import Completer
from courses.models import ExemptionCourse
from exams.models import ExamApplication, ResultReport
from fees.models import FeeLine
from portal.models import AuditEntry, User
from providers.models import Provider

pytestmark = pytest.mark.django_db

SMALL = {
    "providers": 3, "courses": 32, "deliveries": 65, "reports": 10, "completers": 240, "audit": 40,
    "heavy_courses": 12, "heavy_deliveries": 25, "heavy_report": 150,
}  # fmt: skip


@pytest.fixture
def scale(db):
    build(SMALL)
    heavy = Provider.objects.get(number=HEAVY_NUMBER)
    light = Provider.objects.get(number=f"{FIRST_NUMBER:05d}")
    return heavy, light


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries), response.content.decode()


def _provider_urls(provider):
    course = ExemptionCourse.objects.filter(provider=provider, state="certified").order_by(
        "serial"
    )[0]
    report = ResultReport.objects.filter(delivery_course__course__provider=provider).order_by(
        "-applicants"
    )[0]
    return {
        "dashboard": reverse("home"),
        "course list": reverse("course_list"),
        "course detail": reverse("course_detail", args=[course.pk]),
        "exam calendar": reverse("exam_calendar"),
        "exam page": reverse("exam_session", args=[report.session_id]),
        "report": reverse("report_detail", args=[report.pk]),
        "report search": reverse("report_detail", args=[report.pk]) + "?q=FE",
    }


def test_i11_provider_pages_cost_the_same_for_the_heavy_and_a_light_provider(client, scale):
    heavy, light = scale
    counts = {}
    for provider in (heavy, light):
        client.force_login(provider.memberships.get().user)
        counts[provider.number] = {
            label: _count(client, url)[0] for label, url in _provider_urls(provider).items()
        }
    assert counts[HEAVY_NUMBER] == counts[light.number]
    # The 150 completers are on two pages (100 + 50), not in one table.
    client.force_login(heavy.memberships.get().user)
    _, html = _count(client, _provider_urls(heavy)["report"])
    assert html.count('class="nowrap">90000-FE') == 100 and "1 / 2" in html


def test_i11_reviewer_pages_of_a_heavy_and_a_light_object_cost_the_same(client, scale):
    heavy, light = scale
    client.force_login(User.objects.get(email=REVIEWER_EMAIL))
    counts = {}
    for provider in (heavy, light):
        submitted = ExemptionCourse.objects.filter(provider=provider, state="submitted")[0]
        report = ResultReport.objects.filter(delivery_course__course__provider=provider).order_by(
            "-applicants"
        )[0]
        counts[provider.number] = [
            _count(client, reverse("review_course_detail", args=[submitted.pk]))[0],
            _count(client, reverse("review_report", args=[report.pk]))[0],
            _count(client, reverse("review_exam_session", args=[report.session_id]))[0],
        ]
    assert counts[HEAVY_NUMBER] == counts[light.number]


def _more_rows(heavy):
    """30 more courses, fee lines, completers and audit entries."""
    base = ExemptionCourse.objects.filter(provider=heavy).order_by("serial")[0]
    top = ExemptionCourse.objects.filter(provider=heavy).order_by("-serial")[0].serial
    fields = {f.attname: getattr(base, f.attname) for f in ExemptionCourse._meta.concrete_fields}
    fields.pop("id")
    courses = ExemptionCourse.objects.bulk_create(
        ExemptionCourse(**{**fields, "serial": top + n + 1, "state": "submitted"})
        for n in range(30)
    )
    FeeLine.objects.bulk_create(
        FeeLine(provider=heavy, kind="review", description=c.name, unit_amount=35000, course=c) for c in courses
    )  # fmt: skip
    report = ResultReport.objects.filter(delivery_course__course__provider=heavy).order_by(
        "-applicants"
    )[0]
    top = report.completers.order_by("-serial")[0]
    new = []
    for _ in range(30):
        top.pk, top.serial = None, top.serial + 1
        new.append(
            Completer(
                **{f.attname: getattr(top, f.attname) for f in Completer._meta.concrete_fields}
            )
        )
    Completer.objects.bulk_create(new)
    entry = AuditEntry.objects.order_by("pk")[0]
    AuditEntry.objects.bulk_create(
        AuditEntry(action=entry.action, content_type=entry.content_type, object_id=entry.object_id,
                   object_repr=entry.object_repr, actor=entry.actor, actor_label=entry.actor_label)
        for _ in range(30)
    )  # fmt: skip


QUEUES = ["inbox", "review_queue", "review_course_queue", "review_payments", "review_exams",
          "change_review_queue", "question_review_list", "review_withdrawal_list"]  # fmt: skip
ADMIN_LISTS = ["admin:certifications_completer_changelist", "admin:fees_feeline_changelist",
               "admin:courses_exemptioncourse_changelist", "admin:portal_auditentry_changelist"]  # fmt: skip


def test_i11_queues_and_admin_lists_cost_the_same_with_more_rows(client, scale):
    heavy, _light = scale
    reviewer, admin = User.objects.get(email=REVIEWER_EMAIL), User.objects.get(email=ADMIN_EMAIL)

    def measure():
        client.force_login(reviewer)
        queues = {name: _count(client, reverse(name))[0] for name in QUEUES}
        client.force_login(admin)
        lists = {name: _count(client, reverse(name))[0] for name in ADMIN_LISTS}
        return {**queues, **lists}

    before = measure()
    _more_rows(heavy)
    assert measure() == before


def test_i11_admin_completers_are_read_only_searchable_and_audited(client, scale):
    client.force_login(User.objects.get(email=ADMIN_EMAIL))
    completer = Completer.objects.order_by("pk")[0]
    url = reverse("admin:certifications_completer_changelist")
    page = client.get(url, {"q": completer.management_number_display}).content.decode()
    assert completer.management_number_display in page
    assert AuditEntry.objects.filter(
        action="completer.admin_list", note__contains="検索語"
    ).exists()
    detail = client.get(reverse("admin:certifications_completer_change", args=[completer.pk]))
    assert detail.status_code == 200 and completer.family_name in detail.content.decode()
    entry = AuditEntry.objects.filter(action="completer.admin_view").get()
    assert completer.management_number_display in entry.note
    assert client.get(reverse("admin:certifications_completer_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:certifications_completer_delete", args=[completer.pk])
        ).status_code
        == 403
    )


def test_i11_applicants_of_an_exam_with_several_reports_are_not_multiplied(client, scale):
    """The old join of applications and reports multiplied 応募者数 by the
    number of reports of the exam."""
    session = ExamSession.objects.filter(reports__isnull=False).order_by("exam_date")[0]
    # Give the exam three more reports of its applications' delivery courses.
    report = ResultReport.objects.filter(session=session)[0]
    fields = {f.attname: getattr(report, f.attname) for f in ResultReport._meta.concrete_fields}
    fields.pop("id")
    ResultReport.objects.bulk_create(
        ResultReport(**{**fields, "serial": serial, "application_id": None, "kind": "reviewed"})
        for serial in (2, 3, 4)
    )
    applications = ExamApplication.objects.filter(session=session, state="submitted")
    expected = sum(a.applicants for a in applications)
    assert ResultReport.objects.filter(session=session).count() >= 4
    client.force_login(User.objects.get(email=REVIEWER_EMAIL))
    row = next(
        s for s in client.get(reverse("review_exams")).context["sessions"] if s.pk == session.pk
    )
    assert row.n_applicants == expected and row.n_applications == applications.count()
    page = client.get(reverse("review_exam_session", args=[session.pk])).content.decode()
    assert f"応募者 {expected}名" in page
    assert datetime.date.today()  # the figures do not depend on the day


def test_i11_a_document_reads_its_values_once_per_rendering(client, scale):
    """The certificate's renderer and its data read the issued record once;
    the report page's panel builds the report's values once for 申請書式4 and
    the completer notice (the 10,000 completers were read twice)."""
    from unittest import mock

    from django.contrib.contenttypes.models import ContentType

    from certifications.documents import CERTIFICATE
    from certifications.models import IssuedCertificate
    from exams import documents as exam_documents
    from portal.models import GeneratedDocument

    heavy, _light = scale
    course = ExemptionCourse.objects.filter(provider=heavy, state="certified")[0]
    IssuedCertificate.objects.create(
        course=course, version=1, document_number="2024情テ人国第1号", issued_on=datetime.date(2024, 4, 1),
        filename="認定証.pdf", content=b"%PDF-1.7", checksum=IssuedCertificate.checksum_of(b"%PDF-1.7"),
    )  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        rendered = CERTIFICATE.produce(course)
    assert rendered.content == b"%PDF-1.7"
    assert (
        sum("certifications_issuedcertificate" in q["sql"] for q in queries.captured_queries) == 1
    )

    report = ResultReport.objects.filter(delivery_course__course__provider=heavy).order_by(
        "-applicants"
    )[0]
    for doc_type in ("shoshiki_4", "completer_notice"):
        GeneratedDocument.objects.create(
            doc_type=doc_type, content_type=ContentType.objects.get_for_model(ResultReport),
            object_id=str(report.pk), status="done", data_version="an older version",
        )  # fmt: skip
    client.force_login(heavy.memberships.get().user)
    with mock.patch.object(
        exam_documents, "_built_report_data", wraps=exam_documents._built_report_data
    ) as built:
        page = client.get(reverse("report_detail", args=[report.pk]))
    assert page.status_code == 200
    assert built.call_count == 1


def test_i11_course_list_and_delivery_courses_are_paged(client, scale):
    heavy, _light = scale
    base = ExemptionCourse.objects.filter(provider=heavy).order_by("serial")[0]
    fields = {f.attname: getattr(base, f.attname) for f in ExemptionCourse._meta.concrete_fields}
    fields.pop("id")
    ExemptionCourse.objects.bulk_create(
        ExemptionCourse(**{**fields, "serial": 100 + n, "state": "draft"}) for n in range(45)
    )
    delivery = base.delivery_courses.order_by("serial")[0]
    values = {f.attname: getattr(delivery, f.attname) for f in type(delivery)._meta.concrete_fields}
    values.pop("id")
    type(delivery).objects.bulk_create(
        type(delivery)(**{**values, "serial": 100 + n}) for n in range(55)
    )
    client.force_login(heavy.memberships.get().user)
    page = client.get(reverse("course_list")).content.decode()
    assert page.count('<tr><td><a href="/courses/') == 50 and "1 / 2" in page
    page = client.get(reverse("course_detail", args=[base.pk])).content.decode()
    assert "1 / 2" in page
    assert (
        "2 / 2"
        in client.get(reverse("course_detail", args=[base.pk]), {"page": 2}).content.decode()
    )
