"""Issue 9, items 2, 4 and 5 (M§5.5, M§5.6, table 4.5-1, table 5.5-2, table
5.6-1; D6, D8, D9, X1–X3): an approved delivery course changes only by a
change request (実施講座情報の変更: 申請書式2-添付書類2 + 2-添付書類3 +
申請書式5), adds a second exam only by a request approved before the first
exam, drops an exam nobody applied for without one, and is deleted by a
deletion request with the fixed texts of table 5.5-2 — refused once anyone
applied for its exams."""

import datetime
import io
from unittest import mock

import openpyxl
import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from calendars.models import ExamSession
from courses import documents as course_docs
from courses import services as course_services
from courses.models import DeliveryCourse
from exams import services as exam_services
from portal import workflow
from portal.models import AuditEntry, Notice
from providers import changes
from providers.documents import SHOSHIKI_5
from providers.models import ChangeRequest

from .conftest import client_for
from .course_factories import certified_course
from .test_exams_services import DEC, IN_APPLY, ROLES, setup  # noqa: F401

pytestmark = pytest.mark.django_db
D = datetime.date
BEFORE = D(2024, 10, 15)  # before both exams of the example (2024-12-08, 2025-01-26)
JAN = D(2025, 1, 26)


def _on(day):
    return mock.patch("django.utils.timezone.localdate", return_value=day)


def _workbook(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content))


def _text(content: bytes) -> str:
    wb = _workbook(content)
    return "\n".join(
        str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value
    )


@pytest.fixture
def cert(provider_a, staff_a, reviewer):
    course = certified_course(provider_a, staff_a, reviewer)
    return course, course.delivery_courses.get()


def _exam_dates(delivery) -> dict:
    delivery.refresh_from_db()
    return {(e.row, e.slot): e.date for e in delivery.exams.all()}


def _second_exam_added(delivery) -> dict:
    current = changes.get_kind("delivery_course").current(delivery)
    jan = ExamSession.objects.get(exam_date=JAN)
    exams = {**current["exams"], "upper_2": {"kind": "ipa", "session": jan.pk, "vendor_date": None}}
    return {"exams": exams}


def _approved_second_delivery(course, staff):
    """A second approved delivery course of the certified course."""
    delivery = course_services.save_delivery_course(
        course.pk, staff,
        {"name": "2024年度実施講座10月コースB", "prefecture": "東京都", "address": "文京区本駒込2-28-8",
         "expected_learners": 10, "start_date": D(2024, 10, 1), "end_date": D(2024, 12, 7),
         "instructors": "講師名：情報 花子", "committee_declaration": True},
        [{"row": "upper", "slot": 1, "kind": "ipa", "session": ExamSession.objects.get(exam_date=DEC)}],
    )  # fmt: skip
    DeliveryCourse.objects.filter(pk=delivery.pk).update(state=DeliveryCourse.S.APPROVED)
    return DeliveryCourse.objects.get(pk=delivery.pk)


# --- D6: the second exam -----------------------------------------------------------


def test_d6_an_exam_nobody_applied_for_is_dropped_without_a_request(cert, staff_a):
    _, delivery = cert
    with _on(BEFORE):
        course_services.drop_exam(delivery.pk, staff_a, "upper", 2)
    assert _exam_dates(delivery) == {("upper", 1): DEC}
    assert not ChangeRequest.objects.exists()
    entry = AuditEntry.objects.get(action="delivery.drop_exam")
    assert "2025/01/26" in entry.note
    with _on(BEFORE), pytest.raises(ValidationError, match="2回設定した修了試験のうちの1回"):
        course_services.drop_exam(delivery.pk, staff_a, "upper", 1)  # one exam is left


