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


@register.inclusion_tag("includes/receipt_panel.html")
def receipt_panel(obj, receipts=None, show_next=None):
    """The 到達番号 panel of a filing: its latest receipt, what IPA does next
    and the earlier submissions. ``receipts`` (newest first) may be passed in
    when the page already loaded them. What IPA does next is shown while the
    filing waits for IPA (a state declared ``waiting_for_ipa``, or objects
    without a life cycle) unless ``show_next`` says otherwise."""
    from portal import receipts as service
    from portal import workflow

    rows = list(
        receipts if receipts is not None else service.for_object(obj).select_related("actor")
    )
    latest = rows[0] if rows else None
    if show_next is None:
        show_next = not workflow.has_workflow(obj) or workflow.state_of(obj).waiting_for_ipa
    return {
        "receipt": latest,
        "next_steps": service.next_steps(latest) if latest and show_next else "",
        "history": rows if len(rows) > 1 else [],
    }


@register.filter
def receipt_number(obj):
    """The latest 到達番号 of a filing ("" before its first submission)."""
    from portal import receipts

    return receipts.latest_number(obj)


@register.filter
def latest_receipt(obj):
    """The latest Receipt of a filing, or None."""
    from portal import receipts

    return receipts.latest(obj)


@register.filter
def audit_sentence(entry):
    """The entry as a Japanese sentence: who did what to which object."""
    return sentence(entry)


@register.simple_tag
def idempotency_field():
    """Issue 11: the hidden one-time token of a create form (portal.idempotency);
    one line inside the <form>: {% idempotency_field %}."""
    from django.utils.html import format_html

    from portal.idempotency import FIELD, new_token

    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_token())
