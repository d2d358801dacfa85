"""Throttling of failed logins, per username and per client IP (and a plain
rate counter for costly public pages, :func:`allow`).

After ``username_failures`` failures for one address within the window, that
address must wait ``cooloff_seconds``; the same for ``ip_failures`` from one IP.
The IP limit is high because whole schools share one address, and every lock
ends by itself: there is no permanent lock-out.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"login-throttle:{kind}:{digest}"


def _limits():
    return settings.LOGIN_THROTTLE


def is_locked(username: str, ip: str | None) -> bool:
    if cache.get(_key("lock-user", username)):
        return True
    return bool(ip and cache.get(_key("lock-ip", ip)))


def register_failure(username: str, ip: str | None) -> None:
    limits = _limits()
    for kind, value, limit in (
        ("user", username, limits["username_failures"]),
        ("ip", ip, limits["ip_failures"]),
    ):
        if not value:
            continue
        key = _key(kind, value)
        cache.add(key, 0, timeout=limits["window_seconds"])
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=limits["window_seconds"])
            count = 1
        if count >= limit:
            cache.set(_key(f"lock-{kind}", value), 1, timeout=limits["cooloff_seconds"])
            cache.delete(key)


def register_success(username: str) -> None:
    cache.delete(_key("user", username))
    cache.delete(_key("lock-user", username))


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
