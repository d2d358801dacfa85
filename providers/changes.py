"""Change requests (変更申請, 申請書式5; M§5.6, M§12.2.6, X1–X3): the registry of
what may change and the services that file, return, approve and withdraw a
request.

A change request is one more filing kind on the declared life cycle
(providers.workflow.CHANGE_REQUEST). Each target app registers a
:class:`ChangeKind` (as it registers its documents): the target model, the
approved values that may change (``current``), the rows of 申請書式5
(``items``: 変更する項目 / 変更後 / 変更前), the documents generated from the
request (table 5.6-1) and ``apply``, the target app's own service that writes
the change when IPA approves it. The provider edits a copy in the usual forms
(``save_draft`` stores it in ``ChangeRequest.proposed``); the live record
changes only in :func:`approve_change`, all or nothing, in one transaction.

Only approved data needs a request (X1): ``requestable`` says why a target
needs none (e.g. a delivery course that was never approved is edited as
usual). Several requests may be under review at once (W2), but two open
requests cannot change the same field of the same object: each open request
holds a :class:`~providers.models.ChangeRequestKey` per field, unique while open.
"""

import copy
import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from portal import receipts, workflow
from portal.isolation import require_owner
from portal.roles import require_reviewer
from portal.workflow import transition

from .models import ChangeRequest, ChangeRequestKey

S = ChangeRequest.State


@dataclass(frozen=True)
class Item:
    """One row of 申請書式5: ``key`` names the field of the target (unique
    while the request is open), ``item`` the 変更する項目 as people read it
    (a completer's row names the 修了認定者管理番号, table 5.6-2)."""

    key: str
    item: str
    after: str
    before: str


@dataclass(frozen=True, kw_only=True)
class ChangeKind:
    key: str  # stored in ChangeRequest.kind
    label: str  # 認定団体情報の変更
    model: str  # the target's "app_label.ModelName"
    form_title: str | Callable[[ChangeRequest], str]  # 変更する書式 of 申請書式5
    documents: tuple[str, ...]  # ids of the documents of the request (table 5.6-1)
    provider: Callable[[object], object]
    target_label: Callable[[object], str]
    target_number: Callable[[object], str]  # 講座開設者番号, 実施講座番号, …
    current: Callable[[object], dict]  # the approved values (JSON) of what may change
    items: Callable[[object, dict, dict], list[Item]]  # (target, original, proposed)
    apply: Callable[[object, dict, object, ChangeRequest], None]  # (target, proposed, actor, req)
    # X1: why this target needs no request or cannot have one now (None: it may).
    requestable: Callable[[object], str | None] = lambda target: None
    # Checked when the copy is saved (the target app's own rules of its
    # values, e.g. D2–D5 of a delivery course): (target, proposed) -> raises
    # ValidationError (Japanese), so the usual form shows the problem.
    validate: Callable[[object, dict], None] | None = None
    # Checked when the request is filed and again when it is approved (D6).
    conditions: tuple[Callable[[ChangeRequest], str | None], ...] = ()
    urgent: bool = False  # R11: completer corrections are urgent (M§12.2.11)
    edit_url: Callable[[ChangeRequest], str] | None = None  # the usual form of the copy
    target_url: Callable[[object], str] | None = None  # the provider's page of the target
    review_target_url: Callable[[object], str] | None = None  # IPA's page of the target
    # The target as it reads after the change, unsaved, for the documents of
    # the request; default: the target with the proposed field values set.
    preview: Callable[[ChangeRequest], object] | None = None
    # When approval is IPA's receipt (受領) and the request is completed by a
    # later step (P7: the new contact's first login): what happens next, in
    # the notice of approval and on the request's pages. Empty: approval
    # completes the request (完了通知).
    after_approval: str = ""
    # Told when the request is filed (True) and when it is withdrawn (False),
    # for a mark the target carries meanwhile (D8/D9: 削除申請 ■ of a
    # delivery course, and no exam can be applied for).
    on_file: Callable[[object, bool], None] | None = None
    # False when ``apply`` is itself a move of the target that tells the
    # provider (D8: the deletion of a delivery course), so that one approval
    # sends one notice.
    approval_notice: bool = True

    def model_class(self):
        from django.apps import apps

        return apps.get_model(self.model)

    def title(self, request: ChangeRequest) -> str:
        return self.form_title(request) if callable(self.form_title) else self.form_title


