"""F1: the fees of the 2024 manual (表5.2-6, M§5.7): review 35,000 JPY per
course, problems 2,000 JPY per applicant, tax included."""

import datetime

from django.db import migrations


def load(apps, schema_editor):
    FeeSchedule = apps.get_model("fees", "FeeSchedule")
    for kind, amount, unit in (("review", 35000, "1講座"), ("problem", 2000, "1名")):
        FeeSchedule.objects.get_or_create(
            kind=kind,
            valid_from=datetime.date(2024, 4, 1),
            defaults={"amount": amount, "unit": unit},
        )


class Migration(migrations.Migration):
    dependencies = [("fees", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
