"""Render time of 申請書式4 (修了認定報告書, 別紙8) with 1,000 completers against a
bare openpyxl write of the same cells.

Standalone: sets up Django with a throwaway SQLite database in a temporary
directory, migrates it, builds the manual's example report (provider 99991
IPA大学, delivery course 99991-001-004, exam 2018-06-10) with ``--completers``
completers and prints

  (a) the render time of 申請書式4 through the registry's renderer (data query,
      the form's header, the completer table, deterministic .xlsx bytes),
  (b) the time of a bare openpyxl write of the same cells: a plain
      ``Workbook()``, ``ws.append`` of the completer table's values, saved to
      a ``BytesIO``,
  (c) their ratio (goal: at most 2.0).

Each figure is the median of ``--runs`` after one warm-up. Run from the
project root:

    .venv/bin/python benchmarks/shoshiki4_render.py [--completers 1000] [--runs 5]
        [--xlsx /tmp/shoshiki4.xlsx]
"""

import argparse
import datetime
import io
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from _common import median_ms, setup_django  # noqa: E402

WARMUPS = 1
D = datetime.date


def example_report(completers: int, provider_number: str = "99991"):
    """The manual's example (別紙7/8): course 99991-001 2015-2017年度講座A, delivery
    course 99991-001-004 2018年度FE実施講座6月コースA, its exam site, application
    (20 applicants) and result report of the exam of 2018-06-10, certified on
    2018-06-14, with ``completers`` completers (the first five are 別紙8's)."""
    from calendars.models import ExamSession
    from certifications.models import Completer
    from courses.models import DeliveryCourse, ExemptionCourse
    from exams.models import ExamApplication, ExamSite, ResultReport
    from tests.course_factories import complete_course
    from tests.factories import MembershipFactory, ProviderFactory

    provider = ProviderFactory(
        number=provider_number, name="IPA大学", name_kana="アイピーエーダイガク"
    )
    staff = MembershipFactory(provider=provider, is_contact=True).user
    course = complete_course(provider, staff)
    ExemptionCourse.objects.filter(pk=course.pk).update(serial=1, name="2015-2017年度講座A")
    delivery = course.delivery_courses.get()
    DeliveryCourse.objects.filter(pk=delivery.pk).update(
        serial=4, name="2018年度FE実施講座6月コースA", prefecture="神奈川県",
        address="〇〇市〇〇区〇〇〇〇1-2-3", building="IPA大学工学部棟4階",
        start_date=D(2018, 4, 2), end_date=D(2018, 6, 8),
    )  # fmt: skip
    delivery.refresh_from_db()
    session = ExamSession.objects.get_or_create(
        exam_date=D(2018, 6, 10),
        defaults={"fiscal_year": 2018, "season": "summer",
                  "exemption_valid_from": D(2018, 6, 29), "exemption_valid_to": D(2019, 6, 28)},
    )[0]  # fmt: skip
    site = ExamSite.objects.create(
        provider=provider, session=session, created_on=D(2018, 5, 17),
        exam_site="神奈川県〇〇市〇〇区〇〇〇〇1-2-3 IPA大学工学部棟4階",
        manager="情報 太郎 教務部", manager_deputy="情報 花子",
        electronic_keeper="情報 花子 教務部", printer="情報 花子 教務部",
        printed_keeper="情報 花子 教務部", storage_method="鍵付きの金庫、鍵は情報太郎が管理",
        exam_executive="情報 太郎 教務部", grading_lead="情報 太郎 教務部",
    )  # fmt: skip
    application = ExamApplication.objects.create(
        delivery_course=delivery, session=session, site=site, applicants=max(20, completers)
    )
    ExamApplication.objects.filter(pk=application.pk).update(
        state=ExamApplication.S.SUBMITTED,
        submitted_at=datetime.datetime(2018, 5, 17, 1, 0, tzinfo=datetime.UTC),
    )
    application.refresh_from_db()
    report = ResultReport.objects.create(
        delivery_course=delivery, serial=1, kind="ipa", application=application,
        session=session, exam_date=D(2018, 6, 10), applicants=application.applicants,
        examinees=completers, certified_on=D(2018, 6, 14),
    )  # fmt: skip
    manual = [
        ("一郎", "イチロウ", D(1998, 10, 6), 60), ("二郎", "ジロウ", D(1997, 5, 22), 54),
        ("三郎", "サブロウ", D(1997, 7, 12), 62), ("四郎", "シロウ", D(1996, 3, 20), 67),
        ("五郎", "ゴロウ", D(1997, 4, 9), 51),
    ]  # fmt: skip
    rows = []
    for n in range(1, completers + 1):
        given, kana, birth, score = (
            manual[n - 1]
            if n <= len(manual)
            else (f"{n}郎", "タロウ", D(1990, 1, 1) + datetime.timedelta(days=n), 36 + n % 25)
        )
        rows.append(
            Completer(report=report, serial=n, family_name="情報", given_name=given,
                      family_kana="ジョウホウ", given_kana=kana, birth_date=birth, score=score)
        )  # fmt: skip
    Completer.objects.bulk_create(rows)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--completers", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--xlsx", default=os.path.join(tempfile.gettempdir(), "shoshiki4.xlsx"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="shoshiki4-bench-") as tmp:
        setup_django(tmp)
        from openpyxl import Workbook

        from exams import documents as exam_docs
        from portal import documents

        report_pk = example_report(args.completers).pk
        doc = documents.get("shoshiki_4")

        def registry_render():
            # As the worker does it: load the object, then render it.
            report = doc.model_class()._default_manager.get(pk=report_pk)
            return doc.render(report)

        report = doc.model_class()._default_manager.get(pk=report_pk)
        cells = exam_docs.shoshiki_4_rows(exam_docs._report_data(report))
        assert len(cells) == args.completers

        def bare_write():
            wb = Workbook()
            ws = wb.active
            for row in cells:
                ws.append(row)
            buffer = io.BytesIO()
            wb.save(buffer)
            return buffer.getvalue()

        render_ms, xlsx_bytes = median_ms(registry_render, args.runs, WARMUPS)
        bare_ms, _ = median_ms(bare_write, args.runs, WARMUPS)
        Path(args.xlsx).write_bytes(xlsx_bytes)

        ratio = render_ms / bare_ms
        print(f"{args.runs} timed runs after {WARMUPS} warm-up, median")
        print(f"申請書式4 ({args.completers:,} completers): {render_ms:.1f} ms")
        print(f"bare openpyxl write of the same cells: {bare_ms:.1f} ms")
        print(f"ratio: {ratio:.2f} (goal <= 2.0: {'ok' if ratio <= 2.0 else 'NOT MET'})")
        print(f"example workbook: {args.xlsx} ({len(xlsx_bytes):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
