"""What this app tells the apps below it through their hooks (registered on
import, from CoursesConfig.ready), so that they import nothing of courses."""

from providers import services as provider_services

from .models import ExemptionCourse


def revoked_course_dates(provider):
    """P6 (M§2.5): a revoked course bars its provider for two years."""
    return ExemptionCourse.objects.filter(provider=provider, revoked_on__isnull=False).values_list(
        "revoked_on", flat=True
    )


provider_services.register_revocation_source(revoked_course_dates)
