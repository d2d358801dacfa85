"""Reminders (リマインダー): e-mails sent by the daily Celery beat task
``portal.send_reminders`` before a window closes or while something waits.

portal imports no domain app: each app's ``reminders.py`` registers the
:class:`Kind` it knows of (found on first use, like the dashboard parts):
given today's date (Asia/Tokyo), a kind lists the :class:`Reminder` due —
the object it is about, the occasion (e.g. the closing date it announces),
the addressees, the mail template and its context.

``run(today)`` sends each reminder once per kind, object, occasion and
recipient address: the ledger row (``ReminderSent``) is written in the same
transaction that queues the e-mail, so a second run the same day (or the
next day, while the reminder is still due) sends nothing twice. A reminder
is due from its day until the event it announces: a day the beat task did
not run is made up the next day, never twice.

Each user may turn reminders off (``User.reminders_enabled``, the settings
page ``reminder_settings``). The notices of the life cycle — decisions,
returns (portal.workflow) — are not reminders and are always sent.

Two kinds are generic and live here:

* ``returned_untouched``: a filing of any declared workflow in a returned
  state (``State.returned``) that nobody changed for 7 days, to the
  recipients of its return notice;
* ``ipa_overdue``: the items overdue at IPA, to their assignee and the IPA
  notice address, from the sources apps register with
  :func:`register_overdue_source` (the IPA inbox plugs its due dates in
  here).
"""

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from . import notify, workflow
from .models import Notice, ReminderSent
from .registries import Registry

log = logging.getLogger(__name__)

Addressee = workflow.Addressee


@dataclass(frozen=True)
class Reminder:
    key: str  # the object, e.g. "exams.examapplication:12" (object_key())
    occasion: str  # what it announces, e.g. "2024-11-13" (the closing day)
    to: tuple  # Addressee
    context: dict = field(default_factory=dict)
    link: str = ""  # a path; SITE_URL is added
    template: str = ""  # templates/mail/<template>.txt; default: the kind's


@dataclass(frozen=True)
class Kind:
    name: str  # the ledger's kind
    label: str  # what the reminder is about, in Japanese (the settings page)
    template: str  # templates/mail/<template>.txt (first line the subject)
    due: Callable[[datetime.date], Iterable[Reminder]]  # today -> reminders due
    order: int = 100


_REGISTRY = Registry("reminders", "reminder kind")


def register(kind: Kind) -> Kind:
    return _REGISTRY.register(kind.name, kind)


def kinds() -> list[Kind]:
    """Every registered kind (each app's reminders.py imported once)."""
    return sorted(_REGISTRY.items(), key=lambda kind: (kind.order, kind.name))


def object_key(obj) -> str:
    return f"{obj._meta.label_lower}:{obj.pk}"


def provider_contact(provider) -> tuple:
    """The provider's registered contact (P4), as the life-cycle notices
    address it."""
    return tuple(workflow.provider_contact(provider))


def ipa_notice() -> tuple:
    """The IPA notice address (e-mail only)."""
    return (Addressee(settings.IPA_NOTICE_EMAIL, None),)


def run(today: datetime.date | None = None) -> int:
    """Send every reminder due ``today`` not sent before; the number of
    e-mails queued."""
    today = today or timezone.localdate()
    sent = 0
    for kind in kinds():
        for reminder in kind.due(today):
            sent += _send(kind, reminder)
    return sent


def _addressees(reminder: Reminder) -> dict[str, Addressee]:
    """One addressee per address (a user without an e-mail: in-app only)."""
    chosen: dict[str, Addressee] = {}
    for addressee in reminder.to:
        if addressee.email:
            recipient = addressee.email.lower()
        elif addressee.user is not None:
            recipient = f"user:{addressee.user.pk}"
        else:
            continue
        known = chosen.get(recipient)
        if known is None or (known.user is None and addressee.user is not None):
            chosen[recipient] = addressee
    return chosen


def _send(kind: Kind, reminder: Reminder) -> int:
    template = reminder.template or kind.template
    link = reminder.link
    subject = body = None
    sent = 0
    told: set = set()  # the users who have the in-app notice (one per user)
    for recipient, addressee in _addressees(reminder).items():
        user = addressee.user
        if user is not None and (not user.is_active or not user.reminders_enabled):
            continue  # turned off by the user (legal notices are not reminders)
        if subject is None:
            subject, body = notify.render(
                template,
                {
                    **reminder.context,
                    "url": f"{settings.SITE_URL}{link}" if link else "",
                    "path": link,
                    "settings_url": f"{settings.SITE_URL}{reverse('reminder_settings')}",
                },
            )
        try:
            with transaction.atomic():
                _, created = ReminderSent.objects.get_or_create(
                    kind=kind.name,
                    object_key=reminder.key,
                    occasion=reminder.occasion,
                    recipient=recipient,
                    defaults={"user": user},
                )
                if not created:
                    continue
                if user is not None and user.pk not in told:
                    Notice.objects.create(
                        recipient=user, subject=subject[:255], body=body, url=link
                    )
                    told.add(user.pk)
                if addressee.email:
                    notify.queue_on_commit(subject, body, [addressee.email])
        except IntegrityError:  # another run took it at the same moment
            continue
        sent += 1
    return sent


# Returned filings untouched for 7 days ------------------------------------

RETURNED_DAYS = 7


