"""An accepted result report (申請書式4) with completers, built through the
services: the December 2024 exam of certified_course's delivery course,
applied for, paid, reported and accepted by IPA."""

import datetime
from zoneinfo import ZoneInfo

from calendars.models import ExamSession
from certifications import services as completer_services
from exams import services as exam_services

from .course_factories import certified_course

JST = ZoneInfo("Asia/Tokyo")
D = datetime.date
DEC = D(2024, 12, 8)  # apply 11-06 .. 11-13 15:00; report 12-09 .. 12-13 17:00
IN_APPLY = datetime.datetime(2024, 11, 10, 10, 0, tzinfo=JST)
IN_REPORT = datetime.datetime(2024, 12, 10, 10, 0, tzinfo=JST)
SITE = {
    "exam_site": "東京都文京区本駒込2-28-8 IPA大学 本館", "manager": "情報 太郎 教務部",
    "manager_deputy": "情報 花子", "electronic_keeper": "情報 花子 教務部", "printer": "情報 花子 教務部",
    "printed_keeper": "情報 花子 教務部", "storage_method": "金庫、鍵は情報 太郎", "exam_executive": "情報 太郎",
    "grading_lead": "情報 太郎", "graders": 2, "grading_passes": 2,
}  # fmt: skip
# 別紙8's people (today's IPA problems have 60 points, the pass mark is 36).
PEOPLE = [
    {"family_name": "情報", "given_name": "一郎", "family_kana": "ジョウホウ", "given_kana": "イチロウ",
     "birth_date": D(1998, 10, 6), "score": 60},
    {"family_name": "情報", "given_name": "二郎", "family_kana": "ジョウホウ", "given_kana": "ジロウ",
     "birth_date": D(1997, 5, 22), "score": 54},
]  # fmt: skip


def reported(provider, staff, reviewer, people=PEOPLE, *, course=None):
    """A report of the December exam with ``people``, submitted (not yet
    accepted); the problem fee is paid."""
    from fees import services as fee_services

    course = course or certified_course(provider, staff, reviewer)
    delivery = course.delivery_courses.get()
    session = ExamSession.objects.get(exam_date=DEC)
    site = exam_services.save_site(provider, staff, session.pk, SITE, now=IN_APPLY)
    exam_services.save_application(site.pk, staff, delivery.pk, len(people) + 2, now=IN_APPLY)
    application = exam_services.submit_applications(site.pk, staff, now=IN_APPLY)[0]
    line = application.fee_line
    payment = fee_services.create_payment_request(
        provider, staff, [line.pk],
        {"payment_date": D(2024, 11, 11), "bank": "銀行", "payer_name_kana": f"{provider.number}エー"},
    )  # fmt: skip
    fee_services.confirm_payment(payment.pk, reviewer, D(2024, 11, 12))
    report = exam_services.open_report(application.pk, staff)
    exam_services.update_report(
        report.pk, staff, {"examinees": len(people) + 1, "certified_on": D(2024, 12, 10)}
    )
    for serial, person in enumerate(people, start=1):
        completer_services.add_completer(report.pk, staff, {**person, "serial": serial})
    exam_services.update_report(report.pk, staff, {"consent_confirmed": True})
    exam_services.submit_report(report.pk, staff, now=IN_REPORT)
    report.refresh_from_db()
    return report


def accepted_report(provider, staff, reviewer, people=PEOPLE, *, course=None):
    """The report above, accepted by IPA (in force: corrections need a change
    request, R11)."""
    report = reported(provider, staff, reviewer, people, course=course)
    exam_services.decide_report(report.pk, reviewer, accept=True)
    report.refresh_from_db()
    return report
