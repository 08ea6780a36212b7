"""What a family of request kinds declares in its one home: kinds, chat commands, card verbs, help, manifest."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kinds.steps import Step

if TYPE_CHECKING:
    from cards.i18n import Translator
    from cards.views import RequestView
    from handlers.context import Actor, Reply
    from handlers.services import Services
    from kinds.editor import Editor
    from storage.models import Job, Request

# Parses cleaned chat text (and the raw text, for pasted HTML lists) into a command value, or None: not mine.
CommandParser = Callable[[str, "str | None"], object | None]
CommandHandler = Callable[["Services", "Actor", Any], Awaitable["Reply"]]
VerbHandler = Callable[["Services", "Actor", Any], Awaitable["Reply"]]
# A card copy for a role other than approver and requester (a seat order's fulfilment card): the card, or None.
RoleCard = Callable[["RequestView", "Request", "Translator", str], "dict[str, Any]"]
# The requester's message for a transition, when the kind words it its own way; None = the desk's default.
RequesterMessage = Callable[[str, "Request", "Translator", str], "str | None"]
# Runs instead of the plan when the kind is fulfilled by people (seat orders): True = handed over.
HandOver = Callable[["Services", "Job"], Awaitable[bool]]
# Whether the actor owns the request's resource now (checked at every click of a request routed to owners).
OwnerCheck = Callable[["Services", "Actor", "Request"], Awaitable[bool]]
# Whether the actor fulfils requests of this kind (seat orders: the people who order from the CSP partner).
FulfillerCheck = Callable[["Services", "Actor"], Awaitable[bool]]


class Approvers:
    """Who decides a kind's requests by default (the routing policy's vocabulary)."""

    OWNERS_ELSE_ADMINS = "owners, else admins"
    ADMINS = "admins"
    FULFILLERS = "fulfillers"  # approved by admins, then fulfilled by the people who order from the CSP partner


@dataclass(frozen=True, slots=True)
class Kind:
    """One request kind: its stable id (stored with every request), default SLA in business days, the approver
    route, its plan step types, the help line that explains it, the rules that approve it without a person
    (message keys ``policy.*``), and the hooks where its lifecycle differs from the shared one."""

    id: str
    sla_days: int
    approvers: str
    steps: tuple[type[Step], ...]
    help: str = ""  # the help card's line (message key) that tells people how to ask for it
    auto_approve: tuple[str, ...] = ()
    role_cards: dict[str, RoleCard] = field(default_factory=dict)
    requester_message: RequesterMessage | None = None
    hand_over: HandOver | None = None
    # Kinds routed to their resource's owners say who the owners are now; without it, only admins decide.
    owns: OwnerCheck | None = None
    fulfils: FulfillerCheck | None = None
    # The approver's card, when the kind's deciders choose among actions rather than approve one plan (orphan
    # clean-ups); None = the desk's Approve / Reject card.
    approver_card: RoleCard | None = None
    # Filed with no plan: the decider's choice on approver_card makes it (kinds/desk_filed/), so an Approve click is
    # refused. Declared, not read off approver_card: a kind may draw its own card for a plan filed with the request.
    decided_by_choice: bool = False
    # Edit-and-approve (F13): what an approver may change on a waiting request before approving it; None = no Edit.
    editor: Editor | None = None


@dataclass(frozen=True, slots=True)
class Command:
    """A chat command: ``order`` is its place in parsing (lower first), since some commands are prefixes of
    others ("license plans" is the catalogue, not a request for a plan called "plans")."""

    name: str
    order: int
    parse: CommandParser
    handle: CommandHandler
    # Served in Teams channels where the bot is @mentioned (the channel digest); every other command answers only
    # in the personal chat, so nothing is ever filed from a channel.
    in_channels: bool = False


@dataclass(frozen=True, slots=True)
class VerbRoute:
    """An Action.Execute verb: the typed value its data is parsed into (kinds.card_data), and its handler."""

    verb: str
    data: type
    handle: VerbHandler


@dataclass(frozen=True, slots=True)
class HelpTopic:
    """One line of the help card (a message key); ``order`` places it among every family's lines."""

    order: int
    key: str


@dataclass(frozen=True, slots=True)
class ManifestCommand:
    """An entry of the Teams manifest's command list (the menu Teams shows above the compose box): per language
    (en, pl, de), the title a user picks, which the bot must then parse as the command it names, and one line on what
    it does; ``order`` places it among every family's entries. Texts live here, not in the message catalogues,
    because only the package builder (manifest/build.py) reads them."""

    order: int
    titles: dict[str, str]  # language → the command as typed, e.g. {"en": "request license E3", "pl": …, "de": …}
    descriptions: dict[str, str]  # language → what the command does
    # Where Teams offers it: the personal chat, or channels of a team (typed after an @mention of the bot).
    scope: str = "personal"


@dataclass(frozen=True, slots=True)
class Family:
    """A family of kinds (licenses, lists, mailboxes, seats, groups) or of desk commands (help, my requests)."""

    name: str
    kinds: tuple[Kind, ...] = ()
    commands: tuple[Command, ...] = ()
    verbs: tuple[VerbRoute, ...] = ()
    help: tuple[HelpTopic, ...] = ()
    manifest: tuple[ManifestCommand, ...] = ()
