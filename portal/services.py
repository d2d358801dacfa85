"""State changes of the portal app: document generation and download."""

import logging

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition

from . import audit, documents, outbox
from .models import GeneratedDocument

log = logging.getLogger(__name__)


def save_transition(obj, error_cls: type[Exception], message: str) -> None:
    """Save a model with ConcurrentTransitionMixin: if another transaction moved
    the state meanwhile (a second guard beside the row lock), raise the app's
    state error with a message the user understands."""
    try:
        obj.save()
    except ConcurrentTransition:
        raise error_cls(message) from None


class DocumentNotAllowed(Exception):
    pass


def request_document(doc_id: str, obj, user) -> GeneratedDocument:
    """Queue the rendering of one registered document of ``obj``."""
    doc = documents.get(doc_id)
    if not doc.can_download(user, obj):
        raise DocumentNotAllowed(doc_id)
    with transaction.atomic():
        generated = GeneratedDocument.objects.create(
            doc_type=doc.id,
            content_type=ContentType.objects.get_for_model(obj),
            object_id=str(obj.pk),
            requested_by=user if user.is_authenticated else None,
            mime_type=doc.mime_type,
        )
        # Through the outbox: rendered once the broker is back if it is down.
        outbox.enqueue("portal.render_document", generated.pk)
    return generated


def render_document(generated_pk: int) -> GeneratedDocument:
    """Render and store one GeneratedDocument. Safe to run twice: a finished
    document is left as it is."""
    with transaction.atomic():
        generated = GeneratedDocument.objects.select_for_update().get(pk=generated_pk)
        if generated.status == GeneratedDocument.Status.DONE:
            return generated
        generated.status = GeneratedDocument.Status.RUNNING
        generated.save(update_fields=["status"])
    doc = documents.get(generated.doc_type)
    try:
        obj = doc.model_class()._default_manager.get(pk=generated.object_id)
        # The bytes and the data version from one computation of the values.
        rendered = doc.produce(obj)
    except Exception as exc:
        # The progress page then says it failed instead of polling forever;
        # the traceback goes to the log, not to the user.
        log.exception("rendering %s #%s failed", generated.doc_type, generated.pk)
        GeneratedDocument.objects.filter(pk=generated.pk).update(
            status=GeneratedDocument.Status.FAILED, error=repr(exc)[:2000]
        )
        generated.refresh_from_db()
        return generated
    now = timezone.now()
    generated.content = rendered.content
    generated.checksum = GeneratedDocument.checksum_of(rendered.content)
    generated.data_version = rendered.data_version
    generated.filename = doc.filename(obj, now)
    generated.finished_at = now
    generated.status = GeneratedDocument.Status.DONE
    generated.save(
        update_fields=[
            "content",
            "checksum",
            "data_version",
            "filename",
            "finished_at",
            "status",
        ]
    )
    return generated


def record_download(generated: GeneratedDocument, source, user) -> None:
    """Downloads of personal data are audited on the source object, so they
    show in that object's audit trail."""
    doc = documents.get(generated.doc_type)
    if doc.personal_data:
        audit.record(
            "document.download",
            source,
            actor=user,
            note=f"{generated.filename}（作成書類 #{generated.pk}、チェックサム {generated.checksum[:12]}）",
        )
