"""P9 (M§2.3, M§2.5, M§5.2 (16)): the public registry of certified courses —
who is listed from when, revoked and expired ones, search and filters, one
page of 50 in a constant number of queries, and its CSV and PDF."""

import csv
import datetime
import io
import re
import shutil
import subprocess

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certifications.documents import certificate_data
from courses import registry, rules
from courses import services as course_services
from courses.models import DeliveryCourse, ExemptionCourse, SubmissionStates
from courses.registry import RegistryQuery, registry_courses, registry_row
from courses.rules import CourseType, certification_end_date
from portal import bizdays

from .course_factories import certified_course
from .factories import ProviderFactory

pytestmark = pytest.mark.django_db

S = SubmissionStates
CERTIFIED_ON = datetime.date(2024, 10, 1)  # certified_course's date (a Tuesday)


@pytest.fixture
def today(monkeypatch):
    """Sets the portal's today (the pages ask timezone.localdate())."""

    def set_today(day):
        monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: day)
        return day

    return set_today


@pytest.fixture
def course(provider_a, staff_a, reviewer):
    """A course certified through the services on 2024-10-01 (with its
    certificate and one approved delivery course in 東京都)."""
    return certified_course(provider_a, staff_a, reviewer)


def published_course(provider, *, serial=1, certified_on=CERTIFIED_ON, state=S.CERTIFIED,
                     revoked_on=None, name=None, places=(("東京都", "文京区本駒込2-28-8", "IPAビル8階"),)):  # fmt: skip
    """A certified course made directly (many of them, fast), with approved
    delivery courses at ``places``."""
    fy = bizdays.fiscal_year(certified_on)
    course = ExemptionCourse.objects.create(
        provider=provider, serial=serial, course_type=CourseType.NONE_IPA,
        name=name or f"{fy}-{fy + 1}年度講座{serial:03d}", desired_month=certified_on, state=state,
        certified_on=certified_on, valid_until=certification_end_date(certified_on),
        revoked_on=revoked_on, certificate_number=f"{fy}情テ人国第{serial}号",
    )  # fmt: skip
    for n, (prefecture, address, building) in enumerate(places, start=1):
        DeliveryCourse.objects.create(
            course=course, serial=n, name=f"{fy}年度実施講座{n}", prefecture=prefecture,
            address=address, building=building, expected_learners=10, start_date=certified_on,
            end_date=certified_on + datetime.timedelta(days=60), instructors="講師名：情報 太郎",
            committee_declaration=True, state=S.APPROVED,
        )  # fmt: skip
    return course


def revoke(course, on):
    """The revocation itself is another part's transition; here the state and
    date it leaves are set directly (tests only)."""
    ExemptionCourse.objects.filter(pk=course.pk).update(
        state=S.REVOKED, revoked_on=on, revocation_reason="修了認定の報告をしなかったため"
    )


def listed(day, query=None):
    return [c.number for c in registry_courses(day, query or RegistryQuery())]


def page_text(response) -> str:
    html = response.content.decode()
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", html))  # keeps U+3000


# The rule -----------------------------------------------------------------------------


def test_p9_published_from_is_the_certification_date_or_the_next_ipa_business_day():
    assert rules.published_from(datetime.date(2024, 10, 1)) == datetime.date(2024, 10, 1)
    # 2027-01-01 元日 (and the 12/29–1/3 break, W6), Sat 1/2, Sun 1/3 → Mon 1/4
    assert rules.published_from(datetime.date(2027, 1, 1)) == datetime.date(2027, 1, 4)
    # 2026-11-01 is a Sunday → Monday 11/2
    assert rules.published_from(datetime.date(2026, 11, 1)) == datetime.date(2026, 11, 2)


def test_p9_published_up_to_is_the_inverse_used_by_the_query():
    """certified_on <= published_up_to(today) exactly when published_from(certified_on) <= today."""
    start = datetime.date(2026, 12, 1)
    days = [start + datetime.timedelta(days=n) for n in range(75)]  # over the year-end break
    for certified_on in days:
        for today in days:
            assert (rules.published_from(certified_on) <= today) == (
                certified_on <= rules.published_up_to(today)
            ), (certified_on, today)


# Who is listed ------------------------------------------------------------------------


