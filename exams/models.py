"""The completion-exam calendar (E1), maintained by IPA staff."""

from django.db import models
from simple_history.models import HistoricalRecords


class ExamSession(models.Model):
    """One IPA-provided completion exam (修了試験) with its windows (E1) and the
    exemption validity of its completers (R10)."""

    class Season(models.TextChoices):
        SUMMER = "summer", "夏季"
        WINTER = "winter", "冬季"

    exam_date = models.DateField("修了試験の実施日", unique=True)
    fiscal_year = models.PositiveSmallIntegerField("年度")
    season = models.CharField("時期", max_length=8, choices=Season.choices)
    application_opens_at = models.DateTimeField("申込み開始", null=True, blank=True)
    application_closes_at = models.DateTimeField(
        "申込み締切", null=True, blank=True, help_text="締切日の15:00（日本時間）"
    )
    problems_delivered_on = models.DateField("修了試験問題の提供日", null=True, blank=True)
    report_opens_at = models.DateTimeField("結果報告の開始", null=True, blank=True)
    report_closes_at = models.DateTimeField(
        "結果報告の締切", null=True, blank=True, help_text="締切日の17:00（日本時間）"
    )
    exemption_valid_from = models.DateField(
        "科目A試験免除の有効期間（開始）", null=True, blank=True
    )
    exemption_valid_to = models.DateField("科目A試験免除の有効期間（終了）", null=True, blank=True)
    published = models.BooleanField("公表済み", default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "修了試験日程"
        verbose_name_plural = "修了試験日程"
        ordering = ["exam_date"]

    def __str__(self):
        return f"{self.exam_date:%Y年%-m月%-d日}の修了試験"
