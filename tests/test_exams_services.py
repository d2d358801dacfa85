"""Exam applications and result reports through their services: E2–E4, E8,
R1–R7, R9, R13, with the clock put at the seconds around each deadline."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from calendars.models import ExamSession
from certifications import services as completer_services
from certifications.models import Completer
from exams import services
from exams.models import ResultReport
from fees.models import FeeLine
from portal.models import Receipt

from .conftest import client_for
from .course_factories import certified_course

pytestmark = pytest.mark.django_db
JST = ZoneInfo("Asia/Tokyo")
D = datetime.date


def at(*args):
    return datetime.datetime(*args, tzinfo=JST)


DEC = D(2024, 12, 8)  # apply 11-06 .. 11-13 15:00; report 12-09 .. 12-13 17:00
IN_APPLY = at(2024, 11, 10, 10, 0)
IN_REPORT = at(2024, 12, 10, 10, 0)

ROLES = {
    "exam_site": "東京都文京区本駒込2-28-8 IPA大学 本館", "manager": "情報 太郎 教務部",
    "manager_deputy": "情報 花子", "electronic_keeper": "情報 花子 教務部", "printer": "情報 花子 教務部",
    "printed_keeper": "情報 花子 教務部", "storage_method": "金庫、鍵は情報 太郎", "exam_executive": "情報 太郎",
    "grading_lead": "情報 太郎", "graders": 2, "grading_passes": 2,
}  # fmt: skip


@pytest.fixture
def setup(provider_a, staff_a, reviewer):
    course = certified_course(provider_a, staff_a, reviewer)
    delivery = course.delivery_courses.get()
    session = ExamSession.objects.get(exam_date=DEC)
    site = services.save_site(provider_a, staff_a, session.pk, ROLES, now=IN_APPLY)
    return {"course": course, "delivery": delivery, "session": session, "site": site}


def _apply(setup, staff, applicants=20, now=IN_APPLY):
    services.save_application(setup["site"].pk, staff, setup["delivery"].pk, applicants, now=now)
    return services.submit_applications(setup["site"].pk, staff, now=now)[0]


def test_e2_application_accepted_at_14_59_59_refused_at_15_00_00(setup, staff_a):
    services.save_application(
        setup["site"].pk, staff_a, setup["delivery"].pk, 20, now=at(2024, 11, 13, 14, 59, 0)
    )
    with pytest.raises(services.ExamStateError, match="締め切りました"):
        services.submit_applications(setup["site"].pk, staff_a, now=at(2024, 11, 13, 15, 0, 0))
    applications = services.submit_applications(
        setup["site"].pk, staff_a, now=at(2024, 11, 13, 14, 59, 59)
    )
    assert applications[0].state == "submitted"


def test_e2_problem_fee_is_2000_per_applicant_and_joins_the_payment_request(setup, staff_a):
    application = _apply(setup, staff_a, applicants=20)
    line = FeeLine.objects.get(kind="problem")
    assert (line.unit_amount, line.quantity, line.amount) == (2000, 20, 40000)
    assert application.fee_line == line


def test_e2_nothing_changes_after_the_close(setup, staff_a):
    application = _apply(setup, staff_a)
    services.change_applicants(application.pk, staff_a, 25, now=at(2024, 11, 13, 14, 59, 59))
    assert FeeLine.objects.get(kind="problem").quantity == 25
    with pytest.raises(services.ExamStateError, match="締め切りました"):
        services.change_applicants(application.pk, staff_a, 30, now=at(2024, 11, 13, 15, 0, 0))
    with pytest.raises(services.ExamStateError):
        services.save_site(setup["site"].provider, staff_a, setup["session"].pk, {"recipient_is_contact": True},
                           site_pk=setup["site"].pk, now=at(2024, 11, 13, 15, 0, 0))  # fmt: skip


def test_e2_zero_applicants_files_nothing(setup, staff_a):
    with pytest.raises(ValidationError, match="申込みは不要"):
        services.save_application(setup["site"].pk, staff_a, setup["delivery"].pk, 0, now=IN_APPLY)


def test_e3_named_recipient_needs_every_field(setup, staff_a, provider_a):
    with pytest.raises(ValidationError) as error:
        services.save_site(provider_a, staff_a, setup["session"].pk, {**ROLES, "recipient_is_contact": False,
                           "recipient_name": "山田\u3000一郎"}, site_pk=setup["site"].pk, now=IN_APPLY)  # fmt: skip
    assert {"recipient_email", "recipient_tel", "recipient_workplace"} <= set(
        error.value.message_dict
    )


def test_e4_site_lists_its_applications_with_their_counts(setup, staff_a):
    _apply(setup, staff_a, applicants=18)
    site = setup["site"]
    assert [(a.delivery_course.number, a.applicants) for a in site.applications.all()] == [
        (setup["delivery"].number, 18)
    ]


def test_d4_only_delivery_courses_that_name_the_exam_can_apply(setup, staff_a):
    june = ExamSession.objects.get(exam_date=D(2024, 6, 9))
    site = services.save_site(setup["site"].provider, staff_a, june.pk, ROLES, now=at(2024, 5, 10))
    with pytest.raises(ValidationError, match="対象にしていない"):
        services.save_application(site.pk, staff_a, setup["delivery"].pk, 5, now=at(2024, 5, 10))


def _pay(report, staff, reviewer):
    from fees import services as fee_services

    line = report.application.fee_line
    request = fee_services.create_payment_request(
        line.provider, staff, [line.pk],
        {"payment_date": D(2024, 11, 11), "bank": "銀行", "payer_name_kana": f"{line.provider.number}エー"},
    )  # fmt: skip
    fee_services.confirm_payment(request.pk, reviewer, D(2024, 11, 12))


def _report(setup, staff, examinees=5, now=IN_REPORT):
    application = _apply(setup, staff, applicants=6)
    report = services.open_report(application.pk, staff)
    services.update_report(
        report.pk, staff, {"examinees": examinees, "certified_on": D(2024, 12, 10)}
    )
    return report


PERSON = {"family_name": "情報", "given_name": "一郎", "family_kana": "ジョウホウ", "given_kana": "イチロウ",
          "birth_date": D(1998, 10, 6), "score": 60}  # fmt: skip


def test_r4_management_number_is_16_characters_with_hyphens_for_display(setup, staff_a, provider_a):
    report = _report(setup, staff_a)
    completer = completer_services.add_completer(report.pk, staff_a, {**PERSON, "serial": 1})
    assert completer.management_number == f"{provider_a.number}FE241200001"
    assert len(completer.management_number) == 16
    assert completer.management_number_display == f"{provider_a.number}-FE2412-00001"


def test_e8_score_below_60_percent_is_not_a_completer(setup, staff_a):
    report = _report(setup, staff_a)
    with pytest.raises(ValidationError, match="合格基準（36点）"):
        completer_services.add_completer(report.pk, staff_a, {**PERSON, "score": 35})
    completer_services.add_completer(report.pk, staff_a, {**PERSON, "score": 36})


def test_r3_completer_names_use_jis_level_1_and_2_only(setup, staff_a):
    report = _report(setup, staff_a)
    with pytest.raises(ValidationError) as error:
        completer_services.add_completer(report.pk, staff_a, {**PERSON, "family_name": "髙橋"})
    assert "髙" in error.value.message_dict["family_name"][0]
    assert not Completer.objects.exists()


def test_r5_examinee_count_is_locked_once_completers_exist(setup, staff_a):
    report = _report(setup, staff_a)
    completer_services.add_completer(report.pk, staff_a, PERSON)
    with pytest.raises(ValidationError, match="「受験者数」を変更できません"):
        services.update_report(report.pk, staff_a, {"examinees": 4})
    completer_services.delete_completers(report.pk, staff_a)
    services.update_report(report.pk, staff_a, {"examinees": 4})
    assert ResultReport.objects.get(pk=report.pk).examinees == 4


def test_r6_completers_le_examinees_le_applicants(setup, staff_a):
    report = _report(setup, staff_a, examinees=1)
    completer_services.add_completer(report.pk, staff_a, PERSON)
    with pytest.raises(ValidationError, match="「受験者数」（1名）以下"):
        completer_services.add_completer(
            report.pk, staff_a, {**PERSON, "given_name": "二郎", "given_kana": "ジロウ"}
        )
    completer_services.delete_completers(report.pk, staff_a)
    services.update_report(report.pk, staff_a, {"examinees": 7})  # applicants are 6
    with pytest.raises(ValidationError, match="応募者数（6名）以下"):
        services.submit_report(report.pk, staff_a, now=IN_REPORT)


def test_r7_same_person_once_per_delivery_course(setup, staff_a):
    report = _report(setup, staff_a)
    completer_services.add_completer(report.pk, staff_a, PERSON)
    with pytest.raises(ValidationError, match="既に報告されています"):
        completer_services.add_completer(report.pk, staff_a, {**PERSON, "serial": 2})


def test_r1_report_accepted_at_16_59_59_refused_at_17_00_00(setup, staff_a):
    report = _report(setup, staff_a)
    completer_services.add_completer(report.pk, staff_a, PERSON)
    services.update_report(report.pk, staff_a, {"consent_confirmed": True})
    with pytest.raises(services.ExamStateError, match="締め切りました"):
        services.submit_report(report.pk, staff_a, now=at(2024, 12, 13, 17, 0, 0))
    submitted = services.submit_report(report.pk, staff_a, now=at(2024, 12, 13, 16, 59, 59))
    assert submitted.state == "submitted"
    assert not submitted.late_flag


def test_r13_consent_is_required_with_completers(setup, staff_a):
    report = _report(setup, staff_a)
    completer_services.add_completer(report.pk, staff_a, PERSON)
    with pytest.raises(ValidationError, match="同意を得た"):
        services.submit_report(report.pk, staff_a, now=IN_REPORT)


def test_r2_no_completers_needs_the_fixed_remark_and_no_date(setup, staff_a):
    report = _report(setup, staff_a)
    with pytest.raises(ValidationError, match="修了認定者はいません。"):
        services.submit_report(report.pk, staff_a, now=IN_REPORT)
    services.update_report(report.pk, staff_a, {"remarks": "修了認定者はいません。"})
    submitted = services.submit_report(report.pk, staff_a, now=IN_REPORT)
    assert submitted.certified_on is None


def test_r1_w7_late_report_after_two_weeks_is_flagged(setup, staff_a, reviewer):
    report = _report(setup, staff_a)
    completer_services.add_completer(report.pk, staff_a, PERSON)
    services.update_report(report.pk, staff_a, {"consent_confirmed": True})
    services.submit_report(report.pk, staff_a, now=IN_REPORT)
    services.decide_report(report.pk, reviewer, accept=False, reason="点数を確認してください。")
    # Fixed long after: still accepted as a correction, but flagged for IPA.
    late = services.submit_report(report.pk, staff_a, now=at(2024, 12, 25, 10, 0))
    assert late.late_flag


def test_r9_reviewed_exam_report_carries_its_numbers(setup, staff_a):
    delivery = setup["delivery"]
    from courses.models import DeliveryExam

    DeliveryExam.objects.filter(delivery_course=delivery).delete()
    DeliveryExam.objects.create(
        delivery_course=delivery, row="upper", slot=1, kind="reviewed", vendor_date=D(2024, 12, 1)
    )
    with pytest.raises(ValidationError, match="修了試験問題審査管理番号"):
        services.create_reviewed_report(
            delivery.pk, staff_a, {"exam_date": D(2024, 12, 1), "applicants": 5}
        )
    report = services.create_reviewed_report(delivery.pk, staff_a, {
        "exam_date": D(2024, 12, 1), "applicants": 5, "reviewed_exam_number": "M0002-FE1503A",
        "problem_applicant_number": "m0002", "vendor_pass_score": 30,
    })  # fmt: skip
    assert (report.reviewed_exam_number, report.problem_applicant_number) == (
        "M0002FE1503A",
        "M0002",
    )
    assert report.session.exam_date == DEC  # the IPA exam of the same month gives the window


def test_r3_10000_row_upload_with_one_bad_row_saves_nothing_and_names_it(setup, staff_a):
    application = _apply(setup, staff_a, applicants=10)
    report = services.open_report(application.pk, staff_a)
    ResultReport.objects.filter(pk=report.pk).update(
        applicants=20000, examinees=20000, certified_on=D(2024, 12, 10)
    )
    lines = ["修了認定者管理番号,姓(漢字),名(漢字),姓(カナ),名(カナ),生年月日,点数"]
    for n in range(1, 10001):
        born = D(1960, 1, 1) + datetime.timedelta(days=n)  # distinct people (R7)
        lines.append(f"{n},情報,太郎,ジョウホウ,タロウ,{born:%Y/%m/%d},{40 + n % 20}")
    lines[7430] = (
        lines[7430].replace("ジョウホウ", "ｼﾞｮｳﾎｳ").replace("情報", "情報A")
    )  # row 7431 of the file
    data = ("\r\n".join(lines) + "\r\n").encode("utf-8")
    upload = completer_services.stage_upload(report.pk, staff_a, "completers.csv", data)
    rows_with_errors = {e["row"] for e in upload.errors}
    assert rows_with_errors == {7431}, upload.errors[:3]
    assert any(e["column"] == "姓（漢字）" and "A" in e["message"] for e in upload.errors)
    with pytest.raises(ValidationError, match="エラーのある行"):
        completer_services.confirm_upload(upload.pk, staff_a)
    assert not Completer.objects.exists()


def test_e9_no_re_exam_one_application_and_one_report_per_exam(setup, staff_a):
    application = _apply(setup, staff_a)
    with pytest.raises(services.ExamStateError, match="既に申し込み済み"):
        services.save_application(setup["site"].pk, staff_a, setup["delivery"].pk, 3, now=IN_APPLY)
    first = services.open_report(application.pk, staff_a)
    assert services.open_report(application.pk, staff_a).pk == first.pk
    assert ResultReport.objects.count() == 1


def test_r11_reported_completers_are_corrected_only_by_change_request(setup, staff_a, reviewer):
    report = _report(setup, staff_a)
    completer_services.add_completer(report.pk, staff_a, PERSON)
    services.update_report(report.pk, staff_a, {"consent_confirmed": True})
    services.submit_report(report.pk, staff_a, now=IN_REPORT)
    _pay(report, staff_a, reviewer)
    services.decide_report(report.pk, reviewer, accept=True)
    with pytest.raises(services.ExamStateError, match="変更申請"):
        completer_services.add_completer(
            report.pk, staff_a, {**PERSON, "given_name": "二郎", "given_kana": "ジロウ"}
        )
    with pytest.raises(services.ExamStateError, match="変更申請"):
        completer_services.delete_completers(report.pk, staff_a)
    assert Completer.objects.count() == 1


def test_r8_private_course_report_needs_pass_data_and_certificate_copy(setup, staff_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from courses.models import ExemptionCourse

    ExemptionCourse.objects.filter(pk=setup["course"].pk).update(course_type="PRIVATE_IPA")
    report = _report(setup, staff_a)
    with pytest.raises(ValidationError, match="民間資格の合格日"):
        completer_services.add_completer(report.pk, staff_a, PERSON)
    completer_services.add_completer(report.pk, staff_a, {**PERSON, "private_pass_date": D(2024, 11, 1),
                                                "private_pass_number": "150708H99991"})  # fmt: skip
    services.update_report(report.pk, staff_a, {"consent_confirmed": True})
    with pytest.raises(ValidationError, match="合格証のコピー"):
        services.submit_report(report.pk, staff_a, now=IN_REPORT)
    completer_services.add_certificate_copy(
        report.pk, staff_a, "合格証", SimpleUploadedFile("c.pdf", b"%PDF-1.7")
    )
    assert services.submit_report(report.pk, staff_a, now=IN_REPORT).state == "submitted"


def test_f3_report_accepted_only_once_the_problem_fee_is_paid(setup, staff_a, reviewer):
    report = _report(setup, staff_a)
    completer_services.add_completer(report.pk, staff_a, PERSON)
    services.update_report(report.pk, staff_a, {"consent_confirmed": True})
    services.submit_report(report.pk, staff_a, now=IN_REPORT)
    with pytest.raises(services.ExamStateError, match="入金が確認できていない"):
        services.decide_report(report.pk, reviewer, accept=True)
    _pay(report, staff_a, reviewer)
    assert services.decide_report(report.pk, reviewer, accept=True).state == "accepted"


def test_e7_e8_score_above_full_marks_and_implausible_birth_dates_are_refused(setup, staff_a):
    report = _report(setup, staff_a)
    with pytest.raises(ValidationError, match="満点（60点）"):
        completer_services.add_completer(report.pk, staff_a, {**PERSON, "score": 61})
    with pytest.raises(ValidationError, match="10歳に満たない"):
        completer_services.add_completer(
            report.pk, staff_a, {**PERSON, "birth_date": D(2020, 1, 1)}
        )
    assert not Completer.objects.exists()


def test_r6_report_follows_a_changed_applicant_count(setup, staff_a):
    application = _apply(setup, staff_a, applicants=20)
    report = services.open_report(application.pk, staff_a)
    services.change_applicants(application.pk, staff_a, 5, now=IN_APPLY)
    assert ResultReport.objects.get(pk=report.pk).applicants == 5


def test_r7_confirming_an_upload_after_adding_the_same_person_by_hand_is_refused(setup, staff_a):
    report = _report(setup, staff_a)
    csv = "修了認定者管理番号,姓(漢字),名(漢字),姓(カナ),名(カナ),生年月日,点数\r\n7,情報,一郎,ジョウホウ,イチロウ,1998/10/6,60\r\n"
    upload = completer_services.stage_upload(report.pk, staff_a, "c.csv", csv.encode())
    completer_services.add_completer(report.pk, staff_a, PERSON)
    with pytest.raises(ValidationError, match="重なる行"):
        completer_services.confirm_upload(upload.pk, staff_a)
    assert Completer.objects.count() == 1


def test_e9_a_reviewed_exam_is_reported_once(setup, staff_a):
    from courses.models import DeliveryExam

    delivery = setup["delivery"]
    DeliveryExam.objects.create(
        delivery_course=delivery, row="lower", slot=1, kind="reviewed", vendor_date=D(2024, 12, 1)
    )
    values = {"exam_date": D(2024, 12, 1), "applicants": 5, "reviewed_exam_number": "M0002FE1503A",
              "problem_applicant_number": "M0002"}  # fmt: skip
    services.create_reviewed_report(delivery.pk, staff_a, values)
    with pytest.raises(ValidationError, match="既に作成されています"):
        services.create_reviewed_report(delivery.pk, staff_a, values)


def test_r3_a_completer_of_a_draft_report_is_corrected_in_place_with_the_add_checks(
    setup, staff_a, reviewer
):
    from portal.models import AuditEntry

    report = _report(setup, staff_a)
    first = completer_services.add_completer(report.pk, staff_a, PERSON)
    second = completer_services.add_completer(
        report.pk, staff_a, {**PERSON, "given_name": "二郎", "given_kana": "ジロウ"}
    )
    # Correcting the kana keeps the number; the completer is not its own duplicate.
    fixed = completer_services.update_completer(
        report.pk, first.pk, staff_a, {**PERSON, "serial": 1, "given_kana": "イチロー"}
    )
    assert (fixed.pk, fixed.serial, fixed.given_kana) == (first.pk, 1, "イチロー")
    assert Completer.objects.get(pk=first.pk).given_kana == "イチロー"
    entry = AuditEntry.objects.filter(action="completer.update").get()
    assert entry.changes == {"completers.given_kana": ["イチロウ", "イチロー"]}
    # The trail names the completer's field in Japanese, not given_kana.
    from portal.audit import labelled_changes

    assert labelled_changes(ResultReport, entry.changes) == [("名（カナ）", "イチロウ", "イチロー")]
    # The same checks as adding: another completer's number or person, the score.
    with pytest.raises(ValidationError, match="00001 はこの報告で既に使われています"):
        completer_services.update_completer(report.pk, second.pk, staff_a, {"serial": 1})
    with pytest.raises(ValidationError, match="同じ修了認定者"):
        completer_services.update_completer(report.pk, second.pk, staff_a,
                                  {"given_name": "一郎", "given_kana": "イチロー"})  # fmt: skip
    with pytest.raises(ValidationError, match="合格基準"):
        completer_services.update_completer(report.pk, second.pk, staff_a, {"score": 35})
    assert Completer.objects.get(pk=second.pk).given_name == "二郎"  # nothing half-saved
    # Once submitted, corrections go through a change request.
    services.update_report(report.pk, staff_a, {"consent_confirmed": True})
    services.submit_report(report.pk, staff_a, now=IN_REPORT)
    with pytest.raises(services.ExamStateError, match="変更申請"):
        completer_services.update_completer(report.pk, second.pk, staff_a, {"score": 50})


def test_r3_a_refused_non_jis_kanji_in_the_one_by_one_form_suggests_the_jis_one(setup, staff_a):
    report = _report(setup, staff_a)
    with pytest.raises(ValidationError) as error:
        completer_services.add_completer(report.pk, staff_a, {**PERSON, "family_name": "山﨑"})
    assert "「﨑」は「崎」で入力してください。" in error.value.message_dict["family_name"][0]


# 到達番号 (receipts) ------------------------------------------------------------


def test_newcomer_receipt_exam_application_number_time_page_and_mail(
    setup, staff_a, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _apply(setup, staff_a, applicants=20, now=at(2024, 11, 13, 14, 59, 59))
    receipt = Receipt.objects.get(kind="exam_application")
    assert receipt.number == "S2024-000001"
    assert receipt.target == setup["site"] and receipt.actor == staff_a
    assert receipt.submitted_at_display == "2024年11月13日（水）14:59:59"
    assert setup["delivery"].number in receipt.title and "20名" in receipt.title
    message = mail.outbox[-1]
    assert "S2024-000001" in message.subject and "2024年11月13日（水）14:59:59" in message.body
    assert reverse("exam_session", args=[setup["session"].pk]) in message.body
    page = client_for(client, staff_a).get(reverse("exam_session", args=[setup["session"].pk]))
    html = page.content.decode()
    assert "S2024-000001" in html and "2024年11月13日（水）14:59:59" in html


def test_newcomer_receipt_result_report_each_submission_numbered(
    setup, staff_a, reviewer, client, django_capture_on_commit_callbacks
):
    report = _report(setup, staff_a)
    completer_services.add_completer(report.pk, staff_a, PERSON)
    services.update_report(report.pk, staff_a, {"consent_confirmed": True})
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_report(report.pk, staff_a, now=at(2024, 12, 10, 9, 5, 7))
    assert "H2024-000001" in mail.outbox[-1].subject
    services.decide_report(report.pk, reviewer, accept=False, reason="点数を確認してください。")
    services.submit_report(report.pk, staff_a, now=at(2024, 12, 11, 16, 0, 1))
    assert list(Receipt.objects.filter(kind="result_report").values_list("number", flat=True)) == [
        "H2024-000002",
        "H2024-000001",
    ]
    html = (
        client_for(client, staff_a).get(reverse("report_detail", args=[report.pk])).content.decode()
    )
    assert "H2024-000002" in html and "2024年12月11日（水）16:00:01" in html
    assert "提出の履歴（2回）" in html and "H2024-000001" in html
    client.force_login(reviewer)
    assert "H2024-000002" in client.get(reverse("review_report", args=[report.pk])).content.decode()


def test_newcomer_receipt_numbers_per_kind_and_fiscal_year_never_reused(setup):
    from django.db import transaction

    from portal import receipts

    site = setup["site"]
    with transaction.atomic():
        march = receipts.issue(site, "exam_application", None, at(2027, 3, 31, 23, 59, 59))
        april = receipts.issue(site, "exam_application", None, at(2027, 4, 1, 0, 0, 0))
        other = receipts.issue(site, "result_report", None, at(2027, 4, 1, 0, 0, 1))
        again = receipts.issue(site, "exam_application", None, at(2027, 4, 2, 9, 0, 0))
    assert [march.number, april.number, other.number, again.number] == [
        "S2026-000001", "S2027-000001", "H2027-000001", "S2027-000002",
    ]  # fmt: skip
    assert receipts.latest_number(site) == "S2027-000002"
    # A deleted receipt does not free its number: the counter only moves forward.
    again.delete()
    with transaction.atomic():
        assert (
            receipts.issue(site, "exam_application", None, at(2027, 4, 3)).number == "S2027-000003"
        )


VENDOR_DEC = D(2024, 12, 1)


def _reviewed_report(setup, staff, exam_date=VENDOR_DEC):
    """A second report of the same provider and exam month: the delivery
    course's IPA審査 exam of December."""
    from courses.models import DeliveryExam

    DeliveryExam.objects.create(
        delivery_course=setup["delivery"], row="lower", slot=1, kind="reviewed",
        vendor_date=exam_date,
    )  # fmt: skip
    report = services.create_reviewed_report(setup["delivery"].pk, staff, {
        "exam_date": exam_date, "applicants": 5, "reviewed_exam_number": "M0002FE1503A",
        "problem_applicant_number": "M0002", "vendor_pass_score": 30,
    })  # fmt: skip
    services.update_report(report.pk, staff, {"examinees": 5, "certified_on": D(2024, 12, 5)})
    return report


