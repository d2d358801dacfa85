"""The kinds of document (portal.documents): a rendering computes a document's
values once (the bytes and the data version come from the same values), form
documents are built from their layout tables, list documents stream their
rows once into a CSV or an .xlsx sheet, and the forms share their header
blocks (portal.layout_blocks)."""

import dataclasses
import io

import openpyxl
import pytest

from portal import documents, services, xlsx
from portal.layout_blocks import ProviderHeader, course_header, delivery_header, site_rows
from portal.models import GeneratedDocument
from portal.xlsx import Field

from .test_course_documents import _payment_request, example  # noqa: F401 (fixture)
from .test_exam_documents import june_2018, manual  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

COURSE_FORMS = ("shoshiki_2", "shoshiki_2_att_1", "shoshiki_2_att_2", "shoshiki_2_att_3",
                "unei_taisei")  # fmt: skip
EXAM_FORMS = {"shoshiki_3": "application", "shoshiki_4": "report", "unei_taisei_exam": "site"}


def _counting_data(monkeypatch, doc_id: str) -> list:
    """Register ``doc_id`` with a ``data`` that records each call."""
    doc = documents.get(doc_id)
    calls = []

    def data(obj):
        calls.append(obj.pk)
        return doc.data(obj)

    monkeypatch.setitem(documents._REGISTRY, doc_id, dataclasses.replace(doc, data=data))
    return calls


def _render_through_the_worker(doc_id: str, obj, user) -> GeneratedDocument:
    generated = services.request_document(doc_id, obj, user)
    return services.render_document(generated.pk)


def _assert_computed_once(monkeypatch, doc_id, obj, user):
    doc = documents.get(doc_id)
    calls = _counting_data(monkeypatch, doc_id)
    generated = _render_through_the_worker(doc_id, obj, user)
    assert generated.status == GeneratedDocument.Status.DONE, generated.error
    assert calls == [obj.pk], f"{doc_id}: data computed {len(calls)} times"
    # The stored bytes and version are those of the same values.
    assert bytes(generated.content) == doc.render(obj)
    assert generated.data_version == doc.data_version(obj)


def test_a_form_computes_its_data_once_per_render(monkeypatch, provider_a, staff_a):
    assert isinstance(documents.get("shoshiki_1"), documents.FormDocument)
    _assert_computed_once(monkeypatch, "shoshiki_1", provider_a, staff_a)


@pytest.mark.parametrize("doc_id", COURSE_FORMS)
def test_course_forms_compute_their_data_once_per_render(monkeypatch, example, staff_a, doc_id):  # noqa: F811
    _assert_computed_once(monkeypatch, doc_id, example, staff_a)


def test_nyukin_irai_computes_its_data_once_per_render(monkeypatch, example, staff_a):  # noqa: F811
    request = _payment_request(example.provider, staff_a, example)
    _assert_computed_once(monkeypatch, "nyukin_irai", request, staff_a)


@pytest.mark.parametrize("doc_id", sorted(EXAM_FORMS))
def test_exam_forms_compute_their_data_once_per_render(monkeypatch, manual, staff_a, doc_id):  # noqa: F811
    _assert_computed_once(monkeypatch, doc_id, manual[EXAM_FORMS[doc_id]], staff_a)


def test_the_worker_asks_a_document_for_its_bytes_and_version_once(
    monkeypatch, provider_a, staff_a
):
    """The render path takes the bytes and the data version from one
    produce(): it never renders and then computes the version apart."""
    doc = documents.get("shoshiki_1")
    produced = []

    class Once(documents.FormDocument):
        def produce(self, obj):
            produced.append(obj.pk)
            return super().produce(obj)

        def data_version(self, obj):
            raise AssertionError("the version comes with the bytes")

    once = Once(**{f.name: getattr(doc, f.name) for f in dataclasses.fields(doc)})
    monkeypatch.setitem(documents._REGISTRY, "shoshiki_1", once)
    generated = _render_through_the_worker("shoshiki_1", provider_a, staff_a)
    assert generated.status == GeneratedDocument.Status.DONE, generated.error
    assert produced == [provider_a.pk]


# --- list documents ---------------------------------------------------------------------


class Walks:
    """Rows of a list that count how often they are walked."""

    def __init__(self, rows):
        self.rows, self.walks = rows, 0

    def __call__(self, provider, data):
        self.walks += 1
        yield from self.rows


def _list(rows, **options) -> documents.ListDocument:
    return documents.ListDocument(
        id="test_list",
        title="テスト一覧",
        model="providers.Provider",
        provider_number=lambda provider: provider.number,
        can_download=documents.reviewer_or_owner,
        data=lambda provider: {"provider": provider.number},
        header=["番号", "氏名", "生年月日"],
        rows=rows,
        **options,
    )


