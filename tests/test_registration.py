"""Provider registration (申請書式1): P1–P6, W1."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEntry, User
from providers import services
from providers.models import Membership, Provider, ProviderNumberCounter, Registration

from .factories import (
    PASSWORD,
    ProviderFactory,
    registration_values,
    signup_and_confirm,
    signup_post_data,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _commit(django_capture_on_commit_callbacks):
    """Mail goes out on commit; run those callbacks as a real commit would."""
    global commit
    commit = lambda: django_capture_on_commit_callbacks(execute=True)  # noqa: E731
    yield


def _signup(client, **overrides):
    """Sign-up and its e-mail confirmation (issue 11)."""
    return signup_and_confirm(client, signup_post_data(**overrides))


def _status_token():
    body = mail.outbox[0].body
    return re.search(r"/register/status/([^/\s]+)/", body).group(1)


def test_p1_signup_creates_submitted_registration_in_reviewer_queue(client, reviewer):
    response = _signup(client)
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert registration.state == Registration.State.SUBMITTED
    assert registration.name == "IPA大学"
    assert registration.representative_name == "情報\u3000太郎"
    applicant = registration.applicant
    assert applicant.email == "hanako@ipa-daigaku.example.jp"
    assert not applicant.is_active  # P4: active only once IPA accepts
    # The applicant and IPA are told.
    assert {tuple(m.to) for m in mail.outbox} == {
        ("hanako@ipa-daigaku.example.jp",),
        ("jitec-kouza@example.jp",),
    }
    client.force_login(reviewer)
    queue = client.get(reverse("review_queue"))
    assert "IPA大学" in queue.content.decode()


def test_p1_signup_done_page_links_to_status_page(client):
    response = _signup(client)
    done = client.get(response["Location"])
    assert "申請状況を確認する" in done.content.decode()
    token = _status_token()
    status = client.get(reverse("registration_status", args=[token]))
    assert "審査待ち" in status.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "label", "fragment"),
    [
        ("representative_name", "情報太郎", "代表者名", "全角スペース"),  # P2
        (
            "representative_name",
            "髙橋\u3000太郎",
            "代表者名",
            "「髙」は「高」",
        ),  # R3, with the JIS one
        ("name_kana", "あいぴーえー", "申請者名（カナ）", "あ"),  # P3
        ("name_kana", "ｱｲﾋﾟｰｴｰ", "申請者名（カナ）", "半角カタカナ"),  # P3
        ("contact_family_name", "Smith", "担当者氏名（姓）", "S"),
        ("postal_code", "1234", "申請者の住所（郵便番号）", "123-4567"),
        ("contact_tel", "abc", "担当者のTEL", "担当者のTEL"),
        ("contact_email", "not-an-address", "担当者の電子メール", "メールアドレスの形式"),
        ("prefecture", "", "申請者の住所（都道府県）", "選択してください"),
        ("category", "", "該当する区分", "選択してください"),
        ("declaration", None, "欠格事由", "チェック"),  # P6
        ("password2", "Different-Pass-2026", "パスワード（確認）", "一致しません"),
        ("password1", "password1234", "パスワード", "パスワード"),
    ],
)
def test_p1_bad_input_names_the_field_and_saves_nothing(client, field, value, label, fragment):
    overrides = {field: value}
    if field == "password1":
        overrides["password2"] = value
    response = _signup(client, **overrides)
    assert response.status_code == 200
    html = response.content.decode()
    assert "入力内容に誤りがあります" in html
    summary = html.split('class="error-summary"')[1].split("</div>")[0]
    assert label in summary
    assert fragment in summary
    assert Registration.objects.count() == 0
    assert User.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.parametrize("typed", ["情報 太郎", "情報  太郎", " 情報\u3000 太郎 ", "情報\t太郎"])
def test_p2_a_half_width_space_in_the_representative_name_becomes_the_full_width_one(client, typed):
    response = _signup(client, representative_name=typed)
    assert response.status_code == 302
    assert Registration.objects.get().representative_name == "情報\u3000太郎"


def test_p2_every_full_name_field_gets_its_full_width_space():
    """The rule is the forms' (JapaneseErrorsMixin): any field checked as
    「姓　名」 (the exam's problem recipient, the course manager...)."""
    from courses.forms import CourseForm
    from exams.forms import ExamSiteForm

    site = ExamSiteForm(data={"recipient_name": "山田 一郎", "manager": "情報 太郎 教務部"})
    assert site.data["recipient_name"] == "山田\u3000一郎"
    assert site.data["manager"] == "情報 太郎 教務部"  # free text stays as typed
    course = CourseForm(data={"course_manager": "情報  次郎"})
    assert course.data["course_manager"] == "情報\u3000次郎"


def test_p1_short_and_common_passwords_are_refused(client):
    for weak in ("Short-1", "password123456"):
        response = _signup(client, password1=weak, password2=weak)
        assert response.status_code == 200
    assert User.objects.count() == 0


def test_p1_dm_referral_requires_year_and_month(client):
    response = _signup(client, referral="ipa_dm")
    assert "DMを受け取った年と月" in response.content.decode()
    assert Registration.objects.count() == 0
    response = _signup(client, referral="ipa_dm", referral_dm_year="2026", referral_dm_month="5")
    assert response.status_code == 302
    assert Registration.objects.get().referral_dm_month == 5


def test_p1_full_width_postal_code_and_phone_are_normalised(client):
    response = _signup(client, postal_code="１１３８６６３", contact_tel="０３－１２３４－５６７８")
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert registration.postal_code == "113-8663"
    assert registration.contact_tel == "03-1234-5678"


def test_p1_duplicate_email_is_refused_with_field_message(client):
    User.objects.create_user(email="hanako@ipa-daigaku.example.jp", password=PASSWORD)
    response = _signup(client)
    assert "この電子メールアドレスは既に登録されています" in response.content.decode()
    assert Registration.objects.count() == 0


def _submitted(client):
    _signup(client)
    return Registration.objects.get(), _status_token()


def test_w1_return_shows_reason_and_applicant_fixes_and_resubmits(client, reviewer):
    registration, token = _submitted(client)
    mail.outbox.clear()
    client.force_login(reviewer)
    with commit():
        response = client.post(
            reverse("review_return", args=[registration.pk]),
            {"reason": "部署名を正式名称にしてください。", "fields": ["contact_department"]},
        )
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.state == Registration.State.RETURNED
    assert "部署名を正式名称にしてください" in mail.outbox[0].body
    client.logout()

    page = client.get(reverse("registration_status", args=[token])).content.decode()
    assert "部署名を正式名称にしてください。" in page
    assert 'id="field-contact_department"' in page
    assert "IPAから修正を求められた項目です" in page

    data = signup_post_data(contact_department="教務部 免除講座課")
    response = client.post(reverse("registration_status", args=[token]), data)
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.state == Registration.State.SUBMITTED
    assert registration.submission_count == 2
    assert registration.contact_department == "教務部 免除講座課"

    # The reviewer sees what the applicant changed (W1).
    client.force_login(reviewer)
    detail = client.get(reverse("review_detail", args=[registration.pk])).content.decode()
    assert "前回の差し戻し後に申請者が変更した項目" in detail
    assert "教務部講座課" in detail and "教務部 免除講座課" in detail


def test_w1_submitted_registration_is_read_only_for_applicant(client):
    registration, token = _submitted(client)
    response = client.post(
        reverse("registration_status", args=[token]),
        signup_post_data(contact_department="書き換え"),
    )
    assert response.status_code == 200
    registration.refresh_from_db()
    assert registration.contact_department == "教務部講座課"
    assert "確認中は内容を変更できません" in response.content.decode()


def test_w1_bad_resubmission_saves_nothing(client, reviewer):
    registration, token = _submitted(client)
    services.return_registration(registration.pk, reviewer, "修正してください", [])
    response = client.post(
        reverse("registration_status", args=[token]),
        signup_post_data(contact_department="正しい部署", representative_name="情報太郎"),
    )
    assert response.status_code == 200
    assert "「代表者名」" in response.content.decode()
    registration.refresh_from_db()
    assert registration.state == Registration.State.RETURNED
    assert registration.contact_department == "教務部講座課"


def test_return_requires_a_reason(client, reviewer):
    registration, _ = _submitted(client)
    client.force_login(reviewer)
    response = client.post(reverse("review_return", args=[registration.pk]), {"reason": ""})
    assert response.status_code == 400
    assert "「差し戻し理由」を入力してください。" in response.content.decode()
    registration.refresh_from_db()
    assert registration.state == Registration.State.SUBMITTED


def test_p5_accept_assigns_next_number_activates_contact_and_mails(client, reviewer):
    registration, _ = _submitted(client)
    mail.outbox.clear()
    client.force_login(reviewer)
    with commit():
        response = client.post(reverse("review_accept", args=[registration.pk]), follow=True)
    assert "講座開設者番号 10001 を付与しました" in response.content.decode()
    provider = Provider.objects.get()
    assert provider.number == "10001"
    assert provider.name == "IPA大学"
    applicant = User.objects.get(email="hanako@ipa-daigaku.example.jp")
    assert applicant.is_active
    membership = Membership.objects.get(user=applicant)
    assert membership.provider == provider and membership.is_contact  # P4
    assert "講座開設者番号：10001" in mail.outbox[0].body
    # The contact can now log in with the password chosen at sign-up.
    client.logout()
    login = client.post(
        reverse("login"), {"username": "hanako@ipa-daigaku.example.jp", "password": PASSWORD}
    )
    assert login.status_code == 302
    dashboard = client.get(reverse("home")).content.decode()
    assert "講座開設者番号 10001" in dashboard


def test_p5_numbers_are_never_reused_and_skip_taken_ones(reviewer):
    ProviderFactory(number="10002")  # taken by hand, e.g. a migrated provider
    numbers = []
    for i in range(3):
        user = User.objects.create_user(
            email=f"p{i}@example.jp", password=PASSWORD, is_active=False
        )
        values = {
            k: v
            for k, v in ProviderFactory.build().__dict__.items()
            if k in Registration.FORM_FIELDS
        }
        values["contact_email"] = user.email
        reg = Registration.objects.create(**values, applicant=user, access_token_hash=f"h{i}")
        numbers.append(services.accept_registration(reg.pk, reviewer).number)
    assert numbers == ["10001", "10003", "10004"]
    # A withdrawn provider keeps its number and it is not issued again.
    Provider.objects.filter(number="10004").update(status=Provider.Status.WITHDRAWN)
    user = User.objects.create_user(email="p9@example.jp", password=PASSWORD, is_active=False)
    reg = Registration.objects.create(
        **registration_values(contact_email=user.email), applicant=user, access_token_hash="h9"
    )
    assert services.accept_registration(reg.pk, reviewer).number == "10005"
    assert ProviderNumberCounter.objects.get().last_issued == 10005


def test_accepting_twice_is_refused(client, reviewer):
    registration, _ = _submitted(client)
    services.accept_registration(registration.pk, reviewer)
    with pytest.raises(services.RegistrationStateError):
        services.accept_registration(registration.pk, reviewer)
    assert Provider.objects.count() == 1
    assert AuditEntry.objects.filter(action="registration.accept").count() == 1


def test_p6_provider_revoked_less_than_two_years_ago_cannot_register(client):
    today = datetime.date.today()
    ProviderFactory(
        name="IPA大学", revoked_on=today - datetime.timedelta(days=300), status="revoked"
    )
    response = _signup(client)
    assert response.status_code == 200
    assert "認定取消しから2年を経過していない" in response.content.decode()
    assert Registration.objects.count() == 0


def test_p6_rule_two_year_bar_boundaries():
    from providers.rules import revocation_bars_registration

    revoked = datetime.date(2024, 2, 29)
    assert revocation_bars_registration(revoked, datetime.date(2026, 2, 27))
    assert not revocation_bars_registration(revoked, datetime.date(2026, 2, 28))
    assert not revocation_bars_registration(None, datetime.date(2026, 2, 28))


def test_registration_status_with_unknown_token_is_404(client):
    assert client.get(reverse("registration_status", args=["nope"])).status_code == 404


def test_p1_p6_services_refuse_missing_declaration_and_dm_month_without_any_form():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as no_declaration:
        services.submit_registration(registration_values(declaration=False), PASSWORD)
    assert "declaration" in no_declaration.value.message_dict
    with pytest.raises(ValidationError) as no_month:
        services.submit_registration(
            registration_values(referral="ipa_dm", referral_dm_year=2026), PASSWORD
        )
    assert "DMを受け取った年と月" in no_month.value.message_dict["referral_dm_year"][0]
    assert Registration.objects.count() == 0
    assert User.objects.count() == 0


def test_status_link_cannot_move_the_login_email(client, reviewer):
    registration, token = _submitted(client)
    services.return_registration(registration.pk, reviewer, "修正してください", [])
    page = client.get(reverse("registration_status", args=[token])).content.decode()
    assert "ログインIDのため、ここでは変更できません" in page
    client.post(
        reverse("registration_status", args=[token]),
        signup_post_data(contact_email="attacker@example.jp", contact_department="変更"),
    )
    registration.refresh_from_db()
    assert registration.contact_email == "hanako@ipa-daigaku.example.jp"
    assert registration.applicant.email == "hanako@ipa-daigaku.example.jp"
    services.return_registration(registration.pk, reviewer, "もう一度修正してください", [])
    with pytest.raises(Exception, match="再提出では変更できません"):
        services.resubmit_registration(
            registration.pk, registration_values(contact_email="attacker@example.jp")
        )


def test_status_page_hides_personal_data_once_accepted(client, reviewer):
    registration, token = _submitted(client)
    services.accept_registration(registration.pk, reviewer)
    page = client.get(reverse("registration_status", args=[token])).content.decode()
    assert "受理されました" in page
    assert "03-1234-5678" not in page
    assert "横浜市中区本町" not in page


def test_admin_cannot_accept_through_the_service(client, ipa_admin):
    from django.core.exceptions import PermissionDenied

    registration, _ = _submitted(client)
    with pytest.raises(PermissionDenied):
        services.accept_registration(registration.pk, ipa_admin)
    assert Provider.objects.count() == 0


def test_p6_reviewer_withdraws_registration_and_applicant_may_sign_up_again(client, reviewer):
    registration, token = _submitted(client)
    client.force_login(reviewer)
    with commit():
        client.post(
            reverse("review_withdraw", args=[registration.pk]),
            {"reason": "欠格事由(3)に該当するため受理できません。"},
        )
    registration.refresh_from_db()
    assert registration.state == Registration.State.WITHDRAWN
    assert "欠格事由(3)" in mail.outbox[-1].body
    assert AuditEntry.objects.filter(action="registration.withdraw").count() == 1
    client.logout()
    page = client.get(reverse("registration_status", args=[token])).content.decode()
    assert "取下げとして処理されました" in page
    # The same address may sign up again later; the old account is reused.
    assert _signup(client).status_code == 302
    assert User.objects.filter(email="hanako@ipa-daigaku.example.jp").count() == 1
    assert Registration.objects.filter(state="submitted").count() == 1


def test_withdraw_requires_a_reason(client, reviewer):
    registration, _ = _submitted(client)
    client.force_login(reviewer)
    response = client.post(
        reverse("review_withdraw", args=[registration.pk]), {"reason": ""}, follow=True
    )
    assert "「取下げの理由」を入力してください。" in response.content.decode()
    registration.refresh_from_db()
    assert registration.state == Registration.State.SUBMITTED


# 到達番号 (receipts) ------------------------------------------------------------

RECEIPT_AT = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日（[月火水木金土日]）\d{2}:\d{2}:\d{2}")


def test_newcomer_receipt_registration_number_on_pages_and_in_every_mail(client, reviewer):
    from portal import receipts
    from portal.models import Receipt

    _signup(client)
    registration = Registration.objects.get()
    receipt = Receipt.objects.get()
    year = receipts.fiscal_year(timezone.localtime(receipt.submitted_at).date())
    assert receipt.number == f"T{year}-000001"
    assert receipt.target == registration
    # The completion page: the number, the time to the second, what IPA does next.
    done = client.get(reverse("registration_signup_done")).content.decode()
    assert receipt.number in done and receipt.submitted_at_display in done
    assert RECEIPT_AT.search(done)
    assert "今後の流れ" in done
    assert f"受付番号：<strong>{registration.pk}</strong>" not in done
    # Both mails name the filing by its number, not by the database id.
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert f"到達番号 {receipt.number}" in message.subject
    assert receipt.submitted_at_display in mail.outbox[0].body

    # A resubmission is a new submission with its own number; the status page
    # shows the latest and lists both.
    token = _status_token()
    services.return_registration(registration.pk, reviewer, "部署名を直してください。", [])
    mail.outbox.clear()
    with commit():
        client.post(reverse("registration_status", args=[token]), signup_post_data())
    second = Receipt.objects.order_by("-id").first()
    assert second.number == f"T{year}-000002"
    status = client.get(reverse("registration_status", args=[token])).content.decode()
    assert f"<dt>到達番号</dt><dd>{second.number}</dd>" in status
    assert "提出の履歴（2回）" in status and receipt.number in status
    assert all(second.number in m.subject for m in mail.outbox)  # 到達通知 and IPA's notice
    # IPA's queue lists the number instead of a bare id.
    client.force_login(reviewer)
    queue = client.get(reverse("review_queue")).content.decode()
    assert second.number in queue
    with commit():
        services.accept_registration(registration.pk, reviewer)
    assert second.number in mail.outbox[-1].body


def test_newcomer_receipt_title_names_the_registration_without_its_database_id(client):
    from portal.models import Receipt

    _signup(client)
    registration = Registration.objects.get()
    title = Receipt.objects.get().title
    assert registration.name in title
    assert "#" not in title and str(registration.pk) not in title
    done = client.get(reverse("registration_signup_done")).content.decode()
    assert f"登録申請 #{registration.pk}" not in done