JIRO = {**PERSON, "given_name": "二郎", "given_kana": "ジロウ"}


SABURO = {**PERSON, "given_name": "三郎", "given_kana": "サブロウ"}


def test_r4_serials_are_unique_per_provider_and_exam_month_across_reports(
    setup, staff_a, provider_a
):
    ipa = _report(setup, staff_a)
    reviewed = _reviewed_report(setup, staff_a)
    first = completer_services.add_completer(ipa.pk, staff_a, PERSON)
    assert first.management_number == f"{provider_a.number}FE241200001"
    # The other report of December proposes and takes the next free serial …
    assert completer_services.next_completer_serial(reviewed) == 2
    second = completer_services.add_completer(reviewed.pk, staff_a, JIRO)
    assert second.management_number == f"{provider_a.number}FE241200002"
    # … and refuses the number the first report already gave, saying where it is used.
    with pytest.raises(ValidationError) as error:
        completer_services.add_completer(reviewed.pk, staff_a, {**SABURO, "serial": 1})
    message = error.value.message_dict["serial"][0]
    assert f"{provider_a.number}-FE2412-00001" in message
    assert ipa.number in message and "空いている番号は 00003" in message
    # Gaps stay allowed.
    assert (
        completer_services.add_completer(reviewed.pk, staff_a, {**SABURO, "serial": 9}).serial == 9
    )
    assert completer_services.next_completer_serial(ipa) == 10
    assert Completer.objects.count() == 3


