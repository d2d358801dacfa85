from django import forms
from django.core import validators
from django.core.exceptions import ValidationError

from calendars.models import ExamSession
from portal.choices import PREFECTURE_CHOICES
from portal.forms import JapaneseErrorsMixin, bounded_formfield, japanese_messages
from providers.forms import change_reason_field
from providers.models import Category

from . import rules
from .models import DeliveryCourse, ExemptionCourse, OperationStructure, StudyMaterial
from .rules import CourseType, parse_hours

COURSE_FIELDS = [
    "name",
    "vendor_name",
    "private_exam_name",
    "vendor_min_hours",
    "attendance_ratio",
    "learning_mode",
    "total_hours",
    "desired_month",
    "course_manager",
]


class MonthInput(forms.DateInput):
    input_type = "month"

    def format_value(self, value):
        return value.strftime("%Y-%m") if hasattr(value, "strftime") else value


class MonthField(forms.DateField):
    """認定希望月: a month, stored as its 1st day."""

    widget = MonthInput

    def __init__(self, **kwargs):
        super().__init__(input_formats=["%Y-%m", "%Y-%m-%d", "%Y/%m"], **kwargs)

    def to_python(self, value):
        date = super().to_python(value)
        return date.replace(day=1) if date else date


def _exact_hours(label: str):
    def check(value):
        if value is not None:
            _, problem = parse_hours(value, label)
            if problem:
                raise ValidationError(problem, code="hours")

    return check


