"""The change of the registered contact person (講座担当者の変更; P4, P7, M§10).

The provider files it as a change request of its own kind
(providers.change_kinds.CONTACT): the new contact's name, department, TEL,
FAX and e-mail. IPA's approval is the receipt (受領) of the request (M§10.1
(4)(5)); :func:`apply_contact_change` then, in the approval's transaction:

* writes the provider's contact fields (history and audit);
* makes the new person the registered contact: an existing staff member of
  the same provider simply becomes it; anyone else gets a new account with no
  usable password and an invitation 「ユーザ登録完了のお知らせ」 with a
  one-time link to set it (M§10.2 (1));
* ends the old contact's membership: they no longer open the provider's pages
  and are told so (the 受領通知 itself goes to the new contact's address, the
  provider's registered contact e-mail, M§10.1 (5)).

The new contact signs in and reports the first login (ログイン完了, M§10.2
(3)): the declared move ``confirm_login`` (承認済み → 完了), allowed to them
alone, tells IPA. The password rule of M§10.2 (1) (3 of 4 character classes,
90 days, not the last 2) belongs to the desktop program and is not carried
over (P7): the portal's 12-character minimum with the common-password check
applies.
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from portal import audit, notify, workflow
from portal.isolation import owns
from portal.models import Notice

from . import changes
from .models import ChangeRequest, Membership, Provider

KIND = "contact"  # ChangeRequest.kind of a contact change (change_kinds.CONTACT)

# The contact person's fields of 申請書式1 (the provider_info kind excludes them).
CONTACT_FIELDS = [
    "contact_family_name", "contact_given_name", "contact_department",
    "contact_tel", "contact_fax", "contact_email",
]  # fmt: skip

EMAIL_FIELD = "contact_email"
EMAIL_LABEL = Provider._meta.get_field(EMAIL_FIELD).verbose_name
EMAIL_TAKEN = (
    f"「{EMAIL_LABEL}」に入力されたアドレスは、別のアカウントで既に使われているため"
    "登録担当者にできません。後任の担当者ご本人のアドレスを入力してください。"
)
INVITATION_DAYS = 7


# --- the one-time link of the invitation (M§10.2 (1)) ------------------------------


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Django's password-reset token (it changes when the password is set, so
    the link works once), with its own salt — a password-reset link is no
    invitation and the other way round — and a validity of
    ``INVITATION_DAYS`` days instead of the reset link's hour."""

    key_salt = "providers.contact.InvitationTokenGenerator"
    timeout = datetime.timedelta(days=INVITATION_DAYS)

    def check_token(self, user, token):
        if not (user and token):
            return False
        try:
            ts = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        signed = any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )
        age = self._num_seconds(self._now()) - ts
        return signed and 0 <= age <= self.timeout.total_seconds()


invitation_tokens = InvitationTokenGenerator()


