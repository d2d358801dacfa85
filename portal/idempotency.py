"""Issue 11: one object per create form, however often it is posted.

Every create form carries a one-time token in a hidden field
(``{% idempotency_field %}`` from portal_tags). :func:`idempotent` wraps the
view that receives the form: on POST it claims the token with
``get_or_create`` inside one transaction with the view itself, so the claim
and the object the view creates are committed together (or not at all, when
the view fails). A second post with the same token — a double click, two
simultaneous posts (the second waits on the unique index until the first
commits), the browser's resend — does not run the view again: it is sent to
where the first post led, with a message. A post that was refused (the form
shown again, nothing created) releases its token: posted again, it is
refused again with the typed values.

A POST without a token runs the view as before (scripts, older pages).
"""

import functools
import re
import secrets

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import redirect

FIELD = "idempotency_token"
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,64}")
ALREADY_SENT = "この内容は既に送信されています（二重送信のため、2回目は登録していません）。"
KEEP_DAYS = 2


def new_token() -> str:
    return secrets.token_urlsafe(24)


def posted_token(request) -> str | None:
    token = request.POST.get(FIELD, "")
    return token if TOKEN_RE.fullmatch(token) else None


def _earlier(token: str):
    from .models import IdempotencyKey

    return IdempotencyKey.objects.filter(token=token).first()


def _answer_repeat(request, key):
    messages.info(request, ALREADY_SENT)
    return redirect(key.result_url or request.get_full_path())


def idempotent(view):
    """Decorator of a view that creates an object on POST (see the module)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        token = posted_token(request) if request.method == "POST" else None
        if token is None:
            return view(request, *args, **kwargs)
        from .models import IdempotencyKey

        user = request.user if getattr(request.user, "is_authenticated", False) else None
        try:
            with transaction.atomic():
                key, created = IdempotencyKey.objects.get_or_create(
                    token=token, defaults={"user": user}
                )
                if not created:
                    return _answer_repeat(request, key)
                response = view(request, *args, **kwargs)
                if response.status_code in (301, 302, 303):
                    key.result_url = response["Location"][:500]
                    key.save(update_fields=["result_url"])
                else:
                    # The form again (errors): nothing was created, so the
                    # token is released. A second post of it (a double click
                    # on a refused form) is refused the same way and shows the
                    # form with what was typed, never a redirect to the
                    # POST-only URL (405).
                    key.delete()
                return response
        except IntegrityError:
            # The other post committed between our look-up and insert.
            key = _earlier(token)
            if key is None:
                raise
            return _answer_repeat(request, key)

    wrapper.idempotent = True  # copied by functools.wraps into the outer decorators
    return wrapper


def delete_old_keys(now=None) -> int:
    """Tokens older than KEEP_DAYS days are no longer needed (a form is not
    resent days later); the staged-upload beat task removes them too."""
    import datetime

    from django.utils import timezone

    from .models import IdempotencyKey

    cutoff = (now or timezone.now()) - datetime.timedelta(days=KEEP_DAYS)
    return IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()[0]
