from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import AuditEntry, GeneratedDocument, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "family_name", "given_name", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "groups"]
    search_fields = ["email", "family_name", "given_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("氏名", {"fields": ["family_name", "given_name"]}),
        ("権限", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("日時", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "action", "actor_label", "ip", "object_repr"]
    list_filter = ["action"]
    search_fields = ["actor_label", "object_repr", "action"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(GeneratedDocument)
class GeneratedDocumentAdmin(admin.ModelAdmin):
    list_display = ["requested_at", "doc_type", "filename", "status", "checksum"]
    list_filter = ["doc_type", "status"]
    exclude = ["content"]
    readonly_fields = [f.name for f in GeneratedDocument._meta.fields if f.name != "content"]

    def has_add_permission(self, request):
        return False
