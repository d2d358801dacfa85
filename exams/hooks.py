"""What this app tells the apps below it through their hooks (registered on
import, from ExamsConfig.ready), so that they import nothing of exams:

* fees: which unpaid problem fees nothing could ever close (E2).
"""

from calendars.rules import exam_day_label
from fees import services as fee_services
from fees.models import FeeKind, FeeLine


def lapsed_problem_fees(unpaid, today):
    """E2 (M§5.7): a problem fee of an exam whose date has passed (the fee is
    due by the close; IPA may still accept a late payment until the exam,
    never after)."""
    lapsed = unpaid.filter(exam_application__session__exam_date__lt=today)
    return [
        (
            FeeLine.objects.filter(pk=line.pk),
            f"修了試験日（{exam_day_label(line.exam_application.session.exam_date)}）"
            "までに問題提供料の入金を確認できなかったため",
        )
        for line in lapsed.select_related("exam_application__session")
    ]


fee_services.register_orphans(FeeKind.PROBLEM, lapsed_problem_fees)
