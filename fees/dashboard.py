"""The fees' part of the provider's dashboard (I1, portal.dashboard): the
unpaid fees and the button to pay them."""

from django.urls import reverse

from portal import dashboard


def _next_steps(provider, context, now) -> list[tuple[str, str]]:
    unpaid = context["unpaid"]
    if not unpaid:
        return []
    return [
        (
            f"未払いの手数料が{unpaid}件あります。振込後に入金確認依頼票を作成してください。",
            reverse("fee_list"),
        )
    ]


dashboard.register(
    dashboard.Part(
        "fees",
        order=40,
        context=lambda request, provider: {"unpaid": provider.fee_lines.unpaid().count()},
        next_steps=_next_steps,
        templates={"actions": "fees/_dashboard_actions.html"},
    )
)
