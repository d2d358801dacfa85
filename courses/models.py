"""免除対象講座 (exemption courses) and 実施講座 (delivery courses)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField

from portal.choices import PREFECTURE_CHOICES
from portal.history import HistoricalRecords
from portal.isolation import ProviderOwnedQuerySet
from portal.validators import FullNameWithSpaceValidator, JisTextValidator

from . import rules
from .rules import CourseType


class SyllabusItem(models.Model):
    """One sub-item (小分類) of the FE syllabus as on 受講計画シート (別紙11),
    maintained by IPA administrators (upload of CSV/Excel)."""

    code = models.CharField("管理番号", max_length=10, unique=True)  # FE1, FE2, …
    order = models.PositiveIntegerField("並び順", unique=True)
    field = models.CharField("分野（大分類）", max_length=40)  # 1基礎理論
    item = models.CharField("項目（中分類）", max_length=100)  # 2アルゴリズムとプログラミング
    sub_item = models.CharField("小分類", max_length=100)  # 1データ構造
    to_be_confirmed = models.BooleanField(
        "要確認", default=False, help_text="IPAの現行の受講計画シートとの照合が済んでいない項目"
    )
    active = models.BooleanField("使用中", default=True)

    class Meta:
        verbose_name = "シラバス項目"
        verbose_name_plural = "シラバス項目"
        ordering = ["order"]

    def __str__(self):
        return f"{self.code} {self.sub_item}"


class SubmissionStates(models.TextChoices):
    DRAFT = "draft", "作成中"
    SUBMITTED = "submitted", "審査待ち"
    RETURNED = "returned", "差し戻し中"
    APPROVED = "approved", "承認済み"
    CERTIFIED = "certified", "認定済み"
    EXPIRED = "expired", "有効期間終了"
    REVOKED = "revoked", "認定取消し"
    WITHDRAWN = "withdrawn", "取下げ"


class DeliveryStates(models.TextChoices):
    """The states of a delivery course (D1–D9): those of a filing, and
    削除済み once IPA approved its deletion request (D8, M§5.5). A deleted
    delivery course keeps its number and history; nothing can be applied for
    it any more."""

    DRAFT = SubmissionStates.DRAFT.value, SubmissionStates.DRAFT.label
    SUBMITTED = SubmissionStates.SUBMITTED.value, SubmissionStates.SUBMITTED.label
    RETURNED = SubmissionStates.RETURNED.value, SubmissionStates.RETURNED.label
    APPROVED = SubmissionStates.APPROVED.value, SubmissionStates.APPROVED.label
    DELETED = "deleted", "削除済み"


class LearningMode(models.TextChoices):
    CLASSROOM = "classroom", "書籍を教材とした講義"
    ELEARNING = "elearning", "e-ラーニング"
    RECORDED = "recorded", "録画した講義の視聴"
    LIVE = "live", "ライブ放送の講義の視聴"


class ExemptionCourse(ConcurrentTransitionMixin, models.Model):
    """A 免除対象講座 application and, once certified, the course (C1–C16)."""

    provider_path = "provider"  # portal.isolation: the way to its provider

    S = SubmissionStates

    provider = models.ForeignKey(
        "providers.Provider",
        verbose_name="講座開設者",
        on_delete=models.PROTECT,
        related_name="courses",
    )
    serial = models.PositiveSmallIntegerField("免除対象講座番号（下3桁）")
    course_type = models.CharField(
        "民間資格併用種別", max_length=20, choices=CourseType.CHOICES,
        help_text="一時保存の後は変更できません（誤った場合は講座を削除して入力し直します）。",
    )  # fmt: skip
    name = models.CharField(
        "免除対象講座の名称", max_length=100, validators=[JisTextValidator("免除対象講座の名称")]
    )
    vendor_name = models.CharField("民間資格事業者名", max_length=100, blank=True)
    private_exam_name = models.CharField("民間資格の試験名", max_length=100, blank=True)
    vendor_min_hours = models.DecimalField(
        "民間資格事業者が提示した時間数", max_digits=5, decimal_places=2, null=True, blank=True
    )
    attendance_ratio = models.CharField("出席率（修了認定の基準）", max_length=10, default="70%")
    learning_mode = models.CharField(
        "受講形態", max_length=16, choices=LearningMode.choices, default=LearningMode.CLASSROOM
    )
    # C5/C6: hours are exact to two decimals (0.25 h; 別紙11 prints 0.50 and 100.00).
    total_hours = models.DecimalField("受講時間合計", max_digits=5, decimal_places=2, default=0)
    exam_category = models.CharField("対象試験区分", max_length=4, default="FE", editable=False)
    application_date = models.DateField("免除対象講座申請日", null=True, blank=True)
    desired_month = models.DateField("認定希望月", help_text="認定を希望する月の1日")
    course_manager = models.CharField(
        "免除対象講座 管理責任者", max_length=40, blank=True,
        validators=[FullNameWithSpaceValidator("免除対象講座 管理責任者")],
    )  # fmt: skip
    state = FSMField("状態", default=S.DRAFT, choices=S.choices, protected=True)
    submitted_at = models.DateTimeField("申請日時", null=True, blank=True)
    return_reason = models.TextField("差し戻し理由", blank=True)
    return_fields = models.JSONField("差し戻し対象の項目", default=dict, blank=True)
    # W1: what IPA saw when it returned the course (courses.changes.snapshot).
    returned_snapshot = models.JSONField(
        "差し戻し時の申請内容", default=dict, blank=True, editable=False
    )
    defects_cleared_on = models.DateField("不備解消日", null=True, blank=True)
    # C11 審査状況 (figure 5.2-4)
    payment_confirmed_on = models.DateField("入金確認日", null=True, blank=True)
    review_started_on = models.DateField("審査開始日", null=True, blank=True)
    review_finished_on = models.DateField("審査完了日", null=True, blank=True)
    certified_on = models.DateField("認定日", null=True, blank=True)
    certification_years = models.PositiveSmallIntegerField(
        "認定年数", default=rules.CERTIFICATION_YEARS
    )
    valid_until = models.DateField("認定終了日", null=True, blank=True)
    review_fee = models.PositiveIntegerField("講座審査手数料", null=True, blank=True)
    revoked_on = models.DateField("認定取消日", null=True, blank=True)
    revocation_reason = models.TextField("認定取消理由", blank=True)
    certificate_number = models.CharField("認定証の文書番号", max_length=40, blank=True)
    certificate_issued_on = models.DateField("認定証の発行日", null=True, blank=True)
    # C16 materials by post
    materials_requested_on = models.DateField("教材送付の依頼日", null=True, blank=True)
    materials_received_on = models.DateField("教材の受領日", null=True, blank=True)
    created_at = models.DateTimeField("作成日時", default=timezone.now)
    history = HistoricalRecords()

    objects = ProviderOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "免除対象講座"
        verbose_name_plural = "免除対象講座"
        ordering = ["provider__number", "serial"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "serial"], name="unique_course_serial")
        ]
        permissions = [("review_course", "免除対象講座を審査できる")]

    def __str__(self):
        return f"{self.number} {self.name}"

    def save(self, *args, **kwargs):
        # C2: the type is fixed from the first save (一時保存).
        if self.pk is not None:
            stored = (
                type(self).objects.filter(pk=self.pk).values_list("course_type", flat=True).first()
            )
            if stored is not None and stored != self.course_type:
                raise ValidationError(
                    {"course_type": "「民間資格併用種別」は一時保存の後は変更できません。"
                     "誤った場合は講座を削除して入力し直してください。"}
                )  # fmt: skip
        super().save(*args, **kwargs)

    @property
    def number(self) -> str:
        """`99991-021` (provider number - 3 digits)."""
        provider_number = self.provider.number if self.provider_id else "?????"
        return f"{provider_number}-{self.serial:03d}"

    @property
    def ipa_code(self) -> str:
        return CourseType.IPA_CODE[self.course_type]

    @property
    def completion_criteria(self) -> str:
        return rules.completion_criteria_text(
            self.course_type,
            self.attendance_ratio,
            self.private_exam_name,
            self.vendor_name,
            elearning=self.learning_mode != LearningMode.CLASSROOM,
        )

    @property
    def is_editable_by_provider(self) -> bool:
        return self.state in (self.S.DRAFT, self.S.RETURNED)

    def submit(self):
        self.submitted_at = timezone.now()
        if self.application_date is None:
            self.application_date = timezone.localdate()

    def return_for_correction(self, reason: str, fields: dict):
        self.return_reason = reason
        self.return_fields = fields

    def approve(self, on):
        self.review_finished_on = on

    def certify(self, on):
        self.certified_on = on
        self.valid_until = rules.certification_end_date(on)

    def expire(self):
        pass

    def revoke(self, on, reason: str):
        """C11 (figure 5.2-4): the 認定取消日 and 認定取消理由 of the review
        record; the certificate stays as issued (M§2.5)."""
        self.revoked_on = on
        self.revocation_reason = reason

    def withdraw(self):
        pass


class CertificateNumberCounter(models.Model):
    """C12: certificate numbers run per fiscal year (e.g. 2025情テ人国第12号)."""

    fiscal_year = models.PositiveSmallIntegerField("年度", unique=True)
    last_issued = models.PositiveIntegerField("最後に付与した番号", default=0)

    class Meta:
        verbose_name = "認定証番号の採番"
        verbose_name_plural = "認定証番号の採番"

    def __str__(self):
        return f"{self.fiscal_year}年度 第{self.last_issued}号まで"


class StudyMaterial(models.Model):
    """C6: a material of the study plan (dictionaries, magazines and web pages
    are not materials)."""

    course = models.ForeignKey(
        ExemptionCourse,
        verbose_name="免除対象講座",
        on_delete=models.CASCADE,
        related_name="materials",
    )
    order = models.PositiveSmallIntegerField("番号")
    name = models.CharField("教材の名称", max_length=200)
    publisher = models.CharField("出版社名", max_length=100, blank=True, help_text="自作教材は空欄")
    edition = models.CharField("版数", max_length=20)
    published_on = models.DateField("発行年月日")

    class Meta:
        verbose_name = "使用する教材"
        verbose_name_plural = "使用する教材"
        ordering = ["course", "order"]
        constraints = [
            models.UniqueConstraint(fields=["course", "order"], name="unique_material_order")
        ]

    def __str__(self):
        return self.name


class StudyPlanRow(models.Model):
    """C6: one row of 受講計画シート per syllabus item."""

    course = models.ForeignKey(
        ExemptionCourse,
        verbose_name="免除対象講座",
        on_delete=models.CASCADE,
        related_name="plan_rows",
    )
    syllabus_item = models.ForeignKey(
        SyllabusItem, verbose_name="シラバス項目", on_delete=models.PROTECT, related_name="+"
    )
    material = models.CharField("教材の名称", max_length=200)
    class_name = models.CharField("授業名", max_length=100)
    planned_session = models.CharField("実施予定（回数又は週数）", max_length=40)
    hours = models.DecimalField("受講時間（h）", max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = "受講計画"
        verbose_name_plural = "受講計画"
        ordering = ["course", "syllabus_item__order"]
        constraints = [
            models.UniqueConstraint(fields=["course", "syllabus_item"], name="unique_plan_item")
        ]

    def __str__(self):
        return f"{self.syllabus_item.code} {self.hours}h"


class DeliveryCourse(ConcurrentTransitionMixin, models.Model):
    """A 実施講座 (D1–D9): one run of an exemption course."""

    provider_path = "course__provider"  # portal.isolation: the way to its provider

    S = DeliveryStates

    course = models.ForeignKey(
        ExemptionCourse,
        verbose_name="免除対象講座",
        on_delete=models.PROTECT,
        related_name="delivery_courses",
    )
    serial = models.PositiveSmallIntegerField("実施講座番号（下3桁）")
    name = models.CharField(
        "実施講座の名称", max_length=100, validators=[JisTextValidator("実施講座の名称")]
    )
    prefecture = models.CharField(
        "講座の設置場所（都道府県）", max_length=4, choices=PREFECTURE_CHOICES
    )
    address = models.CharField("講座の設置場所（市区町村以下）", max_length=200)
    building = models.CharField("講座の設置場所（建物名・階数）", max_length=100, blank=True)
    target_learners = models.CharField("受講対象者", max_length=200, default="制限なし")
    conditions = models.CharField("受講条件", max_length=200, default="特になし")
    expected_learners = models.PositiveIntegerField("受講者数（予定）")
    start_date = models.DateField("実施講座開始日")
    end_date = models.DateField("実施講座終了日")
    instructors = models.CharField("講師名", max_length=300)
    vendor_name = models.CharField("活用する民間資格事業者名", max_length=100, blank=True)
    committee_declaration = models.BooleanField(
        "講師に試験委員が含まれないことの確認", default=False,
        help_text="情報処理技術者試験委員及び情報処理安全確保支援士試験委員を講師に含めることはできません。",
    )  # fmt: skip
    state = FSMField("状態", default=S.DRAFT, choices=S.choices, protected=True)
    submitted_at = models.DateTimeField("申請日時", null=True, blank=True)
    approved_on = models.DateField("承認日", null=True, blank=True)
    return_reason = models.TextField("差し戻し理由", blank=True)
    # D8/D9: set while a deletion request is filed (■ of 申請書式2-添付書類2;
    # no exam can be applied for meanwhile) and kept once it is approved.
    deletion_requested = models.BooleanField("削除申請", default=False)
    deleted_on = models.DateField("削除日", null=True, blank=True)
    created_at = models.DateTimeField("作成日時", default=timezone.now)
    history = HistoricalRecords()

    objects = ProviderOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "実施講座"
        verbose_name_plural = "実施講座"
        ordering = ["course", "serial"]
        constraints = [
            models.UniqueConstraint(fields=["course", "serial"], name="unique_delivery_serial")
        ]

    def __str__(self):
        return f"{self.number} {self.name}"

    @property
    def number(self) -> str:
        """`99991-021-002`."""
        return f"{self.course.number}-{self.serial:03d}"

    @property
    def provider_id(self):
        return self.course.provider_id

    def submit(self):
        self.submitted_at = timezone.now()

    def return_for_correction(self, reason: str):
        self.return_reason = reason

    def approve(self, on):
        self.approved_on = on

    def delete_by_request(self, on):
        """D8: IPA approved the deletion request (申請書式5)."""
        self.deleted_on = on


class DeliveryExam(models.Model):
    """D4/D5: one slot of the exam rows (table 5.4-2): upper/lower row, ①/②."""

    class Row(models.TextChoices):
        UPPER = "upper", "上段"
        LOWER = "lower", "下段（救済措置）"

    class Kind(models.TextChoices):
        IPA = rules.IPA, "IPA提供問題"
        REVIEWED = rules.REVIEWED, "IPA審査問題"

    delivery_course = models.ForeignKey(
        DeliveryCourse, verbose_name="実施講座", on_delete=models.CASCADE, related_name="exams"
    )
    row = models.CharField("段", max_length=8, choices=Row.choices)
    slot = models.PositiveSmallIntegerField("回", choices=[(1, "①"), (2, "②")])
    kind = models.CharField("問題の種類", max_length=10, choices=Kind.choices, default=Kind.IPA)
    session = models.ForeignKey(
        "calendars.ExamSession",
        verbose_name="修了試験日（IPA提供問題）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    vendor_date = models.DateField("IPA審査問題の実施日", null=True, blank=True)

    class Meta:
        verbose_name = "修了試験の設定"
        verbose_name_plural = "修了試験の設定"
        ordering = ["delivery_course", "row", "slot"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery_course", "row", "slot"], name="unique_exam_slot"
            )
        ]

    def __str__(self):
        return f"{self.get_row_display()}{self.get_slot_display()} {self.date}"

    @property
    def date(self):
        return self.session.exam_date if self.session_id else self.vendor_date

    @property
    def sort_key(self) -> tuple[int, int]:
        """Upper row first, then ① before ② (as on 申請書式2-添付書類3)."""
        return (0 if self.row == self.Row.UPPER else 1, self.slot)


class StructureRoles(models.Model):
    """The roles of 講座の運営実施体制 (別紙12, 表5.2-4/5.7-2), shared by the
    course-level structure and the one filed per exam site (E4)."""

    created_on = models.DateField("作成日", default=timezone.localdate)
    exam_site = models.CharField("修了試験の実施場所", max_length=200)
    manager = models.CharField("講座の管理責任者（氏名・所属）", max_length=100)
    manager_deputy = models.CharField("管理責任者の代理（氏名）", max_length=100)
    electronic_keeper = models.CharField(
        "修了試験問題（電子データ）の保管（氏名・所属）", max_length=100
    )
    printer = models.CharField("修了試験問題の印刷（氏名・所属）", max_length=100)
    printed_keeper = models.CharField("修了試験問題（印刷物）の保管（氏名・所属）", max_length=100)
    storage_method = models.CharField("保管方法と鍵の管理者", max_length=200)
    exam_executive = models.CharField("修了試験の実施責任者（氏名・所属）", max_length=100)
    grading_lead = models.CharField("採点責任者（氏名・所属）", max_length=100)
    graders = models.PositiveSmallIntegerField("1枚の答案の採点者数", default=2)
    grading_passes = models.PositiveSmallIntegerField("採点回数", default=2)

    ROLE_FIELDS = [
        "created_on",
        "exam_site",
        "manager",
        "manager_deputy",
        "electronic_keeper",
        "printer",
        "printed_keeper",
        "storage_method",
        "exam_executive",
        "grading_lead",
        "graders",
        "grading_passes",
    ]

    class Meta:
        abstract = True

    def clean(self):
        # 表5.2-4: at least 2 graders, at least 2 passes.
        errors = {}
        if self.graders < 2:
            errors["graders"] = "「1枚の答案の採点者数」は2名以上にしてください。"
        if self.grading_passes < 2:
            errors["grading_passes"] = "「採点回数」は2回以上にしてください。"
        if errors:
            raise ValidationError(errors)


class OperationStructure(StructureRoles):
    """講座の運営実施体制 (別紙12) at course level (E4 without the exam rows)."""

    course = models.OneToOneField(
        ExemptionCourse,
        verbose_name="免除対象講座",
        on_delete=models.CASCADE,
        related_name="operation_structure",
    )

    class Meta:
        verbose_name = "講座の運営実施体制"
        verbose_name_plural = "講座の運営実施体制"

    def __str__(self):
        return f"{self.course.number} 運営実施体制"


class CourseAttachment(models.Model):
    """C15: extra documents for e-learning, recorded lectures and live streams."""

    course = models.ForeignKey(
        ExemptionCourse,
        verbose_name="免除対象講座",
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    title = models.CharField("書類の内容", max_length=100)
    file = models.FileField("ファイル", upload_to="course-attachments/%Y/%m/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登録者",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField("登録日時", default=timezone.now)

    class Meta:
        verbose_name = "添付書類"
        verbose_name_plural = "添付書類"

    def __str__(self):
        return self.title
