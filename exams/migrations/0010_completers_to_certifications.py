"""The completers moved to certifications (certifications.0004): removed from
this app's state only; their tables keep their names and rows."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('exams', '0009_examsession_note_japanese_labels'),
        ('certifications', '0004_completers_from_exams'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(model_name='completerupload', name='report'),
                migrations.RemoveField(model_name='completerupload', name='uploaded_by'),
                migrations.RemoveField(model_name='privatecertificatecopy', name='report'),
                migrations.DeleteModel(name='Completer'),
                migrations.DeleteModel(name='CompleterUpload'),
                migrations.DeleteModel(name='PrivateCertificateCopy'),
            ],
        ),
    ]
