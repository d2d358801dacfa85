"""The documents of the completion exams (申請書式3, 申請書式4, 講座の運営実施体制,
民間資格の合格者一覧, the 修了認定者情報 CSV and the 修了認定者管理番号のお知らせ),
rendered from the manual's example data (別紙7, 別紙8, 別紙10, 別紙12), their file
names (W3), determinism and download permission."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from calendars.models import ExamSession
from certifications import documents as cert_docs
from certifications.models import Completer
from courses.models import DeliveryCourse, ExemptionCourse
from exams import documents as exam_docs
from exams.models import ExamApplication, ExamSite, ResultReport
from fees.models import FeeKind, FeeLine
from portal import documents

from .course_factories import complete_course

pytestmark = pytest.mark.django_db

# portal.documents discovers the apps' documents.py once; importing
# exams.documents above registers this app's, so load the others too.
autodiscover_modules("documents")

D = datetime.date

# 別紙8: the five completers of 99991-001-004 at the exam of 2018-06-10.
MANUAL_COMPLETERS = [
    (1, "情報", "一郎", "ジョウホウ", "イチロウ", D(1998, 10, 6), 60),
    (2, "情報", "二郎", "ジョウホウ", "ジロウ", D(1997, 5, 22), 54),
    (3, "情報", "三郎", "ジョウホウ", "サブロウ", D(1997, 7, 12), 62),
    (4, "情報", "四郎", "ジョウホウ", "シロウ", D(1996, 3, 20), 67),
    (5, "情報", "五郎", "ジョウホウ", "ゴロウ", D(1997, 4, 9), 51),
]
FIGURE_ROWS = [  # 別紙8 as printed
    (1, "99991 - FE1806 - 00001", "情報", "一郎", "ジョウホウ", "イチロウ", "1998/10/6", 60),
    (2, "99991 - FE1806 - 00002", "情報", "二郎", "ジョウホウ", "ジロウ", "1997/5/22", 54),
    (3, "99991 - FE1806 - 00003", "情報", "三郎", "ジョウホウ", "サブロウ", "1997/7/12", 62),
    (4, "99991 - FE1806 - 00004", "情報", "四郎", "ジョウホウ", "シロウ", "1996/3/20", 67),
    (5, "99991 - FE1806 - 00005", "情報", "五郎", "ジョウホウ", "ゴロウ", "1997/4/9", 51),
]


def _workbook(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def _texts(ws) -> set:
    return {cell.value for row in ws.iter_rows() for cell in row if cell.value not in (None, "")}


def _rows(ws, first: int, columns: int) -> list[tuple]:
    return [
        tuple(cell.value for cell in row)
        for row in ws.iter_rows(min_row=first, max_col=columns)
        if row[0].value is not None
    ]


@pytest.fixture
def june_2018(db):
    """The exam of the manual's example (別紙6–8): 2018-06-10, exemption valid
    from the Friday 19 days later for one year (R10)."""
    return ExamSession.objects.get_or_create(
        exam_date=D(2018, 6, 10),
        defaults={
            "fiscal_year": 2018,
            "season": "summer",
            "exemption_valid_from": D(2018, 6, 29),
            "exemption_valid_to": D(2019, 6, 28),
        },
    )[0]


@pytest.fixture
def manual(provider_a, staff_a, june_2018):
    """Provider 99991 IPA大学, course 99991-001 (2015-2017年度講座A), delivery
    course 99991-001-004 (2018年度FE実施講座6月コースA, 神奈川県), its exam site,
    application (20 applicants) and result report with the five completers."""
    provider_a.number = "99991"
    provider_a.name = "IPA大学"
    provider_a.name_kana = "アイピーエーダイガク"
    provider_a.save()
    course = complete_course(provider_a, staff_a)
    ExemptionCourse.objects.filter(pk=course.pk).update(serial=1, name="2015-2017年度講座A")
    delivery = course.delivery_courses.get()
    DeliveryCourse.objects.filter(pk=delivery.pk).update(
        serial=4,
        name="2018年度FE実施講座6月コースA",
        prefecture="神奈川県",
        address="〇〇市〇〇区〇〇〇〇1-2-3",
        building="IPA大学工学部棟4階",
        start_date=D(2018, 4, 2),
        end_date=D(2018, 6, 8),
    )
    delivery.refresh_from_db()
    site = ExamSite.objects.create(
        provider=provider_a, session=june_2018, created_on=D(2018, 5, 17),
        exam_site="神奈川県〇〇市〇〇区〇〇〇〇1-2-3 IPA大学工学部棟4階",
        manager="情報 太郎 教務部", manager_deputy="情報 花子",
        electronic_keeper="情報 花子 教務部", printer="情報 花子 教務部",
        printed_keeper="情報 花子 教務部", storage_method="鍵付きの金庫、鍵は情報太郎が管理",
        exam_executive="情報 太郎 教務部", grading_lead="情報 太郎 教務部",
    )  # fmt: skip
    application = ExamApplication.objects.create(
        delivery_course=delivery, session=june_2018, site=site, applicants=20
    )
    submitted = datetime.datetime(2018, 5, 17, 1, 0, tzinfo=datetime.UTC)  # 10:00 JST
    ExamApplication.objects.filter(pk=application.pk).update(
        state="submitted", submitted_at=submitted
    )
    application.refresh_from_db()
    report = ResultReport.objects.create(
        delivery_course=delivery, serial=1, kind="ipa", application=application,
        session=june_2018, exam_date=D(2018, 6, 10), applicants=20, examinees=18,
        certified_on=D(2018, 6, 14),
    )  # fmt: skip
    _add_completers(report, MANUAL_COMPLETERS)
    return {"course": course, "delivery": delivery, "site": site, "application": application,
            "report": report}  # fmt: skip


def _add_completers(report, rows):
    Completer.objects.bulk_create(
        Completer(report=report, serial=serial, family_name=family, given_name=given,
                  family_kana=fkana, given_kana=gkana, birth_date=birth, score=score)
        for serial, family, given, fkana, gkana, birth, score in rows
    )  # fmt: skip


def _many(count: int):
    return [
        (n, "情報", f"{n}郎", "ジョウホウ", "タロウ", D(1990, 1, 1) + datetime.timedelta(days=n), 36 + n % 25)
        for n in range(1, count + 1)
    ]  # fmt: skip


# --- E2: 申請書式3 (別紙7) ---------------------------------------------------------------


def test_e2_shoshiki_3_holds_the_values_of_bessi_7(manual, settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    ws = _workbook(exam_docs.render_shoshiki_3(manual["application"]))["申請書式3"]
    cells = exam_docs.SHOSHIKI_3_CELLS
    expected = {
        "date": "2018年5月17日",
        "provider_number": "99991",
        "name_kana": "アイピーエーダイガク",
        "name": "IPA大学",
        "course_number": "99991-001",
        "course_name": "2015-2017年度講座A",
        "delivery_number": "99991-001-004",
        "delivery_name": "2018年度FE実施講座6月コースA",
        "start_date": "2018年04月02日(月)",
        "end_date": "2018年06月08日(金)",
        "exam_date": "2018年06月10日(日)",
        "applicants": 20,
        "problem_fee": 40000,  # 20 × 2,000 円
    }
    assert {key: ws[cells[key]].value for key in expected} == expected
    texts = _texts(ws)
    assert {
        "修了試験問題等提供申請書",
        "申請のとおり",
        "講座の運営実施体制のとおり",
        "名",
        "円",
    } <= texts
    assert ws[cells["problem_fee"]].number_format == "#,##0"  # 40,000


def test_e2_shoshiki_3_of_a_draft_carries_the_day_it_was_created(manual, settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    application = manual["application"]
    ExamApplication.objects.filter(pk=application.pk).update(state="draft", submitted_at=None)
    application.refresh_from_db()
    created = application.history.earliest("history_date").history_date
    data = exam_docs.shoshiki_3_data(application)
    assert data["date"] == timezone.localdate(created).isoformat()
    assert data["problem_fee"] == 40000  # 20 applicants × 2,000 円 before the fee line exists


def test_e2_shoshiki_3_fee_is_the_fee_lines_amount(manual):
    application = manual["application"]
    line = FeeLine.objects.create(
        provider=application.site.provider, kind=FeeKind.PROBLEM, description="99991-001-004",
        unit_amount=2000, quantity=21,
    )  # fmt: skip
    ExamApplication.objects.filter(pk=application.pk).update(fee_line=line)
    assert exam_docs.shoshiki_3_data(application)["problem_fee"] == 42000


# --- E4: 講座の運営実施体制 for one exam (別紙12, 表5.7-2) ------------------------------------


def test_e4_unei_taisei_exam_lists_the_applications_and_totals(manual, june_2018, staff_a):
    site = manual["site"]
    # a second delivery course sitting at the same site, and a withdrawn one that does not
    second = DeliveryCourse.objects.create(
        course=manual["course"], serial=5, name="2018年度FE実施講座6月コースB",
        prefecture="神奈川県", address="〇〇市", expected_learners=15,
        start_date=D(2018, 4, 2), end_date=D(2018, 6, 8), instructors="講師名：情報 次郎",
    )  # fmt: skip
    ExamApplication.objects.create(
        delivery_course=second, session=june_2018, site=site, applicants=15
    )
    third = DeliveryCourse.objects.create(
        course=manual["course"], serial=6, name="取下げた講座", prefecture="神奈川県",
        address="〇〇市", expected_learners=3, start_date=D(2018, 4, 2), end_date=D(2018, 6, 8),
        instructors="講師名：情報 次郎",
    )  # fmt: skip
    withdrawn = ExamApplication.objects.create(
        delivery_course=third, session=june_2018, site=site, applicants=3
    )
    ExamApplication.objects.filter(pk=withdrawn.pk).update(state="withdrawn")

    ws = _workbook(exam_docs.render_unei_taisei_exam(site))["講座の運営実施体制"]
    texts = _texts(ws)
    assert {"2018/06/10", "作成日：2018/05/17", "99991", "IPA大学", site.exam_site} <= texts
    assert {"99991-001-004", "2018年度FE実施講座6月コースA", "99991-001-005"} <= texts
    assert "取下げた講座" not in texts
    assert ws["C9"].value == 2 and ws["C10"].value == 35  # 実施講座数, 応募者数
    table = [
        r for r in ws.iter_rows(values_only=True) if r[1] in ("99991-001-004", "99991-001-005")
    ]
    assert [(r[0], r[1], r[3], r[5]) for r in table] == [
        (1, "99991-001-004", "2018年度FE実施講座6月コースA", 20),
        (2, "99991-001-005", "2018年度FE実施講座6月コースB", 15),
    ]
    # E3: the contact person receives the problems: the recipient block stays blank.
    assert all(ws[f"D{row}"].value in (None, "") for row in range(12, 18))
    assert "採点責任者の管理下で、2名以上で2回以上確認し、ミスのないように採点を行う。" in texts


def test_e4_unei_taisei_exam_shows_a_named_recipient(manual):
    site = manual["site"]
    ExamSite.objects.filter(pk=site.pk).update(
        recipient_is_contact=False, recipient_postal_code="113-6591",
        recipient_address="東京都文京区本駒込2-28-8", recipient_workplace="IPA大学 本駒込校舎",
        recipient_tel="03-5978-7600", recipient_name="情報\u3000三郎",
        recipient_department="教務課", recipient_email="saburo@ipa.example.jp",
    )  # fmt: skip
    site.refresh_from_db()
    ws = _workbook(exam_docs.render_unei_taisei_exam(site))["講座の運営実施体制"]
    assert [ws[f"D{row}"].value for row in range(12, 18)] == [
        "〒113-6591 東京都文京区本駒込2-28-8", "IPA大学 本駒込校舎", "03-5978-7600",
        "情報\u3000三郎", "教務課", "saburo@ipa.example.jp",
    ]  # fmt: skip


# --- R2/R4: 申請書式4 (別紙8) ----------------------------------------------------------------


def test_r4_shoshiki_4_holds_the_values_of_bessi_8(manual):
    ws = _workbook(exam_docs.render_shoshiki_4(manual["report"]))["申請書式4"]
    cells = exam_docs.SHOSHIKI_4_CELLS
    expected = {
        "date": "2018年6月14日",
        "provider_number": "99991",
        "name": "IPA大学",
        "course_number": "99991-001",
        "course_name": "2015-2017年度講座A",
        "delivery_number": "99991-001-004",
        "delivery_name": "2018年度FE実施講座6月コースA",
        "prefecture": "神奈川県",
        "address": "〇〇市〇〇区〇〇〇〇1-2-3",
        "building": "IPA大学工学部棟4階",
        "certified_on": "2018年06月14日(木)",
        "completer_count": 5,
    }
    assert {key: ws[cells[key]].value for key in expected} == expected
    header = exam_docs.SHOSHIKI_4_HEADER_ROW
    assert _rows(ws, header, 8)[0] == (
        "No.", "修了認定者管理番号", "姓", "名", "姓(カナ)", "名(カナ)", "生年月日", "点数",
    )  # fmt: skip
    assert _rows(ws, header + 1, 8) == FIGURE_ROWS
    assert ws[f"B{header + 1}"].data_type == "s"
    assert ws.print_title_rows == f"${header}:${header}"


def test_r2_shoshiki_4_without_completers_says_so(manual):
    report = manual["report"]
    report.completers.all().delete()
    ResultReport.objects.filter(pk=report.pk).update(certified_on=None)
    ws = _workbook(exam_docs.render_shoshiki_4(report))["申請書式4"]
    cells = exam_docs.SHOSHIKI_4_CELLS
    assert ws[cells["completer_count"]].value == 0
    assert ws[cells["remarks"]].value == "修了認定者はいません。"
    assert ws[cells["certified_on"]].value in (None, "")
    assert ws[f"A{exam_docs.SHOSHIKI_4_HEADER_ROW + 1}"].value == "修了認定者はいません。"


def test_r4_shoshiki_4_with_2500_completers_prints_every_one_with_repeated_header(manual):
    report = manual["report"]
    report.completers.all().delete()
    _add_completers(report, _many(2500))
    ws = _workbook(exam_docs.render_shoshiki_4(report))["申請書式4"]
    header = exam_docs.SHOSHIKI_4_HEADER_ROW
    rows = _rows(ws, header + 1, 8)
    assert len(rows) == 2500
    assert [r[0] for r in rows] == list(range(1, 2501))
    assert rows[-1][1] == "99991 - FE1806 - 02500"
    assert {r[3] for r in rows} == {f"{n}郎" for n in range(1, 2501)}
    assert ws[exam_docs.SHOSHIKI_4_CELLS["completer_count"]].value == 2500
    # A4 portrait, one page wide, as many pages as needed, the header on each.
    assert ws.print_title_rows == f"${header}:${header}"
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
    assert ws.page_setup.orientation == "portrait"
    assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0
    assert ws.print_area == f"'申請書式4'!$A$1:$H${header + 2500}"


# --- R8: 民間資格の合格者一覧 (別紙10, 表5.8-3/5.8-4) ----------------------------------------------


def test_r8_minkan_goukaku_has_the_csv_columns_and_the_private_columns(manual):
    report = manual["report"]
    report.completers.filter(serial=1).update(
        private_pass_date=D(2018, 6, 1), private_pass_number="180601H99991"
    )
    ws = _workbook(cert_docs.render_minkan_goukaku(report))["修了認定者情報"]
    assert [c.value for c in ws[1]] == [
        "免除対象講座番号", "実施講座番号", "修了試験回数", "修了認定者管理番号", "姓(漢字)", "名(漢字)",
        "姓(カナ)", "名(カナ)", "生年月日", "修了認定年月日", "修了試験結果", "民間資格の合格日",
        "民間資格の合格番号",
    ]  # fmt: skip
    first = [c.value for c in ws[2]]
    assert first == [
        1, 4, 1, "99991-FE1806-00001", "情報", "一郎", "ジョウホウ", "イチロウ",
        datetime.datetime(1998, 10, 6), datetime.datetime(2018, 6, 14), 60,
        datetime.datetime(2018, 6, 1), "180601H99991",
    ]  # fmt: skip
    assert ws["I2"].number_format == "yyyy/m/d"  # shown 1998/10/6 as in 別紙10
    assert [ws[f"D{n}"].value for n in range(2, 7)] == [
        f"99991-FE1806-0000{n}" for n in range(1, 6)
    ]
    assert ws["L3"].value is None and ws["M3"].value in (None, "")


def test_r8_minkan_goukaku_file_name_has_no_timestamp(manual):
    doc = documents.get("minkan_goukaku")
    at = datetime.datetime(2026, 11, 21, 5, 22, 33, tzinfo=datetime.UTC)
    assert doc.filename(manual["report"], at) == "(99991)民間資格の合格者一覧.xlsx"


# --- W4: 修了認定者情報 CSV (申請情報一括出力) ----------------------------------------------------


def test_w4_csv_export_lists_the_reported_completers(manual, june_2018):
    report = manual["report"]
    ResultReport.objects.filter(pk=report.pk).update(state="accepted")
    # a draft report is not exported
    draft = ResultReport.objects.create(
        delivery_course=manual["delivery"], serial=2, kind="ipa", session=june_2018,
        exam_date=D(2018, 7, 22), applicants=3, examinees=3, certified_on=D(2018, 7, 24),
    )  # fmt: skip
    _add_completers(draft, [(1, "情報", "六郎", "ジョウホウ", "ロクロウ", D(1996, 4, 20), 60)])
    provider = report.delivery_course.course.provider
    data = cert_docs.render_csv_export(provider)
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    assert b"\r\n" in data and data.count(b"\n") == data.count(b"\r\n") == 6
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == cert_docs.CSV_HEADER == [
        "免除対象講座番号", "実施講座番号", "修了試験回数", "修了認定者管理番号", "姓(漢字)", "名(漢字)",
        "姓(カナ)", "名(カナ)", "生年月日", "修了認定年月日", "修了試験結果",
    ]  # fmt: skip
    assert rows[1] == ["1", "4", "1", "99991-FE1806-00001", "情報", "一郎", "ジョウホウ", "イチロウ",
                       "1998/10/6", "2018/6/14", "60"]  # fmt: skip
    assert [r[3] for r in rows[1:]] == [f"99991-FE1806-0000{n}" for n in range(1, 6)]
    doc = documents.get("csv_export")
    assert (doc.extension, doc.mime_type) == ("csv", "text/csv; charset=utf-8")
    at = datetime.datetime(2026, 11, 21, 5, 22, 33, tzinfo=datetime.UTC)
    assert doc.filename(provider, at) == "(99991)修了認定者情報_20261121_142233.csv"


def test_w4_csv_export_of_many_completers_runs_in_few_queries(
    manual, django_assert_max_num_queries
):
    report = manual["report"]
    report.completers.all().delete()
    _add_completers(report, _many(3000))
    ResultReport.objects.filter(pk=report.pk).update(state="submitted")
    provider = report.delivery_course.course.provider
    with django_assert_max_num_queries(3):
        data = cert_docs.render_csv_export(provider)
    assert len(data.decode("utf-8-sig").splitlines()) == 3001


# --- R12: 修了認定者管理番号のお知らせ ----------------------------------------------------------


def test_r12_completer_notice_has_one_slip_per_completer(manual):
    ws = _workbook(cert_docs.render_completer_notice(manual["report"]))[
        "修了認定者管理番号のお知らせ"
    ]
    texts = _texts(ws)
    for serial, family, given, fkana, gkana, birth, _score in MANUAL_COMPLETERS:
        assert f"{family}\u3000{given}" in texts
        assert f"{fkana}\u3000{gkana}" in texts
        assert f"{birth.year}年{birth.month}月{birth.day}日" in texts
        assert f"99991-FE1806-0000{serial}" in texts  # hyphenated (R4)
        assert f"99991FE18060000{serial}" in texts  # as typed when applying
    assert "2018年06月10日(日)" in texts
    assert "2018年6月29日（金）～2019年6月28日（金）" in texts
    assert any("FE 科目A免除（修了認定者）" in t for t in texts if isinstance(t, str))
    titles = [c.value for c in ws["A"] if c.value == "修了認定者管理番号のお知らせ"]
    assert len(titles) == 5
    assert [b.id for b in ws.row_breaks.brk] == [cert_docs.SLIP_ROWS * cert_docs.SLIPS_PER_PAGE]


# --- W3: registry, file names, determinism, permission ---------------------------------

EXAM_DOCUMENTS = {  # id: (title, model, source key, personal data)
    "shoshiki_3": (
        "申請書式3：修了試験問題等提供申請書",
        "exams.ExamApplication",
        "application",
        False,
    ),
    "shoshiki_4": ("申請書式4：修了認定報告書", "exams.ResultReport", "report", True),
    "unei_taisei_exam": ("講座の運営実施体制", "exams.ExamSite", "site", True),
    "minkan_goukaku": ("民間資格の合格者一覧", "exams.ResultReport", "report", True),
    "csv_export": ("修了認定者情報", "providers.Provider", "provider", True),
    "completer_notice": ("修了認定者管理番号のお知らせ", "exams.ResultReport", "report", True),
}


def _source(manual, key):
    if key == "provider":
        return manual["site"].provider
    return manual[key]


def test_w3_exam_documents_are_registered_and_named_per_w3(manual, settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    at = datetime.datetime(2026, 11, 21, 5, 22, 33, tzinfo=datetime.UTC)
    for doc_id, (title, model, key, personal) in EXAM_DOCUMENTS.items():
        doc = documents.get(doc_id)
        assert (doc.title, doc.model, doc.personal_data) == (title, model, personal), doc_id
        assert isinstance(_source(manual, key), doc.model_class())
        name = doc.filename(_source(manual, key), at)
        if doc_id == "minkan_goukaku":
            assert name == f"(99991){title}.xlsx"
        else:
            assert name == f"(99991){title}_20261121_142233.{doc.extension}", doc_id


def test_w3_same_data_gives_the_same_bytes(manual):
    ResultReport.objects.filter(pk=manual["report"].pk).update(state="submitted")
    for doc_id, (_title, _model, key, _personal) in EXAM_DOCUMENTS.items():
        doc = documents.get(doc_id)
        obj = _source(manual, key)
        first = doc.render(obj)
        assert doc.render(type(obj).objects.get(pk=obj.pk)) == first, doc_id
        assert isinstance(doc.data_version(obj), str)
    report = manual["report"]
    before = {d: documents.get(d).render(report) for d in ("shoshiki_4", "minkan_goukaku")}
    versions = {d: documents.get(d).data_version(report) for d in before}
    report.completers.filter(serial=5).update(score=52)
    for doc_id in before:
        assert documents.get(doc_id).render(report) != before[doc_id]
        assert documents.get(doc_id).data_version(report) != versions[doc_id]


def test_w3_user_text_is_never_a_formula(manual):
    report = manual["report"]
    report.completers.filter(serial=1).update(family_name="=1+1", given_name='=HYPERLINK("x")')
    ws = _workbook(exam_docs.render_shoshiki_4(report))["申請書式4"]
    row = exam_docs.SHOSHIKI_4_HEADER_ROW + 1
    assert (ws[f"C{row}"].value, ws[f"C{row}"].data_type) == ("=1+1", "s")
    minkan = _workbook(cert_docs.render_minkan_goukaku(report))["修了認定者情報"]
    assert (minkan["F2"].value, minkan["F2"].data_type) == ('=HYPERLINK("x")', "s")


def test_w3_can_download_own_staff_and_reviewers_only(manual, staff_a, staff_b, reviewer):
    for doc_id, (_title, _model, key, _personal) in EXAM_DOCUMENTS.items():
        doc = documents.get(doc_id)
        obj = _source(manual, key)
        assert doc.can_download(staff_a, obj), doc_id
        assert doc.can_download(reviewer, obj), doc_id
        assert not doc.can_download(staff_b, obj), doc_id  # another provider's staff
        assert not doc.can_download(AnonymousUser(), obj), doc_id


def test_w3_every_xlsx_prints_on_a4_one_page_wide(manual):
    for doc_id, (_title, _model, key, _personal) in EXAM_DOCUMENTS.items():
        doc = documents.get(doc_id)
        if doc.extension != "xlsx":
            continue
        for ws in _workbook(doc.render(_source(manual, key))).worksheets:
            assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4), doc_id
            assert ws.sheet_properties.pageSetUpPr.fitToPage, doc_id
            assert int(ws.page_setup.fitToWidth) == 1, doc_id
            assert ws.print_area, doc_id
