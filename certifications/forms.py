"""The completer form (R3, R4, R8): one completer added or corrected by hand;
the correction form of an accepted report's completer (R11: a change request)."""

import unicodedata

from django import forms

from portal.forms import JapaneseErrorsMixin

from .models import Completer


class CompleterForm(JapaneseErrorsMixin, forms.ModelForm):
    serial = forms.IntegerField(
        label="修了認定者管理番号（下5桁）", required=False, min_value=1, max_value=99999,
        help_text="同じ年月の修了試験では、報告が違っても同じ番号は使えません。空いている次の番号を入れてあります（空欄でも次の番号を付けます。欠番があっても構いません）。",
    )  # fmt: skip

    class Meta:
        model = Completer
        fields = ["serial", "family_name", "given_name", "family_kana", "given_kana", "birth_date", "score",
                  "private_pass_date", "private_pass_number"]  # fmt: skip
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}),
            "private_pass_date": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, private=False, edit=False, **kwargs):
        super().__init__(*args, **kwargs)
        if edit:  # correcting a completer (R3): the number stays unless changed
            serial = self.fields["serial"]
            serial.required = True
            serial.help_text = "変更する場合は、ほかの修了認定者と重ならない番号にしてください。"
            serial.widget.attrs["aria-required"] = "true"
        if not private:
            del self.fields["private_pass_date"]
            del self.fields["private_pass_number"]

    def clean_family_kana(self):
        return _kana(self.cleaned_data["family_kana"])

    def clean_given_kana(self):
        return _kana(self.cleaned_data["given_kana"])

    def values(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k in self.fields}


def _kana(value: str) -> str:
    """Half-width kana become full-width (UX: convert losslessly, not refuse)."""
    return unicodedata.normalize("NFKC", value).strip()


class CompleterCorrectionForm(JapaneseErrorsMixin, forms.ModelForm):
    """R11: one completer of an accepted report, on a copy (the form's instance
    is never saved; providers.changes keeps the values until IPA approves).
    The serial and the 修了認定者管理番号 are not fields: they never change."""

    class Meta:
        model = Completer
        fields = ["family_name", "given_name", "family_kana", "given_kana", "birth_date", "score"]
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date"})}

    def clean_family_kana(self):
        return _kana(self.cleaned_data["family_kana"])

    def clean_given_kana(self):
        return _kana(self.cleaned_data["given_kana"])

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def error_summary(self):
        """(the field's id, label, message) of each error, for one summary of
        several completers' forms on one page."""
        rows = []
        for name, errors in self.errors.items():
            field = self[name] if name in self.fields else None
            for message in errors:
                rows.append((field.auto_id if field else "", field.label if field else "", message))
        return rows
