"""State changes of provider registrations (P1–P6), one function each:
check, transaction.atomic(), save, audit entry, notification."""

import datetime
import hashlib
import json
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django_fsm import has_transition_perm

from portal import audit, notify, receipts, workflow
from portal.isolation import owns, require_owner
from portal.roles import is_reviewer
from portal.workflow import transition

from . import rules
from .models import (
    Membership,
    PendingSignup,
    Provider,
    ProviderNumberCounter,
    Registration,
    Withdrawal,
)
from .terms import TERMS_VERSION
from .workflow import (
    WITHDRAWAL_FILED,
    RegistrationStateError,  # noqa: F401  (re-exported)
    WithdrawalStateError,
)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def registration_for_token(token: str) -> Registration | None:
    if not token or len(token) > 100:
        return None
    return Registration.objects.filter(access_token_hash=hash_token(token)).first()


def _check_not_barred(name: str, today) -> None:
    """P6 (M§2.4 (3), M§2.5): a provider whose certification — its own or one
    of its courses' — was revoked less than 2 years ago cannot register again
    under the same name; the message names the day from which it may."""
    ends = rules.revocation_bar_ends(revocation_dates_for_name(name), today)
    if ends is not None:
        raise ValidationError(
            {
                "name": "この申請者は講座の認定取消しから2年を経過していないため、"
                f"登録できません（マニュアル2.4(3)）。{rules.ja_date(ends)}以降に申請できます。"
            }
        )


def write_problem(provider) -> str | None:
    """Why this provider may not submit anything now (取止め, 認定取消し), or None."""
    if provider is None:
        return None
    return rules.status_write_problem(provider.status, provider.withdrawn_on, provider.revoked_on)


def require_active(provider) -> None:
    """P6/P8 (M§2.5, M§11): the one guard of every provider-side write service.
    A withdrawn or revoked provider signs in and reads, but submits nothing.
    The status is read afresh (the object may have been loaded earlier)."""
    if provider is not None:
        provider = Provider.objects.only("status", "withdrawn_on", "revoked_on").get(pk=provider.pk)
    problem = write_problem(provider)
    if problem:
        raise ValidationError(problem)


def active_membership(user) -> Membership | None:
    """The active membership of a provider staff user (portal.roles.membership_of
    asks this: registered in ProvidersConfig.ready)."""
    return Membership.objects.select_related("provider").filter(user=user, active=True).first()


# The apps that revoke something of a provider (its courses: courses) tell how
# to find those dates: functions of the provider giving dates, and of nothing
# giving the ids of the providers that have any (so that a registration by
# name looks only at those), registered in their AppConfig.ready, so that
# this app imports none of them.
_REVOCATION_SOURCES: list = []


def register_revocation_source(dates_of, providers_with_revocations=None) -> None:
    source = (dates_of, providers_with_revocations)
    if source not in _REVOCATION_SOURCES:
        _REVOCATION_SOURCES.append(source)


def _own_revocation_dates(provider) -> list:
    dates = [provider.revoked_on]
    for dates_of, _providers in _REVOCATION_SOURCES:
        dates += list(dates_of(provider))
    return dates


def _revoked_under_name(name: str, exclude_pk=None) -> list:
    """The provider records under the same name (spaces and width aside)
    that have a revocation of their own or of one of their courses."""
    having = Q(revoked_on__isnull=False)
    for _dates_of, providers in _REVOCATION_SOURCES:
        if providers is not None:
            having |= Q(pk__in=providers())
    key = rules.normalize_name_for_match(name)
    return [
        other
        for other in Provider.objects.filter(having)
        .exclude(pk=exclude_pk)
        .only("name", "revoked_on")
        if rules.normalize_name_for_match(other.name) == key
    ]


def revocation_dates_for_name(name: str) -> list:
    """The revocations that bar a registration under ``name`` (P6)."""
    dates = []
    for other in _revoked_under_name(name):
        dates += _own_revocation_dates(other)
    return [d for d in dates if d is not None]


