"""Roles and object permissions (django-rules predicates).

Roles are Django groups. Provider staff are users with a providers.Membership.
Transition permission strings of django-fsm call user.has_perm(perm, obj),
which the rules backend answers with the predicates below.
"""

import rules

REVIEWER_GROUP = "IPA審査担当"
ADMIN_GROUP = "IPA管理者"
ROLE_GROUPS = (REVIEWER_GROUP, ADMIN_GROUP)


def _groups(user) -> set[str]:
    if not user or not user.is_authenticated:
        return set()
    cached = getattr(user, "_role_groups", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._role_groups = cached
    return cached


@rules.predicate
def is_reviewer(user):
    return REVIEWER_GROUP in _groups(user)


@rules.predicate
def is_ipa_admin(user):
    return bool(user and user.is_authenticated and user.is_active) and (
        user.is_superuser or ADMIN_GROUP in _groups(user)
    )


is_ipa_staff = is_reviewer | is_ipa_admin


# portal imports no domain app: the providers app registers, at start-up
# (ProvidersConfig.ready), the function that finds a user's active membership.
_membership_lookup = None


def register_membership_lookup(lookup) -> None:
    """``lookup(user)``: the active membership (with ``provider``) or None."""
    global _membership_lookup
    _membership_lookup = lookup


def membership_of(user):
    """The providers.Membership of an active provider staff user, or None."""
    if not user or not user.is_authenticated or not user.is_active:
        return None
    if not hasattr(user, "_membership_cache"):
        user._membership_cache = _membership_lookup(user) if _membership_lookup else None
    return user._membership_cache


@rules.predicate
def is_provider_staff(user):
    return membership_of(user) is not None


@rules.predicate
def is_provider_member(user, obj):
    """obj belongs to the user's provider (see portal.isolation.owns)."""
    from .isolation import owns

    return owns(user, obj)


rules.add_perm("providers.review_registration", is_reviewer)
rules.add_perm("providers.review_change", is_reviewer)
rules.add_perm("courses.review_course", is_reviewer)
rules.add_perm("exams.review_report", is_reviewer)
# C11 (M§2.5): revocations are the administrators' (DESIGN: roles).
rules.add_perm("courses.revoke_course", is_ipa_admin)
rules.add_perm("providers.review_withdrawal", is_reviewer)  # P8 (M§11)


def role_label(user) -> str:
    if is_ipa_admin(user):
        return "IPA管理者"
    if is_reviewer(user):
        return "IPA審査担当"
    if is_provider_staff(user):
        return "講座担当者"
    return ""


def require_reviewer(user) -> None:
    """Services' check that only IPA reviewers decide (administrators read)."""
    from django.core.exceptions import PermissionDenied

    if not is_reviewer(user):
        raise PermissionDenied("この操作を行う権限がありません。")