_KINDS: dict[str, ChangeKind] = {}


def register(kind: ChangeKind) -> ChangeKind:
    """Register ``kind`` (from the target app's ``ready()`` or module import)."""
    if kind.key in _KINDS and _KINDS[kind.key] != kind:
        raise ValueError(f"change kind {kind.key} registered twice")
    _KINDS[kind.key] = kind
    return kind


def get_kind(key: str) -> ChangeKind:
    try:
        return _KINDS[key]
    except KeyError:
        raise ValidationError("この種類の変更申請はできません。") from None


def all_kinds() -> list[ChangeKind]:
    return list(_KINDS.values())


def kind_label(key: str) -> str:
    kind = _KINDS.get(key)
    return kind.label if kind else "変更申請"


# --- displaying values ---------------------------------------------------------


def display(model, name: str, value) -> str:
    """A stored (JSON) value of ``model.name`` as the pages and 申請書式5 show it."""
    if value is None or value == "":
        return "（なし）"
    field_ = model._meta.get_field(name)
    if field_.choices:
        return str(dict(field_.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "あり" if value else "なし"
    if field_.get_internal_type() == "DateField":
        day = value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)
        return f"{day.year}年{day.month:02d}月{day.day:02d}日"
    return str(value)


def to_json(value):
    """A form's cleaned value as stored in ``proposed``/``original``."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def values_of(obj, names) -> dict:
    return {name: to_json(getattr(obj, name)) for name in names}


def field_items(model, original: dict, proposed: dict, *, prefix="", item_prefix="") -> list[Item]:
    """One row per field of ``model`` whose proposed value differs from the
    approved one, labelled with the field's Japanese name."""
    rows = []
    for name, after in proposed.items():
        before = original.get(name)
        if to_json(after) == to_json(before):
            continue
        label = model._meta.get_field(name).verbose_name
        rows.append(
            Item(
                key=f"{prefix}{name}",
                item=f"{item_prefix}{label}",
                after=display(model, name, after),
                before=display(model, name, before),
            )
        )
    return rows


def from_json(obj, name: str, value):
    """A stored value back as the model field's Python value."""
    return obj._meta.get_field(name).to_python(value)


def preview(request: ChangeRequest):
    """The target as it reads after the change (not saved)."""
    kind = get_kind(request.kind)
    if kind.preview is not None:
        return kind.preview(request)
    obj = copy.copy(request.target)
    for name, value in request.proposed.items():
        setattr(obj, name, from_json(obj, name, value))
    return obj


# --- queries ---------------------------------------------------------------------


def _type_of(target) -> ContentType:
    return ContentType.objects.get_for_model(target, for_concrete_model=True)


def requests_for(target):
    """Every change request of ``target``, newest first."""
    return ChangeRequest.objects.filter(target_type=_type_of(target), target_id=target.pk)


def open_requests_for(target):
    """The requests of ``target`` being written or under review."""
    flow = workflow.for_model(ChangeRequest)
    open_states = flow.values(lambda s: not s.closed and not s.in_force)
    return requests_for(target).filter(state__in=open_states)


def open_requests_for_many(targets):
    """The open requests of several targets of one model, in one query."""
    targets = list(targets)
    if not targets:
        return ChangeRequest.objects.none()
    flow = workflow.for_model(ChangeRequest)
    return ChangeRequest.objects.filter(
        target_type=_type_of(targets[0]),
        target_id__in=[t.pk for t in targets],
        state__in=flow.values(lambda s: not s.closed and not s.in_force),
    ).order_by("created_at", "id")


def editable_draft(kind_key: str, target, user=None) -> ChangeRequest | None:
    """The request of this kind for ``target`` the provider is still writing
    (作成中 or 差し戻し中), to continue it instead of starting another."""
    flow = workflow.for_model(ChangeRequest)
    return (
        requests_for(target)
        .filter(kind=kind_key, state__in=flow.values(lambda s: s.provider_may_edit))
        .first()
    )


# --- services --------------------------------------------------------------------


def _locked_target(kind: ChangeKind, target_pk: int):
    return kind.model_class()._default_manager.select_for_update(of=("self",)).get(pk=target_pk)


def _locked(request_pk: int) -> ChangeRequest:
    return ChangeRequest.objects.select_for_update(of=("self",)).get(pk=request_pk)


def _field_key(kind: ChangeKind, target, item: Item) -> str:
    return f"{kind.model}:{target.pk}:{item.key}"


def _hold_keys(request: ChangeRequest, kind: ChangeKind, target, items: list[Item]) -> None:
    """Claim each changed field for this request; refuse a field another open
    request already changes, naming that request."""
    request.keys.all().delete()
    for item in items:
        key = _field_key(kind, target, item)
        try:
            with transaction.atomic():
                ChangeRequestKey.objects.create(request=request, key=key, open=True)
        except IntegrityError:
            other = (
                ChangeRequestKey.objects.filter(key=key, open=True)
                .select_related("request")
                .first()
            )
            name = ""
            if other is not None:
                number = workflow.receipt_number(other.request)
                name = f"（{number}）" if number else "（作成中）"
            raise ValidationError(
                f"「{item.item}」は別の変更申請{name}で変更中です。"
                "その申請が承認されるか取り下げられてから申請してください。"
            ) from None


def _release_keys(request: ChangeRequest) -> None:
    request.keys.update(open=False)


def save_draft(
    kind_key: str,
    target,
    user,
    proposed: dict,
    *,
    reason: str | None = None,
) -> ChangeRequest:
    """Store the provider's edited copy of ``target`` as a change request
    being written (a new one, or the one already being written or returned).
    Nothing of ``target`` changes. Raises ValidationError (Japanese) when the
    target needs no request (X1), nothing changed, or a field is already
    being changed by another open request."""
    kind = get_kind(kind_key)
    with transaction.atomic():
        target = _locked_target(kind, target.pk)
        require_owner(user, target)
        problem = kind.requestable(target)
        if problem:
            raise ValidationError(problem)
        original = kind.current(target)
        # Only what the provider changed: the untouched fields of the copy are
        # never carried (a stale copy would undo a change IPA approved
        # meanwhile for another request, W2).
        edited = {k: to_json(v) for k, v in proposed.items()}
        proposed = {k: v for k, v in edited.items() if v != original.get(k)}
        items = kind.items(target, original, proposed)
        if not items:
            raise ValidationError("変更された項目がありません。変更後の内容を入力してください。")
        if kind.validate is not None:
            kind.validate(target, proposed)
        request = editable_draft(kind.key, target)
        if request is None:
            request = ChangeRequest(
                provider=kind.provider(target),
                kind=kind.key,
                target_type=_type_of(target),
                target_id=target.pk,
                created_by=user,
                urgent=kind.urgent,
            )
        else:
            request = _locked(request.pk)
        request.target_label = kind.target_label(target)[:300]
        request.target_number = kind.target_number(target)[:40]
        request.original = original
        request.proposed = proposed
        request.items = [item.__dict__ for item in items]
        if reason is not None:
            request.reason = reason
        request.full_clean(exclude=["target_type", "created_by", "provider", "state"])
        request.save()
        _hold_keys(request, kind, target, items)
    return request


def _refresh_items(request: ChangeRequest, kind: ChangeKind, target) -> list[Item]:
    """The rows against the approved data as it is now (another request may
    have changed other fields of the target since the copy was made)."""
    original = kind.current(target)
    items = kind.items(target, original, request.proposed)
    if not items:
        raise ValidationError(
            "変更後の内容が現在の登録内容と同じです。変更する項目がないため申請できません。"
        )
    request.original = original
    request.items = [item.__dict__ for item in items]
    return items


def _conditions(request: ChangeRequest, kind: ChangeKind) -> None:
    for condition in kind.conditions:
        problem = condition(request)
        if problem:
            raise ValidationError(problem)


def submit_change(request_pk: int, user) -> ChangeRequest:
    """申請書データ確定: file the request (a 到達番号 is issued); the copy
    becomes read-only until IPA answers."""
    with transaction.atomic():
        request = _locked(request_pk)
        kind = get_kind(request.kind)
        require_owner(user, request)
        action = "resubmit" if workflow.state_of(request).returned else "submit"
        workflow.check(request, action, actor=user, conditions=False)
        target = _locked_target(kind, request.target_id)
        problem = kind.requestable(target)
        if problem:
            raise ValidationError(problem)
        items = _refresh_items(request, kind, target)
        _hold_keys(request, kind, target, items)
        _conditions(request, kind)
        receipts.issue(request, receipts.Kind.CHANGE, user, mail=False)
        transition(request, action, actor=user)
        if kind.on_file is not None:
            kind.on_file(target, True)
    return request


def return_change(request_pk: int, reviewer, reason: str) -> ChangeRequest:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "差し戻し理由を入力してください。"})
    with transaction.atomic():
        request = _locked(request_pk)
        transition(request, "return", actor=reviewer, reason=reason)
    return request


