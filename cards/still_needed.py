"""The "Still needed?" card (F20): an owner of a quiet list or shared mailbox keeps it for the keep period or
deletes it; after the choice the card shows the request's state and who chose what. And the admins' ``keeps`` card:
what the desk does not ask about because someone kept it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cards.choices import choice_click, choice_head, confirmed
from cards.elements import Element, card, execute, facts, text, title
from cards.i18n import Translator, plain
from cards.verbs import Verb
from cards.views import RequestView


def still_needed_card(view: RequestView, t: Translator, *, can_decide: bool, keep_days: int,
                      notice: str | None = None) -> Element:
    """Keep / Delete while the request waits and the reader decides (the server checks every click again)."""
    body = choice_head(view, t, title_key="still_needed.title", state_key="still_needed.state",
                       chosen_key="still_needed.chosen", notice=notice)
    actions: list[Element] = []
    if can_decide and view.state == "pending":
        click = choice_click(view)
        body.append(text(t("still_needed.ask", days=keep_days)))
        actions.append(execute(t("still_needed.keep"), Verb.STILL_NEEDED_KEEP, click, style="positive"))
        actions.append(confirmed(t("still_needed.delete"), t("still_needed.delete_confirm"),
                                 t("still_needed.confirm_delete"), Verb.STILL_NEEDED_DELETE, click))
    return card(body, actions)


@dataclass(frozen=True, slots=True)
class KeepLine:
    """One standing keep: ``until`` None = kept without owner (an orphan clean-up's choice), for good."""

    kind: str  # list | mailbox
    name: str
    address: str
    until: datetime | None
    kept_by: str
    request_id: str  # the request whose choice it was


@dataclass(frozen=True, slots=True)
class KeepsView:
    as_of: datetime
    keeps: tuple[KeepLine, ...]
    cancel_example: str  # "cancel keep <name>" in the reader's language


def keeps_card(view: KeepsView, t: Translator) -> Element:
    """Every standing keep with its end (or none) and whose choice it was; how to end one."""
    body: list[Element] = [
        title(t("still_needed.keeps.title")),
        text(t("still_needed.keeps.as_of", time=t.datetime(view.as_of)), subtle=True),
    ]
    if not view.keeps:
        body.append(text(t("still_needed.keeps.none")))
    for keep in view.keeps:
        kind = t("still_needed.keeps.list") if keep.kind == "list" else t("still_needed.keeps.mailbox")
        until = (t("still_needed.keeps.until", date=t.datetime(keep.until)) if keep.until is not None
                 else t("still_needed.keeps.without_owner"))
        body.append(text(f"{plain(keep.name)} <{plain(keep.address)}>", weight="Bolder"))
        body.append(facts([
            (t("still_needed.keeps.field.kind"), kind),
            (t("still_needed.keeps.field.until"), until),
            (t("still_needed.keeps.field.kept_by"), str(plain(keep.kept_by))),
            (t("request.field.id"), keep.request_id),
        ]))
    if view.keeps:
        body.append(text(t("still_needed.keeps.cancel_hint", example=view.cancel_example), subtle=True))
    return card(body)