def test_a_csv_list_walks_its_rows_once_per_render(monkeypatch, provider_a, staff_a):
    rows = Walks([(1, "情報\u3000太郎", "1990/01/01"), (2, '=HYPERLINK("x")', "")])
    doc = _list(rows, timestamped=False)
    monkeypatch.setitem(documents._REGISTRY, doc.id, doc)
    generated = _render_through_the_worker(doc.id, provider_a, staff_a)
    assert generated.status == GeneratedDocument.Status.DONE, generated.error
    assert rows.walks == 1
    assert generated.mime_type == documents.CSV_MIME
    assert generated.filename == f"({provider_a.number})テスト一覧.csv"
    content = bytes(generated.content)
    assert content.startswith("\ufeff".encode())  # a BOM: Excel reads the Japanese text
    assert content.decode("utf-8-sig").split("\r\n") == [
        "番号,氏名,生年月日", "1,情報\u3000太郎,1990/01/01", '2,"=HYPERLINK(""x"")",', "",
    ]  # fmt: skip
    assert generated.data_version == doc.produce(provider_a).data_version


def test_a_lists_version_follows_its_rows(provider_a):
    first = _list(Walks([(1, "情報", "1990/01/01")]))
    same = _list(Walks([(1, "情報", "1990/01/01")]))
    other = _list(Walks([(1, "情報", "1990/01/02")]))
    assert first.produce(provider_a) == same.produce(provider_a)
    assert first.data_version(provider_a) != other.data_version(provider_a)
    assert first.render(provider_a) != other.render(provider_a)


def test_an_xlsx_list_is_written_by_the_fast_writer(provider_a):
    rows = Walks([(n, f"情報{n}", "=1+1") for n in range(1, 51)])
    sheet = xlsx.ListSheet("一覧", {"A": 6, "B": 20, "C": 12}, ("number", "cell", "cell"),
                           landscape=True)  # fmt: skip
    doc = _list(rows, sheet=sheet, stamp=lambda data: "2018-06-14", extension="xlsx",
                mime_type=documents.XLSX_MIME)  # fmt: skip
    rendered = doc.produce(provider_a)
    assert rows.walks == 1
    assert rendered == doc.produce(provider_a)  # the same data gives the same bytes
    wb = openpyxl.load_workbook(io.BytesIO(rendered.content))
    ws = wb["一覧"]
    assert [c.value for c in ws[1]] == ["番号", "氏名", "生年月日"]
    assert [c.value for c in ws[51]] == [50, "情報50", "=1+1"]
    assert ws["C2"].data_type == "s"  # text, never a formula
    assert ws["A2"].number_format == "#,##0"
    assert ws.freeze_panes == "A2"
    assert ws.print_title_rows == "$1:$1"
    assert ws.print_area == "'一覧'!$A$1:$C$51"
    assert ws.page_setup.orientation == "landscape"
    assert wb.properties.title == "テスト一覧"
    assert wb.properties.created.date().isoformat() == "2018-06-14"


# --- shared layout blocks ----------------------------------------------------------------


def test_the_provider_header_sits_on_each_forms_grid():
    assert ProviderHeader(label="A:C", height=24).rows(7) == [
        (7, 24, [("A:C", "講座開設者番号", "label"), ("D:E", Field("provider_number"), "value")]),
        (8, 24, [("A8:C9", "申請者名（法人名称）", "label"), ("D", "カナ", "sub"),
                 ("E:F", Field("name_kana"), "value")]),
        (9, 24, [("D", "漢字", "sub"), ("E:F", Field("name"), "value")]),
    ]  # fmt: skip
    assert ProviderHeader(last="H", kana=False).rows(7) == [
        (7, 22, [("A:B", "講座開設者番号", "label"), ("C:D", Field("provider_number"), "value")]),
        (8, 22, [("A:B", "申請者名（法人名称）", "label"), ("C", "漢字", "sub"),
                 ("D:H", Field("name"), "value")]),
    ]  # fmt: skip
    header = ProviderHeader(kana=False, kanji_key="provider_name")
    assert header.values("99991", "IPA大学", "アイピーエー") == {
        "provider_number": "99991", "provider_name": "IPA大学",
    }  # fmt: skip


def test_the_course_and_delivery_headers_and_the_site():
    assert course_header(label="A", deletion_key="course_deleted").rows(26) == [
        (26, 20, [("A:D", "免除対象講座", "section"), ("E", "講座の削除", "sub"),
                  ("F", Field("course_deleted"), "center")]),
        (27, 22, [("A", "番号", "label"), ("B:C", Field("course_number"), "value")]),
        (28, 22, [("A", "名称", "label"), ("B:F", Field("course_name"), "value")]),
    ]  # fmt: skip
    assert delivery_header(numbered=False).rows(13) == [
        (13, 20, [("A:F", "実施講座", "section")]),
        (14, 22, [("A:B", "名称", "label"), ("C:F", Field("delivery_name"), "value")]),
    ]  # fmt: skip
    assert course_header(deletion_key="deleted").values("99991-001", "講座A", deleted=True) == {
        "course_number": "99991-001", "course_name": "講座A", "deleted": xlsx.BOX_CHECKED,
    }  # fmt: skip
    assert [cells[0][0] for _row, _h, cells in site_rows(15, label="A:B", last="H")] == [
        "A:H", "A16:B18", "C", "C",
    ]  # fmt: skip
