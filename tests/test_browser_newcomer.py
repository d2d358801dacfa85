"""Issue 7's "Done when" journey in headless Chromium, on the machine's real
date: an empty database, `manage.py load_demo` as a newcomer runs it (no
--today, no mocked clock), then every step in the browser — no admin edits and
no ORM writes in between (the ORM only reads values, e.g. a session's id):

sign-up → return → fix → accept; a new course by the demo provider up to its
submission; 入金確認依頼票 → payment confirmed; review, approval,
certification; an exam application in the demo's open application window; a
result report in the demo's open report window with an upload, a corrected
completer and its submission. Each submission shows its 到達番号 receipt."""

import datetime
import io
import os
import re
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.utils import timezone

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import expect  # noqa: E402

from calendars import rules as calendar_rules  # noqa: E402
from calendars.models import ExamSession  # noqa: E402
from certifications.management.commands.load_demo import DEMO_PASSWORD  # noqa: E402
from courses.models import ExemptionCourse, SyllabusItem  # noqa: E402
from courses.rules import (  # noqa: E402
    add_months,
    certification_end_date,
    consecutive_season_months,
    first_of_month,
    fiscal_year,
)
from exams.demo import APPLY_LABEL, REPORT_LABEL, labelled_sessions  # noqa: E402
from providers.models import Provider  # noqa: E402

from .conftest import confirm_signup_by_mail, login  # noqa: E402
from .conftest import screenshot as _shot  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
PEOPLE = [  # no serial column: the portal gives the next free serials (R4)
    ("情報", "一郎", "ジョウホウ", "イチロウ", "1998/10/6", 60),
    ("情報", "二郎", "ジョウホウ", "ジロウ", "1997/5/22", 54),
    ("高橋", "三郎", "タカハシ", "サブロウ", "1997/7/12", 52),
    ("情報", "四郎", "ジョウホウ", "シロウ", "1996/3/20", 57),
]


def _page(browser, viewport=WIDE):
    return browser.new_page(locale="ja-JP", viewport=viewport)


def _login(page, base, email):
    login(page, base, email, DEMO_PASSWORD)  # with the second factor for IPA staff
    expect(page.locator("button:has-text('ログアウト')")).to_be_visible()


def _phone_shot(browser, signed_in, url, name):
    """The same page on a 390 px phone, signed in as ``signed_in``'s user."""
    phone = _page(browser, PHONE)
    phone.context.add_cookies(signed_in.context.cookies())
    phone.goto(url)
    _shot(phone, name)
    phone.close()


def _expect_receipt(page):
    receipt = page.locator(".receipt").first
    expect(receipt).to_be_visible()
    expect(receipt.locator(".receipt-number")).to_have_text(re.compile(r"^[A-Z]\d{4}-\d{6}$"))
    expect(receipt).to_contain_text("到達日時")


def _plan_workbook(total: Decimal) -> bytes:
    items = list(SyllabusItem.objects.filter(active=True))
    each = (total / len(items)).quantize(Decimal("0.01"))  # C6: two decimals
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


def _completers_workbook(people) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓(漢字)", "名(漢字)", "姓(カナ)", "名(カナ)", "生年月日", "点数"])
    for row in people:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _season_pair(after: datetime.date, until: datetime.date):
    """The first June/July or December/January pair of published exams (D4)
    with the first exam after ``after`` and the second by ``until``."""
    sessions = list(
        ExamSession.objects.filter(published=True, exam_date__gt=after, exam_date__lte=until)
        .order_by("exam_date")
    )  # fmt: skip
    for first in sessions:
        for second in sessions:
            if consecutive_season_months(first.exam_date, second.exam_date):
                return first, second
    raise AssertionError("the demo has no coming pair of exams")


def _open_session(label, opens, closes, now):
    for session in labelled_sessions(label):
        if calendar_rules.window_is_open(getattr(session, opens), getattr(session, closes), now):
            return session
    raise AssertionError(f"the demo has no session labelled {label} open now")


