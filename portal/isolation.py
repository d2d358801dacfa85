"""The one place that scopes provider data to the user who asks for it.

IPA staff (reviewers, administrators) see every provider; provider staff see
only their own provider; everyone else sees nothing. An object of another
provider answers 404, exactly like a missing one, so nothing leaks.
"""

from django.db.models import Model, QuerySet
from django.http import Http404

from .roles import is_ipa_staff, membership_of


def provider_of(user):
    membership = membership_of(user)
    return membership.provider if membership else None


def provider_path(model) -> str:
    """The lookup from a provider-owned model to its provider, as the model
    declares it (``provider_path = "course__provider"``); "provider" when it
    holds the foreign key itself, "pk" for the provider."""
    if model._meta.label == "providers.Provider":
        return "pk"
    return getattr(model, "provider_path", "provider")


class ProviderOwnedQuerySet(QuerySet):
    """The manager of every provider-owned model: ``Model.objects.for_user(user)``
    is what this user may see (portal.isolation.scope)."""

    def for_user(self, user, *, own: bool = False) -> QuerySet:
        """``own``: the provider's own pages list only the user's provider's
        rows, also for a user who is IPA staff as well."""
        return scope(self, user, own=own)


def scope(
    queryset: QuerySet, user, provider_field: str | None = None, *, own: bool = False
) -> QuerySet:
    """Filter a queryset of provider-owned rows to what ``user`` may see
    (``own``: only the rows of the user's provider, even for IPA staff)."""
    provider_field = provider_field or provider_path(queryset.model)
    if is_ipa_staff(user) and not own:
        return queryset
    membership = membership_of(user)
    if membership is None:
        return queryset.none()
    if provider_field == "pk":
        return queryset.filter(pk=membership.provider_id)
    return queryset.filter(**{f"{provider_field}_id": membership.provider_id})


def owns(user, obj) -> bool:
    """Whether ``obj`` (a provider, or a row with ``provider_id``) belongs to
    the provider of this staff user; the object-level twin of ``scope``."""
    membership = membership_of(user)
    if membership is None or obj is None:
        return False
    provider_id = getattr(obj, "provider_id", None)
    if provider_id is None and obj._meta.label == "providers.Provider":
        provider_id = obj.pk
    return provider_id == membership.provider_id


# What a provider must be to submit anything (P6/P8: not withdrawn or revoked):
# functions of the provider that raise ValidationError, registered at start-up
# by the providers app (providers.services.require_active), since portal
# imports no domain app.
_write_guards: list = []


def register_write_guard(guard) -> None:
    if guard not in _write_guards:
        _write_guards.append(guard)


def require_owner(user, obj) -> None:
    """Services' check that ``obj`` belongs to the user's provider, and that
    this provider may still submit (the registered write guards)."""
    from django.core.exceptions import PermissionDenied

    if not owns(user, obj):
        raise PermissionDenied("この操作を行う権限がありません。")
    provider = membership_of(user).provider
    for guard in _write_guards:
        guard(provider)


def get_for_user_or_404(
    queryset: QuerySet | type[Model], user, provider_field: str | None = None, **lookup
):
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    try:
        return scope(queryset, user, provider_field).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404("見つかりません。") from None
