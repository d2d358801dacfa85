"""Item 22: no raw codes where people read — no rule IDs (C8, R13, 「（R5）」),
enum values (NONE_IPA, draft), transitions (``draft → submitted``), action
codes or English column headers in pages, messages, the audit trail or the
admin; Japanese error pages with the portal's navigation; a favicon."""

import io
import re
import tokenize
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from certifications import services as completer_services
from courses.models import ExemptionCourse
from exams import services as exam_services
from exams.models import ResultReport
from portal import audit
from portal.models import AuditEntry
from providers import services as provider_services
from providers.models import Registration

from .course_factories import complete_course
from .factories import signup_and_confirm, signup_post_data
from .test_exams_pages import ROLES, open_exam  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

RULE_ID = re.compile(r"(?<![A-Za-z0-9_])[A-Z]\d{1,2}(?![A-Za-z0-9_])")
PAPER = {"A3", "A4", "A5", "B4", "B5"}  # paper sizes are words, not codes
ACTION_CODE = re.compile(r"\b[a-z_]+\.[a-z_]+\b")
PERSON = {"family_name": "情報", "given_name": "一郎", "family_kana": "ジョウホウ",
          "given_kana": "イチロウ", "birth_date": "1998-10-06", "score": 60}  # fmt: skip


def _enum_values() -> set[str]:
    """Every stored choice value of the project's models (draft, NONE_IPA, ...)."""
    values = set()
    for model in apps.get_models():
        if model._meta.app_label not in {"portal", "providers", "courses", "exams", "fees"}:
            continue
        for field in model._meta.get_fields():
            for value, _label in getattr(field, "flatchoices", None) or []:
                if isinstance(value, str) and re.fullmatch(r"[A-Za-z_]{3,}", value):
                    values.add(value)
    return values


class _Visible(HTMLParser):
    """The text a person reads: text outside script/style, and the attributes
    shown or spoken (title, placeholder, aria-label, data-confirm, alt)."""

    SHOWN = {"title", "placeholder", "aria-label", "data-confirm", "alt"}

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        self.parts += [v for k, v in attrs if k in self.SHOWN and v]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return "\n".join(p.strip() for p in parser.parts if p.strip())


def assert_readable(html: str, where: str, enums: set[str]):
    text = visible_text(html)
    ids = set(RULE_ID.findall(text)) - PAPER
    assert not ids, f"rule IDs {sorted(ids)} on {where}: " + _around(text, RULE_ID)
    for value in enums:
        hit = re.search(rf"(?<![A-Za-z0-9_@.-]){re.escape(value)}(?![A-Za-z0-9_@-])", text)
        assert not hit, (
            f"enum value {value!r} on {where}: " + text[max(0, hit.start() - 60) : hit.end() + 60]
        )
    assert not re.search(r"[a-z_]+ → [a-z_]+", text), f"raw transition on {where}"
    codes = [c for c in ACTION_CODE.findall(text) if c.split(".")[0] in _ACTION_PREFIXES]
    assert not codes, f"action codes {codes} on {where}"


_ACTION_PREFIXES = {"auth", "registration", "provider", "course", "delivery", "syllabus", "exam_site",
                    "exam_application", "report", "completer", "special_measure", "payment_request",
                    "payment", "document", "admin"}  # fmt: skip


def _around(text, pattern):
    m = pattern.search(text)
    return text[max(0, m.start() - 60) : m.end() + 60] if m else ""


