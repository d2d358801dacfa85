"""Two reviewers accepting the same registration at the same moment (P5)."""

import threading

import pytest
from django.db import connection

from portal.models import AuditEntry
from providers import services
from providers.models import Provider, Registration

from .factories import PASSWORD, ReviewerFactory, registration_values


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_p5_two_reviewers_accepting_at_once_leave_one_number_and_one_audit_entry():
    registration, _ = services.submit_registration(
        registration_values(contact_email="race@example.jp"), PASSWORD
    )
    reviewers = [ReviewerFactory(email=f"r{i}@ipa.example.jp") for i in range(2)]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def accept(reviewer):
        try:
            barrier.wait(timeout=10)
            results.append(services.accept_registration(registration.pk, reviewer).number)
        except services.RegistrationStateError as exc:
            errors.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(r,)) for r in reviewers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert len(results) == 1, (results, errors)
    assert len(errors) == 1 and "既に処理されています" in errors[0]
    assert Provider.objects.count() == 1
    assert Provider.objects.get().number == results[0]
    assert AuditEntry.objects.filter(action="registration.accept").count() == 1
    assert Registration.objects.get().state == Registration.State.ACCEPTED


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_newcomer_receipt_two_sign_ups_at_once_get_different_numbers():
    """到達番号 come from a row-locked counter: simultaneous submissions never
    share a number."""
    from portal.models import Receipt

    barrier = threading.Barrier(3)
    numbers, errors = [], []

    def sign_up(i):
        try:
            barrier.wait(timeout=10)
            registration, _ = services.submit_registration(
                registration_values(contact_email=f"race{i}@example.jp"), PASSWORD
            )
            numbers.append(Receipt.objects.get(object_id=str(registration.pk)).number)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert not errors, errors
    assert len(numbers) == 3 and len(set(numbers)) == 3
    assert sorted(n[-6:] for n in numbers) == ["000001", "000002", "000003"]