def invitation_path(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse(
        "contact_invitation", kwargs={"uidb64": uid, "token": invitation_tokens.make_token(user)}
    )


# --- what the request is about ------------------------------------------------------


def is_contact_change(change) -> bool:
    return change.kind == KIND


def changes_person(change) -> bool:
    """Whether the request names another person (another e-mail address)
    rather than new details of the same contact."""
    before = (change.original.get(EMAIL_FIELD) or "").lower()
    return is_contact_change(change) and (change.value(EMAIL_FIELD) or "").lower() != before


def _user_with_email(email: str, *, lock=False):
    users = get_user_model().objects.filter(email__iexact=email)
    return (users.select_for_update() if lock else users).first()


def _is_leftover_applicant(user) -> bool:
    from .services import _is_leftover_applicant

    return _is_leftover_applicant(user)


def email_problem(provider, email: str) -> str | None:
    """Why ``email`` cannot be the provider's new contact: it belongs to an
    account that is no staff member of this provider (another provider's,
    IPA's, an applicant's). An unused address, or a staff member of the same
    provider, may be."""
    user = _user_with_email(email)
    if user is None or _is_leftover_applicant(user):
        return None
    membership = Membership.objects.filter(user=user).first()
    if membership is not None and membership.provider_id == provider.pk:
        return None
    return EMAIL_TAKEN


def open_contact_change(provider, exclude=None) -> ChangeRequest | None:
    """The provider's contact change being written or under review."""
    found = changes.open_requests_for(provider).filter(kind=KIND)
    if exclude is not None:
        found = found.exclude(pk=exclude.pk)
    return found.first()


def one_open_problem(provider, exclude=None) -> str | None:
    other = open_contact_change(provider, exclude)
    if other is None:
        return None
    number = workflow.receipt_number(other)
    where = f"（到達番号 {number}、{workflow.state_label(other)}）" if number else "（作成中）"
    return (
        f"講座担当者の変更申請{where}が既にあります。担当者の変更申請は一度に1件です。"
        "その申請を修正するか、承認または取り下げの後に申請してください。"
    )


def email_condition(change) -> str | None:
    """Checked at 申請 and again at 承認 (an address may be taken meanwhile)."""
    if not changes_person(change):
        return None
    return email_problem(change.provider, change.value(EMAIL_FIELD))


def one_open_condition(change) -> str | None:
    return one_open_problem(change.provider, exclude=change)


def save_contact_draft(provider, user, values: dict, *, reason=None) -> ChangeRequest:
    """The provider's copy of the new contact (nothing of the record changes):
    refused, naming the field, when the e-mail belongs to another account,
    and when another contact change is already open."""
    with transaction.atomic():
        provider = Provider.objects.select_for_update().get(pk=provider.pk)
        draft = changes.editable_draft(KIND, provider)
        problem = one_open_problem(provider, exclude=draft)
        if problem:
            raise ValidationError(problem)
        if EMAIL_FIELD in values:
            values = {**values, EMAIL_FIELD: (values[EMAIL_FIELD] or "").strip().lower()}
        email = values.get(EMAIL_FIELD)
        if email and email != provider.contact_email.lower():
            problem = email_problem(provider, email)
            if problem:
                raise ValidationError({EMAIL_FIELD: problem})
        return changes.save_draft(KIND, provider, user, values, reason=reason)


# --- approval: IPA's receipt (受領) --------------------------------------------------


def apply_contact_change(provider, proposed: dict, actor, request) -> None:
    """Write the approved contact to the provider and hand over the registered
    contact (see the module). Runs inside approve_change's transaction: a
    refusal here undoes everything."""
    fields = [name for name in CONTACT_FIELDS if name in proposed]
    before = audit.snapshot(provider, fields)
    for name in fields:
        setattr(provider, name, changes.from_json(provider, name, proposed[name]))
    if EMAIL_FIELD in fields:
        provider.contact_email = provider.contact_email.lower()  # as the account's login
    provider.clean_fields(exclude=[f.name for f in Provider._meta.fields if f.name not in fields])
    provider.save(update_fields=fields)
    audit.record_update(
        "provider.contact_change", provider, before, fields, actor=actor, note=str(request)
    )
    # The notices of the approval read the provider from the request: the
    # written one, so that the 受領通知 goes to the new contact's address.
    request.provider = provider
    old = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(provider=provider, is_contact=True)
        .first()
    )
    names = {"family_name": provider.contact_family_name, "given_name": provider.contact_given_name}
    person = changes_person(request)
    user = _user_with_email(provider.contact_email, lock=True) if person or old is None else None
    if old is not None and (not person or old.user_id == getattr(user, "pk", None)):
        _rename(old.user, names, actor, request)  # the same person, new details
        return
    membership, invited = _new_contact_membership(provider, user, names, actor, request)
    if old is not None:
        _step_down(old, actor, request)
    was = audit.snapshot(membership, ["is_contact", "active"])
    membership.is_contact = True
    membership.active = True
    membership.save(update_fields=["is_contact", "active"])
    audit.record_update(
        "membership.contact", membership, was, ["is_contact", "active"], actor=actor,
        note=str(request),
    )  # fmt: skip
    if invited:
        _invite(membership.user, provider, request)
    if old is not None:
        _tell_former_contact(old, provider, request)


def _rename(user, names: dict, actor, request) -> None:
    before = audit.snapshot(user, list(names))
    for name, value in names.items():
        setattr(user, name, value)
    if audit.diff(before, audit.snapshot(user, list(names))):
        user.save(update_fields=list(names))
        audit.record_update("account.rename", user, before, list(names), actor=actor,
                            note=str(request))  # fmt: skip


