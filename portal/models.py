"""Accounts, the audit log and the store of generated documents."""

import hashlib

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class LabelledGenericForeignKey(GenericForeignKey):
    """A generic relation with a Japanese label (GenericForeignKey takes none)."""

    def __init__(self, verbose_name, ct_field="content_type", fk_field="object_id", **kwargs):
        super().__init__(ct_field, fk_field, **kwargs)
        self.verbose_name = verbose_name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("メールアドレスは必須です。")
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an e-mail address.

    Roles are groups (see portal.roles); the provider a staff user belongs to
    is providers.Membership.
    """

    email = models.EmailField("メールアドレス", unique=True)
    family_name = models.CharField("姓", max_length=40, blank=True)
    given_name = models.CharField("名", max_length=40, blank=True)
    is_active = models.BooleanField("有効", default=True)
    is_staff = models.BooleanField("管理画面の利用", default=False)
    date_joined = models.DateTimeField("登録日時", default=timezone.now)
    # portal.reminders: the user's switch for reminders (締切の前のお知らせ);
    # the notices of decisions and returns (portal.workflow) are always sent.
    reminders_enabled = models.BooleanField("リマインダーを受け取る", default=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = "ユーザー"
        verbose_name_plural = "ユーザー"

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        name = f"{self.family_name}\u3000{self.given_name}".strip("\u3000")
        return name or self.email

    def get_full_name(self):
        return self.display_name

    def get_short_name(self):
        return self.family_name or self.email


class AuditEntry(models.Model):
    """One row per state change or download of personal data (who, when,
    from where, what, and the changed fields before/after)."""

    at = models.DateTimeField("日時", default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作者",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField("操作者（記録時）", max_length=255, blank=True)
    ip = models.GenericIPAddressField("IPアドレス", null=True, blank=True)
    action = models.CharField("操作コード", max_length=64, db_index=True)
    content_type = models.ForeignKey(
        ContentType,
        verbose_name="対象の種類",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    object_id = models.CharField("対象のID", max_length=64, blank=True)
    target = LabelledGenericForeignKey("対象データ", "content_type", "object_id")
    object_repr = models.CharField("対象", max_length=255, blank=True)
    changes = models.JSONField("変更内容", default=dict, blank=True)
    note = models.TextField("備考", blank=True)

    class Meta:
        verbose_name = "監査ログ"
        verbose_name_plural = "監査ログ"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"])]

    def __str__(self):
        from .audit import sentence

        return f"{self.at:%Y/%m/%d %H:%M:%S} {sentence(self)}"


class GeneratedDocument(models.Model):
    """A rendered file from the document registry (portal.documents).

    The bytes are kept in the database rather than on a file system so that
    the web and worker containers need no shared volume; the forms are small
    (tens of kilobytes).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "作成待ち"
        RUNNING = "running", "作成中"
        DONE = "done", "完了"
        FAILED = "failed", "失敗"

    doc_type = models.CharField("書類", max_length=64)
    content_type = models.ForeignKey(
        ContentType, verbose_name="元データの種類", on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.CharField("元データのID", max_length=64)
    source = LabelledGenericForeignKey("元データ", "content_type", "object_id")
    status = models.CharField("状態", max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="依頼者",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField("依頼日時", default=timezone.now)
    finished_at = models.DateTimeField("作成日時", null=True, blank=True)
    filename = models.CharField("ファイル名", max_length=255, blank=True)
    mime_type = models.CharField("ファイル形式（MIMEタイプ）", max_length=127, blank=True)
    content = models.BinaryField("ファイルの内容", null=True, blank=True, editable=False)
    checksum = models.CharField("チェックサム（SHA-256）", max_length=64, blank=True)
    data_version = models.CharField("元データの版", max_length=64, blank=True)
    error = models.TextField("エラー", blank=True)

    class Meta:
        verbose_name = "作成書類"
        verbose_name_plural = "作成書類"
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "doc_type"])]

    def __str__(self):
        return self.filename or f"{self.doc_type} #{self.pk}"

    @staticmethod
    def checksum_of(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()


class Receipt(models.Model):
    """到達番号: one row per submission of a filing (every resubmission gets its
    own). Numbers are readable — a kind prefix, the fiscal year (April start)
    and a serial per kind and year — unique and never reused (see
    portal.receipts)."""

    class Kind(models.TextChoices):
        REGISTRATION = "registration", "講座開設者の登録申請"
        COURSE = "course", "免除対象講座の申請"
        DELIVERY = "delivery", "実施講座の追加申請"
        EXAM_APPLICATION = "exam_application", "修了試験の申込み"
        RESULT_REPORT = "result_report", "修了試験結果の報告"
        CHANGE = "change", "変更申請"
        WITHDRAWAL = "withdrawal", "認定講座開設者の取止めの届出"
        QUESTION = "question", "質問書"

    kind = models.CharField("申請の種類", max_length=32, choices=Kind.choices)
    fiscal_year = models.PositiveSmallIntegerField("年度")
    serial = models.PositiveIntegerField("連番")
    number = models.CharField("到達番号", max_length=16, unique=True)
    content_type = models.ForeignKey(
        ContentType, verbose_name="対象の種類", on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField("対象のID", max_length=64)
    target = LabelledGenericForeignKey("対象の申請", "content_type", "object_id")
    title = models.CharField("件名", max_length=255, blank=True)
    submitted_at = models.DateTimeField("到達日時", default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提出者",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField("提出者（記録時）", max_length=255, blank=True)
    # What IPA does next, as told at submission (it can depend on the filing:
    # a resubmission whose fee is already paid needs no second payment).
    next_steps_text = models.TextField("今後の流れ", blank=True)

    class Meta:
        verbose_name = "到達番号"
        verbose_name_plural = "到達番号"
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "fiscal_year", "serial"], name="receipt_serial_unique"
            )
        ]
        indexes = [models.Index(fields=["content_type", "object_id", "submitted_at"])]

    def __str__(self):
        return self.number

    @property
    def submitted_at_display(self) -> str:
        """2026年12月2日（水）15:04:31 (Japan time, to the second)."""
        local = timezone.localtime(self.submitted_at)
        weekday = "月火水木金土日"[local.weekday()]
        return f"{local.year}年{local.month}月{local.day}日（{weekday}）{local:%H:%M:%S}"


