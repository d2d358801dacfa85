"""R4, step 3 of 3: the 修了認定者管理番号 is required, 16 characters and unique."""

import django.db.models.functions.text
import django.db.models.lookups
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0006_fill_completer_management_numbers"),
    ]

    operations = [
        migrations.AlterField(
            model_name="completer",
            name="management_number",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="講座開設者番号＋FE＋修了試験の年月（YYMM）＋下5桁。保存時に付けます。",
                max_length=16,
                unique=True,
                verbose_name="修了認定者管理番号",
            ),
        ),
        migrations.AddConstraint(
            model_name="completer",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.Exact(
                    django.db.models.functions.text.Length("management_number"), 16
                ),
                name="completer_number_16_characters",
            ),
        ),
    ]
