"""Warm render time of the certificate PDF (C12) against bare WeasyPrint.

Standalone: sets up Django with a throwaway SQLite database in a temporary
directory, migrates it, builds a certified example course (three delivery
courses) through the services and prints

  (a) the warm render time of one certificate through the registry's renderer
      (template + data query + WeasyPrint with the shared font configuration
      and the cached stylesheet),
  (b) the time of a bare ``weasyprint.HTML(string=...).write_pdf()`` of the
      same certificate as one self-contained HTML string (stylesheet inline),
  (c) their ratio (goal: at most 1.5).

Run from the project root:

    .venv/bin/python benchmarks/certificate_render.py [--runs 20] [--pdf /tmp/certificate.pdf]
"""

import argparse
import datetime
import os
import sys
import tempfile
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from _common import median_ms, setup_django  # noqa: E402

WARMUPS = 3


def _example_course():
    """A certified course of the manual's example provider (99991, IPA大学,
    情報　太郎) with three delivery courses, certified on 2024-10-01."""
    from calendars.models import ExamSession
    from courses import services
    from courses.models import DeliveryCourse
    from fees import services as fee_services
    from fees.models import FeeLine
    from tests.course_factories import complete_course
    from tests.factories import MembershipFactory, ProviderFactory, ReviewerFactory

    provider = ProviderFactory(number="99991", name="IPA大学")
    staff = MembershipFactory(provider=provider, is_contact=True).user
    reviewer = ReviewerFactory(email="reviewer@ipa.example.jp")
    course = complete_course(provider, staff)
    for n, (prefecture, address, building) in enumerate(
        [("大阪府", "大阪市北区梅田1-1-1", "梅田ビル3階"), ("愛知県", "名古屋市中区栄2-2-2", "")],
        start=2,
    ):
        services.save_delivery_course(
            course.pk, staff,
            {"name": f"2024年度実施講座10月コース{'ABC'[n - 1]}", "prefecture": prefecture,
             "address": address, "building": building, "expected_learners": 20,
             "start_date": datetime.date(2024, 10, 1), "end_date": datetime.date(2024, 12, 7),
             "instructors": "講師名：情報 太郎", "committee_declaration": True},
            [{"row": "upper", "slot": 1, "kind": "ipa",
              "session": ExamSession.objects.get(exam_date=datetime.date(2024, 12, 8))}],
        )  # fmt: skip
    services.submit_course(course.pk, staff)
    line = FeeLine.objects.get(course=course)
    today = datetime.date(2024, 8, 20)
    request = fee_services.create_payment_request(
        provider, staff, [line.pk],
        {"payment_date": today, "bank": "三菱UFJ銀行 本店", "payer_name_kana": "99991アイピーエーダイガク"},
    )  # fmt: skip
    fee_services.confirm_payment(request.pk, reviewer, today)
    services.start_review(course.pk, reviewer)
    services.approve_course(course.pk, reviewer)
    services.certify_course(course.pk, reviewer, datetime.date(2024, 10, 1))
    assert (
        DeliveryCourse.objects.filter(course=course, state=DeliveryCourse.S.APPROVED).count() == 3
    )
    return course.pk


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--pdf", default=os.path.join(tempfile.gettempdir(), "certificate.pdf"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="certificate-bench-") as tmp:
        setup_django(tmp)
        import weasyprint

        from certifications.documents import certificate_html
        from courses.models import ExemptionCourse
        from portal import documents

        with mock.patch("django.utils.timezone.localdate", return_value=datetime.date(2024, 8, 20)):
            course_pk = _example_course()

        doc = documents.get("certificate")

        def registry_render():
            # As the worker does it: load the object, then render it.
            course = doc.model_class()._default_manager.get(pk=course_pk)
            return doc.render(course)

        course = ExemptionCourse.objects.get(pk=course_pk)
        html = certificate_html(course, standalone=True)

        def bare_render():
            return weasyprint.HTML(string=html).write_pdf()

        warm_ms, pdf_bytes = median_ms(registry_render, args.runs, WARMUPS)
        bare_ms, bare_bytes = median_ms(bare_render, args.runs, WARMUPS)
        Path(args.pdf).write_bytes(pdf_bytes)

        print(
            f"weasyprint {weasyprint.__version__}, {args.runs} timed runs after {WARMUPS} warm-ups"
        )
        print(f"certificate warm render: {warm_ms:.1f} ms (median of {args.runs})")
        print(f"bare weasyprint write_pdf: {bare_ms:.1f} ms (median of {args.runs})")
        ratio = warm_ms / bare_ms
        print(f"ratio warm/bare: {ratio:.2f} (goal <= 1.5: {'ok' if ratio <= 1.5 else 'MISSED'})")
        print(f"same bytes as bare render: {pdf_bytes == bare_bytes}")
        print(f"example PDF: {args.pdf} ({len(pdf_bytes):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
