from django.contrib import admin

from portal.admin import AuditedAdminMixin, HistoryAdmin

from .models import Membership, Provider, ProviderNumberCounter, Registration


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Provider)
class ProviderAdmin(AuditedAdminMixin, HistoryAdmin):
    """Providers come from accepted registrations (with a number from the
    counter); they are never added or deleted here, so no number is reused (P5)."""

    list_display = ["number", "name", "category", "status", "registered_at"]
    list_filter = ["status", "category", "prefecture"]
    search_fields = ["number", "name", "name_kana", "contact_email"]
    readonly_fields = ["number", "registered_at"]
    inlines = [MembershipInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Registration)
class RegistrationAdmin(HistoryAdmin):
    """Read-only here: reviewers decide on the review pages, which keep the
    workflow rules and the audit log."""

    list_display = ["receipt", "name", "state", "submitted_at", "submission_count"]
    list_filter = ["state", "category"]
    search_fields = ["name", "name_kana", "contact_email"]

    @admin.display(description="登録申請", ordering="pk")
    def receipt(self, obj):
        return f"#{obj.pk}"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ProviderNumberCounter)
class ProviderNumberCounterAdmin(admin.ModelAdmin):
    """Read-only: lowering the counter would let a number be issued twice (P5)."""

    list_display = ["issued"]
    fields = readonly_fields = ["issued"]

    @admin.display(description="最後に付与した講座開設者番号")
    def issued(self, obj):
        return f"{obj.last_issued:05d}"

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
