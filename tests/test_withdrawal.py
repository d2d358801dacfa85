"""P8/P5 (M§11): the provider's notice of withdrawal (取止め) — provider
number, name and reason, filed through a confirmation page — and IPA's
acceptance: the provider becomes 取止め, its data stays read-only, its staff
still sign in and download, and its number is never issued again."""

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses import services as course_services
from portal import receipts, workflow
from portal import services as portal_services
from portal.models import GeneratedDocument, Notice
from providers import services
from providers.models import Provider, Withdrawal

from .factories import PASSWORD, ProviderFactory, UserFactory, registration_values

pytestmark = pytest.mark.django_db


def _axes_request():
    """django-axes checks every login against a request (issue 11)."""
    from django.test import RequestFactory

    return RequestFactory().post("/accounts/login/")


REASON = "免除対象講座の認定期間の終了後、新たな講座を申請しないため"
READ_ONLY = "申請・届出・報告はできません"


def _file(provider, user, reason=REASON):
    return services.file_withdrawal(provider, user, reason)


def test_p8_the_profile_links_to_the_request_and_the_form_confirms_before_filing(
    client, provider_a, staff_a, django_capture_on_commit_callbacks
):
    client.force_login(staff_a)
    profile = client.get(reverse("provider_profile")).content.decode()
    assert "認定講座開設者の取止め" in profile and reverse("withdrawal_request") in profile
    url = reverse("withdrawal_request")
    form = client.get(url).content.decode()
    # Number and name come from the record, shown read-only (not typed).
    identity = form[form.index('id="withdrawal-identity"') :]
    assert "<td>20001</td>" in identity and "<td>Ａ学園</td>" in identity
    assert 'name="provider_number"' not in form
    refused = client.post(url, {"step": "confirm"}).content.decode()
    assert "「取止めの理由」を入力してください。" in refused
    assert "確認しました」にチェックを付けてください" in refused
    # 確認画面: what will be sent; nothing is filed yet.
    typed = {"reason": REASON, "confirm_identity": "on"}
    confirm = client.post(url, {**typed, "step": "confirm"}).content.decode()
    assert "届け出る内容" in confirm and REASON in confirm and "20001" in confirm
    assert 'id="submit-withdrawal"' in confirm and "data-confirm=" in confirm
    assert not Withdrawal.objects.exists()
    # 修正する: the form again with what was typed.
    back = client.post(url, {**typed, "step": "back"}).content.decode()
    assert REASON in back and 'id="confirm-withdrawal"' in back
    # The posted number and name are ignored: the record's are filed.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {**typed, "provider_name": "別の学園", "step": "submit"})
    withdrawal = Withdrawal.objects.get()
    assert done.status_code == 302 and done.url == reverse(
        "withdrawal_detail", args=[withdrawal.pk]
    )
    assert (withdrawal.provider_number, withdrawal.provider_name) == ("20001", "Ａ学園")
    number = receipts.latest_number(withdrawal)
    assert number.startswith("Y")  # 到達番号 of a notice of withdrawal
    page = client.get(done.url).content.decode()
    assert number in page and "審査待ち" in page and "到達日時" in page
    sent = {m.to[0]: m for m in mail.outbox}
    assert number in sent[staff_a.email].subject and "20001" in sent[staff_a.email].subject
    assert REASON in sent[settings.IPA_NOTICE_EMAIL].body
    assert settings.SITE_URL + reverse("review_withdrawal_detail", args=[withdrawal.pk]) in (
        sent[settings.IPA_NOTICE_EMAIL].body
    )
    # The dashboard shows where it stands; the form now leads to it.
    home = client.get(reverse("home")).content.decode()
    assert "取止めの届出" in home and "審査待ち" in home
    assert client.get(url).url == done.url


def test_p8_a_reason_is_required(provider_a, staff_a):
    with pytest.raises(ValidationError) as refused:
        _file(provider_a, staff_a, "   ")
    assert refused.value.message_dict["reason"] == ["「取止めの理由」を入力してください。"]
    assert not Withdrawal.objects.exists()