def test_d6_an_exam_someone_applied_for_needs_a_change_request(setup, staff_a):  # noqa: F811
    delivery = setup["delivery"]
    exam_services.save_application(setup["site"].pk, staff_a, delivery.pk, 20, now=IN_APPLY)
    exam_services.submit_applications(setup["site"].pk, staff_a, now=IN_APPLY)
    with _on(D(2024, 11, 20)), pytest.raises(ValidationError, match="変更申請が必要"):
        course_services.drop_exam(delivery.pk, staff_a, "upper", 1)
    assert len(_exam_dates(delivery)) == 2
    with _on(D(2024, 11, 20)):
        course_services.drop_exam(delivery.pk, staff_a, "upper", 2)  # nobody applied for January
    assert _exam_dates(delivery) == {("upper", 1): DEC}


def test_d6_a_second_exam_is_added_by_a_request_approved_before_the_first_exam(
    cert, staff_a, reviewer
):
    _, delivery = cert
    with _on(BEFORE):
        course_services.drop_exam(delivery.pk, staff_a, "upper", 2)
        draft = changes.save_draft(
            "delivery_course", delivery, staff_a, _second_exam_added(delivery)
        )
        change = changes.submit_change(draft.pk, staff_a)
    items = {i["item"]: (i["before"], i["after"]) for i in change.items}
    assert items == {"修了試験 上段 実施日②": ("（設定なし）", "2025年01月26日（IPA提供問題）")}
    assert _exam_dates(delivery) == {("upper", 1): DEC}  # a copy until approved

    with _on(DEC), pytest.raises(ValidationError, match="2024年12月8日.*追加できません"):
        changes.approve_change(change.pk, reviewer)  # the first exam is being held
    assert _exam_dates(delivery) == {("upper", 1): DEC}
    with _on(DEC - datetime.timedelta(days=1)):
        changes.approve_change(change.pk, reviewer)
    assert _exam_dates(delivery) == {("upper", 1): DEC, ("upper", 2): JAN}
    assert AuditEntry.objects.filter(action="delivery.change", object_id=str(delivery.pk)).exists()


def test_d6_a_second_exam_cannot_be_requested_after_the_first_exam(cert, staff_a):
    _, delivery = cert
    with _on(BEFORE):
        course_services.drop_exam(delivery.pk, staff_a, "upper", 2)
    with _on(D(2024, 12, 9)):
        draft = changes.save_draft(
            "delivery_course", delivery, staff_a, _second_exam_added(delivery)
        )
        with pytest.raises(
            ValidationError, match=r"1回目の修了試験（2024年12月8日（日））の実施後"
        ):
            changes.submit_change(draft.pk, staff_a)
    draft.refresh_from_db()
    assert workflow.state_of(draft).provider_may_edit  # kept, nothing filed


def test_d4_a_change_request_keeps_the_exam_rows_rules(cert, staff_a):
    """A second exam in a month that does not follow the first is refused."""
    _, delivery = cert
    with _on(BEFORE):
        course_services.drop_exam(delivery.pk, staff_a, "upper", 2)
        june = ExamSession.objects.get(exam_date=D(2025, 6, 8))
        proposed = _second_exam_added(delivery)
        proposed["exams"]["upper_2"]["session"] = june.pk
        with pytest.raises(ValidationError, match="連続した月"):
            changes.save_draft("delivery_course", delivery, staff_a, proposed)
    assert not ChangeRequest.objects.exists()


# --- X1–X3: the change of a delivery course and its forms ---------------------------


def test_x1_a_delivery_course_never_approved_needs_no_request(cert, staff_a):
    course, _ = cert
    with _on(BEFORE):
        draft = course_services.save_delivery_course(
            course.pk, staff_a,
            {"name": "2025年度実施講座5月コース", "prefecture": "東京都", "address": "文京区1-1",
             "expected_learners": 5, "start_date": D(2025, 5, 12), "end_date": D(2025, 6, 7),
             "instructors": "講師名：情報 太郎", "committee_declaration": True},
            [{"row": "upper", "slot": 1, "kind": "ipa", "session": ExamSession.objects.get(exam_date=D(2025, 6, 8))}],
        )  # fmt: skip
    for kind in ("delivery_course", "delivery_deletion"):
        with pytest.raises(ValidationError, match="変更申請なしで"):
            changes.save_draft(kind, draft, staff_a, {"name": "別名"})
    course_services.delete_delivery_course(draft.pk, staff_a)  # D8: at once
    assert not DeliveryCourse.objects.filter(pk=draft.pk).exists()


