"""講座開設者 (providers): the registration (申請書式1) and the provider record."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField

from portal.choices import PREFECTURE_CHOICES
from portal.history import HistoricalRecords
from portal.isolation import ProviderOwnedQuerySet
from portal.validators import (
    FullNameWithSpaceValidator,
    JisTextValidator,
    KatakanaValidator,
    PersonNameValidator,
    PhoneNumberValidator,
    PostalCodeValidator,
)


class Category(models.TextChoices):
    HIGH_SCHOOL = "high_school", "高等学校"
    VOCATIONAL = "vocational", "専門学校"
    UNIVERSITY = "university", "大学"
    COMPANY = "company", "企業"
    OTHER = "other", "その他"


class Referral(models.TextChoices):
    IPA_WEB = "ipa_web", "当機構HP"
    IPA_DM = "ipa_dm", "当機構からのDM"
    INTRODUCTION = "introduction", "御紹介"


class ProviderInfo(models.Model):
    """The fields of 申請書式1 (P1), shared by the registration and the record."""

    application_date = models.DateField("日付", default=timezone.localdate)
    postal_code = models.CharField(
        "申請者の住所（郵便番号）",
        max_length=8,
        validators=[PostalCodeValidator("申請者の住所（郵便番号）")],
    )
    prefecture = models.CharField(
        "申請者の住所（都道府県）", max_length=4, choices=PREFECTURE_CHOICES
    )
    address = models.CharField(
        "申請者の住所（市区町村以下）",
        max_length=200,
        validators=[JisTextValidator("申請者の住所（市区町村以下）")],
    )
    representative_name = models.CharField(
        "代表者名",
        max_length=40,
        validators=[FullNameWithSpaceValidator("代表者名")],
        help_text="氏名のみ。姓と名の間に全角スペースを入れてください（例：情報\u3000太郎）。",
    )
    name_kana = models.CharField(
        "申請者名（カナ）",
        max_length=100,
        validators=[KatakanaValidator("申請者名（カナ）")],
        help_text="法人名称（学校名等）を全角カタカナで入力してください。",
    )
    name = models.CharField(
        "申請者名（漢字）",
        max_length=100,
        validators=[JisTextValidator("申請者名（漢字）")],
        help_text="法人名称（学校名等）を漢字等で入力してください。",
    )
    contact_family_name = models.CharField(
        "担当者氏名（姓）", max_length=20, validators=[PersonNameValidator("担当者氏名（姓）")]
    )
    contact_given_name = models.CharField(
        "担当者氏名（名）", max_length=20, validators=[PersonNameValidator("担当者氏名（名）")]
    )
    contact_department = models.CharField(
        "担当者の部署名", max_length=100, validators=[JisTextValidator("担当者の部署名")]
    )
    contact_tel = models.CharField(
        "担当者のTEL", max_length=13, validators=[PhoneNumberValidator("担当者のTEL")]
    )
    contact_fax = models.CharField(
        "担当者のFAX",
        max_length=13,
        blank=True,
        validators=[PhoneNumberValidator("担当者のFAX")],
    )
    contact_email = models.EmailField("担当者の電子メール")
    contact_postal_code = models.CharField(
        "担当者の住所（郵便番号）",
        max_length=8,
        validators=[PostalCodeValidator("担当者の住所（郵便番号）")],
    )
    contact_prefecture = models.CharField(
        "担当者の住所（都道府県）", max_length=4, choices=PREFECTURE_CHOICES
    )
    contact_address = models.CharField(
        "担当者の住所（市区町村以下）",
        max_length=200,
        validators=[JisTextValidator("担当者の住所（市区町村以下）")],
    )
    category = models.CharField("該当する区分", max_length=16, choices=Category.choices)
    referral = models.CharField("本制度を知ったきっかけ", max_length=16, choices=Referral.choices)
    referral_dm_year = models.PositiveSmallIntegerField("DMを受け取った年", null=True, blank=True)
    referral_dm_month = models.PositiveSmallIntegerField("DMを受け取った月", null=True, blank=True)
    remarks = models.TextField(
        "備考",
        blank=True,
        max_length=1000,
        validators=[JisTextValidator("備考", allow_newlines=True)],
    )
    declaration = models.BooleanField(
        "欠格事由に該当しないことの申告",
        default=False,
        help_text="マニュアル2.4の欠格事由(1)～(4)のいずれにも該当しないことを申告します。",
    )

    # The fields of 申請書式1 in the order of the form, for displays and diffs.
    FORM_FIELDS = [
        "application_date",
        "postal_code",
        "prefecture",
        "address",
        "representative_name",
        "name_kana",
        "name",
        "contact_family_name",
        "contact_given_name",
        "contact_department",
        "contact_tel",
        "contact_fax",
        "contact_email",
        "contact_postal_code",
        "contact_prefecture",
        "contact_address",
        "category",
        "referral",
        "referral_dm_year",
        "referral_dm_month",
        "remarks",
        "declaration",
    ]

    class Meta:
        abstract = True

    def clean(self):
        """P1 and P6, enforced on the server whatever the form."""
        super().clean()
        from .rules import referral_dm_problem

        errors = {}
        problem = referral_dm_problem(self.referral, self.referral_dm_year, self.referral_dm_month)
        if problem:
            errors["referral_dm_year"] = problem
        if not self.declaration:
            errors["declaration"] = (
                "「欠格事由に該当しないことの申告」がない申請は受け付けられません（マニュアル2.4）。"
            )
        if errors:
            raise ValidationError(errors)

    @property
    def contact_full_name(self):
        return f"{self.contact_family_name}\u3000{self.contact_given_name}"

    def info_values(self) -> dict:
        return {name: getattr(self, name) for name in self.FORM_FIELDS}


class Provider(ProviderInfo):
    """A registered provider (講座開設者) with its 5-digit number (P5)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "認定講座開設者"
        WITHDRAWN = "withdrawn", "取止め"
        REVOKED = "revoked", "認定取消し"

    number = models.CharField("講座開設者番号", max_length=5, unique=True)
    status = models.CharField("状態", max_length=16, choices=Status.choices, default=Status.ACTIVE)
    registered_at = models.DateTimeField("登録日時", default=timezone.now)
    revoked_on = models.DateField("認定取消日", null=True, blank=True)
    withdrawn_on = models.DateField("取止め日", null=True, blank=True)
    # I5: before its first course application the provider accepts the terms
    # (利用規約) and confirms its registered data (申請書式1); who and when.
    terms_accepted_at = models.DateTimeField(
        "利用規約への同意・登録内容の確認日時", null=True, blank=True
    )
    terms_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="利用規約に同意した利用者",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "講座開設者"
        verbose_name_plural = "講座開設者"
        ordering = ["number"]

    def __str__(self):
        return f"({self.number}) {self.name}"


