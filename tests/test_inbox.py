"""IPA's one inbox (W2): every item waiting for IPA across kinds, due dates
from the rules (M§5.1 (3): registrations 3 business days; D7: delivery
courses 5; result reports by the end of the report window), W7 flags,
assignment with a notice to the assignee, batch actions through the
services, and a constant number of queries with 5,000 open items."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from calendars.models import ExamSession
from courses import rules as course_rules
from courses.models import DeliveryCourse, ExemptionCourse
from exams import rules as exam_rules
from exams.models import ResultReport
from fees.models import FeeLine, PaymentRequest
from portal import inbox
from portal.bizdays import JST
from portal.models import Assignment, AuditEntry, Notice
from providers import rules as provider_rules
from providers.models import ChangeRequest, Provider, Registration

from .factories import ReviewerFactory, UserFactory, registration_values
from .inbox_factories import open_items
from .report_factories import reported

pytestmark = pytest.mark.django_db
D = datetime.date


def _at(day: datetime.date, hour=10):
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=JST)


def _registration(n=0, submitted=None, name="テスト学園"):
    user = UserFactory(email=f"applicant{n}@example.jp", is_active=False)
    return Registration.objects.create(
        **registration_values(contact_email=user.email, name=name), applicant=user,
        access_token_hash=f"tok{n}", submitted_at=submitted or timezone.now(),
    )  # fmt: skip


PAID = datetime.date(2024, 11, 12)
DESIRED = datetime.date(2025, 10, 1)


def _payment(provider, payment_date=PAID, n=1):
    request = PaymentRequest.objects.create(
        provider=provider, payment_date=payment_date, bank="銀行",
        payer_name_kana=f"{provider.number}エー",
    )  # fmt: skip
    for i in range(n):
        FeeLine.objects.create(provider=provider, kind="review", description=f"講座{i}",
                               unit_amount=35000, payment_request=request)  # fmt: skip
    return request


def _course(provider, serial=1, state="submitted", desired=DESIRED):
    return ExemptionCourse.objects.create(
        provider=provider, serial=serial, course_type="NONE_IPA", state=state,
        name=f"2025-2026年度講座{serial}", desired_month=desired, total_hours=100,
        submitted_at=timezone.now(),
    )  # fmt: skip


def _delivery(course, serial=1, submitted=None):
    return DeliveryCourse.objects.create(
        course=course, serial=serial, name=f"2025年度実施講座{serial}", prefecture="東京都",
        address="文京区", expected_learners=10, start_date=D(2025, 10, 1), end_date=D(2025, 12, 1),
        instructors="講師名：情報 太郎", state="submitted", submitted_at=submitted or timezone.now(),
    )  # fmt: skip


def _page(client, user, query=""):
    client.force_login(user)
    response = client.get(reverse("inbox") + query)
    assert response.status_code == 200
    return response


# Due dates (pure rules) ------------------------------------------------------------


def test_m5_1_w2_registration_is_due_3_business_days_after_it_arrived():
    # Friday 2025-05-02 → Wed 5/7 (5/3–5/6 are holidays: Golden Week).
    assert provider_rules.registration_review_due(D(2025, 5, 2)) == D(2025, 5, 9)
    assert provider_rules.registration_review_due(D(2025, 6, 2)) == D(2025, 6, 5)
    # The year-end break (W6) is skipped.
    assert provider_rules.registration_review_due(D(2024, 12, 27)) == D(2025, 1, 8)


def test_d7_w2_delivery_course_is_due_5_business_days_after_submission():
    assert course_rules.delivery_review_due(D(2025, 6, 2)) == D(2025, 6, 9)
    assert course_rules.delivery_review_due(D(2024, 12, 26)) == D(2025, 1, 9)


def test_w2_result_report_is_due_at_the_end_of_its_report_window():
    closes = datetime.datetime(2024, 12, 13, 8, 0, tzinfo=datetime.UTC)  # 17:00 JST
    assert exam_rules.report_review_due(closes) == D(2024, 12, 13)
    assert exam_rules.report_review_due(None) is None


# The page ----------------------------------------------------------------------------


def test_w2_inbox_lists_every_kind_waiting_for_ipa_with_counts(
    client, provider_a, provider_b, staff_a, reviewer
):
    report = reported(provider_a, staff_a, reviewer)  # a certified course, a paid exam fee
    registration = _registration(name="新規学園")
    payment = _payment(provider_b)
    course = _course(provider_b, serial=5)
    certified = ExemptionCourse.objects.get(provider=provider_a)
    delivery = _delivery(certified, serial=9)
    filed_with_course = _delivery(course, serial=1)  # reviewed with its course
    html = _page(client, reviewer).content.decode()
    assert "受付箱" in html
    for text in ("新規学園", f"#{payment.pk}", course.number, delivery.number, report.number):
        assert text in html, text
    assert filed_with_course.number not in html
    assert reverse("review_detail", args=[registration.pk]) in html
    assert reverse("review_report", args=[report.pk]) in html
    box = inbox.build(reviewer, inbox.Filters())
    kinds = {source.kind: n for source, n, _late in box.counts}
    assert kinds["registration"] == 1 and kinds["payment"] == 1 and kinds["report"] == 1
    assert kinds["course"] == 1 and kinds["delivery"] == 1
    # No raw codes in what the page shows.
    text = re.sub(r"<[^>]+>", " ", html)
    for raw in ("submitted", "registration", "payment", "W2", "D7", "late_flag"):
        assert raw not in text, raw


def test_w2_m5_1_overdue_items_stand_out_and_come_first(client, reviewer, provider_a):
    old = _registration(1, submitted=_at(D(2024, 6, 3)), name="古い学園")
    new = _registration(2, name="新しい学園")
    response = _page(client, reviewer)
    items = list(response.context["page"])
    assert [i.obj for i in items[:2]] == [old, new]
    assert items[0].overdue and items[0].due == D(2024, 6, 6)
    assert not items[1].overdue
    html = response.content.decode()
    assert 'class="overdue"' in html and "期限超過" in html
    overdue = _page(client, reviewer, "?due=overdue").context["page"]
    assert [i.obj for i in overdue] == [old]


def test_w2_urgent_change_requests_come_first_and_filter(client, reviewer, provider_a, provider_b):
    _registration(1, submitted=_at(D(2024, 6, 3)))
    from django.contrib.contenttypes.models import ContentType

    urgent = ChangeRequest.objects.create(
        provider=provider_a, kind="completers", target_type=ContentType.objects.get_for_model(Provider),
        target_id=provider_a.pk, target_label="修了認定者情報", urgent=True, state="submitted",
        submitted_at=timezone.now(),
    )  # fmt: skip
    items = list(_page(client, reviewer).context["page"])
    assert items[0].obj == urgent and items[0].urgent
    only = list(_page(client, reviewer, "?urgent=1").context["page"])
    assert [i.obj for i in only] == [urgent]


def test_w2_filters_by_kind_provider_and_state(client, reviewer, provider_a, provider_b):
    _registration(1)
    pa, pb = _payment(provider_a), _payment(provider_b)
    by_kind = _page(client, reviewer, "?kind=payment").context["page"]
    assert {i.obj for i in by_kind} == {pa, pb}
    by_provider = _page(client, reviewer, f"?provider={provider_b.number}").context["page"]
    assert [i.obj for i in by_provider] == [pb]
    by_name = _page(client, reviewer, "?provider=Ａ学").context["page"]
    assert [i.obj for i in by_name] == [pa]
    by_state = _page(client, reviewer, "?state=入金確認待ち").context["page"]
    assert {i.obj for i in by_state} == {pa, pb}
    # Counts per kind follow the other filters.
    counts = {
        s.kind: n
        for s, n, _ in _page(client, reviewer, f"?provider={provider_b.number}")
        .context["box"]
        .counts
    }
    assert counts["payment"] == 1 and counts["registration"] == 0


# W7 flags ---------------------------------------------------------------------------


def test_w7_report_filed_more_than_2_weeks_after_certification_is_flagged(
    client, provider_a, staff_a, reviewer
):
    report = reported(provider_a, staff_a, reviewer)
    ResultReport.objects.filter(pk=report.pk).update(late_flag=True)
    _registration(1)
    response = _page(client, reviewer, "?flagged=1")
    items = list(response.context["page"])
    assert [i.obj.pk for i in items] == [report.pk]
    assert "修了認定から2週間を超えた報告" in response.content.decode()


def test_w7_payment_after_the_application_close_is_flagged(client, provider_a, staff_a, reviewer):
    from exams import services as exam_services

    from .course_factories import certified_course
    from .test_exams_services import DEC, IN_APPLY, ROLES

    course = certified_course(provider_a, staff_a, reviewer)
    session = ExamSession.objects.get(exam_date=DEC)
    site = exam_services.save_site(provider_a, staff_a, session.pk, ROLES, now=IN_APPLY)
    exam_services.save_application(
        site.pk, staff_a, course.delivery_courses.get().pk, 20, now=IN_APPLY
    )
    exam_services.submit_applications(site.pk, staff_a, now=IN_APPLY)
    line = FeeLine.objects.get(kind="problem")
    late = PaymentRequest.objects.create(provider=provider_a, payment_date=D(2024, 11, 20), bank="銀行",
                                         payer_name_kana="20001エー")  # fmt: skip
    line.payment_request = late
    line.save()
    in_time = _payment(provider_a, D(2024, 11, 12))
    items = {i.obj.pk: i for i in _page(client, reviewer, "?kind=payment").context["page"]}
    assert items[late.pk].flags == ["申込み締切後の入金"]
    assert items[in_time.pk].flags == []
    # The problems are delivered from the exam's delivery day: confirm by then.
    assert items[late.pk].due == (session.problems_delivered_on or session.exam_date)
    flagged = _page(client, reviewer, "?flagged=1").context["page"]
    assert [i.obj.pk for i in flagged] == [late.pk]


# Assignment ---------------------------------------------------------------------------


def test_w2_reviewer_assigns_an_item_to_a_colleague_who_is_told(
    client, reviewer, provider_a, django_capture_on_commit_callbacks
):
    colleague = ReviewerFactory(
        email="colleague@ipa.example.jp", family_name="情報", given_name="花子"
    )
    registration = _registration(1)
    client.force_login(reviewer)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("inbox_assign"),
                               {"item": f"registration:{registration.pk}", "to": colleague.pk, "kind": "registration"})  # fmt: skip
    assert response.status_code == 302 and response.url == reverse("inbox") + "?kind=registration"
    assignment = Assignment.objects.get()
    assert assignment.assignee == colleague and assignment.assigned_by == reviewer
    notice = Notice.objects.get(recipient=colleague)
    assert "担当の依頼" in notice.subject and notice.url == reverse(
        "review_detail", args=[registration.pk]
    )
    assert [m.to for m in mail.outbox] == [[colleague.email]]
    entry = AuditEntry.objects.get(action="inbox.assign")
    assert entry.object_id == str(registration.pk) and entry.changes["assignee"][1] == "情報　花子"
    # The colleague's "mine" filter finds it; the others still see it.
    mine = _page(client, colleague, "?assignee=me").context["page"]
    assert [i.obj for i in mine] == [registration]
    assert [i.obj for i in _page(client, reviewer, "?assignee=none").context["page"]] == []
    assert [i.obj for i in _page(client, reviewer).context["page"]] == [registration]


def test_w2_reviewer_takes_an_item_without_a_notice_and_can_release_it(
    client, reviewer, provider_a
):
    registration = _registration(1)
    client.force_login(reviewer)
    client.post(reverse("inbox_assign"), {"item": f"registration:{registration.pk}", "to": "me"})
    assert Assignment.objects.get().assignee == reviewer
    assert not Notice.objects.filter(recipient=reviewer).exists()
    assert AuditEntry.objects.filter(action="inbox.take").count() == 1
    page = _page(client, reviewer).content.decode()
    assert "（自分）" in page
    client.post(reverse("inbox_assign"), {"item": f"registration:{registration.pk}", "to": ""})
    assert not Assignment.objects.exists()
    assert AuditEntry.objects.filter(action="inbox.release").count() == 1


def test_w2_assignment_refuses_a_non_reviewer_and_a_finished_item(
    client, reviewer, staff_a, provider_a
):
    registration = _registration(1)
    client.force_login(reviewer)
    response = client.post(reverse("inbox_assign"),
                           {"item": f"registration:{registration.pk}", "to": staff_a.pk}, follow=True)  # fmt: skip
    assert "IPA審査担当者を選んでください" in response.content.decode()
    Registration.objects.filter(pk=registration.pk).update(state="accepted")
    response = client.post(reverse("inbox_assign"),
                           {"item": f"registration:{registration.pk}", "to": "me"}, follow=True)  # fmt: skip
    assert "既にIPAの対応待ちではありません" in response.content.decode()
    assert not Assignment.objects.exists()


# Batch actions ------------------------------------------------------------------------


def test_w2_batch_confirms_payments_with_one_date_and_names_the_refused(
    client, reviewer, provider_a, provider_b
):
    first, second = _payment(provider_a, D(2024, 11, 12)), _payment(provider_b, D(2024, 11, 12))
    future_dated = _payment(provider_b, D(2024, 11, 30))  # paid after the date typed
    client.force_login(reviewer)
    response = client.post(
        reverse("inbox_batch"),
        {"batch_kind": "payment", "date": "2024-11-20", "kind": "payment",
         "items": [f"payment:{first.pk}", f"payment:{second.pk}", f"payment:{future_dated.pk}"]},
        follow=True,
    )  # fmt: skip
    html = response.content.decode()
    for p in (first, second):
        p.refresh_from_db()
        assert p.confirmed_on == D(2024, 11, 20) and p.confirmed_by == reviewer
    future_dated.refresh_from_db()
    assert future_dated.confirmed_on is None
    assert "2件の入金確認依頼票について入金を確認しました" in html
    assert f"#{future_dated.pk}" in html and "入金日（2024年11月30日）以降の日付" in html
    # One audit entry per payment, as the single confirmation does.
    assert AuditEntry.objects.filter(action="payment.confirm").count() == 2


def test_w2_batch_needs_a_date_and_at_least_one_item(client, reviewer, provider_a):
    payment = _payment(provider_a)
    client.force_login(reviewer)
    html = client.post(reverse("inbox_batch"), {"batch_kind": "payment", "items": [f"payment:{payment.pk}"]},
                       follow=True).content.decode()  # fmt: skip
    assert "「入金確認日」を入力してください。" in html
    html = client.post(reverse("inbox_batch"), {"batch_kind": "payment", "date": "2024-11-20"},
                       follow=True).content.decode()  # fmt: skip
    assert "1つ以上選んでください" in html
    payment.refresh_from_db()
    assert payment.confirmed_on is None


def test_w2_batch_accepts_result_reports_through_the_workflow(
    client, provider_a, staff_a, reviewer
):
    report = reported(provider_a, staff_a, reviewer)
    client.force_login(reviewer)
    before = Notice.objects.filter(recipient=staff_a).count()
    html = client.post(reverse("inbox_batch"),
                       {"batch_kind": "report", "items": [f"report:{report.pk}", "report:999999"]},
                       follow=True).content.decode()  # fmt: skip
    report.refresh_from_db()
    assert report.state == ResultReport.S.ACCEPTED
    assert AuditEntry.objects.filter(action="report.accept", object_id=str(report.pk)).count() == 1
    # The provider's contact is told once, as for one report.
    assert Notice.objects.filter(recipient=staff_a).count() == before + 1
    assert "1件の修了試験結果の報告について受理しました" in html
    assert "既にIPAの対応待ちではありません" in html


def test_w2_batch_and_assignment_are_for_reviewers_only(client, ipa_admin, provider_a):
    payment = _payment(provider_a)
    client.force_login(ipa_admin)
    assert client.get(reverse("inbox")).status_code == 200
    assert client.post(reverse("inbox_batch"), {"batch_kind": "payment", "date": "2024-11-20",
                                                "items": [f"payment:{payment.pk}"]}).status_code == 403  # fmt: skip
    assert (
        client.post(
            reverse("inbox_assign"), {"item": f"payment:{payment.pk}", "to": "me"}
        ).status_code
        == 403
    )


# Query counts ---------------------------------------------------------------------------


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


def test_w2_inbox_keeps_a_constant_number_of_queries_with_5000_items(
    client, reviewer, django_assert_max_num_queries
):
    """500 providers and 5,000 open items cost what 5 providers and 50 cost."""
    colleague = ReviewerFactory(email="colleague@ipa.example.jp")
    payment_type = inbox.ContentType.objects.get_for_model(PaymentRequest)
    client.force_login(reviewer)
    open_items(5)
    Assignment.objects.create(content_type=payment_type, object_id=PaymentRequest.objects.first().pk,
                              assignee=colleague, assigned_by=reviewer)  # fmt: skip
    urls = [reverse("inbox"), reverse("inbox") + f"?kind=payment&assignee={colleague.pk}",
            reverse("inbox") + "?due=overdue&sort=received&page=2"]  # fmt: skip
    client.get(urls[0])  # warm caches (content types, the session)
    small = {url: _queries(client, url)[0] for url in urls}
    total = open_items(495, start=5) + 50
    Assignment.objects.bulk_create(
        Assignment(content_type=payment_type, object_id=pk, assignee=colleague, assigned_by=reviewer)
        for pk in PaymentRequest.objects.values_list("pk", flat=True)[1:300]
    )  # fmt: skip
    for url in urls:
        with django_assert_max_num_queries(small[url]):
            _n, response = _queries(client, url)
    _n, response = _queries(client, urls[0])
    assert response.context["box"].total == total == 5000
    assert len(response.context["page"].object_list) == inbox.PAGE_SIZE
    html = response.content.decode()
    assert html.count('name="to"') == inbox.PAGE_SIZE
    _n, response = _queries(client, urls[1])
    assert response.context["page"].paginator.count == 300


def test_w2_provider_dashboard_keeps_a_constant_number_of_queries_with_5000_items(
    client, django_assert_max_num_queries
):
    """I1: one provider's dashboard costs the same beside 5 or 500 providers."""
    from .factories import MembershipFactory

    open_items(5)
    provider = Provider.objects.order_by("number").first()
    staff = MembershipFactory(provider=provider, is_contact=True, user__email="c@c.example.jp").user
    client.force_login(staff)
    client.get(reverse("home"))
    small, _response = _queries(client, reverse("home"))
    open_items(495, start=5)
    with django_assert_max_num_queries(small):
        _n, response = _queries(client, reverse("home"))
    assert provider.name in response.content.decode()


def test_w2_sort_by_reception_puts_the_oldest_first(client, reviewer, provider_a):
    payment = _payment(provider_a)  # no due date: last when sorted by due date
    PaymentRequest.objects.filter(pk=payment.pk).update(request_date=D(2024, 1, 5))
    registration = _registration(1)
    by_due = [i.pk for i in _page(client, reviewer).context["page"]]
    assert by_due == [registration.pk, payment.pk]
    by_reception = [i.pk for i in _page(client, reviewer, "?sort=received").context["page"]]
    assert by_reception == [payment.pk, registration.pk]
