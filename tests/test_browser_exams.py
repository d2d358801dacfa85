"""The exam journey in headless Chromium (E2, F3, R1–R7, R13): apply for an
exam → payment confirmed → upload completers → fix the one reported error →
submit → download 申請書式4 and read it back with openpyxl."""

import datetime
import io
import os

import openpyxl
import pytest
from django.utils import timezone

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import expect  # noqa: E402

from calendars.models import ExamSession  # noqa: E402
from courses.models import DeliveryExam  # noqa: E402

from .conftest import login as _login  # noqa: E402
from .conftest import screenshot as _shot  # noqa: E402
from .course_factories import certified_course  # noqa: E402
from .factories import MembershipFactory, ProviderFactory, ReviewerFactory  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PEOPLE = [
    ("情報", "一郎", "ジョウホウ", "イチロウ", "1998/10/6", 60),
    ("情報", "二郎", "ジョウホウ", "ジロウ", "1997/5/22", 54),
    ("髙橋", "三郎", "タカハシ", "サブロウ", "1997/7/12", 52),  # 髙 is not JIS level 1/2
    ("情報", "四郎", "ｼﾞｮｳﾎｳ", "ｼﾛｳ", "1996/3/20", 57),  # half-width kana: normalised
    ("情報", "五郎", "ジョウホウ", "ゴロウ", "1997/4/9", 51),
]


def _xlsx(people) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(
        ["修了認定者管理番号", "姓(漢字)", "名(漢字)", "姓(カナ)", "名(カナ)", "生年月日", "点数"]
    )
    for n, row in enumerate(people, start=1):
        ws.append([n, *row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_exam_journey_in_chromium(live_server, browser, tmp_path):
    base = live_server.url
    now = timezone.now()
    provider = ProviderFactory(number="99991", name="IPA大学", name_kana="アイピーエーダイガク")
    staff = MembershipFactory(
        provider=provider, is_contact=True, user__email="hanako@ipa-daigaku.example.jp"
    ).user
    reviewer = ReviewerFactory(email="reviewer@ipa.example.jp")
    course = certified_course(provider, staff, reviewer)
    # The calendar row is set so that both windows can be open during the test.
    exam_day = timezone.localdate() - datetime.timedelta(days=3)
    session = ExamSession.objects.create(
        exam_date=exam_day, fiscal_year=2026, season="winter",
        application_opens_at=now - datetime.timedelta(hours=1), application_closes_at=now + datetime.timedelta(hours=3),
    )  # fmt: skip
    course.__class__.objects.filter(pk=course.pk).update(
        valid_until=exam_day + datetime.timedelta(days=365)
    )
    delivery = course.delivery_courses.get()
    delivery.__class__.objects.filter(pk=delivery.pk).update(
        end_date=exam_day - datetime.timedelta(days=1)
    )
    DeliveryExam.objects.filter(delivery_course=delivery).delete()
    DeliveryExam.objects.create(
        delivery_course=delivery, row="upper", slot=1, kind="ipa", session=session
    )

    page = browser.new_page(locale="ja-JP", viewport={"width": 1280, "height": 900})
    _login(page, base, "hanako@ipa-daigaku.example.jp")

    # 1. Apply (申請書式3): the site (structure prefilled from the course), then the application.
    page.goto(f"{base}/exams/{session.pk}/")
    page.click(f"a[href='/exams/{session.pk}/sites/new/']")
    expect(page.locator("#id_exam_site")).to_have_value("東京都文京区本駒込2-28-8")
    page.click("button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("運営実施体制を保存しました")
    page.fill("input[name=applicants]", "6")
    page.click("button[id^=add-application-]")
    page.click("button[id^=submit-site-]")
    expect(page.locator(".messages")).to_contain_text("問題提供料 12,000円")
    expect(page.locator(".receipt .receipt-number")).to_be_visible()  # 到達番号
    _shot(page, "20-exam-applied")

    # 2. Pay; IPA confirms (F3).
    page.goto(f"{base}/fees/")
    page.fill("#id_payment_date", timezone.localdate().isoformat())
    page.fill("#id_bank", "三菱UFJ銀行 本郷支店")
    page.click("text=入金確認依頼票を作成")
    expect(page.locator(".messages")).to_contain_text("入金確認依頼票を作成しました")
    reviewer_page = browser.new_page(locale="ja-JP", viewport={"width": 1280, "height": 900})
    _login(reviewer_page, base, "reviewer@ipa.example.jp")
    reviewer_page.goto(f"{base}/review/payments/")
    reviewer_page.fill("input[name=confirmed_on]", timezone.localdate().isoformat())
    reviewer_page.get_by_role("button", name="入金を確認", exact=True).click()
    expect(reviewer_page.locator(".messages")).to_contain_text("入金を")

    # The exam is held; IPA's calendar opens the report window (R1).
    ExamSession.objects.filter(pk=session.pk).update(
        report_opens_at=now - datetime.timedelta(hours=1),
        report_closes_at=now + datetime.timedelta(hours=3),
    )

    # 3. Report: examinees, then the completers by file; one bad row is named.
    page.goto(f"{base}/exams/{session.pk}/")
    page.click("text=結果を報告する")
    page.fill("#id_examinees", "5")
    page.fill("#id_certified_on", timezone.localdate().isoformat())
    page.click("#save-report")
    expect(page.locator(".messages")).to_contain_text("報告内容を保存しました")
    bad = tmp_path / "completers.xlsx"
    bad.write_bytes(_xlsx(PEOPLE))
    page.set_input_files("input[name=file]", str(bad))
    page.click("#upload-completers")
    errors = page.locator("#upload-errors")
    expect(errors).to_contain_text("4行目")
    expect(errors).to_contain_text("姓（漢字）")
    expect(errors).to_contain_text("髙")
    _shot(page, "21-upload-error")
    fixed = [("高橋", *PEOPLE[2][1:]) if n == 2 else p for n, p in enumerate(PEOPLE)]
    good = tmp_path / "completers-fixed.xlsx"
    good.write_bytes(_xlsx(fixed))
    page.go_back()  # from the preview back to the report page
    page.set_input_files("input[name=file]", str(good))
    page.click("#upload-completers")
    page.click("#confirm-upload")
    expect(page.locator(".messages")).to_contain_text("修了認定者を5名登録しました")
    expect(page.locator("body")).to_contain_text("99991-FE")
    page.check("#id_consent_confirmed")
    page.click("#save-report")
    page.click("#submit-report")
    expect(page.locator(".messages")).to_contain_text("修了試験結果を報告しました")
    expect(page.locator(".receipt .receipt-number")).to_be_visible()  # 到達番号
    _shot(page, "22-report-submitted")

    # 4. 申請書式4, read back with openpyxl.
    page.click("button[data-doc=shoshiki_4]")
    link = page.locator("#download-link")
    expect(link).to_be_visible(timeout=20000)
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.startswith("(99991)申請書式4：修了認定報告書_")
    target = tmp_path / "shoshiki4.xlsx"
    download.save_as(target)
    values = {
        c.value for row in openpyxl.load_workbook(target).active.iter_rows() for c in row if c.value
    }
    yymm = f"{exam_day:%y%m}"
    assert f"99991 - FE{yymm} - 00001" in values
    assert "高橋" in values and "ジョウホウ" in values and "シロウ" in values
