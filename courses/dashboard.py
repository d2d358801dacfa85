"""The courses' part of the provider's dashboard (I1, portal.dashboard): the
latest courses, what each one waits for, and the button to apply."""

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from portal import dashboard, workflow
from providers.rules import ja_date

from . import rules
from .models import DeliveryStates


def _context(request, provider) -> dict:
    return {
        "courses": list(
            provider.courses.select_related("provider")
            .annotate(
                n_deliveries=Count(
                    "delivery_courses", filter=~Q(delivery_courses__state=DeliveryStates.DELETED)
                )
            )
            .order_by("-serial")[:20]
        )
    }


def _next_steps(provider, context, now) -> list[tuple[str, str]]:
    steps = []
    # P6 (M§2.5): while a revocation bars new courses (the providers part's
    # banner says until when), no step asks to file one.
    barred = bool(context.get("bar_problem"))
    for course in context["courses"]:
        url = reverse("course_detail", args=[course.pk])
        state = workflow.state_of(course)
        if state.provider_may_edit and barred:
            continue
        if state.returned:
            steps.append(
                (
                    f"{course.number} が差し戻されています。理由を確認して修正・再申請してください。",
                    url,
                )
            )
        elif state.provider_may_edit:  # 作成中
            steps.append((f"{course.number} は作成中です。入力を終えて申請してください。", url))
        elif state.waiting_for_ipa and not course.payment_confirmed_on:
            steps.append((f"{course.number} の講座認定審査手数料の入金確認を待っています。", url))
        elif (
            state.in_force
            and not barred  # P6: no new course while barred
            and rules.renewal_due(course.valid_until, timezone.localtime(now).date())
        ):
            steps.append(
                (f"{course.number} の認定は {ja_date(course.valid_until)} に終了します（延長はできません）。"
                 "続けて実施する場合は、新しい免除対象講座を申請してください。", reverse("course_create"))
            )  # fmt: skip
    return steps


def _first_course(provider, context, now) -> list[tuple[str, str]]:
    if context["courses"] or context.get("bar_problem"):
        return []
    return [
        ("免除対象講座を申請しましょう。認定希望月の1か月前までに不備なく完了させてください（最短で申請月の翌々月1日に認定）。",
         reverse("course_create"))
    ]  # fmt: skip


dashboard.register(
    dashboard.Part(
        "courses",
        order=30,
        context=_context,
        next_steps=_next_steps,
        templates={
            "actions": "courses/_dashboard_actions.html",
            "sections": "courses/_dashboard_courses.html",
        },
    )
)
# After the fees' step, as the page always listed it.
dashboard.register(dashboard.Part("first_course", order=50, next_steps=_first_course))
