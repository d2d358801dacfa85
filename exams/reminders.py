"""The reminders of the exam windows (portal.reminders), found by
portal.reminders.kinds():

* E2: the application window of an exam closes in 2 days, for providers with
  an approved delivery course naming that exam and no application filed;
* R1: the report window is open, and it closes tomorrow, for filed
  applications without a filed result report.

Each reminder goes to the provider's registered contact, once per exam
(one e-mail listing the delivery courses) and occasion.
"""

import datetime
from collections import defaultdict

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from calendars.models import ExamSession
from courses.models import DeliveryCourse
from portal import reminders, workflow

from .models import ApplicationState, ExamApplication, ResultReport

APPLICATION_DAYS_BEFORE = 2  # the reminder goes 2 days before the closing day
REPORT_DAYS_BEFORE = 1  # and 1 day before the report window closes


def _local_day(moment) -> datetime.date:
    return timezone.localdate(moment)


def _open_sessions(**window):
    return ExamSession.objects.filter(published=True, cancelled_on__isnull=True, **window)


def _key(session, provider) -> str:
    return f"{reminders.object_key(session)}/{reminders.object_key(provider)}"


def _in_force(model: str) -> tuple:
    return workflow.for_model(model).values(lambda state: state.in_force)


def application_closing(today: datetime.date):
    """E2: from 2 days before the closing day until the closing day."""
    for session in _open_sessions(application_closes_at__isnull=False).order_by("exam_date"):
        closes_on = _local_day(session.application_closes_at)
        if not (closes_on - datetime.timedelta(days=APPLICATION_DAYS_BEFORE) <= today <= closes_on):
            continue
        filed = ExamApplication.objects.filter(
            session=session, state=ApplicationState.SUBMITTED
        ).values("delivery_course_id")
        deliveries = (
            DeliveryCourse.objects.filter(
                state__in=_in_force("courses.DeliveryCourse"),
                course__state__in=_in_force("courses.ExemptionCourse"),
                exams__session=session,
            )
            .exclude(pk__in=filed)
            .select_related("course__provider")
            .distinct()
            .order_by("course__provider_id", "course__serial", "serial")
        )
        by_provider = defaultdict(list)
        for delivery in deliveries:
            by_provider[delivery.course.provider].append(delivery)
        for provider, listed in by_provider.items():
            yield reminders.Reminder(
                key=_key(session, provider),
                occasion=f"{closes_on:%Y-%m-%d}",
                to=reminders.provider_contact(provider),
                link=reverse("exam_session", args=[session.pk]),
                context={
                    "provider": provider,
                    "session": session,
                    "deliveries": listed,
                    "closes_at": timezone.localtime(session.application_closes_at),
                },
            )


def report_window(today: datetime.date):
    """R1: on the day the report window opens (until the day before the
    reminder of its close), and from the day before it closes until the
    closing day, for each filed application without a filed report."""
    for session in _open_sessions(
        report_opens_at__isnull=False, report_closes_at__isnull=False
    ).order_by("exam_date"):
        opens_on = _local_day(session.report_opens_at)
        closes_on = _local_day(session.report_closes_at)
        closing_from = closes_on - datetime.timedelta(days=REPORT_DAYS_BEFORE)
        if opens_on <= today < closing_from:
            occasion, template = f"open-{opens_on:%Y-%m-%d}", "reminder_report_open"
        elif closing_from <= today <= closes_on:
            occasion, template = f"closing-{closes_on:%Y-%m-%d}", "reminder_report_closing"
        else:
            continue
        unfiled = workflow.for_model("exams.ResultReport").values(
            lambda state: state.provider_may_edit
        )
        filed = ResultReport.objects.filter(application__session=session).exclude(state__in=unfiled)
        applications = (
            ExamApplication.objects.filter(session=session, state=ApplicationState.SUBMITTED)
            .filter(~Q(pk__in=filed.values("application_id")))
            .select_related("site__provider", "delivery_course__course")
            .order_by("site__provider_id", "delivery_course__course__serial")
        )
        by_provider = defaultdict(list)
        for application in applications:
            by_provider[application.site.provider].append(application)
        for provider, listed in by_provider.items():
            yield reminders.Reminder(
                key=_key(session, provider),
                occasion=occasion,
                template=template,
                to=reminders.provider_contact(provider),
                link=reverse("exam_session", args=[session.pk]),
                context={
                    "provider": provider,
                    "session": session,
                    "applications": listed,
                    "opens_at": timezone.localtime(session.report_opens_at),
                    "closes_at": timezone.localtime(session.report_closes_at),
                },
            )


reminders.register(
    reminders.Kind(
        name="exam_application_closing",
        label="修了試験の申込み締切の2日前（まだ申し込んでいない実施講座があるとき）",
        template="reminder_application_closing",
        due=application_closing,
        order=10,
    )
)
reminders.register(
    reminders.Kind(
        name="exam_report_window",
        label="修了試験結果の報告期間の開始日と締切の前日（まだ報告していないとき）",
        template="reminder_report_open",
        due=report_window,
        order=20,
    )
)
