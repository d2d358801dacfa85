"""The one registry of documents the portal produces.

Each app's ``documents.py`` registers its documents here: the ID, the model it
renders, who may download it, its file name (W3) and its renderer. Generation
runs in a Celery task (portal.tasks.render_document) that stores a
GeneratedDocument; the download view asks the registry for permission.
"""

import datetime
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.utils import timezone

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_MIME = "application/pdf"


@dataclass(frozen=True)
class DocumentType:
    id: str
    title: str  # as in the file name, e.g. 申請書式1：認定申請者情報申請書
    model: str  # "app_label.ModelName" of the source object
    render: Callable[[object], bytes]
    provider_number: Callable[[object], str]
    can_download: Callable[[object, object], bool]  # (user, obj) -> bool
    data: Callable[[object], dict]  # the values rendered; their hash is the data version
    extension: str = "xlsx"
    mime_type: str = XLSX_MIME
    personal_data: bool = True

    def model_class(self):
        return apps.get_model(self.model)

    def filename(self, obj, at: datetime.datetime | None = None) -> str:
        """W3: ``(99991)申請書式1：認定申請者情報申請書_yyyymmdd_hhmmss.xlsx``."""
        at = timezone.localtime(at or timezone.now())
        return f"({self.provider_number(obj)}){self.title}_{at:%Y%m%d_%H%M%S}.{self.extension}"

    def data_version(self, obj) -> str:
        payload = json.dumps(self.data(obj), sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()


_REGISTRY: dict[str, DocumentType] = {}


def register(doc: DocumentType) -> DocumentType:
    if doc.id in _REGISTRY and _REGISTRY[doc.id] != doc:
        raise ValueError(f"document {doc.id} registered twice")
    _REGISTRY[doc.id] = doc
    return doc


def get(doc_id: str) -> DocumentType:
    _load_all()
    return _REGISTRY[doc_id]


def all_documents() -> list[DocumentType]:
    _load_all()
    return list(_REGISTRY.values())


_discovered = False


def _load_all():
    """Import every app's documents.py once (a module imported directly
    earlier must not stop the others from being found)."""
    global _discovered
    from django.utils.module_loading import autodiscover_modules

    if not _discovered:
        autodiscover_modules("documents")
        _discovered = True


def reviewer_or_owner(user, obj) -> bool:
    """Who may download most documents: IPA reviewers, or the staff of the
    provider the object belongs to (portal.isolation.owns)."""
    from .roles import is_provider_member, is_reviewer

    return bool(user and user.is_authenticated) and (
        is_reviewer(user) or is_provider_member(user, obj)
    )


def panel(user, obj, doc_ids: list[str], recent: int = 3) -> list[dict]:
    """The documents of ``obj`` this user may create and download, each with
    its last few generated files, for the document panel of a page."""
    from django.contrib.contenttypes.models import ContentType

    from .models import GeneratedDocument

    entries = []
    content_type = ContentType.objects.get_for_model(obj)
    for doc_id in doc_ids:
        doc = get(doc_id)
        if not doc.can_download(user, obj):
            continue
        files = GeneratedDocument.objects.filter(
            content_type=content_type, object_id=str(obj.pk), doc_type=doc_id
        ).defer("content")[:recent]
        entries.append({"doc": doc, "object_pk": obj.pk, "recent": list(files)})
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


def deterministic_zip(data: bytes) -> bytes:
    """Rewrite an OOXML zip with fixed entry timestamps so that the same data
    gives the same bytes (openpyxl stamps the current time on every entry)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()
