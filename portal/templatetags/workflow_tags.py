"""Templates ask the declared life cycle (portal.workflow) about a filing
instead of comparing its state values:

    {% load workflow_tags %}
    <span class="{{ report|state_badge }}">{{ report|state_label }}</span>
    {% if report|editable %} ...the provider's forms... {% endif %}
    {% if report|returned %} ...IPA's reasons... {% endif %}
    {% can report "accept" as may_accept %}{% if may_accept %} ... {% endif %}

The facts (``waiting_for_ipa``, ``returned``, ``in_force``, ``closed``) are
the flags each workflow declares on its states.
"""

from django import template

from portal import workflow

register = template.Library()


@register.filter
def state_label(obj) -> str:
    """The Japanese label of the filing's state, as declared."""
    return workflow.state_label(obj)


@register.filter
def state_badge(obj) -> str:
    """The badge classes of the filing's state, as declared."""
    return workflow.state_of(obj).badge


@register.filter
def editable(obj) -> bool:
    """The provider may still change the filing (作成中, 差し戻し中)."""
    return workflow.is_editable_by_provider(obj)


@register.filter
def waiting_for_ipa(obj) -> bool:
    """Filed and under IPA's review or check."""
    return workflow.state_of(obj).waiting_for_ipa


@register.filter
def returned(obj) -> bool:
    """Back with the provider with IPA's reasons."""
    return workflow.state_of(obj).returned


@register.filter
def in_force(obj) -> bool:
    """Granted and counting now (受理・承認・認定済み, an application made)."""
    return workflow.state_of(obj).in_force


@register.filter
def closed(obj) -> bool:
    """Ended for good (取下げ, 有効期間終了, 取消し)."""
    return workflow.state_of(obj).closed


@register.simple_tag(takes_context=True)
def can(context, obj, action, conditions=False):
    """Whether the page's user may make ``action`` on ``obj`` now (its state
    and the move's permission; ``conditions=True``: also the declared
    conditions): ``{% can course "approve" as may_approve %}``."""
    request = context.get("request")
    user = request.user if request is not None else context.get("user")
    return workflow.may(obj, action, user, conditions=conditions)
