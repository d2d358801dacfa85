"""The life cycle of every filing, declared once as data (M§4.1, M§9.1, W1).

A filing kind (result report, exam application, course, ...) declares a
``Workflow``: its states (Japanese label, badge, whether the provider may
still edit) and its transitions (action, sources, target, the Japanese verb
and confirmation, who may do it, conditions, and which notice goes to whom).
Domain apps register their workflow at start-up (``AppConfig.ready``), the
way documents are registered in portal.documents; this module imports no
domain app.

``transition(obj, action, actor=...)`` is the one service that moves a
filing: it locks the row, checks the source state, the permission and the
conditions, applies the change (the model's django-fsm method when it has
one), saves the changed fields, writes the audit entry with the old and new
state taken from the row itself, and sends the declared notices: an in-app
``Notice`` per user and an e-mail per address, queued after commit.
"""

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass

import django_fsm
import rules
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.dispatch import Signal
from django_fsm import ConcurrentTransition, has_transition_perm

from . import audit, notify, receipts
from .models import Notice

# Sent inside the transaction after every move (sender: the model class;
# obj, action, actor, data): what another app does when a filing moves, e.g.
# certifications stores the 認定証 when a course is certified, without the
# course's app importing it.
transitioned = Signal()

CONCURRENT = "他の操作と重なりました。画面を更新してやり直してください。"
FORBIDDEN = "この操作を行う権限がありません。"


class TransitionError(Exception):
    """A move the life cycle does not allow now; the message is Japanese and
    meant for the person who tried."""


class TransitionForbidden(TransitionError, PermissionDenied):
    """The actor may not make this move (also a PermissionDenied for views)."""


@dataclass(frozen=True)
class State:
    """One state of a filing: its label and badge, and the facts pages and
    views ask about it (portal.templatetags.workflow_tags), so that none of
    them compares state values."""

    value: str
    label: str
    badge: str = "badge"
    provider_may_edit: bool = False
    # Filed and under IPA's review or check (審査待ち): what IPA does next,
    # the fee that starts the review.
    waiting_for_ipa: bool = False
    # Back with the provider with IPA's reasons (差し戻し中).
    returned: bool = False
    # Granted and counting now (受理・承認・認定済み, an application made):
    # what depends on the filing may go on, e.g. a result reported on an
    # application, a delivery course added to a certified course.
    in_force: bool = False
    # Ended for good (取下げ, 有効期間終了, 取消し).
    closed: bool = False


@dataclass(frozen=True)
class Notify:
    """One notice of a transition: ``templates/mail/<template>.txt`` (first
    line the subject) to the recipients named in ``to`` (keys of
    ``RECIPIENTS``), linking to ``link(obj)`` (a path; SITE_URL is added)."""

    template: str
    to: tuple  # names in RECIPIENTS, or callables (flow, obj, actor) -> [Addressee]
    link: Callable[[object], str] | None  # None: the recipients have no page to open

    def path(self, obj) -> str:
        return self.link(obj) if self.link is not None else ""


@dataclass(frozen=True)
class Transition:
    action: str  # the audit code is "<workflow.audit_prefix>.<action>"
    sources: tuple[str, ...]
    target: str
    verb: str  # 「報告する」: buttons, and the audit sentence
    allowed: Callable[[object, object], bool]  # (user, obj): a rules predicate or a callable
    notices: tuple[Notify, ...]
    confirm: str = ""  # e.g. "{obj}を報告します。よろしいですか。"
    conditions: tuple[Callable[[object], str | None], ...] = ()
    method: str = ""  # the model's django-fsm method, when its name is not the action
    refused: str = ""  # the message when the object is not in a source state ({state}: its label)
    by_system: bool = False  # also made by a scheduled task (actor None)
    # Filings that move with this one, e.g. the delivery courses filed with
    # their course: (children(obj) -> queryset, the children's action).
    cascade: tuple[tuple[Callable[[object], object], str], ...] = ()
    # A move made only together with the parent's move of this name (a
    # cascade): its notices are the parent's, so it declares none.
    with_parent: str = ""
    passes: tuple[str, ...] = ()  # of a cascade: the parent's data this move takes
    permission: str = ""  # a Django permission the actor also needs (django-fsm's permission=)

    def allows(self, user, obj) -> bool:
        if user is None:
            return self.by_system
        if isinstance(self.allowed, rules.Predicate):
            return self.allowed.test(user, obj)
        return bool(self.allowed(user, obj))

    @property
    def method_name(self) -> str:
        return self.method or self.action

    def confirm_text(self, obj) -> str:
        return self.confirm.format(obj=obj, verb=self.verb)