def test_r4_upload_preview_numbers_after_the_other_reports_of_the_month(setup, staff_a):
    ipa = _report(setup, staff_a)
    reviewed = _reviewed_report(setup, staff_a)
    completer_services.add_completer(ipa.pk, staff_a, {**PERSON, "serial": 4})
    header = "修了認定者管理番号,姓(漢字),名(漢字),姓(カナ),名(カナ),生年月日,点数"
    clash = f"{header}\r\n4,情報,二郎,ジョウホウ,ジロウ,1997/5/22,54\r\n"
    upload = completer_services.stage_upload(reviewed.pk, staff_a, "c.csv", clash.encode())
    assert [(e["row"], e["column"]) for e in upload.errors] == [(2, "修了認定者管理番号")]
    assert "同じ年月の修了試験で既に使われています" in upload.errors[0]["message"]
    blank = f"{header}\r\n,情報,二郎,ジョウホウ,ジロウ,1997/5/22,54\r\n"
    upload = completer_services.stage_upload(reviewed.pk, staff_a, "c.csv", blank.encode())
    assert upload.errors == [] and [r["serial"] for r in upload.rows] == [5]
    # Taken by hand in the other report meanwhile: the confirmation is refused.
    completer_services.add_completer(ipa.pk, staff_a, {**SABURO, "serial": 5})
    with pytest.raises(ValidationError, match="重なる行"):
        completer_services.confirm_upload(upload.pk, staff_a)
    assert reviewed.completers.count() == 0


