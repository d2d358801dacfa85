"""The one audit log: every state change and every download of personal data.

The request middleware stores the client address in a context variable so that
services can write complete entries without passing the request around.
"""

import contextlib
import contextvars
import datetime
import decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from .models import AuditEntry

_current_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_ip", default=None)


def set_client_ip(ip: str | None):
    return _current_ip.set(ip)


def reset_client_ip(token) -> None:
    _current_ip.reset(token)


def client_ip_from_request(request, trust_forwarded: bool = False) -> str | None:
    if trust_forwarded:
        # The rightmost entry is the one our own reverse proxy added; entries
        # to its left come from the client and can be forged.
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def _jsonable(value):
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    return value


def diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields whose values differ."""
    keys = sorted(set(before) | set(after))
    return {
        k: [_jsonable(before.get(k)), _jsonable(after.get(k))]
        for k in keys
        if before.get(k) != after.get(k)
    }


def snapshot(obj: models.Model, fields=None) -> dict:
    names = fields or [
        f.attname for f in obj._meta.concrete_fields if not f.primary_key and f.editable
    ]
    return {name: getattr(obj, name) for name in names}


def record(action: str, obj=None, *, actor=None, changes=None, note: str = "") -> AuditEntry:
    """Write one audit entry. ``action`` is a dotted code such as
    ``registration.accept``; ``changes`` maps field -> [before, after]."""
    actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    entry = AuditEntry(
        actor=actor,
        actor_label=(actor.email if actor else "（未ログイン）"),
        ip=_current_ip.get(),
        action=action,
        changes={k: [_jsonable(v[0]), _jsonable(v[1])] for k, v in (changes or {}).items()},
        note=note,
    )
    if obj is not None:
        entry.content_type = ContentType.objects.get_for_model(obj, for_concrete_model=True)
        entry.object_id = str(obj.pk)
        entry.object_repr = str(obj)[:255]
    entry.save()
    return entry


def labelled_changes(model, changes: dict) -> list[tuple[str, object, object]]:
    """[(field label, before, after)] using the model's verbose names."""
    rows = []
    for name, (before, after) in changes.items():
        label = name
        if model is not None:
            with contextlib.suppress(FieldDoesNotExist):  # e.g. provider_number
                label = getattr(model._meta.get_field(name), "verbose_name", name)
        rows.append((label, before, after))
    return rows


def entries_for(obj):
    ct = ContentType.objects.get_for_model(obj, for_concrete_model=True)
    return AuditEntry.objects.filter(content_type=ct, object_id=str(obj.pk)).select_related(
        "actor", "content_type"
    )