def test_p8_only_one_open_notice_per_provider(client, provider_a, staff_a):
    first = _file(provider_a, staff_a)
    with pytest.raises(ValidationError, match="既に提出され") as refused:
        _file(provider_a, staff_a, "二度目")
    assert receipts.latest_number(first) in refused.value.messages[0]
    assert Withdrawal.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():  # also in the database
        Withdrawal.objects.create(
            provider=provider_a, provider_number="20001", provider_name="Ａ学園",
            reason="重複", submitted_by=staff_a,
        )  # fmt: skip
    # Taken back, it may be filed again.
    services.withdraw_withdrawal(first.pk, staff_a)
    assert workflow.state_of(Withdrawal.objects.get(pk=first.pk)).closed
    _file(provider_a, staff_a)
    assert Withdrawal.objects.count() == 2


def test_p8_the_provider_takes_its_notice_back_while_it_waits(
    client, provider_a, staff_a, staff_b, reviewer
):
    withdrawal = _file(provider_a, staff_a)
    client.force_login(staff_b)  # another provider sees nothing of it
    assert client.get(reverse("withdrawal_detail", args=[withdrawal.pk])).status_code == 404
    client.force_login(staff_a)
    page = client.get(reverse("withdrawal_detail", args=[withdrawal.pk])).content.decode()
    assert 'id="withdraw-withdrawal"' in page
    client.post(reverse("withdrawal_withdraw", args=[withdrawal.pk]))
    withdrawal.refresh_from_db()
    assert withdrawal.get_state_display() == "取下げ"
    with pytest.raises(workflow.TransitionError, match="既に処理されています"):
        services.accept_withdrawal(withdrawal.pk, reviewer)
    provider_a.refresh_from_db()
    assert provider_a.status == Provider.Status.ACTIVE and provider_a.withdrawn_on is None


def test_p8_only_a_reviewer_accepts(client, provider_a, staff_a, ipa_admin):
    withdrawal = _file(provider_a, staff_a)
    for user in (staff_a, ipa_admin):
        with pytest.raises(PermissionDenied):
            services.accept_withdrawal(withdrawal.pk, user)
    client.force_login(ipa_admin)
    accept = reverse("review_withdrawal_accept", args=[withdrawal.pk])
    assert client.post(accept).status_code == 403
    page = client.get(reverse("review_withdrawal_detail", args=[withdrawal.pk])).content.decode()
    assert 'id="accept-withdrawal"' not in page  # administrators read
    provider_a.refresh_from_db()
    assert provider_a.status == Provider.Status.ACTIVE


