"""The change of the registered contact person (講座担当者の変更; P4, P7,
M§10): a change request of its own kind; IPA's approval is the receipt
(受領) that makes the new person the registered contact (a new account with
an invitation, or an existing staff member) and ends the old contact's
access; the new contact reports the first login (ログイン完了)."""

import io
import re

import openpyxl
import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.urls import reverse

from portal import workflow
from portal.models import AuditEntry, Notice, User
from providers import changes, contact
from providers.models import ChangeRequest, Membership
from providers.workflow import ChangeStateError

from .conftest import client_for
from .factories import MembershipFactory, ReviewerFactory

pytestmark = pytest.mark.django_db

NEW = {
    "contact_family_name": "後任",
    "contact_given_name": "次郎",
    "contact_department": "教務部",
    "contact_tel": "03-9999-0000",
    "contact_fax": "03-9999-0001",
    "contact_email": "jiro@ipa-daigaku.example.jp",
}
NEW_PASSWORD = "Kouza-Kotai-2026!"


def _form(provider, **overrides) -> dict:
    data = {name: getattr(provider, name) or "" for name in contact.CONTACT_FIELDS}
    return {**data, **NEW, "reason": "人事異動のため", **overrides}


def _file(provider, user, **values):
    change = contact.save_contact_draft(provider, user, {**NEW, **values})
    return changes.submit_change(change.pk, user)


