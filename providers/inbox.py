"""The provider app's items in IPA's inbox (portal.inbox, W2): registrations
(M§5.1 (3): 3 business days), change requests (urgent completer corrections
first, R11) and withdrawal notices (取止めの届出)."""

from django.urls import reverse

from portal import inbox, workflow
from portal.inbox import local_date

from . import rules
from .models import ChangeRequest, Registration, Withdrawal


def _waiting(model):
    return workflow.for_model(model).values(lambda s: s.waiting_for_ipa)


inbox.register_source(
    inbox.InboxSource(
        kind="registration",
        label="登録申請",
        order=10,
        queryset=lambda: (
            Registration.objects.filter(state__in=_waiting(Registration))
            .select_related("provider")
            .order_by("submitted_at", "pk")
        ),
        due=lambda r: rules.registration_review_due(local_date(r.submitted_at)),
        due_note="受信後3営業日以内に確認の電話",
        url=lambda r: reverse("review_detail", args=[r.pk]),
        provider=lambda r: (r.number, r.name),
        title=lambda r: r.name,
    )
)

inbox.register_source(
    inbox.InboxSource(
        kind="change",
        label="変更申請",
        order=60,
        queryset=lambda: (
            ChangeRequest.objects.filter(state__in=_waiting(ChangeRequest))
            .select_related("provider")
            .order_by("-urgent", "submitted_at", "pk")
        ),
        due=lambda c: None,
        url=lambda c: reverse("change_review_detail", args=[c.pk]),
        provider=lambda c: (c.provider.number, c.provider.name),
        title=lambda c: f"{c.kind_label}：{c.target_label}",
        urgent=lambda c: c.urgent,
    )
)

inbox.register_source(
    inbox.InboxSource(
        kind="withdrawal",
        label="取止めの届出",
        order=70,
        queryset=lambda: (
            Withdrawal.objects.filter(state__in=_waiting(Withdrawal))
            .select_related("provider")
            .order_by("submitted_at", "pk")
        ),
        due=lambda w: None,
        url=lambda w: reverse("review_withdrawal_detail", args=[w.pk]),
        provider=lambda w: (w.provider_number, w.provider_name),
        title=lambda w: "取止めの届出",
        number=lambda w: w.provider_number,
    )
)
