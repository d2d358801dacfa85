from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from portal.admin import AuditedAdminMixin

from .models import DeliveryCourse, ExemptionCourse, SyllabusItem


@admin.register(SyllabusItem)
class SyllabusItemAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "field", "item", "sub_item", "to_be_confirmed", "active"]
    list_filter = ["field", "to_be_confirmed", "active"]
    search_fields = ["code", "item", "sub_item"]


class DeliveryCourseInline(admin.TabularInline):
    model = DeliveryCourse
    fields = ["serial", "name", "start_date", "end_date", "state"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(ExemptionCourse)
class ExemptionCourseAdmin(SimpleHistoryAdmin):
    """Read-only: the workflow lives on the review pages (audit, rules)."""

    list_display = ["number", "name", "course_type", "state", "certified_on", "valid_until"]
    list_filter = ["state", "course_type"]
    search_fields = ["provider__number", "name"]
    inlines = [DeliveryCourseInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