def test_p8_ipa_accepts_the_provider_is_withdrawn_reads_signs_in_and_downloads(
    client, provider_a, staff_a, reviewer, django_capture_on_commit_callbacks
):
    from .course_factories import certified_course

    course = certified_course(provider_a, staff_a, reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        doc = portal_services.request_document("shoshiki_1", provider_a, staff_a)
    withdrawal = _file(provider_a, staff_a)
    client.force_login(reviewer)
    queue = client.get(reverse("review_withdrawal_list")).content.decode()
    assert REASON[:20] in queue and receipts.latest_number(withdrawal) in queue
    detail = client.get(reverse("review_withdrawal_detail", args=[withdrawal.pk])).content.decode()
    assert 'id="accept-withdrawal"' in detail and "data-confirm=" in detail
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("review_withdrawal_accept", args=[withdrawal.pk]))
    assert response.status_code == 302
    today = datetime.date.today()
    provider_a.refresh_from_db()
    withdrawal.refresh_from_db()
    assert provider_a.status == Provider.Status.WITHDRAWN and provider_a.withdrawn_on == today
    assert withdrawal.withdrawn_on == today and withdrawal.decided_by == reviewer
    assert provider_a.history.first().status == Provider.Status.WITHDRAWN  # with its history
    # The contact is told (mail and in-app), with the 到達番号.
    told = [m for m in mail.outbox if m.to == [provider_a.contact_email]]
    assert len(told) == 1 and receipts.latest_number(withdrawal) in told[0].subject
    assert "取止めとなりました" in told[0].body and "今後使われません" in told[0].body
    assert Notice.objects.filter(recipient=staff_a, subject__contains="取止め").exists()
    # Every provider write is refused from now (require_active).
    with pytest.raises(ValidationError, match=READ_ONLY):
        course_services.create_course(
            provider_a, staff_a,
            {"course_type": "NONE_IPA", "name": "2026-2027年度講座B",
             "desired_month": datetime.date(2026, 10, 1), "total_hours": 100},
        )  # fmt: skip
    with pytest.raises(ValidationError, match=READ_ONLY):
        _file(provider_a, staff_a)
    # Staff still sign in, read their pages and download what was issued.
    client.logout()
    assert client.login(request=_axes_request(), username=staff_a.email, password=PASSWORD)
    home = client.get(reverse("home")).content.decode()
    assert f"取止め（{today.year}年{today.month}月{today.day}日）" in home
    assert course.name in client.get(reverse("course_detail", args=[course.pk])).content.decode()
    profile = client.get(reverse("provider_profile")).content.decode()
    assert "付で取止めとなりました" in profile and 'id="withdrawal-link"' not in profile
    download = client.get(reverse("document_download", args=[doc.pk]))
    assert download.status_code == 200 and download.content[:2] == b"PK"  # the xlsx
    certificate = client.get(reverse("certificate_download", args=[course.pk, 1]))
    assert certificate.status_code == 200
    # A document is still made on request from the record as it stands.
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(
            reverse("document_request", args=["shoshiki_1", provider_a.pk]), follow=True
        )
    assert again.status_code == 200 and READ_ONLY not in again.content.decode()
    made = GeneratedDocument.objects.filter(
        object_id=str(provider_a.pk), status=GeneratedDocument.Status.DONE
    )
    assert made.count() == 2
    # The certified course stays certified (nothing more is filed for it).
    course.refresh_from_db()
    assert workflow.state_of(course).in_force


def test_p5_p8_a_withdrawn_providers_number_is_never_issued_again(reviewer):
    def register(name, email):
        values = registration_values(name=name, contact_email=email)
        registration, _token = services.submit_registration(values, PASSWORD)
        return services.accept_registration(registration.pk, reviewer)

    first = register("取止め学園", "first@example.jp")
    contact = first.memberships.get().user
    services.accept_withdrawal(_file(first, contact).pk, reviewer)
    # The same school registers again (a withdrawal is no revocation): a new number.
    again = register("取止め学園", "again@example.jp")
    other = register("別の学園", "other@example.jp")
    assert int(first.number) < int(again.number) < int(other.number)
    assert len({first.number, again.number, other.number}) == 3
    first.refresh_from_db()
    assert first.number == Provider.objects.get(pk=first.pk).number  # kept on the record


def test_p8_ipa_list_of_notices_is_paginated_with_constant_queries(client, reviewer):
    def add(n, start):
        for i in range(start, start + n):
            provider = ProviderFactory(name=f"取止め学園{i:03d}", number=f"{30000 + i:05d}")
            user = UserFactory(email=f"w{i}@example.jp")
            provider.memberships.create(user=user, is_contact=True)
            _file(provider, user, f"理由{i:03d}")

    def fetch(url):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries), response.content.decode()

    client.force_login(reviewer)
    url = reverse("review_withdrawal_list")
    add(3, 0)
    small, html = fetch(url)
    assert "理由000" in html and '審査待ち <span class="count">3</span>' in html
    add(52, 3)
    large, html = fetch(url)
    assert large <= small, (small, large)
    assert html.count("<tr>") == 1 + 50 and "1 / 2" in html  # header + 50 rows
    assert "理由054" in fetch(url + "?page=2")[1]
