from celery import shared_task

from . import services


@shared_task(name="providers.delete_expired_signups")
def delete_expired_signups() -> int:
    """Beat, hourly (issue 11): delete the sign-ups whose confirmation link
    expired; their address is free again (it never was reserved)."""
    return services.delete_expired_signups()
