"""Item 21: every action that cannot be undone (submit, accept, approve,
certify, return, delete, delete-all) asks once, naming the object and what
follows — one mechanism (static/js/confirm.js reading data-confirm), no inline
scripts."""

import datetime
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from certifications import services as completer_services
from courses.models import DeliveryCourse, ExemptionCourse
from exams import services as exam_services
from exams.models import ResultReport
from providers import services
from providers.models import Registration

from .course_factories import certified_course, complete_course
from .factories import PASSWORD, registration_values
from .test_exams_pages import ROLES, open_exam  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

# The labels of the buttons whose action cannot be undone.
IRREVERSIBLE = re.compile(
    r"確定|受理|承認|認定する|削除|取り下げ|取下げ|差し戻|修了試験結果を報告|申請する|を申請|入金を確認"
)
PERSON = {"family_name": "情報", "given_name": "一郎", "family_kana": "ジョウホウ",
          "given_kana": "イチロウ", "birth_date": datetime.date(1998, 10, 6), "score": 60}  # fmt: skip


class _Buttons(HTMLParser):
    def __init__(self):
        super().__init__()
        self.buttons, self._open, self.onclick = [], None, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if any(k.startswith("on") for k in attrs):
            self.onclick.append((tag, attrs))
        if tag == "button":
            self._open = [attrs, ""]

    def handle_data(self, data):
        if self._open is not None:
            self._open[1] += data

    def handle_endtag(self, tag):
        if tag == "button" and self._open is not None:
            self.buttons.append((self._open[1].strip(), self._open[0]))
            self._open = None


def _irreversible(client, url, *names, expect):
    """The page's irreversible buttons; each must ask, naming every one of names."""
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    parser = _Buttons()
    parser.feed(html)
    assert not parser.onclick, f"inline script handlers on {url}: {parser.onclick}"
    assert "js/confirm.js" in html
    found = [(label, attrs) for label, attrs in parser.buttons if IRREVERSIBLE.search(label)]
    labels = [label for label, _ in found]
    for wanted in expect:
        assert any(wanted in label for label in labels), (url, wanted, labels)
    for label, attrs in found:
        text = attrs.get("data-confirm")
        assert text, f"「{label}」 on {url} does not ask for confirmation"
        assert text.endswith("よろしいですか？"), text
        for name in names:
            assert name in text, f"「{label}」 asks 「{text}」 without naming {name}"
    return found


def test_newcomer_confirm_course_detail_and_checklist(client, provider_a, staff_a):
    course = complete_course(provider_a, staff_a)
    client.force_login(staff_a)
    found = _irreversible(
        client, reverse("course_detail", args=[course.pk]), course.number,
        expect=["確定して申請", "削除する", "削除"],
    )  # fmt: skip
    submit = next(attrs for label, attrs in found if "確定" in label)
    assert "編集できません" in submit["data-confirm"]
    ExemptionCourse.objects.filter(pk=course.pk).update(state="returned")
    _irreversible(client, reverse("course_detail", args=[course.pk]), course.number,
                  expect=["申請を取り下げる"])  # fmt: skip


def test_newcomer_confirm_course_review(client, provider_a, staff_a, reviewer):
    course = complete_course(provider_a, staff_a)
    ExemptionCourse.objects.filter(pk=course.pk).update(
        state="submitted", payment_confirmed_on=datetime.date(2024, 8, 21),
        review_started_on=datetime.date(2024, 8, 22),
    )  # fmt: skip
    client.force_login(reviewer)
    url = reverse("review_course_detail", args=[course.pk])
    _irreversible(client, url, course.number, expect=["承認する", "差し戻す"])
    ExemptionCourse.objects.filter(pk=course.pk).update(state="approved")
    _irreversible(client, url, course.number, expect=["認定する"])


def test_newcomer_confirm_delivery_course_review(client, provider_a, staff_a, reviewer):
    course = certified_course(provider_a, staff_a, reviewer)
    delivery = course.delivery_courses.get()
    DeliveryCourse.objects.filter(pk=delivery.pk).update(state="submitted")
    client.force_login(reviewer)
    _irreversible(client, reverse("review_course_detail", args=[course.pk]), delivery.number,
                  expect=["承認", "差し戻す"])  # fmt: skip
    DeliveryCourse.objects.filter(pk=delivery.pk).update(state="draft")
    client.force_login(staff_a)
    _irreversible(client, reverse("course_detail", args=[course.pk]), delivery.number,
                  expect=["この実施講座を申請", "削除"])  # fmt: skip


def test_newcomer_confirm_registration_signup_and_review(client, reviewer):
    # Issue 11: the sign-up only mails a link; its 確認画面 submits.
    token = services.start_signup(registration_values(), PASSWORD)
    _irreversible(client, reverse("registration_confirm", args=[token]), "登録申請",
                  expect=["確定して申請"])  # fmt: skip
    client.post(reverse("registration_confirm", args=[token]))
    registration = Registration.objects.get()
    client.force_login(reviewer)
    _irreversible(
        client, reverse("review_detail", args=[registration.pk]), registration.name,
        expect=["受理して番号を付与する", "差し戻す", "取下げとして処理する"],
    )  # fmt: skip


def test_newcomer_confirm_exam_session_report_and_delete_all(
    client,
    provider_a,
    staff_a,
    reviewer,
    open_exam,  # noqa: F811
):
    session, delivery = open_exam
    site = exam_services.save_site(provider_a, staff_a, session.pk, ROLES)
    application = exam_services.save_application(site.pk, staff_a, delivery.pk, 4)
    client.force_login(staff_a)
    _irreversible(client, reverse("exam_session", args=[session.pk]), site.exam_site,
                  f"{session.exam_date.month}月{session.exam_date.day}日", expect=["申込みを確定する"])  # fmt: skip
    exam_services.submit_applications(site.pk, staff_a)
    report = exam_services.open_report(application.pk, staff_a)
    exam_services.update_report(
        report.pk, staff_a, {"examinees": 4, "certified_on": session.exam_date}
    )
    completer_services.add_completer(report.pk, staff_a, PERSON)
    completer_services.add_completer(
        report.pk, staff_a, {**PERSON, "given_name": "二郎", "given_kana": "ジロウ"}
    )
    found = _irreversible(
        client, reverse("report_detail", args=[report.pk]), report.number,
        expect=["選んだ修了認定者を削除", "全員を削除", "修了試験結果を報告する"],
    )  # fmt: skip
    delete_all = next(attrs for label, attrs in found if "全員" in label)
    assert "2名を全員削除" in delete_all["data-confirm"]
    ResultReport.objects.filter(pk=report.pk).update(state="submitted")
    client.force_login(reviewer)
    _irreversible(client, reverse("review_report", args=[report.pk]), report.number,
                  expect=["受理", "差し戻す"])  # fmt: skip


def test_newcomer_confirm_is_one_static_script_without_inline_code():
    script = Path(settings.BASE_DIR, "static", "js", "confirm.js").read_text()
    assert "data-confirm" in script and "window.confirm" in script
    templates = Path(settings.BASE_DIR, "templates")
    for path in templates.rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"\son(click|submit)=", text), path
        assert "<script>" not in text, path
