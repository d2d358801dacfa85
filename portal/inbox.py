"""IPA's one inbox (W2): every item waiting for IPA, whatever its kind.

portal imports no domain app: each app's ``inbox.py`` registers one
:class:`InboxSource` per kind of item it owns (found on first use, like the
dashboard parts)::

    from portal import inbox

    inbox.register_source(inbox.InboxSource(
        kind="report", label="修了試験結果の報告", order=50,
        queryset=lambda: ResultReport.objects.filter(state__in=waiting)
                         .select_related("delivery_course__course__provider"),
        summary=lambda qs: qs.values("pk", "state", "submitted_at", "late_flag",
                                     "session__report_closes_at",
                                     provider_number=F("delivery_course__course__provider__number"),
                                     provider_name=F("delivery_course__course__provider__name")),
        due=lambda row: rules.report_review_due(row["session__report_closes_at"]),
        state=inbox.workflow_state("exams.ResultReport"),
        flags=lambda row: ["修了認定から2週間を超えた報告"] if row["late_flag"] else [],
        url=lambda report: reverse("review_report", args=[report.pk]),
        batch=inbox.BatchAction("選んだ報告をまとめて受理する", run=accept_one),
    ))

``queryset()`` gives every item of the kind waiting for IPA; ``summary(qs)``
turns it into plain rows (``values()``: ``pk``, ``provider_number``,
``provider_name``, ``submitted_at`` and what ``due``/``state``/``urgent``/
``flags`` read), so that thousands of waiting items are filtered and sorted
without building a model instance each; only the 50 rows of the page are
read as objects (``queryset().filter(pk__in=…)``, for ``url``/``title``/
``number``). The inbox so costs a fixed number of queries (two per source,
the assignments, the reviewers), however many items wait. The due dates come
from the owning app's ``rules.py`` (IPA business days, portal.bizdays).

Assignment (portal.models.Assignment): a reviewer takes an item or gives it
to a colleague, who is told in the app and by e-mail; the change is audited
on the item. Unassigned items are seen by every reviewer.

Batch actions: the reviewer ticks several items of one kind; each goes
through the kind's own service one by one (its audit entry and notices), and
the page says which were refused and why.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from . import audit, notify
from .bizdays import JST, add_business_days
from .registries import Registry

PAGE_SIZE = 50
SOON_BUSINESS_DAYS = 3  # 「期限が近い」: due within 3 IPA business days


def _none(obj):
    return None


def _no_flags(obj) -> list[str]:
    return []


def _not_urgent(obj) -> bool:
    return False


def workflow_state(model: str) -> Callable[[dict], str]:
    """``state`` of a source whose rows carry the declared ``state`` value."""

    def label(row) -> str:
        from .workflow import for_model

        return for_model(model).state(row["state"]).label

    return label


def _submitted(row):
    return row.get("submitted_at")


def _summary(queryset):
    return queryset.values("pk")


def _provider(row) -> tuple[str, str]:
    return row.get("provider_number") or "", row.get("provider_name") or ""


@dataclass(frozen=True)
class BatchAction:
    """What a reviewer may do to several items of one kind at once.

    ``run(pk, actor, data)`` does it to one item through the app's own service
    (which audits and notifies); it raises ValidationError, PermissionDenied
    or a workflow TransitionError with a Japanese message when it refuses.
    ``date_label``: the action needs one date for all (e.g. 入金確認日)."""

    label: str  # the button: 「選んだ依頼票の入金をまとめて確認する」
    run: Callable[[int, object, dict], object]
    done: str = "処理しました"  # 「入金を確認しました」
    date_label: str = ""


@dataclass(frozen=True)
class InboxSource:
    kind: str  # a key for the URL (?kind=payment); never shown
    label: str  # what the items are called: 入金確認依頼票
    queryset: Callable[[], object]  # every item waiting for IPA (objects, joined)
    url: Callable[[object], str]  # (object) the reviewer's page of the item
    state: Callable[[dict], str]  # (row) the Japanese state label
    summary: Callable[[object], object] = _summary  # (queryset) -> rows (dicts)
    due: Callable[[dict], datetime.date | None] = _none  # (row) when IPA should have answered
    provider: Callable[[dict], tuple[str, str]] = _provider  # (row) 講座開設者番号, name
    title: Callable[[object], str] = str  # (object)
    number: Callable[[object], str] = lambda obj: getattr(obj, "number", "") or ""  # (object)
    submitted: Callable[[dict], object] = _submitted  # (row) a datetime or date
    urgent: Callable[[dict], bool] = _not_urgent  # (row)
    flags: Callable[[dict], list[str]] = _no_flags  # (row) W7: grounds IPA should see
    due_note: str = ""  # where the due date comes from, in Japanese (a tooltip)
    batch: BatchAction | None = None
    order: int = 100


_REGISTRY = Registry("inbox", "inbox source")


def register_source(source: InboxSource) -> InboxSource:
    return _REGISTRY.register(source.kind, source)


def sources() -> list[InboxSource]:
    """Every app's sources, in order (each app's inbox.py imported once)."""
    return sorted(_REGISTRY.items(), key=lambda s: (s.order, s.kind))


def get_source(kind: str) -> InboxSource | None:
    return {s.kind: s for s in sources()}.get(kind)


# Items ---------------------------------------------------------------------------


@dataclass
class Item:
    source: InboxSource
    pk: int
    due: datetime.date | None
    urgent: bool
    flags: list[str]
    provider_number: str
    provider_name: str
    state: str
    submitted: object
    assignment: object | None = None
    obj: object | None = None  # read for the rows of the page only (finish)
    overdue: bool = False
    due_soon: bool = False
    url: str = ""
    title: str = ""
    number: str = ""

    @property
    def key(self) -> str:
        return f"{self.source.kind}:{self.pk}"

    @property
    def assignee(self):
        return self.assignment.assignee if self.assignment is not None else None

    @property
    def submitted_date(self):
        value = self.submitted
        if isinstance(value, datetime.datetime):
            return value.astimezone(JST).date()
        return value


def today() -> datetime.date:
    return timezone.now().astimezone(JST).date()


def local_date(value) -> datetime.date | None:
    """The JST date of a datetime (dates pass through)."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.astimezone(JST).date()
    return value