def test_p9_registry_lists_a_certified_course_with_every_published_column(client, course, today):
    today(datetime.date(2024, 10, 2))
    response = client.get(reverse("registry"))  # anonymous: no login
    assert response.status_code == 200
    text = page_text(response)
    assert "1件" in text
    assert "20001" in text  # provider number
    assert "Ａ学園" in text  # provider name
    assert "情報\u3000太郎" in text  # representative
    assert "東京都文京区本駒込2-28-8" in text  # address: prefecture + the rest
    assert "2024/10/01" in text  # certification date
    assert "2024-2026年度講座A" in text  # course name
    assert "東京都文京区本駒込2-28-8 IPAビル8階" in text  # the delivery course's place
    assert "有効" in text and "2026/09/30まで" in text

    row = registry_row(
        registry_courses(datetime.date(2024, 10, 2)).get(), datetime.date(2024, 10, 2)
    )
    assert (row.provider_number, row.provider_name, row.representative_name, row.address) == (
        "20001", "Ａ学園", "情報\u3000太郎", "東京都文京区本駒込2-28-8",
    )  # fmt: skip
    assert (row.certified_on, row.course_name) == (CERTIFIED_ON, "2024-2026年度講座A")
    assert row.locations == ["東京都文京区本駒込2-28-8 IPAビル8階"]


def test_p9_not_before_the_certification_date_and_never_before_certification(
    provider_a, staff_a, reviewer, course
):
    assert listed(datetime.date(2024, 9, 30)) == []  # the day before its certification
    assert listed(CERTIFIED_ON) == ["20001-001"]
    # An approved course waiting for its 1st, a draft: not published.
    published_course(provider_a, serial=2, state=S.APPROVED)
    published_course(provider_a, serial=3, state=S.DRAFT)
    assert listed(CERTIFIED_ON) == ["20001-001"]


def test_p9_course_certified_on_a_holiday_is_listed_from_the_next_ipa_business_day(
    client, course, today
):
    """元日 2027-01-01 (a national holiday inside the 12/29–1/3 break): listed
    from Monday 2027-01-04, not on 1/1, 1/2 (Sat) or 1/3 (Sun)."""
    holiday = datetime.date(2027, 1, 1)
    ExemptionCourse.objects.filter(pk=course.pk).update(
        certified_on=holiday, valid_until=certification_end_date(holiday)
    )
    assert not bizdays.is_business_day(holiday)
    for day in (holiday, datetime.date(2027, 1, 2), datetime.date(2027, 1, 3)):
        assert listed(day) == [], day
        today(day)
        assert "2024-2026年度講座A" not in page_text(client.get(reverse("registry")))
    assert listed(datetime.date(2027, 1, 4)) == ["20001-001"]
    today(datetime.date(2027, 1, 4))
    text = page_text(client.get(reverse("registry")))
    assert "2024-2026年度講座A" in text
    assert "2027/01/01" in text and "掲載 2027/01/04" in text


def test_p9_revoked_course_is_listed_marked_with_its_revocation_date(client, course, today):
    revoke(course, datetime.date(2025, 3, 10))
    today(datetime.date(2025, 3, 11))
    text = page_text(client.get(reverse("registry")))
    assert "2024-2026年度講座A" in text
    assert "認定取消し" in text and "取消日 2025/03/10" in text
    assert "有効" not in text.split("2024-2026年度講座A", 1)[1]
    # listed while the revocation bars the provider (2 years, M§2.5) …
    assert listed(datetime.date(2027, 3, 9)) == ["20001-001"]
    # … then only with the past certifications
    assert listed(datetime.date(2027, 3, 10)) == []
    assert listed(datetime.date(2027, 3, 10), RegistryQuery(include_past=True)) == ["20001-001"]


def test_p9_expired_course_leaves_the_current_list(client, course, today):
    assert listed(datetime.date(2026, 9, 30)) == ["20001-001"]  # the last day of its period
    # Past its end date it is off the list even before the scheduled task moved it …
    assert listed(datetime.date(2026, 10, 1)) == []
    course_services.expire_courses(datetime.date(2026, 10, 1))
    assert ExemptionCourse.objects.get(pk=course.pk).state == S.EXPIRED
    today(datetime.date(2026, 10, 1))
    assert "2024-2026年度講座A" not in page_text(client.get(reverse("registry")))
    # … and shown, marked, when past certifications are asked for.
    text = page_text(client.get(reverse("registry"), {"past": "on"}))
    assert "2024-2026年度講座A" in text and "期間満了" in text and "2026/09/30まで" in text


def test_p9_withdrawn_provider_leaves_the_current_list(provider_a):
    published_course(provider_a)
    provider_a.withdrawn_on = datetime.date(2025, 1, 10)
    provider_a.save()
    assert listed(datetime.date(2025, 1, 9)) == ["20001-001"]
    assert listed(datetime.date(2025, 1, 10)) == []