def approve_change(request_pk: int, reviewer) -> ChangeRequest:
    """IPA approves: the target app's service applies the change, and the
    request is approved, in one transaction — a failure anywhere leaves the
    target as it was. An approved request is never applied twice (the
    transition refuses it)."""
    require_reviewer(reviewer)
    with transaction.atomic():
        request = _locked(request_pk)
        kind = get_kind(request.kind)
        workflow.check(request, "approve", actor=reviewer, conditions=False)
        target = _locked_target(kind, request.target_id)
        now = kind.current(target)
        changed = {
            key: value
            for key, value in request.proposed.items()
            if value != request.original.get(key)
        }
        moved = [key for key in changed if now.get(key) != request.original.get(key)]
        if moved:
            raise ValidationError(
                "申請後に登録内容が変わったため、この変更申請は承認できません。"
                "差し戻して、現在の内容から申請し直してもらってください。"
            )
        _conditions(request, kind)
        # P8/P6: nothing changes for a provider that withdrew (取止め) meanwhile.
        from .services import require_active

        require_active(request.provider)
        kind.apply(target, changed, reviewer, request)  # only what the request changes
        _release_keys(request)
        transition(
            request, "approve", actor=reviewer, by=reviewer, notice={"kind": kind},
            notify=kind.approval_notice,
        )  # fmt: skip
    return request


def withdraw_change(request_pk: int, user) -> ChangeRequest:
    """The provider drops a request being written or returned."""
    with transaction.atomic():
        request = _locked(request_pk)
        require_owner(user, request)
        transition(request, "withdraw", actor=user)
        _release_keys(request)
        kind = get_kind(request.kind)
        if kind.on_file is not None:
            kind.on_file(_locked_target(kind, request.target_id), False)
    return request


def review_queue():
    """The requests waiting for IPA, urgent ones first (R11), then the oldest."""
    flow = workflow.for_model(ChangeRequest)
    return (
        ChangeRequest.objects.filter(state__in=flow.values(lambda s: s.waiting_for_ipa))
        .select_related("provider")
        .order_by("-urgent", "submitted_at", "id")
    )
