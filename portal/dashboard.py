"""The provider's dashboard (I1): portal draws the page, each app adds its part.

portal imports no domain app: each app's ``dashboard.py`` registers a
:class:`Part` (found on first use, like the documents registry): the page
context its templates need, the next steps it knows of, and a template for
some of the page's slots. Parts are drawn in ``order``, slot by slot:

* ``header``: above everything (the provider's name, status banners);
* ``cards``: the cards of the top row, before 「次にすること」;
* ``actions``: the buttons under the next steps;
* ``sections``: the sections under the top row.

A part's ``hold`` says why the provider may do nothing now (P6/P8: a withdrawn
or revoked provider reads, but submits nothing); when any part holds, the
page lists no next steps.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.utils import timezone

from .registries import Registry

SLOTS = ("header", "cards", "actions", "sections")

NextSteps = list[tuple[str, str]]  # (text, url or "")


@dataclass(frozen=True)
class Part:
    name: str
    order: int
    # (request, provider) -> the keys this part's templates read
    context: Callable[[object, object], dict] | None = None
    # (provider, page context, now) -> next steps
    next_steps: Callable[[object, dict, object], NextSteps] | None = None
    # (provider) -> why the provider may do nothing now, or None
    hold: Callable[[object], str | None] | None = None
    templates: Mapping[str, str] = field(default_factory=dict)  # slot -> template

    def __post_init__(self):
        unknown = set(self.templates) - set(SLOTS)
        if unknown:
            raise ValueError(f"dashboard part {self.name}: unknown slots {unknown}")


_REGISTRY = Registry("dashboard", "dashboard part")


def register(part: Part) -> Part:
    return _REGISTRY.register(part.name, part)


def parts() -> list[Part]:
    """Every app's part, in order (each app's dashboard.py imported once)."""
    return sorted(_REGISTRY.items(), key=lambda part: (part.order, part.name))


def page_context(request, provider, now=None) -> dict:
    """The dashboard's template context for ``provider``."""
    now = now or timezone.now()
    chosen = parts()
    context = {"provider": provider}
    for part in chosen:
        if part.context is not None:
            context.update(part.context(request, provider))
    held = any(part.hold(provider) for part in chosen if part.hold is not None)
    steps: NextSteps = []
    if not held:
        for part in chosen:
            if part.next_steps is not None:
                steps += part.next_steps(provider, context, now)
    context["next_steps"] = steps
    context["slots"] = {
        slot: [part.templates[slot] for part in chosen if slot in part.templates] for slot in SLOTS
    }
    return context
