"""The exams app's items in IPA's inbox (portal.inbox, W2): submitted result
reports (checked by the end of the report window; W7: a report filed more
than 2 weeks after its certification date is flagged; accepted in a batch)
and applications whose problem fee came after the close (E2/F3/W7: IPA
decides before the problems are provided)."""

from django.db.models import F
from django.urls import reverse

from portal import inbox, workflow

from . import rules, services
from .models import ResultReport

LATE_REPORT = "修了認定から2週間を超えた報告"
LATE_PAYMENT = "申込み締切後の入金"
PROVIDER = {
    "provider_number": F("delivery_course__course__provider__number"),
    "provider_name": F("delivery_course__course__provider__name"),
}


def _accept(pk, actor, data):
    services.decide_report(pk, actor, True)


inbox.register_source(
    inbox.InboxSource(
        kind="report",
        label="修了試験結果の報告",
        order=50,
        queryset=lambda: ResultReport.objects.filter(
            state__in=workflow.for_model(ResultReport).values(lambda s: s.waiting_for_ipa)
        ).select_related("delivery_course__course__provider", "session"),
        summary=lambda qs: qs.values(
            "pk", "state", "submitted_at", "late_flag", "session__report_closes_at", **PROVIDER
        ),
        state=inbox.workflow_state("exams.ResultReport"),
        due=lambda row: rules.report_review_due(row["session__report_closes_at"]),
        due_note="結果報告の期間の終わりまで",
        url=lambda r: reverse("review_report", args=[r.pk]),
        title=lambda r: f"{r.delivery_course.name}（{r.exam_date:%Y/%m/%d}）",
        flags=lambda row: [LATE_REPORT] if row["late_flag"] else [],
        batch=inbox.BatchAction("選んだ報告をまとめて受理する", run=_accept, done="受理しました"),
    )
)

inbox.register_source(
    inbox.InboxSource(
        kind="late_payment",
        label="締切後の入金（修了試験の申込み）",
        order=45,
        queryset=lambda: services.late_payments_to_decide().select_related(
            "delivery_course__course__provider", "session"
        ),
        summary=lambda qs: qs.values(
            "pk",
            "session__problems_delivered_on",
            "session__exam_date",
            confirmed_on=F("fee_line__payment_request__confirmed_on"),
            **PROVIDER,
        ),  # fmt: skip
        state=lambda row: "締切後の入金の判断待ち",
        submitted=lambda row: row["confirmed_on"],
        due=lambda row: rules.late_payment_decision_due(
            row["session__problems_delivered_on"], row["session__exam_date"]
        ),
        due_note="修了試験問題の提供日まで",
        url=lambda a: reverse("review_exam_session", args=[a.session_id]),
        title=lambda a: f"{a.delivery_course.name}（{a.session}）",
        flags=lambda row: [LATE_PAYMENT],
    )
)
