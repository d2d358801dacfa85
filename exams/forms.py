from django import forms

from courses.models import StructureRoles
from portal.forms import JapaneseErrorsMixin, bounded_formfield

from .models import ExamSite, ProblemFileKind, ResultReport


class ExamSiteForm(JapaneseErrorsMixin, forms.ModelForm):
    class Meta:
        formfield_callback = bounded_formfield  # issue 11: column bounds
        model = ExamSite
        fields = [*StructureRoles.ROLE_FIELDS, "recipient_is_contact", *ExamSite.RECIPIENT_FIELDS]
        widgets = {"created_on": forms.DateInput(attrs={"type": "date"})}


class ReportForm(JapaneseErrorsMixin, forms.ModelForm):
    class Meta:
        formfield_callback = bounded_formfield  # issue 11: column bounds
        model = ResultReport
        fields = ["examinees", "certified_on", "remarks", "consent_confirmed"]
        widgets = {"certified_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["examinees"].required = True
        self.fields[
            "examinees"
        ].help_text = "欠席者や不正行為者を除く実受験者数。修了認定者を登録すると変更できません。"
        self.fields[
            "certified_on"
        ].help_text = "採点を完了し、報告する修了認定者を確定した日。修了認定者がいない場合は空欄。"
        self.fields[
            "remarks"
        ].help_text = (
            f"修了認定者がいない場合は「{ResultReport.NO_COMPLETERS_REMARK}」と入力します。"
        )


class ReviewedReportForm(JapaneseErrorsMixin, forms.ModelForm):
    class Meta:
        formfield_callback = bounded_formfield  # issue 11: column bounds
        model = ResultReport
        fields = [
            "exam_date",
            "applicants",
            "reviewed_exam_number",
            "problem_applicant_number",
            "vendor_pass_score",
        ]
        widgets = {"exam_date": forms.DateInput(attrs={"type": "date"})}

    def clean_reviewed_exam_number(self):
        return self.cleaned_data["reviewed_exam_number"].replace("-", "").upper()

    def clean_problem_applicant_number(self):
        return self.cleaned_data["problem_applicant_number"].upper()


class SessionCancelForm(JapaneseErrorsMixin, forms.Form):
    """E2: METI/IPA cancelled the exam (試験中止): the date of the decision and
    the reason, shown to the providers and on their fee pages."""

    cancelled_on = forms.DateField(
        label="中止の決定日",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="経済産業省・IPAが修了試験の中止を決定した日（修了試験日以前）。",
    )
    cancellation_reason = forms.CharField(
        label="中止の理由",
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="講座開設者への通知と手数料の画面に表示します（例：台風の接近により経済産業省・IPAが中止を決定）。",
    )


class ProblemFileForm(JapaneseErrorsMixin, forms.Form):
    """E3/M§6.3: an IPA administrator's upload of one problem file."""

    kind = forms.ChoiceField(label="種類", choices=ProblemFileKind.choices)
    file = forms.FileField(label="ファイル", help_text="PDF（暗号化したもの）、50MB以下")
    password = forms.CharField(label="復号パスワード", max_length=100)
    available_from = forms.DateField(
        label="提供開始日",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="空欄のとき、サンプルは試験日の10日前、問題は問題の提供日（原則4日前）",
    )
