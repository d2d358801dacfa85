"""Demo exams for `manage.py load_demo`: the June and July exams of fiscal 2026
(the current fiscal year of the demo), IPA大学's applications, and a reported
June result with the completers of 別紙8. Built through the services, with the
clock put inside each window."""

import datetime
from unittest import mock
from zoneinfo import ZoneInfo

from django.db import transaction

from courses import services as course_services
from courses.models import ExemptionCourse
from fees import services as fee_services

from . import rules, services
from .models import ExamSession, ResultReport

D = datetime.date
JST = ZoneInfo("Asia/Tokyo")
JUNE, JULY = D(2026, 6, 14), D(2026, 7, 26)  # 2nd and 4th Sundays (E1)
COMPLETERS = [  # 別紙8 (its 2018 scores were out of 100; today's IPA problems have 60 points)
    ("情報", "一郎", "ジョウホウ", "イチロウ", D(1998, 10, 6), 60),
    ("情報", "二郎", "ジョウホウ", "ジロウ", D(1997, 5, 22), 54),
    ("情報", "三郎", "ジョウホウ", "サブロウ", D(1997, 7, 12), 52),
    ("情報", "四郎", "ジョウホウ", "シロウ", D(1996, 3, 20), 57),
    ("情報", "五郎", "ジョウホウ", "ゴロウ", D(1997, 4, 9), 51),
]
ROLES = {
    "exam_site": "東京都文京区本駒込2-28-8 IPA大学 本館3階", "manager": "情報 太郎 教務部",
    "manager_deputy": "情報 花子", "electronic_keeper": "情報 花子 教務部", "printer": "情報 花子 教務部",
    "printed_keeper": "情報 花子 教務部", "storage_method": "鍵付きの金庫、鍵は情報 太郎が管理",
    "exam_executive": "情報 太郎 教務部", "grading_lead": "情報 太郎 教務部", "graders": 2, "grading_passes": 2,
}  # fmt: skip


def at(day, hour=10):
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=JST)


@transaction.atomic
def load_demo_exams(provider, staff, reviewer) -> None:
    course = ExemptionCourse.objects.filter(provider=provider, state="certified").first()
    if course is None or ResultReport.objects.filter(delivery_course__course=course).exists():
        return
    sessions = {}
    for day in (JUNE, JULY):
        sessions[day], _ = ExamSession.objects.get_or_create(
            exam_date=day,
            defaults={"fiscal_year": 2026, "season": "summer", **rules.typical_schedule(day)},
        )
    with mock.patch("django.utils.timezone.localdate", return_value=D(2026, 3, 25)):
        delivery = course_services.save_delivery_course(course.pk, staff, {
            "name": "2026年度実施講座4月コースA", "prefecture": "東京都", "address": "文京区本駒込2-28-8",
            "building": "IPA大学 本館3階", "expected_learners": 25, "start_date": D(2026, 4, 6),
            "end_date": D(2026, 6, 13), "instructors": "講師名：情報 太郎、情報 次郎", "committee_declaration": True,
        }, [{"row": "upper", "slot": 1, "kind": "ipa", "session": sessions[JUNE]},
            {"row": "upper", "slot": 2, "kind": "ipa", "session": sessions[JULY]}])  # fmt: skip
        course_services.submit_delivery_course(delivery.pk, staff)
        course_services.review_delivery_course(delivery.pk, reviewer, approve=True)

    june = sessions[JUNE]
    in_window = at(june.application_opens_at.date() + datetime.timedelta(days=2))
    site = services.save_site(provider, staff, june.pk, ROLES, now=in_window)
    services.save_application(site.pk, staff, delivery.pk, 25, now=in_window)
    application = services.submit_applications(site.pk, staff, now=in_window)[0]
    request = fee_services.create_payment_request(
        provider, staff, [application.fee_line_id],
        {"payment_date": in_window.date(), "bank": "三菱UFJ銀行 本郷支店",
         "payer_name_kana": f"{provider.number}アイピーエーダイガク"},
    )  # fmt: skip
    fee_services.confirm_payment(
        request.pk, reviewer, in_window.date() + datetime.timedelta(days=1)
    )

    report = services.open_report(application.pk, staff)
    graded = at(JUNE + datetime.timedelta(days=2), 18)
    services.update_report(
        report.pk,
        staff,
        {"examinees": 22, "certified_on": JUNE + datetime.timedelta(days=2)},
        now=graded,
    )
    for serial, (family, given, family_kana, given_kana, birth, score) in enumerate(
        COMPLETERS, start=1
    ):
        services.add_completer(report.pk, staff, {
            "serial": serial, "family_name": family, "given_name": given, "family_kana": family_kana,
            "given_kana": given_kana, "birth_date": birth, "score": score,
        })  # fmt: skip
    services.update_report(report.pk, staff, {"consent_confirmed": True}, now=graded)
    services.submit_report(report.pk, staff, now=at(JUNE + datetime.timedelta(days=3)))
    services.decide_report(report.pk, reviewer, accept=True)

    july = sessions[JULY]
    in_window = at(july.application_opens_at.date() + datetime.timedelta(days=1))
    site = services.save_site(provider, staff, july.pk, ROLES, now=in_window)
    services.save_application(site.pk, staff, delivery.pk, 3, now=in_window)
    services.submit_applications(site.pk, staff, now=in_window)
