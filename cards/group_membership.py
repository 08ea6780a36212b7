"""The offer shown when a license comes from a group: ask an admin to take the person out of that group."""

from __future__ import annotations

from dataclasses import dataclass

from cards.elements import Element, card, execute, text, title
from cards.i18n import Translator
from cards.verbs import Verb


@dataclass(frozen=True, slots=True)
class GroupLeaveOffer:
    group_id: str
    group_name: str


@dataclass(frozen=True, slots=True)
class GroupLeaveOfferView:
    user_id: str
    user_name: str
    plan: str
    groups: tuple[GroupLeaveOffer, ...]


def group_leave_offer_card(view: GroupLeaveOfferView, t: Translator) -> Element:
    """One button per group that gives the plan; the click's data are only a wish, re-checked on the server."""
    names = ", ".join(group.group_name for group in view.groups)
    body: list[Element] = [
        title(t("group.leave.title")),
        text(t("group.leave.offer", user=view.user_name, plan=view.plan, group=names)),
    ]
    actions = [
        execute(
            t("group.leave.button", group=group.group_name),
            Verb.GROUP_LEAVE,
            {"group_id": group.group_id, "user_id": view.user_id},
        )
        for group in view.groups
    ]
    return card(body, actions)
