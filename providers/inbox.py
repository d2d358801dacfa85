"""The provider app's items in IPA's inbox (portal.inbox, W2): registrations
(M§5.1 (3): 3 business days), change requests (urgent completer corrections
first, R11) and withdrawal notices (取止めの届出)."""

from django.db.models import F
from django.urls import reverse

from portal import inbox, workflow
from portal.inbox import local_date

from . import rules
from .models import ChangeRequest, Question, Registration, Withdrawal


def _waiting(model):
    return workflow.for_model(model).values(lambda s: s.waiting_for_ipa)


inbox.register_source(
    inbox.InboxSource(
        kind="registration",
        label="登録申請",
        order=10,
        queryset=lambda: Registration.objects.filter(
            state__in=_waiting(Registration)
        ).select_related("provider"),
        summary=lambda qs: qs.values(
            "pk",
            "state",
            "submitted_at",
            provider_number=F("provider__number"),
            provider_name=F("name"),
        ),  # fmt: skip
        state=inbox.workflow_state("providers.Registration"),
        due=lambda row: rules.registration_review_due(local_date(row["submitted_at"])),
        due_note="受信後3営業日以内に確認の電話",
        url=lambda r: reverse("review_detail", args=[r.pk]),
        title=lambda r: r.name,
    )
)

inbox.register_source(
    inbox.InboxSource(
        kind="change",
        label="変更申請",
        order=60,
        queryset=lambda: ChangeRequest.objects.filter(
            state__in=_waiting(ChangeRequest)
        ).select_related("provider"),
        summary=lambda qs: qs.values(
            "pk",
            "state",
            "submitted_at",
            "urgent",
            provider_number=F("provider__number"),
            provider_name=F("provider__name"),
        ),  # fmt: skip
        state=inbox.workflow_state("providers.ChangeRequest"),
        url=lambda c: reverse("change_review_detail", args=[c.pk]),
        title=lambda c: f"{c.kind_label}：{c.target_label}",
        urgent=lambda row: row["urgent"],
    )
)

inbox.register_source(
    inbox.InboxSource(
        kind="withdrawal",
        label="取止めの届出",
        order=70,
        queryset=lambda: Withdrawal.objects.filter(state__in=_waiting(Withdrawal)),
        summary=lambda qs: qs.values(
            "pk", "state", "submitted_at", "provider_number", "provider_name"
        ),  # fmt: skip
        state=inbox.workflow_state("providers.Withdrawal"),
        url=lambda w: reverse("review_withdrawal_detail", args=[w.pk]),
        title=lambda w: "取止めの届出",
    )
)

inbox.register_source(
    inbox.InboxSource(
        kind="question",
        label="質問書",
        order=55,
        # W5: due 3 IPA business days after it was asked, followed up or
        # completed (Question.due_on, providers.rules.question_due_on).
        queryset=lambda: Question.objects.filter(state__in=_waiting(Question)).select_related(
            "provider"
        ),
        summary=lambda qs: qs.values(
            "pk",
            "state",
            "due_on",
            "provider_number",
            submitted_at=F("waiting_since"),
            provider_name=F("provider__name"),
        ),  # fmt: skip
        state=inbox.workflow_state("providers.Question"),
        due=lambda row: row["due_on"],
        due_note="3営業日以内に回答",
        url=lambda q: reverse("question_review_detail", args=[q.pk]),
        title=lambda q: q.summary,
    )
)
