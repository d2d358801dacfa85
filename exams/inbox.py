"""The exams app's items in IPA's inbox (portal.inbox, W2): submitted result
reports (checked by the end of the report window; W7: a report filed more
than 2 weeks after its certification date is flagged; accepted in a batch)
and applications whose problem fee came after the close (E2/F3/W7: IPA
decides before the problems are provided)."""

from django.urls import reverse

from portal import inbox, workflow
from portal.inbox import local_date

from . import rules, services
from .models import ResultReport

LATE_REPORT = "修了認定から2週間を超えた報告"
LATE_PAYMENT = "申込み締切後の入金"


def _provider(delivery):
    provider = delivery.course.provider
    return provider.number, provider.name


def _accept(pk, actor, data):
    services.decide_report(pk, actor, True)


inbox.register_source(
    inbox.InboxSource(
        kind="report",
        label="修了試験結果の報告",
        order=50,
        queryset=lambda: (
            ResultReport.objects.filter(
                state__in=workflow.for_model(ResultReport).values(lambda s: s.waiting_for_ipa)
            )
            .select_related("delivery_course__course__provider", "session")
            .order_by("submitted_at", "pk")
        ),
        due=lambda r: rules.report_review_due(r.session.report_closes_at),
        due_note="結果報告の期間の終わりまで",
        url=lambda r: reverse("review_report", args=[r.pk]),
        provider=lambda r: _provider(r.delivery_course),
        title=lambda r: f"{r.delivery_course.name}（{r.exam_date:%Y/%m/%d}）",
        flags=lambda r: [LATE_REPORT] if r.late_flag else [],
        batch=inbox.BatchAction("選んだ報告をまとめて受理する", run=_accept, done="受理しました"),
    )
)

inbox.register_source(
    inbox.InboxSource(
        kind="late_payment",
        label="締切後の入金（修了試験の申込み）",
        order=45,
        queryset=lambda: (
            services.late_payments_to_decide()
            .select_related(
                "delivery_course__course__provider", "session", "fee_line__payment_request"
            )
            .order_by("submitted_at", "pk")
        ),
        due=lambda a: rules.late_payment_decision_due(
            a.session.problems_delivered_on, a.session.exam_date
        ),
        due_note="修了試験問題の提供日まで",
        url=lambda a: reverse("review_exam_session", args=[a.session_id]),
        provider=lambda a: _provider(a.delivery_course),
        title=lambda a: f"{a.delivery_course.name}（{a.session}）",
        state=lambda a: "締切後の入金の判断待ち",
        submitted=lambda a: local_date(a.fee_line.payment_request.confirmed_on),
        flags=lambda a: [LATE_PAYMENT],
    )
)
