"""The provider's own part of the dashboard (I1, portal.dashboard): its name
and status, the banners of P6/P8, its registration form and its staff."""

from django.utils import timezone

from portal import dashboard, documents

from . import rules, services
from .models import Withdrawal


def _context(request, provider) -> dict:
    return {
        "members": provider.memberships.select_related("user").order_by(
            "-is_contact", "user__email"
        ),
        # P6/P8: a withdrawn or revoked provider reads, but submits nothing.
        "status_problem": services.write_problem(provider),
        "bar_problem": rules.revocation_bar_problem(
            services.revocation_dates(provider), timezone.localdate()
        ),
        # P8: the notice of withdrawal waiting for IPA, or the accepted one.
        "withdrawal": provider.withdrawals.exclude(state=Withdrawal.State.WITHDRAWN).first(),
    }


dashboard.register(
    dashboard.Part(
        "provider",
        order=10,
        context=_context,
        hold=services.write_problem,
        templates={
            "header": "providers/_dashboard_header.html",
            "cards": "providers/_dashboard_status.html",
        },
    )
)
dashboard.register(
    dashboard.Part(
        "provider_documents",
        order=80,
        context=lambda request, provider: {
            "documents": documents.panel(request.user, provider, ["shoshiki_1"])
        },
        templates={"sections": "includes/documents.html"},
    )
)
dashboard.register(
    dashboard.Part(
        "provider_members", order=90, templates={"sections": "providers/_dashboard_members.html"}
    )
)
