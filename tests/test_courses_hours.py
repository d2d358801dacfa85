"""C5/C6: study-plan hours are exact to two decimals (0.25, 0.5, 0.75, 1.25 h;
別紙11 prints 0.50 and 100.00) in the model, the forms, the Excel import, the
totals and the documents. A value with more places is refused, never rounded."""

import io
from decimal import Decimal
from fractions import Fraction

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courses import rules, services
from courses.documents import render_shoshiki_2_att_1, shoshiki_2_att_1_data
from courses.forms import CourseForm
from courses.models import ExemptionCourse, StudyPlanRow, SyllabusItem
from courses.rules import CourseType

from .course_factories import FILED_ON, complete_course

pytestmark = pytest.mark.django_db


def _plan_xlsx(hours: list) -> bytes:
    """A 受講計画シート with one row per syllabus item and the given hours
    (numbers as Excel stores them), data from row 3, hours in column H."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "受講計画"
    ws.append(["免除対象講座 管理責任者", "情報\u3000次郎"])
    ws.append(
        ["分野", "項目", "小分類", "管理番号", "教材の名称", "授業名", "実施予定", "受講時間(h)"]
    )
    items = SyllabusItem.objects.filter(active=True)
    for item, h in zip(items, hours, strict=True):
        ws.append(["", "", item.sub_item, f"({item.code})", "FE試験対策", "IT基礎", "第01回", h])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _quarter_hours() -> list[float]:
    """Hours summing to exactly 100.00 with quarter and three-quarter hours."""
    n = SyllabusItem.objects.filter(active=True).count()
    hours = [0.25, 0.75, 1.25, 0.5] + [1.05] * (n - 5)
    hours.append(round(100 - sum(Decimal(str(h)) for h in hours), 2))
    hours[-1] = float(hours[-1])
    return hours


def _import(client, course, data: bytes):
    return client.post(
        reverse("course_plan_import", args=[course.pk]),
        {"file": SimpleUploadedFile("plan.xlsx", data)},
        follow=True,
    )


def test_c6_plan_import_keeps_quarter_hours_exactly(provider_a, staff_a, client):
    course = complete_course(provider_a, staff_a)
    client.force_login(staff_a)
    response = _import(client, course, _plan_xlsx(_quarter_hours()))
    assert "項目を読み込みました" in response.content.decode()
    rows = list(StudyPlanRow.objects.filter(course=course).order_by("syllabus_item__order"))
    assert [r.hours for r in rows[:4]] == [
        Decimal("0.25"),
        Decimal("0.75"),
        Decimal("1.25"),
        Decimal("0.50"),
    ]
    assert sum(r.hours for r in rows) == Decimal("100.00")
    # The total is compared exactly: nothing about the hours is left to fix.
    problems = services.submission_problems(ExemptionCourse.objects.get(pk=course.pk), FILED_ON)
    assert [m for s, m in problems if "受講時間" in m] == []


def test_c6_plan_import_refuses_more_than_two_decimals_naming_row_and_column(
    provider_a, staff_a, client
):
    course = complete_course(provider_a, staff_a)
    before = list(StudyPlanRow.objects.filter(course=course).values_list("hours", flat=True))
    hours = _quarter_hours()
    hours[40] = 1.333  # FE41, on sheet row 43 (two header rows)
    client.force_login(staff_a)
    html = _import(client, course, _plan_xlsx(hours)).content.decode()
    assert "43行目 H列（FE41）" in html
    assert "「受講時間（h）」は小数第2位まで" in html and "1.333" in html
    assert (
        list(StudyPlanRow.objects.filter(course=course).values_list("hours", flat=True)) == before
    )


def test_c6_plan_import_reads_excel_float_noise_as_the_value_shown(provider_a, staff_a):
    """=0.1+0.2 in Excel stores 0.30000000000000004 and shows 0.3: that is 0.30."""
    from courses.plan_import import parse_plan_rows

    item = SyllabusItem.objects.get(code="FE1")
    rows = [("", "", item.sub_item, "(FE1)", "本", "授業", "第01回", 0.1 + 0.2)]
    manager, plan, problems = parse_plan_rows(rows)
    assert problems == []
    assert plan[0]["hours"] == Decimal("0.30")


def _post_plan(client, course, hours_by_code: dict):
    data = {"course_manager": "情報\u3000次郎"}
    for item in SyllabusItem.objects.filter(code__in=hours_by_code):
        data.update({f"material_{item.pk}": "本", f"class_name_{item.pk}": "授業",
                     f"planned_session_{item.pk}": "第01回", f"hours_{item.pk}": hours_by_code[item.code]})  # fmt: skip
    return client.post(reverse("course_plan", args=[course.pk]), data)


def test_c6_plan_form_refuses_three_decimals_and_keeps_what_was_typed(provider_a, staff_a, client):
    course = complete_course(provider_a, staff_a)
    client.force_login(staff_a)
    response = _post_plan(client, course, {"FE1": "0.25", "FE2": "1.333"})
    html = response.content.decode()
    assert "FE2：「受講時間（h）」は小数第2位まで（例：0.25、1.5）で入力してください。" in html
    assert "自動では丸めません" in html
    assert 'value="1.333"' in html  # what was typed stays in the field
    assert StudyPlanRow.objects.filter(course=course).count() == SyllabusItem.objects.count()


def test_c6_plan_form_saves_quarter_hours_exactly(provider_a, staff_a, client):
    course = complete_course(provider_a, staff_a)
    client.force_login(staff_a)
    response = _post_plan(client, course, {"FE1": "0.25", "FE2": "0.75", "FE3": "1.25"})
    assert response.status_code == 302
    assert sorted(StudyPlanRow.objects.filter(course=course).values_list("hours", flat=True)) == [
        Decimal("0.25"),
        Decimal("0.75"),
        Decimal("1.25"),
    ]
    page = client.get(reverse("course_detail", args=[course.pk])).content.decode()
    assert "受講計画の合計 2.25 時間" in page


def _course_form(**values):
    data = {"name": "2025-2026年度講座A", "attendance_ratio": "70%", "learning_mode": "classroom",
            "desired_month": "2026-10", "course_type": CourseType.NONE_IPA, **values}  # fmt: skip
    return CourseForm(data)


def test_c5_course_form_keeps_two_decimals_and_refuses_more(db):
    form = _course_form(total_hours="100.25")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["total_hours"] == Decimal("100.25")

    form = _course_form(total_hours="100.255", vendor_min_hours="40.125")
    assert not form.is_valid()
    assert form.errors["total_hours"] == [
        "「受講時間合計」は小数第2位まで（例：0.25、1.5）で入力してください。"
        "「100.255」のように端数のある値は自動では丸めません。"
    ]
    assert "小数第2位まで" in form.errors["vendor_min_hours"][0]


def test_c5_total_is_compared_exactly_with_100_hours():
    problems = rules.hours_problems(CourseType.NONE_IPA, Fraction("99.99"), Fraction("99.99"))
    assert problems == ["「受講時間合計」は100.00時間以上にしてください（現在 99.99 時間）。"]
    assert rules.hours_problems(CourseType.NONE_IPA, Fraction("100.00"), Fraction("100")) == []
    mismatch = rules.hours_problems(CourseType.NONE_IPA, Fraction("100.25"), Fraction("100.2"))
    assert mismatch == [
        "「受講時間合計」（100.25 時間）が受講計画シートの合計（100.20 時間）と一致しません。"
    ]


def test_c5_course_with_99_99_hours_cannot_be_submitted(provider_a, staff_a):
    course = complete_course(provider_a, staff_a)
    last = StudyPlanRow.objects.filter(course=course).order_by("-syllabus_item__order").first()
    last.hours -= Decimal("0.01")
    last.save()
    ExemptionCourse.objects.filter(pk=course.pk).update(total_hours=Decimal("99.99"))
    problems = services.submission_problems(ExemptionCourse.objects.get(pk=course.pk), FILED_ON)
    assert (
        "受講計画",
        "「受講時間合計」は100.00時間以上にしてください（現在 99.99 時間）。",
    ) in problems


def test_c6_documents_print_quarter_hours_like_bessi11(provider_a, staff_a, client):
    course = complete_course(provider_a, staff_a)
    client.force_login(staff_a)
    _import(client, course, _plan_xlsx(_quarter_hours()))
    ExemptionCourse.objects.filter(pk=course.pk).update(total_hours=Decimal("100.00"))
    course = ExemptionCourse.objects.get(pk=course.pk)
    data = shoshiki_2_att_1_data(course)
    assert [p["hours"] for p in data["plan"][:4]] == ["0.25", "0.75", "1.25", "0.50"]
    assert (data["plan_total"], data["course"]["total_hours"]) == ("100.00", "100.00")
    wb = openpyxl.load_workbook(io.BytesIO(render_shoshiki_2_att_1(course)))
    plan = wb["受講計画"]
    first = next(r for r in plan.iter_rows() if r[3].value == "(FE1)")
    assert first[7].value == 0.25 and first[7].number_format == "0.00"
