"""W1: a course after a return works like a registration after a return: the
reviewer sees what changed since the return (labels and display values), the
provider sees each section's reason on that section's page, and a resubmission
after the review fee was paid never asks for the fee again."""

from decimal import Decimal

import pytest
from django.urls import reverse

from courses import changes, services
from courses.models import DeliveryCourse, ExemptionCourse, StudyMaterial, StudyPlanRow
from fees import services as fee_services
from fees.models import FeeLine

from .course_factories import FILED_ON, complete_course

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: FILED_ON)


def _returned(provider, staff, reviewer, fields=None):
    course = complete_course(provider, staff)
    services.submit_course(course.pk, staff)
    services.return_course(
        course.pk, reviewer, "受講計画と実施講座を見直してください。", fields or {}
    )
    return ExemptionCourse.objects.get(pk=course.pk)


def _fix(course, staff):
    """The provider's fixes: the name and ratio, two plan rows (the total
    stays 100.00 h), a material and the delivery course."""
    services.update_course(
        course.pk, staff, {"name": "2024-2026年度講座A（改）", "attendance_ratio": "7割"}
    )
    rows = list(StudyPlanRow.objects.filter(course=course).order_by("syllabus_item__order"))
    rows[1].hours += Decimal("0.25")
    rows[2].hours -= Decimal("0.25")
    rows[1].save()
    rows[2].save()
    StudyMaterial.objects.filter(course=course).update(edition="第3版")
    delivery = DeliveryCourse.objects.get(course=course)
    services.save_delivery_course(
        course.pk, staff,
        {"name": delivery.name, "prefecture": delivery.prefecture, "address": delivery.address,
         "building": delivery.building, "expected_learners": 25, "start_date": delivery.start_date,
         "end_date": delivery.end_date, "instructors": delivery.instructors, "committee_declaration": True},
        [{"row": e.row, "slot": e.slot, "kind": e.kind, "session": e.session} for e in delivery.exams.all()],
        delivery.pk,
    )  # fmt: skip


def test_w1_reviewer_sees_what_changed_since_the_return_in_labels_and_display_values(
    provider_a, staff_a, reviewer, client
):
    course = _returned(provider_a, staff_a, reviewer)
    _fix(course, staff_a)
    services.submit_course(course.pk, staff_a)
    course = ExemptionCourse.objects.get(pk=course.pk)

    found = changes.changes_since_return(course)
    assert found == [
        ("講座の基本情報", "免除対象講座の名称", "2024-2026年度講座A", "2024-2026年度講座A（改）"),
        ("講座の基本情報", "出席率（修了認定の基準）", "70%", "7割"),
        ("使用する教材", "教材1", "FE試験対策（〇〇編）／IPA出版／第2版／2017/02/02",
         "FE試験対策（〇〇編）／IPA出版／第3版／2017/02/02"),
        ("受講計画", "(FE2) 2応用数学", "FE試験対策（〇〇編）／IT基礎／第02回／1.00 時間",
         "FE試験対策（〇〇編）／IT基礎／第02回／1.25 時間"),
        ("受講計画", "(FE3) 3情報に関する理論", "FE試験対策（〇〇編）／IT基礎／第03回／1.00 時間",
         "FE試験対策（〇〇編）／IT基礎／第03回／0.75 時間"),
        ("実施講座", "20001-001-001 受講者数（予定）", "20", "25"),
    ]  # fmt: skip

    client.force_login(reviewer)
    html = client.get(reverse("review_course_detail", args=[course.pk])).content.decode()
    assert "前回の差し戻し後に講座開設者が変更した項目（6件）" in html
    assert "<del>70%</del>" in html and "<ins>7割</ins>" in html
    assert "1.25 時間" in html
    assert "attendance_ratio" not in html and "expected_learners" not in html
    assert "0000000" not in html


def test_w1_unchanged_resubmission_says_so(provider_a, staff_a, reviewer, client):
    course = _returned(provider_a, staff_a, reviewer)
    services.submit_course(course.pk, staff_a)
    client.force_login(reviewer)
    html = client.get(reverse("review_course_detail", args=[course.pk])).content.decode()
    assert "内容を変更せずに再申請しました" in html


def test_w1_provider_sees_each_sections_reason_on_that_sections_page(
    provider_a, staff_a, reviewer, client
):
    course = _returned(
        provider_a, staff_a, reviewer,
        {"plan": "FE3の授業名を具体的にしてください。", "deliveries": "開始日を見直してください。"},
    )  # fmt: skip
    delivery = DeliveryCourse.objects.get(course=course)
    client.force_login(staff_a)

    def page(name, *args):
        return client.get(reverse(name, args=[course.pk, *args])).content.decode()

    plan = page("course_plan")
    assert "IPAからの差し戻し理由（この画面の内容）" in plan
    assert "FE3の授業名を具体的にしてください。" in plan
    assert "開始日を見直してください。" not in plan
    assert '3 受講計画 <span class="flag-inline">要修正</span>' in plan
    assert "開始日を見直してください。" in page("delivery_edit", delivery.pk)
    for name in ("course_edit", "course_materials", "course_structure"):
        assert "この画面の内容" not in page(name), name


def test_w1_resubmission_after_payment_never_asks_for_payment_again(
    provider_a, staff_a, reviewer, client
):
    course = complete_course(provider_a, staff_a)
    services.submit_course(course.pk, staff_a)
    line = FeeLine.objects.get(course=course)
    request = fee_services.create_payment_request(
        provider_a, staff_a, [line.pk],
        {"payment_date": FILED_ON, "bank": "銀行", "payer_name_kana": "20001エーガクエン"},
    )  # fmt: skip
    fee_services.confirm_payment(request.pk, reviewer, FILED_ON)
    services.return_course(course.pk, reviewer, "教材の発行年月日を確認してください。")

    client.force_login(staff_a)
    returned = client.get(reverse("course_detail", args=[course.pk])).content.decode()
    assert "再申請で改めてお振り込みいただく必要はありません" in returned
    response = client.post(reverse("course_submit", args=[course.pk]), follow=True)
    html = response.content.decode()
    assert (
        "再申請しました。講座認定審査手数料は入金確認済みのため、改めてのお振り込みは不要です。"
        in html
    )
    assert "お振り込みのうえ" not in html
    assert "入金確認依頼票を作成する" not in html
    assert FeeLine.objects.filter(course=course).count() == 1  # no second fee line
    # The review goes on without a new payment.
    services.start_review(course.pk, reviewer)
    assert ExemptionCourse.objects.get(pk=course.pk).review_started_on == FILED_ON


def test_w1_display_values_are_what_people_read(provider_a, staff_a):
    course = complete_course(provider_a, staff_a)
    ExemptionCourse.objects.filter(pk=course.pk).update(total_hours=Decimal("120"))
    course = ExemptionCourse.objects.get(pk=course.pk)
    shown = changes.snapshot(course)["course"]
    assert shown["受講時間合計"] == "120.00 時間"
    assert shown["認定希望月"] == "2024年10月"
    assert shown["受講形態"] == "書籍を教材とした講義"
    delivery = changes.snapshot(course)["deliveries"]
    assert delivery["20001-001-001 実施講座開始日"] == "2024/10/01"
    assert delivery["20001-001-001 講師に試験委員が含まれないことの確認"] == "はい"
    assert delivery["20001-001-001 修了試験 上段 実施日①"] == "2024/12/08（IPA提供問題）"