def test_r4_the_database_refuses_a_second_completer_with_the_same_number(setup, staff_a):
    from django.db import IntegrityError, transaction

    ipa = _report(setup, staff_a)
    reviewed = _reviewed_report(setup, staff_a)
    completer_services.add_completer(ipa.pk, staff_a, PERSON)
    with pytest.raises(IntegrityError), transaction.atomic():
        Completer.objects.create(report=reviewed, serial=1, **JIRO)
    with pytest.raises(IntegrityError), transaction.atomic():
        Completer.objects.bulk_create([Completer(report=reviewed, serial=1, **JIRO)])
    Completer.objects.bulk_create([Completer(report=reviewed, serial=2, **JIRO)])
    assert sorted(Completer.objects.values_list("management_number", flat=True)) == [
        f"{setup['course'].provider.number}FE2412{n:05d}" for n in (1, 2)
    ]


def test_r4_the_migration_renumbers_numbers_given_twice_before_the_rule():
    import importlib

    migration = importlib.import_module("exams.migrations.0006_fill_completer_management_numbers")
    rows = [  # (pk, provider+FE+YYMM, serial, report state, report pk)
        (1, "20001FE2412", 1, "draft", 10),
        (2, "20001FE2412", 2, "draft", 10),
        (3, "20001FE2412", 1, "accepted", 11),  # IPA has this one: it keeps 00001
        (4, "20001FE2412", 3, "accepted", 11),
        (5, "20001FE2501", 1, "draft", 12),  # another month: no clash
    ]
    assert migration.assign_numbers(rows) == {
        3: (1, "20001FE241200001"),
        4: (3, "20001FE241200003"),
        1: (4, "20001FE241200004"),
        2: (2, "20001FE241200002"),
        5: (1, "20001FE250100001"),
    }