def revocation_dates(provider) -> list:
    """The revocations that may bar this provider (M§2.5): its own, those of
    its courses (registered sources), and those of an earlier provider record
    under the same name (and of its courses)."""
    dates = _own_revocation_dates(provider)
    for other in _revoked_under_name(provider.name, exclude_pk=provider.pk):
        dates += _own_revocation_dates(other)
    return [d for d in dates if d is not None]


def require_not_barred(provider, on) -> None:
    """P6 (M§2.4 (3), M§2.5): no course is submitted or certified while a
    revocation less than 2 years old bars the provider (checked at submit and
    at certify, not only at sign-up)."""
    problem = rules.revocation_bar_problem(revocation_dates(provider), on)
    if problem:
        raise ValidationError(problem)


def _is_leftover_applicant(user) -> bool:
    """An inactive account whose every registration was withdrawn."""
    return (
        not user.is_active
        and not Membership.objects.filter(user=user).exists()
        and not user.registrations.exclude(state=Registration.State.WITHDRAWN).exists()
    )


def submit_registration(
    values: dict, password: str | None = None, *, password_hash: str | None = None
) -> tuple[Registration, str]:
    """A school submits 申請書式1 from the public sign-up page.

    Creates the contact's account (inactive until IPA accepts) and the
    registration in state ``submitted``. Returns the registration and the
    secret token of its status page (mailed to the applicant)."""
    today = timezone.localdate()
    _check_not_barred(values["name"], today)
    User = get_user_model()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        email = values["contact_email"].lower()
        user = User.objects.select_for_update().filter(email__iexact=email).first()
        if user is not None and not _is_leftover_applicant(user):
            raise ValidationError(
                {"contact_email": "この電子メールアドレスは既に登録されています。"}
            )
        if user is not None:
            # The inactive account of an earlier, withdrawn registration.
            if password_hash is not None:
                user.password = password_hash
            else:
                user.set_password(password)
            user.family_name = values["contact_family_name"]
            user.given_name = values["contact_given_name"]
            user.save(update_fields=["password", "family_name", "given_name"])
        else:
            try:
                with transaction.atomic():
                    user = User.objects.create_user(
                        email=email,
                        password=password,
                        family_name=values["contact_family_name"],
                        given_name=values["contact_given_name"],
                        is_active=False,
                    )
                    if password_hash is not None:
                        user.password = password_hash
                        user.save(update_fields=["password"])
            except IntegrityError:  # the same address signed up a moment ago
                raise ValidationError(
                    {"contact_email": "この電子メールアドレスは既に登録されています。"}
                ) from None
        registration = Registration(
            **{**values, "application_date": today},
            applicant=user,
            access_token_hash=hash_token(token),
        )
        registration.full_clean(exclude=["state"])
        registration.save()
        audit.record(
            "registration.submit",
            registration,
            actor=user,
            changes={k: [None, v] for k, v in registration.info_values().items()},
        )
        receipts.issue(registration, receipts.Kind.REGISTRATION, user, mail=False)  # 到達番号
        notify.send_on_commit(
            "registration_received",
            {"registration": registration, "token": token},
            [registration.contact_email],
        )
        notify.send_on_commit(
            "registration_ipa_notice", {"registration": registration}, [settings.IPA_NOTICE_EMAIL]
        )
    return registration, token


# E-mail confirmation of a sign-up (issue 11) --------------------------------


def start_signup(values: dict, password: str) -> str:
    """The public sign-up: keep the typed 申請書式1 as an unconfirmed sign-up
    and mail a confirmation link (a fixed text; nothing the applicant typed)
    to the address. Returns the link's secret token.

    Nothing else happens until the link is opened: no account, no
    registration, no notice to IPA; the address is not reserved. Whether the
    address is already registered is not said here (the same answer for every
    address): only the owner of the mailbox learns it, on confirming."""
    from django.contrib.auth.hashers import make_password
    from django.core.serializers.json import DjangoJSONEncoder

    now = timezone.now()
    _check_not_barred(values["name"], timezone.localdate())
    token = secrets.token_urlsafe(32)
    email = values["contact_email"].strip().lower()
    with transaction.atomic():
        PendingSignup.objects.create(
            email=email,
            values=json.loads(json.dumps(values, cls=DjangoJSONEncoder)),
            password_hash=make_password(password),
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + datetime.timedelta(hours=settings.SIGNUP_CONFIRMATION_HOURS),
        )
        notify.send_on_commit(
            "signup_confirm",
            {"token": token, "hours": settings.SIGNUP_CONFIRMATION_HOURS},
            [email],
        )
    return token


