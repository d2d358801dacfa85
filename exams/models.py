"""Completion exams (E1–E10) and their results (R1–R13)."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField

from courses.models import StructureRoles
from portal.history import HistoricalRecords
from portal.isolation import ProviderOwnedQuerySet
from portal.validators import (
    FullNameWithSpaceValidator,
    PhoneNumberValidator,
    PostalCodeValidator,
)


class ExamSite(StructureRoles):
    """講座の運営実施体制 for one exam at one site (E4, 表5.7-2), with the
    problem recipient (E3). The delivery courses sitting there are the exam
    applications linked to it, so its applicant counts always equal theirs."""

    provider_path = "provider"  # portal.isolation: the way to its provider

    provider = models.ForeignKey(
        "providers.Provider",
        verbose_name="講座開設者",
        on_delete=models.PROTECT,
        related_name="exam_sites",
    )
    session = models.ForeignKey(
        "calendars.ExamSession",
        verbose_name="修了試験日程",
        on_delete=models.PROTECT,
        related_name="sites",
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

    objects = ProviderOwnedQuerySet.as_manager()

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
    CANCELLED = "exam_cancelled", "試験中止"


# An application that still counts (not withdrawn nor ended by a cancelled
# exam): one per delivery course and exam. A withdrawn one stays in the
# history, and the course may apply again while the window is open.
LIVE_APPLICATION_STATES = (ApplicationState.DRAFT, ApplicationState.SUBMITTED)


class LatePaymentDecision(models.TextChoices):
    ACCEPTED = "accepted", "遅れた入金を認める"
    REFUSED = "refused", "遅れた入金を認めない"


class ExamApplication(ConcurrentTransitionMixin, models.Model):
    """申請書式3 (修了試験問題等提供申請書): one delivery course at one IPA exam (E2)."""

    provider_path = "site__provider"  # portal.isolation: the way to its provider

    S = ApplicationState

    delivery_course = models.ForeignKey(
        "courses.DeliveryCourse",
        verbose_name="実施講座",
        on_delete=models.PROTECT,
        related_name="exam_applications",
    )
    session = models.ForeignKey(
        "calendars.ExamSession",
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

    objects = ProviderOwnedQuerySet.as_manager()

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
                fields=["delivery_course", "session"],
                condition=models.Q(state__in=LIVE_APPLICATION_STATES),
                name="one_live_application_per_exam",
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

    def submit(self, now=None):
        self.submitted_at = now or timezone.now()  # the time of the site's 到達番号

    # The moves declared in exams.workflow that set nothing besides the state
    # (named here so that django-fsm knows them by their own name).
    def withdraw(self):
        pass

    def cancel(self):
        pass


class ReportState(models.TextChoices):
    DRAFT = "draft", "作成中"
    SUBMITTED = "submitted", "報告済み（確認待ち）"
    RETURNED = "returned", "差し戻し中"
    ACCEPTED = "accepted", "受理済み"


class ResultReport(ConcurrentTransitionMixin, models.Model):
    """申請書式4 (修了認定報告書) and the 修了試験情報 of one exam of a delivery
    course (R1–R9). IPA-provided exams come from an application; vendor-reviewed
    (IPA審査) exams are reported directly with their R9 numbers."""

    provider_path = "delivery_course__course__provider"  # portal.isolation: the way to its provider

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
        "calendars.ExamSession", verbose_name="修了試験日程", on_delete=models.PROTECT, related_name="reports",
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

    objects = ProviderOwnedQuerySet.as_manager()

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

    def submit(self):
        self.submitted_at = timezone.now()

    def return_for_correction(self, reason: str):
        self.return_reason = reason

    def accept(self):
        pass


class SpecialMeasureRequest(models.Model):
    """E10 (M§7): one examinee's request for special measures, decided by the
    provider, with the evidence table 7-1 asks for."""

    provider_path = "site__provider"  # portal.isolation: the way to its provider

    class Decision(models.TextChoices):
        APPROVED = "approved", "認める"
        REJECTED = "rejected", "認めない"

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
        choices=Decision.choices,
    )
    decided_on = models.DateField("判断日", null=True, blank=True)
    note = models.TextField("備考", blank=True)
    created_at = models.DateTimeField("申請日時", default=timezone.now)
    history = HistoricalRecords()

    objects = ProviderOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "特別措置の申請"
        verbose_name_plural = "特別措置の申請"
        ordering = ["site", "created_at"]

    def __str__(self):
        return f"{self.examinee_name}（{self.site.session}）"

    @property
    def provider_id(self):
        return self.site.provider_id


# Exam-problem delivery (E3, M§6.3–6.6): replaces the file-exchange service --------------


class ProblemFileKind(models.TextChoices):
    SAMPLE = "sample", "修了試験問題復号サンプル"
    PROBLEMS = "problems", "修了試験問題（暗号化ファイル）"


class ProblemFile(models.Model):
    """One file IPA provides for an exam date (M§6.3): the decryption sample
    (about 10 days before the exam) or the encrypted problems (in principle 4
    days before), stored once for every recipient, with its SHA-256 and the
    decryption password (shown only to the recipient, never mailed: M§6.4)."""

    Kind = ProblemFileKind

    session = models.ForeignKey(
        "calendars.ExamSession",
        verbose_name="修了試験日程",
        on_delete=models.PROTECT,
        related_name="problem_files",
    )
    kind = models.CharField("種類", max_length=10, choices=ProblemFileKind.choices)
    file = models.FileField("ファイル", upload_to="exam-problems/%Y/%m/")
    filename = models.CharField("ファイル名", max_length=200)
    size = models.PositiveIntegerField("サイズ（バイト）")
    sha256 = models.CharField("チェックサム（SHA-256）", max_length=64)
    available_from = models.DateField("提供開始日")
    password = models.CharField("復号パスワード", max_length=100)
    uploaded_by = models.ForeignKey(
        "portal.User", verbose_name="登録したIPA管理者", null=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    uploaded_at = models.DateTimeField("登録日時", default=timezone.now)

    class Meta:
        verbose_name = "修了試験問題のファイル"
        verbose_name_plural = "修了試験問題のファイル"
        ordering = ["session__exam_date", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["session", "kind"], name="one_problem_file_per_kind")
        ]

    def __str__(self):
        return f"{self.session.exam_date:%Y年%-m月%-d日}の{self.get_kind_display()}"


class ProblemRecipientAccount(models.Model):
    """E3: the temporary account of a named problem recipient (not the
    registered contact) of one exam site, made when the application window
    closes for an application filed and paid, removed after the report
    window (``removed_at``; the account is deactivated when the portal made
    it)."""

    provider_path = "site__provider"  # portal.isolation: the way to its provider

    site = models.OneToOneField(
        ExamSite, verbose_name="運営実施体制", on_delete=models.CASCADE,
        related_name="recipient_account",
    )  # fmt: skip
    user = models.ForeignKey(
        "portal.User", verbose_name="受取人のアカウント", on_delete=models.PROTECT,
        related_name="problem_recipient_accounts",
    )  # fmt: skip
    created_account = models.BooleanField("受取人のために作成したアカウント", default=True)
    created_at = models.DateTimeField("作成日時", default=timezone.now)
    removed_at = models.DateTimeField("削除日時", null=True, blank=True)

    objects = ProviderOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "修了試験問題の受取人アカウント"
        verbose_name_plural = "修了試験問題の受取人アカウント"

    def __str__(self):
        return f"{self.site.session}の修了試験問題の受取人（{self.site.recipient_name}）"

    @property
    def provider_id(self):
        return self.site.provider_id


class ProblemDownload(models.Model):
    """One download of a problem file by a recipient (IPA's status table)."""

    file = models.ForeignKey(
        ProblemFile, verbose_name="ファイル", on_delete=models.CASCADE, related_name="downloads"
    )
    site = models.ForeignKey(
        ExamSite, verbose_name="運営実施体制", on_delete=models.CASCADE,
        related_name="problem_downloads",
    )  # fmt: skip
    user = models.ForeignKey(
        "portal.User", verbose_name="ダウンロードした受取人", null=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    at = models.DateTimeField("日時", default=timezone.now)

    class Meta:
        verbose_name = "修了試験問題のダウンロード"
        verbose_name_plural = "修了試験問題のダウンロード"
        ordering = ["at"]

    def __str__(self):
        return f"{self.file}のダウンロード"


class ProblemReminder(models.Model):
    """The ledger of the Friday reminders (M§6.3): one per recipient and exam
    date, so that a second run sends nothing."""

    session = models.ForeignKey(
        "calendars.ExamSession", verbose_name="修了試験日程", on_delete=models.CASCADE,
        related_name="+",
    )  # fmt: skip
    user = models.ForeignKey(
        "portal.User", verbose_name="受取人", on_delete=models.CASCADE, related_name="+"
    )
    sent_at = models.DateTimeField("送信日時", default=timezone.now)

    class Meta:
        verbose_name = "修了試験問題の未ダウンロードの通知"
        verbose_name_plural = "修了試験問題の未ダウンロードの通知"
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="one_problem_reminder")
        ]

    def __str__(self):
        return f"{self.session}の修了試験問題の確認のお願い"
