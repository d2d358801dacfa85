"""Issue 11, item 5: under the Content-Security-Policy the pages still work in
headless Chromium — htmx polls and swaps the document progress fragment — and
Chromium reports no CSP violation on the main pages of each role (the demo).
Run with `pytest -m browser`."""

import io
import os

import pytest
from django.core.management import call_command
from django.utils import timezone

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import expect  # noqa: E402

from portal.models import GeneratedDocument  # noqa: E402
from providers.models import Provider  # noqa: E402

from .conftest import screenshot as _shot  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Every securitypolicyviolation event of the page, whatever its source.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def _watched_page(browser):
    page = browser.new_page(locale="ja-JP", viewport={"width": 1280, "height": 900})
    page.csp_console = []
    page.errors = []
    page.add_init_script(RECORD_VIOLATIONS)

    def on_console(message):
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            page.csp_console.append(text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


def _violations(page) -> list[str]:
    """What was reported since the last call."""
    found = page.evaluate("window.__cspViolations || []") + page.csp_console + page.errors
    page.csp_console.clear()
    page.errors.clear()
    return found


def _demo_password():
    from certifications.management.commands.load_demo import DEMO_PASSWORD

    return DEMO_PASSWORD


def test_i11_htmx_progress_page_works_under_the_csp(live_server, browser):
    call_command("load_demo", allow_without_debug=True, stdout=io.StringIO())
    base = live_server.url
    provider = Provider.objects.get(number="99991")
    page = _watched_page(browser)
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "hanako@ipa-daigaku.example.jp")
    page.fill("#id_password", _demo_password())
    page.click("button[type=submit]")
    page.wait_for_load_state()

    # A document still being made: the progress page polls with htmx.
    from django.contrib.contenttypes.models import ContentType

    generated = GeneratedDocument.objects.create(
        doc_type="shoshiki_1",
        content_type=ContentType.objects.get_for_model(Provider),
        object_id=str(provider.pk),
        status=GeneratedDocument.Status.PENDING,
    )
    page.goto(f"{base}/documents/{generated.pk}/")
    expect(page.locator("#doc-status")).to_contain_text("ファイルを作成しています")
    # htmx ran (it marks the element it processed) and sends its requests.
    with page.expect_response(lambda r: f"/documents/{generated.pk}/status/" in r.url) as polled:
        pass
    assert polled.value.status == 200
    assert polled.value.request.headers.get("hx-request") == "true"
    assert polled.value.request.headers.get("x-csrftoken")
    GeneratedDocument.objects.filter(pk=generated.pk).update(
        status=GeneratedDocument.Status.DONE,
        filename="申請書式1.xlsx",
        content=b"x",
        checksum="0" * 64,
        finished_at=timezone.now(),
    )
    # The next poll swaps the fragment in: the download link appears.
    expect(page.locator("#download-link")).to_be_visible(timeout=15000)
    _shot(page, "i11-csp-htmx-document-done")
    # htmx did not insert its indicator <style> (CSP style-src 'self').
    assert page.evaluate("document.querySelectorAll('style').length") == 0
    assert _violations(page) == []


ROLES = {
    "anonymous": None,
    "provider": "hanako@ipa-daigaku.example.jp",
    "reviewer": "reviewer@ipa.example.jp",
    "admin": "admin@ipa.example.jp",
}
ADMIN_PAGES = ["/admin/", "/admin/portal/auditentry/", "/admin/courses/exemptioncourse/"]


def test_i11_no_csp_violation_on_the_main_pages(live_server, browser):
    """Each role of the demo: the home page and every page of the header's
    menu (the admin: the admin site's index and two lists)."""
    call_command("load_demo", allow_without_debug=True, stdout=io.StringIO())
    base = live_server.url
    problems = {}
    visited = 0
    for role, email in ROLES.items():
        page = _watched_page(browser)
        if email:
            page.goto(f"{base}/accounts/login/")
            page.fill("#id_username", email)
            page.fill("#id_password", _demo_password())
            page.click("button[type=submit]")
            page.wait_for_load_state()
        page.goto(f"{base}/")
        links = page.eval_on_selector_all(
            ".global-nav a", "els => els.map(e => e.getAttribute('href'))"
        )
        if role == "admin":
            links += ADMIN_PAGES
        assert len(links) >= 3, role
        for href in dict.fromkeys(["/", *links]):
            page.goto(f"{base}{href}")
            page.wait_for_load_state("load")
            visited += 1
            if found := _violations(page):
                problems[(role, href)] = found
        page.close()
    assert problems == {}
    assert visited >= 25
