"""C11/P6 (M§2.4 (3), M§2.5, figure 5.2-4): an IPA administrator revokes the
certification of one course with its date and reason; the course pages show
them, the provider's contact and IPA are told, and for 2 years from that day
the provider files no new course, none is certified, and no one registers
again under its name."""

import datetime
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from courses import services as course_services
from courses.models import ExemptionCourse
from fees import services as fee_services
from portal import audit, workflow
from portal.models import Notice
from providers import services as provider_services
from providers.models import Registration

from .course_factories import FILED_ON, certified_course, complete_course
from .factories import PASSWORD, registration_values

pytestmark = pytest.mark.django_db

REVOKED_ON = datetime.date(2024, 11, 1)
BAR_ENDS = "2026年11月1日"  # 2 years after REVOKED_ON: the first day allowed again
REASON = "修了認定を行った日から2週間以内に報告をしなかったため（マニュアル2.5(4)）"
BARRED = "2年を経過していない"


def _on(day):
    return mock.patch("django.utils.timezone.localdate", return_value=day)


@pytest.fixture
def course(provider_a, staff_a, reviewer):
    return certified_course(provider_a, staff_a, reviewer)


def _revoke(course, admin, on=REVOKED_ON, reason=REASON):
    with _on(on):
        return course_services.revoke_course(course.pk, admin, on, reason)


