"""Forms of the exam-day pages (E5, E6, E10)."""

import re
import unicodedata
from types import SimpleNamespace

from django import forms

from portal.forms import JapaneseErrorsMixin, bounded_formfield, japanese_messages

from ..models import SpecialMeasureRequest
from . import documents, rules

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DELAY_MESSAGE = (
    "「試験開始時刻の繰り下げ」は0〜60分の範囲で、5分単位で指定してください"
    "（局所的な災害時は会場全体で最大60分まで、M§6.12）。"
)
MAX_ROOMS = 20


class ExamDayOptionsForm(JapaneseErrorsMixin, forms.Form):
    """GET options of the exam-day page: the delay of the start (M§6.12) and
    an optional split of the examinees into rooms (表6.1-1 is per room)."""

    delay = forms.TypedChoiceField(
        label="試験開始時刻の繰り下げ",
        coerce=int,
        required=False,
        empty_value=0,
        choices=[(d, f"{d}分" if d else "繰り下げなし") for d in rules.DELAY_CHOICES],
        help_text="局所的な災害（台風・集中豪雨等）のときだけ、会場全体で最大60分まで繰り下げられます。",
    )
    rooms = forms.CharField(
        label="試験室ごとの受験者数",
        required=False,
        max_length=200,
        help_text="複数の試験室に分ける場合に、試験室ごとの人数を「、」または「,」で区切って入力します（例：60,45）。空欄なら1室です。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["delay"].error_messages["invalid_choice"] = DELAY_MESSAGE
        self.fields["rooms"].widget.attrs["placeholder"] = "60,45"

    def clean_rooms(self) -> list[int]:
        text = unicodedata.normalize("NFKC", self.cleaned_data.get("rooms") or "").strip()
        if not text:
            return []
        parts = [p.strip() for p in re.split(r"[,、\s]+", text) if p.strip()]
        if not all(p.isdigit() for p in parts):
            raise forms.ValidationError(
                "「試験室ごとの受験者数」は半角数字を「,」で区切って入力してください（例：60,45）。"
            )
        counts = [int(p) for p in parts]
        if len(counts) > MAX_ROOMS:
            raise forms.ValidationError(
                f"「試験室ごとの受験者数」は{MAX_ROOMS}室までにしてください。"
            )
        if any(n > 999 for n in counts):
            raise forms.ValidationError(
                "「試験室ごとの受験者数」は1室999名以内で入力してください。"
            )
        return counts


class SpecialMeasureForm(JapaneseErrorsMixin, forms.ModelForm):
    """E10: one examinee's request for special measures with the documents
    handed in (表7-1) and the provider's decision. What is missing is shown
    as warnings; the decision 「認める」 is refused until nothing is missing."""

    measures = forms.MultipleChoiceField(
        label="希望する特別措置",
        choices=rules.MEASURE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    evidence = forms.MultipleChoiceField(
        label="提出された書類",
        choices=rules.EVIDENCE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="医師の診断書は原本（コピー不可）で、対象とする修了試験の月を含む4か月以内のものに限ります（表7-1 ※3）。",
    )
    decision = forms.ChoiceField(
        label="判断",
        choices=[("", documents.UNDECIDED), *SpecialMeasureRequest.Decision.choices],
        widget=forms.RadioSelect,
        required=False,
    )

    class Meta:
        formfield_callback = bounded_formfield  # issue 11: column bounds
        model = SpecialMeasureRequest
        fields = [
            "examinee_name",
            "delivery_course",
            "measures",
            "evidence",
            "details",
            "doctor_certificate_date",
            "pregnant",
            "decision",
            "decided_on",
            "note",
        ]
        widgets = {
            "doctor_certificate_date": DATE_WIDGET,
            "decided_on": DATE_WIDGET,
            "details": forms.Textarea(attrs={"rows": 3}),
            "note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, site, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.site = site
        self.today = today
        self.exam_date = site.session.exam_date
        self.opens_on = documents.application_opens_on(site.session)
        self.problems: list[tuple[str, str]] = []
        course_field = self.fields["delivery_course"]
        course_field.queryset = (
            course_field.queryset.filter(exam_applications__site=site)
            .select_related("course")
            .distinct()
        )
        course_field.label_from_instance = lambda d: f"{d.number} {d.name}"
        course_field.empty_label = "（選択しない）"
        course_field.label = "実施講座"
        course_field.help_text = "この試験会場で受験する実施講座から選びます。"
        japanese_messages(course_field)  # again, with the Japanese label
        self.fields["details"].help_text = (
            "型番・必要な電源の数、介助内容、付添者の氏名、車椅子情報（種別・サイズ）、商品名など、"
            "措置ごとに表7-1が求める内容を書いてください。"
        )
        self.fields["decided_on"].help_text = "空欄で判断を保存すると今日の日付になります。"
        self.fields["examinee_name"].widget.attrs["placeholder"] = "情報\u3000太郎"

    def clean(self):
        cleaned = super().clean()
        request_like = SimpleNamespace(
            measures=cleaned.get("measures") or [],
            evidence=cleaned.get("evidence") or [],
            details=cleaned.get("details") or "",
            doctor_certificate_date=cleaned.get("doctor_certificate_date"),
            pregnant=bool(cleaned.get("pregnant")),
        )
        if not cleaned.get("measures"):
            return cleaned  # the field's own "required" error says it
        self.problems = rules.evidence_problem_fields(
            request_like, self.exam_date, self.opens_on, today=self.today
        )
        if cleaned.get("decision") == SpecialMeasureRequest.Decision.APPROVED and self.problems:
            self.add_error(
                "decision",
                "「判断」を「認める」にできません。表7-1の必要書類等がそろっていません"
                f"（不足{len(self.problems)}件）。",
            )
            for name, message in self.problems:
                self.add_error(name if name in self.fields else None, message)
        if cleaned.get("decided_on") and not cleaned.get("decision"):
            self.add_error("decided_on", "「判断日」は「判断」を選んだときに入力してください。")
        return cleaned

    def save(self, commit=True):
        obj = super().save(commit=False)
        if obj.decision and not obj.decided_on:
            obj.decided_on = self.today
        obj.site = self.site
        if commit:
            obj.save()
        return obj

    @property
    def problem_messages(self) -> list[str]:
        return [message for _, message in self.problems]