class ProviderNumberCounter(models.Model):
    """The last provider number issued. Numbers are never reused (P5), also
    after withdrawal, so the counter only moves forward."""

    last_issued = models.PositiveIntegerField("最後に付与した講座開設者番号", default=10000)

    class Meta:
        verbose_name = "講座開設者番号の採番"
        verbose_name_plural = "講座開設者番号の採番"

    def __str__(self):
        return f"最後に付与した番号 {self.last_issued:05d}"


class Membership(models.Model):
    """A staff user of a provider (P4: one of them is the registered contact)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="アカウント",
        on_delete=models.CASCADE,
        related_name="membership",
    )
    provider = models.ForeignKey(
        Provider, verbose_name="講座開設者", on_delete=models.PROTECT, related_name="memberships"
    )
    is_contact = models.BooleanField("登録担当者", default=False)
    active = models.BooleanField("有効", default=True)
    created_at = models.DateTimeField("登録日時", default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "講座担当者"
        verbose_name_plural = "講座担当者"
        constraints = [
            models.UniqueConstraint(
                fields=["provider"],
                condition=Q(is_contact=True),
                name="one_contact_per_provider",
            )
        ]

    def __str__(self):
        return f"{self.provider.number} {self.user.email}"


class Registration(ConcurrentTransitionMixin, ProviderInfo):
    """A provider registration (申請書式1) under review."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", "審査待ち"
        RETURNED = "returned", "差し戻し中"
        ACCEPTED = "accepted", "受理済み"
        WITHDRAWN = "withdrawn", "取下げ"

    state = FSMField("状態", default=State.SUBMITTED, choices=State.choices, protected=True)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="担当者アカウント",
        on_delete=models.PROTECT,
        related_name="registrations",
    )
    access_token_hash = models.CharField(
        "照会用トークン（ハッシュ）", max_length=64, unique=True, editable=False
    )
    submitted_at = models.DateTimeField("申請日時", default=timezone.now)
    submission_count = models.PositiveSmallIntegerField("提出回数", default=1)
    returned_at = models.DateTimeField("差し戻し日時", null=True, blank=True)
    return_reason = models.TextField("差し戻し理由", blank=True)
    return_fields = models.JSONField("差し戻し対象の項目", default=list, blank=True)
    decided_at = models.DateTimeField("受理日時", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="受理した審査担当者",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    provider = models.OneToOneField(
        Provider,
        verbose_name="登録された講座開設者",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registration",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "講座開設者の登録申請"
        verbose_name_plural = "講座開設者の登録申請"
        ordering = ["-submitted_at"]
        permissions = [("review_registration", "講座開設者の登録申請を審査できる")]

    def __str__(self):
        return f"登録申請（{self.name}）"  # no bare database id (item 20)

    @property
    def number(self) -> str:
        """The provider number once accepted (P5); none before."""
        return self.provider.number if self.provider_id else ""

    @property
    def is_editable_by_applicant(self):
        return self.state == self.State.RETURNED

    def resubmit(self):
        self.submission_count += 1
        self.submitted_at = timezone.now()

    def return_for_correction(self, reason: str, fields: list[str]):
        self.return_reason = reason
        self.return_fields = fields
        self.returned_at = timezone.now()

    def accept(self, provider: Provider, by):
        self.provider = provider
        self.decided_at = timezone.now()
        self.decided_by = by

    def withdraw(self, reason: str, by):
        """IPA closes a registration that will not be accepted (e.g. P6, or the
        applicant asked to withdraw it)."""
        self.return_reason = reason
        self.decided_at = timezone.now()
        self.decided_by = by


class ChangeRequest(ConcurrentTransitionMixin, models.Model):
    """A change request (変更申請, 申請書式5, M§5.6, X1–X3) of approved data:
    provider data, a delivery course, the completers of an accepted report.

    The provider edits a copy (``proposed``) in the usual forms; nothing in
    the live record changes until IPA approves, when the target app's own
    service applies it (providers.changes). ``original`` holds the approved
    values the request was made against, ``items`` the rows of 申請書式5
    (変更する項目 / 変更後 / 変更前) as people read them."""

    class State(models.TextChoices):
        DRAFT = "draft", "作成中"
        SUBMITTED = "submitted", "審査待ち"
        RETURNED = "returned", "差し戻し中"
        APPROVED = "approved", "承認済み"
        WITHDRAWN = "withdrawn", "取下げ"
        # P7 (M§10.2 (3)): a contact change ends when the new contact reports
        # the first login (ログイン完了); IPA's approval is its 受領.
        COMPLETED = "completed", "完了（ログイン完了）"

    provider = models.ForeignKey(
        Provider, verbose_name="講座開設者", on_delete=models.PROTECT, related_name="changes"
    )
    kind = models.CharField("変更の種類（内部）", max_length=32, editable=False)
    target_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.PROTECT, editable=False, related_name="+"
    )
    target_id = models.PositiveBigIntegerField(editable=False)
    target_number = models.CharField("変更の対象の番号", max_length=40, blank=True)
    target_label = models.CharField("変更の対象", max_length=300)
    proposed = models.JSONField("変更後の内容（内部）", default=dict, editable=False)
    original = models.JSONField("変更前の内容（内部）", default=dict, editable=False)
    items = models.JSONField("変更する項目", default=list, editable=False)
    reason = models.TextField(
        "変更の理由",
        blank=True,
        max_length=1000,
        validators=[JisTextValidator("変更の理由", allow_newlines=True)],
    )
    urgent = models.BooleanField("至急", default=False)
    state = FSMField("状態", default=State.DRAFT, choices=State.choices, protected=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="作成した担当者",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("作成日時", default=timezone.now)
    submitted_at = models.DateTimeField("申請日時", null=True, blank=True)
    returned_at = models.DateTimeField("差し戻し日時", null=True, blank=True)
    return_reason = models.TextField("差し戻し理由", blank=True)
    decided_at = models.DateTimeField("承認日時", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="承認した審査担当者",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    completed_at = models.DateTimeField("ログイン完了日時", null=True, blank=True)
    history = HistoricalRecords()
    objects = ProviderOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "変更申請"
        verbose_name_plural = "変更申請"
        ordering = ["-created_at", "-id"]
        permissions = [("review_change", "変更申請を審査できる")]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self):
        return f"変更申請（{self.kind_label}：{self.target_label}）"

    @property
    def number(self) -> str:
        """The number of what the request changes (講座開設者番号, 実施講座番号,
        …), in its notices and lists beside the 到達番号."""
        return self.target_number

    def value(self, name: str):
        """The value ``name`` reads after the change: the proposed one, or the
        approved one when the request does not change it."""
        return self.proposed.get(name, self.original.get(name))

    @property
    def kind_label(self) -> str:
        from .changes import kind_label

        return kind_label(self.kind)

    @property
    def target(self):
        return self.target_type.get_object_for_this_type(pk=self.target_id)

    def submit(self):
        self.submitted_at = timezone.now()

    def return_for_correction(self, reason: str):
        self.return_reason = reason
        self.returned_at = timezone.now()

    def approve(self, by):
        self.decided_at = timezone.now()
        self.decided_by = by

    def confirm_login(self):
        self.completed_at = timezone.now()


class ChangeRequestKey(models.Model):
    """One field of one object that an open change request changes: two open
    requests cannot change the same field of the same object (X1, W2)."""

    request = models.ForeignKey(
        ChangeRequest, verbose_name="変更申請", on_delete=models.CASCADE, related_name="keys"
    )
    key = models.CharField("変更する項目（内部）", max_length=200)
    open = models.BooleanField("審査中または作成中", default=True)

    class Meta:
        verbose_name = "変更申請の対象項目"
        verbose_name_plural = "変更申請の対象項目"
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=Q(open=True), name="one_open_change_per_field"
            )
        ]

    def __str__(self):
        return self.key


