"""The whole registration journey in headless Chromium (Debian's chromium,
driven by Playwright; no browser download). Run with `pytest -m browser`.

sign-up → reviewer returns it → applicant fixes and resubmits → reviewer
accepts → provider logs in → downloads 申請書式1 → opened with openpyxl.
"""

import io
import os

import openpyxl
import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls made
# by the test itself are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import expect  # noqa: E402

from providers.models import Provider  # noqa: E402

from .conftest import confirm_signup_by_mail
from .conftest import login as _login
from .conftest import screenshot as _shot
from .factories import PASSWORD, ReviewerFactory  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_registration_journey_in_chromium(live_server, browser, tmp_path):
    base = live_server.url
    ReviewerFactory(email="reviewer@ipa.example.jp")
    applicant = browser.new_page(locale="ja-JP", viewport={"width": 1280, "height": 900})

    # 1. Sign-up with one mistake first: the page names the field.
    applicant.goto(f"{base}/register/")
    fields = {
        "#id_name": "ブラウザ大学",
        "#id_name_kana": "ブラウザダイガク",
        "#id_representative_name": "情報 太郎",  # half-width space: becomes U+3000 (P2)
        "#id_postal_code": "113-8663",
        "#id_address": "文京区本駒込2-28-8",
        "#id_contact_family_name": "髙橋",  # not JIS level 1/2: refused, 高 suggested
        "#id_contact_given_name": "花子",
        "#id_contact_department": "教務部",
        "#id_contact_tel": "03-1234-5678",
        "#id_contact_email": "hanako@browser.example.jp",
        "#id_contact_postal_code": "123-4567",
        "#id_contact_address": "横浜市中区本町1-2-3",
        "#id_password1": PASSWORD,
        "#id_password2": PASSWORD,
    }
    for selector, value in fields.items():
        applicant.fill(selector, value)
    applicant.select_option("#id_prefecture", "東京都")
    applicant.select_option("#id_contact_prefecture", "神奈川県")
    applicant.check("input[name=category][value=university]")
    applicant.check("input[name=referral][value=ipa_web]")
    applicant.check("#id_declaration")
    applicant.check("#id_agree_terms")
    applicant.click("button[type=submit]")
    summary = applicant.locator(".error-summary")
    expect(summary).to_contain_text("担当者")
    expect(summary).to_contain_text("「髙」は「高」で入力してください")
    # Nothing typed is lost; the half-width space was made full-width.
    expect(applicant.locator("#id_representative_name")).to_have_value("情報\u3000太郎")
    expect(applicant.locator("#id_contact_given_name")).to_have_value("花子")
    _shot(applicant, "01-signup-error")
    applicant.fill("#id_contact_family_name", "高橋")
    applicant.fill("#id_password1", PASSWORD)
    applicant.fill("#id_password2", PASSWORD)
    applicant.click("button[type=submit]")
    confirm_signup_by_mail(applicant, base, "hanako@browser.example.jp")
    expect(applicant.locator("h1")).to_have_text("登録申請を受け付けました")
    applicant.click("text=申請状況を確認する")
    status_url = applicant.url
    expect(applicant.locator(".badge")).to_have_text("審査待ち")

    # 2. The reviewer returns it with a reason for one field.
    reviewer = browser.new_page(locale="ja-JP", viewport={"width": 1280, "height": 900})
    _login(reviewer, base, "reviewer@ipa.example.jp")
    expect(reviewer.locator("h1")).to_have_text("講座開設者の登録申請")
    reviewer.click("text=ブラウザ大学")
    reviewer.fill("#id_reason", "部署名は正式名称（例：教務部 講座課）で入力してください。")
    reviewer.check("input[name=fields][value=contact_department]")
    reviewer.click("#return-button")
    expect(reviewer.locator(".messages")).to_contain_text("差し戻しました")

    # 3. The applicant sees the reason and the highlighted field, fixes, resubmits.
    applicant.goto(status_url)
    expect(applicant.locator(".returned")).to_contain_text("部署名は正式名称")
    expect(applicant.locator("#field-contact_department")).to_have_class("field highlighted")
    _shot(applicant, "02-returned")
    applicant.fill("#id_contact_department", "教務部 講座課")
    applicant.click("button[type=submit]")
    expect(applicant.locator(".messages")).to_contain_text("再提出しました")

    # 4. The reviewer sees what changed and accepts.
    reviewer.reload()
    expect(reviewer.locator(".changed")).to_contain_text("教務部 講座課")
    _shot(reviewer, "03-review-detail")
    reviewer.click("#accept-button")
    expect(reviewer.locator(".messages")).to_contain_text("講座開設者番号")
    number = Provider.objects.get(name="ブラウザ大学").number

    # 5. The provider logs in and downloads 申請書式1.
    applicant.goto(status_url)
    expect(applicant.locator(".status-card")).to_contain_text(number)
    _login(applicant, base, "hanako@browser.example.jp")
    expect(applicant.locator("h1")).to_contain_text("ブラウザ大学")
    _shot(applicant, "04-dashboard")
    applicant.click("button[data-doc=shoshiki_1]")
    link = applicant.locator("#download-link")
    expect(link).to_be_visible(timeout=15000)
    with applicant.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.startswith(f"({number})申請書式1：認定申請者情報申請書_")
    assert download.suggested_filename.endswith(".xlsx")
    target = tmp_path / "shoshiki1.xlsx"
    download.save_as(target)
    sheet = openpyxl.load_workbook(io.BytesIO(target.read_bytes())).active
    values = {c.value for row in sheet.iter_rows() for c in row if c.value}
    assert number in values
    assert "ブラウザダイガク" in values
    assert "教務部 講座課" in values

    # Phone-sized screen: the dashboard still reads.
    phone = browser.new_page(locale="ja-JP", viewport={"width": 390, "height": 844})
    phone.context.add_cookies(applicant.context.cookies())
    phone.goto(f"{base}/")
    _shot(phone, "05-dashboard-phone")