def test_r2_a_future_certification_date_is_refused_when_saved(setup, staff_a):
    report = _report(setup, staff_a)  # certified on 2024-12-10
    with pytest.raises(ValidationError) as error:
        services.update_report(report.pk, staff_a, {"certified_on": D(2030, 1, 1)}, now=IN_REPORT)
    message = error.value.message_dict["certified_on"][0]
    assert "「修了認定年月日」（2030年1月1日（火））に未来の日付は入力できません" in message
    assert "2024年12月10日（火）以前" in message
    with pytest.raises(ValidationError, match="修了試験実施日（2024年12月8日（日））以降"):
        services.update_report(report.pk, staff_a, {"certified_on": D(2024, 12, 7)}, now=IN_REPORT)
    assert ResultReport.objects.get(pk=report.pk).certified_on == D(2024, 12, 10)
    services.update_report(report.pk, staff_a, {"certified_on": D(2024, 12, 8)}, now=IN_REPORT)


def test_r2_r1_submission_refuses_a_certification_date_after_the_submission_day(setup, staff_a):
    report = _report(setup, staff_a)
    completer_services.add_completer(report.pk, staff_a, PERSON)
    services.update_report(
        report.pk, staff_a, {"certified_on": D(2024, 12, 12), "consent_confirmed": True},
        now=at(2024, 12, 12, 9, 0),
    )  # fmt: skip
    # Submitted on the 11th, the certification of the 12th lies in the future.
    with pytest.raises(ValidationError, match="未来の日付は入力できません"):
        services.submit_report(report.pk, staff_a, now=at(2024, 12, 11, 10, 0))
    assert ResultReport.objects.get(pk=report.pk).state == "draft"
    submitted = services.submit_report(report.pk, staff_a, now=at(2024, 12, 12, 10, 0))
    assert submitted.state == "submitted" and not submitted.late_flag


