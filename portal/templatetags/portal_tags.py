import contextlib

from django import template
from django.core.exceptions import FieldDoesNotExist

register = template.Library()


@register.filter
def is_in(value, container):
    return bool(container) and value in container


@register.filter
def audit_rows(entry):
    """[(label, before, after)] of an audit entry, with the model's field labels."""
    model = entry.content_type.model_class() if entry.content_type_id else None
    rows = []
    for name, (before, after) in entry.changes.items():
        label = name
        if model is not None:
            # Not every key is a model field (e.g. provider_number).
            with contextlib.suppress(FieldDoesNotExist):
                label = model._meta.get_field(name).verbose_name
        rows.append((label, before, after))
    return rows
