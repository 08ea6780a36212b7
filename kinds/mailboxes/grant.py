"""mailbox.grant: validate and file a request to give people a delegation on a shared mailbox, typed or from the grant
form, permanent or until a day (its expiry is the desk's own plan step, kinds/mailboxes/records.py)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import TypedDict
from zoneinfo import ZoneInfo

from cards.mailboxes import grant_form
from cards.verbs import Verb
from handlers.context import Actor, Reply, actor_translator
from handlers.services import Services
from handlers.submission import Draft, find_open, submit
from kinds.mailboxes.clicks import GrantClick
from kinds.mailboxes.commands import people_of
from kinds.mailboxes.lookup import (
    ACCESS_LABELS,
    GRANT,
    MAX_PEOPLE_PER_REQUEST,
    access_named,
    find_mailbox,
    holds,
    mailbox_draft,
    mailboxes_of,
    me_as_actor,
    nothing_valid,
    people,
    route,
    with_refusals,
)
from kinds.mailboxes.records import EndGrantExpiry, ScheduleGrantExpiry
from kinds.mailboxes.steps import GrantMailboxAccess
from kinds.recipients import Refused
from kinds.steps import Step
from m365.ports import Access, DirectoryUser
from storage.models import Request


class _ExpiryFields(TypedDict):
    """What ScheduleGrantExpiry and EndGrantExpiry both take: one grant's mailbox, delegation and people."""

    mailbox_id: str
    mailbox: str
    mailbox_address: str
    access: str
    right: str
    user: str
    person_ids: tuple[str, ...]
    person_addresses: tuple[str, ...]
    person_names: tuple[str, ...]


_DATE_FORMATS = (r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$", r"^(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})$")


def parse_until(value: str) -> date | None:
    """YYYY-MM-DD (what Input.Date sends) or DD.MM.YYYY; None when it is neither or no such day."""
    for pattern in _DATE_FORMATS:
        if found := re.match(pattern, value.strip()):
            try:
                return date(int(found["y"]), int(found["m"]), int(found["d"]))
            except ValueError:
                return None
    return None


def expiry_instant(services: Services, day: date) -> datetime:
    """A grant "until" a day ends as that day begins in the desk's service time zone (the SLA calendar's)."""
    zone = ZoneInfo(services.calendar.timezone)
    return datetime.combine(day, time(0, 0), tzinfo=zone)


async def request_grant(
    services: Services,
    actor: Actor,
    access: Access,
    mailbox_ref: str,
    entries: Sequence[str],
    *,
    until: str = "",
    auto_mapping: bool = True,
) -> Reply:
    drafted = await grant_draft(services, actor, access, mailbox_ref, entries, until=until, auto_mapping=auto_mapping)
    if isinstance(drafted, Reply):
        return drafted
    draft, refused = drafted
    return with_refusals(actor_translator(actor), await submit(services, actor, draft), refused)