class CourseForm(JapaneseErrorsMixin, forms.ModelForm):
    """免除対象講座 (表5.2-1). The type is chosen once, on creation (C2)."""

    desired_month = MonthField(label="認定希望月", help_text="最短で申請月の翌々月です。")

    class Meta:
        formfield_callback = bounded_formfield  # issue 11: column bounds
        model = ExemptionCourse
        fields = ["course_type", *COURSE_FIELDS]
        widgets = {"course_type": forms.RadioSelect, "learning_mode": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course_type"].choices = CourseType.CHOICES
        for name in ("total_hours", "vendor_min_hours"):
            # C5: exact hours, two decimals (100.00, 0.25); more places are refused
            # with that reason (not the digit count), never rounded.
            field = self.fields[name]
            field.widget.attrs.update({"step": "0.01", "min": "0", "inputmode": "decimal"})
            field.validators = [
                v for v in field.validators if not isinstance(v, validators.DecimalValidator)
            ] + [_exact_hours(str(field.label))]
            field.error_messages["invalid"] = (
                f"「{field.label}」は数値（例：100.00）で入力してください。"
            )
        self.fields["name"].widget.attrs["placeholder"] = "2025-2026年度講座A"
        self.fields["attendance_ratio"].help_text = "3分の2以上の割合（例：70%、7割）"
        self.fields["desired_month"].error_messages["invalid"] = (
            "「認定希望月」は年月（例：2026-10）で入力してください。"
        )
        if self.instance.pk:
            # C2: fixed after the first save.
            self.fields["course_type"].disabled = True
            self.fields[
                "course_type"
            ].help_text = (
                "一時保存の後は変更できません。誤った場合は講座を削除して入力し直してください。"
            )


class MaterialForm(JapaneseErrorsMixin, forms.ModelForm):
    class Meta:
        formfield_callback = bounded_formfield  # issue 11: column bounds
        model = StudyMaterial
        fields = ["name", "publisher", "edition", "published_on"]
        widgets = {"published_on": forms.DateInput(attrs={"type": "date"})}


MaterialFormSet = forms.modelformset_factory(
    StudyMaterial, form=MaterialForm, extra=2, can_delete=True, max_num=30, validate_max=True
)


class OperationStructureForm(JapaneseErrorsMixin, forms.ModelForm):
    class Meta:
        formfield_callback = bounded_formfield  # issue 11: column bounds
        model = OperationStructure
        fields = OperationStructure.ROLE_FIELDS
        widgets = {"created_on": forms.DateInput(attrs={"type": "date"})}


def _session_choices():
    sessions = ExamSession.objects.filter(published=True).order_by("exam_date")
    return [("", "（なし）")] + [
        (s.pk, f"{s.exam_date:%Y年%-m月%-d日}（{s.fiscal_year}年度）") for s in sessions
    ]


class DeliveryCourseForm(JapaneseErrorsMixin, forms.ModelForm):
    """実施講座 (表5.4-1) with the exam rows (表5.4-2)."""

    SLOTS = [("upper", 1, "上段 実施日①"), ("upper", 2, "上段 実施日②"),
             ("lower", 1, "下段（救済措置） 実施日①"), ("lower", 2, "下段（救済措置） 実施日②")]  # fmt: skip

    class Meta:
        formfield_callback = bounded_formfield  # issue 11: column bounds
        model = DeliveryCourse
        fields = [
            "name",
            "prefecture",
            "address",
            "building",
            "target_learners",
            "conditions",
            "expected_learners",
            "start_date",
            "end_date",
            "instructors",
            "vendor_name",
            "committee_declaration",
        ]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, course=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.course = course
        self.fields["committee_declaration"].required = True
        self.fields[
            "instructors"
        ].help_text = "「講師名：」に続けて全員を入力（e-ラーニング等は講座担当者名）"
        self.fields["instructors"].initial = "講師名："
        private = course is not None and course.course_type != CourseType.NONE_IPA
        if not private:
            del self.fields["vendor_name"]
        else:
            # D1: a PRIVATE_* delivery course names the vendor it relies on.
            self.fields["vendor_name"].required = True
            self.fields["vendor_name"].initial = course.vendor_name
        existing = {}
        if self.instance.pk:
            existing = {(e.row, e.slot): e for e in self.instance.exams.all()}
        for row, slot, label in self.SLOTS:
            if row == "lower" and not private:
                continue
            key = f"{row}_{slot}"
            current = existing.get((row, slot))
            self.fields[f"{key}_session"] = forms.TypedChoiceField(
                label=f"{label}（IPA提供問題）", choices=_session_choices(), required=False,
                coerce=int, empty_value=None,
                initial=current.session_id if current and current.session_id else None,
            )  # fmt: skip
            # C1/D5: only a PRIVATE_REVIEWED course sets IPA審査問題 exams (a
            # stored one of another type stays visible so that it is refused).
            reviewed_allowed = course is not None and not rules.reviewed_exam_problem(
                course.course_type
            )
            stored_reviewed = current is not None and current.kind == rules.REVIEWED
            if row == "upper" and (reviewed_allowed or stored_reviewed):
                self.fields[f"{key}_vendor_date"] = forms.DateField(
                    label=f"{label}（IPA審査問題の実施日）", required=False,
                    widget=forms.DateInput(attrs={"type": "date"}),
                    initial=current.vendor_date if current else None,
                )  # fmt: skip
        for name, field in self.fields.items():
            if name.endswith(("_session", "_vendor_date")):
                japanese_messages(field)

    def clean(self):
        cleaned = super().clean()
        for row, slot, label in self.SLOTS:
            key = f"{row}_{slot}"
            if cleaned.get(f"{key}_session") and cleaned.get(f"{key}_vendor_date"):
                self.add_error(
                    f"{key}_vendor_date",
                    f"「{label}」はIPA提供問題かIPA審査問題のどちらか一方を入力してください。",
                )
        return cleaned

    def exam_slots(self) -> list[dict]:
        sessions = {s.pk: s for s in ExamSession.objects.all()}
        slots = []
        for row, slot, _ in self.SLOTS:
            key = f"{row}_{slot}"
            session_pk = self.cleaned_data.get(f"{key}_session")
            vendor_date = self.cleaned_data.get(f"{key}_vendor_date")
            if session_pk:
                slots.append(
                    {"row": row, "slot": slot, "kind": "ipa", "session": sessions[session_pk]}
                )
            elif vendor_date:
                slots.append(
                    {"row": row, "slot": slot, "kind": "reviewed", "vendor_date": vendor_date}
                )
        return slots

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.fields}


