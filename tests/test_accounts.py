"""Accounts: e-mail login, logout, password reset, session limits, throttling, audit."""

import datetime
import re
import time
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from portal.middleware import SESSION_STARTED_KEY
from portal.models import AuditEntry

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

WRONG_LOGIN = "メールアドレスまたはパスワードが正しくありません。"
THROTTLED = "一時的にログインを制限"
INVALID_LINK = "無効か、有効期限"
NEW_PASSWORD = "Blue-Lantern-Orchard-58"


def login(client, email, password=PASSWORD, **extra):
    return client.post(reverse("login"), {"username": email, "password": password}, **extra)


def is_logged_in(client) -> bool:
    return SESSION_KEY in client.session


def assert_redirects_to_login(response):
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def later(seconds: float):
    """Moves the clock of the cache (and of time.time generally) ahead."""
    real = time.time
    return mock.patch(
        "django.core.cache.backends.locmem.time.time", side_effect=lambda: real() + seconds
    )


# 1. Login and logout ------------------------------------------------------------------


def test_accounts_login_with_email_address(client, staff_a):
    response = login(client, "a@a.example.jp")
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert is_logged_in(client)
    assert client.get(reverse("provider_profile")).status_code == 200


def test_accounts_login_email_is_case_insensitive(client, staff_a):
    response = login(client, "A@A.example.JP")
    assert response.status_code == 302
    assert int(client.session[SESSION_KEY]) == staff_a.pk


def test_accounts_wrong_password_shows_japanese_message(client, staff_a):
    response = login(client, "a@a.example.jp", "not-the-password")
    assert response.status_code == 200
    assert WRONG_LOGIN in response.content.decode()
    assert not is_logged_in(client)


def test_accounts_unknown_email_shows_same_message(client, staff_a):
    response = login(client, "nobody-here@a.example.jp")
    assert response.status_code == 200
    assert WRONG_LOGIN in response.content.decode()
    assert not is_logged_in(client)


def test_accounts_inactive_user_cannot_log_in(client, staff_a):
    staff_a.is_active = False
    staff_a.save()
    response = login(client, "a@a.example.jp")
    assert response.status_code == 200
    assert not is_logged_in(client)
    assert_redirects_to_login(client.get(reverse("provider_profile")))


def test_accounts_logout_is_post_and_ends_session(client, staff_a):
    login(client, "a@a.example.jp")
    assert client.get(reverse("provider_profile")).status_code == 200

    # A GET (e.g. a link or an <img>) must not log the user out.
    assert client.get(reverse("logout")).status_code == 405
    assert client.get(reverse("provider_profile")).status_code == 200

    response = client.post(reverse("logout"))
    assert_redirects_to_login(response)
    assert not is_logged_in(client)
    assert_redirects_to_login(client.get(reverse("provider_profile")))


# 2. Password reset --------------------------------------------------------------------

RESET_LINK = re.compile(r"https?://[^/\s]+(/accounts/reset/(?P<uid>[^/\s]+)/(?P<token>[^/\s]+)/)")


def request_reset(client, email):
    mail.outbox.clear()
    response = client.post(reverse("password_reset"), {"email": email})
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    return response


def reset_link_from_mail() -> str:
    assert len(mail.outbox) == 1
    match = RESET_LINK.search(mail.outbox[0].body)
    assert match, mail.outbox[0].body
    return match.group(1)


def open_set_password_form(client, link):
    response = client.get(link)
    # Django hides the token: it moves it to the session and redirects.
    assert response.status_code == 302
    assert response.url.endswith("/set-password/")
    form_url = response.url
    response = client.get(form_url)
    assert response.status_code == 200
    assert response.context["validlink"]
    return form_url


def test_accounts_password_reset_mail_and_link_set_new_password(client, staff_a):
    request_reset(client, "A@a.example.jp")
    assert mail.outbox[0].to == ["a@a.example.jp"]
    link = reset_link_from_mail()

    form_url = open_set_password_form(client, link)
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("password_reset_complete")

    staff_a.refresh_from_db()
    assert staff_a.check_password(NEW_PASSWORD)
    assert not staff_a.check_password(PASSWORD)

    # The old password no longer works; the new one does.
    assert WRONG_LOGIN in login(client, "a@a.example.jp", PASSWORD).content.decode()
    assert login(client, "a@a.example.jp", NEW_PASSWORD).status_code == 302
    assert is_logged_in(client)

    # The link is single-use.
    client.post(reverse("logout"))
    response = client.get(link)
    assert response.status_code == 200
    assert INVALID_LINK in response.content.decode()


def test_accounts_password_reset_unknown_email_sends_nothing(client, staff_a):
    request_reset(client, "stranger@example.jp")
    assert mail.outbox == []


