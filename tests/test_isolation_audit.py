"""The isolation helper and the audit log."""

import datetime

import pytest
from django.http import Http404

from portal import audit
from portal.isolation import get_for_user_or_404, scope
from portal.models import AuditEntry
from providers import services
from providers.models import Membership, Provider, Registration

from .conftest import client_for
from .factories import PASSWORD, registration_values

pytestmark = pytest.mark.django_db


def test_scope_gives_provider_staff_only_their_own_rows(
    provider_a, provider_b, staff_a, reviewer, outsider
):
    memberships = Membership.objects.all()
    assert {m.provider_id for m in scope(memberships, staff_a)} == {provider_a.pk}
    assert set(scope(Provider.objects.all(), staff_a, "pk")) == {provider_a}
    assert set(scope(Provider.objects.all(), reviewer, "pk")) == {provider_a, provider_b}
    assert not scope(Provider.objects.all(), outsider, "pk").exists()


def test_get_for_user_or_404_treats_foreign_and_missing_alike(provider_a, provider_b, staff_a):
    assert get_for_user_or_404(Provider, staff_a, "pk", pk=provider_a.pk) == provider_a
    with pytest.raises(Http404):
        get_for_user_or_404(Provider, staff_a, "pk", pk=provider_b.pk)
    with pytest.raises(Http404):
        get_for_user_or_404(Provider, staff_a, "pk", pk=987654)


def test_inactive_membership_sees_nothing(provider_a, staff_a):
    Membership.objects.filter(user=staff_a).update(active=False)
    staff_a.refresh_from_db()
    assert not scope(Provider.objects.all(), staff_a, "pk").exists()


def _submit():
    return services.submit_registration(
        registration_values(contact_email="audit@example.jp"), PASSWORD
    )[0]


def test_every_state_change_writes_one_audit_entry_with_actor_and_changes(reviewer):
    token = audit.set_client_ip("192.0.2.10")
    try:
        registration = _submit()
        services.return_registration(
            registration.pk, reviewer, "郵便番号を確認してください。", ["postal_code"]
        )
        values = {name: getattr(registration, name) for name in Registration.FORM_FIELDS}
        values.pop("application_date")
        values["postal_code"] = "100-0001"
        services.resubmit_registration(registration.pk, values)
        provider = services.accept_registration(registration.pk, reviewer)
    finally:
        audit.reset_client_ip(token)
    actions = list(
        audit.entries_for(registration).order_by("at", "id").values_list("action", flat=True)
    )
    assert actions == [
        "registration.submit",
        "registration.return",
        "registration.resubmit",
        "registration.accept",
    ]
    resubmit = AuditEntry.objects.get(action="registration.resubmit")
    assert resubmit.changes["postal_code"] == ["113-8663", "100-0001"]
    assert resubmit.ip == "192.0.2.10"
    accept = AuditEntry.objects.get(action="registration.accept")
    assert accept.actor == reviewer
    assert accept.changes["provider_number"] == [None, provider.number]
    assert AuditEntry.objects.filter(action="provider.create", object_id=str(provider.pk)).exists()


def test_history_keeps_every_version_of_provider_editable_models(reviewer):
    registration = _submit()
    services.return_registration(registration.pk, reviewer, "修正してください。", [])
    values = {name: getattr(registration, name) for name in Registration.FORM_FIELDS}
    values.pop("application_date")
    values["contact_department"] = "新しい部署"
    services.resubmit_registration(registration.pk, values)
    departments = list(
        registration.history.order_by("history_date").values_list("contact_department", flat=True)
    )
    assert departments[0] == "教務部講座課"
    assert departments[-1] == "新しい部署"


def test_reviewer_sees_audit_trail_on_registration_page(client, reviewer):
    registration = _submit()
    client.force_login(reviewer)
    page = client.get(f"/review/registrations/{registration.pk}/").content.decode()
    assert "操作履歴（監査ログ）" in page
    assert "を提出しました" in page and "registration.submit" not in page


def test_admin_reads_registration_audit_trail_but_cannot_decide(client, ipa_admin):
    registration = _submit()
    client.force_login(ipa_admin)
    page = client.get(f"/review/registrations/{registration.pk}/").content.decode()
    assert "を提出しました" in page and "registration.submit" not in page
    assert "accept-button" not in page
    response = client.post(f"/review/registrations/{registration.pk}/accept/")
    assert response.status_code == 403
    registration.refresh_from_db()
    assert registration.state == Registration.State.SUBMITTED


def test_audit_labels_use_field_names_and_survive_relations():
    from courses.models import ExemptionCourse

    rows = audit.labelled_changes(
        ExemptionCourse, {"name": ["a", "b"], "materials": [[], ["x"]], "unknown": [1, 2]}
    )
    assert rows == [
        ("免除対象講座の名称", "a", "b"),
        ("使用する教材", "（なし）", "x"),
        ("unknown", 1, 2),
    ]


def test_p1_provider_pages_list_only_the_own_provider_also_for_a_reviewer_member(
    client, provider_a, provider_b, staff_a, reviewer
):
    """A reviewer who is also a member of provider A sees, on A's own pages
    (courses, fees), A's rows only — never provider B's."""
    from django.urls import reverse

    from courses.models import ExemptionCourse
    from providers.models import Membership

    Membership.objects.create(user=reviewer, provider=provider_b, is_contact=False)
    ExemptionCourse.objects.create(
        provider=provider_a, serial=7, course_type="NONE_IPA", name="A学院の講座",
        desired_month=datetime.date(2027, 4, 1), total_hours=100,
    )  # fmt: skip
    reviewer.refresh_from_db()
    html = client_for(client, reviewer).get(reverse("course_list")).content.decode()
    assert "A学院の講座" not in html
