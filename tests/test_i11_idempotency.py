"""Issue 11, item 3: the same create form posted twice — a double click or two
posts at the same moment — creates one object; the second post leads to the
first one's result (portal.idempotency)."""

import re
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courses.models import ExemptionCourse
from courses.rules import CourseType
from portal.idempotency import ALREADY_SENT, FIELD
from portal.models import IdempotencyKey

from .conftest import client_for


def _course_data(token):
    return {
        "course_type": CourseType.NONE_IPA,
        "name": "2027年度講座二重送信",
        "desired_month": "2027-06",
        "attendance_ratio": "70%",
        "course_manager": "情報\u3000次郎",
        "total_hours": "100.00",
        "learning_mode": "classroom",
        FIELD: token,
    }


def _token(page) -> str:
    match = re.search(rf'name="{FIELD}" value="([^"]+)"', page.content.decode())
    assert match, "the create form carries no one-time token"
    return match.group(1)


def _accept_terms(provider):
    provider.terms_accepted_at = timezone.now()
    provider.save(update_fields=["terms_accepted_at"])


@pytest.mark.django_db
def test_i11_idempotency_a_double_posted_course_form_creates_one_course(
    provider_a, staff_a, client
):
    _accept_terms(provider_a)
    user = client_for(client, staff_a)
    token = _token(user.get(reverse("course_create")))
    first = user.post(reverse("course_create"), _course_data(token))
    assert first.status_code == 302, (
        first.context["form"].errors,
        [str(m) for m in first.context["messages"]],
    )
    second = user.post(reverse("course_create"), _course_data(token))
    assert ExemptionCourse.objects.filter(provider=provider_a).count() == 1
    assert second.status_code == 302 and second["Location"] == first["Location"]
    page = user.get(second["Location"])
    assert ALREADY_SENT in page.content.decode()
    # a new form has a new token and creates a second course
    assert _token(user.get(reverse("course_create"))) != token


@pytest.mark.django_db
def test_i11_idempotency_a_form_with_errors_keeps_nothing_and_a_new_token_creates(
    provider_a, staff_a, client
):
    _accept_terms(provider_a)
    user = client_for(client, staff_a)
    token = _token(user.get(reverse("course_create")))
    refused = user.post(reverse("course_create"), {**_course_data(token), "name": ""})
    assert refused.status_code == 200 and not ExemptionCourse.objects.exists()
    fresh = _token(refused)
    assert fresh != token
    done = user.post(reverse("course_create"), _course_data(fresh))
    assert done.status_code == 302
    assert ExemptionCourse.objects.count() == 1


@pytest.mark.django_db
def test_i11_idempotency_a_refused_form_posted_twice_is_refused_twice_with_what_was_typed(
    provider_a, staff_a, client
):
    """A double click on a form the server refuses: the second answer is the
    form with its errors and the typed values again, not a redirect to the
    POST-only URL (which answered 405 and lost what was typed)."""
    _accept_terms(provider_a)
    user = client_for(client, staff_a)
    token = _token(user.get(reverse("course_create")))
    typed = {**_course_data(token), "name": "", "course_manager": "情報\u3000三郎"}
    for _ in range(2):
        answer = user.post(reverse("course_create"), typed)
        assert answer.status_code == 200
        assert answer.context["form"].errors["name"]
        assert "情報\u3000三郎" in answer.content.decode()
    assert not ExemptionCourse.objects.exists()
    done = user.post(reverse("course_create"), _course_data(token))  # corrected
    assert done.status_code == 302 and ExemptionCourse.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_i11_idempotency_two_simultaneous_posts_create_one_course(provider_a, staff_a):
    _accept_terms(provider_a)
    token = "t" * 32
    barrier = threading.Barrier(2)
    answers, errors = [], []

    def post():
        try:
            browser = Client()
            browser.force_login(staff_a)
            barrier.wait(timeout=10)
            answers.append(browser.post(reverse("course_create"), _course_data(token)))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert not errors, errors
    assert [a.status_code for a in answers] == [302, 302]
    assert len({a["Location"] for a in answers}) == 1
    assert ExemptionCourse.objects.filter(provider=provider_a).count() == 1
    assert IdempotencyKey.objects.filter(token=token).count() == 1


def test_i11_idempotency_every_create_view_is_wrapped():
    from certifications import views as certification_views
    from courses import views as course_views
    from exams import views as exam_views
    from exams.examday import views as examday_views
    from providers import change_views, question_views

    views = [
        course_views.course_create, course_views.delivery_form, course_views.delivery_change,
        course_views.course_attachments, exam_views.site_form, exam_views.application_save,
        exam_views.reviewed_report_create, question_views.question_create,
        certification_views.completer_add, certification_views.completer_upload,
        certification_views.certificate_copy_upload, examday_views.special_measure_create,
        change_views.provider_change,
    ]  # fmt: skip
    for view in views:
        assert getattr(view, "idempotent", False), view.__name__
