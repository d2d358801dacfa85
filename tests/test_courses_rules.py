"""Course and delivery-course rules (C4, C5, C8, C11, D2, D3, D7) — pure functions."""

from datetime import date
from fractions import Fraction

import pytest

from courses import rules
from courses.rules import CourseType


@pytest.mark.parametrize(
    ("text", "ok"),
    [("70%", True), ("７割", True), ("2/3", True), ("3分の2", True), ("66.7%", True),
     ("100%", True), ("60%", False), ("6割", False), ("66%", False), ("abc", False), ("", False),
     ("120%", False)],
)  # fmt: skip
def test_c4_attendance_ratio_at_least_two_thirds(text, ok):
    assert (rules.attendance_ratio_problem(text) is None) == ok


def test_c4_ratio_message_names_the_field():
    assert "「出席率」" in rules.attendance_ratio_problem("60%")
    assert "3分の2" in rules.attendance_ratio_problem("60%")


def test_c4_completion_criteria_text_per_type():
    none_ipa = rules.completion_criteria_text(CourseType.NONE_IPA, "70%")
    assert none_ipa.startswith("以下の全ての項目を満たす者を修了認定者と定める。")
    assert "受講項目数の70%以上かつ受講時間数の70%以上" in none_ipa
    assert "IPA提供問題による修了試験を受験し" in none_ipa
    assert "民間資格" not in none_ipa
    reviewed = rules.completion_criteria_text(
        CourseType.PRIVATE_REVIEWED, "7割", "△△試験", "株式会社サンプル", elearning=True
    )
    assert "「△△試験」の合格者であること" in reviewed
    assert "株式会社サンプル（IPA提供問題を利用する場合は、IPA）の定める合格基準" in reviewed
    assert reviewed.endswith("・受講者の受講時間の把握方法")


def test_c5_none_ipa_needs_100_hours_and_plan_sum():
    assert rules.hours_problems(CourseType.NONE_IPA, Fraction(100), Fraction(100)) == []
    problems = rules.hours_problems(CourseType.NONE_IPA, Fraction(995, 10), Fraction(100))
    assert any("100.00時間以上" in p for p in problems)
    assert any("一致しません" in p for p in problems)


def test_c5_private_needs_vendor_hours():
    assert (
        rules.hours_problems(CourseType.PRIVATE_IPA, Fraction(60), vendor_min_hours=Fraction(50))
        == []
    )
    assert rules.hours_problems(CourseType.PRIVATE_IPA, Fraction(40), vendor_min_hours=Fraction(50))


def test_c8_earliest_is_first_of_month_after_next():
    assert rules.earliest_certification_date(date(2025, 8, 1)) == date(2025, 10, 1)
    assert rules.earliest_certification_date(date(2025, 8, 31)) == date(2025, 10, 1)  # last day
    assert rules.earliest_certification_date(date(2025, 11, 30)) == date(2026, 1, 1)


def test_c8_defects_cleared_late_slip_one_month():
    applied, desired = date(2025, 8, 31), date(2025, 10, 1)
    assert rules.certification_date(applied, desired, date(2025, 9, 1)) == date(2025, 10, 1)
    assert rules.certification_date(applied, desired, date(2025, 9, 2)) == date(2025, 11, 1)
    assert rules.certification_date(applied, desired, date(2025, 10, 15)) == date(2025, 12, 1)


def test_c8_desired_month_window_and_busy_warning():
    assert rules.desired_month_problem(date(2025, 8, 20), date(2025, 9, 1))
    assert rules.desired_month_problem(date(2025, 8, 20), date(2025, 10, 1)) is None
    assert rules.desired_month_problem(date(2025, 8, 20), date(2026, 2, 1)) is None
    assert "半年" in rules.desired_month_problem(date(2025, 8, 20), date(2026, 3, 1))
    busy = [m for m in range(1, 13) if rules.is_busy_certification_month(date(2026, m, 1))]
    assert busy == [3, 4, 9, 10]


def test_c11_end_date_is_two_years_minus_one_day():
    assert rules.certification_end_date(date(2014, 10, 1)) == date(2016, 9, 30)
    assert rules.certification_end_date(date(2024, 3, 1)) == date(2026, 2, 28)


def test_d2_d3_delivery_inside_validity_and_before_first_exam():
    kw = {"valid_from": date(2025, 4, 1), "valid_to": date(2027, 3, 31)}
    assert (
        rules.delivery_period_problems(
            date(2025, 4, 1), date(2025, 6, 7), first_exam=date(2025, 6, 8), **kw
        )
        == []
    )
    assert rules.delivery_period_problems(date(2025, 3, 31), date(2025, 6, 7), **kw)
    assert rules.delivery_period_problems(date(2027, 1, 1), date(2027, 4, 1), **kw)
    late = rules.delivery_period_problems(
        date(2025, 4, 1), date(2025, 6, 8), first_exam=date(2025, 6, 8), **kw
    )
    assert any("前日まで" in p for p in late)