def collect(on: datetime.date | None = None) -> list[Item]:
    """Every item waiting for IPA, from every source, with its assignment."""
    from .models import Assignment

    on = on or today()
    soon = add_business_days(on, SOON_BUSINESS_DAYS)
    items = []
    by_model = {}
    for source in sources():
        queryset = source.queryset()
        rows = by_model.setdefault(queryset.model._meta.concrete_model, {})
        for row in source.summary(queryset):
            number, name = source.provider(row)
            due = source.due(row)
            item = Item(
                source=source,
                pk=row["pk"],
                due=due,
                urgent=bool(source.urgent(row)),
                flags=list(source.flags(row)),
                provider_number=number or "",
                provider_name=name or "",
                state=source.state(row),
                submitted=source.submitted(row),
                overdue=due is not None and due < on,
                due_soon=due is not None and on <= due <= soon,
            )
            items.append(item)
            rows[item.pk] = item
    if by_model:
        types = ContentType.objects.get_for_models(*by_model)
        lookup = {
            (types[model].pk, pk): item
            for model, rows in by_model.items()
            for pk, item in rows.items()
        }
        assignments = Assignment.objects.filter(
            content_type__in=list(types.values())
        ).select_related("assignee")
        for assignment in assignments:
            item = lookup.get((assignment.content_type_id, assignment.object_id))
            if item is not None:
                item.assignment = assignment
    return items


def finish(items: list[Item]) -> list[Item]:
    """The objects of the shown rows (one query per kind), their links and
    titles."""
    wanted = {}
    for item in items:
        wanted.setdefault(item.source.kind, (item.source, []))[1].append(item.pk)
    objects = {}
    for kind, (source, pks) in wanted.items():
        for obj in source.queryset().filter(pk__in=pks):
            objects[(kind, obj.pk)] = obj
    items = [item for item in items if (item.source.kind, item.pk) in objects]
    for item in items:
        item.obj = objects[(item.source.kind, item.pk)]
        item.url = item.source.url(item.obj)
        item.title = item.source.title(item.obj)
        item.number = item.source.number(item.obj)
    return items


# Filters ---------------------------------------------------------------------------

DUE_CHOICES = (
    ("overdue", "期限超過"),
    ("today", "今日まで"),
    ("soon", f"{SOON_BUSINESS_DAYS}営業日以内"),
    ("none", "期限なし"),
)
ASSIGNEE_CHOICES = (("me", "自分が担当"), ("none", "未割り当て"))
SORT_CHOICES = (("due", "期限の近い順"), ("received", "受付の古い順"))


