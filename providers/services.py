"""State changes of provider registrations (P1–P6), one function each:
check, transaction.atomic(), save, audit entry, notification."""

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import has_transition_perm

from portal import audit, notify, receipts
from portal.roles import is_reviewer
from portal.workflow import transition

from . import rules
from .models import Membership, Provider, ProviderNumberCounter, Registration
from .workflow import RegistrationStateError  # noqa: F401  (re-exported)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def registration_for_token(token: str) -> Registration | None:
    if not token or len(token) > 100:
        return None
    return Registration.objects.filter(access_token_hash=hash_token(token)).first()


def _check_not_barred(name: str, today) -> None:
    """P6: a provider revoked less than 2 years ago cannot register again."""
    key = rules.normalize_name_for_match(name)
    for provider in Provider.objects.filter(revoked_on__isnull=False).only("name", "revoked_on"):
        if rules.normalize_name_for_match(provider.name) == key and (
            rules.revocation_bars_registration(provider.revoked_on, today)
        ):
            raise ValidationError(
                {
                    "name": "この申請者は講座の認定取消しから2年を経過していないため、"
                    "登録できません（マニュアル2.4(3)）。"
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
# to find those dates: functions of the provider giving dates, registered in
# their AppConfig.ready, so that this app imports none of them.
_REVOCATION_SOURCES: list = []


def register_revocation_source(dates_of) -> None:
    if dates_of not in _REVOCATION_SOURCES:
        _REVOCATION_SOURCES.append(dates_of)


def revocation_dates(provider) -> list:
    """The revocations that may bar this provider (M§2.5): its own, those of
    its courses (registered sources), and those of an earlier provider record
    under the same name."""
    dates = [provider.revoked_on]
    for dates_of in _REVOCATION_SOURCES:
        dates += list(dates_of(provider))
    key = rules.normalize_name_for_match(provider.name)
    for other in (
        Provider.objects.filter(revoked_on__isnull=False)
        .exclude(pk=provider.pk)
        .only("name", "revoked_on")
    ):
        if rules.normalize_name_for_match(other.name) == key:
            dates.append(other.revoked_on)
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


def submit_registration(values: dict, password: str) -> tuple[Registration, str]:
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
