"""The full-scale data set of issue 11 for the benchmarks (benchmarks/pages.py):
500 providers, 2,000 courses, 6,000 delivery courses, 4,000 result reports,
120,000 completers and 500,000 audit entries, with one heavy provider (60
courses, 200 delivery courses and one report of 10,000 completers) whose
login is printed. Bulk inserts only (about a minute on PostgreSQL).

Idempotent: the heavy provider (number 90000) marks a loaded data set; a
second run prints the logins and adds nothing. ``--scale 0.001`` builds the
same shape a thousand times smaller (the tests use it).

The command lives in the top app of the layers (certifications), the one that
may import every other app (see [tool.importlinter] in pyproject.toml)."""

import datetime
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from calendars.models import ExamSession
from certifications.models import Completer
from courses.models import (
    DeliveryCourse,
    DeliveryExam,
    ExemptionCourse,
    OperationStructure,
    StudyMaterial,
    StudyPlanRow,
    SyllabusItem,
)
from courses.rules import CourseType
from exams.models import ExamApplication, ExamSite, ResultReport
from fees.models import FeeKind, FeeLine, PaymentRequest
from portal.models import AuditEntry, User
from portal.roles import ADMIN_GROUP, REVIEWER_GROUP
from providers.models import Membership, Provider

JST = ZoneInfo("Asia/Tokyo")
SCALE_PASSWORD = "Scale-Bench-2026"
HEAVY_NUMBER = "90000"  # the marker of a loaded data set
HEAVY_EMAIL = "heavy@scale.example.jp"
LIGHT_EMAIL = "light@scale.example.jp"  # the contact of the first ordinary provider
REVIEWER_EMAIL = "reviewer@scale.example.jp"
ADMIN_EMAIL = "admin@scale.example.jp"
# The authenticator key (hex) of the benchmark's IPA staff: they must pass the
# second factor (portal.twofactor), and benchmarks/pages.py computes the code.
SCALE_TOTP_KEY = "5363616c652d42656e63682d323032362d544f5450"
FIRST_NUMBER = 80000  # ordinary providers: 80000, 80001, …
BATCH = 5000

FULL = {
    "providers": 500,
    "courses": 2000,
    "deliveries": 6000,
    "reports": 4000,
    "completers": 120_000,
    "audit": 500_000,
    "heavy_courses": 60,
    "heavy_deliveries": 200,
    "heavy_report": 10_000,
}

