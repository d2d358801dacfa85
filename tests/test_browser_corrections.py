"""A completer correction in headless Chromium (R11, X2, X3; M§8.2, M§12.2.11):
the provider corrects a completer's kana on an accepted report (change
request, 至急) → files it → IPA finds it first in its queue and approves →
the corrected 申請書式4 is downloaded and read back with openpyxl."""

import os

import openpyxl
import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import expect  # noqa: E402

from .conftest import login as _login  # noqa: E402
from .conftest import screenshot as _shot  # noqa: E402
from .factories import MembershipFactory, ProviderFactory, ReviewerFactory  # noqa: E402
from .report_factories import accepted_report  # noqa: E402

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
    values = {
        c.value for row in openpyxl.load_workbook(target).active.iter_rows() for c in row if c.value
    }
    return download.suggested_filename, values


def test_r11_completer_correction_in_chromium(live_server, browser, tmp_path):
    base = live_server.url
    provider = ProviderFactory(number="99991", name="IPA大学", name_kana="アイピーエーダイガク")
    staff = MembershipFactory(
        provider=provider, is_contact=True, user__email="hanako@ipa-daigaku.example.jp"
    ).user
    reviewer = ReviewerFactory(email="reviewer@ipa.example.jp")
    report = accepted_report(provider, staff, reviewer)
    ichiro = report.completers.order_by("serial").first()
    number = f"99991 - FE2412 - {ichiro.serial:05d}"

    page = browser.new_page(locale="ja-JP", viewport={"width": 1280, "height": 900})
    _login(page, base, "hanako@ipa-daigaku.example.jp")

    # 1. From the accepted report: choose the completer, correct the kana on a copy.
    page.goto(f"{base}/exams/reports/{report.pk}/")
    expect(page.locator("#corrections")).to_contain_text("至急")
    page.check(f"input[name=c][value='{ichiro.pk}']")
    page.click("#start-correction")
    expect(page.locator("h1")).to_contain_text("修了認定者情報の訂正（変更申請）")
    expect(page.locator("#urgent-note")).to_contain_text("免除申請")
    page.fill(f"#id_c{ichiro.pk}-given_kana", "いちろー")  # hiragana: refused, kept
    page.click("#save-correction")
    expect(page.locator(".error-summary")).to_contain_text("99991-FE2412-00001")
    expect(page.locator(f"#id_c{ichiro.pk}-given_kana")).to_have_value("いちろー")
    page.fill(f"#id_c{ichiro.pk}-given_kana", "イチロー")
    page.fill("#id_reason", "本試験の申込みで免除申請がエラーになったため")
    page.click("#save-correction")
    expect(page.locator(".change-items")).to_contain_text("99991-FE2412-00001 名(カナ)")
    expect(page.locator(".change-items")).to_contain_text("イチロー")
    expect(page.locator("#urgent-note")).to_contain_text("至急")
    _shot(page, "90-correction-draft")
    change_url = page.url

    # The forms of the request (table 5.6-1): 申請書式4 as it reads after the correction.
    name, values = _download(page, "button[data-doc=change_shoshiki_4]", tmp_path / "c4.xlsx")
    assert name.startswith("(99991)申請書式4：修了認定報告書_")
    assert "イチロー" in values and number in values
    page.goto(change_url)
    name, values = _download(page, "button[data-doc=shoshiki_5]", tmp_path / "c5.xlsx")
    assert name.startswith("(99991)申請書式5：変更申請書_")
    assert "99991-FE2412-00001 名(カナ)" in values and "申請書式4" in values
    page.goto(change_url)

    page.click("#submit-change")
    expect(page.locator(".messages")).to_contain_text("到達番号")

    # 2. IPA: the urgent request is first in the queue; approve it.
    ipa = browser.new_page(locale="ja-JP", viewport={"width": 1280, "height": 900})
    _login(ipa, base, "reviewer@ipa.example.jp")
    ipa.goto(f"{base}/review/changes/")
    first = ipa.locator("table.list tbody tr").first
    expect(first).to_contain_text("至急")
    expect(first).to_contain_text("修了認定者情報の変更")
    first.locator("a").first.click()
    _shot(ipa, "91-correction-review")
    ipa.click("#approve-change")
    expect(ipa.locator(".messages")).to_contain_text("承認")

    # 3. The report's own 申請書式4 now shows the new kana, the number unchanged.
    page.goto(f"{base}/exams/reports/{report.pk}/")
    expect(page.locator("#completers")).to_contain_text("イチロー")
    name, values = _download(page, "button[data-doc=shoshiki_4]", tmp_path / "s4.xlsx")
    assert name.startswith("(99991)申請書式4：修了認定報告書_")
    assert "イチロー" in values and "イチロウ" not in values and number in values
    ichiro.refresh_from_db()
    assert ichiro.given_kana == "イチロー" and ichiro.management_number == "99991FE241200001"
