"""Issue 11: the completers (修了認定者) in the Django admin, read-only, and
every look at them audited like a download of personal data."""

from django.contrib import admin

from portal import audit

from .models import Completer


@admin.register(Completer)
class CompleterAdmin(admin.ModelAdmin):
    list_display = ["number", "full_name", "full_kana", "birth_date", "score", "report_number"]
    list_select_related = ["report__delivery_course__course__provider"]
    search_fields = ["=management_number", "family_name", "given_name", "family_kana", "given_kana"]
    search_help_text = "修了認定者管理番号（ハイフンなし16桁）・氏名・カナで検索"
    list_per_page = 100
    show_full_result_count = False
    ordering = ["-pk"]
    fields = ["number", "full_name", "full_kana", "birth_date", "score", "private_pass_date",
              "private_pass_number", "report_number"]  # fmt: skip
    readonly_fields = fields

    @admin.display(description="修了認定者管理番号", ordering="management_number")
    def number(self, obj):
        return obj.management_number_display

    @admin.display(description="氏名")
    def full_name(self, obj):
        return f"{obj.family_name}\u3000{obj.given_name}"

    @admin.display(description="氏名（カナ）")
    def full_kana(self, obj):
        return f"{obj.family_kana}\u3000{obj.given_kana}"

    @admin.display(description="修了試験番号")
    def report_number(self, obj):
        return obj.report.number

    def get_search_results(self, request, queryset, search_term):
        # 99991-FE1506-00001 as printed is found too.
        return super().get_search_results(request, queryset, search_term.replace("-", ""))

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if getattr(response, "status_code", 200) == 200:
            query = request.GET.get("q", "")
            audit.record(
                "completer.admin_list", actor=request.user,
                note=f"検索語：{query}" if query else "",
            )  # fmt: skip
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        completer = Completer.objects.filter(pk=object_id).select_related("report").first()
        if completer is not None and getattr(response, "status_code", 200) == 200:
            audit.record(
                "completer.admin_view", completer.report, actor=request.user,
                note=f"修了認定者管理番号：{completer.management_number_display}",
            )  # fmt: skip
        return response

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
