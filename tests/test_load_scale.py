"""Issue 11 item 1: ``manage.py load_scale`` builds the full-scale data set
with bulk inserts; here at a thousandth of its size, and run twice."""

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from certifications.management.commands.load_scale import (
    HEAVY_EMAIL,
    HEAVY_NUMBER,
    SCALE_PASSWORD,
    counts,
)
from certifications.models import Completer
from courses.models import DeliveryCourse, ExemptionCourse
from exams.models import ResultReport
from portal.models import AuditEntry
from providers.models import Provider

pytestmark = pytest.mark.django_db


def _totals():
    return {
        "providers": Provider.objects.count(),
        "courses": ExemptionCourse.objects.count(),
        "deliveries": DeliveryCourse.objects.count(),
        "reports": ResultReport.objects.count(),
        "completers": Completer.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def test_i11_load_scale_builds_the_counts_and_a_second_run_adds_nothing():
    out = io.StringIO()
    call_command("load_scale", "--scale", "0.001", stdout=out)
    expected = counts(0.001)
    assert _totals() == {key: expected[key] for key in _totals()}
    heavy = Provider.objects.get(number=HEAVY_NUMBER)
    assert heavy.courses.count() == expected["heavy_courses"]
    assert (
        DeliveryCourse.objects.filter(course__provider=heavy).count()
        == expected["heavy_deliveries"]
    )
    biggest = ResultReport.objects.filter(delivery_course__course__provider=heavy).order_by(
        "-applicants"
    )[0]
    assert biggest.completers.count() == expected["heavy_report"]
    # R4: every stored number is the one the model computes.
    for completer in Completer.objects.select_related("report__delivery_course__course__provider"):
        assert completer.management_number == completer.computed_management_number()
    assert HEAVY_EMAIL in out.getvalue() and SCALE_PASSWORD in out.getvalue()
    request = RequestFactory().post("/accounts/login/")  # django-axes needs the request
    assert authenticate(request, email=HEAVY_EMAIL, password=SCALE_PASSWORD) is not None
    before = _totals()
    call_command("load_scale", "--scale", "0.001", stdout=io.StringIO())
    assert _totals() == before


def test_i11_load_scale_full_counts_are_the_issue_figures():
    full = counts(1)
    assert (full["providers"], full["courses"], full["deliveries"], full["reports"]) == (
        500,
        2000,
        6000,
        4000,
    )
    assert (full["completers"], full["audit"], full["heavy_report"]) == (120_000, 500_000, 10_000)
