import datetime

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from . import audit, outbox
from .models import AuditEntry, GeneratedDocument, OutboxMessage, Receipt, User


class JapaneseChangesHelper(HistoricalRecordContextHelper):
    """The 変更内容 column of a change history: choice labels, はい/いいえ and
    dates as the audit trail shows them, not ``submitted``, ``True`` or ``None``."""

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        if value is None or value == "" or value == {} or value == []:
            return "（なし）"
        if isinstance(value, datetime.datetime):
            return f"{timezone.localtime(value):%Y/%m/%d %H:%M:%S}"
        if isinstance(value, datetime.date):
            return f"{value:%Y/%m/%d}"
        return audit._readable(audit._choice_label(self.model, change.field, value))


class HistoryAdmin(SimpleHistoryAdmin):
    """SimpleHistoryAdmin whose change histories read in Japanese."""

    object_history_list_template = "admin/portal/history_list.html"

    def get_historical_record_context_helper(self, request, historical_record):
        return JapaneseChangesHelper(self.model, historical_record)


class AuditedAdminMixin:
    """Every change made in the Django admin writes an audit entry with the
    changed fields before/after, like the portal's own services."""

    # Never copied into the audit log, even as a hash.
    audit_exclude = {"password"}

    def _audited_fields(self, obj, form):
        concrete = {f.name for f in obj._meta.concrete_fields}
        return [n for n in form.changed_data if n in concrete and n not in self.audit_exclude]

    def save_model(self, request, obj, form, change):
        fields = self._audited_fields(obj, form)
        before = {}
        if change and obj.pk and fields:
            before = audit.snapshot(type(obj)._default_manager.get(pk=obj.pk), fields)
        super().save_model(request, obj, form, change)
        after = audit.snapshot(obj, fields) if fields else {}
        code = f"admin.{obj._meta.model_name}.{'change' if change else 'add'}"
        audit.record(code, obj, actor=request.user, changes=audit.diff(before, after))

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if "groups" in form.changed_data:
            audit.record(
                f"admin.{form.instance._meta.model_name}.groups",
                form.instance,
                actor=request.user,
                changes={"groups": [None, [g.name for g in form.instance.groups.all()]]},
            )
        for formset in formsets:
            for obj in formset.new_objects + [o for o, _ in formset.changed_objects]:
                audit.record(f"admin.{obj._meta.model_name}.save", obj, actor=request.user)
            for obj in formset.deleted_objects:
                audit.record(f"admin.{obj._meta.model_name}.delete", obj, actor=request.user)

    def delete_model(self, request, obj):
        audit.record(f"admin.{obj._meta.model_name}.delete", obj, actor=request.user)
        super().delete_model(request, obj)


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BaseUserAdmin):
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


class ActionFilter(admin.SimpleListFilter):
    """The actions by their Japanese names, not their codes."""

    title = "操作"
    parameter_name = "action"

    def lookups(self, request, model_admin):
        # Issue 11: the fixed list of known actions, not a DISTINCT over the
        # whole log (500,000 rows scanned for every page).
        return sorted(
            ((code, audit.action_label(code)) for code in audit.ACTIONS), key=lambda c: c[1]
        )

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


class PeriodFilter(admin.SimpleListFilter):
    """Issue 11: fixed periods instead of the date hierarchy, which reads
    the dates of every entry to offer its choices."""

    title = "期間"
    parameter_name = "period"
    DAYS = {
        "1": ("今日", 0),
        "7": ("過去7日間", 7),
        "30": ("過去30日間", 30),
        "365": ("過去1年間", 365),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _days) in self.DAYS.items()]

    def queryset(self, request, queryset):
        if self.value() not in self.DAYS:
            return queryset
        days = self.DAYS[self.value()][1]
        start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        return queryset.filter(at__gte=start - datetime.timedelta(days=days))


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "what", "actor_label", "ip"]
    list_filter = [ActionFilter, PeriodFilter]
    list_select_related = ["actor", "content_type"]
    search_fields = ["actor_label", "object_repr"]
    show_full_result_count = False
    fields = ["at", "what", "actor_label", "ip", "object_repr", "changed", "note"]
    readonly_fields = fields

    @admin.display(description="操作")
    def what(self, obj):
        return audit.sentence(obj)

    @admin.display(description="変更内容")
    def changed(self, obj):
        model = obj.content_type.model_class() if obj.content_type_id else None
        rows = audit.labelled_changes(model, obj.changes or {})
        return "／".join(f"{label}：{before} → {after}" for label, before, after in rows) or "—"

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


@admin.register(Receipt)
class ReceiptAdmin(admin.ModelAdmin):
    """到達番号 are records: read only, never edited or deleted."""

    list_display = ["number", "kind", "submitted_at", "title", "actor_label"]
    list_filter = ["kind", "fiscal_year"]
    search_fields = ["number", "title", "actor_label"]
    date_hierarchy = "submitted_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Two-factor devices (issue 11): an administrator sees who has set it up and
# deletes the device of someone who lost their phone (they set it up again at
# the next login). django-otp's own admin pages (secret keys, English) are
# replaced by these read-only lists.
def register_otp_admin():  # from PortalConfig.ready, after django-otp's admin
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for model in (TOTPDevice, StaticDevice):
        if admin.site.is_registered(model):
            admin.site.unregister(model)

    class DeviceAdmin(admin.ModelAdmin):
        list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
        list_select_related = ["user"]
        search_fields = ["user__email"]
        # Display methods, not the model's fields: django-otp's help texts
        # are English.
        fields = readonly_fields = ["owner", "label", "ready", "created", "last_used"]

        @admin.display(description="利用者")
        def owner(self, obj):
            return str(obj.user)

        @admin.display(description="名前")
        def label(self, obj):
            return obj.name

        @admin.display(description="確認済み", boolean=True)
        def ready(self, obj):
            return obj.confirmed

        @admin.display(description="登録日時")
        def created(self, obj):
            return obj.created_at

        @admin.display(description="最終利用日時")
        def last_used(self, obj):
            return obj.last_used_at

        def has_add_permission(self, request):
            return False

        def has_change_permission(self, request, obj=None):
            return False

    admin.site.register(TOTPDevice, DeviceAdmin)
    admin.site.register(StaticDevice, DeviceAdmin)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """The outbox (portal.outbox): notices and documents waiting for the
    broker, and the notices that could not be sent (状態：失敗), with the
    action 再送 once the mail server is back."""

    list_display = ["created_at", "task_name", "summary", "status", "attempts", "last_error"]
    list_filter = ["status", "task_name"]
    actions = ["resend"]
    fields = [
        "task_name",
        "summary",
        "status",
        "created_at",
        "sent_at",
        "done_at",
        "attempts",
        "last_error",
    ]
    readonly_fields = fields

    @admin.display(description="内容")
    def summary(self, obj):
        if obj.task_name == OutboxMessage.Task.SEND_MAIL and len(obj.args) >= 3:
            subject, _body, to = obj.args[:3]
            return f"{subject}（宛先：{'、'.join(to)}）"
        if obj.task_name == OutboxMessage.Task.RENDER_DOCUMENT and obj.args:
            return f"作成書類 #{obj.args[0]}"
        return "—"

    @admin.action(description="選択した通知を再送する")
    def resend(self, request, queryset):
        for message in queryset:
            audit.record("admin.outboxmessage.resend", message, actor=request.user)
        count = outbox.resend(queryset)
        self.message_user(request, f"{count}件を再送しました。")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
