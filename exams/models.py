"""Completion exams (E1–E10) and their results (R1–R13)."""

import datetime
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from courses.models import StructureRoles
from portal.history import HistoricalRecords
from portal.validators import (
    FullNameWithSpaceValidator,
    PhoneNumberValidator,
    PostalCodeValidator,
)


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
    history = HistoricalRecords()

    class Meta:
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


class ExamSite(StructureRoles):
    """講座の運営実施体制 for one exam at one site (E4, 表5.7-2), with the
    problem recipient (E3). The delivery courses sitting there are the exam
    applications linked to it, so its applicant counts always equal theirs."""

    provider = models.ForeignKey(
        "providers.Provider",
        verbose_name="講座開設者",
        on_delete=models.PROTECT,
        related_name="exam_sites",
    )
    session = models.ForeignKey(
        ExamSession, verbose_name="修了試験日程", on_delete=models.PROTECT, related_name="sites"
    )
    recipient_is_contact = models.BooleanField(
        "修了試験問題の受取人は講座の担当者", default=True,
        help_text="原則は講座の担当者です。複数の遠隔地で実施する場合など、やむを得ない場合に限り別の方を指定します。",
    )  # fmt: skip
    recipient_postal_code = models.CharField(
        "受取人の勤務先（郵便番号）", max_length=8, blank=True,
        validators=[PostalCodeValidator("受取人の勤務先（郵便番号）")],
    )  # fmt: skip
    recipient_address = models.CharField("受取人の勤務先住所", max_length=200, blank=True)
    recipient_workplace = models.CharField("受取人の勤務先名称", max_length=100, blank=True)
    recipient_tel = models.CharField(
        "受取人の電話番号",
        max_length=13,
        blank=True,
        validators=[PhoneNumberValidator("受取人の電話番号")],
    )
    recipient_name = models.CharField(
        "受取人の氏名",
        max_length=40,
        blank=True,
        validators=[FullNameWithSpaceValidator("受取人の氏名")],
    )
    recipient_department = models.CharField("受取人の所属", max_length=100, blank=True)
    recipient_email = models.EmailField("受取人のメールアドレス", blank=True)
    history = HistoricalRecords()

    RECIPIENT_FIELDS = [
        "recipient_postal_code",
        "recipient_address",
        "recipient_workplace",
        "recipient_tel",
        "recipient_name",
        "recipient_department",
        "recipient_email",
    ]

    class Meta:
        verbose_name = "修了試験の運営実施体制"
        verbose_name_plural = "修了試験の運営実施体制"
        ordering = ["session__exam_date", "pk"]

    def __str__(self):
        return f"{self.session} {self.exam_site}"

    def clean(self):
        super().clean()
        if not self.recipient_is_contact:
            missing = {
                # E3
                name: f"「{self._meta.get_field(name).verbose_name}」を入力してください。"
                for name in self.RECIPIENT_FIELDS
                if not getattr(self, name)
            }
            if missing:
                raise ValidationError(missing)


class ApplicationState(models.TextChoices):
    DRAFT = "draft", "作成中"
    SUBMITTED = "submitted", "申込み済み"
    WITHDRAWN = "withdrawn", "取下げ"


class LatePaymentDecision(models.TextChoices):
    ACCEPTED = "accepted", "遅れた入金を認める"
    REFUSED = "refused", "遅れた入金を認めない"


class ExamApplication(ConcurrentTransitionMixin, models.Model):
    """申請書式3 (修了試験問題等提供申請書): one delivery course at one IPA exam (E2)."""

    S = ApplicationState

    delivery_course = models.ForeignKey(
        "courses.DeliveryCourse",
        verbose_name="実施講座",
        on_delete=models.PROTECT,
        related_name="exam_applications",
    )
    session = models.ForeignKey(
        ExamSession,
        verbose_name="修了試験日程",
        on_delete=models.PROTECT,
        related_name="applications",
    )
    site = models.ForeignKey(
        ExamSite, verbose_name="運営実施体制", on_delete=models.PROTECT, related_name="applications"
    )
    applicants = models.PositiveIntegerField("応募者数")
    state = FSMField("状態", default=S.DRAFT, choices=S.choices, protected=True)
    submitted_at = models.DateTimeField("申込み日時", null=True, blank=True)
    fee_line = models.OneToOneField(
        "fees.FeeLine",
        verbose_name="修了試験問題提供手数料",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exam_application",
    )
    # E2/F3/W7: a problem fee received after the application close waits for
    # IPA's decision before problems are provided or the result is accepted.
    late_payment_decision = models.CharField(
        "締切後の入金の判断", max_length=10, blank=True, choices=LatePaymentDecision.choices
    )
    late_payment_note = models.CharField("判断の理由", max_length=200, blank=True)
    late_payment_decided_by = models.ForeignKey(
        "portal.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name="判断したIPA担当者",
    )  # fmt: skip
    late_payment_decided_at = models.DateTimeField("判断日時", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "修了試験の申込み"
        verbose_name_plural = "修了試験の申込み"
        ordering = [
            "session__exam_date",
            "delivery_course__course__serial",
            "delivery_course__serial",
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery_course", "session"], name="one_application_per_exam"
            )
        ]

    def __str__(self):
        return f"{self.delivery_course.number} {self.session}"

    @property
    def provider_id(self):
        return self.site.provider_id

    @property
    def number(self) -> str:
        """The delivery course's number: one application per course and exam."""
        return self.delivery_course.number

    @property
    def problem_fee(self) -> int:
        return self.fee_line.amount if self.fee_line_id else 0

    @transition(field=state, source=S.DRAFT, target=S.SUBMITTED)
    def submit(self, now=None):
        self.submitted_at = now or timezone.now()  # the time of the site's 到達番号