@dataclass(frozen=True)
class Workflow:
    model: str  # "app_label.ModelName"
    name: str  # what the filing is called: 修了試験結果の報告
    audit_prefix: str
    states: tuple[State, ...]
    transitions: tuple[Transition, ...]
    provider: Callable[[object], object]  # the provider the filing belongs to
    error: type[TransitionError] = TransitionError
    field: str = "state"
    # The 到達番号 of the filing's current submission, when it is not numbered
    # itself (e.g. the applications of one exam site share the site's number).
    receipt: Callable[[object], object] | None = None
    _by_action: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        values = {s.value for s in self.states}
        for move in self.transitions:
            unknown = (set(move.sources) | {move.target}) - values
            if unknown:
                raise ValueError(f"{self.model}.{move.action}: undeclared states {unknown}")
            self._by_action[move.action] = move

    def model_class(self):
        from django.apps import apps

        return apps.get_model(self.model)

    def state(self, value) -> State:
        for state in self.states:
            if state.value == value:
                return state
        raise KeyError(value)

    def get(self, action: str) -> Transition:
        try:
            return self._by_action[action]
        except KeyError:
            raise self.error("この操作はできません。") from None

    def values(self, predicate: Callable[[State], bool]) -> tuple[str, ...]:
        """State values chosen from the declaration, e.g. the editable ones."""
        return tuple(s.value for s in self.states if predicate(s))


_REGISTRY: dict[str, Workflow] = {}


def register(flow: Workflow) -> Workflow:
    """Register ``flow`` (from the app's ``ready()``) and make its model's
    django-fsm transitions from the declaration."""
    if flow.model in _REGISTRY and _REGISTRY[flow.model] is not flow:
        raise ValueError(f"workflow of {flow.model} registered twice")
    if flow.model not in _REGISTRY:
        _install_fsm(flow)
    _REGISTRY[flow.model] = flow
    return flow


def _install_fsm(flow: Workflow) -> None:
    """The django-fsm transition methods come from the table: each declared
    method name (several moves may share one, e.g. submit and resubmit) wraps
    the model's plain method of that name — what the move sets besides the
    state — or, when the model has none, a method that only moves."""
    model = flow.model_class()
    field = model._meta.get_field(flow.field)
    names = dict.fromkeys(move.method_name for move in flow.transitions)
    for name in names:
        body = model.__dict__.get(name)
        if body is not None and hasattr(body, "_django_fsm"):
            raise ValueError(
                f"{flow.model}.{name}: declare it in the workflow, not with @transition"
            )
        if body is None:

            def body(self, **data):
                return None

            # django-fsm names the transition after the function.
            body.__name__ = body.__qualname__ = name

        func = functools.wraps(body)(lambda self, *args, _body=body, **kw: _body(self, *args, **kw))
        edges: dict[str, tuple] = {}  # source -> (target, permission)
        for move in flow.transitions:
            if move.method_name != name:
                continue
            for source in move.sources:
                edge = (move.target, move.permission or None)
                if edges.setdefault(source, edge) != edge:
                    raise ValueError(f"{flow.model}.{name}: {source} declared with two targets")
        for source, (target, permission) in edges.items():
            func = django_fsm.transition(
                field=field, source=source, target=target, permission=permission
            )(func)
        setattr(model, name, func)
    field._collect_transitions(sender=model)


def all_workflows() -> list[Workflow]:
    return list(_REGISTRY.values())


def for_model(model) -> Workflow:
    label = model if isinstance(model, str) else model._meta.label
    return _REGISTRY[label]


def for_object(obj) -> Workflow:
    return for_model(obj._meta.concrete_model)


def has_workflow(obj) -> bool:
    """Whether the object is a filing with a declared life cycle."""
    return obj._meta.concrete_model._meta.label in _REGISTRY


def state_of(obj) -> State:
    """The declared State the filing is in now."""
    flow = for_object(obj)
    return flow.state(getattr(obj, flow.field))


def state_label(obj) -> str:
    return state_of(obj).label


def is_editable_by_provider(obj) -> bool:
    return state_of(obj).provider_may_edit


def latest_receipt(obj):
    """The receipt (到達番号) of the filing's current submission, or None."""
    flow = for_object(obj)
    return flow.receipt(obj) if flow.receipt is not None else receipts.latest(obj)


def receipt_number(obj) -> str:
    receipt = latest_receipt(obj)
    return receipt.number if receipt else ""


def available_actions(obj, user) -> list[Transition]:
    """The moves ``user`` may make on ``obj`` in its current state (the
    conditions are checked when the move is made, with their message)."""
    flow = for_object(obj)
    current = getattr(obj, flow.field)
    return [move for move in flow.transitions if current in move.sources and move.allows(user, obj)]