class DeliveryChangeForm(DeliveryCourseForm):
    """The approved delivery course as a copy in its usual form (実施講座情報の
    変更, X1–X3): saving stores a change request being written."""

    reason = change_reason_field("会場の変更、2回目の修了試験の追加。")

    def __init__(self, *args, proposed_exams: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"] = self.fields.pop("reason")  # last, after the exam rows
        if proposed_exams is not None:  # the copy being written, not the stored rows
            for row, slot, _ in self.SLOTS:
                key = f"{row}_{slot}"
                value = proposed_exams.get(key) or {}
                if f"{key}_session" in self.fields:
                    self.fields[f"{key}_session"].initial = value.get("session")
                if f"{key}_vendor_date" in self.fields:
                    self.fields[f"{key}_vendor_date"].initial = value.get("vendor_date")

    def exam_values(self) -> dict:
        """The exam rows as a change request stores them."""
        return {
            f"{slot['row']}_{slot['slot']}": {
                "kind": slot["kind"],
                "session": slot["session"].pk if slot.get("session") else None,
                "vendor_date": slot["vendor_date"].isoformat() if slot.get("vendor_date") else None,
            }
            for slot in self.exam_slots()
        }

    def values(self) -> dict:
        values = super().values()
        values.pop("committee_declaration", None)  # confirmed again, stays as approved
        return values


class DeletionRequestForm(JapaneseErrorsMixin, forms.Form):
    reason = forms.CharField(
        label="削除の理由",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        initial="受講者が集まらず開講しなかったため。",
        help_text="例：受講者0人のため開講しなかった（マニュアル5.5）。",
    )


class ReasonForm(JapaneseErrorsMixin, forms.Form):
    reason = forms.CharField(
        label="差し戻し理由", widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )


class AttachmentForm(JapaneseErrorsMixin, forms.Form):
    title = forms.CharField(label="書類の内容", max_length=100)
    file = forms.FileField(label="ファイル（PDF・Word・Excel・PowerPoint、10MBまで）")


class RegistryForm(forms.Form):
    """P9: the public registry's search and filters (GET, kept in the URL)."""

    q = forms.CharField(
        label="キーワード",
        required=False,
        max_length=100,
        help_text="講座開設者番号・講座開設者名・講座名の一部",
    )
    prefecture = forms.ChoiceField(
        label="都道府県",
        required=False,
        choices=[("", "すべて"), *PREFECTURE_CHOICES],
        help_text="講座開設者の住所または講座の設置場所",
    )
    category = forms.ChoiceField(
        label="区分", required=False, choices=[("", "すべて"), *Category.choices]
    )
    past = forms.BooleanField(label="認定期間が終了した講座も表示する", required=False)

    def query(self):
        """The RegistryQuery of the valid fields (a wrong value is ignored:
        the list is shown without that condition)."""
        from .registry import RegistryQuery

        self.is_valid()  # cleaned_data then holds the fields that are valid
        data = self.cleaned_data
        return RegistryQuery(
            q=" ".join((data.get("q") or "").split()),
            prefecture=data.get("prefecture") or "",
            category=data.get("category") or "",
            include_past=bool(data.get("past")),
        )


class RevokeForm(JapaneseErrorsMixin, forms.Form):
    """C11 (M§2.5): an IPA administrator revokes a certification (no prefix:
    the error summary links to ``#id_<name>``; no other form of the review
    page is shown for a certified course with these names)."""

    on = forms.DateField(label="認定取消日", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(
        label="認定取消理由",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="講座開設者への通知と審査状況に、この文面のまま表示されます。"
        "マニュアル2.5のどの事由に当たるかを記載してください。",
    )
    confirm = forms.BooleanField(
        label="取消しの日から2年間、この講座開設者が新たな認定を受けられなくなることを確認しました"
    )

    def __init__(self, *args, course, today, **kwargs):
        super().__init__(*args, **kwargs)
        # The browser offers only the dates the service accepts.
        attrs = self.fields["on"].widget.attrs
        attrs["max"] = min(today, course.valid_until or today).isoformat()
        if course.certified_on:
            attrs["min"] = course.certified_on.isoformat()
