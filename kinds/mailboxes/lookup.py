"""What every shared-mailbox request (F6) starts from: its kind ids, the shared mailbox named (or a card to pick one,
or why not), the people named and the delegations they hold, who decides, and the draft and refusal replies the
grant, revoke, create and delete handlers share.

Everything is validated against Exchange as it is now, before anything is stored; each refusal is a localized
message and stores nothing. Grants and revokes go to the mailbox's desk-recorded owners (other than the requester),
else to the admins; create and delete go to the admins.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from cards.elements import text
from cards.i18n import Translator
from cards.lists import Choice, choice_card
from cards.verbs import Verb
from handlers.approvals import Approvers, resolve_approvers
from handlers.commands import argument_too_long
from handlers.context import Actor, Reply
from handlers.people import SELF_WORDS, find_person
from handlers.services import Services
from handlers.submission import Draft
from handlers.suggestions import near_names_reply
from kinds.mailboxes.commands import access_of
from kinds.recipients import PATTERN_CHARACTERS, Refused, label, refusal_lines, shortened, sort_people
from kinds.steps import Step
from m365.errors import NotFound
from m365.ports import Access, DirectoryUser, MailboxDelegate, Mailboxes, SharedMailbox
from storage.models import Request

CREATE, DELETE, GRANT, REVOKE = "mailbox.create", "mailbox.delete", "mailbox.grant", "mailbox.revoke"
# Exchange's own names of the delegations; plan steps carry them as their human label.
ACCESS_LABELS = {Access.FULL_ACCESS: "Full Access", Access.SEND_AS: "Send As", Access.SEND_ON_BEHALF: "Send on Behalf"}
MAX_PEOPLE_PER_REQUEST = 100

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
        if PATTERN_CHARACTERS.search(ref):
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
        return Refused(shortened(entry), "mailbox.refused.unknown")
    person = await find_person(services.tenant.directory, entry)
    if person is None:
        return Refused(entry, "mailbox.refused.unknown")
    if not person.account_enabled:
        return Refused(entry, "mailbox.refused.disabled")
    if not person.mail:
        return Refused(entry, "mailbox.refused.no_mailbox")
    return person


async def people(services: Services, entries: Sequence[str]) -> tuple[list[DirectoryUser], list[Refused]]:
    """The people named who can hold a delegation (each once), and the refused ones with why."""
    return await sort_people(entries, lambda entry: check_person(services, entry), key=lambda person: person.id)


async def recorded_owners(services: Services, mailbox: SharedMailbox) -> list[DirectoryUser]:
    """The owners the desk recorded, as the directory knows them now (resolve_approvers drops disabled ones)."""
    async with services.uow() as uow:
        recorded = await uow.mailbox_owners.of(mailbox.identity)
    found = []
    for user_id, _address, _name in recorded:
        person = await services.tenant.directory.get_user(user_id)
        if person is not None:
            found.append(person)
    return found


async def route(services: Services, actor: Actor, mailbox: SharedMailbox | None) -> Approvers:
    """A mailbox's grants and revokes go to its recorded owners (other than the requester), else to the admins."""
    owners = await recorded_owners(services, mailbox) if mailbox is not None else []
    return await resolve_approvers(services, actor.user_id, owners=owners)


def holds(delegates: Sequence[MailboxDelegate], access: Access, person: DirectoryUser) -> bool:
    keys = {person.id.casefold(), (person.mail or "").casefold(), person.user_principal_name.casefold()}
    return any(
        item.access == access
        and (item.primary_smtp_address.casefold() in keys or (item.external_directory_object_id or "").casefold()
             in keys)
        for item in delegates
    )


