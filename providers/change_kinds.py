"""What of a provider may change by a change request (table 5.6-1 「認定団体情報の
変更」): the data of 申請書式1 other than the contact person, and the contact
person (講座担当者の変更, P7: its own kind, since approving it hands over the
registered contact; providers.contact). The forms of such a request are
申請書式1 as it reads after the change and 申請書式5 (X2). Registered at start-up by providers.apps."""

from django.urls import reverse

from portal import audit

from . import changes, contact
from .models import Provider

# The fields of 申請書式1 a change request may change: the provider itself and
# the contact's address. The survey (きっかけ) and the declaration are
# answered once at registration; the contact person is P7's own request.
PROVIDER_FIELDS = [
    "name", "name_kana", "representative_name", "postal_code", "prefecture", "address",
    "contact_postal_code", "contact_prefecture", "contact_address", "category", "remarks",
]  # fmt: skip


def provider_current(provider) -> dict:
    return changes.values_of(provider, PROVIDER_FIELDS)


def provider_items(provider, original: dict, proposed: dict) -> list[changes.Item]:
    return changes.field_items(Provider, original, proposed)


def apply_provider_change(provider, proposed: dict, actor, request) -> None:
    """The approved change written to the provider record, with its history
    and an audit entry naming the request."""
    fields = [name for name in PROVIDER_FIELDS if name in proposed]
    before = audit.snapshot(provider, fields)
    for name in fields:
        setattr(provider, name, changes.from_json(provider, name, proposed[name]))
    # The fields' own checks; the registration's declaration and survey
    # rules (ProviderInfo.clean) were answered when it was accepted.
    provider.clean_fields(exclude=[f.name for f in Provider._meta.fields if f.name not in fields])
    provider.save(update_fields=fields)
    audit.record_update("provider.change", provider, before, fields, actor=actor, note=str(request))


PROVIDER_INFO = changes.register(
    changes.ChangeKind(
        key="provider_info",
        label="認定団体情報の変更",
        model="providers.Provider",
        form_title="申請書式1",
        documents=("change_shoshiki_1", "shoshiki_5"),
        provider=lambda provider: provider,
        target_label=lambda provider: f"講座開設者 {provider.number} {provider.name}",
        target_number=lambda provider: provider.number,
        current=provider_current,
        items=provider_items,
        apply=apply_provider_change,
        edit_url=lambda request: reverse("provider_change"),
        target_url=lambda provider: reverse("provider_profile"),
        review_target_url=lambda provider: reverse("review_provider", args=[provider.pk]),
    )
)


# --- the registered contact person (P4, P7, M§10; providers.contact) -------------


def _contact_items(provider, original: dict, proposed: dict) -> list[changes.Item]:
    return changes.field_items(Provider, original, proposed)


CONTACT = changes.register(
    changes.ChangeKind(
        key=contact.KIND,
        label="講座担当者の変更",
        model="providers.Provider",
        form_title="申請書式1",
        documents=("change_shoshiki_1", "shoshiki_5"),
        provider=lambda provider: provider,
        target_label=lambda provider: f"登録担当者（講座開設者 {provider.number} {provider.name}）",
        target_number=lambda provider: provider.number,
        current=lambda provider: changes.values_of(provider, contact.CONTACT_FIELDS),
        items=_contact_items,
        apply=contact.apply_contact_change,
        conditions=(contact.one_open_condition, contact.email_condition),
        edit_url=lambda request: reverse("contact_change"),
        target_url=lambda provider: reverse("provider_profile"),
        review_target_url=lambda provider: reverse("review_provider", args=[provider.pk]),
        after_approval=(
            "IPAの受領をもって、後任の担当者が登録担当者になりました。前任の担当者のアカウントは、"
            "この時点で講座開設者のページを利用できなくなりました。\n"
            "後任の担当者が新しくアカウントを持つ場合は、別のメール「ユーザ登録完了のお知らせ」の"
            "URLからパスワードを設定してください。ログインできたら、ダッシュボードの"
            "「ログイン完了を連絡する」ボタンを押してください（マニュアル10.2 (3)）。"
            "この連絡で講座担当者の変更申請は完了します。"
        ),
    )
)
