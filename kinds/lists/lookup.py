"""Finding lists and recipients for the lists family, live in Exchange (a request is judged on the tenant as it is
now, not on the cache): a list by exact name with a card to pick one of several or "did you mean …?", whether it
can be changed, its owners and members, the requester's own address, and the recipients typed into a request."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cards.i18n import Translator
from cards.lists import Choice, choice_card
from cards.verbs import Verb
from handlers.commands import TooLong, argument_too_long
from handlers.context import Actor, Reply
from handlers.services import Services
from handlers.suggestions import near_names_reply
from kinds.card_data import bounded
from kinds.recipients import PATTERN_CHARACTERS
from m365.ports import DirectoryUser, DistributionList, Recipient
from storage.models import Request

# Recipients Exchange accepts as list members (M365-APIS §2.3): not M365 groups, not users without a mailbox.
MEMBER_TYPES = frozenset({
    "UserMailbox", "SharedMailbox", "RoomMailbox", "EquipmentMailbox", "MailUser", "MailContact",
    "MailUniversalDistributionGroup", "MailUniversalSecurityGroup",
})
OWNER_TYPES = frozenset({"UserMailbox", "MailUser", "MailUniversalSecurityGroup"})
# A list named by a click: its id, or a name or address. Longer than any name (256) or address (320) gets the
# too-long refusal a typed name gets; far longer than that was never a wish typed into a card.
MAX_LIST_REF = 1_000


@dataclass(frozen=True, slots=True)
class ListClick:
    """A button about one list (show, leave, delete), naming it by its id."""

    list_id: str = bounded(MAX_LIST_REF)


# What a click on a choice card does with the list picked: the command's verb and data, naming the list by its id.
Then = Callable[[DistributionList], tuple[Verb, dict[str, Any]]]


def show_then(the_list: DistributionList) -> tuple[Verb, dict[str, Any]]:
    return Verb.LIST_SHOW, {"list_id": the_list.identity}


def too_long_reply(t: Translator, refusal: TooLong) -> Reply:
    return Reply(text=t(refusal.key, max=refusal.limit, length=refusal.length, start=refusal.start))


async def find_list(
    services: Services, t: Translator, name: str, *, then: Then = show_then
) -> DistributionList | Reply:
    """The list called exactly ``name`` (address, alias, Name or display name, any case) as Exchange has it now, or
    the reply to send: a card to pick one when several lists have that name (each button re-runs the command through
    ``then`` for one list's id), or the refusal. A name is never a pattern: "*" selects only a list called "*"."""
    name = name.strip()
    if not name:
        return Reply(text=t("dl.missing_name"))
    if (refusal := argument_too_long(name)) is not None:
        return too_long_reply(t, refusal)  # nothing this long names a list: no lookup at all
    lists = services.tenant.distribution_lists
    candidates = await lists.lists_named(name)
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        choices = [Choice(each.display_name, each.primary_smtp_address, *then(each)) for each in candidates]
        return Reply(card=choice_card(t, kind="lists", name=name, choices=choices))
    # "Did you mean …?": near names from the directory cache, each button running the command for that list.
    if near := await near_names_reply(services, t, name, kind="list", then=then):
        return near
    if PATTERN_CHARACTERS.search(name):
        return Reply(text=t("dl.not_found", list=name))  # Anr would read it as a pattern: no suggestions by it
    suggestions = [item.display_name for item in await lists.find_lists(name.strip(), limit=5)]
    if suggestions:
        return Reply(text=t("dl.not_found_suggest", list=name, suggestions=", ".join(suggestions)))
    return Reply(text=t("dl.not_found", list=name))


async def requester_address(services: Services, actor: Actor) -> str | None:
    person = await services.tenant.directory.get_user(actor.user_id)
    return person.mail if person and person.mail else None


async def find_changeable_list(
    services: Services, t: Translator, name: str, *, then: Then = show_then
) -> DistributionList | Reply:
    """As find_list, and refused when the list is synchronised from on-premises (Exchange Online cannot change it)."""
    found = await find_list(services, t, name, then=then)
    if isinstance(found, DistributionList) and found.is_dir_synced:
        return Reply(text=t("dl.dir_synced", list=found.display_name))
    return found


async def is_member_in_exchange(services: Services, the_list: DistributionList, address: str) -> bool:
    """A direct member, as Exchange has the list now (requests are judged live, not from the cache)."""
    members = await services.tenant.distribution_lists.members(the_list.identity)
    return any(member.primary_smtp_address.casefold() == address.casefold() for member in members)


def owns(the_list: DistributionList, address: str | None) -> bool:
    if not address:
        return False
    return address.casefold() in {owner.casefold() for owner in the_list.managed_by}


async def owners_of(services: Services, the_list: DistributionList) -> list[DirectoryUser]:
    """The list's owners who are still people in the directory (a departed owner cannot approve)."""
    owners: list[DirectoryUser] = []
    for address in the_list.managed_by:
        owner = await services.tenant.directory.get_user(address)
        if owner is not None:
            owners.append(owner)
    return owners


async def find_recipient(services: Services, identity: str) -> Recipient | None:
    recipients = services.tenant.recipients
    if recipients is not None:
        return await recipients.get_recipient(identity)
    person = await services.tenant.directory.get_user(identity)  # no Exchange recipients port: people only
    if person is None or not person.mail:
        return None
    return Recipient(person.mail, person.display_name, "UserMailbox", person.id)


async def find_recipients(services: Services, identities: Sequence[str]) -> list[Recipient | None]:
    """One batched lookup for a pasted list (ten addresses per Exchange request) instead of one request each."""
    if services.tenant.recipients is not None and identities:
        return await services.tenant.recipients.get_recipients(identities)
    return [await find_recipient(services, identity) for identity in identities]


def split_addresses(value: object) -> list[str]:
    """The addresses typed into a card's box, one per line or separated by commas, semicolons or spaces."""
    return [part for part in re.split(r"[\s,;]+", value if isinstance(value, str) else "") if part]


async def owns_request_list(services: Services, actor: Actor, request: Request) -> bool:
    """Whether the actor owns the request's list now, read live from Exchange, which owns ManagedBy: the directory
    cache lags by up to a sync period, exactly the window in which a removed owner must already be refused."""
    found = await services.tenant.distribution_lists.get_list(request.target_id)
    if found is None or not found.managed_by:
        return False
    person = await services.tenant.directory.get_user(actor.user_id)
    if person is None:
        return False
    # ManagedBy names owners by primary SMTP address (m365.ports.DistributionList); a UPN is accepted too.
    mine = {address.casefold() for address in (person.mail, person.user_principal_name) if address}
    return any(owner.casefold() in mine for owner in found.managed_by)