def _last_changes(model, pks) -> dict:
    """The last change of each object: its newest history record (every save
    of the row) or audit entry (e.g. its study plan saved)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Max

    from .models import AuditEntry

    last: dict = {}
    history = getattr(model, "history", None)
    if history is not None:
        rows = (
            history.model.objects.filter(**{f"{model._meta.pk.attname}__in": pks})
            .values_list(model._meta.pk.attname)
            .annotate(at=Max("history_date"))
        )
        last.update(dict(rows))
    entries = (
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=[str(pk) for pk in pks],
        )
        .values_list("object_id")
        .annotate(at=Max("at"))
    )
    for object_id, at in entries:
        pk = model._meta.pk.to_python(object_id)
        if last.get(pk) is None or at > last[pk]:
            last[pk] = at
    return last


def _returned_with_parent(flow, model, pks) -> set:
    """The objects whose last return was made with their parent's (e.g. the
    delivery courses returned with their course): the parent's reminder
    covers them."""
    from django.contrib.contenttypes.models import ContentType

    from .models import AuditEntry

    returned = set(flow.values(lambda state: state.returned))
    moves = [move for move in flow.transitions if move.target in returned]
    if not any(move.with_parent for move in moves):
        return set()
    codes = {f"{flow.audit_prefix}.{move.action}": bool(move.with_parent) for move in moves}
    last: dict = {}
    entries = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_id__in=[str(pk) for pk in pks],
        action__in=codes,
    ).order_by("at", "pk")
    for object_id, action in entries.values_list("object_id", "action"):
        last[model._meta.pk.to_python(object_id)] = codes[action]
    return {pk for pk, with_parent in last.items() if with_parent}


def _return_notices(flow) -> list:
    """The provider-side notices of the moves into a returned state."""
    returned = set(flow.values(lambda state: state.returned))
    ipa = {"ipa_notice", "ipa_if_filed"}
    return [
        notice
        for move in flow.transitions
        if move.target in returned and not move.with_parent
        for notice in move.notices
        if not ipa & {k for k in notice.to if isinstance(k, str)}
    ]


def returned_untouched(today: datetime.date) -> Iterable[Reminder]:
    for flow in workflow.all_workflows():
        returned = flow.values(lambda state: state.returned)
        notices = _return_notices(flow)
        if not returned or not notices:
            continue
        model = flow.model_class()
        objects = list(model.objects.filter(**{f"{flow.field}__in": returned}))
        if not objects:
            continue
        pks = [obj.pk for obj in objects]
        last = _last_changes(model, pks)
        covered = _returned_with_parent(flow, model, pks)
        for obj in objects:
            if obj.pk in covered:
                continue
            changed = last.get(obj.pk)
            if changed is None:
                continue
            changed_on = timezone.localdate(changed)
            if (today - changed_on).days < RETURNED_DAYS:
                continue
            to = []
            for notice in notices:
                for name in notice.to:
                    recipients = name if callable(name) else workflow.RECIPIENTS[name]
                    to += recipients(flow, obj, None)
            link = next((n.path(obj) for n in notices if n.link is not None), "")
            yield Reminder(
                key=object_key(obj),
                occasion=f"{changed_on:%Y-%m-%d}",  # a new change: a new reminder
                to=tuple(to),
                link=link,
                context={
                    "obj": obj,
                    "workflow": flow,
                    "provider": flow.provider(obj),
                    "state_label": workflow.state_label(obj),
                    "changed_on": changed_on,
                    "days": (today - changed_on).days,
                },
            )


register(
    Kind(
        name="returned_untouched",
        label=f"差し戻された申請・報告が{RETURNED_DAYS}日間修正されていないとき",
        template="reminder_returned",
        due=returned_untouched,
        order=40,
    )
)


# Items overdue at IPA ------------------------------------------------------


@dataclass(frozen=True)
class Overdue:
    """One item waiting for IPA past its due date."""

    key: str  # object_key(obj)
    title: str  # 「実施講座の追加申請 20001-001-001」
    due_on: datetime.date
    link: str  # IPA's page of the item
    assignee: object | None = None  # the reviewer it is assigned to
    provider: object | None = None


# today -> the items waiting for IPA whose due date is before today
OverdueSource = Callable[[datetime.date], Iterable[Overdue]]
_OVERDUE_SOURCES: dict[str, OverdueSource] = {}


def register_overdue_source(name: str, source: OverdueSource) -> None:
    """An app's (or the IPA inbox's) items overdue at IPA. Registering a
    source under a name already used replaces it."""
    _OVERDUE_SOURCES[name] = source


def ipa_overdue(today: datetime.date) -> Iterable[Reminder]:
    from .inbox import overdue_items

    _OVERDUE_SOURCES.setdefault("inbox", overdue_items)  # the IPA inbox's due dates (W2)
    for name in sorted(_OVERDUE_SOURCES):
        for item in _OVERDUE_SOURCES[name](today):
            if item.due_on >= today:
                continue
            to = ipa_notice()
            if item.assignee is not None:
                to += (Addressee(item.assignee.email, item.assignee),)
            yield Reminder(
                key=item.key,
                occasion=f"{item.due_on:%Y-%m-%d}",
                to=to,
                link=item.link,
                context={"item": item, "days": (today - item.due_on).days},
            )


register(
    Kind(
        name="ipa_overdue",
        label="IPAの処理期限を過ぎた申請・報告（IPAの担当者あて）",
        template="reminder_ipa_overdue",
        due=ipa_overdue,
        order=50,
    )
)
