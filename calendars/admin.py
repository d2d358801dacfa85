from django.contrib import admin, messages

from portal import audit
from portal.admin import AuditedAdminMixin, HistoryAdmin

from . import rules
from .models import ExamSession


@admin.register(ExamSession)
class ExamSessionAdmin(AuditedAdminMixin, HistoryAdmin):
    """E1: IPA staff maintain the exam calendar here."""

    list_display = [
        "exam_date",
        "fiscal_year",
        "season",
        "application_opens_at",
        "application_closes_at",
        "problems_delivered_on",
        "report_closes_at",
        "exemption_valid_from",
        "exemption_valid_to",
        "note",
    ]
    list_filter = ["fiscal_year", "season"]
    # E2: an exam is cancelled on IPA's exam page (exams.services.cancel_session,
    # which also ends its applications), never by editing these here.
    readonly_fields = ["cancelled_on", "cancellation_reason", "cancelled_by"]
    actions = ["fill_typical_schedule"]

    @admin.action(
        description="空欄の期間を標準的な日程で埋める（公表された日程で確認してください）"
    )
    def fill_typical_schedule(self, request, queryset):
        filled = []
        for session in queryset:
            before = audit.snapshot(session)
            changed = False
            for name, value in rules.typical_schedule(session.exam_date).items():
                if getattr(session, name) is None:
                    setattr(session, name, value)
                    changed = True
            if changed:
                session.save()
                audit.record("admin.examsession.fill", session, actor=request.user,
                             changes=audit.diff(before, audit.snapshot(session)))  # fmt: skip
                filled.append(session)
        if not filled:
            messages.info(request, "空欄の期間はありませんでした。")
            return
        days = "、".join(f"{rules.exam_day_label(s.exam_date)}の修了試験" for s in filled)
        messages.warning(
            request,
            f"{len(filled)}件の修了試験日程（{days}）の空欄を標準的な日程で埋めました。"
            "標準的な日程は目安です（締切が土日・祝日・年末年始に当たる場合は前の営業日にしています）。"
            "必ずIPAが公表した日程と照合し、違う日付は修正してください。",
        )
