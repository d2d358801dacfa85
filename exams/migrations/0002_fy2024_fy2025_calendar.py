"""E1/R10: the exam calendar of fiscal 2024 (M§4.5.2 table 4.5-3, M§4.7 table
4.7-2) and the exam dates of fiscal 2025 (table 4.5-4; IPA had not yet
published that year's windows, so they stay empty until IPA staff enter them)."""

import datetime
from zoneinfo import ZoneInfo

from django.db import migrations

JST = ZoneInfo("Asia/Tokyo")


def at(y, m, d, hh=0, mm=0):
    return datetime.datetime(y, m, d, hh, mm, tzinfo=JST)


D = datetime.date

CALENDAR = [
    # exam date, FY, season, apply opens, apply closes 15:00, problems,
    # report opens, report closes 17:00, exemption from, exemption to
    (D(2024, 6, 9), 2024, "summer", at(2024, 5, 8), at(2024, 5, 15, 15), D(2024, 6, 5),
     at(2024, 6, 10), at(2024, 6, 14, 17), D(2024, 6, 28), D(2025, 6, 27)),
    (D(2024, 7, 28), 2024, "summer", at(2024, 6, 20), at(2024, 6, 27, 15), D(2024, 7, 24),
     at(2024, 7, 29), at(2024, 8, 2, 17), D(2024, 8, 16), D(2025, 8, 15)),
    (D(2024, 12, 8), 2024, "winter", at(2024, 11, 6), at(2024, 11, 13, 15), D(2024, 12, 4),
     at(2024, 12, 9), at(2024, 12, 13, 17), D(2024, 12, 27), D(2025, 12, 26)),
    (D(2025, 1, 26), 2024, "winter", at(2024, 12, 17), at(2024, 12, 24, 15), D(2025, 1, 22),
     at(2025, 1, 27), at(2025, 1, 31, 17), D(2025, 2, 14), D(2026, 2, 13)),
    (D(2025, 6, 8), 2025, "summer", None, None, None, None, None, None, None),
    (D(2025, 7, 27), 2025, "summer", None, None, None, None, None, None, None),
    (D(2025, 12, 14), 2025, "winter", None, None, None, None, None, None, None),
    (D(2026, 1, 25), 2025, "winter", None, None, None, None, None, None, None),
]  # fmt: skip

FIELDS = [
    "exam_date",
    "fiscal_year",
    "season",
    "application_opens_at",
    "application_closes_at",
    "problems_delivered_on",
    "report_opens_at",
    "report_closes_at",
    "exemption_valid_from",
    "exemption_valid_to",
]


def load(apps, schema_editor):
    ExamSession = apps.get_model("exams", "ExamSession")
    for row in CALENDAR:
        values = dict(zip(FIELDS, row, strict=True))
        ExamSession.objects.update_or_create(exam_date=values.pop("exam_date"), defaults=values)


class Migration(migrations.Migration):
    dependencies = [("exams", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