class WithdrawalState(models.TextChoices):
    SUBMITTED = "submitted", "審査待ち"
    ACCEPTED = "accepted", "受理済み"
    WITHDRAWN = "withdrawn", "取下げ"


class Withdrawal(ConcurrentTransitionMixin, models.Model):
    """P8 (M§11): the provider's notice that it stops being a provider
    (認定講座開設者の取止め): provider number, name and reason. IPA accepts it
    (the provider becomes 取止め, its number is retired, its data stays
    read-only) or the provider takes it back while it waits."""

    provider_path = "provider"  # portal.isolation

    State = WithdrawalState

    provider = models.ForeignKey(
        Provider, verbose_name="講座開設者", on_delete=models.PROTECT, related_name="withdrawals"
    )
    # As filed (M§11 (1) ① ②): the number and name the provider confirmed.
    provider_number = models.CharField("講座開設者番号", max_length=5)
    provider_name = models.CharField("認定講座開設者名", max_length=100)
    reason = models.TextField(
        "取止めの理由",
        max_length=1000,
        validators=[JisTextValidator("取止めの理由", allow_newlines=True)],
    )
    state = FSMField("状態", default=WithdrawalState.SUBMITTED, choices=WithdrawalState.choices,
                     protected=True)  # fmt: skip
    submitted_at = models.DateTimeField("届出日時", default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="届け出た担当者",
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("処理日時", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="受理した審査担当者",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    withdrawn_on = models.DateField("取止め日", null=True, blank=True)
    history = HistoricalRecords()

    objects = ProviderOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "講座開設者の取止めの届出"
        verbose_name_plural = "講座開設者の取止めの届出"
        ordering = ["-submitted_at", "-pk"]
        permissions = [("review_withdrawal", "講座開設者の取止めの届出を受理できる")]
        constraints = [
            # Only one open request per provider.
            models.UniqueConstraint(
                fields=["provider"],
                condition=Q(state=WithdrawalState.SUBMITTED),
                name="one_open_withdrawal_per_provider",
            )
        ]

    def __str__(self):
        return f"取止めの届出（{self.provider_number} {self.provider_name}）"

    @property
    def number(self) -> str:
        """The provider number the notice names (subjects of its mails)."""
        return self.provider_number

    def accept(self, on, by):
        self.withdrawn_on = on
        self.decided_at = timezone.now()
        self.decided_by = by

    def withdraw(self):
        self.decided_at = timezone.now()


# --- questions (質問書, W5, M§12, 別紙15) -----------------------------------------


class QuestionCategory(models.TextChoices):
    """項目 of 別紙15 (the upper level)."""

    COURSE = "course", "履修講座"
    DELIVERY = "delivery", "実施講座"
    EXAM = "exam", "修了試験"
    CERTIFICATION = "certification", "修了認定"
    MAIN_EXAM = "main_exam", "本試験"
    OTHER = "other", "その他"


class QuestionSubcategory(models.TextChoices):
    """The boxes inside each 項目 of 別紙15 (providers.rules.QUESTION_SUBCATEGORIES
    says which belong to which)."""

    COURSE_OPENING = "course_opening", "講座開設"
    COURSE_FEE = "course_fee", "審査手数料"
    COURSE_MATERIALS = "course_materials", "教材"
    DELIVERY_ADD = "delivery_add", "追加"
    DELIVERY_DELETE = "delivery_delete", "削除"
    DELIVERY_CHANGE = "delivery_change", "変更"
    EXAM_APPLICATION = "exam_application", "申込み"
    EXAM_PREPARATION = "exam_preparation", "実施準備"
    EXAM_CONDUCT = "exam_conduct", "実施"
    CERTIFICATION_REPORT = "certification_report", "届出"
    MAIN_EXAM_EXEMPTION = "main_exam_exemption", "科目A試験の免除申請"


class QuestionDocument(models.TextChoices):
    """資料名 of 別紙15."""

    MANUAL = "manual", "免除対象科目 履修講座事務運用マニュアル"
    OTHER = "other", "その他"


class QuestionState(models.TextChoices):
    DRAFT = "draft", "作成中"
    ASKED = "asked", "回答待ち"
    INFO_REQUESTED = "info_requested", "補足待ち"
    ANSWERED = "answered", "回答済み"
    RESOLVED = "resolved", "終了"


class Question(ConcurrentTransitionMixin, models.Model):
    """A question of a provider's staff to IPA (質問書, W5, M§12, 別紙15): one
    question per form, about the provider's own matters only (it belongs to
    one provider; IPA never answers about another provider's data). The
    thread of answers and follow-ups is its QuestionMessage rows."""

    provider_path = "provider"  # portal.isolation

    State = QuestionState
    S = QuestionState

    provider = models.ForeignKey(
        Provider, verbose_name="講座開設者", on_delete=models.PROTECT, related_name="questions"
    )
    provider_number = models.CharField("講座開設者番号", max_length=5)
    category = models.CharField("項目", max_length=16, choices=QuestionCategory.choices)
    subcategory = models.CharField(
        "項目の詳細", max_length=32, choices=QuestionSubcategory.choices, blank=True
    )
    category_other = models.CharField(
        "項目（その他の内容）",
        max_length=100,
        blank=True,
        validators=[JisTextValidator("項目（その他の内容）")],
    )
    document = models.CharField(
        "資料名", max_length=16, choices=QuestionDocument.choices, default=QuestionDocument.MANUAL
    )
    document_other = models.CharField(
        "資料名（その他の資料）",
        max_length=100,
        blank=True,
        validators=[JisTextValidator("資料名（その他の資料）")],
    )
    page = models.CharField("ページ", max_length=40, blank=True)
    body = models.TextField(
        "質問内容",
        max_length=2000,
        validators=[JisTextValidator("質問内容", allow_newlines=True)],
    )
    state = FSMField("状態", default=QuestionState.DRAFT, choices=QuestionState.choices,
                     protected=True)  # fmt: skip
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="質問した担当者",
        on_delete=models.PROTECT,
        related_name="+",
    )
    # As sent (別紙15's 担当者名・電話番号・E-mail), kept for the print.
    contact_name = models.CharField("担当者名", max_length=100, blank=True)
    contact_tel = models.CharField("電話番号", max_length=13, blank=True)
    contact_email = models.EmailField("E-mail", blank=True)
    created_at = models.DateTimeField("作成日時", default=timezone.now)
    asked_at = models.DateTimeField("質問日時", null=True, blank=True)
    # Since when IPA owes an answer (the question, a follow-up or a reply), and by when (W5).
    waiting_since = models.DateTimeField("回答待ちになった日時", null=True, blank=True)
    due_on = models.DateField("回答期限", null=True, blank=True)
    answered_at = models.DateTimeField("最終回答日時", null=True, blank=True)
    closed_at = models.DateTimeField("終了日時", null=True, blank=True)
    history = HistoricalRecords()

    objects = ProviderOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "質問書"
        verbose_name_plural = "質問書"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "due_on"])]

    def __str__(self):
        return f"質問書（{self.provider_number}・{self.topic_label}）"

    @property
    def number(self) -> str:
        """The provider number the question is filed under (subjects of its mails)."""
        return self.provider_number

    @property
    def topic_label(self) -> str:
        """「実施講座（追加）」, 「その他（…）」."""
        label = self.get_category_display()
        detail = self.get_subcategory_display() if self.subcategory else self.category_other
        return f"{label}（{detail}）" if detail else label

    @property
    def document_label(self) -> str:
        if self.document == QuestionDocument.OTHER:
            return f"その他（{self.document_other}）" if self.document_other else "その他"
        return self.get_document_display()

    @property
    def summary(self) -> str:
        text = " ".join(self.body.split())
        return text if len(text) <= 40 else text[:40] + "…"

    def submit(self, due_on, now):
        self.asked_at = self.asked_at or now
        self.waiting_since = now
        self.due_on = due_on

    def answer(self, now):
        self.answered_at = now
        self.due_on = None

    def request_info(self, now):
        self.due_on = None

    def reply(self, due_on, now):
        self.waiting_since = now
        self.due_on = due_on

    def follow_up(self, due_on, now):
        self.waiting_since = now
        self.due_on = due_on

    def close(self, now):
        self.closed_at = now
        self.due_on = None

    def end(self, now):
        self.closed_at = now


