"""Document registry, generation on commit, progress page and download (W3)."""

import dataclasses
import io
from urllib.parse import unquote

import openpyxl
import pytest
from django.urls import reverse

from portal import documents
from portal.models import AuditEntry, GeneratedDocument

pytestmark = pytest.mark.django_db


def _request(client, provider, capture):
    with capture(execute=True):
        response = client.post(reverse("document_request", args=["shoshiki_1", provider.pk]))
    assert response.status_code == 302
    return GeneratedDocument.objects.latest("pk")


def test_registry_lists_shoshiki_1_with_its_model_and_title():
    doc = documents.get("shoshiki_1")
    assert doc.model == "providers.Provider"
    assert doc.title == "申請書式1：認定申請者情報申請書"
    assert "shoshiki_1" in {d.id for d in documents.all_documents()}


def test_w3_provider_downloads_shoshiki_1_named_per_w3(
    client, provider_a, staff_a, django_capture_on_commit_callbacks
):
    client.force_login(staff_a)
    generated = _request(client, provider_a, django_capture_on_commit_callbacks)
    assert generated.status == GeneratedDocument.Status.DONE
    page = client.get(reverse("document_detail", args=[generated.pk])).content.decode()
    assert "作成が完了しました" in page

    response = client.get(reverse("document_download", args=[generated.pk]))
    assert response.status_code == 200
    disposition = unquote(response["Content-Disposition"])
    assert "(20001)申請書式1：認定申請者情報申請書_" in disposition
    assert disposition.rstrip('"').endswith(".xlsx")
    assert response["Cache-Control"] == "no-store"
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    values = {c.value for row in workbook.active.iter_rows() for c in row if c.value}
    assert "20001" in values and "Ａ学園" in values

    entry = AuditEntry.objects.get(action="document.download")
    assert entry.actor == staff_a
    assert entry.ip == "127.0.0.1"
    assert generated.filename in entry.note


def test_progress_fragment_polls_until_done(client, provider_a, staff_a):
    """Before the worker has run, the page says it is rendering and polls."""
    from portal import services

    client.force_login(staff_a)
    generated = services.request_document("shoshiki_1", provider_a, staff_a)  # not committed
    fragment = client.get(reverse("document_status", args=[generated.pk])).content.decode()
    assert "ファイルを作成しています" in fragment
    assert 'hx-trigger="every 1s"' in fragment
    download = client.get(reverse("document_download", args=[generated.pk]))
    assert download.status_code == 302  # not ready: back to the progress page
    services.render_document(generated.pk)
    fragment = client.get(reverse("document_status", args=[generated.pk])).content.decode()
    assert "ダウンロード" in fragment and "every 1s" not in fragment


def test_render_is_idempotent_and_same_data_gives_same_bytes(provider_a, staff_a):
    from portal import services

    first = services.request_document("shoshiki_1", provider_a, staff_a)
    services.render_document(first.pk)
    again = services.render_document(first.pk)  # a task delivered twice
    assert again.checksum == GeneratedDocument.objects.get(pk=first.pk).checksum
    second = services.request_document("shoshiki_1", provider_a, staff_a)
    services.render_document(second.pk)
    second.refresh_from_db()
    first.refresh_from_db()
    assert first.checksum == second.checksum
    assert first.data_version == second.data_version


def test_download_of_other_provider_document_is_404_and_not_audited(
    client, provider_a, staff_a, staff_b, django_capture_on_commit_callbacks
):
    client.force_login(staff_a)
    generated = _request(client, provider_a, django_capture_on_commit_callbacks)
    client.force_login(staff_b)
    assert client.get(reverse("document_download", args=[generated.pk])).status_code == 404
    assert (
        client.post(reverse("document_request", args=["shoshiki_1", provider_a.pk])).status_code
        == 404
    )
    assert not AuditEntry.objects.filter(action="document.download").exists()


def test_reviewer_can_download_any_provider_document(
    client, provider_a, staff_a, reviewer, django_capture_on_commit_callbacks
):
    client.force_login(reviewer)
    generated = _request(client, provider_a, django_capture_on_commit_callbacks)
    assert client.get(reverse("document_download", args=[generated.pk])).status_code == 200
    assert AuditEntry.objects.filter(action="document.download", actor=reviewer).count() == 1


def test_unknown_document_id_is_404(client, provider_a, staff_a):
    client.force_login(staff_a)
    response = client.post(reverse("document_request", args=["no_such_form", provider_a.pk]))
    assert response.status_code == 404


def test_user_text_is_never_written_as_an_excel_formula(staff_a, provider_a):
    from providers.documents import SHOSHIKI_1_CELLS, render_shoshiki_1

    provider_a.contact_department = '=HYPERLINK("http://evil.example/","x")'
    sheet = openpyxl.load_workbook(io.BytesIO(render_shoshiki_1(provider_a))).active
    cell = sheet[SHOSHIKI_1_CELLS["contact_department"]]
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://evil.example/","x")'


def test_download_shows_in_the_providers_audit_trail(
    client, provider_a, staff_a, reviewer, django_capture_on_commit_callbacks
):
    client.force_login(staff_a)
    generated = _request(client, provider_a, django_capture_on_commit_callbacks)
    client.get(reverse("document_download", args=[generated.pk]))
    client.force_login(reviewer)
    page = client.get(reverse("review_provider", args=[provider_a.pk])).content.decode()
    assert "の書類をダウンロードしました" in page and "document.download" not in page
    assert generated.filename in page


def test_failed_render_is_reported_not_polled_forever(provider_a, staff_a, monkeypatch):
    from portal import services

    generated = services.request_document("shoshiki_1", provider_a, staff_a)
    broken = dataclasses.replace(documents.get("shoshiki_1"), data=lambda obj: 1 / 0)
    monkeypatch.setitem(documents._REGISTRY, "shoshiki_1", broken)
    result = services.render_document(generated.pk)
    assert result.status == GeneratedDocument.Status.FAILED
    assert "ZeroDivisionError" in result.error
