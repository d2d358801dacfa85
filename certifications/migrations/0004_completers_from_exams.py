"""The completers (Completer, CompleterUpload, PrivateCertificateCopy) move
from exams to certifications: state only. The tables stay as they are
(``exams_completer``, ``exams_completerupload``, ``exams_privatecertificatecopy``,
named in each model's Meta.db_table) with their rows, constraints and indexes;
exams.0010 removes the old models from the state, certifications.0005 renames
their content types."""
import django.db.models.deletion
import django.db.models.functions.text
import django.db.models.lookups
import django.utils.timezone
import portal.validators
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('certifications', '0003_japanese_labels'),
        ('exams', '0009_examsession_note_japanese_labels'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='CompleterUpload',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('filename', models.CharField(max_length=200, verbose_name='ファイル名')),
                        ('rows', models.JSONField(default=list, verbose_name='読み込んだ行')),
                        ('errors', models.JSONField(default=list, verbose_name='エラー')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='読込み日時')),
                        ('applied_at', models.DateTimeField(blank=True, null=True, verbose_name='登録日時')),
                        ('report', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='uploads', to='exams.resultreport', verbose_name='修了試験結果の報告')),
                        ('uploaded_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='登録者')),
                    ],
                    options={
                        'verbose_name': '修了認定者の一括登録',
                        'verbose_name_plural': '修了認定者の一括登録',
                        'db_table': 'exams_completerupload',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='PrivateCertificateCopy',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('title', models.CharField(max_length=100, verbose_name='内容')),
                        ('file', models.FileField(upload_to='private-certificates/%Y/%m/', verbose_name='ファイル')),
                        ('uploaded_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='登録日時')),
                        ('report', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='certificate_copies', to='exams.resultreport', verbose_name='修了試験結果の報告')),
                    ],
                    options={
                        'verbose_name': '民間資格の合格証のコピー',
                        'verbose_name_plural': '民間資格の合格証のコピー',
                        'db_table': 'exams_privatecertificatecopy',
                    },
                ),
                migrations.CreateModel(
                    name='Completer',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('serial', models.PositiveIntegerField(verbose_name='修了認定者管理番号（下5桁）')),
                        ('management_number', models.CharField(blank=True, editable=False, help_text='講座開設者番号＋FE＋修了試験の年月（YYMM）＋下5桁。保存時に付けます。', max_length=16, unique=True, verbose_name='修了認定者管理番号')),
                        ('family_name', models.CharField(max_length=20, validators=[portal.validators.PersonNameValidator('姓（漢字）')], verbose_name='姓（漢字）')),
                        ('given_name', models.CharField(max_length=20, validators=[portal.validators.PersonNameValidator('名（漢字）')], verbose_name='名（漢字）')),
                        ('family_kana', models.CharField(max_length=40, validators=[portal.validators.KatakanaValidator('姓（カナ）')], verbose_name='姓（カナ）')),
                        ('given_kana', models.CharField(max_length=40, validators=[portal.validators.KatakanaValidator('名（カナ）')], verbose_name='名（カナ）')),
                        ('birth_date', models.DateField(verbose_name='生年月日')),
                        ('score', models.PositiveSmallIntegerField(verbose_name='点数')),
                        ('private_pass_date', models.DateField(blank=True, null=True, verbose_name='民間資格の合格日')),
                        ('private_pass_number', models.CharField(blank=True, max_length=40, verbose_name='民間資格の合格番号')),
                        ('report', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='completers', to='exams.resultreport', verbose_name='修了試験結果の報告')),
                    ],
                    options={
                        'verbose_name': '修了認定者',
                        'verbose_name_plural': '修了認定者',
                        'db_table': 'exams_completer',
                        'ordering': ['report', 'serial'],
                        'constraints': [models.UniqueConstraint(fields=('report', 'serial'), name='unique_completer_serial'), models.CheckConstraint(condition=models.Q(('serial__gte', 1), ('serial__lte', 99999)), name='completer_serial_5_digits'), models.CheckConstraint(condition=django.db.models.lookups.Exact(django.db.models.functions.text.Length('management_number'), 16), name='completer_number_16_characters')],
                    },
                ),
            ],
        ),
    ]
