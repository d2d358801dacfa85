"""Demo courses for `manage.py load_demo`: one of each type in several states
(certified with a certificate, returned, draft), built through the services so
that the demo data obeys the same rules as real data. Every date is computed
from the day the demo is loaded (``today``), so the journeys work on any date."""

import datetime
import string
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

from django.db import transaction

from calendars.models import ExamSession
from calendars.rules import typical_exam_dates
from fees import services as fee_services
from portal.bizdays import business_days_before, next_business_day_on_or_after

from . import services
from .models import ExemptionCourse, StudyMaterial, SyllabusItem
from .rules import (
    CourseType,
    add_months,
    certification_end_date,
    consecutive_season_months,
    first_of_month,
    fiscal_year,
)

D = datetime.date
DAY = datetime.timedelta(days=1)
JST = ZoneInfo("Asia/Tokyo")


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=JST)


def clock(moment: datetime.datetime):
    """Run services as at ``moment``: timezone.now() and timezone.localdate()
    answer it (the demo replays past applications)."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


def _on(day: datetime.date):
    """Run services as on ``day``, at noon."""
    return clock(at(day, 12))


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


def _season_pair(after: datetime.date, until: datetime.date):
    """D4: the first June/July or December/January pair of published exams
    with the first exam after ``after`` and the second by ``until``."""
    dates = typical_exam_dates(after, add_months(until, 1))
    published = set(
        ExamSession.objects.filter(exam_date__in=dates, published=True).values_list(
            "exam_date", flat=True
        )
    )
    for first, second in zip(dates, dates[1:], strict=False):
        if (
            consecutive_season_months(first, second)
            and second <= until
            and {first, second} <= published
        ):
            return first, second
    return None


def _pay(provider, staff, lines, day):
    return fee_services.create_payment_request(
        provider, staff, lines,
        {"payment_date": day, "bank": "三菱UFJ銀行 本郷支店",
         "payer_name_kana": f"{provider.number}アイピーエーダイガク"},
    )  # fmt: skip


def certified_demo_course(provider, staff, reviewer, today: datetime.date, letter: str = "A"):
    """A NONE_IPA course certified on the 1st of the month six months before
    ``today`` (so valid until about 18 months after it), applied for two months
    before that (C8), with one delivery course on the coming pair of exams."""
    certified_on = add_months(first_of_month(today), -6)
    valid_until = certification_end_date(certified_on)
    applied_on = next_business_day_on_or_after(add_months(certified_on, -2) + 2 * DAY)
    name = f"{fiscal_year(certified_on)}-{fiscal_year(valid_until)}年度講座{letter}"
    with _on(applied_on):
        course = services.create_course(provider, staff, {
            "course_type": CourseType.NONE_IPA, "name": name, "desired_month": certified_on,
            "attendance_ratio": "70%", "total_hours": Decimal("100.0"),
        })  # fmt: skip
        _fill(course, staff, every_item=True, hours=Decimal("100.0"))
        pair = _season_pair(today, valid_until)
        if pair is None:  # exams.demo.load_demo_sessions adds the coming exams first
            raise RuntimeError("No coming June/July or December/January exams in the calendar.")
        end = pair[0] - DAY
        start = max(certified_on, end - datetime.timedelta(days=69))
        _delivery(course, staff, f"{fiscal_year(start)}年度実施講座{start.month}月コース{letter}",
                  start, end, [("upper", 1, "ipa", pair[0]), ("upper", 2, "ipa", pair[1])])  # fmt: skip
        services.submit_course(course.pk, staff)
        request = _pay(provider, staff, [course.fee_lines.get().pk], applied_on)
    paid_on = next_business_day_on_or_after(applied_on + DAY)
    with _on(paid_on):
        fee_services.confirm_payment(request.pk, reviewer, paid_on)
        services.start_review(course.pk, reviewer, paid_on)
    approved_on = business_days_before(certified_on, 10)
    with _on(approved_on):
        services.approve_course(course.pk, reviewer, approved_on)
    with _on(certified_on):
        services.certify_course(course.pk, reviewer, certified_on)
    course.refresh_from_db()
    return course


def added_delivery_course(course, staff, reviewer, name, start, end, sessions):
    """A delivery course added to a certified course: submitted 7 IPA business
    days before its start (D7: at least 5) and approved the same day."""
    submitted_on = business_days_before(start, 7)
    with _on(submitted_on):
        delivery = services.save_delivery_course(course.pk, staff, {
            "name": name, "prefecture": "東京都", "address": "文京区本駒込2-28-8",
            "building": "IPA大学 本館3階", "expected_learners": 25, "start_date": start, "end_date": end,
            "instructors": "講師名：情報 太郎、情報 次郎", "committee_declaration": True,
        }, [{"row": "upper", "slot": n, "kind": "ipa", "session": s}
            for n, s in enumerate(sessions, start=1)])  # fmt: skip
        services.submit_delivery_course(delivery.pk, staff)
        services.review_delivery_course(delivery.pk, reviewer, approve=True)
    delivery.refresh_from_db()
    return delivery


def journey_course(provider, staff, reviewer, today, first_start, last_exam):
    """The demo provider's certified course that can take a delivery course
    starting on ``first_start`` (submitted after the certification) and an
    exam on ``last_exam``; a new one is certified when none fits any more."""
    fits = ExemptionCourse.objects.filter(
        provider=provider, course_type=CourseType.NONE_IPA, state=ExemptionCourse.S.CERTIFIED,
        certified_on__lte=first_start - datetime.timedelta(days=21), valid_until__gte=last_exam,
    ).order_by("-certified_on").first()  # fmt: skip
    if fits:
        return fits
    letters = string.ascii_uppercase
    letter = letters[ExemptionCourse.objects.filter(provider=provider).count() % len(letters)]
    return certified_demo_course(provider, staff, reviewer, today, letter)


@transaction.atomic
def load_demo_courses(provider, staff, reviewer, today: datetime.date) -> None:
    if ExemptionCourse.objects.filter(provider=provider).exists():
        return
    # 1. NONE_IPA, certified six months ago, with its certificate.
    certified_demo_course(provider, staff, reviewer, today, "A")

    # 2. PRIVATE_IPA, applied two weeks ago and returned with reasons.
    applied_on = next_business_day_on_or_after(today - 14 * DAY)
    desired = add_months(first_of_month(applied_on), 3)
    valid_until = certification_end_date(desired)
    pair = _season_pair(desired + 60 * DAY, valid_until)
    with _on(applied_on):
        course = services.create_course(provider, staff, {
            "course_type": CourseType.PRIVATE_IPA,
            "name": f"{fiscal_year(desired)}-{fiscal_year(valid_until)}年度サンプル資格協会講座B",
            "vendor_name": "サンプル資格協会", "private_exam_name": "サンプル基礎試験",
            "vendor_min_hours": Decimal("40.0"), "desired_month": desired,
            "attendance_ratio": "7割", "total_hours": Decimal("45.0"),
        })  # fmt: skip
        _fill(course, staff, every_item=False, hours=Decimal("45.0"))
        if pair:
            first, second = pair
            _delivery(course, staff, f"{fiscal_year(desired)}年度サンプル資格協会実施講座{desired.month}月コースA",
                      desired, first - DAY,
                      [("upper", 1, "ipa", first), ("upper", 2, "ipa", second),
                       ("lower", 1, "ipa", first), ("lower", 2, "ipa", second)])  # fmt: skip
            services.submit_course(course.pk, staff)
    if pair:
        with _on(next_business_day_on_or_after(applied_on + 2 * DAY)):
            services.return_course(
                course.pk, reviewer, "教材の版数と発行年月日を確認してください。",
                {"materials": "自作テキストの発行年月日が未来になっていないか確認してください。"},
            )  # fmt: skip

    # 3. PRIVATE_REVIEWED, still a draft (no delivery course yet).
    desired = add_months(first_of_month(today), 4)
    with _on(today):
        services.create_course(provider, staff, {
            "course_type": CourseType.PRIVATE_REVIEWED,
            "name": f"{fiscal_year(desired)}-{fiscal_year(certification_end_date(desired))}年度サンプル資格協会講座C",
            "vendor_name": "サンプル資格協会", "private_exam_name": "サンプル基礎試験",
            "vendor_min_hours": Decimal("40.0"), "desired_month": desired,
            "attendance_ratio": "2/3", "total_hours": Decimal("40.0"),
        })  # fmt: skip