class ReportState(models.TextChoices):
    DRAFT = "draft", "作成中"
    SUBMITTED = "submitted", "報告済み（確認待ち）"
    RETURNED = "returned", "差し戻し中"
    ACCEPTED = "accepted", "受理済み"


class ResultReport(ConcurrentTransitionMixin, models.Model):
    """申請書式4 (修了認定報告書) and the 修了試験情報 of one exam of a delivery
    course (R1–R9). IPA-provided exams come from an application; vendor-reviewed
    (IPA審査) exams are reported directly with their R9 numbers."""

    S = ReportState

    class Kind(models.TextChoices):
        IPA = "ipa", "IPA提供"
        REVIEWED = "reviewed", "IPA審査"

    NO_COMPLETERS_REMARK = "修了認定者はいません。"

    delivery_course = models.ForeignKey(
        "courses.DeliveryCourse",
        verbose_name="実施講座",
        on_delete=models.PROTECT,
        related_name="result_reports",
    )
    serial = models.PositiveSmallIntegerField("修了試験回数")
    kind = models.CharField("問題提供区分", max_length=10, choices=Kind.choices)
    application = models.OneToOneField(
        ExamApplication,
        verbose_name="修了試験の申込み",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="report",
    )
    session = models.ForeignKey(
        ExamSession, verbose_name="修了試験日程", on_delete=models.PROTECT, related_name="reports",
        help_text="IPA提供問題の試験日。IPA審査問題では同じ月のIPA提供問題（報告期間の基準）。",
    )  # fmt: skip
    exam_date = models.DateField("修了試験実施日")
    reviewed_exam_number = models.CharField(
        "修了試験問題審査管理番号", max_length=12, blank=True,
        validators=[RegexValidator(r"^[A-Z0-9]{12}$", "「修了試験問題審査管理番号」は半角大文字英数12桁で入力してください（ハイフンを除く）。")],
    )  # fmt: skip
    problem_applicant_number = models.CharField(
        "問題申請者番号", max_length=5, blank=True,
        validators=[RegexValidator(r"^[A-Z0-9]{5}$", "「問題申請者番号」は半角大文字英数5桁で入力してください。")],
    )  # fmt: skip
    vendor_pass_score = models.PositiveSmallIntegerField(
        "民間資格事業者の合格基準点", null=True, blank=True
    )
    applicants = models.PositiveIntegerField("応募者数")
    examinees = models.PositiveIntegerField("受験者数", null=True, blank=True)
    certified_on = models.DateField("修了認定年月日", null=True, blank=True)
    remarks = models.CharField("備考", max_length=200, blank=True)
    consent_confirmed = models.BooleanField(
        "修了認定者から個人情報の提供について同意を得ています", default=False
    )
    state = FSMField("状態", default=S.DRAFT, choices=S.choices, protected=True)
    submitted_at = models.DateTimeField("報告日時", null=True, blank=True)
    return_reason = models.TextField("差し戻し理由", blank=True)
    late_flag = models.BooleanField("修了認定から2週間を超えた報告", default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "修了試験結果の報告"
        verbose_name_plural = "修了試験結果の報告"
        ordering = ["exam_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery_course", "serial"], name="unique_report_serial"
            )
        ]
        permissions = [("review_report", "修了試験結果の報告を確認できる")]

    def __str__(self):
        return f"{self.number} 修了試験結果"

    @property
    def number(self) -> str:
        """修了試験番号 `99991-001-004-002`."""
        return f"{self.delivery_course.number}-{self.serial:03d}"

    @property
    def provider_id(self):
        return self.delivery_course.course.provider_id

    @property
    def exam_yymm(self) -> str:
        return f"{self.exam_date:%y%m}"

    @transition(field=state, source=[S.DRAFT, S.RETURNED], target=S.SUBMITTED)
    def submit(self):
        self.submitted_at = timezone.now()

    @transition(
        field=state, source=S.SUBMITTED, target=S.RETURNED, permission="exams.review_report"
    )
    def return_for_correction(self, reason: str):
        self.return_reason = reason

    @transition(
        field=state, source=S.SUBMITTED, target=S.ACCEPTED, permission="exams.review_report"
    )
    def accept(self):
        pass


class SpecialMeasureRequest(models.Model):
    """E10 (M§7): one examinee's request for special measures, decided by the
    provider, with the evidence table 7-1 asks for."""

    site = models.ForeignKey(
        ExamSite,
        verbose_name="運営実施体制",
        on_delete=models.CASCADE,
        related_name="special_measures",
    )
    examinee_name = models.CharField("受験者氏名", max_length=40)
    delivery_course = models.ForeignKey(
        "courses.DeliveryCourse",
        verbose_name="実施講座",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    measures = models.JSONField("希望する特別措置", default=list)
    evidence = models.JSONField("提出された書類", default=list)
    details = models.TextField("追加で提出された内容（型番・介助内容・付添者氏名など）", blank=True)
    doctor_certificate_date = models.DateField("医師の診断書の作成日", null=True, blank=True)
    pregnant = models.BooleanField("妊娠中（母子健康手帳のコピー）", default=False)
    decision = models.CharField(
        "判断",
        max_length=10,
        blank=True,
        choices=[("approved", "認める"), ("rejected", "認めない")],
    )
    decided_on = models.DateField("判断日", null=True, blank=True)
    note = models.TextField("備考", blank=True)
    created_at = models.DateTimeField("申請日時", default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "特別措置の申請"
        verbose_name_plural = "特別措置の申請"
        ordering = ["site", "created_at"]

    def __str__(self):
        return f"{self.examinee_name}（{self.site.session}）"

    @property
    def provider_id(self):
        return self.site.provider_id