@pytest.fixture
def year(client, provider_a, staff_a, reviewer, open_exam):  # noqa: F811
    """A year of the scheme: a registration returned and resubmitted, a course
    submitted, paid, approved and certified (certified_course), a second course
    returned, an exam applied for and a report with completers submitted."""
    session, delivery = open_exam
    signup_and_confirm(client, signup_post_data(email="new@example.jp"))
    registration = Registration.objects.get()
    provider_services.return_registration(
        registration.pk, reviewer, "代表者の役職を確認してください。", {}
    )
    returned = complete_course(provider_a, staff_a, with_delivery=False)
    ExemptionCourse.objects.filter(pk=returned.pk).update(
        state="returned", return_reason="受講計画の時間を確認してください。"
    )
    site = exam_services.save_site(provider_a, staff_a, session.pk, ROLES)
    application = exam_services.save_application(site.pk, staff_a, delivery.pk, 4)
    exam_services.submit_applications(site.pk, staff_a)
    report = exam_services.open_report(application.pk, staff_a)
    exam_services.update_report(
        report.pk, staff_a, {"examinees": 4, "certified_on": session.exam_date}
    )
    completer_services.add_completer(report.pk, staff_a, PERSON)
    ResultReport.objects.filter(pk=report.pk).update(state="submitted")
    return {"registration": registration, "course": delivery.course, "returned": returned,
            "delivery": delivery, "session": session, "report": report}  # fmt: skip


def test_newcomer_no_raw_codes_in_provider_and_reviewer_pages(client, staff_a, reviewer, year):
    enums = _enum_values()
    course, report = year["course"], year["report"]
    provider_pages = [
        reverse("home"), reverse("course_list"), reverse("course_detail", args=[course.pk]),
        reverse("course_detail", args=[year["returned"].pk]),
        reverse("course_plan", args=[year["returned"].pk]), reverse("course_edit", args=[year["returned"].pk]),
        reverse("exam_calendar"), reverse("exam_session", args=[year["session"].pk]),
        reverse("report_detail", args=[report.pk]), reverse("fee_list"), reverse("provider_profile"),
    ]  # fmt: skip
    reviewer_pages = [
        reverse("home"), reverse("review_queue"), reverse("review_detail", args=[year["registration"].pk]),
        reverse("review_course_queue"), reverse("review_course_detail", args=[course.pk]),
        reverse("review_course_detail", args=[year["returned"].pk]),
        reverse("review_exams"), reverse("review_exam_session", args=[year["session"].pk]),
        reverse("review_report", args=[report.pk]), reverse("review_payments"),
    ]  # fmt: skip
    for user, pages in ((staff_a, provider_pages), (reviewer, reviewer_pages)):
        client.force_login(user)
        for url in pages:
            response = client.get(url, follow=True)
            assert response.status_code == 200, url
            assert_readable(response.content.decode(), url, enums)


def test_newcomer_no_raw_codes_in_the_audit_trail(client, reviewer, year):
    course = year["course"]
    client.force_login(reviewer)
    page = visible_text(
        client.get(reverse("review_course_detail", args=[course.pk])).content.decode()
    )
    reviewer_name = reviewer.display_name
    assert (
        f"{reviewer_name} が 免除対象講座 {course.number} {course.name} を承認しました（審査待ち → 承認済み）"
        in page
    )
    assert "を認定しました（承認済み → 認定済み）" in page
    assert "course.approve" not in page and "approved" not in page
    registration_page = client.get(reverse("review_detail", args=[year["registration"].pk]))
    text = visible_text(registration_page.content.decode())
    assert "を差し戻しました（審査待ち → 差し戻し中）" in text, text
    report_page = visible_text(
        client.get(reverse("review_report", args=[year["report"].pk])).content.decode()
    )
    assert "に修了認定者を登録しました" in report_page


def test_newcomer_no_raw_codes_in_every_audit_sentence(db):
    """Every action the services write reads as Japanese, whatever the object."""
    for code in list(audit.ACTIONS) + ["admin.provider.change", "something.new"]:
        entry = AuditEntry(action=code, actor_label="（未ログイン）", object_repr="対象の名前",
                           changes={"state": ["draft", "submitted"]})  # fmt: skip
        entry.content_type = ContentType.objects.get_for_model(ExemptionCourse)
        text = audit.sentence(entry)
        assert not re.search(r"[a-z_]{3,}", text.replace("（未ログイン）", "")), (code, text)
        assert audit.action_label(code) and not ACTION_CODE.search(audit.action_label(code))


