"""Fees (F1–F5): the fee schedule, fee lines, and the 入金確認依頼票."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from portal.history import HistoricalRecords
from portal.isolation import ProviderOwnedQuerySet


class FeeKind(models.TextChoices):
    REVIEW = "review", "講座認定審査手数料"
    PROBLEM = "problem", "修了試験問題提供料"


class FeeSchedule(models.Model):
    """F1: fixed amounts (tax included) with their validity; they do not
    follow tax changes by themselves."""

    kind = models.CharField("種類", max_length=16, choices=FeeKind.choices)
    amount = models.PositiveIntegerField("金額（税込・円）")
    unit = models.CharField("単位", max_length=16)
    valid_from = models.DateField("適用開始日")
    valid_to = models.DateField("適用終了日", null=True, blank=True)

    class Meta:
        verbose_name = "手数料表"
        verbose_name_plural = "手数料表"
        ordering = ["kind", "-valid_from"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount:,}円/{self.unit}（{self.valid_from}～）"


class PaymentRequest(models.Model):
    """F2: 入金確認依頼票 — one form may cover several fees paid together."""

    provider_path = "provider"  # portal.isolation: the way to its provider

    provider = models.ForeignKey(
        "providers.Provider",
        verbose_name="講座開設者",
        on_delete=models.PROTECT,
        related_name="payment_requests",
    )
    request_date = models.DateField("確認依頼日", default=timezone.localdate)
    payment_date = models.DateField("入金日（予定日）")
    bank = models.CharField("入金元金融機関（店名を含む）", max_length=100)
    payer_name_kana = models.CharField("振込名義人（カナ）", max_length=100)
    transfers = models.PositiveSmallIntegerField("入金口数", default=1)
    contact_name = models.CharField(
        "担当者氏名（登録担当者と異なる場合）", max_length=40, blank=True
    )
    contact_department = models.CharField("所属部署", max_length=100, blank=True)
    contact_tel = models.CharField("電話番号", max_length=13, blank=True)
    note = models.TextField("連絡事項", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="作成者",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_on = models.DateField("入金確認日", null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="入金を確認した審査担当者",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # F3: IPA could not match the form with money received (入金を確認できません).
    # The form stays in the history with its reason and the lines it named;
    # those lines are owed again (未払い) and go on a new form.
    returned_on = models.DateField("差し戻し日", null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="差し戻した審査担当",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    return_reason = models.CharField("差し戻し理由", max_length=200, blank=True)
    returned_lines = models.ManyToManyField(
        "FeeLine", blank=True, related_name="returned_requests", verbose_name="差し戻した手数料"
    )
    history = HistoricalRecords()

    objects = ProviderOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "入金確認依頼票"
        verbose_name_plural = "入金確認依頼票"
        ordering = ["-request_date", "-id"]

    def __str__(self):
        return f"入金確認依頼票 #{self.pk}（{self.provider.number}）"

    OPEN_LABEL = "入金確認待ち"

    @property
    def status_label(self) -> str:
        if self.confirmed_on:
            return "入金確認済み"
        return "差し戻し" if self.returned_on else self.OPEN_LABEL


class FeeLineQuerySet(ProviderOwnedQuerySet):
    def unpaid(self):
        """Owed and not yet on a 入金確認依頼票 (a cancelled line is owed no more)."""
        return self.filter(payment_request__isnull=True, cancelled_on__isnull=True)

    def refundable(self):
        """E2: paid (入金確認済み) and to be refunded, because METI/IPA
        cancelled what it was for (the only refund the scheme knows)."""
        return self.filter(
            refundable_since__isnull=False,
            cancelled_on__isnull=True,
            payment_request__confirmed_on__isnull=False,
        )


class FeeLine(models.Model):
    """One fee owed by a provider, created by an application (never refunded).
    A line never put on a 入金確認依頼票 is cancelled (取消) when what it was
    for is deleted or withdrawn (C9, M§5.3); it then stays in the history.
    The one exception to "never refunded" (E2, M§5.7 (11)): when METI/IPA
    cancel the exam, its paid problem fees become refundable (返金対象)."""

    provider = models.ForeignKey(
        "providers.Provider",
        verbose_name="講座開設者",
        on_delete=models.PROTECT,
        related_name="fee_lines",
    )
    kind = models.CharField("種類", max_length=16, choices=FeeKind.choices)
    description = models.CharField("内容", max_length=200)
    unit_amount = models.PositiveIntegerField("単価（円）")
    quantity = models.PositiveIntegerField("数量", default=1)
    # A deleted unapproved course (M§5.3) leaves its fee line in the history,
    # described by ``description`` (number and name).
    course = models.ForeignKey(
        "courses.ExemptionCourse",
        verbose_name="免除対象講座",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="fee_lines",
    )
    payment_request = models.ForeignKey(
        PaymentRequest,
        verbose_name="入金確認依頼票",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lines",
    )
    created_at = models.DateTimeField("発生日時", default=timezone.now)
    cancelled_on = models.DateField("取消日", null=True, blank=True)
    cancel_reason = models.CharField("取消の理由", max_length=200, blank=True)
    # E2: what it was for was cancelled by METI/IPA (試験中止): a line on a
    # 入金確認依頼票 is to be refunded once its payment is confirmed.
    refundable_since = models.DateField("返金対象となった日", null=True, blank=True)
    refund_reason = models.CharField("返金の理由", max_length=200, blank=True)

    objects = FeeLineQuerySet.as_manager()

    class Meta:
        verbose_name = "手数料"
        verbose_name_plural = "手数料"
        ordering = ["created_at", "id"]
        constraints = [
            # A line put on a 入金確認依頼票 may have been paid: never cancelled.
            models.CheckConstraint(
                condition=models.Q(cancelled_on__isnull=True)
                | models.Q(payment_request__isnull=True),
                name="cancelled_fee_line_not_on_request",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.description} {self.amount:,}円"

    @property
    def amount(self) -> int:
        return self.unit_amount * self.quantity

    @property
    def paid_on(self):
        request = self.payment_request
        return request.confirmed_on if request else None

    REFUNDABLE_LABEL = "返金対象（試験中止）"

    @property
    def is_refundable(self) -> bool:
        """E2: paid, and to be refunded because the exam was cancelled."""
        return bool(self.refundable_since and not self.cancelled_on and self.paid_on)

    @property
    def status_label(self) -> str:
        """未払い / 入金確認待ち / 入金確認済み / 取消 / 返金対象（試験中止), as the
        fee history shows it."""
        if self.cancelled_on:
            return "取消"
        if self.payment_request_id is None:
            return "未払い"
        if self.is_refundable:
            return self.REFUNDABLE_LABEL
        return "入金確認済み" if self.paid_on else "入金確認待ち"

    @property
    def refund_note(self) -> str:
        """What the refund flag means for this line now, with its reason."""
        if not self.refundable_since or self.cancelled_on:
            return ""
        if self.paid_on:
            return f"{self.refundable_since:%Y/%m/%d}から返金対象：{self.refund_reason}"
        return f"入金が確認されれば返金対象です：{self.refund_reason}"


class FeeDocumentKind(models.TextChoices):
    INVOICE = "invoice", "請求書（適格請求書）"
    RECEIPT = "receipt", "領収書"


class FeeDocument(models.Model):
    """F4/I3 (M§14): a qualified invoice (適格請求書) or receipt issued on the
    provider's request for chosen fee lines. An issued document is a record:
    the PDF bytes stored when it was issued (with their SHA-256) are served
    unchanged afterwards."""

    provider_path = "provider"  # portal.isolation: the way to its provider

    provider = models.ForeignKey(
        "providers.Provider",
        verbose_name="講座開設者",
        on_delete=models.PROTECT,
        related_name="fee_documents",
    )
    kind = models.CharField("種類", max_length=16, choices=FeeDocumentKind.choices)
    number = models.CharField("文書番号", max_length=20, unique=True)
    issued_on = models.DateField("発行日")
    addressee = models.CharField("宛名", max_length=100)
    lines = models.ManyToManyField(FeeLine, verbose_name="手数料", related_name="documents")
    total = models.PositiveIntegerField("合計金額（税込・円）")
    tax = models.PositiveIntegerField("うち消費税額（円）")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="発行を依頼した利用者",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("記録日時", default=timezone.now)
    filename = models.CharField("ファイル名", max_length=255)
    content = models.BinaryField("PDFの内容", editable=False)
    checksum = models.CharField("チェックサム（SHA-256）", max_length=64)
    data = models.JSONField("印字した内容", default=dict)

    objects = ProviderOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "請求書・領収書"
        verbose_name_plural = "請求書・領収書"
        ordering = ["-issued_on", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}"

    @property
    def short_label(self) -> str:
        return "請求書" if self.kind == FeeDocumentKind.INVOICE else "領収書"


class FeeDocumentCounter(models.Model):
    """F4: document numbers run per kind and calendar year (INV-2026-000001)."""

    kind = models.CharField("種類", max_length=16, choices=FeeDocumentKind.choices)
    year = models.PositiveSmallIntegerField("年")
    last_serial = models.PositiveIntegerField("最後に付与した番号", default=0)

    class Meta:
        verbose_name = "請求書・領収書の番号"
        verbose_name_plural = "請求書・領収書の番号"
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="one_fee_document_counter")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.year}年 第{self.last_serial}号まで"
