import pytest
from django.core.cache import cache

from .factories import (
    AdminFactory,
    MembershipFactory,
    ProviderFactory,
    ReviewerFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def provider_a(db):
    return ProviderFactory(name="Ａ学園", number="20001")


@pytest.fixture
def provider_b(db):
    return ProviderFactory(name="Ｂ学園", number="20002")


@pytest.fixture
def staff_a(provider_a):
    return MembershipFactory(
        provider=provider_a, is_contact=True, user__email="a@a.example.jp"
    ).user


@pytest.fixture
def staff_b(provider_b):
    return MembershipFactory(
        provider=provider_b, is_contact=True, user__email="b@b.example.jp"
    ).user


@pytest.fixture
def reviewer(db):
    return ReviewerFactory(email="reviewer@ipa.example.jp")


@pytest.fixture
def ipa_admin(db):
    return AdminFactory(email="admin@ipa.example.jp")


@pytest.fixture
def outsider(db):
    return UserFactory(email="nobody@example.jp")


def client_for(client, user):
    client.force_login(user)
    return client