def pending_signup_for_token(token: str) -> PendingSignup | None:
    """The unconfirmed sign-up of a confirmation link, if it has not expired."""
    if not token or len(token) > 100:
        return None
    return PendingSignup.objects.filter(
        token_hash=hash_token(token), expires_at__gt=timezone.now()
    ).first()


def confirm_signup(token: str) -> tuple[Registration, str] | None:
    """The applicant opened the link and confirmed: the registration is
    submitted now (account, 到達番号, notices to the applicant and to IPA),
    from the values typed at sign-up. None for an unknown or expired link.
    A refusal (the address registered meanwhile, the P6 bar) is a
    ValidationError and keeps the unconfirmed sign-up until it expires."""
    with transaction.atomic():
        pending = (
            PendingSignup.objects.select_for_update()
            .filter(token_hash=hash_token(token or ""), expires_at__gt=timezone.now())
            .first()
        )
        if pending is None:
            return None
        values = {
            name: Registration._meta.get_field(name).to_python(value)
            for name, value in pending.values.items()
        }
        result = submit_registration(values, password_hash=pending.password_hash)
        pending.delete()
    return result


def delete_expired_signups(now=None) -> int:
    """Beat: forget the sign-ups whose link expired unconfirmed."""
    deleted, _ = PendingSignup.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted


def resubmit_registration(registration_pk: int, values: dict) -> Registration:
    """The applicant fixes a returned registration and submits it again (W1)."""
    with transaction.atomic():
        registration = Registration.objects.select_for_update().get(pk=registration_pk)
        if registration.state != Registration.State.RETURNED:
            raise RegistrationStateError(
                "この申請は現在修正できません（差し戻し中ではありません）。"
            )
        # The e-mail is the login of the account: whoever holds the status link
        # must not be able to move it elsewhere (ask IPA instead).
        if values.get("contact_email", registration.contact_email).lower() != (
            registration.contact_email.lower()
        ):
            raise ValidationError(
                {
                    "contact_email": "「担当者の電子メール」は再提出では変更できません。IPAへご連絡ください。"
                }
            )
        for name, value in values.items():
            setattr(registration, name, value)
        registration.application_date = timezone.localdate()
        registration.applicant.family_name = registration.contact_family_name
        registration.applicant.given_name = registration.contact_given_name
        registration.applicant.save(update_fields=["family_name", "given_name"])
        registration.full_clean(exclude=["state", "applicant", "provider"])
        # The 到達番号 first, so that the notices of the move carry it; the
        # applicant's 到達 mail is the workflow's notice (no second mail).
        receipts.issue(registration, receipts.Kind.REGISTRATION, registration.applicant, mail=False)
        transition(registration, "resubmit", actor=registration.applicant)
    return registration


def _locked_for_review(
    registration_pk: int,
    reviewer,
    method_name: str,
    sources=(Registration.State.SUBMITTED,),
) -> Registration:
    """The registration, row-locked, if it is in one of ``sources`` and the
    reviewer may make this transition."""
    registration = Registration.objects.select_for_update().get(pk=registration_pk)
    method = getattr(registration, method_name)
    if registration.state not in sources:
        raise RegistrationStateError(
            f"この申請は既に処理されています（現在の状態：{registration.get_state_display()}）。"
        )
    # Reviewers decide; an administrator (even a superuser) only reads.
    if not is_reviewer(reviewer) or not has_transition_perm(method, reviewer):
        raise PermissionDenied("この操作を行う権限がありません。")
    return registration


