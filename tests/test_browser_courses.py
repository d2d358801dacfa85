"""The course journey in headless Chromium (C1–C16, D1–D7, F1–F3):
provider applies (course + delivery course, study plan imported from Excel) →
reviewer returns it → provider fixes → fee paid and confirmed → approve →
certify → provider downloads the certificate PDF."""

import datetime
import io
import os
import subprocess
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import expect  # noqa: E402

from calendars.models import ExamSession  # noqa: E402
from courses.models import ExemptionCourse, SyllabusItem  # noqa: E402

from .conftest import login as _login  # noqa: E402
from .conftest import screenshot as _shot  # noqa: E402
from .factories import MembershipFactory, ProviderFactory, ReviewerFactory  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _plan_workbook(total: Decimal) -> bytes:
    """The provider's own 受講計画シート, as 別紙11 lays it out."""
    items = list(SyllabusItem.objects.filter(active=True))
    each = (total / len(items)).quantize(Decimal("0.1"))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "受講計画"
    ws.append(["免除対象講座 管理責任者", "情報\u3000次郎"])
    ws.append(
        ["分野", "項目", "小分類", "管理番号", "教材の名称", "授業名", "実施予定", "受講時間(h)"]
    )
    for n, item in enumerate(items):
        hours = each if n else total - each * (len(items) - 1)
        ws.append([item.field, item.item, item.sub_item, f"({item.code})", "FE試験対策（〇〇編）",
                   "IT基礎", f"第{n + 1:02d}回", float(hours)])  # fmt: skip
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_course_journey_in_chromium(live_server, browser, tmp_path):
    base = live_server.url
    for day, fy, season in (
        (datetime.date(2027, 6, 13), 2027, "summer"),
        (datetime.date(2027, 7, 25), 2027, "summer"),
    ):
        ExamSession.objects.get_or_create(
            exam_date=day, defaults={"fiscal_year": fy, "season": season}
        )
    provider = ProviderFactory(number="99991", name="IPA大学", name_kana="アイピーエーダイガク")
    MembershipFactory(
        provider=provider, is_contact=True, user__email="hanako@ipa-daigaku.example.jp"
    )
    ReviewerFactory(email="reviewer@ipa.example.jp")
    page = browser.new_page(locale="ja-JP", viewport={"width": 1280, "height": 900})
    _login(page, base, "hanako@ipa-daigaku.example.jp")

    # 1. The course (type fixed on the first save).
    page.goto(f"{base}/courses/new/")
    page.check("input[name=course_type][value=NONE_IPA]")
    page.fill("#id_name", "2027-2028年度講座A")
    page.fill("#id_attendance_ratio", "60%")  # C4: refused
    page.fill("#id_total_hours", "100.0")
    page.fill("#id_desired_month", "2027-02")
    page.click("button[type=submit]")
    expect(page.locator(".error-summary")).to_contain_text("3分の2以上")
    page.fill("#id_attendance_ratio", "70%")
    page.click("button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("99991-001 を一時保存しました")
    course = ExemptionCourse.objects.get()

    # 2. Study plan from the provider's own Excel sheet.
    sheet = tmp_path / "jukou.xlsx"
    sheet.write_bytes(_plan_workbook(Decimal("100.0")))
    page.set_input_files("input[name=file]", str(sheet))
    page.click("#import-plan")
    expect(page.locator(".messages")).to_contain_text(
        f"{SyllabusItem.objects.count()}項目を読み込みました"
    )
    expect(page.locator("#plan-total")).to_have_text("100.00")  # C6: two decimals
    _shot(page, "10-course-plan")

    # 3. Materials, operation structure, delivery course.
    page.goto(f"{base}/courses/{course.pk}/materials/")
    page.fill("#id_m-0-name", "FE試験対策（〇〇編）")
    page.fill("#id_m-0-publisher", "IPA出版")
    page.fill("#id_m-0-edition", "第2版")
    page.fill("#id_m-0-published_on", "2026-02-02")
    page.click("button[type=submit]")
    page.goto(f"{base}/courses/{course.pk}/structure/")
    for name, value in (("exam_site", "東京都文京区本駒込2-28-8"), ("manager", "情報 太郎 教務部"),
                        ("manager_deputy", "情報 花子"), ("electronic_keeper", "情報 花子 教務部"),
                        ("printer", "情報 花子 教務部"), ("printed_keeper", "情報 花子 教務部"),
                        ("storage_method", "金庫、鍵は情報 太郎"), ("exam_executive", "情報 太郎 教務部"),
                        ("grading_lead", "情報 太郎 教務部")):  # fmt: skip
        page.fill(f"#id_{name}", value)
    page.click("button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("運営実施体制を保存しました")
    page.goto(f"{base}/courses/{course.pk}/deliveries/new/")
    page.fill("#id_name", "2026年度実施講座2月コースA")
    page.select_option("#id_prefecture", "東京都")
    page.fill("#id_address", "文京区本駒込2-28-8")
    page.fill("#id_expected_learners", "20")
    page.fill("#id_start_date", "2027-02-01")
    page.fill("#id_end_date", "2027-06-12")
    page.fill("#id_instructors", "講師名：情報 太郎")
    page.check("#id_committee_declaration")
    page.select_option("#id_upper_1_session", label="2027年6月13日（2027年度）")
    page.select_option("#id_upper_2_session", label="2027年7月25日（2027年度）")
    page.click("button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("99991-001-001 を一時保存しました")
    expect(page.locator("#checklist")).to_contain_text("申請に必要な内容はそろっています")
    _shot(page, "11-course-checklist")
    page.click("#submit-course")
    expect(page.locator(".messages")).to_contain_text("申請書データを確定しました")
    expect(page.locator(".receipt .receipt-number").first).to_contain_text("-")  # 到達番号
    assert any("確定" in q for q in page.confirmations)  # asked once before submitting

    # 4. The reviewer returns it.
    reviewer = browser.new_page(locale="ja-JP", viewport={"width": 1280, "height": 900})
    _login(reviewer, base, "reviewer@ipa.example.jp")
    reviewer.goto(f"{base}/review/courses/")
    reviewer.click("text=99991-001")
    reviewer.fill("#id_reason", "講座名に民間資格を含めないでください。")
    reviewer.fill("#id_reason_course", "名称を「2027-2028年度講座A（本科）」としてください。")
    reviewer.click("#return-course")
    expect(reviewer.locator(".messages")).to_contain_text("差し戻しました")

    # 5. The provider fixes and resubmits.
    page.goto(f"{base}/courses/{course.pk}/")
    expect(page.locator(".returned")).to_contain_text("2027-2028年度講座A（本科）")
    page.goto(f"{base}/courses/{course.pk}/edit/")
    page.fill("#id_name", "2027-2028年度講座A（本科）")
    page.click("button[type=submit]")
    page.click("#submit-course")
    expect(page.locator(".messages")).to_contain_text("再申請しました")
    expect(page.locator(".receipt details")).to_contain_text("2回")

    # 6. Fee: 入金確認依頼票, then IPA confirms the payment (F2, F3).
    page.goto(f"{base}/fees/")
    expect(page.locator("body")).to_contain_text("普通預金 14487")
    page.fill("#id_payment_date", timezone.localdate().isoformat())
    page.fill("#id_bank", "三菱UFJ銀行 本郷支店")
    page.click("text=入金確認依頼票を作成")
    expect(page.locator(".messages")).to_contain_text("入金確認依頼票を作成しました")
    reviewer.goto(f"{base}/review/payments/")
    reviewer.fill("input[name=confirmed_on]", timezone.localdate().isoformat())
    reviewer.get_by_role("button", name="入金を確認", exact=True).click()
    expect(reviewer.locator(".messages")).to_contain_text("入金を")

    # 7. Review, approve, certify on the 1st.
    reviewer.goto(f"{base}/review/courses/{course.pk}/")
    reviewer.click("#start-review")
    reviewer.click("#approve-course")
    expect(reviewer.locator(".messages")).to_contain_text("承認しました")
    reviewer.fill("input[name=on]", "2027-02-01")
    reviewer.click("#certify-course")
    expect(reviewer.locator(".messages")).to_contain_text("2027年2月1日付で認定しました")
    _shot(reviewer, "12-review-certified")

    # 8. The provider downloads the certificate.
    page.goto(f"{base}/courses/{course.pk}/")
    link = page.locator("a.certificate-download[data-version='1']")  # C12: stored as issued
    expect(link).to_be_visible()
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.startswith("(99991)基本情報技術者試験免除対象講座認定証_")
    target = tmp_path / "certificate.pdf"
    download.save_as(target)
    text = subprocess.run(
        ["pdftotext", "-layout", str(target), "-"], capture_output=True, check=True
    ).stdout.decode()
    assert "2027-2028年度講座A（本科）" in text
    assert "2029年1月31日" in text  # C11: 2 years less a day
    assert "99991-001-001" in text