@dataclass
class Filters:
    kind: str = ""
    state: str = ""
    due: str = ""
    assignee: str = ""  # "me", "none", or a reviewer's pk
    provider: str = ""  # a provider number or part of the name
    urgent: bool = False
    flagged: bool = False
    sort: str = "due"
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_query(cls, data) -> Filters:
        sort = data.get("sort") or "due"
        return cls(
            kind=(data.get("kind") or "").strip(),
            state=(data.get("state") or "").strip(),
            due=(data.get("due") or "").strip(),
            assignee=(data.get("assignee") or "").strip(),
            provider=(data.get("provider") or "").strip(),
            urgent=data.get("urgent") == "1",
            flagged=data.get("flagged") == "1",
            sort=sort if sort in dict(SORT_CHOICES) else "due",
        )

    def keeps(self, item: Item, user, on: datetime.date, *, kind: bool = True) -> bool:
        if kind and self.kind and item.source.kind != self.kind:
            return False
        if self.state and item.state != self.state:
            return False
        if self.due == "overdue" and not item.overdue:
            return False
        if self.due == "today" and (item.due is None or item.due > on):
            return False
        if self.due == "soon" and not (item.overdue or item.due_soon):
            return False
        if self.due == "none" and item.due is not None:
            return False
        assignee = item.assignee
        if self.assignee == "me" and (assignee is None or assignee.pk != user.pk):
            return False
        if self.assignee == "none" and assignee is not None:
            return False
        if self.assignee.isdigit() and (assignee is None or assignee.pk != int(self.assignee)):
            return False
        if self.provider and not (
            item.provider_number == self.provider or self.provider in item.provider_name
        ):
            return False
        if self.urgent and not item.urgent:
            return False
        return not (self.flagged and not item.flags)


_FAR = datetime.date.max


def sort_key(sort: str):
    """Urgent items first (R11: completer corrections), then the due date
    (items without one last), then the oldest."""

    def submitted(item):
        value = item.submitted
        if value is None:
            return datetime.datetime.max.replace(tzinfo=datetime.UTC)
        if not isinstance(value, datetime.datetime):
            return datetime.datetime.combine(value, datetime.time(0), tzinfo=JST)
        return value

    if sort == "received":
        return lambda item: (not item.urgent, submitted(item), item.source.order, item.pk)
    return lambda item: (
        not item.urgent,
        item.due or _FAR,
        submitted(item),
        item.source.order,
        item.pk,
    )


@dataclass
class Inbox:
    items: list[Item]  # filtered and sorted
    counts: list[tuple[InboxSource, int, int]]  # (source, items, overdue) under the other filters
    total: int
    overdue: int
    states: list[str]


def build(user, filters: Filters, on: datetime.date | None = None) -> Inbox:
    on = on or today()
    every = collect(on)
    other = [item for item in every if filters.keeps(item, user, on, kind=False)]
    per_kind = Counter(item.source.kind for item in other)
    late = Counter(item.source.kind for item in other if item.overdue)
    chosen = [item for item in other if not filters.kind or item.source.kind == filters.kind]
    chosen.sort(key=sort_key(filters.sort))
    return Inbox(
        items=chosen,
        counts=[(s, per_kind.get(s.kind, 0), late.get(s.kind, 0)) for s in sources()],
        total=len(other),
        overdue=sum(late.values()),
        states=sorted({item.state for item in every if item.state}),
    )


# Assignment ------------------------------------------------------------------------


class InboxError(ValidationError):
    pass


def parse_key(key: str) -> tuple[InboxSource, int]:
    kind, _, pk = (key or "").partition(":")
    source = get_source(kind)
    if source is None or not pk.isdigit():
        raise InboxError("対象が見つかりません。画面を更新してやり直してください。")
    return source, int(pk)


def waiting_item(key: str):
    """(source, object) of an item still waiting for IPA, or InboxError."""
    source, pk = parse_key(key)
    obj = source.queryset().filter(pk=pk).first()
    if obj is None:
        raise InboxError(
            f"この{source.label}は既にIPAの対応待ちではありません。画面を更新してください。"
        )
    return source, obj


def reviewers():
    from django.contrib.auth import get_user_model

    from .roles import REVIEWER_GROUP

    return (
        get_user_model()
        .objects.filter(groups__name=REVIEWER_GROUP, is_active=True)
        .order_by("family_name", "given_name", "email")
    )


def person(user) -> str:
    if user is None:
        return "未割り当て"
    name = f"{user.family_name}　{user.given_name}".strip("　")
    return name or user.email


