"""Certified completers (修了認定者, R3–R8) and course certificates (認定証, C12).

* :class:`Completer`: one completer of a result report (exams.ResultReport)
  with the stored 16-character 修了認定者管理番号 (R4);
  :class:`CompleterUpload`: a bulk upload staged for the preview page;
  :class:`PrivateCertificateCopy`: copies of private-qualification
  certificates (R8). They came from ``exams`` and keep its tables
  (``exams_completer`` …).
* :class:`IssuedCertificate`: an issued 認定証 (C12, 別紙14) is a record: the
  PDF bytes stored when it was issued, served unchanged afterwards, one row
  per issue (認定 and each 再発行).
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils import timezone

from exams import rules as exam_rules
from portal.isolation import ProviderOwnedQuerySet
from portal.validators import KatakanaValidator, PersonNameValidator

# The verification code of an issued certificate (certifications.verification):
# 12 characters of an alphabet without look-alikes (no I, O, 0, 1).
VERIFICATION_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
VERIFICATION_CODE_LENGTH = 12


def new_verification_code() -> str:
    """A random verification code (60 bits from ``secrets``)."""
    return "".join(secrets.choice(VERIFICATION_ALPHABET) for _ in range(VERIFICATION_CODE_LENGTH))


class IssuedCertificate(models.Model):
    class Kind(models.TextChoices):
        ISSUE = "issue", "発行"
        REISSUE = "reissue", "再発行"

    course = models.ForeignKey(
        "courses.ExemptionCourse",
        verbose_name="免除対象講座",
        on_delete=models.PROTECT,
        related_name="issued_certificates",
    )
    version = models.PositiveSmallIntegerField("版")
    kind = models.CharField("種類", max_length=16, choices=Kind.choices, default=Kind.ISSUE)
    document_number = models.CharField("文書番号", max_length=40)
    issued_on = models.DateField("発行日")
    reason = models.CharField("再発行の理由", max_length=200, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="発行した審査担当者",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("記録日時", default=timezone.now)
    filename = models.CharField("ファイル名", max_length=255)
    content = models.BinaryField("PDFの内容", editable=False)
    checksum = models.CharField("チェックサム（SHA-256）", max_length=64)
    data = models.JSONField("印字した内容", default=dict)
    # Printed on the PDF beside the QR code of its verification page; one per
    # version, so that a superseded version still answers as superseded.
    verification_code = models.CharField(
        "照合コード",
        max_length=VERIFICATION_CODE_LENGTH,
        unique=True,
        default=new_verification_code,
        editable=False,
    )

    class Meta:
        verbose_name = "発行済みの認定証"
        verbose_name_plural = "発行済みの認定証"
        ordering = ["course", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["course", "version"], name="unique_certificate_version")
        ]

    def __str__(self):
        return f"{self.document_number}（{self.get_kind_display()}・{self.issued_on:%Y/%m/%d}）"

    @property
    def display_verification_code(self) -> str:
        """As printed: ``ABCD-EFGH-JKLM``."""
        code = self.verification_code or ""
        return "-".join(code[i : i + 4] for i in range(0, len(code), 4))

    @staticmethod
    def checksum_of(content: bytes) -> str:
        return hashlib.sha256(content).hexdigest()


class CompleterQuerySet(ProviderOwnedQuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        """R4: bulk-created completers get their stored 16-character number too."""
        objs = list(objs)
        for completer in objs:
            completer.set_management_number()
        return super().bulk_create(objs, *args, **kwargs)


class Completer(models.Model):
    """修了認定者 (R3, R4, R8). The 16-character 修了認定者管理番号 is stored and
    unique in the database: serials are unique per provider and exam month
    across all its reports (R4)."""

    provider_path = "report__delivery_course__course__provider"  # portal.isolation

    report = models.ForeignKey(
        "exams.ResultReport",
        verbose_name="修了試験結果の報告",
        on_delete=models.CASCADE,
        related_name="completers",
    )
    serial = models.PositiveIntegerField("修了認定者管理番号（下5桁）")
    management_number = models.CharField(
        "修了認定者管理番号", max_length=16, unique=True, blank=True, editable=False,
        help_text="講座開設者番号＋FE＋修了試験の年月（YYMM）＋下5桁。保存時に付けます。",
    )  # fmt: skip
    family_name = models.CharField(
        "姓（漢字）", max_length=20, validators=[PersonNameValidator("姓（漢字）")]
    )
    given_name = models.CharField(
        "名（漢字）", max_length=20, validators=[PersonNameValidator("名（漢字）")]
    )
    family_kana = models.CharField(
        "姓（カナ）", max_length=40, validators=[KatakanaValidator("姓（カナ）")]
    )
    given_kana = models.CharField(
        "名（カナ）", max_length=40, validators=[KatakanaValidator("名（カナ）")]
    )
    birth_date = models.DateField("生年月日")
    score = models.PositiveSmallIntegerField("点数")
    private_pass_date = models.DateField("民間資格の合格日", null=True, blank=True)
    private_pass_number = models.CharField("民間資格の合格番号", max_length=40, blank=True)

    objects = CompleterQuerySet.as_manager()

    class Meta:
        db_table = "exams_completer"  # moved from exams; the table keeps its name
        verbose_name = "修了認定者"
        verbose_name_plural = "修了認定者"
        ordering = ["report", "serial"]
        constraints = [
            models.UniqueConstraint(fields=["report", "serial"], name="unique_completer_serial"),
            models.CheckConstraint(condition=models.Q(serial__gte=1, serial__lte=99999), name="completer_serial_5_digits"),
            models.CheckConstraint(condition=Exact(Length("management_number"), 16), name="completer_number_16_characters"),
        ]  # fmt: skip

    def __str__(self):
        return f"{self.management_number_display} {self.family_name}\u3000{self.given_name}"

    def save(self, *args, **kwargs):
        self.set_management_number()  # follows the serial when it is corrected
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "serial" in update_fields:
            kwargs["update_fields"] = {*update_fields, "management_number"}
        super().save(*args, **kwargs)

    def computed_management_number(self) -> str:
        """R4: 16 characters, e.g. 99991FE150600001, from the report's provider
        and exam month and this serial."""
        report = self.report
        return exam_rules.management_number(
            report.delivery_course.course.provider.number, report.exam_date, self.serial
        )

    def set_management_number(self) -> None:
        self.management_number = self.computed_management_number()

    @property
    def management_number_display(self) -> str:
        return exam_rules.management_number_display(self.management_number)


class PrivateCertificateCopy(models.Model):
    """R8: a copy of a completer's private-qualification certificate."""

    provider_path = "report__delivery_course__course__provider"  # portal.isolation

    report = models.ForeignKey(
        "exams.ResultReport",
        verbose_name="修了試験結果の報告",
        on_delete=models.CASCADE,
        related_name="certificate_copies",
    )
    title = models.CharField("内容", max_length=100)
    file = models.FileField("ファイル", upload_to="private-certificates/%Y/%m/")
    uploaded_at = models.DateTimeField("登録日時", default=timezone.now)

    objects = ProviderOwnedQuerySet.as_manager()

    class Meta:
        db_table = "exams_privatecertificatecopy"
        verbose_name = "民間資格の合格証のコピー"
        verbose_name_plural = "民間資格の合格証のコピー"

    def __str__(self):
        return self.title