def test_p9_locations_are_the_delivery_courses_listed_on_the_certificate(course):
    delivery = course.delivery_courses.get()
    delivery.pk = None
    delivery.serial, delivery.prefecture, delivery.address, delivery.building = (
        2, "大阪府", "大阪市北区梅田1-1-1", "梅田ビル3階",
    )  # fmt: skip
    delivery.save()
    delivery.pk = None
    delivery.serial, delivery.prefecture, delivery.address = 3, "愛知県", "名古屋市中区栄2-2-2"
    delivery.save()
    # D8: deleted by an approved request (削除済み): no longer listed.
    type(delivery).objects.filter(pk=delivery.pk).update(
        deletion_requested=True, state=type(delivery).S.DELETED
    )
    row = registry_row(registry_courses(CERTIFIED_ON).get(), CERTIFIED_ON)
    assert row.locations == [
        "東京都文京区本駒込2-28-8 IPAビル8階",
        "大阪府大阪市北区梅田1-1-1 梅田ビル3階",
    ]
    on_certificate = [
        " ".join(p for p in (d["prefecture"] + d["address"], d["building"]) if p)
        for d in certificate_data(course)["delivery_courses"]
    ]
    assert row.locations == on_certificate


# Search and filters -------------------------------------------------------------------


@pytest.fixture
def several(provider_a):
    osaka = ProviderFactory(number="20010", name="大阪情報専門学校", name_kana="オオサカジョウホウ",
                            prefecture="大阪府", address="大阪市北区梅田1-1-1", category="vocational")  # fmt: skip
    company = ProviderFactory(number="20020", name="株式会社サンプル", name_kana="サンプル",
                              prefecture="愛知県", address="名古屋市中区栄2-2-2", category="company")  # fmt: skip
    published_course(provider_a, name="2024-2025年度講座東京")  # university, 東京都
    published_course(
        osaka, name="2024-2025年度講座梅田", places=(("大阪府", "大阪市北区梅田1-1-1", ""),)
    )
    published_course(company, name="2024-2025年度講座出張",
                     places=(("愛知県", "名古屋市中区栄2-2-2", ""), ("北海道", "札幌市中央区北1条西2-3", "")))  # fmt: skip
    return provider_a, osaka, company


def test_p9_search_by_provider_name_number_or_course_name(several, client, today):
    day = CERTIFIED_ON
    assert listed(day) == ["20001-001", "20010-001", "20020-001"]
    assert listed(day, RegistryQuery(q="大阪情報")) == ["20010-001"]  # provider name
    assert listed(day, RegistryQuery(q="オオサカ")) == ["20010-001"]  # its kana
    assert listed(day, RegistryQuery(q="20020")) == ["20020-001"]  # provider number
    assert listed(day, RegistryQuery(q="講座東京")) == ["20001-001"]  # course name
    assert listed(day, RegistryQuery(q="2024-2025年度 梅田")) == ["20010-001"]  # every word
    assert listed(day, RegistryQuery(q="存在しない")) == []
    today(day)
    text = page_text(client.get(reverse("registry"), {"q": "梅田"}))
    assert "大阪情報専門学校" in text and "株式会社サンプル" not in text and "1件" in text


def test_p9_filter_by_prefecture_of_the_provider_or_a_delivery_course(several, client, today):
    day = CERTIFIED_ON
    assert listed(day, RegistryQuery(prefecture="大阪府")) == ["20010-001"]
    assert listed(day, RegistryQuery(prefecture="北海道")) == ["20020-001"]  # held there
    assert listed(day, RegistryQuery(prefecture="愛知県")) == ["20020-001"]  # its address
    assert listed(day, RegistryQuery(prefecture="沖縄県")) == []
    today(day)
    text = page_text(client.get(reverse("registry"), {"prefecture": "北海道"}))
    assert "株式会社サンプル" in text and "Ａ学園" not in text


def test_p9_filter_by_provider_category(several, client, today):
    day = CERTIFIED_ON
    assert listed(day, RegistryQuery(category="company")) == ["20020-001"]
    assert listed(day, RegistryQuery(category="university")) == ["20001-001"]
    assert listed(day, RegistryQuery(category="high_school")) == []
    today(day)
    text = page_text(client.get(reverse("registry"), {"category": "vocational"}))
    assert "大阪情報専門学校" in text and "Ａ学園" not in text
    # an unknown value is ignored (the whole list, no error page)
    assert client.get(reverse("registry"), {"category": "x", "page": "abc"}).status_code == 200


# Size ---------------------------------------------------------------------------------


def _make_many(first, count):
    """``count`` providers, each with a course held at two places."""
    for n in range(first, first + count):
        provider = ProviderFactory(number=f"{30000 + n:05d}", name=f"学園{n:03d}")
        published_course(
            provider, places=(("東京都", f"文京区{n}", ""), ("北海道", f"札幌市{n}", ""))
        )


