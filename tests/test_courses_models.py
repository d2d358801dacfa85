"""Course models: C1/C2 type fixed after the first save, numbers, C4 criteria,
C11 dates; fees F1/F2 rules."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from courses.models import DeliveryCourse, ExemptionCourse, OperationStructure
from courses.rules import CourseType
from fees import rules as fee_rules
from fees.models import FeeSchedule

pytestmark = pytest.mark.django_db


def _course(provider, **kw):
    values = {
        "serial": 21,
        "course_type": CourseType.NONE_IPA,
        "name": "2025-2026年度講座A",
        "desired_month": datetime.date(2025, 10, 1),
        "total_hours": 100,
    }
    values.update(kw)
    return ExemptionCourse.objects.create(provider=provider, **values)


def test_c1_c2_course_type_is_fixed_after_first_save(provider_a):
    course = _course(provider_a)
    course.course_type = CourseType.PRIVATE_IPA
    with pytest.raises(ValidationError) as error:
        course.save()
    assert "一時保存の後は変更できません" in str(error.value)
    assert ExemptionCourse.objects.get().course_type == CourseType.NONE_IPA
    assert ExemptionCourse.objects.get().ipa_code == "A"


def test_course_and_delivery_numbers_follow_the_glossary(provider_a):
    provider_a.number = "99991"
    provider_a.save()
    course = _course(provider_a)
    delivery = DeliveryCourse.objects.create(
        course=course, serial=2, name="2025年度実施講座9月コースA", prefecture="東京都",
        address="文京区本駒込2-28-8", expected_learners=10, start_date=datetime.date(2025, 10, 1),
        end_date=datetime.date(2025, 12, 13), instructors="講師名：情報 太郎",
    )  # fmt: skip
    assert course.number == "99991-021"
    assert delivery.number == "99991-021-002"


def test_c4_completion_criteria_from_type_and_ratio(provider_a):
    course = _course(provider_a, attendance_ratio="7割", learning_mode="elearning")
    text = course.completion_criteria
    assert "受講項目数の7割以上かつ受講時間数の7割以上" in text
    assert "受講者の受講時間の把握方法" in text


def test_c11_certify_sets_end_date(provider_a):
    course = _course(provider_a)
    course.submit()
    course.approve(on=datetime.date(2025, 9, 22))
    course.certify(on=datetime.date(2025, 10, 1))
    course.save()
    course.refresh_from_db()
    assert course.state == "certified"
    assert course.valid_until == datetime.date(2027, 9, 30)


def test_operation_structure_needs_two_graders_and_two_passes(provider_a):
    structure = OperationStructure(course=_course(provider_a), graders=1, grading_passes=1)
    with pytest.raises(ValidationError) as error:
        structure.clean()
    assert set(error.value.message_dict) == {"graders", "grading_passes"}


def test_f1_fee_schedule_is_loaded_and_looked_up_by_date():
    schedules = list(FeeSchedule.objects.all())
    assert fee_rules.fee_amount(schedules, "review", datetime.date(2025, 8, 1)) == 35000
    assert fee_rules.fee_amount(schedules, "problem", datetime.date(2025, 8, 1)) == 2000
    with pytest.raises(LookupError):
        fee_rules.fee_amount(schedules, "review", datetime.date(2023, 1, 1))


@pytest.mark.parametrize(
    ("payer", "ok"),
    [("99991アイピーエーダイガク", True), ("99991ｱｲﾋﾟｰｴｰﾀﾞｲｶﾞｸ", True), ("アイピーエーダイガク", False),
     ("99992アイピーエーダイガク", False), ("99991あいぴー", False), ("99991", False)],
)  # fmt: skip
def test_f2_payer_name_starts_with_provider_number(payer, ok):
    assert (fee_rules.payer_name_problem(payer, "99991") is None) == ok


def test_c6_syllabus_fe1_to_fe10_as_in_besshi_11():
    from courses.models import SyllabusItem

    items = list(SyllabusItem.objects.order_by("order")[:10])
    assert [i.code for i in items] == [f"FE{n}" for n in range(1, 11)]
    assert (items[0].field, items[0].item, items[0].sub_item) == (
        "1基礎理論",
        "1基礎理論",
        "1離散数学",
    )
    assert (items[4].sub_item, items[5].item, items[5].sub_item) == (
        "5計測・制御に関する理論",
        "2アルゴリズムとプログラミング",
        "1データ構造",
    )
    assert items[9].sub_item == "5その他の言語"
    assert not any(i.to_be_confirmed for i in items)
    rest = SyllabusItem.objects.filter(order__gt=10)
    assert rest.exists() and all(i.to_be_confirmed for i in rest)
