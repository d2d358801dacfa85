"""Demo exams for `manage.py load_demo`, computed from the day it runs (E1):

* the coming exams of the usual pattern (June and December: 2nd Sunday, July
  and January: 4th Sunday) for the next 18 months, with the usual windows
  (calendar_rules.typical_schedule) — only dates not in the calendar yet; IPA's
  published dates are never changed;
* one exam whose application window is open today and one whose report window
  is open today, with IPA大学's delivery courses on them; the latter is already
  applied for and paid, so its result report can be filed today;
* (certifications.demo, on the first run: an earlier exam with a reported and
  accepted result, the completers of 別紙8.)

Every session made here is labelled 「デモ用（…）」 in its note (備考). Built
through the services, with the clock put inside each window; running it again
the same day changes nothing, running it on a later day adds what that day
needs."""

import datetime

from django.db import transaction
from django.utils import timezone

from calendars import rules as calendar_rules
from calendars.models import ExamSession
from courses import demo as course_demo
from courses.demo import DAY, _on, _pay, at, clock
from courses.rules import add_months, fiscal_year
from fees import services as fee_services
from portal.bizdays import is_business_day

from . import services
from .models import ExamApplication

D = datetime.date
TYPICAL_LABEL = "デモ用（標準的な日程から計算）"
APPLY_LABEL = "デモ用（読み込んだ日に申込みを受付中）"
REPORT_LABEL = "デモ用（読み込んだ日に結果の報告を受付中）"
ROLES = {
    "exam_site": "東京都文京区本駒込2-28-8 IPA大学 本館3階", "manager": "情報 太郎 教務部",
    "manager_deputy": "情報 花子", "electronic_keeper": "情報 花子 教務部", "printer": "情報 花子 教務部",
    "printed_keeper": "情報 花子 教務部", "storage_method": "鍵付きの金庫、鍵は情報 太郎が管理",
    "exam_executive": "情報 太郎 教務部", "grading_lead": "情報 太郎 教務部", "graders": 2, "grading_passes": 2,
}  # fmt: skip
COMING_MONTHS = 18


def _new_session(day: datetime.date, label: str, **overrides) -> ExamSession:
    session = ExamSession(
        exam_date=day, fiscal_year=fiscal_year(day), season=calendar_rules.exam_season(day), note=label,
        **{**calendar_rules.typical_schedule(day), **overrides},
    )  # fmt: skip
    session.save()
    return session


def _free_sunday(day: datetime.date, step: int) -> datetime.date:
    """The Sunday nearest ``day`` (towards ``step``: +1 later, -1 earlier) that
    is neither in the calendar nor a date of the usual pattern, and whose usual
    windows (calendar_rules.typical_schedule) open and close on IPA business days, so
    that no holiday moves them."""
    day += datetime.timedelta(
        days=(6 - day.weekday()) % 7 if step > 0 else -((day.weekday() + 1) % 7)
    )
    taken = set(ExamSession.objects.values_list("exam_date", flat=True))
    while (
        day in taken
        or calendar_rules.typical_exam_dates(day - DAY, day)
        or not all(is_business_day(day + k * DAY) for k in (-32, -25, -4, 1, 5))
    ):
        day += datetime.timedelta(weeks=step)
    return day


def labelled_sessions(label: str):
    """The sessions the demo made with ``label``, latest first."""
    return ExamSession.objects.filter(note=label).order_by("-exam_date")


@transaction.atomic
def load_demo_sessions(today: datetime.date) -> None:
    """The coming exams of the usual pattern (E1), for the dates IPA has not
    put in the calendar."""
    taken = set(ExamSession.objects.values_list("exam_date", flat=True))
    for day in calendar_rules.typical_exam_dates(today, add_months(today, COMING_MONTHS)):
        if day not in taken:
            _new_session(day, TYPICAL_LABEL)


def _delivery_for(provider, staff, reviewer, today, session, name_suffix):
    """An approved delivery course of a certified course sitting ``session``
    (D2–D4): ten weeks of lessons ending the day before the exam."""
    end = session.exam_date - DAY
    start = end - datetime.timedelta(days=62)
    course = course_demo.journey_course(provider, staff, reviewer, today, start, session.exam_date)
    start = max(start, course.certified_on + datetime.timedelta(days=21))
    name = f"{fiscal_year(start)}年度実施講座{start.month}月コース（{name_suffix}）"
    return course_demo.added_delivery_course(course, staff, reviewer, name, start, end, [session])


def _apply_and_pay(provider, staff, reviewer, session, delivery, applicants):
    """申請書式3 inside the application window, paid and confirmed (E2, F3)."""
    opens, closes = session.application_opens_at, session.application_closes_at
    in_window = at(timezone.localtime(opens).date() + DAY, 10)
    if in_window >= closes:
        in_window = opens + (closes - opens) / 2
    with clock(in_window):
        site = services.save_site(provider, staff, session.pk, ROLES, now=in_window)
        services.save_application(site.pk, staff, delivery.pk, applicants, now=in_window)
        application = services.submit_applications(site.pk, staff, now=in_window)[0]
        request = _pay(provider, staff, [application.fee_line_id], in_window.date())
    confirmed_on = in_window.date() + DAY
    with _on(confirmed_on):
        fee_services.confirm_payment(request.pk, reviewer, confirmed_on)
    return application


def _application_journey(provider, staff, reviewer, today, now) -> None:
    """An exam whose application window is open now (opened three days ago,
    closing in about two weeks at 15:00), with a delivery course to apply for."""
    session = next(
        (s for s in labelled_sessions(APPLY_LABEL)
         if calendar_rules.window_is_open(s.application_opens_at, s.application_closes_at, now)),
        None,
    )  # fmt: skip
    if session is None:
        closes = calendar_rules.business_day_on_or_before(today + 14 * DAY)
        session = _new_session(
            _free_sunday(today + 28 * DAY, +1), APPLY_LABEL,
            application_opens_at=at(today - 3 * DAY, 0), application_closes_at=at(closes, 15),
        )  # fmt: skip
    if not services.eligible_delivery_courses(provider, session).exists():
        _delivery_for(provider, staff, reviewer, today, session, "申込み受付中")


def _report_journey(provider, staff, reviewer, today, now) -> None:
    """An exam whose report window is open now (opened the day after the exam,
    closing in about two weeks at 17:00), applied for and paid for."""
    session = next(
        (s for s in labelled_sessions(REPORT_LABEL)
         if calendar_rules.window_is_open(s.report_opens_at, s.report_closes_at, now)),
        None,
    )  # fmt: skip
    if session is None:
        day = _free_sunday(today - 3 * DAY, -1)
        closes = calendar_rules.business_day_on_or_before(today + 14 * DAY)
        session = _new_session(
            day, REPORT_LABEL, report_opens_at=at(day + DAY, 0), report_closes_at=at(closes, 17)
        )
    paid = ExamApplication.objects.filter(
        session=session, site__provider=provider, state=ExamApplication.S.SUBMITTED,
        fee_line__payment_request__confirmed_on__isnull=False,
    )  # fmt: skip
    if not paid.exists():
        delivery = _delivery_for(provider, staff, reviewer, today, session, "結果の報告受付中")
        _apply_and_pay(provider, staff, reviewer, session, delivery, 20)


@transaction.atomic
def load_demo_exams(provider, staff, reviewer, today: datetime.date, now=None) -> None:
    """The exam journeys of ``today`` (``now``: the moment they must be open)."""
    now = now or at(today, 12)
    _application_journey(provider, staff, reviewer, today, now)
    _report_journey(provider, staff, reviewer, today, now)
