from django import template

from portal.audit import labelled_changes, sentence

register = template.Library()


@register.filter
def is_in(value, container):
    return bool(container) and value in container


@register.filter
def audit_rows(entry):
    """[(label, before, after)] of an audit entry, with the model's field labels."""
    model = entry.content_type.model_class() if entry.content_type_id else None
    return labelled_changes(model, entry.changes)


@register.filter
def audit_sentence(entry):
    """The entry as a Japanese sentence: who did what to which object."""
    return sentence(entry)