def test_e1_r1_reviewed_exam_is_reported_from_its_own_date_to_the_ipa_report_close(setup, staff_a):
    # Vendor exam on 2024-12-01; the IPA exam of December reports 12-09 .. 12-13 17:00.
    report = _reviewed_report(setup, staff_a)
    services.update_report(report.pk, staff_a, {"remarks": ResultReport.NO_COMPLETERS_REMARK})
    with pytest.raises(services.ExamStateError, match="2024年12月1日 00:00からです"):
        services.submit_report(report.pk, staff_a, now=at(2024, 11, 30, 23, 59, 59))
    with pytest.raises(services.ExamStateError, match="2024年12月13日 17:00に締め切りました"):
        services.submit_report(report.pk, staff_a, now=at(2024, 12, 13, 17, 0, 0))
    # Open from the exam date, before the IPA window opens.
    assert (
        services.submit_report(report.pk, staff_a, now=at(2024, 12, 3, 10, 0)).state == "submitted"
    )


def _pay_on(report, staff, reviewer, paid_on):
    from fees import services as fee_services

    line = report.application.fee_line
    request = fee_services.create_payment_request(
        line.provider, staff, [line.pk],
        {"payment_date": paid_on, "bank": "銀行", "payer_name_kana": f"{line.provider.number}エー"},
    )  # fmt: skip
    fee_services.confirm_payment(request.pk, reviewer, paid_on + datetime.timedelta(days=1))