def test_x2_x3_delivery_change_files_att_2_att_3_and_shoshiki_5_and_applies_on_approval(
    cert, staff_a, reviewer
):
    course, delivery = cert
    old_name = delivery.name
    with _on(BEFORE):
        draft = changes.save_draft(
            "delivery_course", delivery, staff_a,
            {"name": "2024年度実施講座10月コースA（夜間）", "building": "IPAビル9階"},
        )  # fmt: skip
        change = changes.submit_change(draft.pk, staff_a)
    delivery.refresh_from_db()
    assert delivery.name == old_name  # nothing changes before the approval
    items = {i["item"]: (i["before"], i["after"]) for i in change.items}
    assert items["実施講座の名称"] == (old_name, "2024年度実施講座10月コースA（夜間）")
    assert items["講座の設置場所（建物名・階数）"] == ("IPAビル8階", "IPAビル9階")

    shoshiki_5 = _text(SHOSHIKI_5.render(change))
    assert "申請書式2-添付書類3" in shoshiki_5 and "実施講座の名称" in shoshiki_5
    assert "IPAビル9階" in shoshiki_5 and "IPAビル8階" in shoshiki_5
    att_3 = _workbook(course_docs.CHANGE_SHOSHIKI_2_ATT_3.render(change))
    assert att_3.sheetnames == [f"{course.serial:03d}-001"]  # this delivery course only
    assert "2024年度実施講座10月コースA（夜間）" in _text(
        course_docs.CHANGE_SHOSHIKI_2_ATT_3.render(change)
    )
    ws = _workbook(course_docs.CHANGE_SHOSHIKI_2_ATT_2.render(change)).active
    assert ws[course_docs.ATT_2_CELLS["delivery_count"]].value == 1
    assert ws[course_docs.ATT_2_CELLS["deletion_count"]].value == 0

    # The apply step fails half-way (the values are written, the audit entry fails).
    half_way = mock.patch("portal.audit.record_update", side_effect=RuntimeError("half-way"))
    with half_way, pytest.raises(RuntimeError):
        changes.approve_change(change.pk, reviewer)
    delivery.refresh_from_db()
    change.refresh_from_db()
    assert delivery.name == old_name  # all or nothing
    assert workflow.state_of(change).waiting_for_ipa

    changes.approve_change(change.pk, reviewer)
    delivery.refresh_from_db()
    assert delivery.name == "2024年度実施講座10月コースA（夜間）"
    assert delivery.building == "IPAビル9階"
    assert delivery.history.first().building == "IPAビル9階"
    with pytest.raises(workflow.TransitionError):
        changes.approve_change(change.pk, reviewer)  # a second approval changes nothing


# --- D8/D9: deletion --------------------------------------------------------------------


