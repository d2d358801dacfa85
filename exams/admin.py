from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from portal import audit
from portal.admin import AuditedAdminMixin

from . import rules
from .models import ExamSession


@admin.register(ExamSession)
class ExamSessionAdmin(AuditedAdminMixin, SimpleHistoryAdmin):
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
    ]
    list_filter = ["fiscal_year", "season"]
    actions = ["fill_typical_schedule"]

    @admin.action(
        description="空欄の期間を標準的な日程で埋める（公表された日程で確認してください）"
    )
    def fill_typical_schedule(self, request, queryset):
        filled = 0
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
                filled += 1
        messages.success(
            request,
            f"{filled}件の修了試験日程に標準的な期間を入れました。IPAの公表日程と照合してください。",
        )