def _submitted_report(setup, staff):
    report = _report(setup, staff)
    completer_services.add_completer(report.pk, staff, PERSON)
    services.update_report(report.pk, staff, {"consent_confirmed": True})
    return services.submit_report(report.pk, staff, now=IN_REPORT)


def test_e2_f3_a_fee_received_after_the_close_waits_for_ipas_decision(setup, staff_a, reviewer):
    from exams.models import ExamApplication

    report = _submitted_report(setup, staff_a)
    _pay_on(report, staff_a, reviewer, D(2024, 11, 14))  # the close was 11-13 15:00
    application = ExamApplication.objects.get(pk=report.application_id)
    assert services.late_payment_date(application) == D(2024, 11, 14)
    with pytest.raises(services.ExamStateError) as error:
        services.decide_report(report.pk, reviewer, accept=True)
    assert str(error.value) == (
        "問題提供料の入金日（2024年11月14日（木））が申込み締切（2024年11月13日（水） 15:00）より後です。"
        "IPAが遅れた入金を認めるかどうかを判断するまで、問題の提供と結果の受理はできません。"
    )
    with pytest.raises(ValidationError, match="判断の理由"):
        services.decide_late_payment(application.pk, reviewer, accept=False)
    services.decide_late_payment(application.pk, reviewer, accept=False, note="締切後の着金のため")
    with pytest.raises(services.ExamStateError, match="認めないと判断したため"):
        services.decide_report(report.pk, reviewer, accept=True)
    with pytest.raises(services.ExamStateError, match="既に判断済み"):
        services.decide_late_payment(application.pk, reviewer, accept=True)
    assert ResultReport.objects.get(pk=report.pk).state == "submitted"


