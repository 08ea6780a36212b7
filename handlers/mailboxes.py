"""Shared mailbox requests (F6): create, delete, grant and revoke delegations, time-bound grants.

Everything is validated against Exchange as it is now, before anything is stored; each refusal is a localized
message and stores nothing. Grants and revokes go to the mailbox's desk-recorded owners (other than the requester),
else to the admins; create and delete go to the admins. The desk's own bookkeeping (owners of a new mailbox, grant
expiries) runs as plan steps of their own (DESK_OPS), after the Exchange steps; handlers/execution.py refreshes the
directory cache of every mailbox a plan touched.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from cards.elements import text
from cards.i18n import Translator
from cards.lists import Choice, choice_card
from cards.mailboxes import MAX_NAME, MailboxView, create_mailbox_form, grant_form, mailbox_card
from cards.verbs import Verb
from handlers.approvals import Approvers, resolve_approvers
from handlers.commands import argument_too_long
from handlers.context import Actor, Reply, actor_translator
from handlers.mailbox_commands import (
    CreateMailbox,
    DeleteMailbox,
    GrantAccess,
    MailboxCommand,
    RevokeAccess,
    SetMailboxOwners,
    ShowMailbox,
    access_of,
    people_of,
)
from handlers.people import SELF_WORDS, find_person
from handlers.submission import Draft, find_open, submit
from handlers.services import Services, is_admin
from handlers.suggestions import near_names_reply
from m365.errors import NotFound
from m365.mailbox_steps import CREATE_OP, DELETE_OP, GRANT_OP, REVOKE_OP
from m365.outcomes import StepOutcome
from m365.ports import Access, DirectoryUser, MailboxDelegate, Mailboxes, SharedMailbox

logger = logging.getLogger(__name__)

CREATE, DELETE, GRANT, REVOKE = "mailbox.create", "mailbox.delete", "mailbox.grant", "mailbox.revoke"
# Exchange's own names of the delegations; plan steps carry them as their human label.
ACCESS_LABELS = {Access.FULL_ACCESS: "Full Access", Access.SEND_AS: "Send As", Access.SEND_ON_BEHALF: "Send on Behalf"}
# Initial delegates of a new mailbox can read it and send from it, like the members of a team mailbox in DSM.
INITIAL_DELEGATION = (Access.FULL_ACCESS, Access.SEND_AS)
MAX_PEOPLE_PER_REQUEST = 100

# The desk's own plan steps (not Exchange's): handled here, through handlers/execution.py.
RECORD_OWNERS_OP = "record_mailbox_owners"
SCHEDULE_EXPIRY_OP = "schedule_grant_expiry"
END_EXPIRY_OP = "end_grant_expiry"
DESK_OPS: frozenset[str] = frozenset({RECORD_OWNERS_OP, SCHEDULE_EXPIRY_OP, END_EXPIRY_OP})

# Exchange's limits: an alias (and an address's local part) is an RFC 5322 dot-atom of ≤ 64 characters.
_ALIAS = re.compile(r"^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(?:\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$")
_ADDRESS = re.compile(r"^(?P<local>[^@\s]+)@(?P<domain>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)$")
# Characters a name search (Exchange's Anr) may read as a pattern.
_PATTERN_CHARACTERS = re.compile(r"[*?%\[\]]")
_DATE_FORMATS = (r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$", r"^(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})$")


@dataclass(frozen=True, slots=True)
class Refused:
    """One person who will not be part of the request, and why (a message key)."""

    value: str
    reason: str


# ------------------------------------------------------------------ entry points (bot/agent.py)


async def handle_command(services: Services, actor: Actor, command: MailboxCommand) -> Reply:
    t = actor_translator(actor)
    match command:
        case CreateMailbox():
            return await show_create_form(services, actor, name=command.name, address=command.address)
        case DeleteMailbox():
            return await request_delete(services, actor, command.mailbox)
        case GrantAccess() if command.complete:
            assert command.access is not None
            return await request_grant(
                services, actor, command.access, command.mailbox, command.people,
                until=command.until, auto_mapping=command.auto_mapping,
            )
        case GrantAccess():
            values = {
                "mailbox": command.mailbox,
                "access": command.access.value if command.access else "",
                "people": ", ".join(command.people),
                "until": command.until,
                "auto_mapping": "true" if command.auto_mapping else "false",
            }
            return Reply(card=grant_form(t, values=values))
        case RevokeAccess() if command.access is not None and command.mailbox and command.people:
            return await request_revoke(services, actor, command.access, command.mailbox, command.people)
        case RevokeAccess():
            return Reply(text=t("mailbox.revoke.usage"))
        case SetMailboxOwners():
            return await set_owners(services, actor, command.mailbox, command.people)
        case ShowMailbox():
            return await show_mailbox(services, actor, command.mailbox)
    return Reply(text=t("unknown_command", text=str(command)))


async def handle_verb(services: Services, actor: Actor, verb: Verb, data: dict[str, Any]) -> Reply:
    """Card clicks: their data are only wishes, each one re-validated exactly like a typed command."""
    t = actor_translator(actor)
    match verb:
        case Verb.MAILBOX_SHOW:
            # The browse cards (cards/lists.py) send "mailbox_id"; the desk's own cards send "mailbox".
            ref = _text(data, "mailbox") or _text(data, "mailbox_id") or _text(data, "identity")
            return await show_mailbox(services, actor, ref) if ref else Reply(text=t("error.bad_card"))
        case Verb.MAILBOX_CREATE_SUBMIT:
            return await create_submitted(services, actor, data)
        case Verb.MAILBOX_DELETE:
            mailbox = _text(data, "mailbox") or _text(data, "mailbox_id")
            return await request_delete(services, actor, mailbox) if mailbox else Reply(text=t("error.bad_card"))
        case Verb.MAILBOX_GRANT_SUBMIT:
            if data.get("form"):
                return Reply(card=grant_form(t, values={"mailbox": _text(data, "mailbox")}))
            return await grant_submitted(services, actor, data)
        case Verb.MAILBOX_REVOKE:
            # One holder's button on the mailbox card ("person"), or the people of a typed revoke ("people") when
            # the mailbox was picked from a choice card.
            access = _access(_text(data, "access"))
            mailbox = _text(data, "mailbox")
            people = (_text(data, "person"),) if _text(data, "person") else people_of(_text(data, "people"))
            if access is None or not mailbox or not people:
                return Reply(text=t("error.bad_card"))
            return await request_revoke(services, actor, access, mailbox, people)
    return Reply(text=t("error.bad_card"))


# ------------------------------------------------------------------ looking things up


# What a click on a choice card does with the mailbox picked: the command's verb and data, naming it by its id.
Then = Callable[[SharedMailbox], tuple[Verb, dict[str, Any]]]


def show_then(mailbox: SharedMailbox) -> tuple[Verb, dict[str, Any]]:
    return Verb.MAILBOX_SHOW, {"mailbox": mailbox.identity}


async def find_mailbox(services: Services, t: Translator, ref: str, *, allow_dir_synced: bool = False,
                       then: Then = show_then) -> SharedMailbox | Reply:
    """The shared mailbox called exactly ``ref`` (address, alias, Name or display name, any case), or the reply: a
    card to pick one when several have that name (each button re-runs the command through ``then`` for one mailbox's
    id), or why not (absent, not shared, synchronised from on-premises). "*" is a character of a name, never a
    pattern."""
    port = services.tenant.mailboxes
    ref = ref.strip()
    if port is None:
        return Reply(text=t("mailbox.unavailable"))
    if not ref:
        return Reply(text=t("mailbox.missing_name"))
    if (refusal := argument_too_long(ref)) is not None:
        # Nothing this long names a mailbox: refused before any lookup.
        return Reply(text=t(refusal.key, max=refusal.limit, length=refusal.length, start=refusal.start))
    candidates = await port.mailboxes_named(ref)
    if len(candidates) > 1:
        choices = [Choice(m.display_name, m.primary_smtp_address, *then(m)) for m in candidates]
        return Reply(card=choice_card(t, kind="mailboxes", name=ref, choices=choices))
    found = candidates[0] if candidates else None
    if found is None:
        recipients = services.tenant.recipients
        other = await recipients.get_recipient(ref) if recipients is not None else None
        if other is not None and other.recipient_type_details != "SharedMailbox":
            return Reply(text=t("mailbox.not_shared", mailbox=other.display_name))
        # "Did you mean …?": near names from the directory cache, each button running the command for that one.
        if near := await near_names_reply(services, t, ref, kind="mailbox", then=then):
            return near
        if _PATTERN_CHARACTERS.search(ref):
            return Reply(text=t("mailbox.not_found", mailbox=ref))  # Anr would read it as a pattern: no suggestions
        suggestions = [item.display_name for item in await port.find_mailboxes(ref, limit=5)]
        if suggestions:
            return Reply(text=t("mailbox.not_found_suggest", mailbox=ref, suggestions=", ".join(suggestions)))
        return Reply(text=t("mailbox.not_found", mailbox=ref))
    if found.is_dir_synced and not allow_dir_synced:
        return Reply(text=t("mailbox.dir_synced", mailbox=found.display_name))
    return found


async def check_person(services: Services, entry: str) -> DirectoryUser | Refused:
    """Someone who can hold a delegation: exists, is enabled, has a mailbox (mail-enabled)."""
    if argument_too_long(entry):
        # Longer than any name or address (e.g. pasted into the grant form): no one, and no directory lookup.
        return Refused(entry[:40] + "…", "mailbox.refused.unknown")
    person = await find_person(services.tenant.directory, entry)
    if person is None:
        return Refused(entry, "mailbox.refused.unknown")
    if not person.account_enabled:
        return Refused(entry, "mailbox.refused.disabled")
    if not person.mail:
        return Refused(entry, "mailbox.refused.no_mailbox")
    return person


async def _people(services: Services, entries: Sequence[str]) -> tuple[list[DirectoryUser], list[Refused]]:
    valid: dict[str, DirectoryUser] = {}
    refused: list[Refused] = []
    for entry in entries:
        checked = await check_person(services, entry)
        if isinstance(checked, Refused):
            refused.append(checked)
        else:
            valid.setdefault(checked.id, checked)
    return list(valid.values()), refused


async def _owners(services: Services, mailbox: SharedMailbox) -> list[DirectoryUser]:
    """The owners the desk recorded, as the directory knows them now (resolve_approvers drops disabled ones)."""
    async with services.uow() as uow:
        recorded = await uow.mailbox_owners.of(mailbox.identity)
    people = []
    for user_id, _address, _name in recorded:
        person = await services.tenant.directory.get_user(user_id)
        if person is not None:
            people.append(person)
    return people


def _holds(delegates: Sequence[MailboxDelegate], access: Access, person: DirectoryUser) -> bool:
    keys = {person.id.casefold(), (person.mail or "").casefold(), person.user_principal_name.casefold()}
    return any(
        item.access == access
        and (item.primary_smtp_address.casefold() in keys or (item.external_directory_object_id or "").casefold()
             in keys)
        for item in delegates
    )


def _refusal_lines(t: Translator, refused: Sequence[Refused]) -> list[str]:
    return [f"- {item.value}: {t(item.reason)}" for item in refused]


def _with_refusals(t: Translator, reply: Reply, refused: Sequence[Refused]) -> Reply:
    if not refused:
        return reply
    report = "\n".join([t("mailbox.some_refused", count=len(refused)), *_refusal_lines(t, refused)])
    card = reply.card
    if card is not None:
        # A form click shows only the card (Teams drops an invoke's text), so the card carries the report too.
        card = {**card, "body": [*card["body"][:1], text(report, color="Attention"), *card["body"][1:]]}
    return Reply(text=f"{reply.text or ''}\n{report}", card=card, request_id=reply.request_id)


def _nothing_valid(t: Translator, refused: Sequence[Refused]) -> Reply:
    return Reply(text="\n".join([t("mailbox.nobody_valid"), *_refusal_lines(t, refused)]))


async def _route(services: Services, actor: Actor, mailbox: SharedMailbox | None) -> Approvers:
    owners = await _owners(services, mailbox) if mailbox is not None else []
    return await resolve_approvers(services, actor.user_id, owners=owners)


def _label(mailbox: SharedMailbox) -> str:
    return f"{mailbox.display_name} <{mailbox.primary_smtp_address}>"


# ------------------------------------------------------------------ grant


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
    port = _port(services)
    delegates = await port.delegates(mailbox.identity)
    entries = _me_as_actor(actor, entries)
    people, refused = await _people(services, entries)
    async with services.uow() as uow:
        expiries = {
            person.id: await uow.grants.active(mailbox.primary_smtp_address, access.value, person.id)
            for person in people
        }
    chosen: list[DirectoryUser] = []
    for person in people:
        current = expiries[person.id]
        if _holds(delegates, access, person):
            # Holding it already is a no-op, unless the request changes when (or whether) it ends.
            same_end = (current.expires_at if current else None) == expires_at
            if same_end:
                refused.append(Refused(person.mail or person.display_name, "mailbox.refused.already_has"))
                continue
        chosen.append(person)
    if not chosen:
        return _nothing_valid(t, refused)

    approvers = await _route(services, actor, mailbox)
    if not approvers.ids:
        return Reply(text=t("request.no_approvers"))
    key = f"{access.value}:" + ",".join(sorted(person.id for person in chosen))
    async with services.uow() as uow:
        pending = await find_open(uow, kind=GRANT, requester_id=actor.user_id, target_id=mailbox.identity, key=key)
    if pending:
        return Reply(text=t("mailbox.already_pending", mailbox=mailbox.display_name, request_id=pending.public_id))

    label = ACCESS_LABELS[access]
    base = {"mailbox_id": mailbox.identity, "mailbox": mailbox.display_name, "access": label, "right": access.value}
    plan: list[dict[str, Any]] = [
        {"op": GRANT_OP, **base, "user": person.display_name, "user_id": person.id, "address": person.mail,
         "auto_mapping": auto_mapping}
        for person in chosen
    ]
    holders = [{"id": p.id, "address": p.mail, "name": p.display_name} for p in chosen]
    names = ", ".join(person.display_name for person in chosen)
    timed = {**base, "mailbox_address": mailbox.primary_smtp_address, "people": holders, "user": names}
    if expires_at is not None:
        plan.append({"op": SCHEDULE_EXPIRY_OP, **timed, "until": expires_at.date().isoformat(),
                     "expires_at": expires_at.isoformat()})
    elif any(expiries[person.id] is not None for person in chosen):
        plan.append({"op": END_EXPIRY_OP, **timed})  # a permanent grant replaces a time-bound one
    facts = [("mailbox.field.access", t("mailbox.access." + access.value))]
    if access is Access.FULL_ACCESS:
        facts.append(("mailbox.field.auto_mapping", t("mailbox.yes" if auto_mapping else "mailbox.no")))
    if expires_at is not None:
        facts.append(("mailbox.field.until", expires_at.date().isoformat()))
    draft = _mailbox_draft(GRANT, mailbox, key, approvers, plan, facts)
    return _with_refusals(t, await submit(services, actor, draft), refused)


async def grant_submitted(services: Services, actor: Actor, data: Mapping[str, Any]) -> Reply:
    """The grant form: refusals that concern the form itself send it back, filled in, with the reason on top."""
    t = actor_translator(actor)
    values = {key: _text(data, key) for key in ("mailbox", "access", "people", "until", "auto_mapping")}
    access = _access(values["access"])
    entries = people_of(values["people"])
    if access is None or not values["mailbox"] or not entries:
        notice = t("mailbox.form.incomplete")
        return Reply(text=notice, card=grant_form(t, values=values, notice=notice))
    return await request_grant(
        services, actor, access, values["mailbox"], entries,
        until=values["until"], auto_mapping=values["auto_mapping"] != "false",
    )


# ------------------------------------------------------------------ revoke


async def request_revoke(
    services: Services, actor: Actor, access: Access, mailbox_ref: str, entries: Sequence[str], *,
    desk_actor: bool = False,
) -> Reply:
    t = actor_translator(actor)
    if len(entries) > MAX_PEOPLE_PER_REQUEST:
        return Reply(text=t("mailbox.too_many_people", max=MAX_PEOPLE_PER_REQUEST))
    again = {"access": access.value, "people": ", ".join(entries)}
    mailbox = await find_mailbox(services, t, mailbox_ref,
                                 then=lambda m: (Verb.MAILBOX_REVOKE, {"mailbox": m.identity, **again}))
    if isinstance(mailbox, Reply):
        return mailbox
    entries = _me_as_actor(actor, entries)
    delegates = [item for item in await _port(services).delegates(mailbox.identity) if item.access == access]
    chosen: dict[str, MailboxDelegate] = {}
    refused: list[Refused] = []
    for entry in entries:
        holder = await _holder(services, delegates, entry)
        if isinstance(holder, Refused):
            refused.append(holder)
        else:
            chosen.setdefault(holder.primary_smtp_address.casefold(), holder)
    if not chosen:
        return _nothing_valid(t, refused)

    my_keys = await _my_keys(services, actor)
    own = all(_is_mine(holder, my_keys) for holder in chosen.values())
    approvers = await _route(services, actor, mailbox)
    if not approvers.ids and not own and not desk_actor:
        return Reply(text=t("request.no_approvers"))
    key = f"{access.value}:" + ",".join(sorted(chosen))
    async with services.uow() as uow:
        pending = await find_open(uow, kind=REVOKE, requester_id=actor.user_id, target_id=mailbox.identity, key=key)
    if pending:
        return Reply(text=t("mailbox.already_pending", mailbox=mailbox.display_name, request_id=pending.public_id))
    async with services.uow() as uow:
        timed = [
            holder for holder in chosen.values()
            if holder.external_directory_object_id
            and await uow.grants.active(mailbox.primary_smtp_address, access.value, holder.external_directory_object_id)
        ]
    label = ACCESS_LABELS[access]
    plan: list[dict[str, Any]] = [
        {"op": REVOKE_OP, "mailbox_id": mailbox.identity, "mailbox": mailbox.display_name, "access": label,
         "right": access.value, "user": holder.display_name, "user_id": holder.external_directory_object_id,
         "address": holder.primary_smtp_address}
        for holder in chosen.values()
    ]
    if timed:
        # Removed now, so nothing is left for the expiry to remove (and no notice is due).
        plan.append({
            "op": END_EXPIRY_OP, "mailbox_id": mailbox.identity, "mailbox": mailbox.display_name,
            "mailbox_address": mailbox.primary_smtp_address, "access": label, "right": access.value,
            "user": ", ".join(holder.display_name for holder in timed),
            "people": [{"id": holder.external_directory_object_id, "address": holder.primary_smtp_address,
                        "name": holder.display_name} for holder in timed],
        })
    facts = [("mailbox.field.access", t("mailbox.access." + access.value))]
    draft = _mailbox_draft(REVOKE, mailbox, key, approvers, plan, facts)
    # Giving up one's own access needs nobody's approval (F14); the desk's own expiry revokes are policy too.
    rule = "policy.grant_expired" if desk_actor else "policy.revoke_own_access" if own else None
    return _with_refusals(t, await submit(services, actor, draft, auto_approve=rule), refused)


def _mailbox_draft(
    kind: str, mailbox: SharedMailbox, key: str, approvers: Approvers, plan: list[dict[str, Any]],
    facts: list[tuple[str, str]],
) -> Draft:
    """A request about an existing shared mailbox; ``key`` tells a repeated request from a new one (find_open)."""
    return Draft(
        kind=kind,
        target_id=mailbox.identity,
        target_label=_label(mailbox),
        payload={"key": key, "route": approvers.route, "mailbox_address": mailbox.primary_smtp_address},
        plan=plan,
        approver_ids=approvers.ids,
        approver_names=approvers.names,
        facts=facts,
    )


def _me_as_actor(actor: Actor, entries: Sequence[str]) -> list[str]:
    """"… to me" / "… from me": the actor, as the activity names them (never a name typed in the text)."""
    return [actor.user_id if entry.casefold() in SELF_WORDS else entry for entry in entries]


async def _my_keys(services: Services, actor: Actor) -> set[str]:
    """Every way a delegation entry may name the actor: object id, mail, user principal name (casefolded)."""
    me = await services.tenant.directory.get_user(actor.user_id)
    keys = {actor.user_id.casefold()}
    if me is not None:
        keys |= {(me.mail or "").casefold(), me.user_principal_name.casefold()} - {""}
    return keys


def _is_mine(delegate: MailboxDelegate, my_keys: set[str]) -> bool:
    return bool({delegate.primary_smtp_address.casefold(), (delegate.external_directory_object_id or "").casefold()}
                & my_keys)


async def _holder(services: Services, delegates: Sequence[MailboxDelegate], entry: str) -> MailboxDelegate | Refused:
    """The delegation entry of the person named; a person who does not hold it is a no-op, refused."""
    wanted = entry.strip().strip("<>").casefold()
    for item in delegates:
        if wanted in (item.primary_smtp_address.casefold(), item.display_name.casefold(),
                      (item.external_directory_object_id or "").casefold()):
            return item
    if argument_too_long(entry):
        return Refused(entry[:40] + "…", "mailbox.refused.unknown")  # no one has a name this long: not looked up
    person = await find_person(services.tenant.directory, entry)
    if person is None:
        return Refused(entry, "mailbox.refused.unknown")
    keys = {person.id.casefold(), (person.mail or "").casefold(), person.user_principal_name.casefold()}
    for item in delegates:
        if item.primary_smtp_address.casefold() in keys or (item.external_directory_object_id or "").casefold() in keys:
            return item
    return Refused(entry, "mailbox.refused.not_holder")


# ------------------------------------------------------------------ create and delete


async def _accepted_domains(services: Services) -> list[str]:
    sync = services.tenant.directory_sync
    return sorted(domain.lower() for domain in await sync.accepted_domains()) if sync is not None else []


async def show_create_form(services: Services, actor: Actor, *, name: str = "", address: str = "") -> Reply:
    t = actor_translator(actor)
    domains = await _accepted_domains(services)
    me = await services.tenant.directory.get_user(actor.user_id)
    values = {"name": name[:MAX_NAME], "address": address, "owners": (me.mail or "") if me else ""}
    return Reply(card=create_mailbox_form(t, domains=domains, values=values))


async def create_submitted(services: Services, actor: Actor, data: Mapping[str, Any]) -> Reply:
    """Validates the create form; refusals send the form back, filled in as typed, with the reason on top."""
    t = actor_translator(actor)
    values = {key: _text(data, key) for key in ("name", "alias", "address", "owners", "delegates")}
    domains = await _accepted_domains(services)

    def again(key: str, **params: object) -> Reply:
        notice = t(key, **params)
        return Reply(text=notice, card=create_mailbox_form(t, domains=domains, values=values, notice=notice))

    port = services.tenant.mailboxes
    if port is None:
        return Reply(text=t("mailbox.unavailable"))
    name = values["name"]
    if not name:
        return again("mailbox.create.name_missing")
    if len(name) > MAX_NAME:
        return again("mailbox.create.name_too_long", max=MAX_NAME)
    alias = values["alias"] or _alias(name)
    if not alias or len(alias) > 64 or not _ALIAS.match(alias):
        return again("mailbox.create.alias_invalid", alias=alias or name)
    address = (values["address"] or (f"{alias}@{domains[0]}" if domains else "")).lower()
    found = _ADDRESS.match(address)
    if not found or len(found["local"]) > 64 or not _ALIAS.match(found["local"]):
        return again("mailbox.create.address_invalid", address=address)
    if domains and found["domain"] not in domains:
        return again("mailbox.create.domain_not_accepted", domain=found["domain"], domains=", ".join(domains))
    recipients = services.tenant.recipients
    holder = await recipients.get_recipient(address) if recipients is not None else None
    if holder is None:
        existing = await port.mailboxes_named(address)
        holder_name = existing[0].display_name if existing else None
    else:
        holder_name = holder.display_name
    if holder_name is not None:
        return again("mailbox.create.address_in_use", address=address, holder=holder_name)
    if same := await port.mailboxes_named(name):
        return again("mailbox.create.name_in_use", name=name, holder=same[0].primary_smtp_address)

    owner_entries = people_of(values["owners"])
    if not owner_entries:
        me = await services.tenant.directory.get_user(actor.user_id)
        owner_entries = (me.mail,) if me and me.mail else ()
    owners, refused_owners = await _people(services, owner_entries)
    delegates, refused_delegates = await _people(services, people_of(values["delegates"]))
    refused = refused_owners + refused_delegates
    if refused:
        lines = "; ".join(f"{item.value}: {t(item.reason)}" for item in refused)
        return again("mailbox.create.people_refused", people=lines)
    if not owners:
        return again("mailbox.create.owner_missing")

    approvers = await resolve_approvers(services, actor.user_id)  # no owners yet: creating is the admins'
    if not approvers.ids:
        return Reply(text=t("request.no_approvers"))
    async with services.uow() as uow:
        pending = await find_open(uow, kind=CREATE, requester_id=actor.user_id, target_id=address, key=address)
    if pending:
        return Reply(text=t("mailbox.already_pending", mailbox=name, request_id=pending.public_id))
    plan: list[dict[str, Any]] = [
        {"op": CREATE_OP, "name": name, "display_name": name, "alias": alias, "address": address, "mailbox": name}
    ]
    for person in delegates:
        for access in INITIAL_DELEGATION:
            plan.append({"op": GRANT_OP, "mailbox_id": address, "mailbox": name, "access": ACCESS_LABELS[access],
                         "right": access.value, "user": person.display_name, "user_id": person.id,
                         "address": person.mail, "auto_mapping": True})
    plan.append({
        "op": RECORD_OWNERS_OP, "address": address, "mailbox": name,
        "owners": [{"id": p.id, "address": p.mail, "name": p.display_name} for p in owners],
        "user": ", ".join(p.display_name for p in owners),
    })
    facts = [
        ("mailbox.field.address", address),
        ("mailbox.field.alias", alias),
        ("mailbox.field.owners", ", ".join(p.display_name for p in owners)),
    ]
    if delegates:
        facts.append(("mailbox.field.delegates", ", ".join(p.display_name for p in delegates)))
    draft = Draft(
        kind=CREATE,
        target_id=address,
        target_label=f"{name} <{address}>",
        payload={"key": address, "route": approvers.route, "mailbox_address": address},
        plan=plan,
        approver_ids=approvers.ids,
        approver_names=approvers.names,
        facts=facts,
    )
    return await submit(services, actor, draft)


async def request_delete(services: Services, actor: Actor, mailbox_ref: str) -> Reply:
    t = actor_translator(actor)
    mailbox = await find_mailbox(services, t, mailbox_ref,
                                 then=lambda m: (Verb.MAILBOX_DELETE, {"mailbox": m.identity}))
    if isinstance(mailbox, Reply):
        return mailbox
    # Like a list, a mailbox's deletion is asked for by its owners or an admin, and decided by the admins.
    async with services.uow() as uow:
        owner_ids = {user_id for user_id, _address, _name in await uow.mailbox_owners.of(mailbox.identity)}
    if actor.user_id not in owner_ids and not await is_admin(services, actor):
        return Reply(text=t("mailbox.delete.not_owner", mailbox=mailbox.display_name))
    approvers = await resolve_approvers(services, actor.user_id)  # deleting is the admins'
    if not approvers.ids:
        return Reply(text=t("request.no_approvers"))
    key = mailbox.identity
    async with services.uow() as uow:
        pending = await find_open(uow, kind=DELETE, requester_id=actor.user_id, target_id=mailbox.identity, key=key)
    if pending:
        return Reply(text=t("mailbox.already_pending", mailbox=mailbox.display_name, request_id=pending.public_id))
    plan = [{"op": DELETE_OP, "mailbox_id": mailbox.identity, "mailbox": mailbox.display_name}]
    facts = [("mailbox.field.address", mailbox.primary_smtp_address)]
    draft = _mailbox_draft(DELETE, mailbox, key, approvers, plan, facts)
    return await submit(services, actor, draft)


# ------------------------------------------------------------------ owners and the mailbox card


async def set_owners(services: Services, actor: Actor, mailbox_ref: str, entries: Sequence[str]) -> Reply:
    """An admin records who owns an existing mailbox; from then on its grants and revokes go to them."""
    t = actor_translator(actor)
    if not await is_admin(services, actor):
        return Reply(text=t("mailbox.owners.admins_only"))
    mailbox = await find_mailbox(services, t, mailbox_ref, allow_dir_synced=True)
    if isinstance(mailbox, Reply):
        return mailbox
    people, refused = await _people(services, entries)
    if refused or not people:
        return _nothing_valid(t, refused) if refused else Reply(text=t("mailbox.owners.none"))
    owners = [(person.id, person.mail or person.user_principal_name, person.display_name) for person in people]
    async with services.uow() as uow:
        await uow.mailbox_owners.replace(mailbox.identity, owners)
        await uow.audit.append(
            action="mailbox.owners_set",
            actor_id=actor.user_id,
            actor_name=actor.name,
            detail={"mailbox": mailbox.identity, "address": mailbox.primary_smtp_address,
                    "owners": [owner[0] for owner in owners]},
        )
        await uow.commit()
    names = ", ".join(person.display_name for person in people)
    return Reply(text=t("mailbox.owners.set", mailbox=mailbox.display_name, owners=names))


async def show_mailbox(services: Services, actor: Actor, mailbox_ref: str) -> Reply:
    mailbox = await find_mailbox(services, actor_translator(actor), mailbox_ref, allow_dir_synced=True)
    return mailbox if isinstance(mailbox, Reply) else await show_found_mailbox(services, actor, mailbox)


async def show_found_mailbox(services: Services, actor: Actor, mailbox: SharedMailbox) -> Reply:
    """The mailbox card: its desk owners, every delegation, and what the reader may do."""
    t = actor_translator(actor)
    delegates = await _port(services).delegates(mailbox.identity)
    async with services.uow() as uow:
        owners = await uow.mailbox_owners.of(mailbox.identity)
    may_delete = actor.user_id in {user_id for user_id, _address, _name in owners} or await is_admin(services, actor)
    my_keys = await _my_keys(services, actor)
    holders: dict[str, list[str]] = {}
    mine: set[str] = set()
    for item in delegates:
        holders.setdefault(item.access.value, []).append(item.display_name)
        if _is_mine(item, my_keys):
            mine.add(item.access.value)
    view = MailboxView(
        identity=mailbox.identity,
        display_name=mailbox.display_name,
        address=mailbox.primary_smtp_address,
        is_dir_synced=mailbox.is_dir_synced,
        owners=tuple(name for _id, _address, name in owners),
        holders={key: tuple(sorted(names, key=str.casefold)) for key, names in holders.items()},
        may_delete=may_delete,
        mine=tuple(sorted(mine)),
    )
    return Reply(card=mailbox_card(view, t))


# ------------------------------------------------------------------ the desk's own plan steps


async def apply_desk_step(services: Services, request_id: int, step: Mapping[str, Any]) -> StepOutcome:
    """Steps that change the desk's records rather than Exchange; each one is safe to run twice."""
    op = step.get("op")
    now = services.clock()
    if op == RECORD_OWNERS_OP:
        mailbox = await _port(services).get_mailbox(step["address"])
        if mailbox is None:
            raise NotFound(f"shared mailbox {step['address']} not found", code="ManagementObjectNotFound")
        owners = [(item["id"], item["address"], item["name"]) for item in step["owners"]]
        async with services.uow() as uow:
            before = await uow.mailbox_owners.of(mailbox.identity)
            if sorted(before) != sorted(owners):
                await uow.mailbox_owners.replace(mailbox.identity, owners)
                await uow.commit()
        return StepOutcome.ALREADY_DONE if sorted(before) == sorted(owners) else StepOutcome.DONE
    if op == SCHEDULE_EXPIRY_OP:
        expires_at = datetime.fromisoformat(step["expires_at"])
        for person in step["people"]:
            await _schedule(services, request_id, step, person, expires_at, now)
        return StepOutcome.DONE
    if op == END_EXPIRY_OP:
        ended = False
        async with services.uow() as uow:
            for person in step["people"]:
                ended |= await uow.grants.end(step["mailbox_address"], step["right"], person["id"], reason="ended",
                                              now=now)
            await uow.commit()
        return StepOutcome.DONE if ended else StepOutcome.ALREADY_DONE
    raise ValueError(f"not a desk step: {op!r}")


