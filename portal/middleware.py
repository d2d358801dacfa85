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