class ReceiptCounter(models.Model):
    """The last serial issued per filing kind and fiscal year; only moves
    forward, so a number is never issued twice."""

    kind = models.CharField("申請の種類", max_length=32, choices=Receipt.Kind.choices)
    fiscal_year = models.PositiveSmallIntegerField("年度")
    last_serial = models.PositiveIntegerField("最後に付与した連番", default=0)

    class Meta:
        verbose_name = "到達番号の採番"
        verbose_name_plural = "到達番号の採番"
        constraints = [
            models.UniqueConstraint(fields=["kind", "fiscal_year"], name="receipt_counter_unique")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.fiscal_year}年度 第{self.last_serial}号まで"


class Notice(models.Model):
    """One notice of a filing's life cycle to one user (portal.workflow): the
    in-app twin of the e-mail sent for the same transition."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="宛先",
        on_delete=models.CASCADE,
        related_name="notices",
    )
    subject = models.CharField("件名", max_length=255)
    body = models.TextField("本文")
    url = models.CharField("リンク先", max_length=500, blank=True)
    created_at = models.DateTimeField("通知日時", default=timezone.now)
    read_at = models.DateTimeField("既読日時", null=True, blank=True)

    class Meta:
        verbose_name = "お知らせ"
        verbose_name_plural = "お知らせ"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return self.subject


class ReminderSent(models.Model):
    """The ledger of reminders (portal.reminders): one row per reminder kind,
    object, occasion and recipient address, written before the e-mail is
    queued, so that a second run of the daily task sends nothing twice."""

    kind = models.CharField("リマインダーの種類", max_length=64)
    object_key = models.CharField("対象", max_length=100)
    occasion = models.CharField("機会", max_length=64)
    recipient = models.CharField("宛先", max_length=254)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="宛先のユーザー",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_at = models.DateTimeField("送信日時", default=timezone.now)

    class Meta:
        verbose_name = "送信したリマインダー"
        verbose_name_plural = "送信したリマインダー"
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_key", "occasion", "recipient"],
                name="one_reminder_per_occasion_and_recipient",
            )
        ]

    def __str__(self):
        return f"{self.object_key} {self.occasion} → {self.recipient}"


class Assignment(models.Model):
    """Who at IPA works on an item of the inbox (portal.inbox): one row per
    filing, any kind (a registration, a course, a payment request, …). An
    item without a row is unassigned and every reviewer sees it; each change
    of assignee is audited on the filing."""

    content_type = models.ForeignKey(
        ContentType, verbose_name="対象の種類", on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.PositiveBigIntegerField("対象のID")
    item = LabelledGenericForeignKey("対象")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="担当者",
        on_delete=models.CASCADE,
        related_name="inbox_assignments",
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="割り当てた審査担当者",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assigned_at = models.DateTimeField("割り当て日時", default=timezone.now)

    class Meta:
        verbose_name = "担当の割り当て"
        verbose_name_plural = "担当の割り当て"
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id"], name="one_assignment")
        ]

    def __str__(self):
        return f"{self.content_type_id}:{self.object_id} → {self.assignee}"


class IdempotencyKey(models.Model):
    """Issue 11: the one-time token of a create form (portal.idempotency),
    claimed in the same transaction as the object the form creates; a second
    post with the same token is sent to the first result instead."""

    token = models.CharField("送信トークン", max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="利用者",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    result_url = models.CharField("送信後の画面", max_length=500, blank=True)
    created_at = models.DateTimeField("送信日時", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "二重送信防止トークン"
        verbose_name_plural = "二重送信防止トークン"

    def __str__(self):
        return f"送信 {self.created_at:%Y-%m-%d %H:%M}"


class OutboxMessage(models.Model):
    """The transactional outbox (portal.outbox): a Celery task to publish,
    written in the same transaction as the change that calls for it, so that
    a notice or a document is never lost when the broker (Redis) is down at
    commit time. Published right after the commit, or later by
    ``manage.py relay_outbox``; a notice e-mail records here that it was sent
    (a message delivered twice sends one e-mail) or that it finally failed."""

    class Task(models.TextChoices):
        SEND_MAIL = "portal.send_mail", "通知メールの送信"
        RENDER_DOCUMENT = "portal.render_document", "書類の作成"

    class Status(models.TextChoices):
        PENDING = "pending", "送信待ち"
        SENT = "sent", "処理中"
        DONE = "done", "完了"
        FAILED = "failed", "失敗"

    task_name = models.CharField("処理", max_length=100, choices=Task.choices)
    args = models.JSONField("引数", default=list, blank=True)
    status = models.CharField("状態", max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField("登録日時", default=timezone.now)
    sent_at = models.DateTimeField("キューへの送信日時", null=True, blank=True)
    done_at = models.DateTimeField("完了日時", null=True, blank=True)
    attempts = models.PositiveIntegerField("送信の試行回数", default=0)
    last_error = models.TextField("最後のエラー", blank=True)

    class Meta:
        verbose_name = "通知・書類作成の処理"
        verbose_name_plural = "通知・書類作成の処理"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.get_task_name_display()} #{self.pk}"
