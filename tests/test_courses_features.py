"""Course features around the workflow: syllabus upload (C6), study-plan import
from Excel (C6), attachments (C15), materials by post (C16), and a delivery
course added to a certified course with the D7 timing."""

import datetime
import io
import zipfile
from decimal import Decimal
from unittest import mock

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from calendars.models import ExamSession
from courses import services
from courses.models import DeliveryCourse, ExemptionCourse, StudyPlanRow, SyllabusItem

from .course_factories import certified_course, complete_course

pytestmark = pytest.mark.django_db
D = datetime.date


def _plan_xlsx(rows, manager="情報\u3000次郎") -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "受講計画"
    ws.append(["免除対象講座 管理責任者", manager])
    ws.append(
        ["分野", "項目", "小分類", "管理番号", "教材の名称", "授業名", "実施予定", "受講時間(h)"]
    )
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _all_rows(hours="1.0"):
    return [["", "", i.sub_item, f"({i.code})", "FE試験対策", "IT基礎", "第01回", hours]
            for i in SyllabusItem.objects.filter(active=True)]  # fmt: skip


def test_c6_plan_import_reads_every_row_and_the_manager(provider_a, staff_a, client):
    course = complete_course(provider_a, staff_a)
    client.force_login(staff_a)
    upload = SimpleUploadedFile("plan.xlsx", _plan_xlsx(_all_rows("0.5"), "山田\u3000一郎"))
    response = client.post(
        reverse("course_plan_import", args=[course.pk]), {"file": upload}, follow=True
    )
    assert "96項目を読み込みました" in response.content.decode()
    course.refresh_from_db()
    assert course.course_manager == "山田\u3000一郎"
    assert {r.hours for r in StudyPlanRow.objects.filter(course=course)} == {Decimal("0.5")}


def test_c6_plan_import_with_one_bad_row_names_it_and_saves_nothing(provider_a, staff_a, client):
    course = complete_course(provider_a, staff_a)
    before = list(StudyPlanRow.objects.filter(course=course).values_list("hours", flat=True))
    rows = _all_rows()
    rows[40][7] = "三時間"
    client.force_login(staff_a)
    upload = SimpleUploadedFile("plan.xlsx", _plan_xlsx(rows))
    response = client.post(
        reverse("course_plan_import", args=[course.pk]), {"file": upload}, follow=True
    )
    html = response.content.decode()
    assert "43行目" in html and "受講時間（h）" in html  # header rows 1–2, data from row 3
    assert (
        list(StudyPlanRow.objects.filter(course=course).values_list("hours", flat=True)) == before
    )


def test_c6_zip_bomb_xlsx_is_refused_before_inflating(provider_a, staff_a):
    course = complete_course(provider_a, staff_a)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (200 * 1024 * 1024))
    with pytest.raises(ValidationError, match="展開後のサイズが大きすぎる"):
        services.import_plan(course.pk, staff_a, bomb.getvalue())


def test_c6_plan_table_save_refuses_non_numbers_with_the_code(provider_a, staff_a, client):
    course = complete_course(provider_a, staff_a)
    item = SyllabusItem.objects.get(code="FE5")
    client.force_login(staff_a)
    response = client.post(
        reverse("course_plan", args=[course.pk]),
        {"course_manager": "情報\u3000次郎", f"material_{item.pk}": "本", f"class_name_{item.pk}": "授業",
         f"planned_session_{item.pk}": "第01回", f"hours_{item.pk}": "abc"},
    )  # fmt: skip
    assert (
        "FE5：「受講時間（h）」は数値（例：1.25）で入力してください（「abc」）。"
        in response.content.decode()
    )
    assert StudyPlanRow.objects.filter(course=course).count() == SyllabusItem.objects.count()


def test_c6_admin_uploads_syllabus_csv(client, ipa_admin):
    client.force_login(ipa_admin)
    csv = "管理番号,分野,項目,小分類\nFE1,1基礎理論,1基礎理論,1離散数学\nFE2,1基礎理論,1基礎理論,2応用数学\n"
    response = client.post(
        reverse("admin:courses_syllabus_upload"),
        {"file": SimpleUploadedFile("syllabus.csv", csv.encode("cp932"))},
        follow=True,
    )
    assert "シラバス項目を2件登録しました" in response.content.decode()
    assert list(SyllabusItem.objects.filter(active=True).values_list("code", flat=True)) == [
        "FE1",
        "FE2",
    ]
    assert not SyllabusItem.objects.get(code="FE1").to_be_confirmed
    bad = client.post(
        reverse("admin:courses_syllabus_upload"),
        {"file": SimpleUploadedFile("s.csv", "管理番号,分野,項目,小分類\nX9,a,b,\n".encode())},
    )
    text = bad.content.decode()
    assert "2行目" in text and "FE1 のように" in text and "「小分類」が空欄" in text
    assert SyllabusItem.objects.filter(active=True).count() == 2


