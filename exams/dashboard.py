"""The exams' part of the provider's dashboard (I1, portal.dashboard): the
exam windows open right now that concern the provider."""

from django.urls import reverse
from django.utils import timezone

from calendars.models import ExamSession
from portal import dashboard

from . import rules, services
from .models import ExamApplication, ResultReport


def exam_deadlines(provider, context, now) -> list[tuple[str, str]]:
    """The exam windows open right now that concern this provider, most urgent
    first: applications still to make (15:00) and results still to report (17:00)."""
    steps = []
    open_apply = ExamSession.objects.filter(
        published=True,
        application_opens_at__lte=now,
        application_closes_at__gt=now,
        cancelled_on__isnull=True,  # E2: a cancelled exam takes no application
    ).order_by("application_closes_at")
    for session in open_apply:
        applied = ExamApplication.objects.filter(
            session=session, site__provider=provider, state=ExamApplication.S.SUBMITTED
        )
        waiting = services.eligible_delivery_courses(provider, session).exclude(
            pk__in=applied.values("delivery_course_id")
        )
        if waiting.exists():
            steps.append((
                f"{session.exam_date:%-m月%-d日}の修了試験の申込み締切は{timezone.localtime(session.application_closes_at):%-m月%-d日 %H:%M}です"
                f"（{rules.countdown_text(session.application_closes_at, now)}）。",
                reverse("exam_session", args=[session.pk]),
            ))  # fmt: skip
    open_report = ExamSession.objects.filter(
        published=True, report_opens_at__lte=now, report_closes_at__gt=now
    ).order_by("report_closes_at")
    for session in open_report:
        applied = ExamApplication.objects.filter(
            session=session, site__provider=provider, state=ExamApplication.S.SUBMITTED
        )
        reported = ResultReport.objects.filter(
            application__in=applied, state__in=[ResultReport.S.SUBMITTED, ResultReport.S.ACCEPTED]
        )
        missing = applied.count() - reported.count()
        if missing > 0:
            steps.append((
                f"{session.exam_date:%-m月%-d日}の修了試験の結果報告が{missing}件残っています。締切は"
                f"{timezone.localtime(session.report_closes_at):%-m月%-d日 %H:%M}です（{rules.countdown_text(session.report_closes_at, now)}）。",
                reverse("exam_session", args=[session.pk]),
            ))  # fmt: skip
    return steps


# First among the next steps: the windows close to the minute.
dashboard.register(dashboard.Part("exams", order=20, next_steps=exam_deadlines))


def problem_steps(provider, context, now) -> list[tuple[str, str]]:
    """E3/M§6.3: the encrypted problems of a coming exam are out and a
    recipient of this provider has not downloaded them yet."""
    from . import delivery
    from .models import ProblemFile

    today = timezone.localdate(now)
    files = ProblemFile.objects.filter(
        kind=ProblemFile.Kind.PROBLEMS, available_from__lte=today, session__exam_date__gte=today,
        session__sites__provider=provider,
    ).select_related("session").distinct()  # fmt: skip
    steps = []
    for problem_file in files:
        sites = (
            delivery.delivery_sites(problem_file.session)
            .filter(provider=provider)
            .exclude(problem_downloads__file=problem_file)
        )
        if any(delivery.delivery_problem(site) is None for site in sites):
            steps.append((
                f"{problem_file.session.exam_date:%-m月%-d日}の修了試験の問題を"
                f"{problem_file.available_from:%-m月%-d日}から提供しています。受取人がダウンロードし、"
                f"{delivery.reminder_day(problem_file.session):%-m月%-d日}までに復号できることを確認してください。",
                reverse("problem_list"),
            ))  # fmt: skip
    return steps


dashboard.register(dashboard.Part("exam_problems", order=21, next_steps=problem_steps))
