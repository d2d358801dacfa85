from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def role_required(predicate):
    """Anonymous users go to the login page; logged-in users without the role
    get 403 (these pages hold no provider's object, so nothing leaks)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not predicate(request.user):
                raise PermissionDenied("このページを表示する権限がありません。")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
