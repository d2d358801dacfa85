"""申請書式1 (P1) rendered as .xlsx, and its file name (W3)."""

import datetime
import io

import openpyxl
import pytest

from portal import documents
from providers.documents import SHOSHIKI_1, SHOSHIKI_1_CELLS, render_shoshiki_1, shoshiki_1_data
from providers.models import Provider

MANUAL_EXAMPLE = {
    "number": "99991",
    "name": "ＩＰＡ大学",
    "name_kana": "アイピーエーダイガク",
    "representative_name": "情報\u3000太郎",
    "contact_family_name": "情報",
    "contact_given_name": "花子",
    "contact_department": "○○○部△△△課",
    "contact_tel": "999-999-9999",
    "contact_fax": "000-000-0000",
    "contact_email": "kouza@ipa.go.jp",
    "contact_postal_code": "123-4567",
    "contact_prefecture": "神奈川県",
    "contact_address": "○○市○○区○○○○1-2-3",
    "postal_code": "123-4567",
    "prefecture": "東京都",
    "address": "文京区本駒込2-28-8",
    "category": "university",
    "referral": "ipa_web",
    "application_date": datetime.date(2017, 10, 3),
    "declaration": True,
}


@pytest.fixture
def provider():
    p = Provider(**MANUAL_EXAMPLE)
    p.save()
    return p


def _sheet(data: bytes):
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["申請書式1"]
    return wb["申請書式1"]


def _value(ws, key):
    return ws[SHOSHIKI_1_CELLS[key]].value


@pytest.mark.django_db
def test_p1_xlsx_holds_the_manual_example_values(provider):
    ws = _sheet(render_shoshiki_1(provider))

    assert ws["A1"].value == "申請書式1"
    assert str(_value(ws, "form_version")).startswith("Ver.")
    assert _value(ws, "date") == "2017年10月3日"
    assert _value(ws, "address") == "〒123-4567\u3000東京都文京区本駒込2-28-8"
    assert _value(ws, "name") == "ＩＰＡ大学"
    assert _value(ws, "representative_name") == "情報\u3000太郎"
    assert _value(ws, "number") == "99991"
    assert _value(ws, "name_kana") == "アイピーエーダイガク"
    assert _value(ws, "name_kanji") == "ＩＰＡ大学"
    assert _value(ws, "contact_family_name") == "情報"
    assert _value(ws, "contact_given_name") == "花子"
    assert _value(ws, "contact_department") == "○○○部△△△課"
    assert _value(ws, "contact_tel") == "999-999-9999"
    assert _value(ws, "contact_fax") == "000-000-0000"
    assert _value(ws, "contact_email") == "kouza@ipa.go.jp"
    assert _value(ws, "contact_postal_code") == "123-4567"
    assert _value(ws, "contact_prefecture") == "神奈川県"
    assert _value(ws, "contact_address") == "○○市○○区○○○○1-2-3"
    category = _value(ws, "category")
    assert "●大学" in category
    assert "○高等学校" in category
    assert category.count("●") == 1
    referral = _value(ws, "referral")
    assert "●当機構HP" in referral
    assert "○当機構からのDM（\u3000年\u3000月頃）" in referral
    assert "○御紹介" in referral
    assert _value(ws, "remarks") in (None, "")

    texts = {cell.value for row in ws.iter_rows() for cell in row if cell.value}
    assert "基本情報技術者試験免除対象講座の申請者(講座開設者)情報の申請書" in texts
    assert "氏名のみで間に全角スペースを入れてください。" in texts
    assert "担当者連絡先" in texts


@pytest.mark.django_db
def test_p1_xlsx_prints_on_one_a4_portrait_page(provider):
    ws = _sheet(render_shoshiki_1(provider))

    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
    assert ws.page_setup.orientation == "portrait"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert int(ws.page_setup.fitToWidth) == 1
    assert int(ws.page_setup.fitToHeight) == 1
    assert ws.print_area
    assert ws[SHOSHIKI_1_CELLS["contact_tel"]].border.left.style == "thin"


@pytest.mark.django_db
def test_p1_rendering_is_deterministic_and_follows_the_data(provider):
    first = render_shoshiki_1(provider)
    assert render_shoshiki_1(provider) == first
    version = SHOSHIKI_1.data_version(provider)
    assert isinstance(shoshiki_1_data(provider)["application_date"], str)

    provider.contact_tel = "03-1234-5678"
    changed = render_shoshiki_1(provider)
    assert changed != first
    assert SHOSHIKI_1.data_version(provider) != version
    assert _value(_sheet(changed), "contact_tel") == "03-1234-5678"


@pytest.mark.django_db
def test_p1_dm_referral_shows_year_and_month(provider):
    provider.referral = "ipa_dm"
    provider.referral_dm_year = 2024
    provider.referral_dm_month = 5
    referral = _value(_sheet(render_shoshiki_1(provider)), "referral")

    assert "●当機構からのDM（2024年5月頃）" in referral
    assert "○当機構HP" in referral


@pytest.mark.django_db
def test_p1_category_marks_only_the_chosen_one(provider):
    provider.category = "company"
    category = _value(_sheet(render_shoshiki_1(provider)), "category")

    assert "●企業" in category
    assert "○大学" in category


def test_w3_file_name_uses_provider_number_title_and_jst_time(settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    at = datetime.datetime(2026, 11, 21, 5, 22, 33, tzinfo=datetime.UTC)

    assert (
        SHOSHIKI_1.filename(Provider(number="99991"), at)
        == "(99991)申請書式1：認定申請者情報申請書_20261121_142233.xlsx"
    )


def test_w3_shoshiki_1_is_registered():
    assert documents.get("shoshiki_1") is SHOSHIKI_1
    assert SHOSHIKI_1.model_class() is Provider
    assert SHOSHIKI_1.mime_type == documents.XLSX_MIME


@pytest.mark.django_db
def test_w3_only_reviewers_and_the_providers_staff_may_download(provider, django_user_model):
    from django.contrib.auth.models import AnonymousUser, Group

    from portal.roles import REVIEWER_GROUP
    from providers.models import Membership

    assert not SHOSHIKI_1.can_download(AnonymousUser(), provider)
    assert not SHOSHIKI_1.can_download(None, provider)

    reviewer = django_user_model.objects.create_user(email="r@example.jp")
    reviewer.groups.add(Group.objects.get_or_create(name=REVIEWER_GROUP)[0])
    assert SHOSHIKI_1.can_download(reviewer, provider)

    staff = django_user_model.objects.create_user(email="s@example.jp")
    Membership.objects.create(user=staff, provider=provider, is_contact=True)
    assert SHOSHIKI_1.can_download(staff, provider)

    other = Provider(**{**MANUAL_EXAMPLE, "number": "99992"})
    other.save()
    stranger = django_user_model.objects.create_user(email="x@example.jp")
    Membership.objects.create(user=stranger, provider=other, is_contact=True)
    assert not SHOSHIKI_1.can_download(stranger, provider)
