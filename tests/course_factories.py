"""A complete exemption course (NONE_IPA, every syllabus item, 100.0 h, one
delivery course with the December/January exams) built through the services."""

import datetime
from decimal import Decimal
from unittest import mock

from calendars.models import ExamSession
from courses import services
from courses.models import OperationStructure, StudyMaterial, StudyPlanRow, SyllabusItem
from courses.rules import CourseType

FILED_ON = datetime.date(2024, 8, 20)  # the day this example course is filed


def complete_course(provider, user, *, with_delivery=True, hours_per_item=None):
    with mock.patch("django.utils.timezone.localdate", return_value=FILED_ON):
        return _complete_course(provider, user, with_delivery, hours_per_item)


def _complete_course(provider, user, with_delivery, hours_per_item):
    course = services.create_course(
        provider, user,
        {"course_type": CourseType.NONE_IPA, "name": "2024-2026年度講座A",
         "desired_month": datetime.date(2024, 10, 1), "attendance_ratio": "70%",
         "course_manager": "情報\u3000次郎", "total_hours": Decimal("100.0")},
    )  # fmt: skip
    StudyMaterial.objects.create(course=course, order=1, name="FE試験対策（〇〇編）", publisher="IPA出版",
                                 edition="第2版", published_on=datetime.date(2017, 2, 2))  # fmt: skip
    items = list(SyllabusItem.objects.filter(active=True))
    each = hours_per_item or (Decimal("100.0") / len(items)).quantize(Decimal("0.1"))
    for n, item in enumerate(items):
        hours = each if n else Decimal("100.0") - each * (len(items) - 1)
        StudyPlanRow.objects.create(course=course, syllabus_item=item, material="FE試験対策（〇〇編）",
                                    class_name="IT基礎", planned_session=f"第{n + 1:02d}回", hours=hours)  # fmt: skip
    OperationStructure.objects.create(
        course=course, exam_site="東京都文京区本駒込2-28-8", manager="情報 太郎 教務部",
        manager_deputy="情報 花子", electronic_keeper="情報 花子 教務部", printer="情報 花子 教務部",
        printed_keeper="情報 花子 教務部", storage_method="鍵付きの金庫、鍵は情報太郎が管理",
        exam_executive="情報 太郎 教務部", grading_lead="情報 太郎 教務部",
    )  # fmt: skip
    if with_delivery:
        services.save_delivery_course(
            course.pk, user,
            {"name": "2024年度実施講座10月コースA", "prefecture": "東京都", "address": "文京区本駒込2-28-8",
             "building": "IPAビル8階", "expected_learners": 20, "start_date": datetime.date(2024, 10, 1),
             "end_date": datetime.date(2024, 12, 7), "instructors": "講師名：情報 太郎",
             "committee_declaration": True},
            [{"row": "upper", "slot": 1, "kind": "ipa", "session": ExamSession.objects.get(exam_date=datetime.date(2024, 12, 8))},
             {"row": "upper", "slot": 2, "kind": "ipa", "session": ExamSession.objects.get(exam_date=datetime.date(2025, 1, 26))}],
        )  # fmt: skip
    return course


def certified_course(provider, staff, reviewer):
    """complete_course, paid, approved and certified on 2024-10-01; its delivery
    course (approved) sits the exams of 2024-12-08 and 2025-01-26."""
    from fees import services as fee_services

    course = complete_course(provider, staff)
    with mock.patch("django.utils.timezone.localdate", return_value=FILED_ON):
        services.submit_course(course.pk, staff)
        request = fee_services.create_payment_request(
            provider, staff, [course.fee_lines.get().pk],
            {"payment_date": FILED_ON, "bank": "銀行", "payer_name_kana": f"{provider.number}エー"},
        )  # fmt: skip
        fee_services.confirm_payment(request.pk, reviewer, FILED_ON)
        services.start_review(course.pk, reviewer)
        services.approve_course(course.pk, reviewer)
    services.certify_course(course.pk, reviewer, datetime.date(2024, 10, 1))
    course.refresh_from_db()
    return course
