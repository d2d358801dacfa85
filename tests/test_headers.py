"""Issue 11, item 5 (headers and data hygiene): the Content-Security-Policy
(django-csp), Permissions-Policy, Cache-Control on personal data, the CSRF
cookie, the Japanese error pages and load_demo's refusal without DEBUG."""

import io
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
# Rendered for WeasyPrint only (PDF), never sent to a browser.
PRINTED = {
    "fees/pdf/fee_document.html",
    "certifications/certificate.html",
    "exams/examday/answer_sheet.html",
    "exams/examday/examday_sheet.html",
    "questions/question_pdf.html",
    "courses/registry_pdf.html",
}
DEMO_ROLES = {
    "anonymous": None,
    "provider": "hanako@ipa-daigaku.example.jp",
    "reviewer": "reviewer@ipa.example.jp",
    "admin": "admin@ipa.example.jp",
}
PAGES_PER_ROLE = 60


class InlineCode(HTMLParser):
    """Collects what the CSP would block: inline <script> (a JSON data block
    is not run), <style> elements, style="" and on…="" attributes and
    javascript: URLs."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and not attrs.get("src") and attrs.get("type") != "application/json":
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style>")
        for name, value in attrs.items():
            if re.fullmatch(r"on[a-z]+", name):
                self.found.append(f"{tag} {name}=")
            if name == "style":
                self.found.append(f'{tag} style="{value}"')
            if name in {"href", "src", "action"} and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"{tag} {name}=javascript:")
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])


def _inline(html: str) -> InlineCode:
    parser = InlineCode()
    parser.feed(html)
    return parser


def _directives(header: str) -> dict[str, str]:
    return {
        part.split()[0]: " ".join(part.split()[1:])
        for part in (p.strip() for p in header.split(";"))
        if part
    }


def test_i11_csp_templates_have_no_inline_script_style_or_handler():
    """Every template a browser gets (not the PDF ones) is CSP-clean as text."""
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        name = path.relative_to(ROOT / "templates").as_posix()
        if name in PRINTED or name.startswith("mail/"):
            continue
        text = path.read_text()
        for pattern in (
            r"<script(?![^>]*\bsrc=)[^>]*>",
            r"<style\b",
            r"\sstyle=",
            r"\son[a-z]+=",
            r"javascript:",
        ):
            if re.search(pattern, text):
                found.append((name, pattern))
    assert found == []


def _skip(path: str) -> bool:
    return (
        not path.startswith("/")
        or path.startswith(("/static/", "//"))
        or any(word in path for word in ("logout", "download", "/csv", "/pdf", "/xlsx"))
    )


def _crawl(client: Client, start: list[str]) -> dict[str, object]:
    """GET pages reachable by links from ``start`` (same site, one per path)."""
    seen: dict[str, object] = {}
    queue = list(start)
    while queue and len(seen) < PAGES_PER_ROLE:
        url = queue.pop(0)
        path = urlsplit(url).path
        if path in seen or _skip(url):
            continue
        response = client.get(url)
        seen[path] = response
        if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
            for link in _inline(response.content.decode()).links:
                link = link.split("#")[0]
                if link and urlsplit(link).path not in seen:
                    queue.append(link)
    return seen


@pytest.mark.django_db
def test_i11_csp_header_and_no_inline_code_on_every_role_s_demo_pages():
    call_command("load_demo", allow_without_debug=True, stdout=io.StringIO())
    User = get_user_model()
    problems = []
    visited = 0
    for role, email in DEMO_ROLES.items():
        client = Client()
        start = ["/", reverse("registry"), reverse("certificate_verify_form"), reverse("help")]
        if email:
            client.force_login(User.objects.get(email=email))
        if role == "admin":
            start.append(reverse("admin:index"))
        pages = _crawl(client, start)
        html_pages = {
            path: r
            for path, r in pages.items()
            if r.status_code == 200 and "text/html" in r.get("Content-Type", "")
        }
        assert len(html_pages) >= 5, (role, list(pages))
        visited += len(html_pages)
        for path, response in pages.items():
            csp = _directives(response.get("Content-Security-Policy", ""))
            if csp.get("script-src") != "'self'" or csp.get("frame-ancestors") != "'none'":
                problems.append((role, path, "CSP header", response.get("Content-Security-Policy")))
            if "camera=()" not in response.get("Permissions-Policy", ""):
                problems.append((role, path, "Permissions-Policy"))
            if email and "no-store" not in response.get("Cache-Control", ""):
                problems.append((role, path, "Cache-Control", response.get("Cache-Control")))
        for path, response in html_pages.items():
            for found in _inline(response.content.decode()).found:
                problems.append((role, path, found))
    assert problems == []
    assert visited >= 60


def test_i11_csp_policy_directives(client, db):
    response = client.get(reverse("login"))
    csp = _directives(response["Content-Security-Policy"])
    assert csp == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "font-src": "'self'",
        "connect-src": "'self'",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
        "base-uri": "'none'",
        "object-src": "'none'",
    }
    # htmx is told not to insert its indicator <style> nor to eval (CSP).
    html = response.content.decode()
    assert '"includeIndicatorStyles": false' in html and '"allowEval": false' in html


def test_i11_permissions_policy_header(client, db):
    header = client.get(reverse("login"))["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "interest-cohort"):
        assert f"{feature}=()" in header


# Cache-Control ----------------------------------------------------------------


def test_i11_no_store_on_a_logged_in_page(client, staff_a):
    client.force_login(staff_a)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_i11_no_store_on_a_logged_in_user_s_public_page(client, staff_a):
    """The registry shows the user's name in the header when logged in."""
    client.force_login(staff_a)
    assert "no-store" in client.get(reverse("registry"))["Cache-Control"]


