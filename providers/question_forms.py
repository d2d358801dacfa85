"""Forms of the question pages (質問書, W5, 別紙15)."""

from django import forms

from portal.forms import JapaneseErrorsMixin

from .models import QuestionCategory, QuestionDocument, QuestionSubcategory
from .questions import MAX_ATTACHMENTS
from .rules import question_subcategories

ATTACHMENT_HELP = (
    f"PDF・Word・Excel・PowerPointのファイル（1件10MBまで、{MAX_ATTACHMENTS}件まで）。任意です。"
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe): a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


def _subcategory_choices():
    """The boxes of 別紙15 grouped under their 項目 (an <optgroup> each)."""
    groups = [("", "（選択してください）")]
    for category, subs in question_subcategories().items():
        if subs:
            groups.append(
                (
                    QuestionCategory(category).label,
                    [(s, QuestionSubcategory(s).label) for s in subs],
                )
            )
    return groups


class QuestionForm(JapaneseErrorsMixin, forms.Form):
    """別紙15 質問書: 質問箇所（資料名・ページ・項目）and 質問内容; one question per form."""

    category = forms.ChoiceField(
        label="項目", choices=QuestionCategory.choices, widget=forms.RadioSelect
    )
    subcategory = forms.ChoiceField(
        label="項目の詳細",
        choices=_subcategory_choices,
        required=False,
        help_text="項目が「その他」以外のときに選択してください（別紙15の□の項目です）。",
    )
    category_other = forms.CharField(
        label="項目（その他の内容）",
        max_length=100,
        required=False,
        help_text="項目が「その他」のときに、何についての質問か入力してください。",
    )
    document = forms.ChoiceField(
        label="資料名",
        choices=QuestionDocument.choices,
        initial=QuestionDocument.MANUAL,
        widget=forms.RadioSelect,
    )
    document_other = forms.CharField(
        label="資料名（その他の資料）",
        max_length=100,
        required=False,
        help_text="資料名が「その他」のときに入力してください（例：免除対象講座ポータルの画面名）。",
    )
    page = forms.CharField(
        label="ページ",
        max_length=40,
        required=False,
        help_text="質問箇所のページ（例：P89、12.2.7）。",
        widget=forms.TextInput(attrs={"placeholder": "P89"}),
    )
    body = forms.CharField(
        label="質問内容",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="質問は1件につき1問とし、簡潔にまとめてください。",
    )
    attachments = MultipleFileField(label="添付ファイル", required=False, help_text=ATTACHMENT_HELP)

    def values(self) -> dict:
        return {
            name: self.cleaned_data.get(name, "") for name in self.fields if name != "attachments"
        }


class MessageForm(JapaneseErrorsMixin, forms.Form):
    """A message of the thread: an answer, a request, a reply or a follow-up."""

    body = forms.CharField(label="本文", max_length=4000, widget=forms.Textarea(attrs={"rows": 6}))
    attachments = MultipleFileField(label="添付ファイル", required=False, help_text=ATTACHMENT_HELP)


class CloseForm(JapaneseErrorsMixin, forms.Form):
    note = forms.CharField(
        label="終了にあたってのひとこと",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="任意です（例：解決しました。ありがとうございました）。",
    )