class CompleterUpload(models.Model):
    """A validated bulk upload waiting for the provider's confirmation on the
    preview page; saved all at once or not at all. Deleted after
    STAGED_UPLOAD_HOURS by a beat task (certifications.delete_staged_uploads)."""

    MAX_STORED_ERRORS = 1000
    STAGED_UPLOAD_HOURS = 24

    provider_path = "report__delivery_course__course__provider"  # portal.isolation

    report = models.ForeignKey(
        "exams.ResultReport",
        verbose_name="修了試験結果の報告",
        on_delete=models.CASCADE,
        related_name="uploads",
    )
    uploaded_by = models.ForeignKey(
        "portal.User", verbose_name="登録者", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField("ファイル名", max_length=200)
    rows = models.JSONField("読み込んだ行", default=list)
    # Issue 11: only the first MAX_STORED_ERRORS messages are kept, with the count.
    errors = models.JSONField("エラー", default=list)
    error_count = models.PositiveIntegerField("エラー件数", default=0)
    created_at = models.DateTimeField("読込み日時", default=timezone.now, db_index=True)
    applied_at = models.DateTimeField("登録日時", null=True, blank=True)

    objects = ProviderOwnedQuerySet.as_manager()

    class Meta:
        db_table = "exams_completerupload"
        verbose_name = "修了認定者の一括登録"
        verbose_name_plural = "修了認定者の一括登録"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.filename}（{len(self.rows)}件）"