def _new_contact_membership(provider, user, names, actor, request) -> tuple[Membership, bool]:
    """The membership that becomes the registered contact, and whether the
    person is invited to set a password (a new account)."""
    User = get_user_model()
    if user is None:
        user = User.objects.create_user(
            email=provider.contact_email, password=None, is_active=True, **names
        )
        audit.record("account.invite", user, actor=actor, note=str(request))
        return Membership.objects.create(user=user, provider=provider), True
    membership = Membership.objects.select_for_update(of=("self",)).filter(user=user).first()
    if membership is None and _is_leftover_applicant(user):
        # The inactive account of an earlier, withdrawn registration: made
        # the new contact's, with a password they set themselves.
        user.set_unusable_password()
        user.is_active = True
        for name, value in names.items():
            setattr(user, name, value)
        user.save(update_fields=["password", "is_active", *names])
        audit.record("account.invite", user, actor=actor, note=str(request))
        return Membership.objects.create(user=user, provider=provider), True
    if membership is None or membership.provider_id != provider.pk:
        raise ValidationError({EMAIL_FIELD: EMAIL_TAKEN})
    # A staff member of the same provider: no new account.
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    _rename(user, names, actor, request)
    return membership, not user.has_usable_password()


def _step_down(old: Membership, actor, request) -> None:
    """The old contact's membership ends (M§10.1 (5)): they no longer open
    the provider's pages."""
    was = audit.snapshot(old, ["is_contact", "active"])
    old.is_contact = False
    old.active = False
    old.save(update_fields=["is_contact", "active"])
    audit.record_update(
        "membership.step_down", old, was, ["is_contact", "active"], actor=actor, note=str(request)
    )


def _invite(user, provider, request) -> None:
    """「ユーザ登録完了のお知らせ」 (M§10.2 (1)) with the one-time link."""
    path = invitation_path(user)
    notify.send_on_commit(
        "contact_invitation",
        {
            "user": user,
            "provider": provider,
            "change": request,
            "url": f"{settings.SITE_URL}{path}",
            "days": INVITATION_DAYS,
            "login_url": f"{settings.SITE_URL}{reverse('login')}",
        },
        [user.email],
    )


def _tell_former_contact(old: Membership, provider, request) -> None:
    """The old contact learns that the 受領 ended their access (by e-mail to
    their address and to the contact address they were registered with)."""
    context = {"user": old.user, "provider": provider, "change": request}
    subject, body = notify.render("contact_stepped_down", context)
    Notice.objects.create(recipient=old.user, subject=subject[:255], body=body, url="")
    addresses = {old.user.email.lower(), (request.original.get(EMAIL_FIELD) or "").lower()}
    for address in sorted(a for a in addresses if a):
        notify.queue_on_commit(subject, body, [address])


# --- ログイン完了 (M§10.2 (3)) ----------------------------------------------------------


def is_new_contact(user, change) -> bool:
    """Whether ``user`` is the person a contact change made the registered
    contact, and still is: only they report ログイン完了."""
    if user is None or not user.is_authenticated or not changes_person(change):
        return False
    if not owns(user, change):
        return False
    if user.email.lower() != change.value(EMAIL_FIELD).lower():
        return False
    return Membership.objects.filter(user=user, provider_id=change.provider_id, active=True,
                                     is_contact=True).exists()  # fmt: skip


def awaiting_login(provider, user) -> ChangeRequest | None:
    """The contact change whose ログイン完了 ``user`` is to report, if any."""
    flow = workflow.for_model(ChangeRequest)
    sources = flow.get("confirm_login").sources
    for change in ChangeRequest.objects.filter(
        provider=provider, kind=KIND, state__in=sources
    ).order_by("-decided_at", "-id")[:5]:
        if workflow.may(change, "confirm_login", user):
            return change
    return None


def confirm_login(change_pk: int, user) -> ChangeRequest:
    """The new contact reports the first login: the request is complete and
    IPA is told (M§10.2 (3)(4))."""
    with transaction.atomic():
        change = ChangeRequest.objects.select_for_update(of=("self",)).get(pk=change_pk)
        workflow.transition(change, "confirm_login", actor=user)
    return change
