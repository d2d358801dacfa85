# Every certificate issued before verification codes existed gets one. Its
# stored PDF stays as issued (without the code): the page still answers for
# the code, which IPA can tell the provider.

import secrets

from django.db import migrations

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # as certifications.models (frozen here)


def fill_codes(apps, schema_editor):
    IssuedCertificate = apps.get_model("certifications", "IssuedCertificate")
    used = set(
        IssuedCertificate.objects.exclude(verification_code=None).values_list(
            "verification_code", flat=True
        )
    )
    for issued in IssuedCertificate.objects.filter(verification_code=None).only("pk"):
        code = None
        while code is None or code in used:
            code = "".join(secrets.choice(ALPHABET) for _ in range(12))
        used.add(code)
        IssuedCertificate.objects.filter(pk=issued.pk).update(verification_code=code)


class Migration(migrations.Migration):
    dependencies = [
        ("certifications", "0006_verification_code"),
    ]

    operations = [
        migrations.RunPython(fill_codes, migrations.RunPython.noop),
    ]
