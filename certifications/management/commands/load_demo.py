"""Demo data (idempotent): IPA大学 (99991) with the manual's example people,
a reviewer, an administrator, one registration waiting for review and one
returned for correction, and courses and exams computed from the day it runs
(``--today YYYY-MM-DD`` to load it as on another day), so that on any date a
course can be submitted, an exam applied for and a result reported.

The command lives in the top app of the layers (certifications), the one that
may import every other app's demo (see [tool.importlinter] in pyproject.toml)."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from certifications.demo import (
    accepted_demo_report,
    load_demo_accepted_report,
    load_demo_change_request,
    load_demo_question,
    load_demo_revoked_course,
)
from courses.demo import at, clock, load_demo_courses
from exams.demo import (
    APPLY_LABEL,
    REPORT_LABEL,
    labelled_sessions,
    load_demo_exams,
    load_demo_sessions,
)
from portal.roles import ADMIN_GROUP, REVIEWER_GROUP
from providers import services as provider_services
from providers.models import Membership, Provider, ProviderNumberCounter, Registration

DEMO_PASSWORD = "Kouza-Demo-2026"
ALLOW_WITHOUT_DEBUG = "--allow-without-debug"
REFUSED_WITHOUT_DEBUG = (
    "DEBUG が無効のため、デモデータを登録しませんでした。デモデータには公開された"
    "パスワードの管理者アカウントが含まれるため、本番環境では使えません。"
    "開発環境では DJANGO_DEBUG=1 を設定して実行してください（試験用の環境で"
    f"どうしても必要な場合のみ {ALLOW_WITHOUT_DEBUG} を付けてください）。\n"
    "Refused: DEBUG is off, and the demo data creates an administrator whose password "
    f"is published. Set DJANGO_DEBUG=1 for development, or pass {ALLOW_WITHOUT_DEBUG} "
    "on a non-production machine."
)
DEMO_RETURNED_TOKEN = "demo-returned-registration"

ACCOUNTS = [
    ("hanako@ipa-daigaku.example.jp", "講座担当者（IPA大学 99991・登録担当者）"),
    ("reviewer@ipa.example.jp", "IPA審査担当"),
    ("admin@ipa.example.jp", "IPA管理者（管理画面 /admin/）"),
]

IPA_DAIGAKU = {
    "application_date": datetime.date(2017, 10, 3),
    "postal_code": "113-8663",
    "prefecture": "東京都",
    "address": "文京区本駒込2-28-8",
    "representative_name": "情報\u3000太郎",
    "name_kana": "アイピーエーダイガク",
    "name": "IPA大学",
    "contact_family_name": "情報",
    "contact_given_name": "花子",
    "contact_department": "○○○部△△△課",
    "contact_tel": "999-999-9999",
    "contact_fax": "000-000-0000",
    "contact_email": "hanako@ipa-daigaku.example.jp",
    "contact_postal_code": "123-4567",
    "contact_prefecture": "神奈川県",
    "contact_address": "○○市○○区○○○○1-2-3",
    "category": "university",
    "referral": "ipa_web",
    "remarks": "",
    "declaration": True,
}


def _day(day) -> str:
    return f"{day:%Y年%-m月%-d日}（{'月火水木金土日'[day.weekday()]}）"


def _registration_values(**overrides):
    values = {k: v for k, v in IPA_DAIGAKU.items() if k != "application_date"}
    values.update(overrides)
    return values


class Command(BaseCommand):
    help = "デモデータを登録します（何度実行しても同じ状態になります）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            help="この日付（YYYY-MM-DD）に読み込んだものとして登録します（既定：今日）。",
        )
        parser.add_argument(
            ALLOW_WITHOUT_DEBUG,
            action="store_true",
            dest="allow_without_debug",
            help=(
                "DEBUG が無効（本番の設定）でも実行します。公開されたパスワードの"
                "管理者アカウントを作るため、本番環境では使わないでください。"
            ),
        )

    def handle(self, *args, **options):
        # Issue 11 (item 5): the demo creates a superuser with the password
        # printed in README — never on a production server by accident.
        if not settings.DEBUG and not options.get("allow_without_debug"):
            raise CommandError(REFUSED_WITHOUT_DEBUG)
        if options.get("today"):
            try:
                today = datetime.date.fromisoformat(options["today"])
            except ValueError as error:
                raise CommandError("--today は 2026-12-01 のように入力してください。") from error
            now = at(today, 12)
        else:
            now = timezone.now()
            today = timezone.localdate(now)
        # The demo's own notices are not worth printing to the console.
        with (
            override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
            clock(now),
        ):
            self._load(today, now)
        self.stdout.write(self.style.SUCCESS("デモデータを登録しました。"))
        for label, field, text in (
            (APPLY_LABEL, "application_closes_at", "申込み受付中"),
            (REPORT_LABEL, "report_closes_at", "結果の報告受付中"),
        ):
            session = (
                labelled_sessions(label).filter(**{f"{field}__gt": now}).order_by(field).first()
            )
            if session:
                closes = timezone.localtime(getattr(session, field))
                self.stdout.write(
                    f"{text}（デモ用）：{_day(session.exam_date)}"
                    f"の修了試験（締切 {_day(closes)} {closes:%H:%M}）"
                )
        self.stdout.write(f"デモ用ログイン（パスワードはすべて {DEMO_PASSWORD}）:")
        for email, role in ACCOUNTS:
            self.stdout.write(f"  {email:32s} {role}")
        self.stdout.write(
            f"差し戻し中の登録申請（申請者の画面）: /register/status/{DEMO_RETURNED_TOKEN}/"
        )
        self.stdout.write("公開の認定講座一覧: /registry/（デモ情報学院の講座は認定取消しの例）")
        self.stdout.write(
            "IPAの受付箱（審査待ちの変更申請・回答待ちの質問書）: /review/inbox/ ・ 承認済みで申込みのない実施講座は"
            "講座のページから変更申請・削除申請を試せます"
        )
        accepted = accepted_demo_report(Provider.objects.filter(number="99991").first())
        if accepted is not None:  # R11: a correction by change request can be tried
            self.stdout.write(
                f"受理済みの結果報告（修了認定者情報の訂正を試せます）: /exams/reports/{accepted.pk}/"
            )

    @transaction.atomic
    def _load(self, today, now):
        User = get_user_model()
        reviewers = Group.objects.get_or_create(name=REVIEWER_GROUP)[0]
        admins = Group.objects.get_or_create(name=ADMIN_GROUP)[0]

        reviewer = self._user(User, "reviewer@ipa.example.jp", "審査", "一郎")
        reviewer.groups.add(reviewers)
        admin = self._user(User, "admin@ipa.example.jp", "管理", "次郎")
        admin.is_staff = admin.is_superuser = True
        admin.save(update_fields=["is_staff", "is_superuser"])
        admin.groups.add(admins)

        provider = Provider.objects.filter(number="99991").first()
        if provider is None:
            provider = Provider.objects.create(number="99991", **IPA_DAIGAKU)
        ProviderNumberCounter.objects.get_or_create(pk=1)
        hanako = self._user(User, IPA_DAIGAKU["contact_email"], "情報", "花子")
        Membership.objects.get_or_create(
            user=hanako, defaults={"provider": provider, "is_contact": True}
        )
        taro = self._user(User, "taro@ipa-daigaku.example.jp", "情報", "太郎")
        Membership.objects.get_or_create(user=taro, defaults={"provider": provider})
        load_demo_sessions(today)
        load_demo_courses(provider, hanako, reviewer, today)
        load_demo_accepted_report(provider, hanako, reviewer, today)
        load_demo_exams(provider, hanako, reviewer, today, now)
        load_demo_change_request(provider, hanako, today)
        load_demo_question(provider, hanako, today)

        # A second provider whose course IPA revoked (C11): the registry and
        # the certificate check show it.
        other = Provider.objects.filter(number="99992").first()
        if other is None:
            other = Provider.objects.create(
                number="99992",
                **{
                    **IPA_DAIGAKU,
                    "name": "デモ情報学院",
                    "name_kana": "デモジョウホウガクイン",
                    "representative_name": "学院　一郎",
                    "contact_family_name": "学院",
                    "contact_given_name": "次郎",
                    "contact_email": "jiro@demo-gakuin.example.jp",
                    "prefecture": "大阪府",
                    "address": "大阪市中央区本町1-1-1",
                    "postal_code": "541-0053",
                    "category": "vocational",
                },
            )
        jiro = self._user(User, "jiro@demo-gakuin.example.jp", "学院", "次郎")
        Membership.objects.get_or_create(
            user=jiro, defaults={"provider": other, "is_contact": True}
        )
        load_demo_revoked_course(other, jiro, reviewer, admin, today)

        if not Registration.objects.filter(contact_email="suzuki@joho-senmon.example.jp").exists():
            provider_services.submit_registration(
                _registration_values(
                    name="情報処理専門学校",
                    name_kana="ジョウホウショリセンモンガッコウ",
                    representative_name="山田\u3000一郎",
                    contact_family_name="鈴木",
                    contact_given_name="次郎",
                    contact_email="suzuki@joho-senmon.example.jp",
                    category="vocational",
                    referral="ipa_dm",
                    referral_dm_year=2026,
                    referral_dm_month=9,
                    prefecture="大阪府",
                    address="大阪市北区梅田1-1-1",
                    postal_code="530-0001",
                ),
                DEMO_PASSWORD,
            )
        if not Registration.objects.filter(contact_email="sato@demo-kenshu.example.jp").exists():
            registration, _ = provider_services.submit_registration(
                _registration_values(
                    name="株式会社デモ研修",
                    name_kana="カブシキガイシャデモケンシュウ",
                    representative_name="佐藤\u3000花子",
                    contact_family_name="佐藤",
                    contact_given_name="三郎",
                    contact_email="sato@demo-kenshu.example.jp",
                    category="company",
                    referral="introduction",
                ),
                DEMO_PASSWORD,
            )
            # A known status link for the demo (real ones are random).
            Registration.objects.filter(pk=registration.pk).update(
                access_token_hash=provider_services.hash_token(DEMO_RETURNED_TOKEN)
            )
            provider_services.return_registration(
                registration.pk,
                reviewer,
                "代表者名は役職を付けず氏名のみを入力してください。担当者の部署名も正式名称でお願いします。",
                ["representative_name", "contact_department"],
            )

    def _user(self, User, email, family, given):
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email, password=DEMO_PASSWORD, family_name=family, given_name=given
            )
        return user
