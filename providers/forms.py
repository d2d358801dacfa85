from django import forms
from django.contrib.auth import password_validation

from portal.forms import JapaneseErrorsMixin, bounded_formfield
from portal.validators import normalize_phone, normalize_postal_code

from .models import Category, Referral, Registration

EDITABLE_FIELDS = [f for f in Registration.FORM_FIELDS if f != "application_date"]


class RegistrationForm(JapaneseErrorsMixin, forms.ModelForm):
    """申請書式1 (P1). Used for the sign-up and for fixing a returned registration."""

    class Meta:
        formfield_callback = bounded_formfield  # issue 11: column bounds
        model = Registration
        fields = EDITABLE_FIELDS
        widgets = {
            "category": forms.RadioSelect,
            "referral": forms.RadioSelect,
            "remarks": forms.Textarea(attrs={"rows": 3}),
            "contact_email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "postal_code": forms.TextInput(
                attrs={"placeholder": "123-4567", "inputmode": "numeric"}
            ),
            "contact_postal_code": forms.TextInput(
                attrs={"placeholder": "123-4567", "inputmode": "numeric"}
            ),
            "contact_tel": forms.TextInput(
                attrs={"placeholder": "03-1234-5678", "inputmode": "tel"}
            ),
            "contact_fax": forms.TextInput(
                attrs={"placeholder": "03-1234-5679", "inputmode": "tel"}
            ),
            "representative_name": forms.TextInput(attrs={"placeholder": "情報\u3000太郎"}),
            "name_kana": forms.TextInput(attrs={"placeholder": "アイピーエーダイガク"}),
        }

    SECTIONS = [
        (
            "申請者（法人）",
            ["name", "name_kana", "representative_name", "postal_code", "prefecture", "address"],
        ),
        (
            "担当者連絡先",
            [
                "contact_family_name",
                "contact_given_name",
                "contact_department",
                "contact_tel",
                "contact_fax",
                "contact_email",
                "contact_postal_code",
                "contact_prefecture",
                "contact_address",
            ],
        ),
        ("アンケート", ["category", "referral", "referral_dm_year", "referral_dm_month"]),
        ("備考・欠格事由の申告", ["remarks", "declaration"]),
    ]

    def sections(self):
        """[(title, [bound fields])] in the order of 申請書式1."""
        return [(title, [self[name] for name in names]) for title, names in self.SECTIONS]

    def __init__(self, *args, highlight_fields=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Fields the reviewer asked to fix (W1), shown highlighted.
        self.highlight_fields = list(highlight_fields)
        if self.instance.pk and "contact_email" in self.fields:
            # The e-mail is the account's login; changing it goes through IPA.
            self.fields["contact_email"].disabled = True
            self.fields[
                "contact_email"
            ].help_text = "ログインIDのため、ここでは変更できません。変更はIPAへご連絡ください。"
        if "declaration" in self.fields:
            self.fields["declaration"].required = True
        # Radio buttons without Django's "---------" blank choice.
        self.fields["category"].choices = Category.choices
        if "referral" in self.fields:
            self.fields["referral"].choices = Referral.choices
            self.fields["referral_dm_year"].widget.attrs.update({"min": 2000, "max": 2100})
            self.fields["referral_dm_month"].widget.attrs.update({"min": 1, "max": 12})
        self.fields["prefecture"].choices = [("", "選択してください")] + list(
            self.fields["prefecture"].choices
        )[1:]
        self.fields["contact_prefecture"].choices = self.fields["prefecture"].choices

    def clean_postal_code(self):
        return normalize_postal_code(self.cleaned_data["postal_code"])

    def clean_contact_postal_code(self):
        return normalize_postal_code(self.cleaned_data["contact_postal_code"])

    def clean_contact_tel(self):
        return normalize_phone(self.cleaned_data["contact_tel"])

    def clean_contact_fax(self):
        return normalize_phone(self.cleaned_data.get("contact_fax", ""))

    def clean_contact_email(self):
        return self.cleaned_data["contact_email"].strip().lower()

    def clean(self):
        # The DM year/month rule (P1) is ProviderInfo.clean(), run by _post_clean.
        cleaned = super().clean()
        if "referral" in self.fields and cleaned.get("referral") != "ipa_dm":
            cleaned["referral_dm_year"] = None
            cleaned["referral_dm_month"] = None
        return cleaned

    def _post_clean(self):
        # The model's own checks (ProviderInfo.clean) repeat some form checks;
        # a field that already has the form's message does not get a second one.
        already = {name: list(errors) for name, errors in self.errors.items()}
        super()._post_clean()
        for name, errors in already.items():
            if name in self._errors:
                self._errors[name] = self.error_class(errors)

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in EDITABLE_FIELDS}


class SignupForm(RegistrationForm):
    password1 = forms.CharField(
        label="パスワード",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="12文字以上。よく使われるパスワードや数字だけのものは使えません。",
    )
    password2 = forms.CharField(
        label="パスワード（確認）",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    SECTIONS = [
        *RegistrationForm.SECTIONS,
        ("ログイン用パスワード・同意事項", ["password1", "password2", "agree_terms"]),
    ]

    agree_terms = forms.BooleanField(
        label="利用に際しての同意事項（マニュアル第2章）と個人情報の取扱い（第3章）に同意します",
        required=True,
    )

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "「パスワード（確認）」が「パスワード」と一致しません。")
        elif p1:
            from portal.models import User

            probe = User(
                email=cleaned.get("contact_email", ""),
                family_name=cleaned.get("contact_family_name", ""),
                given_name=cleaned.get("contact_given_name", ""),
            )
            try:
                password_validation.validate_password(p1, probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class ReturnForm(JapaneseErrorsMixin, forms.Form):
    reason = forms.CharField(
        label="差し戻し理由", widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )
    fields = forms.MultipleChoiceField(
        label="修正が必要な項目",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(f, Registration._meta.get_field(f).verbose_name) for f in EDITABLE_FIELDS],
    )


class WithdrawalForm(JapaneseErrorsMixin, forms.Form):
    """P8 (M§11 (1)): the reason, and the staff's confirmation of the
    講座開設者番号 and 認定講座開設者名 that the page shows from the record
    (they are not typed: the service files the record's values)."""

    confirm_identity = forms.BooleanField(
        label="取り止める講座開設者の番号と名称が正しいことを確認しました"
    )
    reason = forms.CharField(
        label="取止めの理由",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="例：免除対象講座の認定期間の終了後、新たな講座を申請しないため。",
    )


def change_reason_field(example: str) -> forms.CharField:
    """「変更の理由」 of a change request's form (optional, kept with the request)."""
    return forms.CharField(
        label="変更の理由",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=f"IPAの確認に役立つ事情があれば記入してください。例：{example}",
    )
