from celery import shared_task

from . import services


@shared_task(name="portal.render_document")
def render_document(generated_pk: int) -> str:
    return services.render_document(generated_pk).checksum
