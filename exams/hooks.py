"""What this app tells the apps below it through their hooks (registered on
import, from ExamsConfig.ready), so that they import nothing of exams:

* fees: which unpaid problem fees nothing could ever close (E2).
"""

from django.db.models import Q

from calendars.rules import exam_day_label
from fees import services as fee_services
from fees.models import FeeKind, FeeLine


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
