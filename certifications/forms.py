"""The completer form (R3, R4, R8): one completer added or corrected by hand;
the correction form of an accepted report's completer (R11: a change request)."""

import unicodedata

from django import forms

from portal.forms import JapaneseErrorsMixin, bounded_formfield

from .models import Completer


class CompleterForm(JapaneseErrorsMixin, forms.ModelForm):
    serial = forms.IntegerField(
        label="修了認定者管理番号（下5桁）", required=False, min_value=1, max_value=99999,
        help_text="同じ年月の修了試験では、報告が違っても同じ番号は使えません。空いている次の番号を入れてあります（空欄でも次の番号を付けます。欠番があっても構いません）。",
    )  # fmt: skip

    class Meta:
        formfield_callback = bounded_formfield  # issue 11: column bounds
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
        formfield_callback = bounded_formfield  # issue 11: column bounds
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


class VerifyCodeForm(JapaneseErrorsMixin, forms.Form):
    """The verification page: a code typed from a certificate."""

    code = forms.CharField(
        label="照合コード",
        max_length=40,
        help_text="認定証の下部（QRコードの横）に印刷された12文字です（例：ABCD-EFGH-JKLM）。ハイフンや小文字のままでも構いません。",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


# A certificate is a one-page PDF of a few hundred kilobytes at most.
MAX_CHECK_BYTES = 20 * 1024 * 1024


class ChecksumForm(JapaneseErrorsMixin, forms.Form):
    """Is my copy the issued certificate? A file (hashed, not kept) or its
    SHA-256 typed or pasted."""

    file = forms.FileField(
        label="認定証のPDFファイル",
        required=False,
        help_text="選んだファイルはこの照合のためだけに読み取り、保存しません。",
    )
    sha256 = forms.CharField(
        label="SHA-256（ファイルのハッシュ値）",
        required=False,
        max_length=200,
        help_text="ファイルの代わりに、お手元で計算したSHA-256（16進数64桁）を貼り付けることもできます。",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is not None and upload.size > MAX_CHECK_BYTES:
            raise forms.ValidationError(
                "「認定証のPDFファイル」は20MB以下のファイルを選んでください。"
            )
        return upload

    def clean_sha256(self):
        from .verification import normalize_checksum

        text = self.cleaned_data.get("sha256", "")
        if not text.strip():
            return ""
        value = normalize_checksum(text)
        if value is None:
            raise forms.ValidationError(
                "「SHA-256（ファイルのハッシュ値）」は16進数64桁（0～9、a～f）で入力してください。"
            )
        return value

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("file") and not data.get("sha256"):
            raise forms.ValidationError(
                "「認定証のPDFファイル」を選ぶか、「SHA-256（ファイルのハッシュ値）」を入力してください。"
            )
        return data

    def checksum(self) -> str:
        """The SHA-256 to compare: of the file when one was chosen."""
        from .verification import checksum_of_upload

        upload = self.cleaned_data.get("file")
        return checksum_of_upload(upload) if upload else self.cleaned_data["sha256"]
