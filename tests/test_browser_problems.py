"""E3/M§6.3–6.4 in headless Chromium: on the delivery date the named
recipient (a temporary account made at the application close) opens the
problems page, downloads the sample and the encrypted problems, and reads the
password on its confirmation page; IPA sees the downloads."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import expect  # noqa: E402

from exams import delivery  # noqa: E402

from .conftest import login as _login  # noqa: E402
from .conftest import screenshot as _shot  # noqa: E402
from .factories import PASSWORD, AdminFactory, MembershipFactory, ProviderFactory, ReviewerFactory  # noqa: E402
from .test_problem_delivery import AFTER_CLOSE, PDF, RECIPIENT, ROLES, D, _paid_site, _upload, clock  # noqa: E402, F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_e3_m6_3_recipient_downloads_problems_on_the_delivery_date(live_server, browser, clock):  # noqa: F811
    base = live_server.url
    provider = ProviderFactory(number="99991", name="IPA大学", name_kana="アイピーエーダイガク")
    staff = MembershipFactory(
        provider=provider, is_contact=True, user__email="hanako@ipa-daigaku.example.jp"
    ).user
    reviewer = ReviewerFactory(email="reviewer@ipa.example.jp")
    admin = AdminFactory(email="admin@ipa.example.jp")
    site = _paid_site(provider, staff, reviewer, clock, values={**ROLES, **RECIPIENT})
    _upload(admin, "sample", password="Sample_2024")
    _upload(admin, "problems", password="Kouza#Dec2024")
    (account,) = delivery.create_recipient_accounts(AFTER_CLOSE)
    account.user.set_password(PASSWORD)  # as the invitation link would
    account.user.save()
    clock.today = D(2024, 12, 4)  # the delivery date

    page = browser.new_page(accept_downloads=True)
    _login(page, base, account.user.email)
    page.click("#problem-list-link")
    expect(page.locator("h1")).to_have_text("修了試験問題の受取り")
    expect(page.locator(f"#problems-{site.pk}")).to_contain_text("2024年12月8日")
    _shot(page, "problems-recipient-list")
    for kind in ("sample", "problems"):
        with page.expect_download() as info:
            page.click(f"#download-{site.pk}-{kind}")
        download = info.value
        assert download.suggested_filename == f"{kind}.pdf"
        assert Path(download.path()).read_bytes() == PDF
    page.reload()
    expect(page.locator(f"#problems-{site.pk}")).to_contain_text("ダウンロード済み")
    page.click(f"#password-{site.pk}-problems")
    expect(page.locator("body")).not_to_contain_text("Kouza#Dec2024")
    page.click("#show-password")
    expect(page.locator("#problem-password")).to_have_text("Kouza#Dec2024")
    _shot(page, "problems-password")

    admin_page = browser.new_page()
    _login(admin_page, base, admin.email)
    admin_page.goto(f"{base}/review/exams/{site.session_id}/problems/")
    expect(admin_page.locator("#download-status")).to_contain_text("ダウンロード済み")
    expect(admin_page.locator("#download-status")).to_contain_text("受取\u3000三郎")
    _shot(admin_page, "problems-ipa-status")
