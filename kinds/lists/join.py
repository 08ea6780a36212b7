"""dl.join: a request to join a list, typed ("join Sales") or from a choice card's button — checked, routed to the
list's owners (or approved by policy for an Open list) and filed as kinds/lists/own_membership.py does for leaving."""

from __future__ import annotations

from dataclasses import dataclass

from cards.help import help_card
from cards.verbs import Verb
from handlers.context import Actor, Reply, actor_translator
from handlers.services import Services
from kinds.card_data import bounded
from kinds.lists.commands import JoinList
from kinds.lists.lookup import MAX_LIST_REF
from kinds.lists.own_membership import OwnMembership, request_own_membership
from kinds.lists.steps import MemberAddition

KIND = "dl.join"
JOIN = OwnMembership(
    kind=KIND,
    step=MemberAddition,
    # Several lists with that name: a card to pick one, whose click comes back here with the list's id.
    pick=lambda picked: (Verb.LIST_JOIN_SUBMIT, {"list": picked.identity}),
    already="dl.already_member",
    pending="dl.already_pending",
    # An Open list lets anyone join in Exchange itself, so the desk's policy approves; otherwise its owners decide.
    open_policy="policy.join_open_list",
)


@dataclass(frozen=True, slots=True)
class JoinClick:
    """A choice card's button for one of several lists with the name typed: that list's id."""

    list_ref: str | None = bounded(MAX_LIST_REF, key="list", optional=True)


async def join_clicked(services: Services, actor: Actor, data: JoinClick) -> Reply:
    if data.list_ref is None:
        # What this verb has always answered to a click that names no list.
        return Reply(card=help_card(actor_translator(actor), services.kinds.help_topics()))
    return await request_join(services, actor, JoinList(list_name=data.list_ref))


async def request_join(services: Services, actor: Actor, command: JoinList) -> Reply:
    return await request_own_membership(services, actor, command.list_name, JOIN)
