"""The exam calendar (E1): the IPA-provided completion exams with their
windows and the exemption validity of their completers (R10). Both courses
(the exam slots of a delivery course) and exams (applications, reports) use
it; it imports neither."""

import datetime
import zoneinfo

from django.conf import settings
from django.db import models

from portal.history import HistoricalRecords


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
    note = models.CharField(
        "備考", max_length=100, blank=True,
        help_text="講座開設者の日程表とIPAの画面に表示します（例：デモ用の日程であること）。",
    )  # fmt: skip
    # E2 (M§5.7 (11)): METI and IPA may cancel (中止) an exam, e.g. after a
    # disaster; its applications end and its problem fees become refundable.
    # Set only through exams.services.cancel_session (one audit entry).
    cancelled_on = models.DateField("中止の決定日", null=True, blank=True)
    cancellation_reason = models.CharField("中止の理由", max_length=200, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="中止を記録したIPA管理者", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    # The table keeps the name it had in exams (where the model lived before).
    history = HistoricalRecords(table_name="exams_historicalexamsession")

    class Meta:
        db_table = "exams_examsession"
        verbose_name = "修了試験日程"
        verbose_name_plural = "修了試験日程"
        ordering = ["exam_date"]

    def __str__(self):
        return f"{self.exam_date:%Y年%-m月%-d日}の修了試験"

    # Sessions made by `manage.py load_demo` are not IPA's published dates: the
    # demo writes its label (「デモ用（…）」) in the note.
    DEMO_LABEL = "デモ用"

    @property
    def is_demo(self) -> bool:
        return self.note.startswith(self.DEMO_LABEL)

    @property
    def is_cancelled(self) -> bool:
        """E2: METI/IPA cancelled this exam (試験中止)."""
        return self.cancelled_on is not None

    @property
    def cancellation_text(self) -> str:
        """「2024年12月1日に中止（理由：…）」, for pages and messages."""
        if self.cancelled_on is None:
            return ""
        reason = f"（理由：{self.cancellation_reason}）" if self.cancellation_reason else ""
        return f"{self.cancelled_on:%Y年%-m月%-d日}に中止が決定されました{reason}"

    @classmethod
    def reporting_for_reviewed_exam(cls, vendor_date: datetime.date):
        """E1/R1 (table 4.5-5): the published IPA exam of the same month whose
        report window an IPA審査 exam on ``vendor_date`` is reported in — the
        first one closing on or after that date; None when there is none (a
        vendor exam after the month's IPA report close could never be
        reported)."""
        start = datetime.datetime.combine(
            vendor_date, datetime.time(0), tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo")
        )
        return (
            cls.objects.filter(
                published=True,
                exam_date__year=vendor_date.year,
                exam_date__month=vendor_date.month,
                report_closes_at__gt=start,
            )
            .order_by("report_closes_at")
            .first()
        )
