"""Rate counters for public pages that cost something or can be abused: the
certificate check, the registry's PDF, sign-up and password reset (issue 11).

Failed logins are not counted here: django-axes locks them (portal.lockout).
The client address comes from portal.clientip (``request.client_ip``, set by
RequestContextMiddleware), the one place that reads it.
"""

import hashlib
import unicodedata

from django.conf import settings
from django.core.cache import cache


def allow(scope: str, value: str | None, limit: int, window_seconds: int) -> bool:
    """Count one use of ``scope`` by ``value`` (e.g. a client IP) and say
    whether it is still within ``limit`` uses per window: for public pages
    that cost something (the certificate check, the registry's PDF)."""
    key = f"rate:{scope}:" + hashlib.sha256((value or "-").encode()).hexdigest()[:32]
    cache.add(key, 0, timeout=window_seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds)
        count = 1
    return count <= limit


def _address_key(email: str) -> str:
    return unicodedata.normalize("NFKC", email or "").strip().casefold()


def allow_form_post(request, scope: str, email: str) -> bool:
    """Count one posting of a public form (``ABUSE_RATE_LIMITS[scope]``) by
    the client address and by the e-mail address typed; False when either
    is past its limit within the window."""
    from .clientip import client_ip

    limits = settings.ABUSE_RATE_LIMITS[scope]
    window = limits["window_seconds"]
    ip = getattr(request, "client_ip", None) or client_ip(request)
    by_ip = allow(f"{scope}:ip", ip, limits["ip"], window)
    address = _address_key(email)
    by_address = allow(f"{scope}:email", address, limits["email"], window) if address else True
    return by_ip and by_address


RATE_LIMITED_MESSAGE = (
    "短時間に何度も送信されたため、受付を一時的に止めています。"
    "1時間ほど待ってから、もう一度送信してください（入力した内容はそのまま残っています）。"
)
