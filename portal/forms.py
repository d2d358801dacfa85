import contextlib
import unicodedata

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.core.exceptions import FieldDoesNotExist

from . import audit


def japanese_messages(field) -> None:
    """Error messages that name the field: 「代表者名」を入力してください。"""
    label = str(field.label or "")
    choose = isinstance(field, forms.ChoiceField | forms.BooleanField)
    verb = "を選択してください" if choose else "を入力してください"
    if isinstance(field, forms.BooleanField):
        verb = "にチェックを付けてください"
    field.error_messages["required"] = f"「{label}」{verb}。"
    field.error_messages["invalid_choice"] = f"「{label}」の選択肢が正しくありません。"
    if isinstance(field, forms.IntegerField):
        field.error_messages["invalid"] = f"「{label}」は半角数字で入力してください。"
    if isinstance(field, forms.EmailField):
        field.error_messages["invalid"] = (
            f"「{label}」はメールアドレスの形式（例：kouza@example.jp）で入力してください。"
        )
    if isinstance(field, forms.DateField):
        field.error_messages["invalid"] = f"「{label}」は日付（例：2026-04-01）で入力してください。"
    if isinstance(field, forms.DecimalField | forms.FloatField):
        field.error_messages["invalid"] = f"「{label}」は数値（例：100.0）で入力してください。"
    if isinstance(field, forms.FileField):
        field.error_messages["required"] = f"「{label}」を選んでください。"
        field.error_messages["empty"] = f"「{label}」が空のファイルです。"
    if isinstance(field, forms.IntegerField | forms.DecimalField) and field.max_value is not None:
        field.error_messages["max_value"] = (
            f"「{label}」は{field.max_value:,}以下の数値で入力してください。"
        )
    if isinstance(field, forms.CharField) and field.max_length:
        field.error_messages["max_length"] = (
            f"「{label}」は{field.max_length}文字以内で入力してください。"
        )
    # Mark required fields for the template (必須).
    field.widget.attrs.setdefault("aria-required", "true" if field.required else "false")


# --- issue 11: numbers and text never exceed their database columns ------------------

# The largest value each integer column holds (PostgreSQL: smallint, integer,
# bigint); a 30-digit number in a POST used to reach the database (DataError).
INTEGER_COLUMN_MAX = {
    "SmallIntegerField": 32767,
    "PositiveSmallIntegerField": 32767,
    "IntegerField": 2147483647,
    "PositiveIntegerField": 2147483647,
    "BigIntegerField": 9223372036854775807,
    "PositiveBigIntegerField": 9223372036854775807,
}
# A text column without a length (TextField): what a form accepts at most.
TEXT_MAX_LENGTH = 10_000


def decimal_max(max_digits: int, decimal_places: int):
    """The largest value of a DecimalField(max_digits, decimal_places): 999.99 for (5, 2)."""
    from decimal import Decimal

    return Decimal(10) ** (max_digits - decimal_places) - Decimal(10) ** -decimal_places


def bounded_formfield(db_field, **kwargs):
    """``Meta.formfield_callback`` of every ModelForm: the form field of
    ``db_field`` with ``max_value`` of its column (integers, decimals) and a
    ``max_length`` for text columns without one, so that an over-long value is
    a Japanese form error and never a database error (PostgreSQL)."""
    internal = db_field.get_internal_type()
    if internal in INTEGER_COLUMN_MAX and not db_field.choices:
        kwargs.setdefault("max_value", INTEGER_COLUMN_MAX[internal])
    elif internal == "DecimalField" and db_field.max_digits is not None:
        kwargs.setdefault("max_value", decimal_max(db_field.max_digits, db_field.decimal_places))
    elif internal == "TextField" and db_field.max_length is None and not db_field.choices:
        kwargs.setdefault("max_length", TEXT_MAX_LENGTH)
    return db_field.formfield(**kwargs)


def _composed(value):
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def _full_name(value):
    from .validators import normalize_full_name

    return normalize_full_name(_composed(value)) if isinstance(value, str) else value


def _is_full_name(form, name: str, field) -> bool:
    """Whether the field holds 「姓　名」 (its own or its model field's
    validators include the P2 check)."""
    from .validators import FullNameWithSpaceValidator

    validators = list(field.validators)
    model = getattr(getattr(form, "_meta", None), "model", None)
    if model is not None:
        with contextlib.suppress(FieldDoesNotExist):
            validators += model._meta.get_field(name).validators
    return any(isinstance(v, FullNameWithSpaceValidator) for v in validators)