async def grant_draft(
    services: Services,
    actor: Actor,
    access: Access,
    mailbox_ref: str,
    entries: Sequence[str],
    *,
    until: str = "",
    auto_mapping: bool = True,
    replacing: Request | None = None,
) -> tuple[Draft, list[Refused]] | Reply:
    """The validated request and the people left out of it (and why), or the reply that refuses it all;
    ``replacing``: the waiting request an approver is editing (kinds/mailboxes/edit.py), not one in flight."""
    t = actor_translator(actor)
    if len(entries) > MAX_PEOPLE_PER_REQUEST:
        return Reply(text=t("mailbox.too_many_people", max=MAX_PEOPLE_PER_REQUEST))
    expires_at: datetime | None = None
    if until.strip():
        day = parse_until(until)
        if day is None:
            return Reply(text=t("mailbox.until_invalid", until=until))
        expires_at = expiry_instant(services, day)
        if expires_at <= services.clock():
            return Reply(text=t("mailbox.until_past", until=day.isoformat()))
    again = {"access": access.value, "people": ", ".join(entries), "until": until,
             "auto_mapping": "true" if auto_mapping else "false"}
    mailbox = await find_mailbox(services, t, mailbox_ref,
                                 then=lambda m: (Verb.MAILBOX_GRANT_SUBMIT, {"mailbox": m.identity, **again}))
    if isinstance(mailbox, Reply):
        return mailbox
    delegates = await mailboxes_of(services).delegates(mailbox.identity)
    found, refused = await people(services, me_as_actor(actor, entries))
    async with services.uow() as uow:
        expiries = {
            person.id: await uow.grants.active(mailbox.primary_smtp_address, access.value, person.id)
            for person in found
        }
    chosen: list[DirectoryUser] = []
    for person in found:
        current = expiries[person.id]
        if holds(delegates, access, person):
            # Holding it already is a no-op, unless the request changes when (or whether) it ends.
            same_end = (current.expires_at if current else None) == expires_at
            if same_end:
                refused.append(Refused(person.mail or person.display_name, "mailbox.refused.already_has"))
                continue
        chosen.append(person)
    if not chosen:
        return nothing_valid(t, refused)

    approvers = await route(services, actor, mailbox)
    if not approvers.ids:
        return Reply(text=t("request.no_approvers"))
    key = f"{access.value}:" + ",".join(sorted(person.id for person in chosen))
    async with services.uow() as uow:
        pending = await find_open(uow, kind=GRANT, requester_id=actor.user_id, target_id=mailbox.identity, key=key)
    if pending and (replacing is None or pending.id != replacing.id):
        return Reply(text=t("mailbox.already_pending", mailbox=mailbox.display_name, request_id=pending.public_id))

    label = ACCESS_LABELS[access]
    about = {"mailbox_id": mailbox.identity, "mailbox": mailbox.display_name, "access": label, "right": access.value}
    plan: list[Step] = [
        GrantMailboxAccess(**about, user=person.display_name, user_id=person.id, address=person.mail or "",
                           auto_mapping=auto_mapping)
        for person in chosen
    ]
    timed = _ExpiryFields(
        mailbox_id=mailbox.identity,
        mailbox=mailbox.display_name,
        mailbox_address=mailbox.primary_smtp_address,
        access=label,
        right=access.value,
        user=", ".join(person.display_name for person in chosen),
        person_ids=tuple(person.id for person in chosen),
        person_addresses=tuple(person.mail or "" for person in chosen),
        person_names=tuple(person.display_name for person in chosen),
    )
    if expires_at is not None:
        plan.append(ScheduleGrantExpiry(**timed, until=expires_at.date().isoformat(),
                                        expires_at=expires_at.isoformat()))
    elif any(expiries[person.id] is not None for person in chosen):
        plan.append(EndGrantExpiry(**timed))  # a permanent grant replaces a time-bound one
    facts: list[tuple[str, str]] = [("mailbox.field.access", t("mailbox.access." + access.value))]
    if access is Access.FULL_ACCESS:
        facts.append(("mailbox.field.auto_mapping", t("mailbox.yes" if auto_mapping else "mailbox.no")))
    if expires_at is not None:
        facts.append(("mailbox.field.until", expires_at.date().isoformat()))
    return mailbox_draft(GRANT, mailbox, key, approvers, plan, facts), refused


async def grant_clicked(services: Services, actor: Actor, data: GrantClick) -> Reply:
    """The mailbox card's "ask for access" opens the form for that mailbox; the form itself (or a choice card's
    pick): refusals that concern the form send it back, filled in, with the reason on top."""
    t = actor_translator(actor)
    if data.form:
        return Reply(card=grant_form(t, values={"mailbox": data.mailbox or ""}))
    values = {"mailbox": data.mailbox or "", "access": data.access or "", "people": data.people or "",
              "until": data.until or "", "auto_mapping": data.auto_mapping or ""}
    access = access_named(values["access"])
    entries = people_of(values["people"])
    if access is None or not values["mailbox"] or not entries:
        notice = t("mailbox.form.incomplete")
        return Reply(text=notice, card=grant_form(t, values=values, notice=notice))
    return await request_grant(
        services, actor, access, values["mailbox"], entries,
        until=values["until"], auto_mapping=values["auto_mapping"] != "false",
    )