def return_registration(
    registration_pk: int, reviewer, reason: str, fields: list[str]
) -> Registration:
    """The reviewer returns the registration with a reason (差し戻し)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "「差し戻し理由」を入力してください。"})
    unknown = [f for f in fields if f not in Registration.FORM_FIELDS]
    if unknown:
        raise ValidationError({"fields": "差し戻し対象の項目に不明な項目があります。"})
    with transaction.atomic():
        registration = _locked_for_review(registration_pk, reviewer, "return_for_correction")
        transition(
            registration, "return", actor=reviewer, note=reason, reason=reason, fields=fields
        )
    return registration


def withdraw_registration(registration_pk: int, reviewer, reason: str) -> Registration:
    """IPA closes a registration that will not be accepted (取下げ), with the
    reason; the applicant is told and may sign up again later."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "「取下げの理由」を入力してください。"})
    with transaction.atomic():
        registration = _locked_for_review(
            registration_pk,
            reviewer,
            "withdraw",
            (Registration.State.SUBMITTED, Registration.State.RETURNED),
        )
        transition(
            registration, "withdraw", actor=reviewer, note=reason, reason=reason, by=reviewer
        )
    return registration


def _issue_provider_number() -> str:
    counter, _ = ProviderNumberCounter.objects.select_for_update().get_or_create(pk=1)
    taken = set(Provider.objects.values_list("number", flat=True))
    number, counter.last_issued = rules.next_provider_number(counter.last_issued, taken)
    counter.save(update_fields=["last_issued"])
    return number


def accept_registration(registration_pk: int, reviewer) -> Provider:
    """The reviewer accepts the registration: the next free provider number is
    issued (P5), the provider record is created, the contact's account becomes
    active and is the registered contact (P4), and the applicant is told."""
    with transaction.atomic():
        registration = _locked_for_review(registration_pk, reviewer, "accept")
        _check_not_barred(registration.name, timezone.localdate())
        # P5: the number is issued in the same transaction as the move.
        provider = Provider(**registration.info_values(), number=_issue_provider_number())
        provider.save()
        user = registration.applicant
        user.is_active = True
        user.save(update_fields=["is_active"])
        Membership.objects.create(user=user, provider=provider, is_contact=True)
        transition(registration, "accept", actor=reviewer, provider=provider, by=reviewer,
                   changes={"provider_number": [None, provider.number]})  # fmt: skip
        audit.record("provider.create", provider, actor=reviewer)
    return provider


# Withdrawal (取止め, P8, M§11) ---------------------------------------------------------

W = Withdrawal.State


def open_withdrawal(provider) -> Withdrawal | None:
    """The provider's notice of withdrawal waiting for IPA, if any."""
    return Withdrawal.objects.filter(provider=provider, state=W.SUBMITTED).first()


def _already_filed(withdrawal) -> ValidationError:
    number = receipts.latest_number(withdrawal)
    return ValidationError(
        "取止めの届出は既に提出され、IPAの受理を待っています"
        + (f"（到達番号 {number}）" if number else "")
        + "。内容を変える場合は、その届出を取り下げてから改めて届け出てください。"
    )