def _link_made_ago(user, minutes: int) -> str:
    class Past(PasswordResetTokenGenerator):
        def _now(self):
            return datetime.datetime.now() - datetime.timedelta(minutes=minutes)  # noqa: DTZ005

    token = Past().make_token(user)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})


def test_accounts_password_reset_link_expires_after_one_hour(client, staff_a):
    assert settings.PASSWORD_RESET_TIMEOUT == 60 * 60

    response = client.get(_link_made_ago(staff_a, 61))
    assert response.status_code == 200
    assert not response.context["validlink"]
    assert INVALID_LINK in response.content.decode()

    # A link made 59 minutes ago still works.
    open_set_password_form(client, _link_made_ago(staff_a, 59))


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Short-Pw-1", "このパスワードは短すぎます。最低 12 文字以上必要です。"),
        ("password1234", "このパスワードは一般的すぎます。"),
    ],
)
def test_accounts_password_reset_refuses_weak_passwords(client, staff_a, password, message):
    request_reset(client, "a@a.example.jp")
    form_url = open_set_password_form(client, reset_link_from_mail())
    response = client.post(form_url, {"new_password1": password, "new_password2": password})
    assert response.status_code == 200
    assert message in response.content.decode()
    staff_a.refresh_from_db()
    assert staff_a.check_password(PASSWORD)
    assert not staff_a.check_password(password)


# 3. Sessions --------------------------------------------------------------------------


def test_accounts_session_cookie_lasts_30_minutes_and_is_renewed(client, staff_a):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST
    login(client, "a@a.example.jp")
    client.get(reverse("provider_profile"))
    # A plain page view that changes nothing in the session still renews it.
    for _ in range(2):
        response = client.get(reverse("provider_profile"))
        cookie = response.cookies[settings.SESSION_COOKIE_NAME]
        assert int(cookie["max-age"]) == 1800
        assert cookie["httponly"]


def _clock(minutes: float):
    real = timezone.now
    return mock.patch(
        "django.utils.timezone.now",
        side_effect=lambda: real() + datetime.timedelta(minutes=minutes),
    )


def test_accounts_session_ends_after_30_minutes_idle(client, staff_a):
    login(client, "a@a.example.jp")
    assert client.get(reverse("provider_profile")).status_code == 200
    with _clock(29):
        assert client.get(reverse("provider_profile")).status_code == 200
    # Each request renews the 30 minutes: 58 minutes after login, 29 after the last click.
    with _clock(58):
        assert client.get(reverse("provider_profile")).status_code == 200
    # 31 minutes without a request: logged out.
    with _clock(58 + 31):
        assert_redirects_to_login(client.get(reverse("provider_profile")))


def _set_session_start(client, seconds_ago: float):
    session = client.session
    session[SESSION_STARTED_KEY] = time.time() - seconds_ago
    session.save()


def test_accounts_session_records_start_time_on_login(client, staff_a):
    before = time.time()
    login(client, "a@a.example.jp")
    client.get(reverse("provider_profile"))
    started = client.session[SESSION_STARTED_KEY]
    assert before <= started <= time.time()


def test_accounts_session_ends_12_hours_after_login(client, staff_a):
    login(client, "a@a.example.jp")
    client.get(reverse("provider_profile"))

    _set_session_start(client, 11 * 3600 + 59 * 60)
    assert client.get(reverse("provider_profile")).status_code == 200
    assert is_logged_in(client)

    _set_session_start(client, 12 * 3600 + 1)
    response = client.get(reverse("provider_profile"))
    assert_redirects_to_login(response)
    assert not is_logged_in(client)
    # The user is told why.
    page = client.get(response.url)
    assert "12時間が経過" in page.content.decode()
    # Staying logged out: the next request is anonymous, too.
    assert_redirects_to_login(client.get(reverse("provider_profile")))


def test_accounts_new_login_after_12_hour_logout_works(client, staff_a):
    login(client, "a@a.example.jp")
    client.get(reverse("provider_profile"))
    _set_session_start(client, 12 * 3600 + 1)
    assert_redirects_to_login(client.get(reverse("provider_profile")))

    login(client, "a@a.example.jp")
    assert client.get(reverse("provider_profile")).status_code == 200
    assert client.get(reverse("provider_profile")).status_code == 200


# 4. Throttling ------------------------------------------------------------------------


def test_i11_lockout_settings_are_axes_username_and_ip():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert datetime.timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert settings.AXES_RESET_ON_SUCCESS is True
    assert settings.AXES_CLIENT_IP_CALLABLE == "portal.clientip.client_ip"
    assert not hasattr(settings, "LOGIN_THROTTLE")


def assert_locked(response):
    assert response.status_code == 429
    assert THROTTLED in response.content.decode()