def test_i11_public_pages_may_be_cached(client, db):
    # (the certificate check sets no-store itself: a code is looked up)
    for name in ("registry", "help"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert "no-store" not in response.get("Cache-Control", ""), name


def test_i11_no_store_on_anonymous_pages_not_listed_public(client, db):
    """E.g. the login page and a registration's status link (personal data
    without a login) are not in PUBLIC_CACHEABLE_URL_NAMES."""
    response = client.get(reverse("login"))
    assert "no-store" in response["Cache-Control"]
    missing = client.get("/register/status/no-such-token/")
    assert "no-store" in missing["Cache-Control"]


@pytest.mark.urls("tests.urls_i11")
def test_i11_no_store_on_a_download_with_personal_data(client, staff_a):
    """A download whose view sets no Cache-Control: private, no-store for the
    logged-in user and for an anonymous one (a token link) too."""
    client.force_login(staff_a)
    response = client.get("/i11/download/")
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert "no-store" in Client().get("/i11/download/")["Cache-Control"]


def test_i11_no_store_on_a_csv_download(client, staff_a):
    """Any response to a logged-in user, whatever the view, e.g. the registry
    CSV (public for anonymous visitors)."""
    client.force_login(staff_a)
    response = client.get(reverse("registry_csv"))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    anonymous = Client().get(reverse("registry_csv"))
    assert "no-store" not in anonymous.get("Cache-Control", "")


def test_i11_existing_no_store_is_left_as_it_is(client, staff_a):
    from django.http import HttpResponse

    from portal.middleware import NoStoreMiddleware

    def view(request):
        response = HttpResponse("x")
        response["Cache-Control"] = "no-store"
        return response

    request = client.get(reverse("home")).wsgi_request
    assert NoStoreMiddleware(view)(request)["Cache-Control"] == "no-store"


# The CSRF cookie ----------------------------------------------------------------


def test_i11_csrf_cookie_is_httponly_and_htmx_gets_the_token_from_an_attribute(client, db):
    response = client.get(reverse("login"))
    cookie = response.cookies["csrftoken"]
    assert cookie["httponly"] is True
    html = response.content.decode()
    assert re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"[A-Za-z0-9]{20,}\"\}'>", html)
    for path in (ROOT / "static" / "js").glob("*.js"):
        assert "cookie" not in path.read_text().lower(), path.name


# load_demo --------------------------------------------------------------------


@pytest.mark.django_db
def test_i11_load_demo_refuses_without_debug():
    from certifications.management.commands.load_demo import ALLOW_WITHOUT_DEBUG

    with pytest.raises(CommandError) as refused:
        call_command("load_demo", stdout=io.StringIO())
    message = str(refused.value)
    assert "DEBUG が無効" in message and "DEBUG is off" in message
    assert ALLOW_WITHOUT_DEBUG in message
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_i11_load_demo_runs_with_debug_or_the_flag(settings):
    settings.DEBUG = True
    call_command("load_demo", stdout=io.StringIO())
    assert get_user_model().objects.filter(email="admin@ipa.example.jp").exists()


def test_i11_load_demo_refusal_exits_nonzero(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.pop("DATABASE_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        SQLITE_PATH=str(tmp_path / "refused.sqlite3"),
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "load_demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode != 0
    assert "DEBUG が無効" in out.stderr


def test_i11_make_run_loads_the_demo_with_debug():
    makefile = (ROOT / "Makefile").read_text()
    assert "DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(PY) manage.py load_demo" in makefile


# Japanese error pages (DEBUG is off in settings_test) ----------------------------

ERROR_PAGES = {
    400: "要求を処理できませんでした",
    403: "このページを表示する権限がありません",
    404: "ページが見つかりません",
    500: "システムエラーが発生しました",
}
TECHNICAL = (
    "Traceback",
    "Exception",
    "SuspiciousOperation",
    "PermissionDenied",
    "Http404",
    "RuntimeError",
    "Server Error",
    "Bad Request",
    "Forbidden",
    "Not Found",
    "DEBUG",
)


def _assert_japanese_error_page(response, status):
    from tests.urls_i11 import SECRET

    assert response.status_code == status
    html = response.content.decode()
    assert f"<h1>{ERROR_PAGES[status]}</h1>" in html
    assert SECRET not in html
    for word in TECHNICAL:
        assert word not in html, (status, word)
    assert response["Content-Security-Policy"]


@pytest.mark.urls("tests.urls_i11")
@pytest.mark.parametrize("status", sorted(ERROR_PAGES))
@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "provider"])
def test_i11_error_pages_are_japanese(status, logged_in, staff_a):
    client = Client(raise_request_exception=False)
    if logged_in:
        client.force_login(staff_a)
    _assert_japanese_error_page(client.get(f"/i11/{status}/"), status)
    if logged_in:
        # The context processors ran (the header shows the menu) — except for
        # 500, which Django renders with no context at all.
        html = client.get(f"/i11/{status}/").content.decode()
        assert ("ログアウト" in html) is (status != 500)


def test_i11_unknown_url_is_the_japanese_404(client, db):
    _assert_japanese_error_page(client.get("/no-such-page/"), 404)
