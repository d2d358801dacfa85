from .roles import is_ipa_admin, is_provider_staff, is_reviewer, membership_of


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"role": None}
    membership = membership_of(user)
    return {
        "role": {
            "reviewer": is_reviewer(user),
            "admin": is_ipa_admin(user),
            "provider_staff": is_provider_staff(user),
            "provider": membership.provider if membership else None,
        }
    }


def notices(request):
    """The unread count in the header: counted only when a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def unread_notices():
        from .models import Notice

        return Notice.objects.filter(recipient=user, read_at__isnull=True).count()

    return {"unread_notices": unread_notices}
