import django.db.models
from django.db import migrations

import certifications.models


class Migration(migrations.Migration):
    dependencies = [
        ("certifications", "0007_verification_code_existing"),
    ]

    operations = [
        migrations.AlterField(
            model_name="issuedcertificate",
            name="verification_code",
            field=django.db.models.CharField(
                default=certifications.models.new_verification_code,
                editable=False,
                max_length=12,
                unique=True,
                verbose_name="照合コード",
            ),
        ),
    ]
