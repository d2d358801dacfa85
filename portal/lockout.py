"""The login lockout (django-axes, issue 11): the parts the settings name.

Five failed logins of one e-mail address from one client address lock that
combination for 15 minutes (``AXES_*`` in settings); :func:`response` is the
Japanese page shown instead of the login form (status 429), and a lockout is
written to the audit log (``auth.lockout``).
"""

import unicodedata

from django.dispatch import receiver
from django.shortcuts import render

LOCKED_MESSAGE = (
    "ログインの失敗が続いたため、一時的にログインを制限しています。"
    "15分ほど待ってから再度お試しください。"
)


def username(request, credentials=None) -> str:
    """The address tried, as the lockout counts it: 'A@A.example.jp' and
    'a@a.example.jp' are one address."""
    value = (credentials or {}).get("username")
    if value is None and request is not None:
        value = request.POST.get("username", "")
    return unicodedata.normalize("NFKC", str(value or "")).strip().casefold()[:255]


def response(request, original_response=None, credentials=None):
    """The page of a locked login (the portal's and the admin's)."""
    admin = request.path.startswith("/admin/")
    return render(
        request,
        "registration/locked_out.html",
        {"message": LOCKED_MESSAGE, "admin": admin},
        status=429,
    )


def _connect():
    from axes.signals import user_locked_out

    from . import audit

    @receiver(user_locked_out, dispatch_uid="portal-audit-lockout")
    def _locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
        audit.record("auth.lockout", note=str(username or "")[:200])

    return _locked_out


_handler = _connect()


def japanese_admin() -> None:
    """Names django-axes leaves untranslatable (its app's name, the status
    column); the rest is in locale/ja (msgids of axes)."""
    from django.apps import apps

    apps.get_app_config("axes").verbose_name = "ログインの制限"
    from axes.admin import AccessAttemptAdmin

    AccessAttemptAdmin.status.short_description = "状態"
