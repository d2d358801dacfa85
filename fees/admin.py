from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from portal.admin import AuditedAdminMixin

from .models import FeeLine, FeeSchedule, PaymentRequest


@admin.register(FeeSchedule)
class FeeScheduleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["kind", "amount", "unit", "valid_from", "valid_to"]
    list_filter = ["kind"]


@admin.register(PaymentRequest)
class PaymentRequestAdmin(AuditedAdminMixin, SimpleHistoryAdmin):
    list_display = ["pk", "provider", "request_date", "payment_date", "confirmed_on"]
    list_filter = ["confirmed_on"]
    # F3: payments are confirmed by reviewers on the payments page (which also
    # opens the courses for review), never by editing the record here.
    readonly_fields = ["provider", "created_by", "confirmed_on", "confirmed_by"]
    search_fields = ["provider__number", "provider__name", "payer_name_kana"]


@admin.register(FeeLine)
class FeeLineAdmin(admin.ModelAdmin):
    list_display = [
        "provider", "kind", "description", "unit_amount", "quantity", "payment_request", "cancelled_on",
    ]  # fmt: skip
    list_filter = ["kind"]

    def has_change_permission(self, request, obj=None):
        return False  # amounts are fixed when the line is created (F1)

    def has_delete_permission(self, request, obj=None):
        return False  # F1: fees are never refunded; lines are never removed