class QuestionMessage(models.Model):
    """One message of a question's thread after the question itself: IPA's
    answer or request for more, the provider's reply or follow-up, a closing
    note; shown oldest first."""

    class Kind(models.TextChoices):
        ANSWER = "answer", "IPAからの回答"
        INFO_REQUEST = "info_request", "IPAからの確認依頼"
        REPLY = "reply", "講座開設者からの補足"
        FOLLOW_UP = "follow_up", "講座開設者からの追加の質問"
        CLOSING = "closing", "終了の連絡"

    question = models.ForeignKey(
        Question, verbose_name="質問書", on_delete=models.CASCADE, related_name="messages"
    )
    kind = models.CharField("種類", max_length=16, choices=Kind.choices)
    from_ipa = models.BooleanField("IPAから", default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="記入者",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = models.TextField(
        "本文", max_length=4000, validators=[JisTextValidator("本文", allow_newlines=True)]
    )
    created_at = models.DateTimeField("日時", default=timezone.now)

    class Meta:
        verbose_name = "質問書のやり取り"
        verbose_name_plural = "質問書のやり取り"
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()}（{self.created_at:%Y/%m/%d %H:%M}）"


class QuestionAttachment(models.Model):
    """A file sent with a question or a message (PDF or Office, C15's checks)."""

    question = models.ForeignKey(
        Question, verbose_name="質問書", on_delete=models.CASCADE, related_name="attachments"
    )
    message = models.ForeignKey(
        QuestionMessage,
        verbose_name="やり取り",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField("ファイル", upload_to="question-attachments/%Y/%m/")
    name = models.CharField("ファイル名", max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登録者",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField("登録日時", default=timezone.now)

    class Meta:
        verbose_name = "質問書の添付ファイル"
        verbose_name_plural = "質問書の添付ファイル"
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.name


class PendingSignup(models.Model):
    """A sign-up whose e-mail address is not confirmed yet (issue 11).

    The typed 申請書式1 waits here, and nothing else exists: no account, no
    registration, no notice to IPA, the address is not reserved. The link
    mailed to the address (valid ``SIGNUP_CONFIRMATION_HOURS``) turns it into
    the registration (services.confirm_signup); an expired one is deleted by
    the beat task ``providers.delete_expired_signups``."""

    email = models.EmailField("メールアドレス", max_length=254, db_index=True)
    values = models.JSONField("入力内容", default=dict)
    password_hash = models.CharField("パスワード（ハッシュ）", max_length=128)
    token_hash = models.CharField("確認用トークン（ハッシュ）", max_length=64, unique=True)
    created_at = models.DateTimeField("受付日時", default=timezone.now)
    expires_at = models.DateTimeField("確認の期限", db_index=True)

    class Meta:
        verbose_name = "メールアドレス確認待ちの登録申請"
        verbose_name_plural = "メールアドレス確認待ちの登録申請"

    def __str__(self):
        return f"確認待ちの登録申請（{timezone.localtime(self.created_at):%Y/%m/%d %H:%M}）"
