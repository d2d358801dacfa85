"""Accounts, the audit log and the store of generated documents."""

import hashlib

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


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
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    object_id = models.CharField(max_length=64, blank=True)
    target = GenericForeignKey("content_type", "object_id")
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
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=64)
    source = GenericForeignKey("content_type", "object_id")
    status = models.CharField("状態", max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField("依頼日時", default=timezone.now)
    finished_at = models.DateTimeField("作成日時", null=True, blank=True)
    filename = models.CharField("ファイル名", max_length=255, blank=True)
    mime_type = models.CharField(max_length=127, blank=True)
    content = models.BinaryField(null=True, blank=True, editable=False)
    checksum = models.CharField("SHA-256", max_length=64, blank=True)
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
