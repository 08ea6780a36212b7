"""license.assign's edit-and-approve (F13): an approver picks another plan for the person before approving; the
edited request is validated by license_draft exactly as the requester's new request for that plan would be."""

from __future__ import annotations

from collections.abc import Mapping

from cards.i18n import Translator
from handlers.context import Actor, Reply, actor_translator
from handlers.services import Services
from handlers.submission import Draft
from kinds.editor import EditField, Editor, Style
from kinds.licenses.assign import license_draft, plan_list
from kinds.licenses.commands import RequestLicense
from kinds.licenses.steps import AssignLicense, SetUsageLocation
from kinds.steps import Step
from storage.models import Request

PLAN_LABEL = "editing.field.plan"


def shown(plan: tuple[Step, ...]) -> dict[str, str]:
    return {PLAN_LABEL: ", ".join(step.plan for step in plan if isinstance(step, AssignLicense))}


async def fields(services: Services, request: Request, t: Translator) -> tuple[EditField, ...]:
    """The plan, among the tenant's plans for people (each with its free seats)."""
    skus = await services.tenant.licenses.list_skus()
    current = request.payload.get("key", "")
    choices = tuple(
        (sku.sku_id, t("editing.plan_choice", plan=services.plans.name(sku), free=sku.free_units))
        for sku in sorted(skus, key=services.plans.name)
        if sku.applies_to == "User"
    )
    return (EditField("plan", PLAN_LABEL, current, Style.CHOICE, choices, required=True),)


async def revise(services: Services, request: Request, requester: Actor, inputs: Mapping[str, str]) -> Draft | Reply:
    """The same person, the plan chosen: everything license_draft checks for a new request (the plan exists, the
    person may get it and lacks it, a free seat, a usage location, no other request for it in flight)."""
    chosen = inputs.get("plan", "").strip()
    if not chosen:
        skus = await services.tenant.licenses.list_skus()
        t = actor_translator(requester)
        return Reply(text=t("license.unknown_plan", plan=chosen, plans=plan_list(services, skus)))
    steps = services.kinds.steps.load_plan(request.plan)
    country = next((step.country for step in steps if isinstance(step, SetUsageLocation)), None)
    # The person as the requester named them: themselves (the requester), or someone else by object id.
    for_user = None if request.target_id == request.requester_id else request.target_id
    command = RequestLicense(plan=chosen, for_user=for_user, usage_location=country)
    return await license_draft(services, requester, command, replacing=request)


def editor() -> Editor:
    return Editor(fields=fields, shown=shown, revise=revise)