def assign(key: str, assignee, *, actor):
    """Give the item ``key`` ("kind:pk") to ``assignee`` (None: release it).
    The assignee is told (in the app and by e-mail) unless they took it
    themselves; every change is audited on the item."""
    from .models import Assignment, Notice
    from .roles import is_reviewer

    if actor is None or not is_reviewer(actor):
        raise PermissionDenied("この操作を行う権限がありません。")
    if assignee is not None and not is_reviewer(assignee):
        raise InboxError("「担当者」にはIPA審査担当者を選んでください。")
    source, obj = waiting_item(key)
    content_type = ContentType.objects.get_for_model(obj, for_concrete_model=True)
    with transaction.atomic():
        current = (
            Assignment.objects.select_for_update()
            .select_related("assignee")
            .filter(content_type=content_type, object_id=obj.pk)
            .first()
        )
        before = current.assignee if current else None
        if (before.pk if before else None) == (assignee.pk if assignee else None):
            raise InboxError(f"この{source.label}の担当者は既に{person(assignee)}です。")
        if assignee is None:
            current.delete()
        elif current is None:
            Assignment.objects.create(
                content_type=content_type, object_id=obj.pk, assignee=assignee, assigned_by=actor
            )
        else:
            current.assignee, current.assigned_by = assignee, actor
            current.assigned_at = timezone.now()
            current.save(update_fields=["assignee", "assigned_by", "assigned_at"])
        action = (
            "inbox.release"
            if assignee is None
            else ("inbox.take" if assignee.pk == actor.pk else "inbox.assign")
        )
        audit.record(action, obj, actor=actor,
                     changes={"assignee": [person(before), person(assignee)]})  # fmt: skip
        if assignee is not None and assignee.pk != actor.pk:
            link = source.url(obj)
            row = next(iter(source.summary(source.queryset().filter(pk=obj.pk))), None)
            subject, body = notify.render(
                "inbox_assigned",
                {"source": source, "obj": obj, "actor": person(actor), "assignee": person(assignee),
                 "due": source.due(row) if row else None, "url": f"{settings.SITE_URL}{link}",
                 "inbox_url": f"{settings.SITE_URL}{reverse('inbox')}"},
            )  # fmt: skip
            Notice.objects.create(recipient=assignee, subject=subject[:255], body=body, url=link)
            notify.queue_on_commit(subject, body, [assignee.email])
    return assignee


# Batch actions -----------------------------------------------------------------------


@dataclass
class BatchResult:
    done: list[str]  # numbers or titles of the items done
    refused: list[tuple[str, str]]  # (item, why)


def _message(exc) -> str:
    messages = getattr(exc, "messages", None)
    return " ".join(messages) if messages else str(exc)


def run_batch(kind: str, keys: list[str], actor, data: dict) -> BatchResult:
    """Do the source's batch action to each chosen item, one by one (each in
    its own transaction, through the app's service)."""
    from .workflow import TransitionError

    source = get_source(kind)
    if source is None or source.batch is None:
        raise InboxError("この種類の項目はまとめて処理できません。")
    pks = []
    for key in keys:
        key_source, pk = parse_key(key)
        if key_source.kind == kind and pk not in pks:
            pks.append(pk)
    if not pks:
        raise InboxError(f"まとめて処理する{source.label}を1つ以上選んでください。")
    objects = {obj.pk: obj for obj in source.queryset().filter(pk__in=pks)}
    result = BatchResult([], [])
    for pk in pks:
        obj = objects.get(pk)
        name = f"{source.number(obj)} {source.title(obj)}".strip() if obj else source.label
        if obj is None:
            result.refused.append((name, "既にIPAの対応待ちではありません。"))
            continue
        try:
            source.batch.run(pk, actor, data)
        except (ValidationError, PermissionDenied, TransitionError) as exc:
            result.refused.append((name, _message(exc)))
        else:
            result.done.append(name)
    return result


# Reminders (portal.reminders): every item of the inbox past its due date —
# one source for all kinds, so an item is reminded once, with its assignee.


def overdue_items(on: datetime.date):
    from . import reminders

    late = [item for item in collect(on) if item.overdue]
    for item in finish(late):
        yield reminders.Overdue(
            key=reminders.object_key(item.obj),
            title=" ".join(p for p in (item.source.label, item.number, item.title) if p),
            due_on=item.due,
            link=item.url,
            assignee=item.assignee,
        )
