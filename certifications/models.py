"""An issued 認定証 (C12, 別紙14) is a record: the PDF bytes stored when it was
issued, served unchanged afterwards, one row per issue (認定 and each 再発行)."""

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone


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

    class Meta:
        verbose_name = "発行済みの認定証"
        verbose_name_plural = "発行済みの認定証"
        ordering = ["course", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["course", "version"], name="unique_certificate_version")
        ]

    def __str__(self):
        return f"{self.document_number}（{self.get_kind_display()}・{self.issued_on:%Y/%m/%d}）"

    @staticmethod
    def checksum_of(content: bytes) -> str:
        return hashlib.sha256(content).hexdigest()
