import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.messages.storage import default_storage

from .audit import client_ip_from_request, reset_client_ip, set_client_ip

SESSION_STARTED_KEY = "_session_started_at"


class SessionLifetimeMiddleware:
    """Ends a session 12 hours after login, however active it was.

    The 30-minute idle limit is SESSION_COOKIE_AGE with SESSION_SAVE_EVERY_REQUEST.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get(SESSION_STARTED_KEY)
            now = time.time()
            if started is None:
                request.session[SESSION_STARTED_KEY] = now
            elif now - started > settings.SESSION_ABSOLUTE_LIFETIME:
                # This middleware runs before RequestContextMiddleware and
                # MessageMiddleware, and they do not run for this early
                # response: set the audit IP and store the message here.
                token = set_client_ip(client_ip_from_request(request))
                try:
                    logout(request)
                finally:
                    reset_client_ip(token)
                storage = default_storage(request)
                storage.add(
                    messages.INFO, "ログインから12時間が経過したため、再度ログインしてください。"
                )
                response = redirect_to_login(request.get_full_path())
                storage.update(response)
                return response
        return self.get_response(request)


class RequestContextMiddleware:
    """Makes the client address available to the audit log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ip = client_ip_from_request(request)
        request.client_ip = ip
        token = set_client_ip(ip)
        try:
            return self.get_response(request)
        finally:
            reset_client_ip(token)


class ServiceRefusalMiddleware:
    """A service's refusal (ValidationError) that a view did not catch is shown
    as a message on the page the user came from, never as a server error:
    e.g. a withdrawn provider pressing a button the page still offered (P6).
    Views should catch refusals themselves (and keep the form); this is the
    net under them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.core.exceptions import ValidationError
        from django.shortcuts import redirect
        from django.utils.http import url_has_allowed_host_and_scheme

        if not isinstance(exception, ValidationError):
            return None
        for message in exception.messages:
            messages.error(request, message)
        back = request.META.get("HTTP_REFERER", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = "/"
        return redirect(back)


# Issue 11 (headers) ---------------------------------------------------------
# Permissions-Policy and Cache-Control. The Content-Security-Policy itself is
# django-csp's CSPMiddleware (CONTENT_SECURITY_POLICY in settings.py).


class PermissionsPolicyMiddleware:
    """Sends ``Permissions-Policy`` (settings.PERMISSIONS_POLICY: feature →
    allowed origins, an empty list meaning none): the portal uses no camera,
    microphone, location, payment or USB, so no page (nor a script injected
    into one) may ask for them. Django 5.2 has no setting for this header."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(origins)})"
            for feature, origins in getattr(settings, "PERMISSIONS_POLICY", {}).items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        if self.header and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.header
        return response


class NoStoreMiddleware:
    """``Cache-Control: private, no-store`` on every response that may hold
    personal data, so that neither a shared proxy nor the browser's disk keeps
    a copy: every response to a logged-in user and every response
    of a view not listed in settings.PUBLIC_CACHEABLE_URL_NAMES (the public
    registry, the certificate check, help — the same for everyone). Anonymous
    pages are no-store too unless listed, because some show personal data
    without a login (a registration's status link, a problem recipient's
    page). Static files never reach this middleware (WhiteNoise answers them
    first). A response that already says no-store is left as it is."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.public = frozenset(getattr(settings, "PUBLIC_CACHEABLE_URL_NAMES", ()))

    def __call__(self, request):
        response = self.get_response(request)
        if "no-store" in response.get("Cache-Control", ""):
            return response
        if self._is_public(request):
            return response
        from django.utils.cache import patch_cache_control

        patch_cache_control(response, private=True, no_store=True)
        return response

    def _is_public(self, request) -> bool:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return False
        match = getattr(request, "resolver_match", None)
        return match is not None and match.view_name in self.public


class RequestSizeLimitMiddleware:
    """Issue 11 (uploads): a request body larger than PORTAL_MAX_REQUEST_BYTES
    (by its Content-Length) is refused with a Japanese 413 page before anything
    reads it. Bodies of form fields are limited by DATA_UPLOAD_MAX_MEMORY_SIZE
    (Django answers 400 with the Japanese 400 page); the proxy has the same limit."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.PORTAL_MAX_REQUEST_BYTES
        if length > limit:
            from django.shortcuts import render

            response = render(request, "413.html", {"limit_mb": limit // (1024 * 1024)}, status=413)
            response["Connection"] = "close"
            return response
        return self.get_response(request)