def test_f3_an_accepted_late_payment_lets_the_result_be_accepted(setup, staff_a, reviewer, staff_b):
    from django.core.exceptions import PermissionDenied

    report = _submitted_report(setup, staff_a)
    _pay_on(report, staff_a, reviewer, D(2024, 11, 20))
    with pytest.raises(PermissionDenied):
        services.decide_late_payment(report.application_id, staff_a, accept=True)
    services.decide_late_payment(report.application_id, reviewer, accept=True)
    assert services.decide_report(report.pk, reviewer, accept=True).state == "accepted"


def test_e2_a_fee_received_on_the_closing_day_needs_no_decision(setup, staff_a, reviewer):
    report = _submitted_report(setup, staff_a)
    _pay_on(report, staff_a, reviewer, D(2024, 11, 13))
    with pytest.raises(services.ExamStateError, match="判断は不要"):
        services.decide_late_payment(report.application_id, reviewer, accept=True)
    assert services.decide_report(report.pk, reviewer, accept=True).state == "accepted"


def test_r1_a_report_is_opened_from_the_exam_day_not_before(setup, staff_a):
    """Before the exam there is nothing to report: the report cannot be opened
    (and the page offers no 結果を報告する button) until the exam day."""
    application = _apply(setup, staff_a, applicants=6)
    with pytest.raises(services.ExamStateError, match="実施後に結果を報告してください"):
        services.open_report(application.pk, staff_a, now=at(2024, 12, 7, 23, 59))
    assert not ResultReport.objects.exists()
    report = services.open_report(application.pk, staff_a, now=at(2024, 12, 8, 0, 0))
    assert report.exam_date == DEC