def file_withdrawal(provider, user, reason: str) -> Withdrawal:
    """P8 (M§11 (1)): the provider's staff notify IPA that the provider stops
    (取止め), with its number and name as recorded (the staff confirmed them)
    and the reason. One open notice per provider; a withdrawn or revoked
    provider files nothing (require_active). IPA and the filer are told, with
    the 到達番号."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "「取止めの理由」を入力してください。"})
    with transaction.atomic():
        provider = Provider.objects.select_for_update().get(pk=provider.pk)
        require_owner(user, provider)  # own provider, still active (P8)
        existing = open_withdrawal(provider)
        if existing is not None:
            raise _already_filed(existing)
        withdrawal = Withdrawal(
            provider=provider,
            provider_number=provider.number,
            provider_name=provider.name,
            reason=reason,
            submitted_by=user,
        )
        withdrawal.full_clean(exclude=["state", "provider", "submitted_by"])
        try:
            with transaction.atomic():
                withdrawal.save()
        except IntegrityError:  # filed a moment ago by a colleague
            raise _already_filed(open_withdrawal(provider)) from None
        audit.record(
            "withdrawal.submit",
            withdrawal,
            actor=user,
            changes={
                "provider_number": [None, withdrawal.provider_number],
                "provider_name": [None, withdrawal.provider_name],
                "reason": [None, reason],
            },
        )
        receipts.issue(withdrawal, receipts.Kind.WITHDRAWAL, user, mail=False)  # 到達番号
        # The filer's 到達 notice and IPA's, as the notices of a move.
        workflow.announce(withdrawal, WITHDRAWAL_FILED, actor=user)
    return withdrawal


def _locked_withdrawal(withdrawal_pk: int) -> Withdrawal:
    return (
        Withdrawal.objects.select_for_update(of=("self",))
        .select_related("provider")
        .get(pk=withdrawal_pk)
    )


def withdraw_withdrawal(withdrawal_pk: int, user) -> Withdrawal:
    """The provider takes its notice back while it waits for IPA (取下げ)."""
    with transaction.atomic():
        withdrawal = _locked_withdrawal(withdrawal_pk)
        transition(withdrawal, "withdraw", actor=user)
    return withdrawal


def accept_withdrawal(withdrawal_pk: int, reviewer, on=None) -> Withdrawal:
    """P5/P8 (M§11): IPA accepts the notice. The provider becomes 取止め from
    ``on`` (today), with history and audit; its number is retired — the
    counter only moves forward, so no later registration gets it; its data
    stays, read-only (require_active refuses every provider write from now);
    its staff keep their accounts, sign in, read and download. Its courses
    stay as they are: a certified one stays certified until its end date, but
    nothing more is filed for it; drafts and returned filings stay, unsent.
    A provider that wants to return registers anew and gets a new number."""
    on = on or timezone.localdate()
    with transaction.atomic():
        withdrawal = _locked_withdrawal(withdrawal_pk)
        workflow.check(withdrawal, "accept", actor=reviewer)
        provider = Provider.objects.select_for_update().get(pk=withdrawal.provider_id)
        if provider.status != Provider.Status.ACTIVE:
            raise WithdrawalStateError(
                f"この講座開設者は既に「{provider.get_status_display()}」のため受理できません。"
            )
        before = audit.snapshot(provider, ["status", "withdrawn_on"])
        provider.status = Provider.Status.WITHDRAWN
        provider.withdrawn_on = on
        provider.save(update_fields=["status", "withdrawn_on"])
        audit.record_update(
            "provider.withdraw",
            provider,
            before,
            ["status", "withdrawn_on"],
            actor=reviewer,
            note=f"取止めの届出（到達番号 {receipts.latest_number(withdrawal)}）を受理",
        )
        transition(withdrawal, "accept", actor=reviewer, on=on, by=reviewer)
    return withdrawal


def needs_terms(provider) -> bool:
    """I5: the provider has not yet accepted the terms and confirmed its
    registered data (required before its first course application)."""
    return provider is not None and provider.terms_accepted_at is None


def accept_terms(provider, user, now=None):
    """I5: the provider accepts the terms (利用規約) and confirms its
    registered data (申請書式1); who and when are stored and audited."""
    if not owns(user, provider):
        raise PermissionDenied("この講座開設者の利用規約には同意できません。")
    now = now or timezone.now()
    with transaction.atomic():
        provider = Provider.objects.select_for_update().get(pk=provider.pk)
        if provider.terms_accepted_at is not None:
            return provider
        provider.terms_accepted_at = now
        provider.terms_accepted_by = user
        provider.save(update_fields=["terms_accepted_at", "terms_accepted_by"])
        audit.record(
            "provider.terms_accept",
            provider,
            actor=user,
            changes={"terms_accepted_at": [None, now]},
            note=f"利用規約（{TERMS_VERSION}）に同意し、登録内容（申請書式1）を確認しました。",
        )
    return provider
