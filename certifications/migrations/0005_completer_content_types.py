"""The content types of the moved completer models follow them (app label
exams -> certifications), so that their permissions (and anything else that
refers to them by content type) keep pointing at them; no new content types
and no stale ones are left behind."""

from django.db import migrations

MODELS = ("completer", "completerupload", "privatecertificatecopy")


def _move(apps, schema_editor, old, new):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MODELS:
        if ContentType.objects.using(db).filter(app_label=new, model=model).exists():
            continue  # already there (made by an earlier run); the old one is stale
        ContentType.objects.using(db).filter(app_label=old, model=model).update(app_label=new)


def forwards(apps, schema_editor):
    _move(apps, schema_editor, "exams", "certifications")


def backwards(apps, schema_editor):
    _move(apps, schema_editor, "certifications", "exams")


class Migration(migrations.Migration):

    dependencies = [
        ('certifications', '0004_completers_from_exams'),
        ('exams', '0010_completers_to_certifications'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