async def _schedule(services: Services, request_id: int, step: Mapping[str, Any], person: Mapping[str, str],
                    expires_at: datetime, now: datetime) -> None:
    for attempt in (1, 2):
        try:
            async with services.uow() as uow:
                await uow.grants.schedule(
                    mailbox_id=step["mailbox_id"], mailbox_address=step["mailbox_address"],
                    mailbox_name=step["mailbox"], access=step["right"], person_id=person["id"],
                    person_address=person["address"],
                    person_name=person["name"], expires_at=expires_at, request_id=request_id, now=now,
                )
                await uow.commit()
            return
        except IntegrityError:
            # Another run inserted the same live expiry between our read and write: the second try updates it.
            if attempt == 2:
                raise


# ------------------------------------------------------------------ small helpers


def _port(services: Services) -> Mailboxes:
    port = services.tenant.mailboxes
    if port is None:
        raise NotFound("no Exchange mailboxes connection", code="NoMailboxesPort")
    return port


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value.strip()[:4000] if isinstance(value, str) else ""


def _access(value: str) -> Access | None:
    try:
        return Access(value)
    except ValueError:
        return access_of(value)


def _alias(name: str) -> str:
    """"Sales Team Łódź" → "sales-team-lodz": letters folded to ASCII, anything else a hyphen."""
    folded = unicodedata.normalize("NFKD", name.replace("ł", "l").replace("Ł", "L"))
    ascii_only = folded.encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")[:64]
