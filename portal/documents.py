"""The one registry of documents the portal produces, and the kinds of document.

Each app's ``documents.py`` registers its documents here: the ID, the model it
renders, who may download it, its file name (W3), its values and how they are
written. Generation runs in a Celery task (portal.tasks.render_document) that
stores a GeneratedDocument; the download view asks the registry for permission.

A document's values (``data(obj)``, plain str/int/list) are computed once per
rendering: :meth:`Document.produce` gives the bytes and the data version (the
hash of those values) together. The kinds:

* :class:`FormDocument` — a form of the manual (別紙): ``sheets(data)`` gives the
  layout tables of the figure with their values (:class:`portal.xlsx.Sheet`);
  the base builds the workbook and stamps it with a date of the data;
* :class:`ListDocument` — a list: a header and rows, streamed once into a CSV
  or, with a :class:`portal.xlsx.ListSheet`, an .xlsx sheet by the fast writer;
  the data version digests every row as it is written;
* :class:`DocumentType` — a document with a renderer of its own that reads the
  object (the certificate serves the bytes stored when it was issued).
"""

import contextlib
import contextvars
import csv
import datetime
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.apps import apps
from django.utils import timezone

from . import xlsx
from .registries import Registry

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_MIME = "application/pdf"
CSV_MIME = "text/csv; charset=utf-8"


# What a rendering has already read (see :func:`once`); None outside a rendering.
_rendering: contextvars.ContextVar[dict | None] = contextvars.ContextVar("rendering", default=None)


def once(key, compute: Callable[[], object]):
    """``compute()`` once per rendering (Document.produce): the renderer and
    the data of a document that read the same rows share them. Outside a
    rendering it is simply computed."""
    memo = _rendering.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


@contextlib.contextmanager
def rendering():
    """One rendering (a file, or a page's document panel): inside it
    :func:`once` computes each value a single time."""
    if _rendering.get() is not None:
        yield
        return
    token = _rendering.set({})
    try:
        yield
    finally:
        _rendering.reset(token)


def data_version_of(data) -> str:
    """The data version: the hash of the values a document shows."""
    payload = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class Rendered:
    """One rendering: the file's bytes and the version of the data they show."""

    content: bytes
    data_version: str


@dataclass(frozen=True, kw_only=True)
class Document:
    """What every document declares; the kinds below say how it is written."""

    id: str
    title: str  # as in the file name, e.g. 申請書式1：認定申請者情報申請書
    model: str  # "app_label.ModelName" of the source object
    provider_number: Callable[[object], str]
    can_download: Callable[[object, object], bool]  # (user, obj) -> bool
    data: Callable[[object], dict]  # the values rendered; their hash is the data version
    extension: str = "xlsx"
    mime_type: str = XLSX_MIME
    personal_data: bool = True
    # False: the file name has no timestamp (表5.8-4: (xxxxx)民間資格の合格者一覧.xlsx).
    timestamped: bool = True

    def model_class(self):
        return apps.get_model(self.model)

    def filename(self, obj, at: datetime.datetime | None = None) -> str:
        """W3: ``(99991)申請書式1：認定申請者情報申請書_yyyymmdd_hhmmss.xlsx``."""
        if not self.timestamped:
            return f"({self.provider_number(obj)}){self.title}.{self.extension}"
        at = timezone.localtime(at or timezone.now())
        return f"({self.provider_number(obj)}){self.title}_{at:%Y%m%d_%H%M%S}.{self.extension}"

    def produce(self, obj) -> Rendered:
        """The bytes and the data version of ``obj``'s document, its values
        computed once."""
        raise NotImplementedError

    def data_version(self, obj) -> str:
        return data_version_of(self.data(obj))


@dataclass(frozen=True, kw_only=True)
class FormDocument(Document):
    """A form laid out like a 別紙 figure: ``sheets(data)`` gives its sheets
    (the layout table of each and the values of its fields); the workbook is
    stamped with ``stamp(data)``, a date of the data, so that the same data
    gives the same bytes."""

    sheets: Callable[[dict], Sequence[xlsx.Sheet]]
    stamp: Callable[[dict], datetime.date | datetime.datetime | str]
    workbook_title: str
    styles: Mapping[str, xlsx.Style] | None = None  # default: portal.xlsx.STYLES

    def write(self, data: dict) -> bytes:
        wb = xlsx.build_workbook(self.sheets(data), self.styles or xlsx.STYLES)
        return xlsx.workbook_bytes(wb, self.stamp(data), title=self.workbook_title)

    def produce(self, obj) -> Rendered:
        data = self.data(obj)
        return Rendered(self.write(data), data_version_of(data))

    def render(self, obj) -> bytes:
        """The bytes alone (no version to hash)."""
        return self.write(self.data(obj))


def _no_values(obj) -> dict:
    return {}


