"""Issue 11 (4): two-factor authentication (django-otp) for IPA staff;
recovery codes; provider staff may turn it on."""

import re

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.models import AuditEntry

from .conftest import TOTP_KEY, otp_device_for, password_only_login, totp_code
from .factories import PASSWORD

pytestmark = pytest.mark.django_db


def _login(client, email):
    return client.post(reverse("login"), {"username": email, "password": PASSWORD})


def _code_for_secret(page: str) -> str:
    secret = re.search(r'<code class="otp-secret">([A-Z2-7 ]+)</code>', page).group(1)
    import base64

    raw = secret.replace(" ", "")
    key = base64.b32decode(raw + "=" * (-len(raw) % 8))
    return f"{TOTP(key).token():06d}"


def test_i11_enforcement_is_on_in_the_test_settings():
    from django.conf import settings

    assert "portal.twofactor.TwoFactorMiddleware" in settings.MIDDLEWARE
    assert "django_otp.middleware.OTPMiddleware" in settings.MIDDLEWARE


@pytest.mark.parametrize("who", ["reviewer", "ipa_admin"])
def test_i11_ipa_staff_without_device_must_set_up_before_any_page(client, who, request):
    user = request.getfixturevalue(who)
    password_only_login(client, user)
    for url in (reverse("inbox"), reverse("review_queue"), "/admin/", reverse("home")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("otp_setup")), url
    # Logging out is still possible.
    assert client.post(reverse("logout")).status_code == 302


def test_i11_setup_shows_qr_svg_and_secret_and_ten_recovery_codes_once(client, reviewer):
    _login(client, "reviewer@ipa.example.jp")
    response = client.get(reverse("inbox"), follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0].startswith(reverse("otp_setup"))
    assert "<svg" in page and "<script>" not in page.split("</head>")[1]
    assert "otp-secret" in page
    wrong = client.post(reverse("otp_setup"), {"code": "000000", "next": reverse("inbox")})
    assert wrong.status_code == 400 and "確認コードが正しくありません" in wrong.content.decode()
    done = client.post(
        reverse("otp_setup"), {"code": _code_for_secret(page), "next": reverse("inbox")}
    )
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", done.content.decode())
    assert len(codes) == 10
    assert TOTPDevice.objects.get(user=reviewer).confirmed
    assert StaticToken.objects.filter(device__user=reviewer).count() == 10
    entry = AuditEntry.objects.get(action="auth.otp_setup")
    assert entry.actor == reviewer
    # Verified now: the pages open.
    assert client.get(reverse("inbox")).status_code == 200
    # The codes are not shown again.
    assert codes[0] not in client.get(reverse("otp_settings")).content.decode()


def test_i11_staff_with_device_must_enter_the_code_after_the_password(client, reviewer):
    otp_device_for(reviewer)
    response = _login(client, "reviewer@ipa.example.jp")
    follow = client.get(response["Location"])
    assert follow["Location"].startswith(reverse("otp_verify"))
    assert client.get(reverse("review_queue"))["Location"].startswith(reverse("otp_verify"))
    assert client.get("/admin/")["Location"].startswith(reverse("otp_verify"))
    bad = client.post(reverse("otp_verify"), {"code": "123456"})
    assert bad.status_code == 400
    assert AuditEntry.objects.filter(action="auth.otp_verify_failed").exists()
    # django-otp delays the next try after a wrong code; a second later:
    TOTPDevice.objects.update(throttling_failure_count=0, throttling_failure_timestamp=None)
    ok = client.post(reverse("otp_verify"), {"code": totp_code(TOTP_KEY), "next": "/admin/"})
    assert ok.status_code == 302 and ok["Location"] == "/admin/"
    assert client.get(reverse("review_queue")).status_code == 200


def test_i11_recovery_code_works_once_and_is_audited(client, ipa_admin):
    otp_device_for(ipa_admin)
    recovery = StaticDevice.objects.create(user=ipa_admin, name="予備コード", confirmed=True)
    recovery.token_set.create(token="abcd1234")
    _login(client, "admin@ipa.example.jp")
    ok = client.post(reverse("otp_verify"), {"code": "abcd-1234", "next": "/admin/"})
    assert ok.status_code == 302
    assert client.get("/admin/").status_code == 200
    entry = AuditEntry.objects.get(action="auth.otp_recovery_used")
    assert entry.actor == ipa_admin and "予備コード" in entry.note
    client.post(reverse("logout"))
    _login(client, "admin@ipa.example.jp")
    again = client.post(reverse("otp_verify"), {"code": "abcd1234"})
    assert again.status_code == 400
    assert client.get("/admin/")["Location"].startswith(reverse("otp_verify"))


def test_i11_provider_staff_need_no_second_factor_but_may_turn_it_on(client, staff_a):
    _login(client, "a@a.example.jp")
    assert client.get(reverse("provider_profile")).status_code == 200
    page = client.get(reverse("otp_settings")).content.decode()
    assert "二段階認証を設定する" in page
    setup = client.get(reverse("otp_setup")).content.decode()
    client.post(reverse("otp_setup"), {"code": _code_for_secret(setup)})
    assert TOTPDevice.objects.filter(user=staff_a, confirmed=True).exists()
    client.post(reverse("logout"))
    _login(client, "a@a.example.jp")
    assert client.get(reverse("provider_profile"))["Location"].startswith(reverse("otp_verify"))


def test_i11_forged_session_cannot_skip_the_verify_page(client, reviewer):
    """The password alone is not enough even when the client fiddles with
    the query: the verify page's next does not leave the site either."""
    otp_device_for(reviewer)
    _login(client, "reviewer@ipa.example.jp")
    ok = client.post(reverse("otp_verify"), {"code": totp_code(), "next": "https://evil.example/"})
    assert ok["Location"] == reverse("home")


def test_i11_admin_lists_devices_in_japanese(client, ipa_admin, reviewer):
    otp_device_for(reviewer)
    client.force_login(ipa_admin)
    page = client.get("/admin/otp_totp/totpdevice/").content.decode()
    for english in ("TOTP device", "Last used", "Confirmed"):
        assert english not in page
    assert "認証アプリ" in page