def _one_contact_at_most():
    """one_contact_per_provider, checked by counting (the constraint itself
    would raise on save)."""
    counts = (
        Membership.objects.filter(is_contact=True)
        .values("provider")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    assert all(n == 1 for n in counts)


def _link(body: str) -> str:
    url = re.search(r"https?://\S+/accounts/invitation/\S+/", body).group()
    return url.removeprefix(settings.SITE_URL)


def _sheet_text(content: bytes) -> str:
    wb = openpyxl.load_workbook(io.BytesIO(content))
    return "\n".join(
        str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value
    )


def test_p7_contact_change_is_a_copy_until_ipa_receives_it(staff_a):
    provider = staff_a.membership.provider
    before = (provider.contact_family_name, provider.contact_email)
    change = _file(provider, staff_a)
    provider.refresh_from_db()
    assert (provider.contact_family_name, provider.contact_email) == before
    assert workflow.state_of(change).waiting_for_ipa
    assert change.kind_label == "講座担当者の変更"
    items = {i["item"]: (i["before"], i["after"]) for i in change.items}
    assert items["担当者の電子メール"] == (before[1], NEW["contact_email"])
    assert items["担当者氏名（姓）"] == (before[0], "後任")
    assert not User.objects.filter(email=NEW["contact_email"]).exists()  # no account yet
    assert staff_a.membership.is_contact and staff_a.membership.active


def test_p7_approval_hands_over_the_contact_and_invites_the_new_person(
    client, staff_a, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    provider = staff_a.membership.provider
    old_address = provider.contact_email
    change = _file(provider, staff_a)
    mailoutbox.clear()
    _one_contact_at_most()
    c = client_for(client, staff_a)
    assert c.get(reverse("course_list")).status_code == 200  # still the contact
    with django_capture_on_commit_callbacks(execute=True):
        changes.approve_change(change.pk, reviewer)
    _one_contact_at_most()

    # The provider's contact fields, with history and audit.
    provider.refresh_from_db()
    assert (provider.contact_family_name, provider.contact_given_name) == ("後任", "次郎")
    assert provider.contact_email == NEW["contact_email"]
    assert provider.contact_tel == "03-9999-0000"
    assert provider.history.first().contact_email == NEW["contact_email"]
    entry = AuditEntry.objects.get(action="provider.contact_change")
    assert entry.changes["contact_email"] == [old_address, NEW["contact_email"]]

    # The new person's account: no usable password yet, the registered contact.
    new = User.objects.get(email=NEW["contact_email"])
    assert not new.has_usable_password()
    assert new.display_name == "後任\u3000次郎"
    assert new.membership.is_contact and new.membership.active
    assert new.membership.provider == provider

    # The old contact steps down: their next page request is refused.
    old = Membership.objects.get(user=staff_a)
    assert not old.is_contact and not old.active
    assert c.get(reverse("course_list")).status_code == 403
    assert c.get(reverse("provider_profile")).status_code == 403
    assert "利用できるメニューがありません" in c.get(reverse("home")).content.decode()

    # Mails: the 受領通知 reaches the NEW address (M§10.1 (5)), the invitation
    # too; the old contact learns that their access ended.
    by_address = {}
    for message in mailoutbox:
        by_address.setdefault(message.to[0], []).append(message)
    new_mails = by_address[NEW["contact_email"]]
    receipt = [m for m in new_mails if "受領" in m.subject and "変更申請" in m.subject]
    assert receipt and "受領通知" in receipt[0].body
    assert workflow.receipt_number(change) in receipt[0].subject
    invitation = [m for m in new_mails if "ユーザ登録完了のお知らせ" in m.subject]
    assert len(invitation) == 1
    assert "12文字以上" in invitation[0].body
    for address in (staff_a.email, old_address):
        told = by_address[address]
        assert any("利用できなくなりました" in m.body for m in told), address
    assert Notice.objects.filter(recipient=staff_a, subject__contains="交代").exists()

    # The invitation's link: set a password, sign in.
    c.logout()
    link = _link(invitation[0].body)
    response = client.get(link)
    assert response.status_code == 302  # Django moves the token out of the URL
    form_url = response["Location"]
    page = client.get(form_url).content.decode()
    assert "12文字以上" in page and "3種類以上" in page and "適用しません" in page
    weak = client.post(form_url, {"new_password1": "short", "new_password2": "short"})
    assert "12" in weak.content.decode()
    done = client.post(
        form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    assert "パスワードを設定しました" in done.content.decode()
    new.refresh_from_db()
    assert new.has_usable_password()
    assert AuditEntry.objects.filter(action="auth.password_set", object_id=str(new.pk)).exists()
    # The link works once.
    again = client.get(link, follow=True).content.decode()
    assert "無効" in again
    signed_in = client.post(
        reverse("login"), {"username": NEW["contact_email"], "password": NEW_PASSWORD},
        follow=True,
    )  # fmt: skip
    dashboard = signed_in.content.decode()
    assert "ログイン完了を連絡する" in dashboard
    assert "後任\u3000次郎" in dashboard
    assert client.get(reverse("course_list")).status_code == 200


def test_p7_new_contact_confirms_the_first_login_and_ipa_is_told(
    client, staff_a, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    provider = staff_a.membership.provider
    change = _file(provider, staff_a)
    changes.approve_change(change.pk, reviewer)
    new = User.objects.get(email=NEW["contact_email"])
    new.set_password(NEW_PASSWORD)
    new.save()
    # Nobody else may report it: not the old contact, not another staff member.
    other = MembershipFactory(provider=provider, user__email="other@a.example.jp").user
    c = client_for(client, other)
    assert "ログイン完了を連絡する" not in c.get(reverse("home")).content.decode()
    c.post(reverse("change_confirm_login", args=[change.pk]))
    change.refresh_from_db()
    assert change.completed_at is None
    with pytest.raises(PermissionDenied):
        contact.confirm_login(change.pk, staff_a)

    mailoutbox.clear()
    c = client_for(client, new)
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(reverse("change_confirm_login", args=[change.pk]), follow=True)
    page = response.content.decode()
    assert "ログイン完了をIPAに連絡しました" in page
    assert "ログイン完了を連絡する" not in page  # shown until done
    change.refresh_from_db()
    assert change.completed_at is not None
    assert workflow.state_label(change) == "完了（ログイン完了）"
    ipa = [m for m in mailoutbox if m.to == [settings.IPA_NOTICE_EMAIL]]
    assert ipa and "ログイン完了" in ipa[0].subject and provider.number in ipa[0].subject
    assert any(m.to == [new.email] and "完了" in m.subject for m in mailoutbox)
    assert Notice.objects.filter(recipient=reviewer, subject__contains="ログイン完了").exists()
    entry = AuditEntry.objects.get(action="change.confirm_login")
    assert entry.actor == new
    with pytest.raises(ChangeStateError):  # once
        contact.confirm_login(change.pk, new)
    detail = c.get(reverse("change_detail", args=[change.pk])).content.decode()
    assert "ログイン完了日時" in detail


def test_p7_email_of_another_account_is_refused_naming_the_field(client, staff_a, staff_b):
    provider = staff_a.membership.provider
    with pytest.raises(ValidationError) as refused:
        contact.save_contact_draft(provider, staff_a, {**NEW, "contact_email": staff_b.email})
    assert "担当者の電子メール" in str(refused.value)
    assert not ChangeRequest.objects.exists()
    # IPA's account too; the page keeps what was typed.
    ReviewerFactory(email="shinsa@ipa.example.jp")
    c = client_for(client, staff_a)
    page = c.post(
        reverse("contact_change"), _form(provider, contact_email="shinsa@ipa.example.jp")
    ).content.decode()
    assert "「担当者の電子メール」" in page and "別のアカウントで既に使われている" in page
    assert "後任" in page and "shinsa@ipa.example.jp" in page
    assert not ChangeRequest.objects.exists()


def test_p7_email_taken_after_filing_is_refused_at_approval(staff_a, reviewer):
    provider = staff_a.membership.provider
    change = _file(provider, staff_a)
    MembershipFactory(user__email=NEW["contact_email"])  # another provider's, meanwhile
    with pytest.raises(ValidationError, match="担当者の電子メール"):
        changes.approve_change(change.pk, reviewer)
    provider.refresh_from_db()
    assert provider.contact_email != NEW["contact_email"]
    assert Membership.objects.get(user=staff_a).is_contact


def test_p4_p7_existing_staff_member_becomes_the_contact_without_a_new_account(
    client, staff_a, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    provider = staff_a.membership.provider
    colleague = MembershipFactory(provider=provider, user__email="colleague@a.example.jp").user
    users = User.objects.count()
    change = _file(provider, staff_a, contact_email="Colleague@a.example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        changes.approve_change(change.pk, reviewer)
    _one_contact_at_most()
    assert User.objects.count() == users  # no new account
    colleague.refresh_from_db()
    assert colleague.membership.is_contact and colleague.has_usable_password()
    assert colleague.display_name == "後任\u3000次郎"
    assert not any("ユーザ登録完了" in m.subject for m in mailoutbox)  # no invitation
    assert not Membership.objects.get(user=staff_a).active
    # They confirm the login from their dashboard as well.
    c = client_for(client, colleague)
    assert "ログイン完了を連絡する" in c.get(reverse("home")).content.decode()


def test_p7_same_person_new_details_keeps_the_account(staff_a, reviewer):
    provider = staff_a.membership.provider
    change = contact.save_contact_draft(provider, staff_a, {"contact_tel": "03-1111-2222"})
    changes.submit_change(change.pk, staff_a)
    changes.approve_change(change.pk, reviewer)
    provider.refresh_from_db()
    assert provider.contact_tel == "03-1111-2222"
    membership = Membership.objects.get(user=staff_a)
    assert membership.is_contact and membership.active
    assert not contact.changes_person(change)


def test_p7_one_open_contact_change_per_provider(client, staff_a):
    provider = staff_a.membership.provider
    first = _file(provider, staff_a)
    with pytest.raises(ValidationError) as refused:
        contact.save_contact_draft(provider, staff_a, {"contact_department": "総務部"})
    message = str(refused.value)
    assert "講座担当者の変更申請" in message and workflow.receipt_number(first) in message
    page = client_for(client, staff_a).get(reverse("contact_change")).content.decode()
    assert "担当者の変更申請が既にあります" in page and 'id="save-contact-change"' not in page
    assert ChangeRequest.objects.filter(kind=contact.KIND).count() == 1


def test_p7_draft_is_continued_and_documents_read_the_new_contact(client, staff_a):
    provider = staff_a.membership.provider
    c = client_for(client, staff_a)
    response = c.post(reverse("contact_change"), _form(provider))
    assert response.status_code == 302
    change = ChangeRequest.objects.get()
    assert response["Location"] == reverse("change_detail", args=[change.pk])
    response = c.post(reverse("contact_change"), _form(provider, contact_given_name="三郎"))
    assert ChangeRequest.objects.count() == 1
    change.refresh_from_db()
    assert change.proposed["contact_given_name"] == "三郎"
    detail = c.get(reverse("change_detail", args=[change.pk])).content.decode()
    assert "講座担当者の変更" in detail and "三郎" in detail and "申請書式5" in detail
    assert reverse("contact_change") in detail  # 変更内容を修正する
    from portal import documents

    form1 = _sheet_text(documents.get("change_shoshiki_1").render(change))
    assert "後任" in form1 and "三郎" in form1 and NEW["contact_email"] in form1
    form5 = _sheet_text(documents.get("shoshiki_5").render(change))
    assert "申請書式1" in form5 and "担当者の電子メール" in form5
    assert provider.contact_email in form5 and NEW["contact_email"] in form5


def test_p7_dashboard_and_profile_link_to_the_contact_change(client, staff_a):
    c = client_for(client, staff_a)
    dashboard = c.get(reverse("home")).content.decode()
    assert reverse("contact_change") in dashboard
    assert "登録担当者" in dashboard and staff_a.email in dashboard
    profile = c.get(reverse("provider_profile")).content.decode()
    assert 'id="registered-contact"' in profile and reverse("contact_change") in profile
    assert reverse("contact_change") in c.get(reverse("provider_change")).content.decode()
    assert reverse("contact_change") in c.get(reverse("change_list")).content.decode()
    page = c.get(reverse("contact_change")).content.decode()
    assert "前任の担当者のアカウントは講座開設者のページを利用できなくなります" in page


def test_p7_invitation_link_of_a_password_reset_is_refused(client, staff_a, reviewer):
    """The invitation's token has its own salt: a reset token is no invitation."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    provider = staff_a.membership.provider
    change = _file(provider, staff_a)
    changes.approve_change(change.pk, reviewer)
    new = User.objects.get(email=NEW["contact_email"])
    uid = urlsafe_base64_encode(force_bytes(new.pk))
    url = reverse(
        "contact_invitation",
        kwargs={"uidb64": uid, "token": default_token_generator.make_token(new)},
    )
    assert "無効" in client.get(url, follow=True).content.decode()
    good = client.get(contact.invitation_path(new), follow=True).content.decode()
    assert "設定する" in good


def test_p7_expired_invitation_falls_back_to_the_password_reset(
    client, staff_a, reviewer, mailoutbox
):
    provider = staff_a.membership.provider
    change = _file(provider, staff_a)
    changes.approve_change(change.pk, reviewer)
    mailoutbox.clear()
    client.post(reverse("password_reset"), {"email": NEW["contact_email"]})
    assert [m.to for m in mailoutbox] == [[NEW["contact_email"]]]


def test_p7_review_page_says_approval_is_the_receipt(client, staff_a, reviewer):
    change = _file(staff_a.membership.provider, staff_a)
    page = (
        client_for(client, reviewer)
        .get(reverse("change_review_detail", args=[change.pk]))
        .content.decode()
    )
    assert "受領" in page and "前任の担当者のアカウント" in page


def test_p7_a_failure_during_the_handover_changes_nothing(staff_a, reviewer, monkeypatch):
    """The approval is all-or-nothing: a failure after the old contact
    stepped down leaves the old contact, no new account and the provider as
    it was (one_contact_per_provider holds)."""
    provider = staff_a.membership.provider
    before = provider.contact_email
    change = _file(provider, staff_a)

    def fail(*args):
        raise RuntimeError("メール送信の準備中の障害")

    monkeypatch.setattr(contact, "_invite", fail)
    with pytest.raises(RuntimeError):
        changes.approve_change(change.pk, reviewer)
    provider.refresh_from_db()
    assert provider.contact_email == before
    membership = Membership.objects.get(user=staff_a)
    assert membership.is_contact and membership.active
    assert not User.objects.filter(email=NEW["contact_email"]).exists()
    assert workflow.state_of(ChangeRequest.objects.get(pk=change.pk)).waiting_for_ipa
    _one_contact_at_most()
