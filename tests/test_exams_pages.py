"""Exam pages: the provider's dashboard shows the open windows that concern
them (I1), and the exam list pages do not grow in queries with their rows."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from calendars.models import ExamSession
from certifications import services as completer_services
from courses.models import DeliveryExam
from exams import services

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


def test_r4_one_by_one_form_proposes_the_next_free_serial_of_the_month(
    client, staff_a, provider_a, open_exam
):
    from certifications.models import Completer

    session, delivery = open_exam
    site = services.save_site(provider_a, staff_a, session.pk, ROLES)
    services.save_application(site.pk, staff_a, delivery.pk, 4)
    application = services.submit_applications(site.pk, staff_a)[0]
    report = services.open_report(application.pk, staff_a)
    services.update_report(report.pk, staff_a, {"examinees": 4, "certified_on": session.exam_date})
    completer_services.add_completer(report.pk, staff_a, {
        "serial": 7, "family_name": "情報", "given_name": "一郎", "family_kana": "ジョウホウ",
        "given_kana": "イチロウ", "birth_date": datetime.date(1998, 10, 6), "score": 60,
    })  # fmt: skip
    client.force_login(staff_a)
    page = client.get(reverse("report_detail", args=[report.pk])).content.decode()
    assert 'name="serial" value="8"' in page
    response = client.post(reverse("completer_add", args=[report.pk]), {
        "serial": "7", "family_name": "情報", "given_name": "二郎", "family_kana": "ジョウホウ",
        "given_kana": "ジロウ", "birth_date": "1997-05-22", "score": "54",
    }, follow=True)  # fmt: skip
    page = response.content.decode()
    assert f"{provider_a.number}-FE{session.exam_date:%y%m}-00007" in page
    assert "既に使われています" in page and "空いている番号は 00008" in page
    assert Completer.objects.count() == 1


def _busy_session(provider, staff, reviewer, deliveries=3):
    """The December 2024 exam with several applications and several reports."""
    from courses.models import DeliveryCourse
    from exams.models import ExamApplication, ExamSite, ResultReport

    course = certified_course(provider, staff, reviewer)
    first = course.delivery_courses.get()
    for n in range(2, deliveries + 1):
        DeliveryCourse.objects.create(
            course=course, serial=n, name=f"実施講座{n}", prefecture="東京都", address="文京区",
            expected_learners=10, start_date=first.start_date, end_date=first.end_date,
            instructors="講師名：情報 太郎",
        )  # fmt: skip
    session = ExamSession.objects.get(exam_date=datetime.date(2024, 12, 8))
    site = ExamSite.objects.create(provider=provider, session=session, **ROLES)
    states = ["submitted", "accepted", "draft"]
    for n, delivery in enumerate(course.delivery_courses.order_by("serial")):
        application = ExamApplication.objects.create(
            delivery_course=delivery, session=session, site=site, applicants=10 * (n + 1),
            state="submitted",
        )  # fmt: skip
        ResultReport.objects.create(
            delivery_course=delivery, serial=1, kind="ipa", application=application,
            session=session, exam_date=session.exam_date, applicants=application.applicants,
            state=states[n % 3],
        )  # fmt: skip
    ExamApplication.objects.create(  # a draft does not count
        delivery_course=first, session=ExamSession.objects.get(exam_date=datetime.date(2025, 1, 26)),
        site=site, applicants=5,
    )  # fmt: skip
    ResultReport.objects.create(  # an IPA審査 exam of the same month, reported late
        delivery_course=first, serial=2, kind="reviewed", session=session,
        exam_date=datetime.date(2024, 12, 1), applicants=4, state="submitted", late_flag=True,
    )  # fmt: skip
    return session


def _overview(client, session):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("review_exams"))
    row = next(s for s in response.context["sessions"] if s.pk == session.pk)
    return len(queries), (row.n_applications, row.n_applicants, row.n_reports, row.n_late)


def test_e2_ipa_exam_list_counts_applicants_and_reports_each_once(
    client, provider_a, staff_a, reviewer
):
    session = _busy_session(provider_a, staff_a, reviewer)
    client.force_login(reviewer)
    queries, counts = _overview(client, session)
    # 3 applications of 10 + 20 + 30 applicants; reports: submitted, accepted,
    # draft and the reviewed one (submitted, late) — 3 counted, 1 late.
    assert counts == (3, 60, 3, 1)
    from exams.models import ExamApplication, ResultReport

    delivery = ExamApplication.objects.filter(session=session).first().delivery_course
    ResultReport.objects.create(
        delivery_course=delivery, serial=3, kind="reviewed", session=session,
        exam_date=datetime.date(2024, 12, 2), applicants=4, state="accepted",
    )  # fmt: skip
    more_queries, counts = _overview(client, session)
    assert counts == (3, 60, 4, 1)
    assert more_queries == queries


def test_f3_e2_a_late_problem_fee_is_flagged_on_the_ipa_pages_and_decided_there(
    client, provider_a, staff_a, reviewer
):
    from fees import services as fee_services

    course = certified_course(provider_a, staff_a, reviewer)
    delivery = course.delivery_courses.get()
    session = ExamSession.objects.get(exam_date=datetime.date(2024, 12, 8))
    in_window = datetime.datetime(2024, 11, 10, 10, 0, tzinfo=datetime.UTC)
    site = services.save_site(provider_a, staff_a, session.pk, ROLES, now=in_window)
    services.save_application(site.pk, staff_a, delivery.pk, 3, now=in_window)
    application = services.submit_applications(site.pk, staff_a, now=in_window)[0]
    report = services.open_report(application.pk, staff_a)
    request = fee_services.create_payment_request(
        provider_a, staff_a, [application.fee_line_id],
        {"payment_date": datetime.date(2024, 11, 15), "bank": "銀行", "payer_name_kana": f"{provider_a.number}エー"},
    )  # fmt: skip
    fee_services.confirm_payment(request.pk, reviewer, datetime.date(2024, 11, 18))
    client.force_login(reviewer)
    row = next(
        s for s in client.get(reverse("review_exams")).context["sessions"] if s.pk == session.pk
    )
    assert row.n_late_payment == 1
    page = client.get(reverse("review_exam_session", args=[session.pk])).content.decode()
    assert "締切後の入金（入金日 2024/11/15）" in page
    assert "判断するまで、その実施講座には問題を提供せず" in page
    assert reverse("review_late_payment_decide", args=[application.pk]) in page
    page = client.get(reverse("review_report", args=[report.pk])).content.decode()
    assert "申込み締切より後の入金（入金日 2024/11/15）" in page
    response = client.post(
        reverse("review_late_payment_decide", args=[application.pk]),
        {"decision": "accept", "note": "金融機関の障害のため"},
        follow=True,
    )
    page = response.content.decode()
    assert "締切後の入金を認めました" in page and "遅れた入金を認める：金融機関の障害のため" in page
    row = next(
        s for s in client.get(reverse("review_exams")).context["sessions"] if s.pk == session.pk
    )
    assert row.n_late_payment == 0
