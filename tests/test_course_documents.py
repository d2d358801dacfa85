"""The documents of a course application (C14, D9) and the 入金確認依頼票 (F2),
rendered as .xlsx from the manual's example data (別紙3–6, 別紙11–13), their
file names (W3), determinism and download permission."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils.module_loading import autodiscover_modules

from calendars.models import ExamSession
from courses import documents as course_docs
from courses import services
from courses.models import DeliveryCourse, ExemptionCourse, StudyMaterial, StudyPlanRow
from courses.rules import CourseType
from fees import documents as fee_docs
from fees import services as fee_services
from fees.models import FeeKind, FeeLine
from portal import documents

from .course_factories import complete_course

pytestmark = pytest.mark.django_db

# portal.documents discovers the apps' documents.py only while its registry is
# empty; importing courses.documents above fills it, so load every app's
# documents here (idempotent) for the other documents' tests of the same run.
autodiscover_modules("documents")

D = datetime.date
TODAY = D(2017, 10, 14)

# 別紙2/3: the manual's example provider.
MANUAL_PROVIDER = {
    "number": "99991",
    "name": "IPA大学",
    "name_kana": "アイピーエーダイガク",
    "representative_name": "情報\u3000太郎",
    "contact_family_name": "情報",
    "contact_given_name": "花子",
    "contact_department": "○○○部△△△課",
    "contact_tel": "999-999-9999",
    "contact_fax": "000-000-0000",
    "contact_email": "kouza@ipa.go.jp",
}
# 別紙11: the materials and the first ten plan rows.
MANUAL_MATERIALS = [
    ("FE試験対策（〇〇編）", "IPA出版", "第2版", D(2017, 2, 2)),
    ("FE試験対策（△△編）", "IPA出版", "第2版", D(2017, 1, 23)),
    ("自作テキスト（プログラム）", "", "第1版", D(2016, 4, 1)),
    ("自作テキスト（問題演習）", "", "第3版", D(2016, 4, 1)),
]
MANUAL_PLAN = {  # code: (material, class, session, hours)
    "FE1": ("FE試験対策（〇〇編）", "IT基礎", "第01回", "0.5"),
    "FE2": ("FE試験対策（〇〇編）", "IT基礎", "第01回", "0.5"),
    "FE3": ("FE試験対策（〇〇編）", "IT基礎", "第02回", "1.0"),
    "FE4": ("FE試験対策（〇〇編）", "IT基礎", "第03回", "1.0"),
    "FE5": ("FE試験対策（〇〇編）", "IT基礎", "第04回", "1.0"),
    "FE6": ("FE試験対策（〇〇編）", "プログラミング演習", "第01回", "1.0"),
    "FE7": ("FE試験対策（〇〇編）", "プログラミング演習", "第02回", "1.0"),
    "FE8": (
        "自作教材（プログラム）\n自作教材（問題演習）",
        "プログラミング演習",
        "第03～08回",
        "6.0",
    ),
    "FE9": ("FE試験対策（〇〇編）", "プログラミング演習", "第09回", "0.5"),
    "FE10": ("FE試験対策（〇〇編）", "プログラミング演習", "第09回", "0.5"),
}
# 別紙6: the delivery course 99991-001-004.
MANUAL_DELIVERY = {
    "name": "2018年度FE実施講座6月コースA",
    "prefecture": "神奈川県",
    "address": "〇〇市〇〇区〇〇〇〇1-2-3",
    "building": "IPA大学工学部棟4階",
    "target_learners": "本学の学生",
    "conditions": "特になし",
    "expected_learners": 20,
    "start_date": D(2018, 4, 2),
    "end_date": D(2018, 6, 8),
    "instructors": "講師名：情報\u3000花子、情報\u3000次郎",
    "committee_declaration": True,
}


def _workbook(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def _texts(ws) -> set:
    return {cell.value for row in ws.iter_rows() for cell in row if cell.value not in (None, "")}


def _set_manual_provider(provider):
    for name, value in MANUAL_PROVIDER.items():
        setattr(provider, name, value)
    provider.save()
    return provider


def _delivery(course, user, serial_name: str, **extra):
    june = ExamSession.objects.get_or_create(
        exam_date=D(2018, 6, 10), defaults={"fiscal_year": 2018, "season": "summer"}
    )[0]
    july = ExamSession.objects.get_or_create(
        exam_date=D(2018, 7, 22), defaults={"fiscal_year": 2018, "season": "summer"}
    )[0]
    values = {**MANUAL_DELIVERY, "name": serial_name, **extra}
    return services.save_delivery_course(
        course.pk,
        user,
        values,
        [
            {"row": "upper", "slot": 1, "kind": "ipa", "session": june},
            {"row": "upper", "slot": 2, "kind": "ipa", "session": july},
        ],
    )


@pytest.fixture
def example(provider_a, staff_a):
    """Course 99991-001 「2018-2019年度講座A」 of 別紙3/4/6/11: delivery courses
    001–003 approved in earlier filings (002 with a deletion request), 004
    (別紙6) and 005 new in this submission."""
    provider = _set_manual_provider(provider_a)
    course = complete_course(provider, staff_a)
    ExemptionCourse.objects.filter(pk=course.pk).update(
        name="2018-2019年度講座A",
        desired_month=D(2018, 2, 1),
        application_date=TODAY,
        course_manager="情報\u3000次郎",
    )
    course.materials.all().delete()
    for order, (name, publisher, edition, published) in enumerate(MANUAL_MATERIALS, start=1):
        StudyMaterial.objects.create(course=course, order=order, name=name, publisher=publisher,
                                     edition=edition, published_on=published)  # fmt: skip
    rows = list(course.plan_rows.select_related("syllabus_item"))
    rest = [r for r in rows if r.syllabus_item.code not in MANUAL_PLAN]
    each = (Decimal("87.0") / len(rest)).quantize(Decimal("0.1"), rounding="ROUND_DOWN")
    for row in rows:
        if row.syllabus_item.code in MANUAL_PLAN:
            row.material, row.class_name, row.planned_session, hours = MANUAL_PLAN[
                row.syllabus_item.code
            ]
            row.hours = Decimal(hours)
        else:
            row.hours = each
        row.save()
    last = rest[-1]
    last.hours = Decimal("100.0") - sum(
        (r.hours for r in StudyPlanRow.objects.filter(course=course).exclude(pk=last.pk)),
        Decimal(0),
    )
    last.save()

    first = course.delivery_courses.get()  # 001 from complete_course
    _delivery(course, staff_a, "2018年度FE実施講座4月コースB")  # 002
    _delivery(course, staff_a, "2018年度FE実施講座5月コースC")  # 003
    _delivery(course, staff_a, MANUAL_DELIVERY["name"])  # 004
    _delivery(course, staff_a, "2018年度FE実施講座6月コースD", expected_learners=15)  # 005
    DeliveryCourse.objects.filter(course=course, serial__lte=3).update(state="approved")
    DeliveryCourse.objects.filter(course=course, serial=2).update(deletion_requested=True)
    DeliveryCourse.objects.filter(course=course, serial=5).update(state="returned")
    # Filed with the course on 2017-10-14, as the manual's figures are dated.
    filed = datetime.datetime(2017, 10, 14, 10, 0, tzinfo=datetime.UTC)
    DeliveryCourse.objects.filter(course=course).update(created_at=filed)
    course.operation_structure.created_on = TODAY
    course.operation_structure.save()
    assert first.serial == 1
    course.refresh_from_db()
    return course


# --- C14: 申請書式2 (別紙3) ----------------------------------------------------------


def test_c14_shoshiki_2_holds_the_manual_example_values(example):
    wb = _workbook(course_docs.render_shoshiki_2(example))
    assert wb.sheetnames == ["申請書式2"]
    ws = wb["申請書式2"]

    def value(key):
        return ws[course_docs.SHOSHIKI_2_CELLS[key]].value

    assert value("date") == "2017年10月14日"
    assert value("form_version").startswith("Ver.")
    assert value("name") == "IPA大学"
    assert value("representative_name") == "情報\u3000太郎"
    assert value("provider_number") == "99991"
    assert value("name_kana") == "アイピーエーダイガク"
    assert (value("contact_family_name"), value("contact_given_name")) == ("情報", "花子")
    assert value("contact_department") == "○○○部△△△課"
    assert value("contact_tel") == "999-999-9999"
    assert value("contact_fax") == "000-000-0000"
    assert value("contact_email") == "kouza@ipa.go.jp"
    assert value("course_number") == "99991-001"
    assert value("course_name") == "2018-2019年度講座A"
    assert value("remarks") == "認定希望月：2018年2月"
    # IPA入力欄 (C1): なし×IPA提供 = A, marked; the others not.
    assert value("ipa_code") == "A"
    assert [value(f"code_{c}") for c in "ABCD"] == ["●A", "○B", "○C", "○D"]
    texts = _texts(ws)
    assert "基本情報技術者試験免除対象講座認定申請書" in texts
    assert "独立行政法人情報処理推進機構理事長\u3000殿" in texts
    assert "申請のとおり" in texts
    assert any("告示第2条の規定に基づき、申請します。" in str(t) for t in texts)
    assert {"IPA入力欄", "修了試験の実施方法", "IPA提供問題", "IPA審査問題", "種類"} <= texts


def test_c14_shoshiki_2_marks_the_code_of_a_private_reviewed_course(example):
    ExemptionCourse.objects.filter(pk=example.pk).update(
        course_type=CourseType.PRIVATE_REVIEWED, vendor_name="△△協会"
    )
    example.refresh_from_db()
    ws = _workbook(course_docs.render_shoshiki_2(example))["申請書式2"]
    cells = course_docs.SHOSHIKI_2_CELLS
    assert ws[cells["ipa_code"]].value == "D"
    assert [ws[cells[f"code_{c}"]].value for c in "ABCD"] == ["○A", "○B", "○C", "●D"]


# --- C14: 申請書式2-FE-添付書類1 (別紙4) + 受講計画 (別紙11) ---------------------------------


def test_c14_att_1_holds_criteria_hours_and_the_study_plan_sheet(example):
    wb = _workbook(course_docs.render_shoshiki_2_att_1(example))
    assert wb.sheetnames == ["申請書式2-FE-添付書類1", "受講計画"]

    ws = wb["申請書式2-FE-添付書類1"]
    cells = course_docs.ATT_1_CELLS
    assert ws[cells["date"]].value == "2017年10月14日"
    assert ws[cells["provider_number"]].value == "99991"
    assert ws[cells["name"]].value == "IPA大学"
    assert ws[cells["course_name"]].value == "2018-2019年度講座A"
    criteria = ws[cells["completion_criteria"]].value
    assert criteria.startswith("以下の全ての項目を満たす者を修了認定者と定める。")
    assert "受講項目数の70%以上かつ受講時間数の70%以上" in criteria
    assert "・IPA提供問題による修了試験を受験し" in criteria
    assert ws[cells["total_hours"]].value == 100.0
    assert ws[cells["total_hours"]].number_format == "0.00"
    assert {"・添付書類3に記載のとおり", "・申請のとおり", "時間"} <= _texts(ws)

    plan = wb["受講計画"]
    texts = _texts(plan)
    assert "情報\u3000次郎" in texts  # 免除対象講座 管理責任者
    materials = {
        row[0].value: (row[4].value, row[6].value, row[7].value)
        for row in plan.iter_rows(min_row=11, max_row=14)
    }
    assert materials == {
        "FE試験対策（〇〇編）": ("IPA出版", "第2版", "2017/02/02"),
        "FE試験対策（△△編）": ("IPA出版", "第2版", "2017/01/23"),
        "自作テキスト（プログラム）": ("-", "第1版", "2016/04/01"),
        "自作テキスト（問題演習）": ("-", "第3版", "2016/04/01"),
    }

    header = next(r for r in plan.iter_rows() if r[3].value == "管理番号")[0].row
    assert plan.print_title_rows == f"${header}:${header + 1}"
    rows = [r for r in plan.iter_rows(min_row=header + 2) if r[0].value != "合計"]
    rows = [r for r in rows if r[3].value]
    assert len(rows) == example.plan_rows.count()
    values = [tuple(c.value for c in r) for r in rows]
    assert values[0] == ("1基礎理論", "1基礎理論", "1離散数学", "(FE1)", "FE試験対策（〇〇編）",
                         "IT基礎", "第01回", 0.5)  # fmt: skip
    # 別紙11 prints 分野 and 項目 where they change; the cells below stay empty.
    assert values[5][0] is None
    assert values[5][1:4] == ("2アルゴリズムとプログラミング", "1データ構造", "(FE6)")
    assert values[7][3:] == ("(FE8)", "自作教材（プログラム）\n自作教材（問題演習）",
                             "プログラミング演習", "第03～08回", 6.0)  # fmt: skip
    assert all(r[7].number_format == "0.00" for r in rows)
    total = next(r for r in plan.iter_rows() if r[0].value == "合計")
    assert total[7].value == pytest.approx(100.0)
    assert total[7].value == pytest.approx(sum(v[7] for v in values))
    assert total[7].number_format == "0.00"
    # 別紙11: cells of the plan rows are never merged.
    plan_rows = range(rows[0][0].row, rows[-1][0].row + 1)
    assert not [m for m in plan.merged_cells.ranges if m.min_row in plan_rows]
    assert int(plan.page_setup.fitToWidth) == 1 and int(plan.page_setup.fitToHeight) == 0


# --- D9: 申請書式2-添付書類2 (別紙5, figure 5.5-2) -----------------------------------------


def test_d9_att_2_lists_every_delivery_course_with_deletion_flags_and_counts(provider_a, staff_a):
    """Figure 5.5-2: course 99991-021 with two delivery courses, 002 to be deleted."""
    _set_manual_provider(provider_a)
    course = complete_course(provider_a, staff_a)
    ExemptionCourse.objects.filter(pk=course.pk).update(
        serial=21, name="2014年度FE午前免除講座C", application_date=D(2014, 8, 18)
    )
    course.refresh_from_db()
    course.delivery_courses.update(name="2014年度実施講座10月コースA")
    _delivery(course, staff_a, "2014年度実施講座10月コースB")
    DeliveryCourse.objects.filter(course=course).update(state="approved")
    DeliveryCourse.objects.filter(course=course, serial=2).update(deletion_requested=True)

    wb = _workbook(course_docs.render_shoshiki_2_att_2(course))
    assert wb.sheetnames == ["申請書式2-添付書類2"]
    ws = wb["申請書式2-添付書類2"]
    cells = course_docs.ATT_2_CELLS
    assert ws[cells["date"]].value == "2014年8月18日"
    assert ws[cells["provider_number"]].value == "99991"
    assert ws[cells["name_kana"]].value == "アイピーエーダイガク"
    assert ws[cells["name"]].value == "IPA大学"
    assert ws[cells["course_number"]].value == "99991-021"
    assert ws[cells["course_name"]].value == "2014年度FE午前免除講座C"
    assert ws[cells["delivery_count"]].value == 2
    assert ws[cells["deletion_count"]].value == 1
    assert "実施講座一覧表" in _texts(ws)
    first = course_docs.ATT_2_FIRST_LIST_ROW
    listed = [
        (ws[f"A{r}"].value, ws[f"B{r}"].value, ws[f"C{r}"].value, ws[f"E{r}"].value)
        for r in range(first, first + 2)
    ]
    assert listed == [
        (1, "□", "99991-021-001", "2014年度実施講座10月コースA"),
        (2, "■", "99991-021-002", "2014年度実施講座10月コースB"),
    ]
    assert ws[f"A{first + 2}"].value is None


def test_d9_att_2_counts_every_delivery_course_of_the_example(example):
    data = course_docs.shoshiki_2_att_2_data(example)
    assert data["delivery_count"] == 5
    assert data["deletion_count"] == 1
    assert [d["deletion_requested"] for d in data["deliveries"]] == [
        False, True, False, False, False,
    ]  # fmt: skip


# --- C14: 申請書式2-添付書類3 (別紙6) -------------------------------------------------------


def test_c14_att_3_has_one_sheet_per_delivery_course_of_this_submission(example):
    wb = _workbook(course_docs.render_shoshiki_2_att_3(example))
    # 001–003 were approved in earlier filings: no sheet for them (M§5.4 (7)).
    assert wb.sheetnames == ["001-004", "001-005"]

    ws = wb["001-004"]
    cells = course_docs.ATT_3_CELLS

    def value(key):
        return ws[cells[key]].value

    assert ws["A1"].value == "申請書式2-添付書類3"
    assert value("date") == "2017年10月14日"
    assert "実施講座開設申請書" in _texts(ws)
    assert value("provider_number") == "99991"
    assert value("name_kana") == "アイピーエーダイガク"
    assert value("name") == "IPA大学"
    assert value("course_number") == "99991-001"
    assert value("course_name") == "2018-2019年度講座A"
    assert value("delivery_number") == "99991-001-004"
    assert value("delivery_name") == "2018年度FE実施講座6月コースA"
    assert value("prefecture") == "神奈川県"
    assert value("address") == "〇〇市〇〇区〇〇〇〇1-2-3"
    assert value("building") == "IPA大学工学部棟4階"
    assert value("target_learners") == "本学の学生"
    assert value("conditions") == "特になし"
    assert value("expected_learners") == 20
    assert value("start_date") == "2018年04月02日(月)"
    assert value("end_date") == "2018年06月08日(金)"
    assert value("length") == "9週5日間"
    assert value("upper_count") == 2
    assert (value("upper_1_date"), value("upper_1_kind")) == ("2018年06月10日(日)", "IPA提供問題")
    assert (value("upper_2_date"), value("upper_2_kind")) == ("2018年07月22日(日)", "IPA提供問題")
    assert value("lower_count") == 0
    assert value("lower_1_date") in (None, "") and value("lower_2_date") in (None, "")
    assert value("remarks") == "講師名：情報\u3000花子、情報\u3000次郎"
    assert "備考に記載" in _texts(ws)
    assert wb["001-005"][cells["expected_learners"]].value == 15


def test_c14_att_3_shows_the_rescue_row_of_a_private_course(example):
    delivery = example.delivery_courses.get(serial=4)
    june = delivery.exams.get(slot=1).session
    delivery.exams.filter(slot=1).update(kind="reviewed", session=None, vendor_date=D(2018, 6, 3))
    delivery.exams.create(row="lower", slot=1, kind="ipa", session=june)
    ws = _workbook(course_docs.render_shoshiki_2_att_3(example))["001-004"]
    cells = course_docs.ATT_3_CELLS
    assert ws[cells["upper_1_date"]].value == "2018年06月03日(日)"
    assert ws[cells["upper_1_kind"]].value == "IPA審査問題"
    assert ws[cells["lower_count"]].value == 1
    assert ws[cells["lower_1_date"]].value == "2018年06月10日(日)"
    assert ws[cells["lower_1_kind"]].value == "IPA提供問題"


# --- C14: 講座の運営実施体制 (別紙12) --------------------------------------------------------


def test_c14_unei_taisei_lists_the_structure_and_every_delivery_course(example):
    wb = _workbook(course_docs.render_unei_taisei(example))
    assert wb.sheetnames == ["講座の運営実施体制"]
    ws = wb["講座の運営実施体制"]
    texts = _texts(ws)
    assert ws["C5"].value in (None, "")  # 修了試験実施日: not at course level (表5.2-4)
    assert ws["F3"].value == "作成日：2017/10/14"
    assert ws["A5"].value == "修了試験実施日"
    assert ws["C6"].value == "99991"
    assert ws["D7"].value == "IPA大学"
    assert ws["C8"].value == "東京都文京区本駒込2-28-8"
    assert ws["C9"].value == 5  # 実施講座数
    assert ws["C10"].value == 20 * 4 + 15  # 応募者数 = expected learners
    assert {"情報 太郎 教務部", "情報 花子 教務部"} <= texts
    assert "管理責任者が不在の場合は、情報 花子が代行となる。" in texts
    assert any("2名以上で2回以上" in str(t) for t in texts)
    assert any("鍵付きの金庫、鍵は情報太郎が管理" in str(t) for t in texts)
    listed = [
        (r[0].value, r[1].value, r[3].value, r[5].value)
        for r in ws.iter_rows()
        if isinstance(r[0].value, int)
    ]
    assert [n for _, n, _, _ in listed] == [f"99991-001-00{i}" for i in range(1, 6)]
    assert listed[3] == (4, "99991-001-004", "2018年度FE実施講座6月コースA", 20)


# --- F2: 入金確認依頼票 (別紙13) ------------------------------------------------------------


def _payment_request(provider, user, course, **values):
    review = course.fee_lines.create(
        provider=provider, kind=FeeKind.REVIEW, description=f"{course.number} {course.name}",
        unit_amount=35000, course=course,
    )  # fmt: skip
    problem = FeeLine.objects.create(
        provider=provider, kind=FeeKind.PROBLEM, description="99991-001-004-001",
        unit_amount=2000, quantity=10, course=course,
    )  # fmt: skip
    return fee_services.create_payment_request(
        provider, user, [review.pk, problem.pk],
        {"request_date": TODAY, "payment_date": D(2017, 10, 16), "bank": "○○銀行○○支店",
         "payer_name_kana": "99991アイピーエーダイガク", "transfers": 1, **values},
    )  # fmt: skip


def test_f2_nyukin_irai_holds_the_lines_the_total_the_payer_and_ipas_account(example, staff_a):
    request = _payment_request(
        example.provider, staff_a, example,
        contact_name="情報\u3000三郎", contact_department="経理課", contact_tel="000-000-0000",
    )  # fmt: skip
    wb = _workbook(fee_docs.render_nyukin_irai(request))
    assert wb.sheetnames == ["入金確認依頼票"]
    ws = wb["入金確認依頼票"]
    cells = fee_docs.NYUKIN_IRAI_CELLS

    def value(key):
        return ws[cells[key]].value

    assert value("request_date") == "2017/10/14"
    assert value("provider_number") == "99991"
    assert value("provider_name") == "IPA大学"
    assert (value("contact_name"), value("contact_department"), value("contact_tel")) == (
        "情報\u3000三郎", "経理課", "000-000-0000",
    )  # fmt: skip
    assert value("payment_date") == "2017/10/16"
    assert value("bank") == "○○銀行○○支店"
    assert value("payer_name_kana") == "99991アイピーエーダイガク"
    assert value("transfers") == 1

    first = fee_docs.FIRST_REVIEW_ROW
    review = [tuple(ws.cell(r, c).value for c in range(1, 7)) for r in range(first, first + 5)]
    assert review[0] == (1, "講座認定審査手数料01", 35000, "99991 -", "001", "2018-2019年度講座A")
    assert [r[2] for r in review[1:]] == [None] * 4
    assert [r[1] for r in review] == [f"講座認定審査手数料0{i}" for i in range(1, 6)]
    problem = [ws.cell(first + 6, c).value for c in range(1, 7)]
    assert problem[:5] == [6, "修了試験問題提供料", 20000, 10, None]
    assert value("total") == 35000 + 20000 == review[0][2] + problem[2]
    assert ws[cells["total"]].number_format == "#,##0"
    # F5: IPA's bank account (M§13.2 表13.2-1).
    assert {"三菱UFJ銀行", "東京公務部", "普通預金 14487", "独立行政法人 情報処理推進機構"} <= (
        _texts(ws)
    )


def test_f2_nyukin_irai_leaves_the_contact_blank_when_it_is_the_registered_one(example, staff_a):
    request = _payment_request(example.provider, staff_a, example, contact_name="情報　花子",
                               contact_department="○○○部△△△課", contact_tel="999-999-9999")  # fmt: skip
    ws = _workbook(fee_docs.render_nyukin_irai(request))["入金確認依頼票"]
    cells = fee_docs.NYUKIN_IRAI_CELLS
    assert all(ws[cells[k]].value in (None, "") for k in ("contact_name", "contact_tel"))
    assert fee_docs.nyukin_irai_data(request)["contact"] is None


# --- W3: registry, file names, determinism, permission ---------------------------------

COURSE_DOCUMENTS = {
    "shoshiki_2": "申請書式2：免除対象講座認定申請書",
    "shoshiki_2_att_1": "申請書式2-FE-添付書類1：免除対象講座受講計画",
    "shoshiki_2_att_2": "申請書式2-添付書類2：実施講座一覧表",
    "shoshiki_2_att_3": "申請書式2-添付書類3：実施講座開設申請書",
    "unei_taisei": "講座の運営実施体制",
}


def test_w3_documents_are_registered_and_named_per_w3(example, staff_a, settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    at = datetime.datetime(2026, 11, 21, 5, 22, 33, tzinfo=datetime.UTC)
    for doc_id, title in COURSE_DOCUMENTS.items():
        doc = documents.get(doc_id)
        assert doc.title == title
        assert doc.model == "courses.ExemptionCourse"
        assert doc.model_class() is ExemptionCourse
        assert doc.filename(example, at) == f"(99991){title}_20261121_142233.xlsx"
    doc = documents.get("nyukin_irai")
    request = _payment_request(example.provider, staff_a, example)
    assert doc.model == "fees.PaymentRequest"
    assert doc.filename(request, at) == "(99991)入金確認依頼票_20261121_142233.xlsx"
    assert (
        documents.get("shoshiki_2").filename(example, at)
        == "(99991)申請書式2：免除対象講座認定申請書_20261121_142233.xlsx"
    )


def test_w3_same_data_gives_the_same_bytes_and_changes_follow_the_data(example, staff_a):
    request = _payment_request(example.provider, staff_a, example)
    objects = dict.fromkeys(COURSE_DOCUMENTS, example) | {"nyukin_irai": request}
    for doc_id, obj in objects.items():
        doc = documents.get(doc_id)
        first = doc.render(obj)
        assert doc.render(obj) == first, doc_id
        assert doc.render(type(obj).objects.get(pk=obj.pk)) == first, doc_id
        # The values are plain (JSON-able) data; the version hashes them.
        assert isinstance(doc.data_version(obj), str)

    before = {doc_id: documents.get(doc_id).render(example) for doc_id in COURSE_DOCUMENTS}
    versions = {doc_id: documents.get(doc_id).data_version(example) for doc_id in COURSE_DOCUMENTS}
    ExemptionCourse.objects.filter(pk=example.pk).update(name="2018-2019年度講座B")
    example.delivery_courses.filter(serial=4).update(name="2018年度FE実施講座6月コースZ")
    example.refresh_from_db()
    for doc_id in COURSE_DOCUMENTS:
        doc = documents.get(doc_id)
        assert doc.render(example) != before[doc_id], doc_id
        assert doc.data_version(example) != versions[doc_id], doc_id


def test_w3_user_text_is_never_a_formula(example):
    ExemptionCourse.objects.filter(pk=example.pk).update(name='=HYPERLINK("http://x","y")')
    StudyPlanRow.objects.filter(course=example, syllabus_item__code="FE1").update(material="=1+1")
    example.refresh_from_db()
    ws = _workbook(course_docs.render_shoshiki_2(example))["申請書式2"]
    cell = ws[course_docs.SHOSHIKI_2_CELLS["course_name"]]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://x","y")', "s")
    plan = _workbook(course_docs.render_shoshiki_2_att_1(example))["受講計画"]
    cell = next(r[4] for r in plan.iter_rows() if r[3].value == "(FE1)")
    assert (cell.value, cell.data_type) == ("=1+1", "s")


def test_w3_every_sheet_prints_a4_one_page_wide(example, staff_a):
    request = _payment_request(example.provider, staff_a, example)
    objects = dict.fromkeys(COURSE_DOCUMENTS, example) | {"nyukin_irai": request}
    for doc_id, obj in objects.items():
        for ws in _workbook(documents.get(doc_id).render(obj)).worksheets:
            assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4), (doc_id, ws.title)
            landscape = (doc_id, ws.title) == ("shoshiki_2_att_1", "受講計画")
            assert ws.page_setup.orientation == ("landscape" if landscape else "portrait")
            assert ws.sheet_properties.pageSetUpPr.fitToPage
            assert int(ws.page_setup.fitToWidth) == 1
            assert ws.print_area


def test_w3_only_reviewers_and_the_providers_staff_may_download(
    example, staff_a, staff_b, reviewer, outsider
):
    request = _payment_request(example.provider, staff_a, example)
    objects = dict.fromkeys(COURSE_DOCUMENTS, example) | {"nyukin_irai": request}
    for doc_id, obj in objects.items():
        doc = documents.get(doc_id)
        assert doc.can_download(staff_a, obj), doc_id
        assert doc.can_download(reviewer, obj), doc_id
        assert not doc.can_download(staff_b, obj), doc_id  # another provider's staff
        assert not doc.can_download(outsider, obj), doc_id
        assert not doc.can_download(AnonymousUser(), obj), doc_id
        assert not doc.can_download(None, obj), doc_id
