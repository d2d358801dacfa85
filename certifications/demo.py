"""Demo completers for `manage.py load_demo`: on the first run, an earlier
exam with a reported and accepted result (the completers of 別紙8), built
through the services like the rest of the demo (exams.demo)."""

import datetime

from django.db import transaction

from courses.demo import DAY, _on, at, clock
from exams import services as exam_services
from exams.demo import _apply_and_pay, _delivery_for, _free_sunday, _new_session
from exams.models import ResultReport

from . import services as completer_services

D = datetime.date
PAST_LABEL = "デモ用（受理済みの結果報告の例）"
COMPLETERS = [  # 別紙8 (its 2018 scores were out of 100; today's IPA problems have 60 points)
    ("情報", "一郎", "ジョウホウ", "イチロウ", D(1998, 10, 6), 60),
    ("情報", "二郎", "ジョウホウ", "ジロウ", D(1997, 5, 22), 54),
    ("情報", "三郎", "ジョウホウ", "サブロウ", D(1997, 7, 12), 52),
    ("情報", "四郎", "ジョウホウ", "シロウ", D(1996, 3, 20), 57),
    ("情報", "五郎", "ジョウホウ", "ゴロウ", D(1997, 4, 9), 51),
]


def _accepted_report(provider, staff, reviewer, today) -> None:
    """An earlier exam, reported with the completers of 別紙8 and accepted."""
    day = _free_sunday(today - 42 * DAY, -1)
    session = _new_session(day, PAST_LABEL)
    delivery = _delivery_for(provider, staff, reviewer, today, session, "結果の報告済み")
    application = _apply_and_pay(provider, staff, reviewer, session, delivery, 25)
    with _on(day + 2 * DAY):
        report = exam_services.open_report(application.pk, staff)
        exam_services.update_report(
            report.pk, staff, {"examinees": 22, "certified_on": day + 2 * DAY}
        )
        for serial, (family, given, family_kana, given_kana, birth, score) in enumerate(
            COMPLETERS, start=1
        ):
            completer_services.add_completer(report.pk, staff, {
                "serial": serial, "family_name": family, "given_name": given, "family_kana": family_kana,
                "given_kana": given_kana, "birth_date": birth, "score": score,
            })  # fmt: skip
        exam_services.update_report(report.pk, staff, {"consent_confirmed": True})
    submitted = at(day + 3 * DAY)
    with clock(submitted):
        exam_services.submit_report(report.pk, staff, now=submitted)
    with _on(day + 4 * DAY):
        exam_services.decide_report(report.pk, reviewer, accept=True)


@transaction.atomic
def load_demo_accepted_report(provider, staff, reviewer, today: datetime.date) -> None:
    """The accepted result report of an earlier exam, once: only while the
    provider has no result report yet."""
    if not ResultReport.objects.filter(delivery_course__course__provider=provider).exists():
        _accepted_report(provider, staff, reviewer, today)


def accepted_demo_report(provider) -> ResultReport | None:
    """The demo's accepted report (its completers can be corrected, R11)."""
    from portal import workflow

    flow = workflow.for_model(ResultReport)
    return (
        ResultReport.objects.filter(
            delivery_course__course__provider=provider,
            state__in=flow.values(lambda s: s.in_force),
        )
        .order_by("exam_date")
        .first()
    )


# --- after approval (issue 9): a change request in IPA's queue, a revoked course ----

CHANGE_REASON = "代表者の交代（2026年度理事会決定）のため。"


@transaction.atomic
def load_demo_change_request(provider, staff, today: datetime.date) -> None:
    """A change of the provider's representative (認定団体情報の変更, 申請書式1
    + 申請書式5) filed two days before ``today``, waiting in IPA's queue —
    once: only while the provider has no change request yet."""
    from providers import changes
    from providers.models import ChangeRequest

    if ChangeRequest.objects.filter(provider=provider).exists():
        return
    with clock(at(today - 2 * DAY)):
        draft = changes.save_draft(
            "provider_info", provider, staff, {"representative_name": "情報\u3000一郎"},
            reason=CHANGE_REASON,
        )  # fmt: skip
        changes.submit_change(draft.pk, staff)


@transaction.atomic
def load_demo_revoked_course(provider, staff, reviewer, admin, today: datetime.date) -> None:
    """A second provider's certified course revoked a month before ``today``
    (C11, M§2.5): the registry marks it with its date, and its certificate's
    verification page says 取消し — once: only while it has no course."""
    from courses import demo as course_demo
    from courses import services as course_services
    from courses.models import ExemptionCourse

    if ExemptionCourse.objects.filter(provider=provider).exists():
        return
    course = course_demo.certified_demo_course(provider, staff, reviewer, today, "A")
    revoked_on = max(course.certified_on, today - 30 * DAY)
    with _on(revoked_on):
        course_services.revoke_course(
            course.pk, admin, revoked_on,
            "修了試験問題の管理に重大な不備があったため（マニュアル2.5）。",
        )  # fmt: skip


@transaction.atomic
def load_demo_question(provider, staff, today: datetime.date) -> None:
    """A question (質問書, W5) sent the day before ``today``, waiting for IPA's
    answer in its inbox — once: only while the provider has asked none."""
    from providers import questions
    from providers.models import Question, QuestionCategory, QuestionSubcategory

    if Question.objects.filter(provider=provider).exists():
        return
    draft = questions.save_draft(provider, staff, {
        "category": QuestionCategory.DELIVERY, "subcategory": QuestionSubcategory.DELIVERY_DELETE,
        "document": "manual", "page": "P38",
        "body": "受講者が集まらなかった実施講座は、削除申請をすれば別の実施講座を追加できますか。",
    })  # fmt: skip
    questions.submit_question(draft.pk, staff, now=at(today - DAY))
