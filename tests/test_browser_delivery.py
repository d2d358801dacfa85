"""A delivery-course deletion request in headless Chromium (D8, D9, X2, X3;
M§5.5, table 5.5-2): the provider opens 削除申請 on an approved delivery
course nobody applied for → sees the fixed texts of 申請書式5 → saves and
checks the request (確認画面) → downloads 申請書式2-添付書類2 with the ■ → files
it → IPA approves it from its queue → the course page shows 削除済み."""

import os

import openpyxl
import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import expect  # noqa: E402

from .conftest import login as _login  # noqa: E402
from .conftest import screenshot as _shot  # noqa: E402
from .course_factories import certified_course  # noqa: E402
from .factories import MembershipFactory, ProviderFactory, ReviewerFactory  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _download(page, selector, target):
    page.click(selector)
    link = page.locator("#download-link")
    expect(link).to_be_visible(timeout=20000)
    with page.expect_download() as info:
        link.click()
    download = info.value
    download.save_as(target)
    ws = openpyxl.load_workbook(target).active
    return download.suggested_filename, [[c.value for c in row] for row in ws.iter_rows()]


def test_d8_delivery_course_deletion_request_in_chromium(live_server, browser, tmp_path):
    base = live_server.url
    provider = ProviderFactory(number="99991", name="IPA大学", name_kana="アイピーエーダイガク")
    staff = MembershipFactory(
        provider=provider, is_contact=True, user__email="hanako@ipa-daigaku.example.jp"
    ).user
    reviewer = ReviewerFactory(email="reviewer@ipa.example.jp")
    course = certified_course(provider, staff, reviewer)
    delivery = course.delivery_courses.get()

    page = browser.new_page(locale="ja-JP", viewport={"width": 1280, "height": 900})
    _login(page, base, "hanako@ipa-daigaku.example.jp")

    # 1. The approved delivery course offers 変更申請 and 削除申請.
    page.goto(f"{base}/courses/{course.pk}/")
    row = page.locator("#deliveries tbody tr").first
    expect(row).to_contain_text("承認済み")
    row.locator("a", has_text="削除申請").click()
    expect(page.locator("h1")).to_contain_text(f"実施講座 {delivery.number} の削除申請")
    expect(page.locator("main")).to_contain_text("申請書式2-添付書類2、3に示す実施講座を削除")
    page.fill("#id_reason", "")
    page.click("#save-deletion")  # the reason is required: refused, nothing saved
    expect(page.locator(".error-summary")).to_contain_text("削除の理由")
    page.fill("#id_reason", "受講者0人のため開講しませんでした。")
    page.click("#save-deletion")

    # 2. The request (確認画面): the row of table 5.5-2 and its forms.
    expect(page.locator("h1")).to_contain_text("実施講座の削除")
    expect(page.locator(".change-items")).to_contain_text("実施講座")
    expect(page.locator(".change-items")).to_contain_text(
        "申請書式2-添付書類2、3に示す実施講座を削除"
    )
    _shot(page, "92-deletion-draft")
    change_url = page.url
    name, rows = _download(page, "button[data-doc=change_shoshiki_2_att_2]", tmp_path / "att2.xlsx")
    assert name.startswith("(99991)申請書式2-添付書類2：実施講座一覧表_")
    assert any("■" in row and delivery.number in row for row in rows)
    page.goto(change_url)
    page.click("#submit-change")
    expect(page.locator(".messages")).to_contain_text("到達番号")

    # 3. IPA approves it from its queue.
    ipa = browser.new_page(locale="ja-JP", viewport={"width": 1280, "height": 900})
    _login(ipa, base, "reviewer@ipa.example.jp")
    ipa.goto(f"{base}/review/changes/")
    first = ipa.locator("table.list tbody tr").first
    expect(first).to_contain_text("実施講座の削除")
    first.locator("a").first.click()
    _shot(ipa, "93-deletion-review")
    ipa.click("#approve-change")
    expect(ipa.locator(".messages")).to_contain_text("承認")

    # 4. The provider's course page: 削除済み, with its date; nothing to request any more.
    page.goto(f"{base}/courses/{course.pk}/")
    row = page.locator("#deliveries tbody tr").first
    expect(row).to_contain_text("削除済み")
    expect(row).to_contain_text("削除日")
    expect(row.locator("a", has_text="削除申請")).to_have_count(0)
    delivery.refresh_from_db()
    assert delivery.deleted_on is not None
