from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path

from portal.admin import AuditedAdminMixin, HistoryAdmin

from . import services
from .models import DeliveryCourse, ExemptionCourse, SyllabusItem


class SyllabusUploadForm(forms.Form):
    file = forms.FileField(
        label="シラバスファイル（CSV または Excel）",
        help_text="1行目は見出し。列は 管理番号, 分野, 項目, 小分類 の順。",
    )


@admin.register(SyllabusItem)
class SyllabusItemAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "field", "item", "sub_item", "to_be_confirmed", "active"]
    list_filter = ["field", "to_be_confirmed", "active"]
    search_fields = ["code", "item", "sub_item"]
    change_list_template = "admin/courses/syllabusitem/change_list.html"

    def get_urls(self):
        return [
            path(
                "upload/",
                self.admin_site.admin_view(self.upload_view),
                name="courses_syllabus_upload",
            ),
            *super().get_urls(),
        ]

    def upload_view(self, request):
        form = SyllabusUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > 5 * 1024 * 1024:
                    raise ValidationError("「シラバスファイル」は5MB以下にしてください。")
                rows = services.read_syllabus_file(upload.name, upload.read())
                result = services.import_syllabus(rows, request.user)
            except (ValidationError, PermissionDenied) as exc:
                for message in getattr(exc, "messages", [str(exc)]):
                    form.add_error("file", message)
            else:
                messages.success(
                    request,
                    f"シラバス項目を{result['imported']}件登録しました（使用停止 {result['retired']}件）。",
                )
                return redirect("admin:courses_syllabusitem_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": "シラバス項目の一括登録",
        }
        return render(request, "admin/courses/syllabusitem/upload.html", context)


class DeliveryCourseInline(admin.TabularInline):
    model = DeliveryCourse
    fields = ["serial", "name", "start_date", "end_date", "state"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(ExemptionCourse)
class ExemptionCourseAdmin(HistoryAdmin):
    """Read-only: the workflow lives on the review pages (audit, rules)."""

    list_display = ["course_number", "name", "course_type", "state", "certified_on", "valid_until"]
    list_filter = ["state", "course_type"]
    search_fields = ["provider__number", "name"]
    inlines = [DeliveryCourseInline]
    list_select_related = ["provider"]

    @admin.display(description="免除対象講座番号", ordering="provider__number")
    def course_number(self, obj):
        return obj.number

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