FAMILY = ["情報", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林"]
FAMILY_KANA = ["ジョウホウ", "サトウ", "スズキ", "タカハシ", "タナカ", "イトウ", "ワタナベ", "ヤマモト",
               "ナカムラ", "コバヤシ"]  # fmt: skip
GIVEN = ["一郎", "花子", "太郎", "次郎", "陽子", "健一", "美咲", "翔太", "結衣", "大輔"]
GIVEN_KANA = ["イチロウ", "ハナコ", "タロウ", "ジロウ", "ヨウコ", "ケンイチ", "ミサキ", "ショウタ", "ユイ",
              "ダイスケ"]  # fmt: skip
AUDIT_ACTIONS = ["course.submit", "course.approve", "delivery.submit", "report.submit",
                 "completer.add", "payment.confirm"]  # fmt: skip


def counts(scale: float) -> dict:
    """How many of each the data set holds at ``scale`` (the heavy provider
    included in the totals)."""
    c = {key: max(1, round(value * scale)) for key, value in FULL.items()}
    c["providers"] = max(2, c["providers"])  # the heavy one and at least one light one
    c["courses"] = max(c["courses"], c["heavy_courses"] + c["providers"] - 1)
    c["deliveries"] = max(
        c["deliveries"], c["heavy_deliveries"] + c["courses"] - c["heavy_courses"]
    )
    c["reports"] = max(2, min(c["reports"], c["deliveries"]))
    c["completers"] = max(c["completers"], c["heavy_report"] + c["reports"] - 1)
    return c


def _spread(total: int, owners: int) -> list[int]:
    """``total`` split as evenly as possible over ``owners``."""
    base, extra = divmod(total, owners)
    return [base + (1 if n < extra else 0) for n in range(owners)]


class Command(BaseCommand):
    help = "負荷試験用の大規模データ（講座開設者500・修了認定者12万人・監査ログ50万件）を一括登録します。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", type=float, default=1.0, help="件数の倍率（テスト用に0.001など）"
        )
        parser.add_argument("--seed", type=int, default=11)

    def handle(self, *args, scale, seed, **options):
        if not 0 < scale <= 1:
            raise CommandError("--scale は0より大きく1以下で指定してください。")
        if Provider.objects.filter(number=HEAVY_NUMBER).exists():
            self.stdout.write("大規模データは登録済みです（何も追加しません）。")
            self._print_logins()
            return
        sessions = list(ExamSession.objects.filter(cancelled_on__isnull=True).order_by("exam_date"))
        if not sessions:
            raise CommandError("修了試験日程がありません（migrate を実行してください）。")
        self.c = counts(scale)
        build(self.c, sessions, seed)
        self.stdout.write(
            "登録しました: "
            + "、".join(f"{k} {v:,}" for k, v in self.c.items() if "heavy" not in k)
        )
        self._print_logins()

    def _print_logins(self):
        heavy = Provider.objects.filter(number=HEAVY_NUMBER).first()
        report = (
            ResultReport.objects.filter(delivery_course__course__provider=heavy)
            .order_by("-applicants")
            .first()
        )
        self.stdout.write(f"パスワード（全員共通）: {SCALE_PASSWORD}")
        self.stdout.write(f"大規模講座開設者 ({HEAVY_NUMBER}): {HEAVY_EMAIL}")
        self.stdout.write(f"小規模講座開設者 ({FIRST_NUMBER}): {LIGHT_EMAIL}")
        self.stdout.write(f"IPA審査担当: {REVIEWER_EMAIL}  IPA管理者: {ADMIN_EMAIL}")
        if report is not None:
            self.stdout.write(f"修了認定者の多い報告: /exams/reports/{report.pk}/ （{report.pk}）")

    # ------------------------------------------------------------------------------


def build(c: dict, sessions=None, seed: int = 11) -> None:
    """The data set with the counts ``c`` (see :func:`counts`); the tests
    build a small one with a heavy and a light provider."""
    if sessions is None:
        sessions = list(ExamSession.objects.filter(cancelled_on__isnull=True).order_by("exam_date"))
    with transaction.atomic():
        _Builder()._build(c, random.Random(seed), sessions)


