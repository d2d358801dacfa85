"""Change requests (変更申請, 申請書式5; M§5.6, X1–X3): the shared filing kind
and the provider-data change (申請書式1 + 申請書式5)."""

import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal import workflow
from portal.models import AuditEntry, Notice
from providers import change_kinds, changes
from providers.models import ChangeRequest, Provider
from providers.workflow import ChangeStateError

from .conftest import client_for


def _file(provider, user, **proposed):
    change = changes.save_draft("provider_info", provider, user, proposed)
    return changes.submit_change(change.pk, user)


def _sheet_text(content: bytes) -> str:
    wb = openpyxl.load_workbook(io.BytesIO(content))
    return "\n".join(
        str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value
    )


def test_x1_x3_provider_change_is_a_copy_until_ipa_approves(
    staff_a, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    provider = staff_a.membership.provider
    old_name = provider.name
    with django_capture_on_commit_callbacks(execute=True):
        change = _file(provider, staff_a, name="Ａ学園大学", representative_name="情報\u3000次郎")
    provider.refresh_from_db()
    assert provider.name == old_name  # nothing of the live record changed
    assert workflow.state_of(change).waiting_for_ipa
    assert workflow.receipt_number(change).startswith("C")
    items = {i["item"]: (i["before"], i["after"]) for i in change.items}
    assert items["申請者名（漢字）"] == (old_name, "Ａ学園大学")
    assert items["代表者名"][1] == "情報\u3000次郎"
    assert any("【変更申請】" in m.subject for m in mailoutbox)  # IPA told
    assert any("【到達】" in m.subject for m in mailoutbox)  # the filer's receipt

    changes.approve_change(change.pk, reviewer)
    provider.refresh_from_db()
    assert provider.name == "Ａ学園大学"
    assert provider.representative_name == "情報\u3000次郎"
    assert provider.history.first().name == "Ａ学園大学"  # history kept
    entry = AuditEntry.objects.get(action="provider.change")
    assert entry.changes["name"] == [old_name, "Ａ学園大学"]
    assert Notice.objects.filter(recipient=staff_a, subject__contains="承認").exists()


def test_x1_a_change_applies_all_or_nothing(staff_a, reviewer, monkeypatch):
    provider = staff_a.membership.provider
    old = (provider.name, provider.address)
    change = _file(provider, staff_a, name="新しい学園", address="千代田区1-1")

    real = change_kinds.apply_provider_change

    def half_then_fail(target, proposed, actor, request):
        Provider.objects.filter(pk=target.pk).update(name="途中まで")
        raise RuntimeError("書き込み中の障害")

    kind = changes.get_kind("provider_info")
    monkeypatch.setitem(changes._KINDS, "provider_info",
                        changes.ChangeKind(**{**kind.__dict__, "apply": half_then_fail}))  # fmt: skip
    with pytest.raises(RuntimeError):
        changes.approve_change(change.pk, reviewer)
    provider.refresh_from_db()
    assert (provider.name, provider.address) == old
    change.refresh_from_db()
    assert workflow.state_of(change).waiting_for_ipa

    monkeypatch.setitem(
        changes._KINDS, "provider_info", changes.ChangeKind(**{**kind.__dict__, "apply": real})
    )
    changes.approve_change(change.pk, reviewer)
    provider.refresh_from_db()
    assert provider.name == "新しい学園"
    # A second approval of the same request changes nothing.
    Provider.objects.filter(pk=provider.pk).update(name="その後の名前")
    with pytest.raises(ChangeStateError):
        changes.approve_change(change.pk, reviewer)
    provider.refresh_from_db()
    assert provider.name == "その後の名前"
    assert AuditEntry.objects.filter(action="provider.change").count() == 1


def test_w2_two_requests_cannot_change_the_same_field_but_others_can(staff_a):
    provider = staff_a.membership.provider
    first = _file(provider, staff_a, name="一つ目の名前")
    with pytest.raises(ValidationError) as refused:
        # a second kind of request touching the same field is refused as well
        changes._hold_keys(
            ChangeRequest.objects.create(
                provider=provider, kind="provider_info", target_type=first.target_type,
                target_id=provider.pk, target_label="x",
            ),
            changes.get_kind("provider_info"),
            provider,
            [changes.Item("name", "申請者名（漢字）", "b", "a")],
        )  # fmt: skip
    assert "申請者名（漢字）" in str(refused.value)
    assert workflow.receipt_number(first) in str(refused.value)


def test_w2_several_requests_are_under_review_at_once(staff_a, reviewer):
    provider = staff_a.membership.provider
    first = _file(provider, staff_a, name="一つ目の名前")
    # the provider-data kind keeps one draft per target: a second one is a
    # different kind in real use; here the contact address of a second filing
    second = changes.save_draft("provider_info", provider, staff_a, {"address": "港区2-2"})
    assert second.pk != first.pk
    changes.submit_change(second.pk, staff_a)
    assert changes.review_queue().count() == 2
    changes.approve_change(second.pk, reviewer)
    changes.approve_change(first.pk, reviewer)
    provider.refresh_from_db()
    assert (provider.name, provider.address) == ("一つ目の名前", "港区2-2")


def test_x1_unchanged_copy_is_refused_and_nothing_saved(staff_a):
    provider = staff_a.membership.provider
    with pytest.raises(ValidationError, match="変更された項目がありません"):
        changes.save_draft("provider_info", provider, staff_a, {"name": provider.name})
    assert not ChangeRequest.objects.exists()


def test_x1_returned_request_is_edited_and_filed_again(
    staff_a, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    provider = staff_a.membership.provider
    change = _file(provider, staff_a, name="誤記のある名前")
    first_number = workflow.receipt_number(change)
    with django_capture_on_commit_callbacks(execute=True):
        changes.return_change(change.pk, reviewer, "名称の表記を登記と合わせてください。")
    change.refresh_from_db()
    assert workflow.state_of(change).returned
    assert any("差し戻し" in m.subject and "登記" in m.body for m in mailoutbox)
    again = changes.save_draft("provider_info", provider, staff_a, {"name": "正しい名前"})
    assert again.pk == change.pk  # the same request, edited
    changes.submit_change(change.pk, staff_a)
    change.refresh_from_db()
    assert workflow.receipt_number(change) != first_number
    assert [i["after"] for i in change.items] == ["正しい名前"]


def test_x1_withdrawn_request_frees_its_fields(staff_a):
    provider = staff_a.membership.provider
    change = changes.save_draft("provider_info", provider, staff_a, {"name": "取り下げる名前"})
    changes.withdraw_change(change.pk, staff_a)
    again = changes.save_draft("provider_info", provider, staff_a, {"name": "次の名前"})
    assert again.pk != change.pk


def test_x2_x3_provider_change_generates_shoshiki_1_and_shoshiki_5(staff_a):
    from portal import documents

    provider = staff_a.membership.provider
    change = _file(provider, staff_a, name="新名称学園", address="文京区本駒込2-28-8")
    kind = changes.get_kind(change.kind)
    assert kind.documents == ("change_shoshiki_1", "shoshiki_5")
    form5 = documents.get("shoshiki_5")
    text = _sheet_text(form5.render(change))
    assert "変更申請書" in text and "変更する書式" in text and "申請書式1" in text
    assert "新名称学園" in text and provider.name in text  # after and before
    assert provider.number in text
    name = form5.filename(change)
    assert name.startswith(f"({provider.number})申請書式5：変更申請書_") and name.endswith(".xlsx")
    form1 = _sheet_text(documents.get("change_shoshiki_1").render(change))
    assert "新名称学園" in form1 and "文京区本駒込2-28-8" in form1


def test_x1_pages_walk_provider_change_and_ipa_approval(client, staff_a, reviewer):
    provider = staff_a.membership.provider
    c = client_for(client, staff_a)
    page = c.get(reverse("provider_profile"))
    assert reverse("provider_change") in page.content.decode()
    data = {name: getattr(provider, name) or "" for name in change_kinds.PROVIDER_FIELDS}
    data.update(name="ページから変更した学園", reason="法人名の変更")
    response = c.post(reverse("provider_change"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    change = ChangeRequest.objects.get()
    detail = c.get(response["Location"]).content.decode()
    assert "ページから変更した学園" in detail and "変更前" in detail and "申請書式5" in detail
    c.post(reverse("change_submit", args=[change.pk]))
    change.refresh_from_db()
    assert workflow.state_of(change).waiting_for_ipa

    r = client_for(client, reviewer)
    queue = r.get(reverse("change_review_queue")).content.decode()
    assert workflow.receipt_number(change) in queue
    r.post(reverse("change_review_approve", args=[change.pk]))
    provider.refresh_from_db()
    assert provider.name == "ページから変更した学園"


def test_x1_refused_form_keeps_what_was_typed(client, staff_a):
    provider = staff_a.membership.provider
    c = client_for(client, staff_a)
    data = {name: getattr(provider, name) or "" for name in change_kinds.PROVIDER_FIELDS}
    data.update(name="入力した名前", name_kana="ひらがな")
    page = c.post(reverse("provider_change"), data).content.decode()
    assert "入力した名前" in page and "カナ" in page
    assert not ChangeRequest.objects.exists()


def test_r11_review_queue_shows_urgent_first_with_constant_queries(client, reviewer, staff_a):
    provider = staff_a.membership.provider
    ct = changes._type_of(provider)
    for n in range(30):
        ChangeRequest.objects.create(
            provider=provider, kind="provider_info", target_type=ct, target_id=provider.pk,
            target_label=f"対象{n}", state=ChangeRequest.State.SUBMITTED, urgent=(n == 29),
        )  # fmt: skip
    c = client_for(client, reviewer)
    with CaptureQueriesContext(connection) as few:
        c.get(reverse("change_review_queue"))
    for n in range(60):
        ChangeRequest.objects.create(
            provider=provider, kind="provider_info", target_type=ct, target_id=provider.pk,
            target_label=f"追加{n}", state=ChangeRequest.State.SUBMITTED,
        )  # fmt: skip
    with CaptureQueriesContext(connection) as many:
        page = c.get(reverse("change_review_queue")).content.decode()
    assert len(many) == len(few)
    assert page.index("対象29") < page.index("対象0")  # the urgent one first
    assert "至急" in page


def test_x1_other_provider_sees_no_change_request(client, staff_a, staff_b):
    change = changes.save_draft(
        "provider_info", staff_a.membership.provider, staff_a, {"name": "秘密"}
    )
    c = client_for(client, staff_b)
    assert c.get(reverse("change_detail", args=[change.pk])).status_code == 404
    assert "秘密" not in c.get(reverse("change_list")).content.decode()


def test_x1_dashboard_lists_a_returned_change_as_the_next_step(client, staff_a, reviewer):
    provider = staff_a.membership.provider
    change = _file(provider, staff_a, name="差し戻される名前")
    changes.return_change(change.pk, reviewer, "登記の名称と違います。")
    page = client_for(client, staff_a).get(reverse("home")).content.decode()
    assert "変更申請（認定団体情報の変更）が差し戻されています" in page
    assert reverse("change_detail", args=[change.pk]) in page


def test_c13_a_certified_course_is_never_extended_nor_changed_by_request(
    client, provider_a, staff_a, reviewer
):
    import datetime

    from courses import rules as course_rules
    from courses import services as course_services
    from courses.models import ExemptionCourse

    from .course_factories import certified_course

    course = certified_course(provider_a, staff_a, reviewer)
    # No change-request kind targets the exemption course itself (M§5.6).
    assert "courses.ExemptionCourse" not in {k.model for k in changes.all_kinds()}
    valid_until = course.valid_until
    with pytest.raises(course_services.CourseStateError):
        course_services.update_course(course.pk, staff_a, {"name": "延長した講座"})
    assert ExemptionCourse.objects.get(pk=course.pk).valid_until == valid_until
    page = client_for(client, staff_a).get(reverse("course_detail", args=[course.pk]))
    text = page.content.decode()
    assert "延長" in text and "新しい免除対象講座として申請" in text
    assert reverse("course_create") in text
    # Half a year before the end, the dashboard says to apply for the next course.
    assert course_rules.renewal_due(valid_until, valid_until - datetime.timedelta(days=90))
    assert not course_rules.renewal_due(valid_until, valid_until - datetime.timedelta(days=300))
    assert not course_rules.renewal_due(valid_until, valid_until + datetime.timedelta(days=1))
