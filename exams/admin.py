from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from portal.admin import AuditedAdminMixin

from .models import ExamSession


@admin.register(ExamSession)
class ExamSessionAdmin(AuditedAdminMixin, SimpleHistoryAdmin):
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