def test_newcomer_journey_from_an_empty_database_on_todays_date(live_server, browser, tmp_path):
    base = live_server.url
    assert not Provider.objects.exists()
    call_command("load_demo", allow_without_debug=True, stdout=io.StringIO())
    today = timezone.localdate()

    # 1. Sign-up of a new provider.
    applicant = _page(browser)
    applicant.goto(f"{base}/register/")
    fields = {
        "#id_name": "新規情報専門学校",
        "#id_name_kana": "シンキジョウホウセンモンガッコウ",
        "#id_representative_name": "新規 太郎",  # half-width space: becomes U+3000 (P2)
        "#id_postal_code": "113-8663",
        "#id_address": "文京区本駒込2-28-8",
        "#id_contact_family_name": "新規",
        "#id_contact_given_name": "花子",
        "#id_contact_department": "教務部",
        "#id_contact_tel": "03-1234-5678",
        "#id_contact_email": "hanako@shinki.example.jp",
        "#id_contact_postal_code": "123-4567",
        "#id_contact_address": "横浜市中区本町1-2-3",
        "#id_password1": "Shinki-Pass-2026",
        "#id_password2": "Shinki-Pass-2026",
    }
    for selector, value in fields.items():
        applicant.fill(selector, value)
    applicant.select_option("#id_prefecture", "東京都")
    applicant.select_option("#id_contact_prefecture", "神奈川県")
    applicant.check("input[name=category][value=vocational]")
    applicant.check("input[name=referral][value=ipa_web]")
    applicant.check("#id_declaration")
    applicant.check("#id_agree_terms")
    applicant.click("button[type=submit]")
    confirm_signup_by_mail(applicant, base, "hanako@shinki.example.jp")
    expect(applicant.locator("h1")).to_have_text("登録申請を受け付けました")
    _expect_receipt(applicant)
    _shot(applicant, "n01-signup-receipt")
    _phone_shot(browser, applicant, applicant.url, "n01-signup-receipt-phone")
    applicant.click("text=申請状況を確認する")
    status_url = applicant.url
    expect(applicant.locator(".badge").first).to_have_text("審査待ち")

    # 2. The reviewer returns it.
    reviewer = _page(browser)
    _login(reviewer, base, "reviewer@ipa.example.jp")
    reviewer.goto(f"{base}/review/registrations/")
    reviewer.click("text=新規情報専門学校")
    expect(reviewer.locator("body")).to_contain_text("新規\u3000太郎")
    reviewer.fill("#id_reason", "部署名は正式名称（例：教務部 講座課）で入力してください。")
    reviewer.check("input[name=fields][value=contact_department]")
    reviewer.click("#return-button")
    expect(reviewer.locator(".messages")).to_contain_text("差し戻しました")

    # 3. The applicant fixes it through the status link and resubmits.
    applicant.goto(status_url)
    expect(applicant.locator(".returned")).to_contain_text("部署名は正式名称")
    _phone_shot(browser, applicant, status_url, "n02-registration-returned-phone")
    applicant.fill("#id_contact_department", "教務部 講座課")
    applicant.click("button[type=submit]")
    expect(applicant.locator(".messages")).to_contain_text("再提出しました")
    _expect_receipt(applicant)

    # 4. The reviewer sees the change and accepts.
    reviewer.reload()
    expect(reviewer.locator(".changed")).to_contain_text("教務部 講座課")
    _shot(reviewer, "n03-registration-review")
    reviewer.click("#accept-button")
    expect(reviewer.locator(".messages")).to_contain_text("講座開設者番号")
    number = Provider.objects.get(name="新規情報専門学校").number
    applicant.goto(status_url)
    expect(applicant.locator(".status-card")).to_contain_text(number)

    # 5. A new course by the demo provider, up to its submission.
    page = _page(browser)
    _login(page, base, "hanako@ipa-daigaku.example.jp")
    _shot(page, "n04-demo-dashboard")
    _phone_shot(browser, page, f"{base}/", "n04-demo-dashboard-phone")
    desired = add_months(first_of_month(today), 3)  # C8: the month after next at the earliest
    valid_until = certification_end_date(desired)
    course_name = f"{fiscal_year(desired)}-{fiscal_year(valid_until)}年度講座N"
    page.goto(f"{base}/courses/new/")
    page.check("input[name=course_type][value=NONE_IPA]")
    page.fill("#id_name", course_name)
    page.fill("#id_attendance_ratio", "70%")
    page.fill("#id_total_hours", "100.0")
    page.fill("#id_desired_month", f"{desired:%Y-%m}")
    page.click("button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("を一時保存しました")
    course = ExemptionCourse.objects.get(name=course_name)

    sheet = tmp_path / "jukou.xlsx"
    sheet.write_bytes(_plan_workbook(Decimal("100")))
    page.set_input_files("input[name=file]", str(sheet))
    page.click("#import-plan")
    expect(page.locator(".messages")).to_contain_text("項目を読み込みました")
    expect(page.locator("#plan-total")).to_have_text("100.00")
    _shot(page, "n05-course-plan")
    _phone_shot(browser, page, page.url, "n05-course-plan-phone")

    page.goto(f"{base}/courses/{course.pk}/materials/")
    page.fill("#id_m-0-name", "FE試験対策（〇〇編）")
    page.fill("#id_m-0-publisher", "IPA出版")
    page.fill("#id_m-0-edition", "第2版")
    page.fill("#id_m-0-published_on", "2026-02-02")
    page.click("button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("保存しました")
    page.goto(f"{base}/courses/{course.pk}/structure/")
    for name, value in (("exam_site", "東京都文京区本駒込2-28-8"), ("manager", "情報 太郎 教務部"),
                        ("manager_deputy", "情報 花子"), ("electronic_keeper", "情報 花子 教務部"),
                        ("printer", "情報 花子 教務部"), ("printed_keeper", "情報 花子 教務部"),
                        ("storage_method", "金庫、鍵は情報 太郎"), ("exam_executive", "情報 太郎 教務部"),
                        ("grading_lead", "情報 太郎 教務部")):  # fmt: skip
        page.fill(f"#id_{name}", value)
    page.click("button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("運営実施体制を保存しました")

    # The delivery course sits a coming pair of the demo's exams (D2–D4).
    first, second = _season_pair(desired + datetime.timedelta(days=30), valid_until)
    page.goto(f"{base}/courses/{course.pk}/deliveries/new/")
    page.fill("#id_name", f"{fiscal_year(desired)}年度実施講座{desired.month}月コースN")
    page.select_option("#id_prefecture", "東京都")
    page.fill("#id_address", "文京区本駒込2-28-8")
    page.fill("#id_expected_learners", "20")
    page.fill("#id_start_date", desired.isoformat())
    page.fill("#id_end_date", (first.exam_date - datetime.timedelta(days=1)).isoformat())
    page.fill("#id_instructors", "講師名：情報 太郎")
    page.check("#id_committee_declaration")
    page.select_option("#id_upper_1_session", str(first.pk))
    page.select_option("#id_upper_2_session", str(second.pk))
    page.click("button[type=submit]")
    expect(page.locator(".messages")).to_contain_text(f"{course.number}-001 を一時保存しました")
    expect(page.locator("#checklist")).to_contain_text("申請に必要な内容はそろっています")
    _shot(page, "n06-course-checklist")
    page.click("#submit-course")
    expect(page.locator(".messages")).to_contain_text("申請書データを確定しました")
    assert any(course.number in q for q in page.confirmations)
    _expect_receipt(page)
    _shot(page, "n07-course-submitted")
    _phone_shot(browser, page, page.url, "n07-course-submitted-phone")

    # 6. Fee: 入金確認依頼票 for this course only; the reviewer confirms it.
    page.goto(f"{base}/fees/")
    for box in page.locator("input[name=lines]").all():
        box.uncheck()
    page.check(f"input[name=lines][aria-label*='{course.number}']")
    page.fill("#id_payment_date", today.isoformat())
    page.fill("#id_bank", "三菱UFJ銀行 本郷支店")
    page.click("text=入金確認依頼票を作成")
    expect(page.locator(".messages")).to_contain_text("入金確認依頼票を作成しました")
    reviewer.goto(f"{base}/review/payments/")
    row = reviewer.locator("tr", has_text=course.number)
    row.locator("input[name=confirmed_on]").fill(today.isoformat())
    _shot(reviewer, "n08-payment-queue")
    row.get_by_role("button", name="入金を確認", exact=True).click()
    expect(reviewer.locator(".messages")).to_contain_text("入金を")

    # 7. Review, approve, certify on the date the page offers (C8).
    reviewer.goto(f"{base}/review/courses/{course.pk}/")
    reviewer.click("#start-review")
    reviewer.click("#approve-course")
    expect(reviewer.locator(".messages")).to_contain_text("承認しました")
    on = datetime.date.fromisoformat(reviewer.locator("input[name=on]").input_value())
    assert on == desired
    reviewer.click("#certify-course")
    expect(reviewer.locator(".messages")).to_contain_text(
        f"{on.year}年{on.month}月{on.day}日付で認定しました"
    )
    _shot(reviewer, "n09-course-certified")
    page.goto(f"{base}/courses/{course.pk}/")
    expect(page.locator("a.certificate-download[data-version='1']")).to_be_visible()
    _phone_shot(browser, page, page.url, "n09-course-certified-phone")

    # 8. An exam application inside the demo's open application window (E2).
    now = timezone.now()
    apply_session = _open_session(APPLY_LABEL, "application_opens_at", "application_closes_at", now)
    page.goto(f"{base}/exams/{apply_session.pk}/")
    page.click(f"a[href='/exams/{apply_session.pk}/sites/new/']")
    page.click("button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("運営実施体制を保存しました")
    page.fill("input[name=applicants]", "10")
    page.click("button[id^=add-application-]")
    page.click("button[id^=submit-site-]")
    expect(page.locator(".messages")).to_contain_text("問題提供料 20,000円")
    _expect_receipt(page)
    _shot(page, "n10-exam-applied")
    _phone_shot(browser, page, page.url, "n10-exam-applied-phone")

    # 9. The result report in the demo's open report window (already paid).
    report_session = _open_session(REPORT_LABEL, "report_opens_at", "report_closes_at", now)
    page.goto(f"{base}/exams/{report_session.pk}/")
    page.click("button:has-text('結果を報告する')")
    page.fill("#id_examinees", "4")
    page.fill("#id_certified_on", today.isoformat())
    page.click("#save-report")
    expect(page.locator(".messages")).to_contain_text("報告内容を保存しました")
    upload = tmp_path / "completers.xlsx"
    upload.write_bytes(_completers_workbook(PEOPLE))
    page.set_input_files("input[name=file]", str(upload))
    page.click("#upload-completers")
    page.click("#confirm-upload")
    expect(page.locator(".messages")).to_contain_text("修了認定者を4名登録しました")
    report_url = page.url

    # A completer corrected in place (R3): 開く → edit → 更新.
    page.locator("tr", has_text="四郎").locator("a:has-text('開く')").click()
    expect(page.locator("#id_given_kana")).to_have_value("シロウ")
    page.fill("#id_given_kana", "シロオ")
    _shot(page, "n11-completer-edit")
    page.click("#update-completer")
    expect(page.locator(".messages")).to_contain_text("更新しました")
    expect(page.locator("tr", has_text="四郎")).to_contain_text("シロオ")

    page.check("#id_consent_confirmed")
    page.click("#save-report")
    page.click("#submit-report")
    expect(page.locator(".messages")).to_contain_text("修了試験結果を報告しました")
    _expect_receipt(page)
    _shot(page, "n12-report-submitted")
    _phone_shot(browser, page, report_url, "n12-report-submitted-phone")
