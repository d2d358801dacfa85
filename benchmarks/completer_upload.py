"""Upload time of a 10,000-row completer list (修了認定者, R3/R4/R7) as xlsx and CSV.

Standalone: sets up Django with a throwaway SQLite database in a temporary
directory, migrates it, creates a provider, a course, two delivery courses and
one result report per file format with the ORM, builds the files in memory in
the layout of the manual's 修了認定者情報 file (表5.8-3) and times

  read      ``certifications.completer_import.read_completer_file`` (type/size/zip-bomb
            checks, openpyxl read-only or csv, header mapping),
  validated the look-up of the serials and people already reported (R7) plus
            ``validate_completer_rows``,
  stored    ``Completer.objects.bulk_create(..., batch_size=1000)`` in one
            transaction,

against the goal of at most 5 s for the whole upload. Each figure is the median
of ``--runs`` runs (the completers are deleted between runs, untimed).

Run from the project root:

    .venv/bin/python benchmarks/completer_upload.py [--rows 10000] [--runs 3]
"""

import argparse
import csv
import datetime
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from _common import setup_django  # noqa: E402

GOAL_SECONDS = 5.0
EXAM_DATE = datetime.date(2024, 12, 8)
CERTIFIED_ON = datetime.date(2024, 12, 10)

HEADER = ["免除対象講座番号", "実施講座番号", "修了試験回数", "修了認定者管理番号",
          "姓(漢字)", "名(漢字)", "姓(カナ)", "名(カナ)", "生年月日", "修了認定年月日",
          "修了試験結果"]  # fmt: skip
FAMILIES = [("情報", "ジョウホウ"), ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"),
            ("田中", "タナカ"), ("渡邊", "ワタナベ"), ("佐々木", "ササキ"), ("齋藤", "サイトウ"),
            ("伊藤", "イトウ"), ("山本", "ヤマモト"), ("中村", "ナカムラ")]  # fmt: skip
GIVEN = [("一郎", "イチロウ"), ("花子", "ハナコ"), ("太郎", "タロウ"), ("さくら", "サクラ"),
         ("翔", "ショウ"), ("美咲", "ミサキ"), ("健太", "ケンタ")]  # fmt: skip


def _reports(count: int):
    """Result reports of provider 99991 (IPA大学), one per delivery course."""
    from calendars.models import ExamSession
    from courses.models import DeliveryCourse, ExemptionCourse
    from courses.rules import CourseType
    from exams.models import ResultReport
    from tests.factories import ProviderFactory

    provider = ProviderFactory(number="99991", name="IPA大学")
    course = ExemptionCourse.objects.create(
        provider=provider, serial=1, course_type=CourseType.NONE_IPA, name="2024-2025年度講座A",
        desired_month=datetime.date(2024, 10, 1), total_hours=100,
    )  # fmt: skip
    session = ExamSession.objects.get(exam_date=EXAM_DATE)
    reports = []
    for n in range(1, count + 1):
        delivery = DeliveryCourse.objects.create(
            course=course, serial=n, name=f"2024年度実施講座10月コース{n}", prefecture="東京都",
            address="文京区本駒込2-28-8", expected_learners=20_000,
            start_date=datetime.date(2024, 10, 1), end_date=datetime.date(2024, 12, 7),
            instructors="講師名：情報 太郎", committee_declaration=True,
        )  # fmt: skip
        reports.append(
            ResultReport.objects.create(
                delivery_course=delivery,
                serial=1,
                kind=ResultReport.Kind.IPA,
                session=session,
                exam_date=EXAM_DATE,
                applicants=20_000,
                examinees=20_000,
                certified_on=CERTIFIED_ON,
                consent_confirmed=True,
            )
        )
    return reports


def _rows(count: int):
    """表5.8-3 rows: distinct people, birth dates as date values, passing scores."""
    for i in range(1, count + 1):
        family, family_kana = FAMILIES[i % len(FAMILIES)]
        given, given_kana = GIVEN[i // len(FAMILIES) % len(GIVEN)]
        birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=i % 12_000)
        yield [i, 1, 1, f"99991-FE{EXAM_DATE:%y%m}-{i:05d}", family, given, family_kana,
               given_kana, birth, CERTIFIED_ON, 36 + i % 25]  # fmt: skip


def build_xlsx(count: int) -> bytes:
    """As Excel saves it (a normal workbook: with <dimension>, date cells)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "修了認定者情報"
    ws.append(HEADER)
    for row in _rows(count):
        ws.append(row)
    for column in ("I", "J"):
        for (cell,) in ws.iter_rows(min_row=2, min_col=ord(column) - 64, max_col=ord(column) - 64):
            cell.number_format = "yyyy/m/d"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def build_csv(count: int) -> bytes:
    """As Excel's 「CSV (コンマ区切り)」 saves it: Shift_JIS (cp932), CRLF, dates 1995/10/6."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in _rows(count):
        writer.writerow(
            [f"{v.year}/{v.month}/{v.day}" if isinstance(v, datetime.date) else v for v in row]
        )
    return buffer.getvalue().encode("cp932")