@dataclass(frozen=True, kw_only=True)
class ListDocument(Document):
    """A list: ``header`` and ``rows(obj, data)``, which may stream tens of
    thousands of rows from one query. Without ``sheet`` it is a CSV (UTF-8 with
    a BOM so that Excel reads the Japanese text, CRLF); with a
    :class:`portal.xlsx.ListSheet` an .xlsx written by the fast row writer and
    stamped with ``stamp(data)``. ``data`` holds the list's own values (not the
    rows); the data version is their hash with a digest of every row, taken
    while the rows are written, so the rows are walked once."""

    header: Sequence[str]
    rows: Callable[[object, dict], Iterable[Sequence]]
    data: Callable[[object], dict] = _no_values
    sheet: xlsx.ListSheet | None = None
    stamp: Callable[[dict], datetime.date | datetime.datetime | str] | None = None
    workbook_title: str | None = None  # default: the title
    styles: Mapping[str, xlsx.Style] | None = None  # default: portal.xlsx.STYLES
    extension: str = "csv"
    mime_type: str = CSV_MIME

    def produce(self, obj) -> Rendered:
        data = self.data(obj)
        digest, count = hashlib.sha256(), 0

        def rows():
            nonlocal count
            for row in self.rows(obj, data):
                digest.update(repr(row).encode())
                count += 1
                yield row

        content = self._csv(rows()) if self.sheet is None else self._xlsx(rows(), data)
        version = data_version_of({**data, "rows": count, "rows_sha256": digest.hexdigest()})
        return Rendered(content, version)

    def render(self, obj) -> bytes:
        return self.produce(obj).content

    def data_version(self, obj) -> str:
        return self.produce(obj).data_version

    def _csv(self, rows) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(self.header)
        writer.writerows(rows)
        return out.getvalue().encode("utf-8-sig")

    def _xlsx(self, rows, data: dict) -> bytes:
        sheet = xlsx.list_sheet(self.sheet, self.header, rows)
        wb = xlsx.build_workbook([sheet], self.styles or xlsx.STYLES)
        return xlsx.workbook_bytes(wb, self.stamp(data), title=self.workbook_title or self.title)


@dataclass(frozen=True, kw_only=True)
class DocumentType(Document):
    """A document with a renderer of its own, which reads the object itself:
    the certificate (the bytes stored when it was issued). ``data`` is computed
    apart for the version, so a document whose values cost something to
    compute is a FormDocument or a ListDocument instead."""

    render: Callable[[object], bytes]

    def produce(self, obj) -> Rendered:
        # Issue 11: what the renderer and the data both read is read once
        # (the issued certificate's record, through :func:`once`).
        with rendering():
            return Rendered(self.render(obj), self.data_version(obj))


_REGISTRY = Registry("documents", "document")


def register(doc: Document) -> Document:
    return _REGISTRY.register(doc.id, doc)


def get(doc_id: str) -> Document:
    return _REGISTRY.get(doc_id)


def all_documents() -> list[Document]:
    return _REGISTRY.items()


def reviewer_or_owner(user, obj) -> bool:
    """Who may download most documents: IPA reviewers, or the staff of the
    provider the object belongs to (portal.isolation.owns)."""
    from .roles import is_provider_member, is_reviewer

    return bool(user and user.is_authenticated) and (
        is_reviewer(user) or is_provider_member(user, obj)
    )


def outdated(doc: Document, obj, generated) -> bool:
    """Whether a generated file shows values that have changed since (its
    data version is not the current one), e.g. 申請書式4 made before IPA
    approved a completer correction (R11). Only forms are checked: their
    values are cheap to compute; a list would have to be written again."""
    if not isinstance(doc, FormDocument) or not generated.data_version:
        return False
    return generated.data_version != doc.data_version(obj)


def panel(
    user, obj, doc_ids: list[str], recent: int = 3, *, mark_outdated: bool = False
) -> list[dict]:
    """The documents of ``obj`` this user may create and download, each with
    its last few generated files, for the document panel of a page. With
    ``mark_outdated`` a file whose values have changed since is marked
    (``generated.outdated``), so that an older file is never taken for the
    current one (the button always writes a new one from today's data)."""

    with rendering():  # Issue 11: forms of the same object share their values
        return _panel(user, obj, doc_ids, recent, mark_outdated)


def _panel(user, obj, doc_ids, recent, mark_outdated) -> list[dict]:
    from django.contrib.contenttypes.models import ContentType

    from .models import GeneratedDocument

    entries = []
    content_type = ContentType.objects.get_for_model(obj)
    for doc_id in doc_ids:
        doc = get(doc_id)
        if not doc.can_download(user, obj):
            continue
        files = list(
            GeneratedDocument.objects.filter(
                content_type=content_type, object_id=str(obj.pk), doc_type=doc_id
            ).defer("content")[:recent]
        )
        if mark_outdated and isinstance(doc, FormDocument) and files:
            current = doc.data_version(obj)
            for generated in files:
                generated.outdated = (
                    bool(generated.data_version) and generated.data_version != current
                )
        entries.append({"doc": doc, "object_pk": obj.pk, "recent": files})
    return entries


def panel_for_many(user, objects, doc_ids: list[str], label, recent: int = 3) -> list[dict]:
    """One document panel for several objects of one model (e.g. 申請書式3 of
    each exam application on a page), in one query whatever their number;
    each entry carries ``label(obj)`` so that the buttons can be told apart."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import F, Window
    from django.db.models.functions import RowNumber

    from .models import GeneratedDocument

    objects = list(objects)
    if not objects:
        return []
    files: dict[tuple, list] = {}
    generated = (
        GeneratedDocument.objects.filter(
            content_type=ContentType.objects.get_for_model(objects[0]),
            object_id__in=[str(obj.pk) for obj in objects],
            doc_type__in=doc_ids,
        )
        .defer("content")
        .annotate(rank=Window(RowNumber(), partition_by=[F("object_id"), F("doc_type")],
                              order_by=[F("requested_at").desc(), F("id").desc()]))
        .filter(rank__lte=recent)
        .order_by("rank")
    )  # fmt: skip
    for document in generated:
        files.setdefault((document.object_id, document.doc_type), []).append(document)
    entries = []
    for obj in objects:
        for doc_id in doc_ids:
            doc = get(doc_id)
            if doc.can_download(user, obj):
                entries.append({"doc": doc, "object_pk": obj.pk, "label": label(obj),
                                "recent": files.get((str(obj.pk), doc_id), [])})  # fmt: skip
    return entries