def may(obj, action: str, user, *, conditions: bool = False) -> bool:
    """Whether ``user`` may make the move ``action`` on ``obj`` now: its state
    is a source of the move and the move allows the user (``conditions``: and
    the declared conditions hold). An undeclared action is an error."""
    flow = for_object(obj)
    move = flow.get(action)
    if move.with_parent:
        return False
    try:
        _check(flow, move, obj, getattr(obj, flow.field), user, conditions)
    except TransitionError:
        return False
    return True


# Recipients ------------------------------------------------------------------


@dataclass(frozen=True)
class Addressee:
    email: str | None  # None: in-app only
    user: object | None  # None: e-mail only


def _actor(flow, obj, actor):
    return [Addressee(actor.email, actor)] if actor is not None else []


def _ipa_notice(flow, obj, actor):
    """The IPA notice address by e-mail; each reviewer in the app."""
    from django.contrib.auth import get_user_model

    from .roles import REVIEWER_GROUP

    reviewers = get_user_model().objects.filter(groups__name=REVIEWER_GROUP, is_active=True)
    return [Addressee(settings.IPA_NOTICE_EMAIL, None)] + [
        Addressee(None, user) for user in reviewers
    ]


def _provider_contact(flow, obj, actor):
    return provider_contact(flow.provider(obj))


def provider_contact(provider) -> list[Addressee]:
    """The provider's registered contact (P4): its contact address by
    e-mail, the contact's account in the app."""
    if provider is None:
        return []
    contact = (
        provider.memberships.filter(is_contact=True, active=True).select_related("user").first()
    )
    user = contact.user if contact else None
    email = provider.contact_email or (user.email if user else None)
    return [Addressee(email, user)]


def _submitter(flow, obj, actor):
    """Whoever filed the current submission (the actor of its 到達番号), while
    still a staff member (P7: a contact who stepped down is told no more)."""
    from .roles import membership_of

    receipt = latest_receipt(obj)
    user = receipt.actor if receipt else None
    if user is None or membership_of(user) is None:
        return []
    return [Addressee(user.email, user)]


@dataclass(frozen=True)
class FromObject:
    """A recipient the filing itself names, e.g. the e-mail address of an
    applicant who has no account yet; ``user`` (optional) gives the account
    that also sees the notice in the app."""

    key: str
    email: Callable[[object], str | None]
    user: Callable[[object], object | None] | None = None

    def __call__(self, flow, obj, actor):
        user = self.user(obj) if self.user is not None else None
        return [Addressee(self.email(obj), user)]


def _ipa_if_filed(flow, obj, actor):
    """IPA, only about a filing it has seen (one with a 到達番号), e.g. the
    withdrawal of an application returned to the provider, not of a draft."""
    return _ipa_notice(flow, obj, actor) if latest_receipt(obj) is not None else []


RECIPIENTS: dict[str, Callable] = {
    "actor": _actor,
    "ipa_notice": _ipa_notice,
    "ipa_if_filed": _ipa_if_filed,
    "provider_contact": _provider_contact,
    "submitter": _submitter,
}


def _send_notices(flow: Workflow, move: Transition, obj, actor, context: dict) -> list[Notice]:
    return _send(flow, move.notices, obj, actor, context)


def _send(flow: Workflow, notices, obj, actor, context: dict) -> list[Notice]:
    created = []
    for notice in notices:
        link = notice.path(obj)
        subject, body = notify.render(
            notice.template,
            {**context, "url": f"{settings.SITE_URL}{link}" if link else "", "path": link},
        )
        emails, users = {}, {}
        for kind in notice.to:
            recipients = kind if callable(kind) else RECIPIENTS[kind]
            for addressee in recipients(flow, obj, actor):
                if addressee.email:
                    emails.setdefault(addressee.email.lower(), addressee.email)
                if addressee.user is not None:
                    users.setdefault(addressee.user.pk, addressee.user)
        rows = Notice.objects.bulk_create(
            Notice(recipient=user, subject=subject[:255], body=body, url=link)
            for user in users.values()
        )
        created.extend(rows)
        for email in emails.values():
            notify.queue_on_commit(subject, body, [email])  # one mail per address
    return created


# The service -----------------------------------------------------------------