def upload(report, name: str, data: bytes) -> tuple[float, float, float, int]:
    """Read, validate and store one file as a view would; (read, validate, store, rows)."""
    from django.db import transaction

    from certifications.completer_import import (
        person_key,
        read_completer_file,
        validate_completer_rows,
    )
    from certifications.models import Completer
    from exams.rules import ipa_pass_score

    t0 = time.perf_counter()
    rows = read_completer_file(name, data)
    t1 = time.perf_counter()
    already = Completer.objects.filter(report__delivery_course=report.delivery_course_id)
    existing_people = {person_key(c) for c in already.values()}
    existing_serials = set(report.completers.values_list("serial", flat=True))
    cleaned, errors = validate_completer_rows(
        rows,
        provider_number=report.delivery_course.course.provider.number,
        exam_date=report.exam_date,
        pass_score=ipa_pass_score(),
        private=False,
        existing_people=existing_people,
        existing_serials=existing_serials,
    )
    if errors:
        raise SystemExit("unexpected errors: " + "\n".join(map(str, errors[:10])))
    t2 = time.perf_counter()
    with transaction.atomic():
        Completer.objects.bulk_create(
            [Completer(report=report, **row) for row in cleaned], batch_size=1000
        )
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2, len(cleaned)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="completer-bench-") as tmp:
        setup_django(tmp)
        from certifications.models import Completer

        xlsx_report, csv_report = _reports(2)
        files = [
            ("xlsx", xlsx_report, "修了認定者情報.xlsx", build_xlsx(args.rows)),
            ("CSV", csv_report, "修了認定者情報.csv", build_csv(args.rows)),
        ]
        print(f"{args.rows:,} rows, median of {args.runs} runs, SQLite")
        all_ok = True
        for label, report, name, data in files:
            timings = []
            for _ in range(args.runs):
                report.completers.all().delete()
                timings.append(upload(report, name, data))
            read, validated, stored, count = (
                statistics.median(t) for t in zip(*timings, strict=True)
            )
            assert Completer.objects.filter(report=report).count() == count == args.rows
            total = read + validated + stored
            ok = total <= GOAL_SECONDS
            all_ok &= ok
            print(
                f"{count:,.0f} completers from {label} ({len(data) / 1024:,.0f} KB): "
                f"read {read:.2f} s, validated {validated:.2f} s, stored {stored:.2f} s, "
                f"total {total:.2f} s (goal <= {GOAL_SECONDS:.0f} s: {'ok' if ok else 'MISSED'})"
            )
        # The path the provider really takes: stage (read, check, keep for the
        # preview page) and confirm (save all at once) through certifications.services.
        from certifications import services as completer_services
        from tests.factories import MembershipFactory

        report = xlsx_report
        staff = MembershipFactory(provider=report.delivery_course.course.provider).user
        timings = []
        for _ in range(args.runs):
            report.completers.all().delete()
            t0 = time.perf_counter()
            staged = completer_services.stage_upload(
                report.pk, staff, "修了認定者情報.xlsx", files[0][3]
            )
            t1 = time.perf_counter()
            saved = completer_services.confirm_upload(staged.pk, staff)
            t2 = time.perf_counter()
            assert saved == args.rows and not staged.errors
            timings.append((t1 - t0, t2 - t1))
        stage, confirm = (statistics.median(t) for t in zip(*timings, strict=True))
        ok = stage + confirm <= GOAL_SECONDS
        all_ok &= ok
        print(
            f"{args.rows:,} completers through the services (stage + preview data, then confirm): "
            f"stage {stage:.2f} s, confirm {confirm:.2f} s, total {stage + confirm:.2f} s "
            f"(goal <= {GOAL_SECONDS:.0f} s: {'ok' if ok else 'MISSED'})"
        )

        # A zip bomb: 1 GB of zeros declared inside a small .xlsx.
        from django.core.exceptions import ValidationError

        from certifications.completer_import import read_completer_file

        bomb = io.BytesIO()
        import zipfile

        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            chunk = b"\0" * (1024 * 1024)
            with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
                for _ in range(1024):
                    member.write(chunk)
        data = bomb.getvalue()
        t0 = time.perf_counter()
        try:
            read_completer_file("bomb.xlsx", data)
        except ValidationError:
            refused = True
        else:
            refused = False
        elapsed = time.perf_counter() - t0
        ok = refused and elapsed < 1.0
        all_ok &= ok
        print(
            f"zip bomb ({len(data) / 1024:,.0f} KB declaring 1 GB): refused={refused} in "
            f"{elapsed * 1000:.1f} ms (goal < 1 s: {'ok' if ok else 'MISSED'})"
        )
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
