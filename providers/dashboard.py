"""The provider's own part of the dashboard (I1, portal.dashboard): its name
and status, the banners of P6/P8, its registration form and its staff."""

from django.utils import timezone

from portal import dashboard, documents

from . import rules, services


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


def _changes_context(request, provider) -> dict:
    """The open change requests (作成中・審査待ち・差し戻し中), latest first."""
    from portal import workflow

    from .models import ChangeRequest

    flow = workflow.for_model(ChangeRequest)
    open_states = flow.values(lambda s: not s.closed and not s.in_force)
    return {
        "open_changes": list(
            ChangeRequest.objects.filter(provider=provider, state__in=open_states).order_by(
                "-urgent", "-created_at"
            )[:10]
        )
    }


def _changes_next_steps(provider, context, now) -> list[tuple[str, str]]:
    from django.urls import reverse

    from portal import workflow

    steps = []
    for change in context["open_changes"]:
        url = reverse("change_detail", args=[change.pk])
        state = workflow.state_of(change)
        if state.returned:
            steps.append(
                (f"変更申請（{change.kind_label}）が差し戻されています。理由を確認して修正・再申請してください。", url)
            )  # fmt: skip
        elif state.provider_may_edit:
            steps.append((f"変更申請（{change.kind_label}）は作成中です。内容を確認して申請してください。", url))  # fmt: skip
    return steps


dashboard.register(
    dashboard.Part(
        "provider_changes",
        order=70,
        context=_changes_context,
        next_steps=_changes_next_steps,
        templates={"sections": "providers/_dashboard_changes.html"},
    )
)
