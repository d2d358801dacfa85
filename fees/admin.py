from django.contrib import admin

from portal.admin import AuditedAdminMixin, HistoryAdmin

from .models import FeeLine, FeeSchedule, PaymentRequest


@admin.register(FeeSchedule)
class FeeScheduleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["kind", "amount", "unit", "valid_from", "valid_to"]
    list_filter = ["kind"]


@admin.register(PaymentRequest)
class PaymentRequestAdmin(AuditedAdminMixin, HistoryAdmin):
    list_display = ["request", "provider_name", "request_date", "payment_date", "confirmed_on"]
    list_filter = ["confirmed_on"]
    list_select_related = ["provider"]
    exclude = ["provider", "created_by", "confirmed_by"]

    @admin.display(description="入金確認依頼票", ordering="pk")
    def request(self, obj):
        return f"#{obj.pk}"

    @admin.display(description="講座開設者", ordering="provider__number")
    def provider_name(self, obj):
        return str(obj.provider)

    @admin.display(description="作成者")
    def created_by_name(self, obj):
        return obj.created_by.display_name if obj.created_by else "—"

    @admin.display(description="入金を確認した審査担当者")
    def confirmed_by_name(self, obj):
        return obj.confirmed_by.display_name if obj.confirmed_by else "—"

    # F3: payments are confirmed by reviewers on the payments page (which also
    # opens the courses for review), never by editing the record here.
    readonly_fields = ["provider_name", "created_by_name", "confirmed_on", "confirmed_by_name"]
    search_fields = ["provider__number", "provider__name", "payer_name_kana"]


@admin.register(FeeLine)
class FeeLineAdmin(admin.ModelAdmin):
    list_display = [
        "provider_name", "kind", "description", "unit_amount", "quantity", "request", "cancelled_on",
        "refundable_since",
    ]  # fmt: skip
    list_filter = ["kind"]
    list_select_related = ["provider", "payment_request"]

    @admin.display(description="講座開設者", ordering="provider__number")
    def provider_name(self, obj):
        return str(obj.provider)

    @admin.display(description="入金確認依頼票", ordering="payment_request")
    def request(self, obj):
        return f"#{obj.payment_request_id}" if obj.payment_request_id else "未作成"

    def has_change_permission(self, request, obj=None):
        return False  # amounts are fixed when the line is created (F1)

    def has_delete_permission(self, request, obj=None):
        return False  # F1: lines are never removed (a refund, E2, is a flag)