def test_d8_d9_deletion_request_has_the_fixed_texts_and_deletes_on_approval(
    cert, provider_a, staff_a, reviewer, django_capture_on_commit_callbacks
):
    course, delivery = cert
    other = _approved_second_delivery(course, staff_a)
    with _on(BEFORE):
        draft = changes.save_draft("delivery_deletion", other, staff_a, {"deletion": True})
        other.refresh_from_db()
        assert not other.deletion_requested  # being written: nothing marked yet
        change = changes.submit_change(draft.pk, staff_a)
    other.refresh_from_db()
    assert other.deletion_requested
    dec = ExamSession.objects.get(exam_date=DEC)
    assert list(exam_services.eligible_delivery_courses(provider_a, dec)) == [delivery]

    assert change.items == [{
        "key": "deletion", "item": "実施講座",
        "after": "申請書式2-添付書類2、3に示す実施講座を削除",
        "before": "申請書式2-添付書類2、3に示す実施講座",
    }]  # fmt: skip
    wb = _workbook(SHOSHIKI_5.render(change))
    ws = wb["申請書式5"]
    texts = _text(SHOSHIKI_5.render(change))
    assert "変更申請書" in texts and "申請書式2-添付書類3" in texts
    assert "申請書式2-添付書類2、3に示す実施講座を削除" in texts
    assert ws["B14"].value == "実施講座"

    ws = _workbook(course_docs.CHANGE_SHOSHIKI_2_ATT_2.render(change)).active
    cells, first = course_docs.ATT_2_CELLS, course_docs.ATT_2_FIRST_LIST_ROW
    assert ws[cells["delivery_count"]].value == 2
    assert ws[cells["deletion_count"]].value == 1
    assert [(ws[f"B{r}"].value, ws[f"C{r}"].value) for r in (first, first + 1)] == [
        ("□", delivery.number),
        ("■", other.number),
    ]
    att_3 = _workbook(course_docs.CHANGE_SHOSHIKI_2_ATT_3.render(change))
    assert att_3.sheetnames == [f"{course.serial:03d}-002"]  # only the deleted one

    mail.outbox.clear()
    with _on(BEFORE), django_capture_on_commit_callbacks(execute=True):
        changes.approve_change(change.pk, reviewer)
    other.refresh_from_db()
    assert other.state == DeliveryCourse.S.DELETED and other.deleted_on == BEFORE
    assert workflow.state_label(other) == "削除済み"
    # One notice per address (the contact, the filer), not a second one of the request.
    assert sorted(m.to[0] for m in mail.outbox) == sorted({provider_a.contact_email, staff_a.email})
    for message in mail.outbox:
        assert "実施講座の削除申請を承認しました" in message.subject
        assert workflow.receipt_number(change) in message.subject
    assert Notice.objects.filter(recipient=staff_a, subject__contains="削除申請").exists()
    assert AuditEntry.objects.filter(action="delivery.delete_by_request").exists()
    # The course's own 添付書類2 no longer lists it; the request's forms still do.
    ws = _workbook(course_docs.render_shoshiki_2_att_2(course)).active
    assert ws[cells["delivery_count"]].value == 1
    ws = _workbook(course_docs.CHANGE_SHOSHIKI_2_ATT_2.render(change)).active
    assert ws[f"B{first + 1}"].value == "■"


def test_d8_deletion_is_refused_once_someone_applied(setup, staff_a):  # noqa: F811
    delivery = setup["delivery"]
    exam_services.save_application(setup["site"].pk, staff_a, delivery.pk, 20, now=IN_APPLY)
    exam_services.submit_applications(setup["site"].pk, staff_a, now=IN_APPLY)
    with pytest.raises(ValidationError, match="2024年12月8日.*申込み.*削除できません"):
        changes.save_draft("delivery_deletion", delivery, staff_a, {"deletion": True})
    assert not ChangeRequest.objects.exists()


def test_d8_a_filed_deletion_request_holds_the_delivery_course(cert, provider_a, staff_a):
    _, delivery = cert
    with _on(BEFORE):
        draft = changes.save_draft("delivery_deletion", delivery, staff_a, {"deletion": True})
        changes.submit_change(draft.pk, staff_a)
    delivery.refresh_from_db()
    assert delivery.deletion_requested
    # While it is filed, the delivery course's other change waits.
    with pytest.raises(ValidationError, match="削除申請が出ています"):
        changes.save_draft("delivery_course", delivery, staff_a, {"name": "別名"})


def test_d8_a_returned_deletion_request_withdrawn_clears_the_mark(cert, staff_a, reviewer):
    _, delivery = cert
    with _on(BEFORE):
        draft = changes.save_draft("delivery_deletion", delivery, staff_a, {"deletion": True})
        changes.submit_change(draft.pk, staff_a)
    changes.return_change(draft.pk, reviewer, "受講者数を確認させてください。")
    delivery.refresh_from_db()
    assert delivery.deletion_requested  # still asked for while returned
    changes.withdraw_change(draft.pk, staff_a)
    delivery.refresh_from_db()
    assert not delivery.deletion_requested and delivery.state == DeliveryCourse.S.APPROVED


