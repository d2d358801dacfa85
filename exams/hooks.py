"""What this app tells the apps below it through their hooks (registered on
import, from ExamsConfig.ready), so that they import nothing of exams:

* fees: which unpaid problem fees nothing could ever close (E2);
* courses: the exams of a delivery course someone applied for or reported
  (D6: dropping one needs a change request; D8: it cannot be deleted).
"""

from django.db.models import Q

from calendars.rules import exam_day_label
from courses import services as course_services
from fees import services as fee_services
from fees.models import FeeKind, FeeLine

from .models import ApplicationState, ExamApplication, ResultReport


def lapsed_problem_fees(unpaid, today):
    """E2 (M§5.7): a problem fee of an exam whose date has passed (the fee is
    due by the close; IPA may still accept a late payment until the exam,
    never after), or of an exam METI/IPA cancelled (e.g. a line whose
    入金確認依頼票 IPA returned after the cancellation)."""
    lapsed = unpaid.filter(
        Q(exam_application__session__exam_date__lt=today)
        | Q(exam_application__session__cancelled_on__isnull=False)
    )
    return [
        (FeeLine.objects.filter(pk=line.pk), _why(line.exam_application.session))
        for line in lapsed.select_related("exam_application__session")
    ]


def _why(session) -> str:
    if session.is_cancelled:
        return f"{session}は経済産業省・IPAの判断で中止されたため"
    return (
        f"修了試験日（{exam_day_label(session.exam_date)}）"
        "までに問題提供料の入金を確認できなかったため"
    )


fee_services.register_orphans(FeeKind.PROBLEM, lapsed_problem_fees)


def exam_uses(delivery):
    """D6/D8: the exam dates of ``delivery`` with a filed application
    (申請書式3, not withdrawn nor ended by a cancelled exam) or a result
    report (IPA審査問題 exams are reported without an application)."""
    applied = ExamApplication.objects.filter(
        delivery_course=delivery, state=ApplicationState.SUBMITTED
    ).values_list("session__exam_date", flat=True)
    reported = ResultReport.objects.filter(delivery_course=delivery).values_list(
        "exam_date", flat=True
    )
    return [(day, course_services.APPLIED) for day in applied] + [
        (day, course_services.REPORTED) for day in reported
    ]


def end_removed_exam_applications(delivery, dates, actor, note):
    """D6: IPA approved a change request that removes exams of ``delivery``
    someone applied for: their applications end (取下げ), in the approval's
    transaction (exams.services.end_applications_by_change)."""
    from . import services

    services.end_applications_by_change(delivery, dates, actor, note)


course_services.register_applied_exams(exam_uses, end_removed_exam_applications)


def problem_fee_receipt_days(lines):
    """F4 (M§14): a receipt for a problem fee is issued from the day the
    problems were delivered. Until the portal records deliveries, the exam
    date stands for it (the problems are delivered at the latest by then)."""
    days = dict(
        ExamApplication.objects.filter(fee_line__in=[line.pk for line in lines]).values_list(
            "fee_line_id", "session__exam_date"
        )
    )
    return {line.pk: days.get(line.pk) for line in lines}


fee_services.register_receipt_day(
    FeeKind.PROBLEM, "修了試験問題の提供日（修了試験日）", problem_fee_receipt_days
)
