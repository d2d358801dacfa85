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
