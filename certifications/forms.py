"""The completer form (R3, R4, R8): one completer added or corrected by hand."""

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
        import unicodedata

        return unicodedata.normalize("NFKC", self.cleaned_data["family_kana"]).strip()

    def clean_given_kana(self):
        import unicodedata

        return unicodedata.normalize("NFKC", self.cleaned_data["given_kana"]).strip()

    def values(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k in self.fields}
