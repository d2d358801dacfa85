from django import template

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
            try:
                label = model._meta.get_field(name).verbose_name
            except Exception:  # noqa: S110 - not a model field (e.g. provider_number)
                pass
        rows.append((label, before, after))
    return rows
