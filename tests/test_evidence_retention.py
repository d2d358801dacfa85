"""Issue 11, item 5 (E9, M§6.14.3): the evidence of a certification is kept one
year; a monthly beat task tells IPA which reports' evidence may be deleted
(reported, never deleted automatically)."""

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from certifications import rules, services
from certifications.models import PrivateCertificateCopy

from .report_factories import accepted_report, reported

D = datetime.date


@pytest.mark.parametrize(
    ("certified_on", "kept_until", "deletable_from"),
    [
        (D(2024, 12, 10), D(2025, 12, 10), D(2025, 12, 11)),
        (D(2024, 12, 31), D(2025, 12, 31), D(2026, 1, 1)),
        (D(2024, 2, 29), D(2025, 2, 28), D(2025, 3, 1)),  # leap day: 28 February
        (D(2023, 3, 1), D(2024, 3, 1), D(2024, 3, 2)),  # across a leap year
    ],
)
def test_i11_e9_evidence_kept_one_year_then_deletable(certified_on, kept_until, deletable_from):
    assert rules.evidence_kept_until(certified_on) == kept_until
    assert rules.evidence_deletable_from(certified_on) == deletable_from
    last_day = deletable_from - datetime.timedelta(days=1)
    assert rules.evidence_due_for_deletion(certified_on, True, last_day) is False
    assert rules.evidence_due_for_deletion(certified_on, True, deletable_from) is True
    assert rules.evidence_due_for_deletion(certified_on, True, D(2030, 1, 1)) is True


def test_i11_e9_not_due_before_acceptance_nor_without_a_certification_date():
    assert rules.evidence_due_for_deletion(D(2024, 12, 10), False, D(2030, 1, 1)) is False
    assert rules.evidence_deletable_from(None) is None
    assert rules.evidence_due_for_deletion(None, True, D(2030, 1, 1)) is False


def _copy(report, title="合格証のコピー"):
    return PrivateCertificateCopy.objects.create(
        report=report,
        title=title,
        file=SimpleUploadedFile("copy.pdf", b"%PDF-1.4\n", content_type="application/pdf"),
    )


@pytest.mark.django_db
def test_i11_e9_beat_task_reports_the_due_evidence_to_ipa(
    provider_a, staff_a, reviewer, django_capture_on_commit_callbacks
):
    report = accepted_report(provider_a, staff_a, reviewer)  # certified 2024-12-10
    _copy(report)
    _copy(report, "二人目の合格証")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert services.report_evidence_due(D(2025, 12, 10)) == []  # the last day kept
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        assert services.report_evidence_due(D(2025, 12, 11)) == [report.pk]
    (message,) = mail.outbox
    assert message.to == [settings.IPA_NOTICE_EMAIL]
    assert "保管期間（1年間）を過ぎた修了認定の証拠資料（1件）" in message.subject
    assert report.number in message.body and provider_a.name in message.body
    assert "2024年12月10日" in message.body and "2025年12月11日以降" in message.body
    assert "ファイル：2件" in message.body
    # Reported, not deleted.
    assert PrivateCertificateCopy.objects.filter(report=report).count() == 2
    # The monthly beat runs it.
    entry = settings.CELERY_BEAT_SCHEDULE["report-evidence-due"]
    assert entry["task"] == "certifications.report_evidence_due"


@pytest.mark.django_db
def test_i11_e9_a_report_not_yet_accepted_is_not_reported(
    provider_a, staff_a, reviewer, django_capture_on_commit_callbacks
):
    report = reported(provider_a, staff_a, reviewer)
    _copy(report)
    mail.outbox.clear()
    assert services.evidence_due_for_deletion(D(2027, 1, 1)) == []
    with django_capture_on_commit_callbacks(execute=True):
        assert services.report_evidence_due(D(2027, 1, 1)) == []
    assert mail.outbox == []


@pytest.mark.django_db
def test_i11_e9_the_task_is_registered(provider_a, staff_a, reviewer):
    from unittest import mock

    from certifications.tasks import report_evidence_due

    report = accepted_report(provider_a, staff_a, reviewer)
    _copy(report)
    with mock.patch("django.utils.timezone.localdate", return_value=D(2026, 1, 1)):
        assert report_evidence_due.delay().get() == [report.pk]