def test_newcomer_no_raw_codes_in_admin_changelists(client, ipa_admin, year):
    enums = _enum_values()
    client.force_login(ipa_admin)
    for model, _model_admin in admin.site._registry.items():
        if model._meta.app_label not in {"portal", "providers", "courses", "exams", "fees"}:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        headers = [visible_text(chunk.split("</th>")[0].split(">", 1)[-1])
                   for chunk in html.split('<th scope="col"')[1:]]  # fmt: skip
        english = [h for h in headers if re.fullmatch(r"[A-Za-z _]+", h)]
        assert not english, f"English column headers {english} in {url}"
        results = (
            html.split('id="result_list"')[-1].split("</table>")[0] if "result_list" in html else ""
        )
        assert_readable(results, url, enums)


def test_newcomer_no_raw_codes_in_message_strings():
    """Messages in the services, forms, views and rules carry no rule IDs such
    as 「（R5）」; the IDs live in code comments and docstrings."""
    pattern = re.compile(
        r"[（(][A-Z]\d{1,2}(?:\s*[、・,/]\s*[A-Z]?\d{1,2})*[）)]|[。、][A-Z]\d{1,2}[）)]"
    )
    offenders = []
    for app in ("portal", "providers", "courses", "exams", "fees", "certifications"):
        for path in Path(settings.BASE_DIR, app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            tokens = list(tokenize.generate_tokens(io.StringIO(path.read_text()).readline))
            for i, tok in enumerate(tokens):
                if tok.type != tokenize.STRING or not pattern.search(tok.string):
                    continue
                before = [t for t in tokens[:i] if t.type not in (tokenize.NL, tokenize.COMMENT)]
                docstring = (not before or before[-1].type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)) \
                    and tokens[i + 1].type in (tokenize.NEWLINE, tokenize.ENDMARKER)  # fmt: skip
                if not docstring:
                    offenders.append(f"{path.name}:{tok.start[0]} {tok.string[:70]}")
    assert not offenders, offenders
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        assert not pattern.search(path.read_text()), path


@pytest.mark.parametrize("status", [403, 404])
def test_newcomer_no_raw_codes_error_pages_in_japanese_with_navigation(
    client, staff_a, year, status
):
    client.force_login(staff_a)
    if status == 404:
        response = client.get("/no-such-page/")
        heading = "ページが見つかりません"
    else:
        response = client.get(reverse("review_queue"))  # a provider is not a reviewer
        heading = "権限がありません"
    assert response.status_code == status
    html = response.content.decode()
    assert heading in html and 'lang="ja"' in html
    assert (
        'aria-label="メインメニュー"' in html and reverse("course_list") in html
    )  # the provider's menu
    assert "jitec-kouza@ipa.go.jp" in html and "お問い合わせ先" in html
    assert "Not Found" not in html and "Forbidden" not in html
    assert_readable(html, str(status), _enum_values())


def test_newcomer_no_raw_codes_500_page_renders_without_the_database(django_assert_num_queries):
    from django.test import RequestFactory
    from django.views.defaults import server_error

    with django_assert_num_queries(0):
        response = server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "システムエラーが発生しました" in html and "jitec-kouza@ipa.go.jp" in html
    assert reverse("home") in html and reverse("login") in html


def test_newcomer_favicon_is_linked_and_served(client):
    html = client.get(reverse("login")).content.decode()
    href = re.search(r'<link rel="icon" href="([^"]+)"', html).group(1)
    assert client.get(href).status_code == 200
    assert Path(settings.BASE_DIR, "static", "favicon.svg").exists()


