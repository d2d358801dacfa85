"""Demo courses for `manage.py load_demo`: one of each type in several states
(certified with a certificate, returned, draft), built through the services so
that the demo data obeys the same rules as real data."""

import datetime
from decimal import Decimal
from unittest import mock

from django.db import transaction

from exams.models import ExamSession
from fees import services as fee_services

from . import services
from .models import ExemptionCourse, StudyMaterial, SyllabusItem
from .rules import CourseType

D = datetime.date


def _on(day: datetime.date):
    """Run services as on ``day`` (the demo replays past applications)."""
    return mock.patch("django.utils.timezone.localdate", return_value=day)


def _fill(course, user, *, every_item: bool, hours: Decimal):
    StudyMaterial.objects.create(
        course=course, order=1, name="FE試験対策（〇〇編）", publisher="IPA出版",
        edition="第2版", published_on=D(2017, 2, 2),
    )  # fmt: skip
    StudyMaterial.objects.create(
        course=course, order=2, name="自作テキスト（プログラム）", publisher="", edition="第1版",
        published_on=D(2024, 3, 1),
    )  # fmt: skip
    items = list(SyllabusItem.objects.filter(active=True))
    if not every_item:
        items = items[:20]
    each = (hours / len(items)).quantize(Decimal("0.1"))
    rows = []
    for n, item in enumerate(items):
        rows.append({
            "code": item.code,
            "material": "FE試験対策（〇〇編）" if n % 3 else "自作テキスト（プログラム）",
            "class_name": "IT基礎" if n < 10 else "情報概論",
            "planned_session": f"第{n // 2 + 1:02d}回",
            "hours": each if n else hours - each * (len(items) - 1),
        })  # fmt: skip
    services.save_plan(course.pk, user, "情報\u3000次郎", rows)
    services.save_operation_structure(course.pk, user, {
        "exam_site": "東京都文京区本駒込2-28-8 IPA大学 本館", "manager": "情報 太郎 教務部",
        "manager_deputy": "情報 花子", "electronic_keeper": "情報 花子 教務部",
        "printer": "情報 花子 教務部", "printed_keeper": "情報 花子 教務部",
        "storage_method": "鍵付きの金庫に保管、鍵は情報 太郎が管理", "exam_executive": "情報 太郎 教務部",
        "grading_lead": "情報 太郎 教務部", "graders": 2, "grading_passes": 2,
    })  # fmt: skip


def _delivery(course, user, name, start, end, exams):
    sessions = {s.exam_date: s for s in ExamSession.objects.all()}
    slots = []
    for row, slot, kind, day in exams:
        entry = {"row": row, "slot": slot, "kind": kind}
        entry.update({"session": sessions[day]} if kind == "ipa" else {"vendor_date": day})
        slots.append(entry)
    services.save_delivery_course(course.pk, user, {
        "name": name, "prefecture": "東京都", "address": "文京区本駒込2-28-8", "building": "IPA大学 本館3階",
        "expected_learners": 20, "start_date": start, "end_date": end,
        "instructors": "講師名：情報 太郎、情報 次郎", "committee_declaration": True,
        "vendor_name": course.vendor_name,
    }, slots)  # fmt: skip


@transaction.atomic
def load_demo_courses(provider, staff, reviewer) -> None:
    if ExemptionCourse.objects.filter(provider=provider).exists():
        return
    # 1. NONE_IPA, applied Feb 2025, certified 1 April 2025, with its certificate.
    with _on(D(2025, 2, 3)):
        course = services.create_course(provider, staff, {
            "course_type": CourseType.NONE_IPA, "name": "2025-2026年度講座A",
            "desired_month": D(2025, 4, 1), "attendance_ratio": "70%", "total_hours": Decimal("100.0"),
        })  # fmt: skip
        _fill(course, staff, every_item=True, hours=Decimal("100.0"))
        _delivery(course, staff, "2025年度実施講座4月コースA", D(2025, 4, 1), D(2025, 6, 7),
                  [("upper", 1, "ipa", D(2025, 6, 8)), ("upper", 2, "ipa", D(2025, 7, 27))])  # fmt: skip
        services.submit_course(course.pk, staff)
        request = fee_services.create_payment_request(
            provider, staff, [course.fee_lines.get().pk],
            {"payment_date": D(2025, 2, 5), "bank": "三菱UFJ銀行 本郷支店",
             "payer_name_kana": f"{provider.number}アイピーエーダイガク"},
        )  # fmt: skip
    with _on(D(2025, 2, 6)):
        fee_services.confirm_payment(request.pk, reviewer, D(2025, 2, 6))
        services.start_review(course.pk, reviewer, D(2025, 2, 6))
        services.approve_course(course.pk, reviewer, D(2025, 3, 10))
    services.certify_course(course.pk, reviewer, D(2025, 4, 1))

    # 2. PRIVATE_IPA, returned with reasons.
    with _on(D(2025, 8, 4)):
        course = services.create_course(provider, staff, {
            "course_type": CourseType.PRIVATE_IPA, "name": "2025-2027年度サンプル資格協会講座B",
            "vendor_name": "サンプル資格協会", "private_exam_name": "サンプル基礎試験",
            "vendor_min_hours": Decimal("40.0"), "desired_month": D(2025, 10, 1),
            "attendance_ratio": "7割", "total_hours": Decimal("45.0"),
        })  # fmt: skip
        _fill(course, staff, every_item=False, hours=Decimal("45.0"))
        _delivery(course, staff, "2025年度サンプル資格協会実施講座10月コースA", D(2025, 10, 1), D(2025, 12, 13),
                  [("upper", 1, "ipa", D(2025, 12, 14)), ("upper", 2, "ipa", D(2026, 1, 25)),
                   ("lower", 1, "ipa", D(2025, 12, 14)), ("lower", 2, "ipa", D(2026, 1, 25))])  # fmt: skip
        services.submit_course(course.pk, staff)
        services.return_course(
            course.pk, reviewer, "教材の版数と発行年月日を確認してください。",
            {"materials": "自作テキストの発行年月日が未来になっていないか確認してください。"},
        )  # fmt: skip

    # 3. PRIVATE_REVIEWED, still a draft (no delivery course yet).
    services.create_course(provider, staff, {
        "course_type": CourseType.PRIVATE_REVIEWED, "name": "2027-2028年度サンプル資格協会講座C",
        "vendor_name": "サンプル資格協会", "private_exam_name": "サンプル基礎試験",
        "vendor_min_hours": Decimal("40.0"), "desired_month": D(2027, 4, 1),
        "attendance_ratio": "2/3", "total_hours": Decimal("40.0"),
    })  # fmt: skip
