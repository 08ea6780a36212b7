"""license.assign: validate a request (typed, or from the license form) against the tenant, plan its exact steps,
file it; and the checks the family's kinds share (plan, person, who may ask, a request already in flight)."""

from __future__ import annotations

from dataclasses import dataclass

from cards.i18n import Translator
from cards.licenses import license_form
from cards.seat_orders import SeatOfferView, seat_offer_card
from cards.views import LicenseFormView, PlanChoice
from handlers.approvals import resolve_approvers
from handlers.context import Actor, Reply, actor_translator
from handlers.lifecycle import RequestState
from handlers.people import find_person, normalize_country
from handlers.services import Services, may_request_for
from handlers.submission import Draft, submit
from kinds.card_data import DEFAULT_MAX_LENGTH, bounded
from kinds.licenses.commands import RequestLicense
from kinds.licenses.steps import AssignLicense, SetUsageLocation
from kinds.steps import Step
from m365.ports import DirectoryUser, Sku
from storage.models import Request
from storage.uow import UnitOfWork

KIND = "license.assign"
# Every request kind that changes someone's licenses; payload "sku_ids" (or "key") and "user_ids" (or the target)
# say which SKUs of whom, so a second request touching the same license of the same person waits for the first.
LICENSE_KINDS = ("license.assign", "license.assign_bulk", "license.remove", "license.change")


@dataclass(frozen=True, slots=True)
class LicenseFormClick:
    """The license form's button (or the help card's, with ``form`` set): its inputs, only wishes."""

    form: bool | None = None  # the help card's button: show the form
    sku_id: str | None = bounded(100, optional=True)  # a choice's value, a SKU id (a GUID)
    # Typed text: a name nobody has gets "not found", and a country that is none "invalid", as when typed in chat.
    for_user: str | None = bounded(DEFAULT_MAX_LENGTH, optional=True)
    usage_location: str | None = bounded(DEFAULT_MAX_LENGTH, optional=True)


async def show_form(services: Services, actor: Actor, *, notice: str | None = None) -> Reply:
    skus = await services.tenant.licenses.list_skus()
    view = LicenseFormView(plans=_choices(services, skus), notice=notice)
    return Reply(card=license_form(view, actor_translator(actor)))


async def form_submitted(services: Services, actor: Actor, data: LicenseFormClick) -> Reply:
    """The form's Action.Execute: its inputs are only wishes; everything is validated again like typed text."""
    if data.form:
        return await show_form(services, actor)
    if data.sku_id is None:
        return await show_form(services, actor, notice=actor_translator(actor)("error.bad_card"))
    return await request_license(
        services, actor, RequestLicense(plan=data.sku_id, for_user=data.for_user, usage_location=data.usage_location)
    )


async def request_license(services: Services, actor: Actor, command: RequestLicense) -> Reply:
    draft = await license_draft(services, actor, command)
    return draft if isinstance(draft, Reply) else await submit(services, actor, draft)


