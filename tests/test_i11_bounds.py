"""Issue 11, item 4 (integers and text lengths): every form bounds its numbers
and texts by their columns, so a 30-digit number or an over-long title is a
Japanese form error and never a database error (PostgreSQL raises DataError)."""

import importlib
import inspect
import pkgutil

import pytest
from django import forms
from django.urls import reverse

from courses.models import ExemptionCourse
from exams.models import ExamApplication

from .conftest import client_for
from .test_exams_services import setup  # noqa: F401  (fixture)

APPS = ["portal", "providers", "courses", "exams", "certifications", "fees", "calendars"]


def project_form_classes():
    found = {}
    for app in APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            if info.name.endswith(("settings", "settings_test", "wsgi", "celery")):
                continue
            module = importlib.import_module(info.name)
            for cls in vars(module).values():
                if (
                    inspect.isclass(cls)
                    and issubclass(cls, forms.BaseForm)
                    and cls.__module__.split(".")[0] in APPS
                ):
                    found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return found


def _exempt(field) -> bool:
    # Passwords are hashed (no column); AuthenticationForm sets the username's
    # max_length from the user model when the form is made.
    from django.contrib.auth.forms import UsernameField

    return isinstance(field.widget, forms.PasswordInput) or isinstance(field, UsernameField)


def test_i11_bounds_every_form_field_has_a_max_value_or_max_length():
    classes = project_form_classes()
    assert len(classes) > 30, sorted(classes)
    missing = []
    for name, cls in sorted(classes.items()):
        for field_name, field in cls.base_fields.items():
            if _exempt(field):
                continue
            if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
                if field.max_value is None:
                    missing.append(f"{name}.{field_name}: max_value")
            elif isinstance(field, forms.CharField) and field.max_length is None:
                missing.append(f"{name}.{field_name}: max_length")
    assert not missing, missing


def test_i11_bounds_model_form_integers_stop_at_their_column():
    from courses.forms import DeliveryCourseForm

    field = DeliveryCourseForm.base_fields["expected_learners"]
    assert field.max_value == 2147483647
    with pytest.raises(forms.ValidationError):
        field.clean("1" * 30)


@pytest.mark.django_db
def test_i11_bounds_a_30_digit_applicant_count_is_a_japanese_error_not_a_500(
    setup,  # noqa: F811
    staff_a,
    client,
    monkeypatch,
):
    from django.utils import timezone

    from .test_exams_services import IN_APPLY

    user = client_for(client, staff_a)
    monkeypatch.setattr(timezone, "now", lambda: IN_APPLY)  # inside the application window
    if True:
        response = user.post(
            reverse("application_save", args=[setup["site"].pk]),
            {"delivery_course": setup["delivery"].pk, "applicants": "1" * 30},
            follow=True,
        )
    assert response.status_code == 200
    assert "「応募者数」は99,999名以下にしてください。" in response.content.decode()
    assert not ExamApplication.objects.exists()


@pytest.mark.django_db
def test_i11_bounds_a_10000_character_title_and_a_30_digit_number_are_form_errors(
    provider_a, staff_a, client
):
    from .course_factories import complete_course

    course = complete_course(provider_a, staff_a, with_delivery=False)
    user = client_for(client, staff_a)
    before = ExemptionCourse.objects.count()
    page = user.post(reverse("course_create"), {"name": "講" * 10_000, "total_hours": "1" * 30})
    assert page.status_code == 200
    html = page.content.decode()
    assert "文字以内で入力してください" in html
    assert ExemptionCourse.objects.count() == before
    page = user.post(
        reverse("delivery_create", args=[course.pk]),
        {"name": "講" * 10_000, "expected_learners": "9" * 30},
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "2,147,483,647以下" in html
    assert not course.delivery_courses.exists()


def test_i11_bounds_a_certificate_copy_title_over_its_column_is_refused_before_saving():
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from certifications import services

    upload = SimpleUploadedFile("copy.pdf", b"%PDF-1.4\n%%EOF")
    with pytest.raises(ValidationError, match="「内容」は100文字以内"):
        services.add_certificate_copy(0, None, "合" * 10_000, upload)