# --- pages --------------------------------------------------------------------------------


def test_d8_course_page_offers_change_and_deletion_requests_and_files_them(client, cert, staff_a):
    course, delivery = cert
    c = client_for(client, staff_a)
    with _on(BEFORE):
        page = c.get(reverse("course_detail", args=[course.pk])).content.decode()
        assert reverse("delivery_change", args=[course.pk, delivery.pk]) in page
        assert reverse("delivery_deletion", args=[course.pk, delivery.pk]) in page
        assert "②を取りやめる" in page

        page = c.get(reverse("delivery_deletion", args=[course.pk, delivery.pk])).content.decode()
        assert "申請書式2-添付書類2、3に示す実施講座を削除" in page
        response = c.post(
            reverse("delivery_deletion", args=[course.pk, delivery.pk]),
            {"reason": "受講者0人のため開講しませんでした。"},
        )
    change = ChangeRequest.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "change_detail", args=[change.pk]
    )
    assert change.reason == "受講者0人のため開講しませんでした。"
    page = c.get(reverse("change_detail", args=[change.pk])).content.decode()
    assert "実施講座の削除" in page and "申請書式2-添付書類2" in page
    with _on(BEFORE):
        page = c.get(reverse("course_detail", args=[course.pk])).content.decode()
    assert "実施講座の削除（作成中）" in page


def test_x1_delivery_change_page_saves_a_copy_and_keeps_what_was_typed(client, cert, staff_a):
    course, delivery = cert
    c = client_for(client, staff_a)
    url = reverse("delivery_change", args=[course.pk, delivery.pk])
    with _on(BEFORE):
        form = c.get(url).context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        data[name] = "on" if value is True else value
    data["address"] = "文京区本駒込2-28-10"
    data["end_date"] = "2024-12-31"  # after the first exam: refused
    with _on(BEFORE):
        response = c.post(url, data)
        assert response.status_code == 200
        body = response.content.decode()
        assert "文京区本駒込2-28-10" in body  # nothing typed is lost
        assert "最初の修了試験（2024年12月8日）の前日までに終了" in body
        assert not ChangeRequest.objects.exists()
        data["end_date"] = "2024-12-07"
        response = c.post(url, data)
    change = ChangeRequest.objects.get()
    assert response.status_code == 302
    assert [i["item"] for i in change.items] == ["講座の設置場所（市区町村以下）"]
    delivery.refresh_from_db()
    assert delivery.address == "文京区本駒込2-28-8"


def test_d6_other_provider_cannot_open_or_drop(client, cert, staff_b):
    course, delivery = cert
    c = client_for(client, staff_b)
    assert c.get(reverse("delivery_change", args=[course.pk, delivery.pk])).status_code == 404
    response = c.post(reverse("delivery_drop_exam", args=[course.pk, delivery.pk]), {"slot": 2})
    assert response.status_code == 404
    assert len(_exam_dates(delivery)) == 2


# --- what the review found: stale copies, held exams, applications -------------------


def test_w2_x1_a_second_request_never_undoes_what_ipa_approved_meanwhile(cert, staff_a, reviewer):
    """Two requests on one delivery course: the second, made from the old
    data, carries only what it changes, so approving it keeps the first."""
    _, delivery = cert
    with _on(BEFORE):
        first = changes.save_draft("delivery_course", delivery, staff_a, {"building": "IPAビル9階"})
        changes.submit_change(first.pk, staff_a)
        # The second form posts every field, the building still as it was.
        values = changes.get_kind("delivery_course").current(delivery)
        second = changes.save_draft(
            "delivery_course", delivery, staff_a, {**values, "expected_learners": 30}
        )
        assert set(second.proposed) == {"expected_learners"}
        changes.approve_change(first.pk, reviewer)
        changes.submit_change(second.pk, staff_a)
        changes.approve_change(second.pk, reviewer)
    delivery.refresh_from_db()
    assert delivery.building == "IPAビル9階" and delivery.expected_learners == 30