def test_d7_deadlines_around_golden_week_and_year_end():
    # Golden Week 2025: 5/3–5/6 holidays; 5 business days before Mon 5/12 is Thu 5/1.
    assert rules.delivery_submission_deadline(date(2025, 5, 12)) == date(2025, 5, 1)
    assert rules.delivery_fix_deadline(date(2025, 5, 12)) == date(2025, 5, 9)
    assert rules.delivery_fix_deadline(date(2025, 5, 7)) == date(2025, 5, 2)
    # Year-end break 12/29–1/3: a course starting Mon 2026-01-05.
    assert rules.delivery_submission_deadline(date(2026, 1, 5)) == date(2025, 12, 22)
    assert rules.delivery_fix_deadline(date(2026, 1, 5)) == date(2025, 12, 26)


IPA_DATES = {date(2024, 6, 9), date(2024, 7, 28), date(2024, 12, 8), date(2025, 1, 26)}
IPA, REV = rules.IPA, rules.REVIEWED
EMPTY = [(IPA, None), (IPA, None)]


def test_d4_two_exams_in_consecutive_months_of_one_season():
    ok = rules.exam_rows_problems(
        CourseType.NONE_IPA, [(IPA, date(2024, 12, 8)), (IPA, date(2025, 1, 26))], EMPTY, IPA_DATES
    )
    assert ok == []
    bad = rules.exam_rows_problems(
        CourseType.NONE_IPA, [(IPA, date(2024, 7, 28)), (IPA, date(2024, 12, 8))], EMPTY, IPA_DATES
    )
    assert any("連続した月" in p for p in bad)
    off_calendar = rules.exam_rows_problems(
        CourseType.NONE_IPA, [(IPA, date(2024, 6, 16)), (IPA, None)], EMPTY, IPA_DATES
    )
    assert any("公表されている修了試験日ではありません" in p for p in off_calendar)


def test_d4_exams_inside_certification_period():
    problems = rules.exam_rows_problems(
        CourseType.NONE_IPA,
        [(IPA, date(2025, 1, 26)), (IPA, None)],
        EMPTY,
        IPA_DATES,
        valid_from=date(2023, 2, 1),
        valid_to=date(2025, 1, 31),
    )
    assert problems == []
    problems = rules.exam_rows_problems(
        CourseType.NONE_IPA,
        [(IPA, date(2025, 1, 26)), (IPA, None)],
        EMPTY,
        IPA_DATES,
        valid_from=date(2023, 2, 1),
        valid_to=date(2025, 1, 25),
    )
    assert any("有効期間内" in p for p in problems)


def test_d5_none_ipa_upper_row_only_ipa_problems():
    with_lower = rules.exam_rows_problems(
        CourseType.NONE_IPA,
        [(IPA, date(2024, 6, 9)), (IPA, None)],
        [(IPA, date(2024, 6, 9)), (IPA, None)],
        IPA_DATES,
    )
    assert any("下段の実施日は入力しないでください" in p for p in with_lower)
    reviewed = rules.exam_rows_problems(
        CourseType.NONE_IPA, [(REV, date(2024, 6, 2)), (IPA, None)], EMPTY, IPA_DATES
    )
    assert any("IPA提供問題の修了試験だけ" in p for p in reviewed)


def test_d5_private_reviewed_exam_with_rescue_row():
    upper = [(REV, date(2024, 6, 2)), (IPA, date(2024, 7, 28))]
    lower = [(IPA, date(2024, 6, 9)), (IPA, date(2024, 7, 28))]
    assert rules.exam_rows_problems(CourseType.PRIVATE_REVIEWED, upper, lower, IPA_DATES) == []
    assert (
        rules.exam_rows_problems(CourseType.PRIVATE_REVIEWED, upper, EMPTY, IPA_DATES) == []
    )  # no rescue
    one_exam = rules.exam_rows_problems(
        CourseType.PRIVATE_IPA, [(REV, date(2024, 6, 2)), (IPA, None)], lower, IPA_DATES
    )
    assert any("同じ回数" in p for p in one_exam)
    two_reviewed = rules.exam_rows_problems(
        CourseType.PRIVATE_REVIEWED,
        [(REV, date(2024, 6, 2)), (REV, date(2024, 7, 21))],
        EMPTY,
        IPA_DATES,
    )
    assert any("どちらか1回だけ" in p for p in two_reviewed)
