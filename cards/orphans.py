"""Cards of orphaned lists and shared mailboxes (F20): the admins' paged ``orphaned`` report, and the clean-up card
the decider of an orphan clean-up request chooses on (take it over, choose a new owner, delete it, keep it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cards.choices import choice_click, choice_head, confirmed
from cards.elements import Element, card, execute, facts, text, title
from cards.i18n import Markdown, Translator
from cards.verbs import Verb
from cards.views import RequestView

PAGE_SIZE = 10
LIST, MAILBOX = "list", "mailbox"


@dataclass(frozen=True, slots=True)
class OwnerLine:
    """A former owner: ``state`` is disabled, deleted or gone; the manager is who decides for them."""

    name: str
    address: str
    state: str
    manager_name: str | None = None


@dataclass(frozen=True, slots=True)
class OrphanLine:
    kind: str  # LIST | MAILBOX
    identity: str
    display_name: str
    address: str
    former_owners: tuple[OwnerLine, ...] = ()


@dataclass(frozen=True, slots=True)
class OrphanSection:
    """One page of orphaned lists or mailboxes, and how many there are in all."""

    kind: str
    items: tuple[OrphanLine, ...]
    total: int
    offset: int = 0


@dataclass(frozen=True, slots=True)
class OrphanedView:
    as_of: datetime
    sections: tuple[OrphanSection, ...]
    page_size: int = PAGE_SIZE
    csv_url: str | None = None
    csv_example: str = "orphaned csv"


def owner_words(owner: OwnerLine, t: Translator) -> str:
    """ "Lena Schmidt (disabled; manager: Jonas Becker)" in the reader's language."""
    state = {
        "disabled": t("orphans.owner.disabled"),
        "deleted": t("orphans.owner.deleted"),
        "gone": t("orphans.owner.gone"),
    }.get(owner.state, owner.state)
    if owner.manager_name:
        return t("orphans.owner.with_manager", name=owner.name, state=state, manager=owner.manager_name)
    return t("orphans.owner.no_manager", name=owner.name, state=state)


def _line(item: OrphanLine, t: Translator) -> list[Element]:
    owners = "; ".join(owner_words(owner, t) for owner in item.former_owners) or t("orphans.no_owners")
    return [
        text(f"**{item.display_name}** <{item.address}>"),
        facts([(t("orphans.field.former_owners"), owners)]),
    ]


def orphaned_card(view: OrphanedView, t: Translator) -> Element:
    """Each section a page of orphaned resources with their former owners; page buttons carry only where to go."""
    body: list[Element] = [
        title(t("orphans.title")),
        text(t("orphans.as_of", time=t.datetime(view.as_of)), subtle=True),
    ]
    actions: list[Element] = []
    for section in view.sections:
        heading = t("orphans.section.lists") if section.kind == LIST else t("orphans.section.mailboxes")
        body.append(text(t("orphans.section", section=heading, count=section.total), weight="Bolder"))
        if not section.items:
            body.append(text(t("orphans.none"), subtle=True))
        for item in section.items:
            body.extend(_line(item, t))
        what = "lists" if section.kind == LIST else "mailboxes"
        if section.offset > 0:
            back = max(section.offset - view.page_size, 0)
            label = t("orphans.previous.lists") if section.kind == LIST else t("orphans.previous.mailboxes")
            actions.append(execute(label, Verb.ORPHANS_PAGE, {"what": what, "offset": back}))
        if section.offset + len(section.items) < section.total:
            label = t("orphans.next.lists") if section.kind == LIST else t("orphans.next.mailboxes")
            further = section.offset + len(section.items)
            actions.append(execute(label, Verb.ORPHANS_PAGE, {"what": what, "offset": further}))
    if view.csv_url:
        body.append(text(t("orphans.csv_link", url=Markdown(view.csv_url))))
    else:
        body.append(text(t("orphans.csv_hint", example=view.csv_example), subtle=True))
    return card(body, actions)


def cleanup_card(view: RequestView, t: Translator, *, can_decide: bool, can_keep: bool,
                 notice: str | None = None) -> Element:
    """The decider's card of an orphan clean-up request: the four choices while it waits, its state after.

    "Keep without owner" is offered to admins only (``can_keep``); the server checks every choice again.
    """
    body = choice_head(view, t, title_key="orphans.cleanup.title", state_key="orphans.cleanup.state",
                       chosen_key="orphans.cleanup.chosen", notice=notice)
    actions: list[Element] = []
    if can_decide and view.state == "pending":
        click = choice_click(view)
        body.append(text(t("orphans.cleanup.ask")))
        actions.append(execute(t("orphans.cleanup.take_over"), Verb.ORPHAN_TAKE_OVER, click, style="positive"))
        actions.append({
            "type": "Action.ShowCard",
            "title": t("orphans.cleanup.choose_owner"),
            "card": {
                "type": "AdaptiveCard",
                "body": [{"type": "Input.Text", "id": "owner", "label": t("orphans.cleanup.new_owner"),
                          "isRequired": True, "errorMessage": t("orphans.cleanup.new_owner"), "maxLength": 320}],
                "actions": [execute(t("orphans.cleanup.confirm_owner"), Verb.ORPHAN_CHOOSE_OWNER, click)],
            },
        })
        actions.append(confirmed(t("orphans.cleanup.delete"), t("orphans.cleanup.delete_confirm"),
                                 t("orphans.cleanup.confirm_delete"), Verb.ORPHAN_DELETE, click))
        if can_keep:
            actions.append(execute(t("orphans.cleanup.keep"), Verb.ORPHAN_KEEP, click))
    return card(body, actions)