class JapaneseErrorsMixin:
    """Every error message names its field: 「代表者名」を入力してください。"""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            # Text pasted from macOS may hold decomposed kana (か + U+3099);
            # compose it so that the character checks see what the user sees.
            # A 「姓　名」 field (P2) gets its one full-width space.
            data = self.data.copy()
            for name, field in self.fields.items():
                key = self.add_prefix(name)
                if isinstance(field.widget, forms.PasswordInput) or key not in data:
                    continue
                convert = _full_name if _is_full_name(self, name, field) else _composed
                if hasattr(data, "getlist"):
                    data.setlist(key, [convert(v) for v in data.getlist(key)])
                elif isinstance(data[key], str):
                    data[key] = convert(data[key])
            self.data = data
        for field in self.fields.values():
            japanese_messages(field)

    def error_summary(self):
        """[(label, message)] for the summary at the top of the form."""
        rows = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else ""
            for message in errors:
                rows.append((name, label, message))
        return rows


class LoginForm(JapaneseErrorsMixin, AuthenticationForm):
    """E-mail login. Failed logins are counted by django-axes (its backend and
    middleware, portal.lockout): five for one address from one client lock
    that combination for 15 minutes."""

    username = forms.EmailField(
        label="メールアドレス",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        "invalid_login": "メールアドレスまたはパスワードが正しくありません。",
        "inactive": "このアカウントは有効になっていません。",
    }


class AdminLoginForm(AdminAuthenticationForm):
    """The Django admin's login (locked by django-axes like the portal's)."""


class JapanesePasswordResetForm(JapaneseErrorsMixin, PasswordResetForm):
    def get_users(self, email):
        """Django's users with a usable password, and also provider staff who
        have none yet (P7: a new contact whose invitation link expired)."""
        from django.contrib.auth import get_user_model

        from .roles import is_provider_staff

        users = get_user_model()._default_manager.filter(email__iexact=email, is_active=True)
        return (
            u
            for u in users
            if (u.has_usable_password() or is_provider_staff(u))
            and unicodedata.normalize("NFKC", u.email).casefold()
            == unicodedata.normalize("NFKC", email).casefold()
        )


class JapaneseSetPasswordForm(JapaneseErrorsMixin, SetPasswordForm):
    def save(self, commit=True):
        user = super().save(commit)
        audit.record("auth.password_reset", user, actor=user)
        return user


def apply_service_errors(form, exc) -> None:
    """Show a service's ValidationError on the form, field by field."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def flash_errors(request, exc) -> None:
    """Show a service's refusal (ValidationError or state error) as messages."""
    from django.contrib import messages

    for message in getattr(exc, "messages", None) or [str(exc)]:
        messages.error(request, message)


# The one way a view runs a service -------------------------------------------

FAILED = object()  # what ``attempt`` returns when the service refused


def attempt(request, call, *, form=None, success=None, forbidden_as_message=False):
    """Form → service → errors onto the form → message: run ``call()`` (the
    service); on a refusal (ValidationError or the life cycle's
    TransitionError, and with ``forbidden_as_message`` a PermissionDenied)
    put its messages on ``form`` field by field, or as error messages when
    there is no form, and return FAILED — nothing the user typed is lost, the
    view renders the form again or redirects. On success add ``success`` (a
    text, or a callable of the result) as a success message and return the
    service's result."""
    from django.contrib import messages
    from django.core.exceptions import PermissionDenied, ValidationError

    from .workflow import TransitionError

    refusals = (ValidationError, TransitionError)
    if forbidden_as_message:
        refusals += (PermissionDenied,)
    try:
        result = call()
    except refusals as exc:
        if isinstance(exc, PermissionDenied) and not forbidden_as_message:
            raise  # a move this user may not make: 403, as without the helper
        if form is not None and isinstance(exc, ValidationError):
            apply_service_errors(form, exc)
        elif form is not None:
            form.add_error(None, str(exc))
        else:
            flash_errors(request, exc)
        return FAILED
    if success:
        messages.success(request, success(result) if callable(success) else success)
    return result