def test_accounts_five_failures_lock_the_address(client, staff_a):
    for _ in range(4):
        assert WRONG_LOGIN in login(client, "a@a.example.jp", "wrong").content.decode()
    # The fifth failure, typed in another case, counts for the same address.
    assert_locked(login(client, "A@A.example.jp", "wrong"))

    assert_locked(login(client, "a@a.example.jp"))
    assert not is_logged_in(client)

    # Changing the case of the address does not get round the lock.
    assert_locked(login(client, "A@A.EXAMPLE.JP"))
    assert not is_logged_in(client)


def test_i11_lockout_is_audited_in_japanese(client, staff_a):
    from portal import audit

    for _ in range(5):
        login(client, "a@a.example.jp", "wrong", REMOTE_ADDR="198.51.100.7")
    entry = AuditEntry.objects.get(action="auth.lockout")
    assert entry.note == "a@a.example.jp"
    assert entry.ip == "198.51.100.7"
    assert "ログインが一時的に制限されました" in audit.sentence(entry)


def test_accounts_four_failures_do_not_lock_and_success_resets_count(client, staff_a):
    for _ in range(4):
        login(client, "a@a.example.jp", "wrong")
    assert login(client, "a@a.example.jp").status_code == 302
    assert is_logged_in(client)
    client.post(reverse("logout"))

    # The count starts again after a successful login.
    for _ in range(4):
        assert WRONG_LOGIN in login(client, "a@a.example.jp", "wrong").content.decode()
    assert login(client, "a@a.example.jp").status_code == 302
    client.post(reverse("logout"))

    for _ in range(5):
        login(client, "a@a.example.jp", "wrong")
    assert_locked(login(client, "a@a.example.jp"))


def test_accounts_user_lock_does_not_block_others_on_same_ip(client, staff_a, staff_b):
    for _ in range(5):
        login(client, "a@a.example.jp", "wrong")
    assert_locked(login(client, "a@a.example.jp"))

    response = login(client, "b@b.example.jp")
    assert response.status_code == 302
    assert is_logged_in(client)


def test_i11_lock_is_for_the_address_from_that_client_only(client, staff_a):
    """The combination username + IP is locked: the same address from
    another client (another school) can still log in."""
    for _ in range(5):
        login(client, "a@a.example.jp", "wrong", REMOTE_ADDR="192.0.2.7")
    assert_locked(login(client, "a@a.example.jp", REMOTE_ADDR="192.0.2.7"))
    assert login(client, "a@a.example.jp", REMOTE_ADDR="198.51.100.8").status_code == 302


def test_accounts_user_lock_ends_after_cooloff(client, staff_a):
    for _ in range(5):
        login(client, "a@a.example.jp", "wrong")
    _age_attempts(14 * 60)
    assert_locked(login(client, "a@a.example.jp"))
    _age_attempts(60 + 1)
    response = login(client, "a@a.example.jp")
    assert response.status_code == 302
    assert is_logged_in(client)


def test_accounts_empty_password_does_not_reset_failure_count(client, staff_a):
    for _ in range(4):
        login(client, "a@a.example.jp", "wrong")
    # A post without a password is not a successful login and must not
    # clear the count of failures.
    login(client, "a@a.example.jp", "")
    login(client, "a@a.example.jp", "wrong")
    response = login(client, "a@a.example.jp")
    assert_locked(response)
    assert not is_logged_in(client)


def _age_attempts(seconds: int) -> None:
    """Moves the lockout's records back in time (django-axes keeps them in
    the database)."""
    from axes.models import AccessAttempt
    from django.db.models import F

    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - datetime.timedelta(seconds=seconds)
    )


PROXY = "10.0.0.2"


def test_i11_fifty_failures_behind_the_proxy_do_not_lock_another_user(client, staff_a, staff_b):
    """Behind the reverse proxy every client has the proxy's REMOTE_ADDR:
    50 failures of one client (guessing addresses and a's password) lock
    nobody else — not b, not even from the same proxy address."""
    with override_settings(TRUSTED_PROXIES=[PROXY]):
        attacker = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.66"}
        for n in range(45):
            login(client, f"guess{n}@example.jp", "wrong", **attacker)
        for _ in range(5):
            login(client, "a@a.example.jp", "wrong", **attacker)
        assert_locked(login(client, "a@a.example.jp", **attacker))

        # b, through the same proxy (its own client address): not locked.
        response = login(
            client, "b@b.example.jp", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.20"
        )
        assert response.status_code == 302
        client.post(reverse("logout"))
        # a from another client behind the proxy: not locked either.
        response = login(
            client, "a@a.example.jp", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.21"
        )
        assert response.status_code == 302
        client.post(reverse("logout"))
        # Even a different user from the attacker's own address logs in.
        assert login(client, "b@b.example.jp", **attacker).status_code == 302


