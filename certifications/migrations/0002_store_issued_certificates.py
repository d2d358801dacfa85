"""C12: courses certified before certificates were stored get their record
now (version 1, dated with their recorded issue date)."""

from django.db import migrations


def store_existing(apps, schema_editor):
    # The renderer needs the real models (properties such as course.number);
    # only databases holding certified courses reach it.
    Historical = apps.get_model("courses", "ExemptionCourse")
    pending = Historical.objects.filter(
        state__in=["certified", "expired", "revoked"], issued_certificates__isnull=True
    ).exclude(certificate_number="")
    pks = list(pending.values_list("pk", flat=True))
    if not pks:
        return
    from certifications import services
    from courses.models import ExemptionCourse

    for course in ExemptionCourse.objects.filter(pk__in=pks).select_related("provider"):
        services.issue(course, None, course.certificate_issued_on or course.certified_on)


class Migration(migrations.Migration):
    dependencies = [
        ("certifications", "0001_issued_certificate"),
        ("courses", "0003_certificate_number"),
    ]

    operations = [migrations.RunPython(store_existing, migrations.RunPython.noop)]
