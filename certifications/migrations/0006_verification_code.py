# The verification code of an issued certificate: added empty, filled for the
# rows already issued (0007), then required and unique (0008). Three
# migrations, so that the data change runs in a transaction of its own.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("certifications", "0005_completer_content_types"),
    ]

    operations = [
        migrations.AddField(
            model_name="issuedcertificate",
            name="verification_code",
            field=models.CharField(
                editable=False, max_length=12, null=True, verbose_name="照合コード"
            ),
        ),
    ]