def transition(
    obj,
    action: str,
    *,
    actor,
    note: str = "",
    changes: dict | None = None,
    notify: bool = True,
    notice: dict | None = None,
    **data,
):
    """Make the move ``action`` on ``obj`` for ``actor``; ``data`` goes to the
    model's transition method (e.g. ``reason=``), ``note`` and ``changes``
    (fields that are not the object's own, e.g. a count) to the audit entry.
    Changes the caller made to ``obj`` beforehand are saved and audited with
    the move; the filings declared as moving with it (``cascade``) move in the
    same transaction. Several filings made in one submission (one 到達番号)
    are told once: ``notify=False`` on all but the last, whose ``notice``
    (extra values for the notice, e.g. every filing of the submission) names
    them all. Raises the workflow's TransitionError (TransitionForbidden for a
    missing permission)."""
    flow = for_object(obj)
    move = flow.get(action)
    if move.with_parent:
        raise ValueError(f"{flow.model}.{action} moves only with its parent")
    with transaction.atomic():
        _move(flow, move, obj, actor, note, changes, data)
        receipt = latest_receipt(obj)
        context = {
            obj._meta.model_name: obj,  # e.g. {{ registration }} in older templates
            "obj": obj,
            "workflow": flow,
            "transition": move,
            "actor": actor,
            "provider": flow.provider(obj),
            "receipt": receipt,
            "next_steps": receipts.next_steps(receipt) if receipt else "",
            "state_label": flow.state(move.target).label,
            "note": note,
            **data,
            **(notice or {}),
        }
        if notify:
            _send_notices(flow, move, obj, actor, context)
    return obj


def announce(obj, notices: tuple[Notify, ...], *, actor, **data) -> list[Notice]:
    """Send ``notices`` (e-mail and in-app, as a move's) about a filing that
    did not move: its first submission, which creates it in its first state
    (e.g. providers.services.file_withdrawal). Call inside the transaction,
    after the 到達番号 is issued."""
    flow = for_object(obj)
    receipt = latest_receipt(obj)
    context = {
        obj._meta.model_name: obj,
        "obj": obj,
        "workflow": flow,
        "actor": actor,
        "provider": flow.provider(obj),
        "receipt": receipt,
        "next_steps": receipts.next_steps(receipt) if receipt else "",
        "state_label": state_label(obj),
        **data,
    }
    return _send(flow, notices, obj, actor, context)


def _check(flow, move, obj, current, actor, conditions=True):
    if current not in move.sources:
        label = flow.state(current).label
        raise flow.error(
            move.refused.format(state=label)
            if move.refused
            else f"この{flow.name}は「{label}」のため{move.verb}ことはできません。"
        )
    if not move.allows(actor, obj):
        raise TransitionForbidden(FORBIDDEN)
    for condition in move.conditions if conditions else ():
        problem = condition(obj)
        if problem:
            raise flow.error(problem)


def check(obj, action: str, *, actor, conditions: bool = True) -> None:
    """Raise what ``transition`` would raise for this move now (state,
    permission, declared conditions) without making it: for a service that
    has more to check, or work to do, before the move (``conditions=False``:
    only the state and the permission)."""
    flow = for_object(obj)
    _check(flow, flow.get(action), obj, getattr(obj, flow.field), actor, conditions)


def _move(flow, move, obj, actor, note, changes, data, *, lock=True):
    model = obj._meta.concrete_model
    if lock:
        locked = model._default_manager.select_for_update(of=("self",)).get(pk=obj.pk)
        current = getattr(locked, flow.field)
        if getattr(obj, flow.field) != current:
            raise flow.error(CONCURRENT)
    else:
        locked, current = obj, getattr(obj, flow.field)
    _check(flow, move, obj, current, actor)
    # Every stored field is compared (also the non-editable ones, e.g. a
    # snapshot taken by the caller); the audit names the editable ones.
    stored = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
    shown = {f.attname for f in model._meta.concrete_fields if not f.primary_key and f.editable}
    before = audit.snapshot(locked, stored)
    method = getattr(obj, move.method_name, None)
    if method is not None and hasattr(method, "_django_fsm"):
        if actor is not None and not has_transition_perm(method, actor):
            raise TransitionForbidden(FORBIDDEN)
        method(**data)
        if getattr(obj, flow.field) != move.target:
            raise ValueError(f"{flow.model}.{move.method_name} does not go to {move.target}")
    else:
        obj.__dict__[flow.field] = move.target  # also for FSMField(protected=True)
    changed = audit.diff(before, audit.snapshot(obj, stored))
    try:
        obj.save(update_fields=list(changed))
    except ConcurrentTransition:
        raise flow.error(CONCURRENT) from None
    audit.record(
        f"{flow.audit_prefix}.{move.action}",
        obj,
        actor=actor,
        changes={**{k: v for k, v in changed.items() if k in shown}, **(changes or {})},
        note=note,
    )
    for children, child_action in move.cascade:
        for child in children(obj).select_for_update(of=("self",)):
            child_flow = for_object(child)
            child_move = child_flow.get(child_action)
            child_data = {k: v for k, v in data.items() if k in child_move.passes}
            _move(child_flow, child_move, child, actor, note, None, child_data, lock=False)
    transitioned.send(
        sender=model, obj=obj, action=move.action, actor=actor, data=data, workflow=flow
    )
