"""Issue 11 (4, abuse that gets nowhere): sign-up confirms the e-mail address
first; sign-up and password reset are rate-limited per client and address."""

import datetime
import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from portal.models import User
from providers import services
from providers.models import PendingSignup, Registration

from .factories import PASSWORD, PROVIDER_VALUES, signup_and_confirm, signup_post_data

pytestmark = pytest.mark.django_db

EMAIL = PROVIDER_VALUES["contact_email"]
LIMITED = "短時間に何度も送信されたため"


def _post(client, **overrides):
    extra = {k: overrides.pop(k) for k in list(overrides) if k.isupper()}  # REMOTE_ADDR
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("registration_signup"), signup_post_data(**overrides), **extra)


def _link_token(message) -> str:
    return re.search(r"/register/confirm/([^/\s]+)/", message.body).group(1)


def test_i11_signup_reserves_nothing_and_sends_nothing_to_ipa_until_confirmed(client):
    response = _post(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("registration_signup_sent")
    assert PendingSignup.objects.count() == 1
    assert not Registration.objects.exists()
    assert not User.objects.filter(email__iexact=EMAIL).exists()
    assert [m.to for m in mail.outbox] == [[EMAIL]]  # nothing to IPA yet
    page = client.get(response["Location"]).content.decode()
    assert "確認メールを送信しました" in page and "まだ提出されていません" in page


def test_i11_confirmation_mail_holds_no_typed_text(client):
    typed = {
        "name": "詐欺の宣伝はこちら",
        "department": "怪しいリンク部",
        "contact_family_name": "攻撃",
        "contact_given_name": "文面",
    }
    _post(client, **typed)
    _post(client)
    typed_mail, plain_mail = mail.outbox
    text = typed_mail.subject + typed_mail.body
    for value in typed.values():
        assert value not in text, value
    assert "24時間" in typed_mail.body and "/register/confirm/" in typed_mail.body
    # A fixed text: two sign-ups with different input get the same mail but
    # for the link.
    assert typed_mail.subject == plain_mail.subject
    token_a, token_b = _link_token(typed_mail), _link_token(plain_mail)
    assert typed_mail.body.replace(token_a, "") == plain_mail.body.replace(token_b, "")


def test_i11_opening_the_link_submits_the_registration(client):
    _post(client)
    token = _link_token(mail.outbox[0])
    mail.outbox.clear()
    confirm = client.get(reverse("registration_confirm", args=[token]))
    assert confirm.status_code == 200
    assert "確定して申請する" in confirm.content.decode()
    assert not Registration.objects.exists()  # a GET (a mail scanner) submits nothing
    with TestCase.captureOnCommitCallbacks(execute=True):
        done = client.post(reverse("registration_confirm", args=[token]))
    assert done["Location"] == reverse("registration_signup_done")
    registration = Registration.objects.get()
    assert registration.applicant.email == EMAIL
    assert registration.applicant.check_password(PASSWORD)
    assert not PendingSignup.objects.exists()
    assert {tuple(m.to) for m in mail.outbox} == {(EMAIL,), (settings.IPA_NOTICE_EMAIL,)}
    assert "到達番号" in client.get(done["Location"]).content.decode()
    # The link is used up.
    again = client.post(reverse("registration_confirm", args=[token]))
    assert again.status_code == 404
    assert Registration.objects.count() == 1


def test_i11_expired_link_submits_nothing_and_beat_task_frees_the_address(client):
    from providers.tasks import delete_expired_signups

    _post(client)
    token = _link_token(mail.outbox[0])
    PendingSignup.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = client.post(reverse("registration_confirm", args=[token]))
    assert response.status_code == 404
    assert "有効期限" in response.content.decode()
    assert not Registration.objects.exists()

    assert delete_expired_signups() == 1
    assert not PendingSignup.objects.exists()
    assert settings.CELERY_BEAT_SCHEDULE["delete-expired-signups"]["task"] == (
        "providers.delete_expired_signups"
    )
    # The address was never reserved: a new sign-up goes through.
    mail.outbox.clear()
    assert signup_and_confirm(client, signup_post_data()).status_code == 302
    assert Registration.objects.count() == 1


def test_i11_link_valid_24_hours():
    token = services.start_signup(
        {k: v for k, v in PROVIDER_VALUES.items() if k != "application_date"}
        | {"referral_dm_year": None, "referral_dm_month": None},
        PASSWORD,
    )
    pending = PendingSignup.objects.get()
    assert pending.expires_at - pending.created_at == datetime.timedelta(hours=24)
    assert services.pending_signup_for_token(token) == pending
    assert pending.password_hash != PASSWORD and "valid" not in pending.values


def test_i11_signup_answer_does_not_tell_whether_the_address_exists(client, staff_a):
    known = _post(client, contact_email="a@a.example.jp")
    unknown = _post(client, contact_email="fresh@example.jp")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    # A second sign-up for an address waiting for confirmation: the same.
    second = _post(client, contact_email="fresh@example.jp")
    assert second.status_code == 302 and second["Location"] == unknown["Location"]
    sent = client.get(second["Location"]).content.decode()
    assert "既に登録" not in sent
    # Only the mailbox's owner, on confirming, learns that the address is taken.
    known_token = _link_token(mail.outbox[0])
    page = client.post(reverse("registration_confirm", args=[known_token])).content.decode()
    assert "この電子メールアドレスは既に登録されています" in page
    # The first of two waiting sign-ups that is confirmed wins; the other is refused.
    first, other = (_link_token(m) for m in mail.outbox[1:3])
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert client.post(reverse("registration_confirm", args=[other])).status_code == 302
    page = client.post(reverse("registration_confirm", args=[first])).content.decode()
    assert "既に登録されています" in page
    assert Registration.objects.count() == 1


def test_i11_signup_is_rate_limited_per_address_and_keeps_the_typed_form(client):
    limit = settings.ABUSE_RATE_LIMITS["signup"]["email"]
    for n in range(limit):
        assert _post(client, REMOTE_ADDR=f"198.51.100.{n}").status_code == 302
    refused = _post(client, name="最後の学園", REMOTE_ADDR="198.51.100.99")
    assert refused.status_code == 429
    page = refused.content.decode()
    assert LIMITED in page
    assert 'value="最後の学園"' in page  # nothing typed is lost
    assert PendingSignup.objects.count() == limit
    assert len(mail.outbox) == limit


def test_i11_signup_is_rate_limited_per_client_address(client):
    limit = settings.ABUSE_RATE_LIMITS["signup"]["ip"]
    for n in range(limit):
        assert _post(client, contact_email=f"s{n}@example.jp").status_code == 302
    refused = _post(client, contact_email="another@example.jp")
    assert refused.status_code == 429
    assert LIMITED in refused.content.decode()
    # Another client is not affected.
    assert (
        _post(client, contact_email="other@example.jp", REMOTE_ADDR="203.0.113.5").status_code
        == 302
    )


def _reset(client, email, **extra):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("password_reset"), {"email": email}, **extra)


def test_i11_password_reset_is_rate_limited_per_address(client, staff_a):
    limit = settings.ABUSE_RATE_LIMITS["password_reset"]["email"]
    for n in range(limit):
        assert _reset(client, "a@a.example.jp", REMOTE_ADDR=f"192.0.2.{n}").status_code == 302
    assert len(mail.outbox) == limit
    refused = _reset(client, "A@a.example.jp", REMOTE_ADDR="192.0.2.200")
    assert refused.status_code == 429
    page = refused.content.decode()
    assert LIMITED in page and 'value="A@a.example.jp"' in page
    assert len(mail.outbox) == limit


def test_i11_password_reset_is_rate_limited_per_client_address(client):
    limit = settings.ABUSE_RATE_LIMITS["password_reset"]["ip"]
    for n in range(limit):
        assert _reset(client, f"u{n}@example.jp").status_code == 302
    refused = _reset(client, "last@example.jp")
    assert refused.status_code == 429 and LIMITED in refused.content.decode()
    assert _reset(client, "last@example.jp", REMOTE_ADDR="203.0.113.7").status_code == 302