def _queries(client, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("registry"), params or {})
    assert response.status_code == 200
    return len(queries), response


def test_p9_registry_pages_of_50_in_a_constant_number_of_queries(client, today):
    today(CERTIFIED_ON)
    _make_many(0, 3)
    few, _ = _queries(client)
    _make_many(3, 117)
    many, response = _queries(client)
    assert many == few <= 4, (few, many)  # count, page, delivery courses (+ session)
    text = page_text(response)
    assert "120件" in text and "1 / 3ページ" in text
    assert response.content.decode().count('data-label="講座開設者番号"') == 50
    filtered, response = _queries(client, {"prefecture": "北海道", "page": "2"})
    assert filtered == few
    assert response.content.decode().count('data-label="講座開設者番号"') == 50


# The CSV and the PDF ------------------------------------------------------------------


def test_p9_csv_is_utf8_with_bom_and_crlf_with_a_japanese_header(several, client, today):
    revoked = ExemptionCourse.objects.get(provider__number="20020")
    revoke(revoked, datetime.date(2024, 11, 5))
    today(datetime.date(2024, 11, 6))
    response = client.get(reverse("registry_csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert "20241106.csv" in response["Content-Disposition"]
    content = response.content
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads it as UTF-8
    text = content.decode("utf-8-sig")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == registry.CSV_HEADER
    assert rows[0][:5] == ["講座開設者番号", "講座開設者名", "代表者名", "住所", "区分"]
    by_number = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert set(by_number) == {"20001", "20010", "20020"}
    osaka = by_number["20010"]
    assert osaka["講座開設者名"] == "大阪情報専門学校"
    assert osaka["住所"] == "大阪府大阪市北区梅田1-1-1"
    assert osaka["認定年月日"] == "2024/10/01" and osaka["状況"] == "有効"
    assert osaka["免除対象講座の名称"] == "2024-2025年度講座梅田"
    company = by_number["20020"]
    assert company["設置場所"] == "愛知県名古屋市中区栄2-2-2 / 北海道札幌市中央区北1条西2-3"
    assert (company["状況"], company["認定取消日"]) == ("認定取消し", "2024/11/05")
    # the page's conditions apply
    filtered = client.get(reverse("registry_csv"), {"category": "company"}).content
    assert len(list(csv.reader(io.StringIO(filtered.decode("utf-8-sig"), newline="")))) == 2


def _pdftotext(data: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (Debian poppler-utils) is not installed: run `make system-deps`")
    result = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],
        input=data, capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    return re.sub(r"\s+", " ", result.stdout.decode("utf-8"))


def test_p9_pdf_is_an_a4_landscape_list_with_every_course(several, client, today):
    revoked = ExemptionCourse.objects.get(provider__number="20020")
    revoke(revoked, datetime.date(2024, 11, 5))
    today(datetime.date(2024, 11, 6))
    response = client.get(reverse("registry_pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    data = response.content
    assert data.startswith(b"%PDF-")
    text = _pdftotext(data)
    assert "認定免除対象講座の一覧" in text
    assert "2024年11月6日現在 3講座" in text
    for expected in ("20001", "Ａ学園", "20010", "大阪情報専門学校", "大阪府大阪市北区梅田1-1-1",
                     "2024/10/01", "2024-2025年度講座梅田", "認定取消し", "2024/11/05"):  # fmt: skip
        assert expected in text, expected
    info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True).stdout
    size = re.search(rb"Page size:\s+([\d.]+) x ([\d.]+)", info)
    assert (float(size[1]), float(size[2])) == pytest.approx((841.89, 595.28), abs=0.5)


def test_p9_registry_is_linked_for_the_public(client):
    for name in ("home", "registry", "certificate_verify_form"):
        html = client.get(reverse(name)).content.decode()
        assert reverse("registry") in html and reverse("certificate_verify_form") in html, name


def test_p9_new_renderings_of_the_files_are_limited_per_client(client, monkeypatch, today):
    """A cached file is served again freely; each new rendering (another
    query) counts, so a client cannot keep the server rendering long PDFs."""
    from courses import views

    today(CERTIFIED_ON)
    monkeypatch.setattr(views, "RENDER_LIMIT", 2)
    url = reverse("registry_csv")
    assert client.get(url, {"q": "a"}).status_code == 200
    assert client.get(url, {"q": "a"}).status_code == 200  # cached: not counted
    assert client.get(url, {"q": "b"}).status_code == 200
    refused = client.get(url, {"q": "c"})
    assert refused.status_code == 429
    assert "しばらくしてからお試しください" in page_text(refused)
    assert client.get(url, {"q": "a"}).status_code == 200  # still cached