def test_c11_an_administrator_revokes_a_course_and_the_contact_and_ipa_are_told(
    course, ipa_admin, provider_a, staff_a, reviewer, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    Notice.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        _revoke(course, ipa_admin)
    course.refresh_from_db()
    assert workflow.state_of(course).closed and course.get_state_display() == "認定取消し"
    assert course.revoked_on == REVOKED_ON and course.revocation_reason == REASON
    entry = audit.entries_for(course).get(action="course.revoke")
    assert entry.actor == ipa_admin and entry.note == REASON
    assert "の認定を取り消しました（認定済み → 認定取消し）" in audit.sentence(entry)
    sent = {m.to[0]: m for m in mail.outbox}
    to_provider = sent[provider_a.contact_email]
    assert "認定を取り消しました" in to_provider.subject and course.number in to_provider.subject
    for text in (course.number, course.name, "2024年11月1日", REASON, BAR_ENDS, "公表"):
        assert text in to_provider.body, text
    assert "2年間は、新たな免除対象講座の認定を一切受けられません" in to_provider.body
    to_ipa = sent[settings.IPA_NOTICE_EMAIL]  # IPA's copy
    assert REASON in to_ipa.body and ipa_admin.email in to_ipa.body
    assert set(sent) == {provider_a.contact_email, settings.IPA_NOTICE_EMAIL}
    notice = Notice.objects.get(recipient=staff_a)  # the contact, in the app
    assert "認定を取り消しました" in notice.subject
    assert notice.url == reverse("course_detail", args=[course.pk])
    assert Notice.objects.filter(recipient=reviewer).exists()


def test_c11_a_reviewer_or_the_provider_cannot_revoke(client, course, reviewer, staff_a):
    for user in (reviewer, staff_a):
        with pytest.raises(PermissionDenied):
            _revoke(course, user)
    client.force_login(reviewer)
    data = {"on": "2024-11-01", "reason": REASON, "confirm": "on"}
    assert client.post(reverse("review_course_revoke", args=[course.pk]), data).status_code == 403
    assert (
        "revoke-course"
        not in client.get(reverse("review_course_detail", args=[course.pk])).content.decode()
    )
    course.refresh_from_db()
    assert workflow.state_of(course).in_force and course.revoked_on is None


@pytest.mark.parametrize(
    ("on", "reason", "field", "message"),
    [
        (REVOKED_ON, "  ", "reason", "「認定取消理由」を入力してください。"),
        (None, REASON, "on", "「認定取消日」を入力してください。"),
        (datetime.date(2024, 11, 2), REASON, "on", "「認定取消日」に将来の日付は指定できません。"),
        (datetime.date(2024, 9, 30), REASON, "on", "認定日（2024年10月1日）以降の日付"),
    ],
)
def test_c11_revocation_needs_a_date_and_a_reason(course, ipa_admin, on, reason, field, message):
    with _on(REVOKED_ON), pytest.raises(ValidationError) as refused:
        course_services.revoke_course(course.pk, ipa_admin, on, reason)
    assert message in " ".join(refused.value.message_dict[field])
    course.refresh_from_db()
    assert workflow.state_of(course).in_force
    assert course.revoked_on is None and course.revocation_reason == ""
    assert not audit.entries_for(course).filter(action="course.revoke").exists()


def test_c11_only_a_certified_course_is_revoked(provider_a, staff_a, reviewer, ipa_admin):
    approved = complete_course(provider_a, staff_a)
    with _on(FILED_ON):
        course_services.submit_course(approved.pk, staff_a)
    with pytest.raises(workflow.TransitionError, match="認定済みの講座だけを取り消せます"):
        _revoke(approved, ipa_admin)
    approved.refresh_from_db()
    assert approved.revoked_on is None


def test_c11_the_administrator_revokes_on_the_review_page_after_confirming(
    client, course, ipa_admin
):
    client.force_login(ipa_admin)
    url = reverse("review_course_detail", args=[course.pk])
    with _on(REVOKED_ON):
        page = client.get(url).content.decode()
        assert 'id="revoke-course"' in page and "data-confirm=" in page
        assert f"免除対象講座 {course.number} {course.name} の認定を取り消します" in page
        assert "2年間" in page
        # Without the confirmation: the form again, with what was typed.
        typed = {"on": "2024-11-01", "reason": REASON}
        refused = client.post(reverse("review_course_revoke", args=[course.pk]), typed)
        assert refused.status_code == 200
        html = refused.content.decode()
        assert "にチェックを付けてください" in html and REASON in html
        course.refresh_from_db()
        assert course.revoked_on is None
        done = client.post(
            reverse("review_course_revoke", args=[course.pk]), {**typed, "confirm": "on"}
        )
        assert done.status_code == 302
        page = client.get(url).content.decode()
    course.refresh_from_db()
    assert course.revoked_on == REVOKED_ON
    assert 'id="revoke-course"' not in page  # nothing left to revoke
    # C11 審査状況 (figure 5.2-4): the revocation date and reason.
    assert "<dt>認定取消日</dt><dd>2024年11月1日" in page and REASON in page


def test_c11_the_providers_course_page_shows_the_revocation(client, course, ipa_admin, staff_a):
    client.force_login(staff_a)
    url = reverse("course_detail", args=[course.pk])
    assert 'id="revocation"' not in client.get(url).content.decode()
    _revoke(course, ipa_admin)
    html = client.get(url).content.decode()
    assert 'id="revocation"' in html and "認定取消し" in html
    assert "2024年11月1日" in html and REASON in html and BAR_ENDS in html
    # The 認定証 stays as issued and can still be downloaded (M§2.5).
    download = client.get(reverse("certificate_download", args=[course.pk, 1]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"


def test_c11_only_that_course_is_revoked_the_provider_stays_active(course, ipa_admin, provider_a):
    _revoke(course, ipa_admin)
    provider_a.refresh_from_db()
    assert provider_a.get_status_display() == "認定講座開設者"
    assert provider_services.write_problem(provider_a) is None  # it still reads and files
    assert provider_services.revocation_dates(provider_a) == [REVOKED_ON]


def test_p6_a_revoked_course_bars_new_courses_and_certifications_for_two_years(
    client, course, ipa_admin, provider_a, staff_a, reviewer
):
    # Approved before the revocation, to be certified on the 1st.
    approved = complete_course(provider_a, staff_a)
    with _on(FILED_ON):
        course_services.submit_course(approved.pk, staff_a)
        request = fee_services.create_payment_request(
            provider_a, staff_a, [approved.fee_lines.get().pk],
            {"payment_date": FILED_ON, "bank": "銀行", "payer_name_kana": f"{provider_a.number}エー"},
        )  # fmt: skip
        fee_services.confirm_payment(request.pk, reviewer, FILED_ON)
        course_services.start_review(approved.pk, reviewer)
        course_services.approve_course(approved.pk, reviewer)
    draft = complete_course(provider_a, staff_a, with_delivery=False)
    _revoke(course, ipa_admin)
    # No certification within 2 years, the end date named.
    with pytest.raises(ValidationError, match=BARRED) as refused:
        course_services.certify_course(approved.pk, reviewer, datetime.date(2024, 12, 1))
    assert f"{BAR_ENDS}以降" in refused.value.messages[0]
    assert course_services.certify_due_courses(datetime.date(2024, 12, 1)) == []
    approved.refresh_from_db()
    assert approved.certified_on is None
    # No new course submission either.
    with _on(datetime.date(2025, 1, 15)), pytest.raises(ValidationError, match=BARRED) as refused:
        course_services.submit_course(draft.pk, staff_a)
    assert f"{BAR_ENDS}以降" in refused.value.messages[0]
    draft.refresh_from_db()
    assert workflow.is_editable_by_provider(draft) and not draft.fee_lines.exists()
    client.force_login(staff_a)
    with _on(datetime.date(2025, 1, 15)):
        html = client.get(reverse("home")).content.decode()
    assert 'id="provider-status-banner"' in html and f"{BAR_ENDS}以降" in html
    assert (
        f"{draft.number} は作成中です。入力を終えて申請してください" not in html
    )  # no step to a refusal
    # The day before the end the bar holds; from the end date it is lifted.
    with pytest.raises(ValidationError, match=BARRED):
        provider_services.require_not_barred(provider_a, datetime.date(2026, 10, 31))
    provider_services.require_not_barred(provider_a, datetime.date(2026, 11, 1))
    with _on(datetime.date(2026, 11, 1)), pytest.raises(ValidationError) as other:
        course_services.submit_course(draft.pk, staff_a)  # refused, but for its content only
    assert not any(BARRED in m for m in other.value.messages)


def test_p6_no_registration_under_the_name_of_a_provider_with_a_revoked_course(
    client, course, ipa_admin, reviewer
):
    _revoke(course, ipa_admin)
    # The same name, written with half-width letters and a space.
    values = registration_values(name="A 学園", contact_email="again@a.example.jp")
    with _on(datetime.date(2025, 6, 1)), pytest.raises(ValidationError) as refused:
        provider_services.submit_registration(values, PASSWORD)
    assert BARRED in refused.value.message_dict["name"][0]
    assert f"{BAR_ENDS}以降に申請できます" in refused.value.message_dict["name"][0]
    assert not Registration.objects.exists()
    # Two years after the revocation the same name registers again.
    with _on(datetime.date(2026, 11, 1)):
        registration, _token = provider_services.submit_registration(values, PASSWORD)
        provider = provider_services.accept_registration(registration.pk, reviewer)
    assert provider.name == "A 学園"


def test_p6_a_registration_filed_before_the_revocation_is_not_accepted_within_the_bar(
    course, ipa_admin, reviewer
):
    with _on(datetime.date(2024, 10, 20)):
        registration, _token = provider_services.submit_registration(
            registration_values(name="Ａ学園", contact_email="again@a.example.jp"), PASSWORD
        )
    _revoke(course, ipa_admin)
    with _on(datetime.date(2024, 11, 5)), pytest.raises(ValidationError, match=BARRED):
        provider_services.accept_registration(registration.pk, reviewer)
    assert Registration.objects.get(pk=registration.pk).provider is None


def test_c11_revoked_course_takes_no_more_delivery_course_approvals(
    course, ipa_admin, reviewer, staff_a
):
    """A delivery course added to the course and waiting for IPA is not
    approved once the certification is revoked."""
    from courses.models import DeliveryCourse

    delivery = course.delivery_courses.get()
    waiting = DeliveryCourse.objects.get(pk=delivery.pk)
    waiting.pk, waiting.serial = None, 2
    waiting.save()
    DeliveryCourse.objects.filter(pk=waiting.pk).update(state=ExemptionCourse.S.SUBMITTED)
    _revoke(course, ipa_admin)
    with pytest.raises(workflow.TransitionError, match="実施講座を承認できません"):
        course_services.review_delivery_course(waiting.pk, reviewer, approve=True)
    waiting.refresh_from_db()
    assert workflow.state_of(waiting).waiting_for_ipa