def test_c15_attachments_accept_pdf_and_office_only(provider_a, staff_a, client):
    course = complete_course(provider_a, staff_a)
    client.force_login(staff_a)
    url = reverse("course_attachments", args=[course.pk])
    exe = client.post(url, {"title": "別紙", "file": SimpleUploadedFile("tool.exe", b"MZ\x90\x00")})
    assert "PDF・Word・Excel・PowerPoint" in exe.content.decode()
    fake = client.post(
        url, {"title": "別紙", "file": SimpleUploadedFile("guide.pdf", b"not a pdf")}
    )
    assert "拡張子（.pdf）と一致しません" in fake.content.decode()
    ok = client.post(
        url, {"title": "学習ガイド", "file": SimpleUploadedFile("guide.pdf", b"%PDF-1.7 ...")}
    )
    assert ok.status_code == 302
    assert course.attachments.get().title == "学習ガイド"


def test_c15_elearning_course_needs_attachment_before_submission(provider_a, staff_a):
    course = complete_course(provider_a, staff_a)
    ExemptionCourse.objects.filter(pk=course.pk).update(learning_mode="elearning")
    course.refresh_from_db()
    problems = [m for _, m in services.submission_problems(course, D(2024, 8, 20))]
    assert any("e-ラーニング等の場合は" in m for m in problems)


def test_c16_reviewer_records_materials_requested_and_received(
    provider_a, staff_a, reviewer, client
):
    course = complete_course(provider_a, staff_a)
    client.force_login(reviewer)
    url = reverse("review_course_materials", args=[course.pk])
    response = client.post(url, {"received_on": "2024-09-10"}, follow=True)
    assert "先に「教材送付の依頼日」を記録してください。" in response.content.decode()
    client.post(url, {"requested_on": "2024-09-01"})
    client.post(url, {"received_on": "2024-09-10"})
    course.refresh_from_db()
    assert (course.materials_requested_on, course.materials_received_on) == (
        D(2024, 9, 1),
        D(2024, 9, 10),
    )


def test_d7_delivery_added_to_certified_course_is_its_own_submission(provider_a, staff_a, reviewer):
    course = certified_course(provider_a, staff_a, reviewer)
    june, july = (ExamSession.objects.get(exam_date=d) for d in (D(2025, 6, 8), D(2025, 7, 27)))
    values = {"name": "2025年度実施講座5月コースB", "prefecture": "東京都", "address": "文京区本駒込2-28-8",
              "expected_learners": 10, "start_date": D(2025, 5, 12), "end_date": D(2025, 6, 7),
              "instructors": "講師名：情報 太郎", "committee_declaration": True}  # fmt: skip
    slots = [{"row": "upper", "slot": 1, "kind": "ipa", "session": june},
             {"row": "upper", "slot": 2, "kind": "ipa", "session": july}]  # fmt: skip
    delivery = services.save_delivery_course(course.pk, staff_a, values, slots)
    # Golden Week 2025: 5 business days before Mon 5/12 is Thu 5/1.
    with (
        mock.patch("django.utils.timezone.localdate", return_value=D(2025, 5, 2)),
        pytest.raises(ValidationError, match="2025年5月1日"),
    ):
        services.submit_delivery_course(delivery.pk, staff_a)
    with mock.patch("django.utils.timezone.localdate", return_value=D(2025, 5, 1)):
        services.submit_delivery_course(delivery.pk, staff_a)
    assert DeliveryCourse.objects.get(pk=delivery.pk).state == "submitted"
    services.review_delivery_course(
        delivery.pk, reviewer, approve=False, reason="会場の階数を入力してください。"
    )
    # Fixed after the 1-business-day limit (Fri 5/9): the start date must move.
    with (
        mock.patch("django.utils.timezone.localdate", return_value=D(2025, 5, 10)),
        pytest.raises(ValidationError, match="開始日を不備解消日の翌日以降に変更"),
    ):
        services.submit_delivery_course(delivery.pk, staff_a)
    with mock.patch("django.utils.timezone.localdate", return_value=D(2025, 5, 9)):
        services.submit_delivery_course(delivery.pk, staff_a)
    services.review_delivery_course(delivery.pk, reviewer, approve=True)
    assert DeliveryCourse.objects.get(pk=delivery.pk).state == "approved"