def test_newcomer_no_raw_codes_csrf_failure_page_in_japanese():
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post(reverse("login"), {"username": "a", "password": "b"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "送信を受け付けられませんでした" in html and "CSRF" not in visible_text(html)


JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff01-\uff9f]")
ENGLISH_WORD = re.compile(r"[a-z]{2,}")  # acronyms such as PDF, MIME or SHA-256 are fine


def _admin_models():
    """The models of the admin: the registered ones, their inlines and their
    change histories (simple-history)."""
    models = []
    for model, model_admin in admin.site._registry.items():
        models += [model] + [inline.model for inline in model_admin.inlines]
    models += [m.history.model for m in list(models) if hasattr(m, "history")]
    return list(dict.fromkeys(models))


def _is_japanese(label) -> bool:
    return bool(JAPANESE.search(str(label))) and not ENGLISH_WORD.search(str(label))


def test_newcomer_every_admin_label_is_japanese():
    offenders = []
    for model in _admin_models():
        opts = model._meta
        for label in (opts.verbose_name, opts.verbose_name_plural):
            if not _is_japanese(label):
                offenders.append(f"{opts.label}: {label}")
        for field in opts.get_fields(include_hidden=True):
            if not hasattr(field, "verbose_name") or (field.name == "id" and field.auto_created):
                continue
            if not _is_japanese(field.verbose_name):
                offenders.append(f"{opts.label}.{field.name}: {field.verbose_name}")
    assert not offenders, offenders
    # The built-in permissions the group page lists are named in Japanese too.
    from django.contrib.auth.models import Permission

    names = Permission.objects.values_list("name", flat=True)
    english = [name for name in names if not _is_japanese(name)]
    assert names and not english, english[:5]


ENGLISH_LABEL = re.compile(
    r"<label[^>]*>\s*([A-Za-z][A-Za-z /_-]*)\s*:?\s*</label>|<label[^>]*>[A-Za-z ]+:"
)


def _english_headers(html: str) -> list[str]:
    heads = "".join(re.findall(r"<thead.*?</thead>", html, re.S))
    headers = [visible_text(chunk.split("</th>")[0].split(">", 1)[-1])
               for chunk in heads.split("<th")[1:]]  # fmt: skip
    return [h for h in headers if ENGLISH_WORD.search(h) and not JAPANESE.search(h)]


def test_newcomer_no_english_labels_on_admin_pages(client, ipa_admin, year):
    """Every changelist, one change page per model with data, and the change
    histories read in Japanese: no English field label or column header."""
    from django.contrib.auth.models import Group

    assert Group.objects.exists()
    client.force_login(ipa_admin)
    seen = 0
    for model in admin.site._registry:
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls = [reverse(f"{name}_changelist")]
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            urls.append(reverse(f"{name}_change", args=[obj.pk]))
            if hasattr(model, "history"):
                urls.append(reverse(f"{name}_history", args=[obj.pk]))
                record = obj.history.order_by("history_id").first()
                if record is not None:
                    urls.append(reverse(f"{name}_simple_history", args=[obj.pk, record.history_id]))
            seen += 1
        add = reverse(f"{name}_add")
        for url in urls + [add]:
            response = client.get(url)
            if url == add and response.status_code == 403:
                continue  # nothing is added here (e.g. providers come from registrations)
            assert response.status_code == 200, url
            html = response.content.decode()
            labels = ENGLISH_LABEL.findall(html) or re.findall(r"<label[^>]*>[A-Za-z ]+:", html)
            assert not labels, f"English field labels {labels} on {url}"
            assert not _english_headers(html), f"English headers {_english_headers(html)} on {url}"
            for english in ("History", "Change reason", "Changed by", "Date/time", "historical"):
                assert english not in visible_text(html), f"{english!r} on {url}"
    assert seen >= 10  # the year's data fills most of the admin
    # The change history names fields and values in Japanese, dates as dates.
    registration = year["registration"]
    url = reverse("admin:providers_registration_history", args=[registration.pk])
    text = visible_text(client.get(url).content.decode())
    assert re.search(r"状態:\s*審査待ち\s*→\s*差し戻し中", text), text[-800:]
    assert re.search(r"差し戻し日時:\s*（なし）\s*→\s*\d{4}/\d\d/\d\d \d\d:\d\d:\d\d", text)
    assert "None" not in text and "submitted" not in text and "+00:00" not in text


@pytest.mark.django_db
def test_newcomer_an_english_browser_still_gets_japanese_dates(client):
    """A browser that prefers English (as a default headless one does) gets the
    same Japanese page: weekdays read （日）, not （Sun）."""
    import datetime

    from calendars.models import ExamSession

    ExamSession.objects.create(
        exam_date=datetime.date(2030, 6, 9), fiscal_year=2030, season="summer"
    )
    from tests.factories import MembershipFactory

    client.force_login(MembershipFactory().user)
    html = client.get("/exams/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "2030年6月9日（日）" in html
    assert "（Sun）" not in html