async def license_draft(
    services: Services, actor: Actor, command: RequestLicense, *, replacing: Request | None = None
) -> Draft | Reply:
    """The validated request, or the reply that refuses it; ``replacing``: the waiting request an approver is
    editing (kinds/licenses/edit.py), which does not count as one already in flight."""
    t = actor_translator(actor)
    licenses = services.tenant.licenses
    skus = await licenses.list_skus()
    sku = plan_or_refusal(services, t, command.plan, skus)
    if isinstance(sku, Reply):
        return sku
    plan_name = services.plans.name(sku)

    user = await person_or_refusal(services, actor, command.for_user)
    if isinstance(user, Reply):
        return user
    if not user.account_enabled:
        return Reply(text=t("license.user_disabled", user=user.display_name))
    if any(held.sku_id == sku.sku_id for held in await licenses.user_licenses(user.id)):
        return Reply(text=t("license.already_has", user=user.display_name, plan=plan_name))

    async with services.uow() as uow:
        pending = await open_license_request(uow, actor.user_id, user.id, {sku.sku_id})
    if pending and (replacing is None or pending.id != replacing.id):
        return Reply(
            text=t("license.already_pending", request_id=pending.public_id, plan=plan_name, user=user.display_name)
        )
    if sku.free_units <= 0:
        # Instead of failing at execution: say so, and offer a seat order for one more (F10, kinds/seats).
        offer = SeatOfferView(sku.sku_id, plan_name, purchased=sku.enabled_units, assigned=sku.consumed_units)
        return Reply(
            text=t(
                "license.no_free_seats", plan=plan_name, assigned=sku.consumed_units, purchased=sku.enabled_units
            ),
            card=seat_offer_card(offer, t),
        )

    plan: list[Step] = []
    if not user.usage_location:
        if command.usage_location and not normalize_country(command.usage_location):
            return Reply(text=t("license.invalid_usage_location", value=command.usage_location))
        country = normalize_country(command.usage_location) or normalize_country(user.country)
        if not country:
            form = LicenseFormView(
                plans=_choices(services, skus),
                selected_sku_id=sku.sku_id,
                for_user=command.for_user or "",
                ask_usage_location=True,
                notice=t("license.needs_usage_location", user=user.display_name),
            )
            return Reply(text=form.notice, card=license_form(form, t))
        plan.append(SetUsageLocation(user_id=user.id, user=user.display_name, country=country))
    plan.append(AssignLicense(user_id=user.id, user=user.display_name, sku_id=sku.sku_id, plan=plan_name))

    approvers = await resolve_approvers(services, actor.user_id)
    if not approvers.ids:
        return Reply(text=t("request.no_approvers"))
    return Draft(
        kind=KIND,
        target_id=user.id,
        target_label=f"{user.display_name} · {plan_name}",
        payload={"key": sku.sku_id, "route": approvers.route, "sku_part_number": sku.sku_part_number},
        plan=tuple(plan),
        approver_ids=approvers.ids,
        approver_names=approvers.names,
        facts=[("request.field.free_seats", f"{sku.free_units} / {sku.enabled_units}")],
    )


def plan_or_refusal(services: Services, t: Translator, query: str, skus: list[Sku]) -> Sku | Reply:
    """The tenant's plan the person named, or the reply listing the plans there are."""
    sku = services.plans.match(query, skus)
    if sku is None:
        return Reply(text=t("license.unknown_plan", plan=query, plans=plan_list(services, skus)))
    return sku


async def person_or_refusal(services: Services, actor: Actor, for_user: str | None) -> DirectoryUser | Reply:
    """The person a license command is about, once found and once the actor may ask about them; else the reply."""
    user = await target_user(services, actor, for_user)
    if user is None:
        return Reply(text=actor_translator(actor)("license.user_not_found", user=for_user or actor.name))
    return await not_theirs(services, actor, user) or user


async def target_user(services: Services, actor: Actor, for_user: str | None) -> DirectoryUser | None:
    """The person a license command is about: the one named, or the person asking."""
    directory = services.tenant.directory
    return await (find_person(directory, for_user) if for_user else directory.get_user(actor.user_id))


async def not_theirs(services: Services, actor: Actor, user: DirectoryUser) -> Reply | None:
    """The refusal when the actor may not ask about this person (F9: oneself, admins, managers for reports)."""
    if await may_request_for(services, actor, user.id):
        return None
    key = "license.not_yours" if services.policy.managers_may_request_for_reports else "license.not_yours.admins_only"
    return Reply(text=actor_translator(actor)(key, user=user.display_name))


async def open_license_request(
    uow: UnitOfWork, requester_id: str, user_id: str, sku_ids: set[str]
) -> Request | None:
    """This requester's request still in flight that touches one of these SKUs of this person, of any license kind."""
    wanted = {sku_id.lower() for sku_id in sku_ids}
    for request in await uow.requests.list_for_requester(requester_id, limit=200):
        if request.kind not in LICENSE_KINDS or RequestState(request.state).is_final:
            continue
        users = request.payload.get("user_ids") or [request.target_id]
        skus = request.payload.get("sku_ids") or [request.payload.get("key") or ""]
        if user_id in users and wanted & {str(sku).lower() for sku in skus}:
            return request
    return None


def plan_list(services: Services, skus: list[Sku]) -> str:
    return ", ".join(choice.name for choice in _choices(services, skus))

def _choices(services: Services, skus: list[Sku]) -> tuple[PlanChoice, ...]:
    return tuple(
        PlanChoice(sku_id=sku.sku_id, name=services.plans.name(sku), free_units=sku.free_units)
        for sku in sorted(skus, key=services.plans.name)
        if sku.applies_to == "User"
    )

