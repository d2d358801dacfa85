"""R4, step 1 of 3: the stored 16-character 修了認定者管理番号, empty for now."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0004_completer_upload"),
    ]

    operations = [
        migrations.AddField(
            model_name="completer",
            name="management_number",
            field=models.CharField(
                blank=True, editable=False, max_length=16, null=True, verbose_name="修了認定者管理番号"
            ),
        ),
    ]