def test_i11_forged_forwarded_for_from_untrusted_address_is_ignored(client, staff_a):
    """A client that is not the proxy cannot get round its lock by sending
    another X-Forwarded-For with each try."""
    with override_settings(TRUSTED_PROXIES=[PROXY]):
        for n in range(5):
            login(
                client,
                "a@a.example.jp",
                "wrong",
                REMOTE_ADDR="203.0.113.9",
                HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
            )
        response = login(
            client, "a@a.example.jp", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="192.0.2.99"
        )
        assert_locked(response)
        from axes.models import AccessAttempt

        assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}


def test_i11_client_ip_reads_forwarded_for_only_from_trusted_proxy(rf):
    from portal.clientip import client_ip

    forwarded = {"HTTP_X_FORWARDED_FOR": "6.6.6.6, 198.51.100.9"}
    assert client_ip(rf.get("/", REMOTE_ADDR=PROXY, **forwarded)) == PROXY  # none trusted
    with override_settings(TRUSTED_PROXIES=["10.0.0.0/24"]):
        assert client_ip(rf.get("/", REMOTE_ADDR=PROXY, **forwarded)) == "198.51.100.9"
        assert client_ip(rf.get("/", REMOTE_ADDR="203.0.113.1", **forwarded)) == "203.0.113.1"
        assert client_ip(rf.get("/", REMOTE_ADDR=PROXY)) == PROXY


def test_i11_audit_log_uses_the_proxy_client_address(client, staff_a):
    with override_settings(TRUSTED_PROXIES=[PROXY]):
        login(client, "a@a.example.jp", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.30")
    assert AuditEntry.objects.get(action="auth.login").ip == "198.51.100.30"


def test_i11_lockouts_are_listed_in_the_admin_in_japanese(client, staff_a, ipa_admin):
    for _ in range(5):
        login(client, "a@a.example.jp", "wrong")
    client.force_login(ipa_admin)
    page = client.get("/admin/axes/accessattempt/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "a@a.example.jp" in text
    for english in ("Access attempts", "Failed Logins", "Attempt Time", "Locked Out"):
        assert english not in text
    assert "ログイン失敗の記録" in text


# 5. Audit -----------------------------------------------------------------------------


def test_accounts_login_is_audited_with_actor_and_ip(client, staff_a):
    login(client, "a@a.example.jp", "wrong", REMOTE_ADDR="198.51.100.7")
    assert not AuditEntry.objects.filter(action="auth.login").exists()
    login(client, "a@a.example.jp", REMOTE_ADDR="198.51.100.7")
    entry = AuditEntry.objects.get(action="auth.login")
    assert entry.actor == staff_a
    assert entry.actor_label == "a@a.example.jp"
    assert entry.ip == "198.51.100.7"


def test_accounts_login_finds_address_stored_in_mixed_case(client):
    user = UserFactory(email="Mixed.Case@Example.jp")
    assert login(client, "mixed.case@example.jp").status_code == 302
    assert int(client.session[SESSION_KEY]) == user.pk


def test_accounts_logout_is_audited_with_ip(client, staff_a):
    login(client, "a@a.example.jp", REMOTE_ADDR="198.51.100.7")
    client.post(reverse("logout"), REMOTE_ADDR="198.51.100.7")
    entry = AuditEntry.objects.get(action="auth.logout")
    assert entry.actor == staff_a
    assert entry.ip == "198.51.100.7"


def test_accounts_12_hour_logout_is_audited_with_ip(client, staff_a):
    login(client, "a@a.example.jp", REMOTE_ADDR="198.51.100.7")
    client.get(reverse("provider_profile"), REMOTE_ADDR="198.51.100.7")
    _set_session_start(client, 12 * 3600 + 1)
    client.get(reverse("provider_profile"), REMOTE_ADDR="198.51.100.7")
    entry = AuditEntry.objects.get(action="auth.logout")
    assert entry.actor == staff_a
    assert entry.ip == "198.51.100.7"


def test_accounts_admin_login_is_throttled_too(client, ipa_admin):
    """The Django admin's login counts failures like the portal's."""
    for _ in range(5):
        client.post("/admin/login/", {"username": "admin@ipa.example.jp", "password": "wrong"})
    response = client.post(
        "/admin/login/", {"username": "admin@ipa.example.jp", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "一時的にログインを制限" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_accounts_admin_changes_are_audited(client, ipa_admin, provider_a):
    from portal.models import AuditEntry

    client.force_login(ipa_admin)
    url = f"/admin/providers/provider/{provider_a.pk}/change/"
    page = client.get(url)
    form = page.context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields}
    data.update({"status": "withdrawn", "application_date": "2026-04-01", "declaration": "on"})
    data.update({"memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"})
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get(action="admin.provider.change")
    assert entry.actor == ipa_admin
    assert entry.changes["status"] == ["active", "withdrawn"]