class _Builder:
    def _build(self, c, rng, sessions):
        password = make_password(SCALE_PASSWORD)
        reviewer = User.objects.create(
            email=REVIEWER_EMAIL, family_name="審査", given_name="担当", password=password
        )
        reviewer.groups.add(Group.objects.get_or_create(name=REVIEWER_GROUP)[0])
        admin = User.objects.create(
            email=ADMIN_EMAIL, family_name="管理", given_name="者", password=password,
            is_staff=True, is_superuser=True,
        )  # fmt: skip
        admin.groups.add(Group.objects.get_or_create(name=ADMIN_GROUP)[0])
        from django_otp.plugins.otp_totp.models import TOTPDevice

        for user in (reviewer, admin):
            TOTPDevice.objects.create(
                user=user, name="認証アプリ", key=SCALE_TOTP_KEY, confirmed=True
            )

        # Providers and their contacts: the heavy one first.
        providers = []
        for n in range(c["providers"]):
            number = HEAVY_NUMBER if n == 0 else f"{FIRST_NUMBER + n - 1:05d}"
            providers.append(Provider(
                number=number, name=("大規模情報学園" if n == 0 else f"負荷試験学園{n:03d}"),
                name_kana="フカシケンガクエン", application_date=datetime.date(2020, 4, 1),
                postal_code="113-8663", prefecture="東京都", address="文京区本駒込2-28-8",
                representative_name="情報\u3000太郎", contact_family_name="情報", contact_given_name="花子",
                contact_department="教務部講座課", contact_tel="03-1234-5678",
                contact_email=f"contact{number}@scale.example.jp", contact_postal_code="113-8663",
                contact_prefecture="東京都", contact_address="文京区本駒込2-28-8", category="university",
                referral="ipa_web", declaration=True,
                terms_accepted_at=datetime.datetime(2020, 4, 1, 10, tzinfo=JST),
            ))  # fmt: skip
        Provider.objects.bulk_create(providers, batch_size=BATCH)
        users = []
        for n, provider in enumerate(providers):
            email = (
                HEAVY_EMAIL
                if n == 0
                else (LIGHT_EMAIL if n == 1 else f"staff{provider.number}@scale.example.jp")
            )
            users.append(User(email=email, family_name="情報", given_name="花子", password=password))  # fmt: skip
        User.objects.bulk_create(users, batch_size=BATCH)
        Membership.objects.bulk_create(
            [
                Membership(user=u, provider=p, is_contact=True)
                for u, p in zip(users, providers, strict=True)
            ],
            batch_size=BATCH,
        )

        # Courses: the heavy provider's, then the rest spread over the others.
        per_provider = [c["heavy_courses"]] + _spread(
            c["courses"] - c["heavy_courses"], len(providers) - 1
        )
        courses = []
        certified_on = datetime.date(2024, 4, 1)
        for provider, many in zip(providers, per_provider, strict=True):
            for serial in range(1, many + 1):
                state = (
                    ExemptionCourse.S.SUBMITTED if serial % 10 == 0 else ExemptionCourse.S.CERTIFIED
                )
                certified = state == ExemptionCourse.S.CERTIFIED
                courses.append(ExemptionCourse(
                    provider=provider, serial=serial, course_type=CourseType.NONE_IPA,
                    name=f"基本情報技術者試験対策講座{serial:03d}", attendance_ratio="70%",
                    total_hours=Decimal("100.00"), application_date=datetime.date(2024, 2, 1),
                    desired_month=datetime.date(2024, 4, 1), course_manager="情報\u3000次郎", state=state,
                    submitted_at=datetime.datetime(2024, 2, 1, 10, tzinfo=JST), review_fee=35000,
                    payment_confirmed_on=datetime.date(2024, 2, 5),
                    review_started_on=datetime.date(2024, 2, 10) if certified else None,
                    review_finished_on=datetime.date(2024, 3, 20) if certified else None,
                    certified_on=certified_on if certified else None,
                    valid_until=datetime.date(2027, 3, 31) if certified else None,
                ))  # fmt: skip
        ExemptionCourse.objects.bulk_create(courses, batch_size=BATCH)
        items = list(SyllabusItem.objects.filter(active=True))
        hours = (Decimal("100.00") / len(items)).quantize(Decimal("0.01")) if items else Decimal(0)
        rows, materials, structures = [], [], []
        for course in courses:
            materials.append(StudyMaterial(course=course, order=1, name="FE試験対策（〇〇編）", publisher="IPA出版",
                                           edition="第2版", published_on=datetime.date(2023, 2, 2)))  # fmt: skip
            structures.append(OperationStructure(
                course=course, exam_site="東京都文京区本駒込2-28-8", manager="情報 太郎 教務部",
                manager_deputy="情報 花子", electronic_keeper="情報 花子 教務部", printer="情報 花子 教務部",
                printed_keeper="情報 花子 教務部", storage_method="鍵付きの金庫、鍵は情報太郎が管理",
                exam_executive="情報 太郎 教務部", grading_lead="情報 太郎 教務部",
            ))  # fmt: skip
            for n, item in enumerate(items):
                each = hours if n else Decimal("100.00") - hours * (len(items) - 1)
                rows.append(StudyPlanRow(course=course, syllabus_item=item, material="FE試験対策（〇〇編）",
                                         class_name="IT基礎", planned_session=f"第{n + 1:02d}回", hours=each))  # fmt: skip
        StudyMaterial.objects.bulk_create(materials, batch_size=BATCH)
        OperationStructure.objects.bulk_create(structures, batch_size=BATCH)
        StudyPlanRow.objects.bulk_create(rows, batch_size=BATCH)

        # Delivery courses: the heavy provider's 200 over its 60 courses, the
        # rest over the other courses.
        heavy_courses = courses[: c["heavy_courses"]]
        other_courses = courses[c["heavy_courses"] :]
        per_course = _spread(c["heavy_deliveries"], len(heavy_courses)) + _spread(
            c["deliveries"] - c["heavy_deliveries"], len(other_courses)
        )
        deliveries = []
        for course, many in zip(courses, per_course, strict=True):
            for serial in range(1, many + 1):
                state = DeliveryCourse.S.SUBMITTED if serial % 7 == 0 else DeliveryCourse.S.APPROVED
                deliveries.append(DeliveryCourse(
                    course=course, serial=serial, name=f"実施講座{serial:03d}（{course.serial:03d}）",
                    prefecture="東京都", address="文京区本駒込2-28-8", building="IPAビル8階",
                    expected_learners=30, start_date=datetime.date(2024, 4, 10),
                    end_date=datetime.date(2024, 11, 30), instructors="講師名：情報 太郎",
                    committee_declaration=True, state=state,
                    submitted_at=datetime.datetime(2024, 3, 25, 10, tzinfo=JST),
                    approved_on=datetime.date(2024, 4, 1) if state == DeliveryCourse.S.APPROVED else None,
                ))  # fmt: skip
        DeliveryCourse.objects.bulk_create(deliveries, batch_size=BATCH)
        DeliveryExam.objects.bulk_create(
            [DeliveryExam(delivery_course=d, row=DeliveryExam.Row.UPPER, slot=1, session=sessions[i % len(sessions)])
             for i, d in enumerate(deliveries)],
            batch_size=BATCH,
        )  # fmt: skip

        # Reports: one per approved delivery course (an application each, at
        # one site per provider and session), the heavy provider's first.
        approved = [d for d in deliveries if d.state == DeliveryCourse.S.APPROVED]
        heavy_ids = {course.pk for course in heavy_courses}
        heavy_approved = [d for d in approved if d.course_id in heavy_ids]
        others = [d for d in approved if d.course_id not in heavy_ids]
        heavy_reports = max(1, min(len(heavy_approved), c["reports"] // 40))
        chosen = heavy_approved[:heavy_reports] + others[: c["reports"] - heavy_reports]
        if len(chosen) < c["reports"]:
            raise CommandError("承認済みの実施講座が足りません。")
        by_course = {course.pk: course for course in courses}
        sites, site_of = [], {}
        plan = []  # (delivery, session)
        for i, delivery in enumerate(chosen):
            session = sessions[i % len(sessions)]
            provider = by_course[delivery.course_id].provider
            key = (provider.pk, session.pk)
            if key not in site_of:
                site_of[key] = ExamSite(
                    provider=provider, session=session, exam_site="東京都文京区本駒込2-28-8 本館",
                    manager="情報 太郎 教務部", manager_deputy="情報 花子", electronic_keeper="情報 花子",
                    printer="情報 花子", printed_keeper="情報 花子", storage_method="金庫、鍵は情報 太郎",
                    exam_executive="情報 太郎", grading_lead="情報 太郎",
                )  # fmt: skip
                sites.append(site_of[key])
            plan.append((delivery, session, site_of[key]))
        ExamSite.objects.bulk_create(sites, batch_size=BATCH)
        sizes = [c["heavy_report"]] + _spread(c["completers"] - c["heavy_report"], len(plan) - 1)

        # Fees: a review fee per course, a problem fee per application, all
        # paid on one confirmed request per provider; every tenth provider
        # also waits for IPA to confirm a new request (the payment queue).
        requests = [
            PaymentRequest(provider=p, request_date=datetime.date(2024, 2, 2), payment_date=datetime.date(2024, 2, 3),
                           bank="みずほ銀行 本郷支店", payer_name_kana="フカシケンガクエン",
                           confirmed_on=datetime.date(2024, 2, 5), confirmed_by=reviewer)
            for p in providers
        ]  # fmt: skip
        waiting = [
            PaymentRequest(provider=p, request_date=datetime.date(2024, 11, 1), payment_date=datetime.date(2024, 11, 2),
                           bank="みずほ銀行 本郷支店", payer_name_kana="フカシケンガクエン")
            for p in providers[::10]
        ]  # fmt: skip
        PaymentRequest.objects.bulk_create(requests + waiting, batch_size=BATCH)
        paid = {p.pk: r for p, r in zip(providers, requests, strict=True)}
        lines = [
            FeeLine(provider=course.provider, kind=FeeKind.REVIEW, description=f"{course.number} {course.name}",
                    unit_amount=35000, course=course, payment_request=paid[course.provider_id])
            for course in courses
        ]  # fmt: skip
        lines += [
            FeeLine(provider=r.provider, kind=FeeKind.PROBLEM, description="追加の修了試験問題提供料",
                    unit_amount=2000, quantity=10, payment_request=r)
            for r in waiting
        ]  # fmt: skip
        problem_lines = []
        for (delivery, session, _site), size in zip(plan, sizes, strict=True):
            provider = by_course[delivery.course_id].provider
            problem_lines.append(FeeLine(
                provider=provider, kind=FeeKind.PROBLEM, unit_amount=2000, quantity=size + 2,
                description=f"{delivery.number} {session}", payment_request=paid[provider.pk],
            ))  # fmt: skip
        FeeLine.objects.bulk_create(lines + problem_lines, batch_size=BATCH)

        applications = [
            ExamApplication(delivery_course=delivery, session=session, site=site, applicants=size + 2,
                            state=ExamApplication.S.SUBMITTED, fee_line=line,
                            submitted_at=session.application_opens_at)
            for (delivery, session, site), size, line in zip(plan, sizes, problem_lines, strict=True)
        ]  # fmt: skip
        ExamApplication.objects.bulk_create(applications, batch_size=BATCH)
        reports = []
        for n, ((delivery, session, _site), size, application) in enumerate(
            zip(plan, sizes, applications, strict=True)
        ):
            accepted = n % 10 != 5
            reports.append(ResultReport(
                delivery_course=delivery, serial=1, kind=ResultReport.Kind.IPA, application=application,
                session=session, exam_date=session.exam_date, applicants=size + 2, examinees=size + 1,
                certified_on=session.exam_date + datetime.timedelta(days=2), consent_confirmed=True,
                state=ResultReport.S.ACCEPTED if accepted else ResultReport.S.SUBMITTED,
                submitted_at=datetime.datetime.combine(session.exam_date + datetime.timedelta(days=3),
                                                       datetime.time(10), tzinfo=JST),
            ))  # fmt: skip
        ResultReport.objects.bulk_create(reports, batch_size=BATCH)

        # Completers: serials unique per provider and exam month (R4).
        next_serial = {}
        batch = []
        for report, size in zip(reports, sizes, strict=True):
            provider = by_course[report.delivery_course.course_id].provider
            key = (provider.number, report.exam_date.strftime("%y%m"))
            start = next_serial.get(key, 1)
            next_serial[key] = start + size
            for serial in range(start, start + size):
                f, g = rng.randrange(10), rng.randrange(10)
                batch.append(Completer(
                    report=report, serial=serial,
                    family_name=FAMILY[f], given_name=GIVEN[g], family_kana=FAMILY_KANA[f], given_kana=GIVEN_KANA[g],
                    birth_date=datetime.date(1990 + serial % 15, 1 + serial % 12, 1 + serial % 28),
                    score=36 + rng.randrange(25),
                ))  # fmt: skip
            if len(batch) >= BATCH * 4:
                self._completers(batch)
                batch = []
        self._completers(batch)

        # Audit entries about the courses, spread over two years.
        course_type = ContentType.objects.get_for_model(ExemptionCourse)
        start = datetime.datetime(2024, 1, 1, 9, tzinfo=JST)
        step = datetime.timedelta(days=730) / c["audit"]
        batch = []
        for n in range(c["audit"]):
            course = courses[n % len(courses)]
            batch.append(AuditEntry(
                at=start + step * n, actor=reviewer if n % 3 else None,
                actor_label=REVIEWER_EMAIL if n % 3 else "（未ログイン）", ip="127.0.0.1",
                action=AUDIT_ACTIONS[n % len(AUDIT_ACTIONS)], content_type=course_type,
                object_id=str(course.pk), object_repr=f"{course.provider.number}-{course.serial:03d} {course.name}",
            ))  # fmt: skip
            if len(batch) >= BATCH * 4:
                AuditEntry.objects.bulk_create(batch, batch_size=BATCH)
                batch = []
        AuditEntry.objects.bulk_create(batch, batch_size=BATCH)

    @staticmethod
    def _completers(batch):
        # Each report holds its delivery course, course and provider, so the
        # stored numbers (R4) are computed without a query.
        Completer.objects.bulk_create(batch, batch_size=BATCH)
