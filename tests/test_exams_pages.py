"""Exam pages: the provider's dashboard shows the open windows that concern
them (I1), and the exam list pages do not grow in queries with their rows."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses.models import DeliveryExam
from exams import services
from exams.models import ExamSession

from .course_factories import certified_course

pytestmark = pytest.mark.django_db
ROLES = {
    "exam_site": "東京都文京区本駒込2-28-8", "manager": "情報 太郎", "manager_deputy": "情報 花子",
    "electronic_keeper": "情報 花子", "printer": "情報 花子", "printed_keeper": "情報 花子",
    "storage_method": "金庫", "exam_executive": "情報 太郎", "grading_lead": "情報 太郎",
    "graders": 2, "grading_passes": 2,
}  # fmt: skip


@pytest.fixture
def open_exam(provider_a, staff_a, reviewer):
    """An exam whose application and report windows are both open now."""
    now = timezone.now()
    course = certified_course(provider_a, staff_a, reviewer)
    day = timezone.localdate() - datetime.timedelta(days=2)
    session = ExamSession.objects.create(
        exam_date=day, fiscal_year=2026, season="winter",
        application_opens_at=now - datetime.timedelta(days=1), application_closes_at=now + datetime.timedelta(hours=5),
        report_opens_at=now - datetime.timedelta(days=1), report_closes_at=now + datetime.timedelta(days=2),
    )  # fmt: skip
    type(course).objects.filter(pk=course.pk).update(valid_until=day + datetime.timedelta(days=300))
    delivery = course.delivery_courses.get()
    type(delivery).objects.filter(pk=delivery.pk).update(end_date=day - datetime.timedelta(days=1))
    DeliveryExam.objects.filter(delivery_course=delivery).delete()
    DeliveryExam.objects.create(
        delivery_course=delivery, row="upper", slot=1, kind="ipa", session=session
    )
    return session, delivery


def test_i1_dashboard_counts_down_to_the_open_application_and_report_windows(
    client, staff_a, provider_a, open_exam
):
    session, delivery = open_exam
    client.force_login(staff_a)
    page = client.get(reverse("home")).content.decode()
    assert "修了試験の申込み締切は" in page
    assert "あと4時間" in page or "あと5時間" in page
    site = services.save_site(provider_a, staff_a, session.pk, ROLES)
    services.save_application(site.pk, staff_a, delivery.pk, 4)
    services.submit_applications(site.pk, staff_a)
    page = client.get(reverse("home")).content.decode()
    assert "修了試験の申込み締切は" not in page  # nothing left to apply for
    assert "結果報告が1件残っています" in page


def test_exam_pages_cost_the_same_with_more_rows(client, staff_a, reviewer, provider_a, open_exam):
    session, _ = open_exam
    client.force_login(reviewer)
    urls = [reverse("review_exams"), reverse("review_exam_session", args=[session.pk])]
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts[url] = len(queries)
    for n in range(12):  # twelve more exam dates on the calendar
        ExamSession.objects.create(exam_date=datetime.date(2030, 1, 1) + datetime.timedelta(days=7 * n),
                                   fiscal_year=2029, season="winter")  # fmt: skip
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert len(queries) <= counts[url], url
    client.force_login(staff_a)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("exam_calendar")).status_code == 200
    assert len(queries) <= 20


PERSON = {"family_name": "情報", "given_name": "一郎", "family_kana": "ジョウホウ", "given_kana": "イチロウ",
          "birth_date": "1998-10-06", "score": "60"}  # fmt: skip


def _draft_report(provider_a, staff_a, open_exam, examinees=3):
    session, delivery = open_exam
    site = services.save_site(provider_a, staff_a, session.pk, ROLES)
    services.save_application(site.pk, staff_a, delivery.pk, 4)
    application = services.submit_applications(site.pk, staff_a)[0]
    report = services.open_report(application.pk, staff_a)
    services.update_report(report.pk, staff_a, {"examinees": examinees})
    return report


def test_r3_a_completer_is_opened_prefilled_and_updated_in_place(
    client, staff_a, provider_a, open_exam
):
    report = _draft_report(provider_a, staff_a, open_exam)
    client.force_login(staff_a)
    client.post(reverse("completer_add", args=[report.pk]), PERSON)
    completer = report.completers.get()
    url = reverse("completer_edit", args=[report.pk, completer.pk])
    page = client.get(reverse("report_detail", args=[report.pk])).content.decode()
    assert url in page and "開く" in page
    form = client.get(url).content.decode()
    for value in (
        "情報",
        "一郎",
        "ジョウホウ",
        "イチロウ",
        "1998-10-06",
        'value="60"',
        'value="1"',
    ):
        assert value in form
    response = client.post(url, {**PERSON, "serial": "1", "given_kana": "イチロー"})
    assert response.status_code == 302
    completer.refresh_from_db()
    assert (completer.pk, completer.given_kana) == (report.completers.get().pk, "イチロー")
    # A refused correction shows the form again with the message and what was typed.
    response = client.post(url, {**PERSON, "serial": "1", "score": "20"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "合格基準（36点）" in page and 'value="20"' in page
    completer.refresh_from_db()
    assert completer.score == 60


def test_newcomer_a_refused_completer_keeps_every_field_typed(
    client, staff_a, provider_a, open_exam
):
    report = _draft_report(provider_a, staff_a, open_exam)
    client.force_login(staff_a)
    typed = {**PERSON, "serial": "7", "given_kana": "イチロウ", "score": "12"}
    response = client.post(reverse("completer_add", args=[report.pk]), typed)
    page = response.content.decode()
    assert response.status_code == 200
    assert "合格基準（36点）" in page
    for value in ('value="7"', 'value="情報"', 'value="一郎"', 'value="ジョウホウ"',
                  'value="イチロウ"', 'value="1998-10-06"', 'value="12"'):  # fmt: skip
        assert value in page, value
    assert not report.completers.exists()


def test_e2_a_draft_application_shows_its_problem_fee_and_offers_shoshiki_3(
    client, staff_a, provider_a, open_exam
):
    from fees.models import FeeSchedule

    session, delivery = open_exam
    site = services.save_site(provider_a, staff_a, session.pk, ROLES)
    application = services.save_application(site.pk, staff_a, delivery.pk, 4)
    client.force_login(staff_a)
    url = reverse("exam_session", args=[session.pk])
    page = client.get(url).content.decode()
    assert "8,000円" in page  # 4 applicants × 2,000 円 before the fee line exists
    assert 'data-doc="shoshiki_3"' in page
    assert f"（{delivery.number}）を作成してダウンロード" in page
    assert reverse("document_request", args=["shoshiki_3", application.pk]) in page
    # The amount is the fee schedule's, not a number in the code.
    FeeSchedule.objects.filter(kind="problem").update(amount=2500)
    assert "10,000円" in client.get(url).content.decode()
    services.submit_applications(site.pk, staff_a)
    FeeSchedule.objects.filter(kind="problem").update(amount=3000)
    assert "10,000円" in client.get(url).content.decode()  # once filed: the fee line's amount


def test_e2_shoshiki_3_buttons_cost_the_same_queries_for_more_applications(
    client, staff_a, provider_a, open_exam
):
    from courses.models import DeliveryCourse

    session, delivery = open_exam
    site = services.save_site(provider_a, staff_a, session.pk, ROLES)
    services.save_application(site.pk, staff_a, delivery.pk, 4)
    client.force_login(staff_a)
    url = reverse("exam_session", args=[session.pk])
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    one = len(queries)
    for serial in (2, 3, 4):
        other = DeliveryCourse.objects.get(pk=delivery.pk)
        other.pk, other.serial = None, serial
        other.save()
        DeliveryExam.objects.create(delivery_course=other, row="upper", slot=1, kind="ipa",
                                    session=session)  # fmt: skip
        services.save_application(site.pk, staff_a, other.pk, 3)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url).content.decode()
    assert page.count('data-doc="shoshiki_3"') == 4
    assert len(queries) <= one


def test_e2_newcomer_the_exam_page_says_why_nothing_can_be_applied_for(
    client, staff_a, provider_a, open_exam
):
    session, delivery = open_exam
    client.force_login(staff_a)
    url = reverse("exam_session", args=[session.pk])
    assert "申し込めない理由" not in client.get(url).content.decode()  # it can apply
    # No delivery course names this exam in its exam rows.
    DeliveryExam.objects.filter(delivery_course=delivery).delete()
    page = client.get(url).content.decode()
    assert "この修了試験に申し込めない理由" in page
    assert "「修了試験」の欄（IPA提供問題）に設定した実施講座がありません" in page
    assert reverse("course_detail", args=[delivery.course_id]) in page
    # Named, but the delivery course ends after the exam.
    DeliveryExam.objects.create(delivery_course=delivery, row="upper", slot=1, kind="ipa",
                                session=session)  # fmt: skip
    type(delivery).objects.filter(pk=delivery.pk).update(end_date=session.exam_date)
    page = client.get(url).content.decode()
    assert f"実施講座 {delivery.number} の終了日" in page
    assert reverse("delivery_edit", args=[delivery.course_id, delivery.pk]) in page
    type(delivery).objects.filter(pk=delivery.pk).update(
        end_date=session.exam_date - datetime.timedelta(days=1)
    )
    # The window has not opened yet: say when it opens.
    opens = timezone.now() + datetime.timedelta(days=3)
    ExamSession.objects.filter(pk=session.pk).update(
        application_opens_at=opens, application_closes_at=opens + datetime.timedelta(days=7)
    )
    page = client.get(url).content.decode()
    local = timezone.localtime(opens)
    assert "申込み期間はまだ始まっていません" in page
    assert f"{local:%Y年%-m月%-d日}（" in page and f"{local:%H:%M}から" in page
    # The window is closed: nothing can be done for this exam; the calendar is linked.
    ExamSession.objects.filter(pk=session.pk).update(
        application_opens_at=timezone.now() - datetime.timedelta(days=9),
        application_closes_at=timezone.now() - datetime.timedelta(days=1),
    )
    page = client.get(url).content.decode()
    assert "締め切りました" in page and "修了試験の日程を見る" in page


def test_e2_newcomer_a_provider_without_a_certified_course_is_told_to_get_one(
    provider_b, open_exam
):
    session, _ = open_exam
    texts = [b.text for b in services.application_blockers(provider_b, session)]
    assert any("免除対象講座がまだありません" in t for t in texts)