def test_d6_dropping_the_first_exam_makes_the_second_the_first(cert, staff_a):
    _, delivery = cert
    with _on(BEFORE):
        course_services.drop_exam(delivery.pk, staff_a, "upper", 1)
    assert _exam_dates(delivery) == {("upper", 1): JAN}
    with _on(BEFORE):  # and the delivery course can still be changed
        draft = changes.save_draft("delivery_course", delivery, staff_a, {"expected_learners": 12})
        changes.submit_change(draft.pk, staff_a)


def test_d6_a_held_exam_cannot_be_changed_by_request(cert, staff_a):
    _, delivery = cert
    june = ExamSession.objects.get(exam_date=D(2025, 6, 8))
    july = ExamSession.objects.get(exam_date=D(2025, 7, 27))
    proposed = {"exams": {
        "upper_1": {"kind": "ipa", "session": june.pk, "vendor_date": None},
        "upper_2": {"kind": "ipa", "session": july.pk, "vendor_date": None},
    }, "end_date": D(2025, 6, 7)}  # fmt: skip
    with _on(D(2024, 12, 20)), pytest.raises(ValidationError, match="実施日を過ぎている"):
        changes.save_draft("delivery_course", delivery, staff_a, proposed)
    assert not ChangeRequest.objects.exists()


def test_d6_an_applied_exam_removed_by_an_approved_request_ends_its_application(
    setup,  # noqa: F811
    staff_a,
    reviewer,
):
    delivery = setup["delivery"]
    exam_services.save_application(setup["site"].pk, staff_a, delivery.pk, 20, now=IN_APPLY)
    application = exam_services.submit_applications(setup["site"].pk, staff_a, now=IN_APPLY)[0]
    jan = ExamSession.objects.get(exam_date=JAN)
    with _on(D(2024, 11, 20)):
        with pytest.raises(ValidationError, match="変更申請が必要"):
            course_services.drop_exam(delivery.pk, staff_a, "upper", 1)
        draft = changes.save_draft(
            "delivery_course", delivery, staff_a,
            {"exams": {"upper_1": {"kind": "ipa", "session": jan.pk, "vendor_date": None}}},
        )  # fmt: skip
        changes.submit_change(draft.pk, staff_a)
        changes.approve_change(draft.pk, reviewer)
    application.refresh_from_db()
    assert workflow.state_label(application) == "取下げ"
    assert application.fee_line.cancelled_on is not None  # unpaid: cancelled
    assert AuditEntry.objects.filter(action="exam_application.end_by_change").exists()
    assert _exam_dates(delivery) == {("upper", 1): JAN}


def test_d8_a_draft_application_cannot_be_filed_once_the_deletion_is_requested(
    setup,  # noqa: F811
    staff_a,
):
    delivery = setup["delivery"]
    exam_services.save_application(setup["site"].pk, staff_a, delivery.pk, 20, now=IN_APPLY)
    draft = changes.save_draft("delivery_deletion", delivery, staff_a, {"deletion": True})
    changes.submit_change(draft.pk, staff_a)
    with pytest.raises(ValidationError, match="申し込めなくなりました.*削除申請中"):
        exam_services.submit_applications(setup["site"].pk, staff_a, now=IN_APPLY)


def test_c11_a_revoked_course_offers_no_delivery_change(cert, staff_a, ipa_admin):
    course, delivery = cert
    with _on(BEFORE):
        course_services.revoke_course(course.pk, ipa_admin, BEFORE, "重大な不備のため")
        for kind in ("delivery_course", "delivery_deletion"):
            with pytest.raises(ValidationError, match="認定取消し"):
                changes.save_draft(
                    kind, delivery, staff_a, {"expected_learners": 3, "deletion": True}
                )
        with pytest.raises(ValidationError, match="認定取消し"):
            course_services.drop_exam(delivery.pk, staff_a, "upper", 2)
