"""Two-factor authentication (django-otp: TOTP and recovery codes), issue 11.

IPA reviewers and administrators can read every provider's personal data:
after the password they must pass a second factor before any page
(:class:`TwoFactorMiddleware`, after django-otp's OTPMiddleware). Without a
confirmed device they are sent to the setup page (a QR code as inline SVG
made with segno, the secret also as text, confirmed with a 6-digit code, then
10 recovery codes shown once); with one, to the verify page (the app's code or
a recovery code, used once). Provider staff may turn it on from the same
page (``/accounts/2fa/``); once on, it is required for them too.
"""

import base64
import urllib.parse

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from .roles import is_ipa_staff

RECOVERY_CODE_COUNT = 10
SETUP_KEY_SESSION = "_otp_setup_key"
HAS_DEVICE_SESSION = "_otp_has_device"

# Pages an unverified user may still open: logging in and out, the second
# factor itself, static files and the health check.
EXEMPT_URL_NAMES = ("login", "logout", "otp_verify", "otp_setup", "healthz")


def requires_2fa(user) -> bool:
    """IPA staff always; others once they have turned it on."""
    from django_otp import user_has_device

    if not user or not user.is_authenticated:
        return False
    return bool(is_ipa_staff(user)) or user_has_device(user, confirmed=True)


def has_device(user) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def _exempt_paths():
    paths = [reverse(name) for name in EXEMPT_URL_NAMES]
    paths += [reverse("admin:login"), reverse("admin:logout"), settings.STATIC_URL]
    return tuple(paths)


class TwoFactorMiddleware:
    """Sends a logged-in user who must pass the second factor and has not
    yet (``request.user.is_verified()``, django-otp) to the verify page, or to
    the setup page when there is no device yet. /admin/ included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(_exempt_paths())
            and _required_for(request, user)
        ):
            target = "otp_verify" if has_device(user) else "otp_setup"
            query = urllib.parse.urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse(target)}?{query}")
        return self.get_response(request)


def _required_for(request, user) -> bool:
    """requires_2fa, with whether a non-staff user has a device remembered in
    the session (one check per login, not two queries on every page)."""
    if is_ipa_staff(user):
        return True
    has = request.session.get(HAS_DEVICE_SESSION)
    if has is None:
        has = requires_2fa(user)
        request.session[HAS_DEVICE_SESSION] = has
    return has


def safe_next(request, default="home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


# Setup --------------------------------------------------------------------------------


def new_key() -> str:
    from django_otp.plugins.otp_totp.models import default_key

    return default_key()


def base32_secret(hex_key: str) -> str:
    """The secret as the apps take it when typed (Base32, groups of four)."""
    text = base64.b32encode(bytes.fromhex(hex_key)).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def otpauth_url(user, hex_key: str) -> str:
    secret = base64.b32encode(bytes.fromhex(hex_key)).decode().rstrip("=")
    issuer = settings.OTP_TOTP_ISSUER
    label = urllib.parse.quote(f"{issuer}:{user.email}")
    params = urllib.parse.urlencode({"secret": secret, "issuer": issuer, "digits": 6})
    return f"otpauth://totp/{label}?{params}"


def qr_svg(url: str) -> str:
    """The QR code as inline SVG markup (no script, no external image)."""
    import segno

    return segno.make(url, error="m").svg_inline(scale=5, border=2, title="設定用のQRコード")


def confirm_setup(request, hex_key: str, code: str) -> list[str] | None:
    """Confirm the app with its 6-digit code: save the device (replacing
    any earlier one), make 10 recovery codes and return them (shown once);
    None when the code does not match."""
    from django.db import transaction
    from django_otp import login as otp_login
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from . import audit

    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = TOTP(bytes.fromhex(hex_key), step=30, t0=0, digits=6)
    if not totp.verify(int(code), tolerance=settings.OTP_TOTP_TOLERANCE):
        return None
    user = request.user
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(
            user=user, name="認証アプリ", key=hex_key, confirmed=True, last_t=totp.t()
        )
        recovery = StaticDevice.objects.create(user=user, name="予備コード", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        for token in codes:
            recovery.token_set.create(token=token)
        audit.record("auth.otp_setup", user, actor=user)
    otp_login(request, device)
    request.session[HAS_DEVICE_SESSION] = True
    return codes


def verify(request, code: str) -> bool:
    """The second factor at login: the app's code, or a recovery code
    (used up). Wrong codes are throttled by django-otp (growing delays)."""
    from django_otp import login as otp_login
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from . import audit

    user = request.user
    code = (code or "").strip().replace(" ", "").replace("-", "").lower()
    if not code:
        return False
    if code.isdigit() and len(code) == 6:
        for device in TOTPDevice.objects.filter(user=user, confirmed=True):
            if device.verify_token(code):
                otp_login(request, device)
                return True
    else:
        for device in StaticDevice.objects.filter(user=user, confirmed=True):
            if device.verify_token(code):  # deletes the token: once only
                otp_login(request, device)
                left = device.token_set.count()
                audit.record(
                    "auth.otp_recovery_used", user, actor=user, note=f"残りの予備コード {left}個"
                )
                return True
    audit.record("auth.otp_verify_failed", user, actor=user)
    return False


def disable(user) -> None:
    """A provider's staff member turns the second factor off again (IPA staff
    cannot: the page does not offer it and this refuses)."""
    from django.core.exceptions import PermissionDenied
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from . import audit

    if is_ipa_staff(user):
        raise PermissionDenied("IPAの担当者は二段階認証を解除できません。")
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit.record("auth.otp_disable", user, actor=user)


def japanese_admin() -> None:
    """django-otp names its models in English and has no Japanese locale:
    name them (and their app) for the admin, where an administrator deletes
    the device of someone who lost their phone."""
    from django.apps import apps
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    apps.get_app_config("otp_totp").verbose_name = "二段階認証（認証アプリ）"
    apps.get_app_config("otp_static").verbose_name = "二段階認証（予備コード）"
    device_fields = {
        "user": "利用者",
        "name": "名前",
        "confirmed": "確認済み",
        "created_at": "登録日時",
        "last_used_at": "最終利用日時",
        "throttling_failure_timestamp": "直近の入力誤りの日時",
        "throttling_failure_count": "続けて誤った回数",
    }
    totp_fields = {
        **device_fields,
        "key": "秘密鍵",
        "step": "更新間隔（秒）",
        "t0": "起点時刻",
        "digits": "桁数",
        "tolerance": "許容するずれ",
        "drift": "時刻のずれ",
        "last_t": "最後に使われた時間枠",
    }
    names = {
        TOTPDevice: ("認証アプリ", totp_fields),
        StaticDevice: ("予備コード一式", device_fields),
        StaticToken: ("予備コード", {"token": "コード", "device": "予備コード一式"}),
    }
    for model, (label, fields) in names.items():
        model._meta.verbose_name = label
        model._meta.verbose_name_plural = label
        for field_name, field_label in fields.items():
            field = model._meta.get_field(field_name)
            field.verbose_name = field_label
