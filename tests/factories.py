import datetime

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from portal.models import User
from portal.roles import ADMIN_GROUP, REVIEWER_GROUP
from providers.models import Membership, Provider

PASSWORD = "Correct-Horse-2026"

PROVIDER_VALUES = {
    "application_date": datetime.date(2026, 4, 1),
    "postal_code": "113-8663",
    "prefecture": "東京都",
    "address": "文京区本駒込2-28-8",
    "representative_name": "情報\u3000太郎",
    "name_kana": "アイピーエーダイガク",
    "name": "IPA大学",
    "contact_family_name": "情報",
    "contact_given_name": "花子",
    "contact_department": "教務部講座課",
    "contact_tel": "03-1234-5678",
    "contact_fax": "",
    "contact_email": "hanako@ipa-daigaku.example.jp",
    "contact_postal_code": "123-4567",
    "contact_prefecture": "神奈川県",
    "contact_address": "横浜市中区本町1-2-3",
    "category": "university",
    "referral": "ipa_web",
    "remarks": "",
    "declaration": True,
}


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.jp")
    family_name = "試験"
    given_name = "利用者"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get_or_create(name=extracted)[0])
        self.save()


class ReviewerFactory(UserFactory):
    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        self.groups.add(Group.objects.get_or_create(name=REVIEWER_GROUP)[0])
        self.save()


class AdminFactory(UserFactory):
    is_staff = True
    is_superuser = True

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        self.groups.add(Group.objects.get_or_create(name=ADMIN_GROUP)[0])
        self.save()


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    number = factory.Sequence(lambda n: f"{20001 + n:05d}")
    name = factory.Sequence(lambda n: f"テスト学園{n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        values = {**PROVIDER_VALUES, **kwargs}
        # I5: a test provider has accepted the terms unless a test says otherwise.
        values.setdefault("terms_accepted_at", timezone.now())
        return super()._create(model_class, *args, **values)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    provider = factory.SubFactory(ProviderFactory)
    is_contact = False


def signup_post_data(**overrides) -> dict:
    """The sign-up form as a browser would post it."""
    data = {k: v for k, v in PROVIDER_VALUES.items() if k != "application_date"}
    data.update(
        {
            "declaration": "on",
            "agree_terms": "on",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "referral_dm_year": "",
            "referral_dm_month": "",
        }
    )
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def registration_values(**overrides) -> dict:
    """The values of 申請書式1 as the registration services take them."""
    values = {k: v for k, v in PROVIDER_VALUES.items() if k != "application_date"}
    values.update(referral_dm_year=None, referral_dm_month=None)
    values.update(overrides)
    return values


def signup_and_confirm(client, data: dict):
    """Post the public sign-up and open the confirmation link mailed to the
    address (issue 11), as the applicant would: returns the sign-up's answer
    when it was refused, else the confirmation's (a redirect to the
    completion page). The confirmation mail is taken out of mail.outbox, so
    that tests see the mails of the submitted registration as before. Mail
    goes out on commit: do not wrap this in another capture of on-commit
    callbacks."""
    import re

    from django.core import mail
    from django.test import TestCase
    from django.urls import reverse

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("registration_signup"), data)
    if response.status_code != 302:
        return response
    message = next(m for m in reversed(mail.outbox) if "/register/confirm/" in m.body)
    mail.outbox.remove(message)
    token = re.search(r"/register/confirm/([^/\s]+)/", message.body).group(1)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("registration_confirm", args=[token]))
