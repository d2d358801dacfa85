"""Corrections of reported completers (R11, M§8.2, M§12.2.11; X1–X3, R3, R4):
an accepted report's completers change only through an urgent change request
(申請書式4 + 申請書式5); a draft's completers are corrected in place."""

import csv
import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from certifications import documents as cert_docs
from certifications import services
from certifications.models import Completer
from exams import documents as exam_docs
from exams.models import ResultReport
from portal import documents, workflow
from portal import services as portal_services
from portal.models import AuditEntry
from providers import changes
from providers.models import ChangeRequest

from .conftest import client_for
from .report_factories import PEOPLE, accepted_report, reported

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted(provider_a, staff_a, reviewer):
    return accepted_report(provider_a, staff_a, reviewer)


def _first(report) -> Completer:
    return report.completers.order_by("serial").first()


def _cells(content: bytes) -> list:
    wb = openpyxl.load_workbook(io.BytesIO(content))
    return [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value]


def _correct(report, user, completer, **values):
    return services.save_completer_correction(report.pk, user, {completer.pk: values})


def _file(report, user, completer, **values):
    change = _correct(report, user, completer, **values)
    return changes.submit_change(change.pk, user)


def _generate(doc_id, obj, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        generated = portal_services.request_document(doc_id, obj, user)
    generated.refresh_from_db()
    assert generated.status == "done"
    return generated


def test_r11_correction_is_a_copy_until_ipa_approves_then_form4_and_csv_show_it(
    accepted, staff_a, reviewer, provider_a, django_capture_on_commit_callbacks
):
    ichiro = _first(accepted)
    number = ichiro.management_number
    before_file = _generate("shoshiki_4", accepted, staff_a, django_capture_on_commit_callbacks)
    assert "イチロウ" in _cells(bytes(before_file.content))

    change = _file(accepted, staff_a, ichiro, given_kana="イチロー", birth_date="1998-10-16")
    ichiro.refresh_from_db()
    assert ichiro.given_kana == "イチロウ"  # a copy: nothing changed yet
    assert workflow.state_of(change).waiting_for_ipa
    assert change.proposed[str(ichiro.pk)] == {"given_kana": "イチロー", "birth_date": "1998-10-16"}
    assert "イチロウ" in _cells(exam_docs.render_shoshiki_4(accepted))

    changes.approve_change(change.pk, reviewer)
    ichiro.refresh_from_db()
    assert ichiro.given_kana == "イチロー"
    assert str(ichiro.birth_date) == "1998-10-16"
    assert ichiro.management_number == number and ichiro.serial == 1  # R4
    assert accepted.completers.count() == len(PEOPLE)  # R5/R6: the counts stay

    # 申請書式4 and the CSV are generated from the data: they show the correction.
    after_file = _generate("shoshiki_4", accepted, staff_a, django_capture_on_commit_callbacks)
    cells = _cells(bytes(after_file.content))
    assert "イチロー" in cells and "イチロウ" not in cells and "1998/10/16" in cells
    assert exam_docs.figure_number(number) in cells
    rows = list(
        csv.reader(io.StringIO(cert_docs.render_csv_export(provider_a).decode("utf-8-sig")))
    )
    ichiro_row = next(r for r in rows if r[3] == ichiro.management_number_display)
    assert ichiro_row[7] == "イチロー" and ichiro_row[8] == "1998/10/16"
    # The file made before the approval is never taken for the current one.
    doc = documents.get("shoshiki_4")
    assert documents.outdated(doc, accepted, before_file)
    assert not documents.outdated(doc, accepted, after_file)

    entry = AuditEntry.objects.get(action="completer.correct")
    assert entry.object_id == str(ichiro.pk)
    assert entry.changes["given_kana"] == ["イチロウ", "イチロー"]
    assert workflow.receipt_number(change) in entry.note  # names the request
    assert AuditEntry.objects.filter(action="report.completer_correct", object_id=str(accepted.pk))


def test_r11_report_page_marks_a_form4_made_before_the_correction(
    client, accepted, staff_a, reviewer, django_capture_on_commit_callbacks
):
    old = _generate("shoshiki_4", accepted, staff_a, django_capture_on_commit_callbacks)
    change = _file(accepted, staff_a, _first(accepted), family_kana="ジョーホー")
    c = client_for(client, staff_a)
    assert "古い内容" not in c.get(reverse("report_detail", args=[accepted.pk])).content.decode()
    changes.approve_change(change.pk, reviewer)
    page = c.get(reverse("report_detail", args=[accepted.pk])).content.decode()
    assert "作成後に内容が変わりました（古い内容）" in page
    detail = c.get(reverse("document_detail", args=[old.pk])).content.decode()
    assert 'id="document-outdated"' in detail


def test_r4_serial_and_management_number_never_change(client, accepted, staff_a, reviewer):
    ichiro = _first(accepted)
    number, serial = ichiro.management_number, ichiro.serial
    with pytest.raises(ValidationError, match="修了認定者管理番号"):
        _correct(accepted, staff_a, ichiro, serial=7, given_kana="イチロー")
    c = client_for(client, staff_a)
    url = reverse("completer_correction", args=[accepted.pk])
    page = c.get(url, {"c": ichiro.pk}).content.decode()
    assert f'name="c{ichiro.pk}-serial"' not in page
    assert f'name="c{ichiro.pk}-management_number"' not in page
    assert ichiro.management_number_display in page and "変更できません" in page
    data = _post_data(ichiro, given_kana="イチロー")
    data[f"c{ichiro.pk}-serial"] = "7"  # a forged field changes nothing
    response = c.post(url, data)
    assert response.status_code == 302
    change = ChangeRequest.objects.get()
    assert change.proposed[str(ichiro.pk)] == {"given_kana": "イチロー"}
    changes.submit_change(change.pk, staff_a)
    changes.approve_change(change.pk, reviewer)
    ichiro.refresh_from_db()
    assert (ichiro.management_number, ichiro.serial) == (number, serial)
    assert ichiro.given_kana == "イチロー"


def test_r11_x3_correction_items_name_each_management_number(accepted, staff_a):
    ichiro, jiro = accepted.completers.order_by("serial")
    change = services.save_completer_correction(
        accepted.pk, staff_a,
        {ichiro.pk: {"family_kana": "ジョーホー", "birth_date": "1998-10-16"},
         jiro.pk: {"given_name": "次郎", "score": 55}},
    )  # fmt: skip
    items = [(i["item"], i["before"], i["after"]) for i in change.items]
    one, two = ichiro.management_number_display, jiro.management_number_display
    assert items == [
        (f"{one} 姓(カナ)", "ジョウホウ", "ジョーホー"),
        (f"{one} 生年月日", "1998/10/6", "1998/10/16"),  # as 申請書式4 prints it
        (f"{two} 名(漢字)", "二郎", "次郎"),
        (f"{two} 点数", "54", "55"),
    ]
    assert one.count("-") == 2  # with hyphens (table 5.6-2, figure 8.1-1)
    assert {k.key for k in change.keys.all()} == {
        f"exams.ResultReport:{accepted.pk}:completer:{ichiro.pk}:family_kana",
        f"exams.ResultReport:{accepted.pk}:completer:{ichiro.pk}:birth_date",
        f"exams.ResultReport:{accepted.pk}:completer:{jiro.pk}:given_name",
        f"exams.ResultReport:{accepted.pk}:completer:{jiro.pk}:score",
    }


def test_x2_x3_correction_generates_form4_and_form5_naming_the_numbers(accepted, staff_a):
    ichiro, jiro = accepted.completers.order_by("serial")
    change = services.save_completer_correction(
        accepted.pk, staff_a, {ichiro.pk: {"given_kana": "イチロー"}, jiro.pk: {"score": 55}}
    )
    kind = changes.get_kind(change.kind)
    assert kind.documents == ("change_shoshiki_4", "shoshiki_5")
    assert kind.urgent and change.urgent

    form5 = documents.get("shoshiki_5")
    cells = _cells(form5.render(change))
    assert "変更申請書" in cells and "変更する書式" in cells and "申請書式4" in cells
    assert f"{ichiro.management_number_display} 名(カナ)" in cells
    assert f"{jiro.management_number_display} 点数" in cells
    assert "イチロー" in cells and "イチロウ" in cells  # after and before
    name = form5.filename(change)
    assert name.startswith(
        f"({accepted.delivery_course.course.provider.number})申請書式5：変更申請書_"
    )

    form4 = documents.get("change_shoshiki_4")
    cells = _cells(form4.render(change))
    assert "修了認定報告書" in cells
    assert "イチロー" in cells and "イチロウ" not in cells and 55 in cells  # as after the change
    assert exam_docs.figure_number(ichiro.management_number) in cells  # the number stays
    assert cells.count("ジョウホウ") == 2  # every completer, not only the corrected ones
    assert form4.filename(change).startswith(
        f"({accepted.delivery_course.course.provider.number})申請書式4：修了認定報告書_"
    )
    ichiro.refresh_from_db()
    assert ichiro.given_kana == "イチロウ"  # the preview is in memory only


def test_r11_correction_is_urgent_and_first_in_ipa_queue(
    client, accepted, staff_a, reviewer, provider_a
):
    older = changes.save_draft("provider_info", provider_a, staff_a, {"name": "先に申請した学園"})
    older = changes.submit_change(older.pk, staff_a)
    correction = _file(accepted, staff_a, _first(accepted), given_kana="イチロー")
    assert correction.urgent and not older.urgent
    assert older.submitted_at < correction.submitted_at
    assert list(changes.review_queue()) == [correction, older]
    queue = client_for(client, reviewer).get(reverse("change_review_queue")).content.decode()
    first, second = workflow.receipt_number(correction), workflow.receipt_number(older)
    assert queue.index(first) < queue.index(second)
    row = queue[queue.index(first) : queue.index(second)]
    assert "至急" in row and "修了認定者情報の変更" in row

    client.logout()
    page = client_for(client, staff_a).get(reverse("change_detail", args=[correction.pk]))
    html = page.content.decode()
    assert "至急" in html and "免除申請" in html and 'id="urgent-note"' in html


def test_x1_draft_report_completer_is_corrected_in_place(client, provider_a, staff_a, reviewer):
    from exams import services as exam_services
    from exams.models import ExamApplication

    report = reported(provider_a, staff_a, reviewer)
    # Returned by IPA: the provider simply edits (X1).
    exam_services.decide_report(
        report.pk, reviewer, accept=False, reason="カナを確認してください。"
    )
    ichiro = _first(report)
    with pytest.raises(ValidationError, match="変更申請は不要"):
        _correct(report, staff_a, ichiro, given_kana="イチロー")
    c = client_for(client, staff_a)
    response = c.get(reverse("completer_correction", args=[report.pk]), {"c": ichiro.pk})
    assert response.status_code == 302 and response["Location"].endswith(
        reverse("report_detail", args=[report.pk])
    )
    services.update_completer(report.pk, ichiro.pk, staff_a, {"given_kana": "イチロー"})
    ichiro.refresh_from_db()
    assert ichiro.given_kana == "イチロー"
    assert not ChangeRequest.objects.exists()
    assert ExamApplication.objects.exists()


def test_x1_a_report_ipa_is_checking_has_no_correction_yet(provider_a, staff_a, reviewer):
    report = reported(provider_a, staff_a, reviewer)
    assert workflow.state_of(report).waiting_for_ipa
    with pytest.raises(ValidationError, match="IPAが確認中"):
        _correct(report, staff_a, _first(report), given_kana="イチロー")
    assert not ChangeRequest.objects.exists()


def _post_data(*completers, reason="", **values):
    data = {"chosen": [str(c.pk) for c in completers], "reason": reason}
    for c in completers:
        for name in services.CORRECTABLE_FIELDS:
            data[f"c{c.pk}-{name}"] = str(getattr(c, name))
    for key, value in values.items():
        data[f"c{completers[0].pk}-{key}"] = value
    return data


def test_r3_r11_invalid_kana_and_non_jis_kanji_refused_naming_field_and_completer(
    client, accepted, staff_a
):
    ichiro, jiro = accepted.completers.order_by("serial")
    data = _post_data(ichiro, jiro)
    data[f"c{ichiro.pk}-given_kana"] = "いちろう"  # hiragana: not katakana (R3)
    data[f"c{jiro.pk}-family_name"] = "髙橋"  # 髙 is not JIS X 0208 level 1/2
    c = client_for(client, staff_a)
    response = c.post(reverse("completer_correction", args=[accepted.pk]), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "名（カナ）" in html and "姓（漢字）" in html and "髙" in html and "高" in html
    summary = html[html.index("error-summary") : html.index("</ul>", html.index("error-summary"))]
    assert ichiro.management_number_display in summary and jiro.management_number_display in summary
    assert 'value="いちろう"' in html and 'value="髙橋"' in html  # what was typed is kept
    assert not ChangeRequest.objects.exists()  # nothing saved
    ichiro.refresh_from_db()
    assert ichiro.given_kana == "イチロウ"


def test_r11_e8_service_checks_name_the_completer(accepted, staff_a):
    ichiro = _first(accepted)
    with pytest.raises(ValidationError) as error:
        _correct(accepted, staff_a, ichiro, score=61)  # IPA problems: 60 points
    messages = error.value.message_dict[f"c{ichiro.pk}-score"]
    assert ichiro.management_number_display in messages[0] and "点数" in messages[0]
    with pytest.raises(ValidationError) as error:
        _correct(accepted, staff_a, ichiro, family_name="髙橋")
    message = error.value.message_dict[f"c{ichiro.pk}-family_name"][0]
    assert ichiro.management_number_display in message and "髙" in message
    assert not ChangeRequest.objects.exists()


def test_r7_correction_cannot_make_two_completers_the_same_person(accepted, staff_a):
    ichiro, jiro = accepted.completers.order_by("serial")
    with pytest.raises(ValidationError) as error:
        _correct(accepted, staff_a, jiro, given_name="一郎", given_kana="イチロウ",
                 birth_date="1998-10-06", score=60)  # fmt: skip
    assert "同じ修了認定者" in str(error.value)


def test_w2_two_open_requests_cannot_correct_the_same_field_of_the_same_completer(
    accepted, staff_a, reviewer
):
    ichiro, jiro = accepted.completers.order_by("serial")
    first = _file(accepted, staff_a, ichiro, given_kana="イチロー")
    with pytest.raises(ValidationError, match="別の変更申請") as error:
        _correct(accepted, staff_a, ichiro, given_kana="イチロ")
    assert workflow.receipt_number(first) in str(error.value)
    assert ChangeRequest.objects.count() == 1
    # Another field, or another completer's same field, is its own request.
    other = _correct(accepted, staff_a, jiro, given_kana="ジロー")
    assert other.pk != first.pk
    # Once the first is approved its field is free again.
    changes.approve_change(first.pk, reviewer)
    changes.withdraw_change(other.pk, staff_a)
    again = _correct(accepted, staff_a, ichiro, given_kana="イチロ")
    assert again.items[0]["before"] == "イチロー"


def test_x1_the_draft_is_continued_with_its_values(client, accepted, staff_a):
    ichiro, jiro = accepted.completers.order_by("serial")
    _correct(accepted, staff_a, ichiro, given_kana="イチロー")
    c = client_for(client, staff_a)
    page = c.get(reverse("completer_correction", args=[accepted.pk]), {"c": jiro.pk})
    html = page.content.decode()
    assert 'value="イチロー"' in html  # the request's value, not the approved one
    assert jiro.management_number_display in html and ichiro.management_number_display in html
    response = c.post(
        reverse("completer_correction", args=[accepted.pk]),
        {**_post_data(ichiro, jiro), f"c{ichiro.pk}-given_kana": "イチロー",
         f"c{jiro.pk}-given_kana": "ジロー"},
    )  # fmt: skip
    assert response.status_code == 302
    change = ChangeRequest.objects.get()  # the same request, continued
    assert set(change.proposed) >= {str(ichiro.pk), str(jiro.pk)}
    assert len(change.items) == 2


def test_r11_pages_walk_correction_and_ipa_approval(client, accepted, staff_a, reviewer):
    ichiro = _first(accepted)
    c = client_for(client, staff_a)
    report_page = c.get(reverse("report_detail", args=[accepted.pk])).content.decode()
    assert "選んだ修了認定者情報の訂正（変更申請）" in report_page and 'name="c"' in report_page
    response = c.post(
        reverse("completer_correction", args=[accepted.pk]),
        {**_post_data(ichiro, given_kana="ｲﾁﾛｰ"), "reason": "免除申請でエラーになったため"},
    )  # half-width kana are converted, not refused
    assert response.status_code == 302, response.content.decode()[:2000]
    change = ChangeRequest.objects.get()
    assert response["Location"] == reverse("change_detail", args=[change.pk])
    detail = c.get(response["Location"]).content.decode()
    assert f"{ichiro.management_number_display} 名(カナ)" in detail and "イチロー" in detail
    assert "申請書式4" in detail and "申請書式5" in detail
    assert reverse("completer_correction", args=[accepted.pk]) in detail  # 変更内容を修正する
    c.post(reverse("change_submit", args=[change.pk]))
    report_page = c.get(reverse("report_detail", args=[accepted.pk])).content.decode()
    assert workflow.receipt_number(change) in report_page  # the open request on the report

    r = client_for(client, reviewer)
    review = r.get(reverse("change_review_detail", args=[change.pk])).content.decode()
    assert reverse("review_report", args=[accepted.pk]) in review
    assert (
        workflow.receipt_number(change)
        in r.get(reverse("review_report", args=[accepted.pk])).content.decode()
    )
    r.post(reverse("change_review_approve", args=[change.pk]))
    ichiro.refresh_from_db()
    assert ichiro.given_kana == "イチロー"
    change.refresh_from_db()
    assert workflow.state_of(change).in_force


def test_r11_completer_page_of_an_accepted_report_links_the_correction(client, accepted, staff_a):
    ichiro = _first(accepted)
    page = (
        client_for(client, staff_a)
        .get(reverse("completer_edit", args=[accepted.pk, ichiro.pk]))
        .content.decode()
    )
    assert f"{reverse('completer_correction', args=[accepted.pk])}?c={ichiro.pk}" in page


def test_r11_correction_of_another_providers_report_is_404(client, accepted, staff_b):
    ichiro = _first(accepted)
    c = client_for(client, staff_b)
    url = reverse("completer_correction", args=[accepted.pk])
    assert c.get(url, {"c": ichiro.pk}).status_code == 404
    assert c.post(url, _post_data(ichiro, given_kana="イチロー")).status_code == 404
    with pytest.raises(Exception):  # noqa: B017,PT011 - PermissionDenied or not found
        _correct(accepted, staff_b, ichiro, given_kana="イチロー")
    assert not ChangeRequest.objects.exists()


def test_r11_nothing_chosen_returns_to_the_report(client, accepted, staff_a):
    response = client_for(client, staff_a).get(reverse("completer_correction", args=[accepted.pk]))
    assert response.status_code == 302
    assert "#completers" in response["Location"]


def test_r11_apply_checks_again_and_refuses_all_or_nothing(accepted, staff_a, reviewer):
    ichiro, jiro = accepted.completers.order_by("serial")
    change = services.save_completer_correction(
        accepted.pk,
        staff_a,
        {ichiro.pk: {"given_kana": "イチロー"}, jiro.pk: {"given_kana": "ジロー"}},
    )
    changes.submit_change(change.pk, staff_a)
    # Meanwhile the request's copy was tampered with: the checks run again.
    ChangeRequest.objects.filter(pk=change.pk).update(
        proposed={**change.proposed, str(jiro.pk): {"given_kana": "じろう"}}
    )
    with pytest.raises(ValidationError, match=jiro.management_number_display):
        changes.approve_change(change.pk, reviewer)
    ichiro.refresh_from_db()
    assert ichiro.given_kana == "イチロウ"  # nothing half-applied
    assert not AuditEntry.objects.filter(action="completer.correct").exists()


def test_r11_a_second_approval_changes_nothing(accepted, staff_a, reviewer):
    change = _file(accepted, staff_a, _first(accepted), given_kana="イチロー")
    changes.approve_change(change.pk, reviewer)
    with pytest.raises(Exception):  # noqa: B017,PT011 - the life cycle refuses it
        changes.approve_change(change.pk, reviewer)
    assert AuditEntry.objects.filter(action="completer.correct").count() == 1
    assert ResultReport.objects.get(pk=accepted.pk).completers.count() == len(PEOPLE)
