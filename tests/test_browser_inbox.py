"""A reviewer works IPA's inbox in headless Chromium (W2): filters the
payments of one provider, assigns one to a colleague, then confirms two
payments with one date in a batch; the one dated after that day is refused
with its reason."""

import datetime
import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import expect  # noqa: E402

from fees.models import FeeLine, PaymentRequest  # noqa: E402
from portal.models import Assignment, Notice  # noqa: E402

from .conftest import login as _login  # noqa: E402
from .conftest import screenshot as _shot  # noqa: E402
from .factories import ProviderFactory, ReviewerFactory  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
D = datetime.date


def _payment(provider, paid_on):
    request = PaymentRequest.objects.create(
        provider=provider, payment_date=paid_on, bank="三菱UFJ銀行 本郷支店",
        payer_name_kana=f"{provider.number}アイピーエーダイガク",
    )  # fmt: skip
    FeeLine.objects.create(provider=provider, kind="review", description=f"{provider.number}-001 講座",
                           unit_amount=35000, payment_request=request)  # fmt: skip
    return request


def test_w2_reviewer_filters_assigns_and_batch_confirms_payments_in_chromium(live_server, browser):
    base = live_server.url
    ipa_univ = ProviderFactory(number="99991", name="IPA大学")
    other = ProviderFactory(number="99992", name="情報専門学校")
    ReviewerFactory(email="reviewer@ipa.example.jp", family_name="審査", given_name="太郎")
    colleague = ReviewerFactory(
        email="colleague@ipa.example.jp", family_name="審査", given_name="花子"
    )
    first = _payment(ipa_univ, D(2024, 11, 11))
    second = _payment(ipa_univ, D(2024, 11, 12))
    later = _payment(ipa_univ, D(2024, 11, 25))
    elsewhere = _payment(other, D(2024, 11, 12))

    page = browser.new_page(locale="ja-JP", viewport={"width": 1400, "height": 900})
    _login(page, base, "reviewer@ipa.example.jp")
    page.click("nav >> text=受付箱")
    expect(page.locator("h1")).to_contain_text("受付箱")
    expect(page.locator("#inbox-table")).to_contain_text("情報専門学校")

    # 1. Filter: the payments of IPA大学.
    page.locator(".tabs a", has_text="入金確認依頼票").click()
    page.fill("input[name=provider]", "99991")
    page.click("#inbox-filters button[type=submit]")
    table = page.locator("#inbox-table")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table).not_to_contain_text("情報専門学校")
    _shot(page, "inbox-filtered")

    # 2. Assign the first payment to a colleague.
    row = page.locator(f"#item-payment-{first.pk}")
    row.locator("select[name=to]").select_option(str(colleague.pk))
    row.locator("button", has_text="割り当てる").click()
    expect(page.locator("main")).to_contain_text("審査　花子さんに担当を依頼し")
    expect(page.locator(f"#item-payment-{first.pk}")).to_contain_text("審査　花子")
    assert Assignment.objects.get().assignee == colleague
    assert Notice.objects.filter(recipient=colleague).count() == 1

    # 3. Batch: confirm three payments on 2024-11-20; the one paid on 11-25 is refused.
    for p in (first, second, later):
        page.locator(f"#item-payment-{p.pk} input[name=items]").check()
    page.fill("#batch-date", "2024-11-20")
    page.locator("#batch-form button[type=submit]").click()
    main = page.locator("main")
    expect(main).to_contain_text("2件の入金確認依頼票について入金を確認しました")
    expect(main).to_contain_text(f"#{later.pk}")
    expect(main).to_contain_text("入金日（2024年11月25日）以降の日付にしてください")
    assert page.confirmations, "the batch asks before it confirms"
    _shot(page, "inbox-batch-confirmed")
    for p, expected in (
        (first, D(2024, 11, 20)),
        (second, D(2024, 11, 20)),
        (later, None),
        (elsewhere, None),
    ):
        p.refresh_from_db()
        assert p.confirmed_on == expected
    # The refused payment and the other provider's remain waiting; filters are kept.
    expect(page.locator("#inbox-table tbody tr")).to_have_count(1)
    expect(page.locator(f"#item-payment-{later.pk}")).to_be_visible()