async def holder(services: Services, delegates: Sequence[MailboxDelegate], entry: str) -> MailboxDelegate | Refused:
    """The delegation entry of the person named; a person who does not hold it is a no-op, refused."""
    wanted = entry.strip().strip("<>").casefold()
    for item in delegates:
        if wanted in (item.primary_smtp_address.casefold(), item.display_name.casefold(),
                      (item.external_directory_object_id or "").casefold()):
            return item
    if argument_too_long(entry):
        return Refused(shortened(entry), "mailbox.refused.unknown")  # no one has a name this long: not looked up
    person = await find_person(services.tenant.directory, entry)
    if person is None:
        return Refused(entry, "mailbox.refused.unknown")
    keys = {person.id.casefold(), (person.mail or "").casefold(), person.user_principal_name.casefold()}
    for item in delegates:
        if item.primary_smtp_address.casefold() in keys or (item.external_directory_object_id or "").casefold() in keys:
            return item
    return Refused(entry, "mailbox.refused.not_holder")


def me_as_actor(actor: Actor, entries: Sequence[str]) -> list[str]:
    """"… to me" / "… from me": the actor, as the activity names them (never a name typed in the text)."""
    return [actor.user_id if entry.casefold() in SELF_WORDS else entry for entry in entries]


async def my_keys(services: Services, actor: Actor) -> set[str]:
    """Every way a delegation entry may name the actor: object id, mail, user principal name (casefolded)."""
    me = await services.tenant.directory.get_user(actor.user_id)
    keys = {actor.user_id.casefold()}
    if me is not None:
        keys |= {(me.mail or "").casefold(), me.user_principal_name.casefold()} - {""}
    return keys


def is_mine(delegate: MailboxDelegate, keys: set[str]) -> bool:
    return bool({delegate.primary_smtp_address.casefold(), (delegate.external_directory_object_id or "").casefold()}
                & keys)


def access_named(value: str) -> Access | None:
    """A delegation as a card sends it ("full_access") or as someone typed it ("Full Access", "Senden als")."""
    try:
        return Access(value)
    except ValueError:
        return access_of(value)


def mailboxes_of(services: Services) -> Mailboxes:
    port = services.tenant.mailboxes
    if port is None:
        raise NotFound("no Exchange mailboxes connection", code="NoMailboxesPort")
    return port


def with_refusals(t: Translator, reply: Reply, refused: Sequence[Refused]) -> Reply:
    """The reply, with the people left out of the request and why on top."""
    if not refused:
        return reply
    report = "\n".join([t("mailbox.some_refused", count=len(refused)), *refusal_lines(t, refused)])
    card = reply.card
    if card is not None:
        # A form click shows only the card (Teams drops an invoke's text), so the card carries the report too.
        card = {**card, "body": [*card["body"][:1], text(report, color="Attention"), *card["body"][1:]]}
    return Reply(text=f"{reply.text or ''}\n{report}", card=card, status_card_of=reply.status_card_of)


def nothing_valid(t: Translator, refused: Sequence[Refused]) -> Reply:
    return Reply(text="\n".join([t("mailbox.nobody_valid"), *refusal_lines(t, refused)]))


def mailbox_draft(
    kind: str, mailbox: SharedMailbox, key: str, approvers: Approvers, plan: Sequence[Step],
    facts: list[tuple[str, str]],
) -> Draft:
    """A request about an existing shared mailbox; ``key`` tells a repeated request from a new one (find_open)."""
    return Draft(
        kind=kind,
        target_id=mailbox.identity,
        target_label=label(mailbox),
        payload={"key": key, "route": approvers.route, "mailbox_address": mailbox.primary_smtp_address},
        plan=tuple(plan),
        approver_ids=approvers.ids,
        approver_names=approvers.names,
        facts=facts,
    )


async def owns_request_mailbox(services: Services, actor: Actor, request: Request) -> bool:
    """Whether the actor is a recorded owner of the request's mailbox now: the desk's own record is the authority."""
    async with services.uow() as uow:
        owners = await uow.mailbox_owners.of(request.target_id)
    return any(user_id == actor.user_id for user_id, _address, _name in owners)
