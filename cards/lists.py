"""Cards for finding and showing lists and shared mailboxes (F1–F3) and the list request forms (F4, F5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cards.elements import Element, card, execute, facts, text, title
from cards.i18n import Translator
from cards.verbs import Verb
from m365.ports import DistributionList, ListMember

PAGE_SIZE = 10
MAX_CHOICES = 10  # candidates shown on a choice card; past that, the person types the address
MEMBERS_PAGE_SIZE = 20
JOIN_RESTRICTIONS = ("Open", "Closed", "ApprovalRequired")
DEPART_RESTRICTIONS = ("Open", "Closed")


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """One row of a result: a list or a shared mailbox."""

    kind: str  # "list" | "mailbox"
    identity: str
    display_name: str
    address: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class BrowseSection:
    kind: str  # "lists" | "mailboxes"
    entries: tuple[DirectoryEntry, ...]
    total: int
    offset: int


@dataclass(frozen=True, slots=True)
class BrowseView:
    view: str  # search | my_lists | memberships | my_mailboxes
    query: str
    sections: tuple[BrowseSection, ...]
    page_size: int = PAGE_SIZE
    synced_at: str | None = None  # when the directory was last read from Exchange, already formatted


@dataclass(frozen=True, slots=True)
class ListDetailView:
    dl: DistributionList
    members: tuple[ListMember, ...]
    members_total: int
    offset: int
    is_member: bool
    is_owner: bool
    may_manage: bool  # an owner or an admin: member changes, modify, delete
    page_size: int = MEMBERS_PAGE_SIZE


@dataclass(frozen=True, slots=True)
class Choice:
    """One candidate of a name that several lists (or mailboxes) have, and the click that re-runs the command for it
    (``data`` names the candidate by its stable id; the server checks the click again like typed text)."""

    display_name: str
    address: str
    verb: str
    data: dict[str, Any]


def choice_card(t: Translator, *, kind: str, name: str, choices: Sequence[Choice]) -> Element:
    """"Several lists are called X: which one?" with a button per candidate, showing its name and address."""
    body: list[Element] = [title(t(f"names.choose.{kind}", name=name[:80], count=len(choices)))]
    for choice in choices[:MAX_CHOICES]:
        label = f"{choice.display_name} <{choice.address}>" if choice.address else choice.display_name
        body.append({"type": "ActionSet", "actions": [execute(label, choice.verb, choice.data)]})
    if len(choices) > MAX_CHOICES:
        body.append(text(t("names.choose.more", count=len(choices) - MAX_CHOICES), subtle=True))
    return card(body)


def browse_card(view: BrowseView, t: Translator) -> Element:
    """Results in pages; every page button carries only what to show next, re-read on the server."""
    heading = t(f"browse.title.{view.view}", query=view.query) if view.query else t(f"browse.title.{view.view}.all")
    body: list[Element] = [title(heading)]
    actions: list[Element] = []
    for section in view.sections:
        if len(view.sections) > 1 or view.view == "search":
            body.append(text(t(f"browse.section.{section.kind}", total=section.total), weight="Bolder"))
        if not section.entries:
            body.append(text(t(f"browse.none.{section.kind}"), subtle=True))
            continue
        first, last = section.offset + 1, section.offset + len(section.entries)
        body.append(text(t("browse.range", first=first, last=last, total=section.total), subtle=True))
        for entry in section.entries:
            body.append(_entry(entry, t))
        data = {"view": view.view, "query": view.query, "kind": section.kind}
        if section.offset > 0:
            previous = max(section.offset - view.page_size, 0)
            label = t(f"browse.previous.{section.kind}")
            actions.append(execute(label, Verb.BROWSE_PAGE, {**data, "offset": previous}))
        if last < section.total:
            actions.append(execute(t(f"browse.next.{section.kind}"), Verb.BROWSE_PAGE, {**data, "offset": last}))
    if view.synced_at:
        body.append(text(t("browse.synced_at", time=view.synced_at), subtle=True))
    return card(body, actions)


def _entry(entry: DirectoryEntry, t: Translator) -> Element:
    verb = Verb.LIST_SHOW if entry.kind == "list" else Verb.MAILBOX_SHOW
    key = "list_id" if entry.kind == "list" else "mailbox_id"
    lines: list[Element] = [text(f"**{entry.display_name}** · {entry.address}")]
    if entry.description:
        lines.append(text(entry.description[:200], subtle=True))
    return {
        "type": "Container",
        "separator": True,
        "items": lines,
        "selectAction": {"type": "Action.Execute", "title": t("browse.open"), "verb": verb,
                         "data": {key: entry.identity}},
    }


def list_card(view: ListDetailView, t: Translator, notice: str | None = None) -> Element:
    dl = view.dl
    body: list[Element] = [title(dl.display_name)]
    if notice:
        body.append(text(notice, color="Attention"))
    if dl.description:
        body.append(text(dl.description))
    owners = ", ".join(dl.managed_by) or t("list.no_owner")
    pairs = [
        (t("list.address"), dl.primary_smtp_address),
        (t("list.owners"), owners),
        (t("list.join"), t(f"list.restriction.{dl.member_join_restriction}")),
        (t("list.depart"), t(f"list.restriction.{dl.member_depart_restriction}")),
        (t("list.external"), t("yes") if dl.accepts_external_senders else t("no")),
    ]
    if dl.is_dir_synced:
        pairs.append((t("list.source"), t("list.dir_synced")))
    body.append(facts(pairs))
    body.append(text(t("list.members", total=view.members_total), weight="Bolder"))
    if view.members:
        first, last = view.offset + 1, view.offset + len(view.members)
        body.append(text(t("browse.range", first=first, last=last, total=view.members_total), subtle=True))
        body.append(text("\n".join(f"- {m.display_name} <{m.primary_smtp_address}>" for m in view.members)))
    else:
        body.append(text(t("list.no_members"), subtle=True))
    actions: list[Element] = []
    page = {"view": "list", "list_id": dl.identity}
    if view.offset > 0:
        actions.append(execute(t("list.members.previous"), Verb.BROWSE_PAGE,
                               {**page, "offset": max(view.offset - view.page_size, 0)}))
    if view.offset + len(view.members) < view.members_total:
        actions.append(execute(t("list.members.next"), Verb.BROWSE_PAGE,
                               {**page, "offset": view.offset + len(view.members)}))
    if not dl.is_dir_synced:
        if view.is_member:
            actions.append(execute(t("list.leave"), Verb.LIST_LEAVE, {"list_id": dl.identity}))
        else:
            actions.append(execute(t("list.join_button"), Verb.LIST_JOIN_SUBMIT, {"list": dl.identity}))
        if view.may_manage:
            actions.append(_show_card(t("list.manage_members"), members_form(dl, t)))
            actions.append(_show_card(t("list.modify"), modify_form(dl, t)))
            actions.append(_show_card(t("list.delete"), _delete_confirmation(dl, t)))
    return card(body, actions)


def _show_card(label: str, inner: Element) -> Element:
    return {"type": "Action.ShowCard", "title": label, "card": inner}


def _input_text(input_id: str, label: str, *, value: str = "", multiline: bool = False, max_length: int | None = None,
                placeholder: str | None = None, required: bool = False) -> Element:
    element: Element = {"type": "Input.Text", "id": input_id, "label": label, "isMultiline": multiline}
    if value:
        element["value"] = value
    if max_length:
        element["maxLength"] = max_length
    if placeholder:
        element["placeholder"] = placeholder
    if required:
        element["isRequired"] = True
        element["errorMessage"] = label
    return element


def _choices(input_id: str, label: str, options: list[tuple[str, str]], value: str) -> Element:
    return {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "label": label,
        "style": "compact",
        "value": value,
        "choices": [{"title": name, "value": key} for key, name in options],
    }


def _toggle(input_id: str, label: str, value: bool) -> Element:
    return {"type": "Input.Toggle", "id": input_id, "title": label, "value": "true" if value else "false",
            "valueOn": "true", "valueOff": "false"}


def members_form(dl: DistributionList, t: Translator) -> Element:
    body = [
        text(t("list.members_form.hint")),
        _choices("change", t("list.members_form.change"),
                 [("add", t("list.members_form.add")), ("remove", t("list.members_form.remove"))], "add"),
        _input_text("addresses", t("list.members_form.addresses"), multiline=True, required=True,
                    placeholder="anna@contoso.com"),
    ]
    return card(body, [execute(t("list.members_form.submit"), Verb.LIST_MEMBERS_SUBMIT, {"list_id": dl.identity})])


def modify_form(dl: DistributionList, t: Translator) -> Element:
    body = [
        _input_text("display_name", t("list.form.display_name"), value=dl.display_name, max_length=256),
        _input_text("description", t("list.form.description"), value=dl.description, multiline=True),
        _input_text("add_owners", t("list.form.add_owners"), placeholder="anna@contoso.com"),
        _input_text("remove_owners", t("list.form.remove_owners"), placeholder=", ".join(dl.managed_by[:2])),
        _restriction_choices("join", t("list.join"), JOIN_RESTRICTIONS, dl.member_join_restriction, t),
        _restriction_choices("depart", t("list.depart"), DEPART_RESTRICTIONS, dl.member_depart_restriction, t),
        _toggle("external", t("list.external"), dl.accepts_external_senders),
    ]
    return card(body, [execute(t("list.form.submit_modify"), Verb.LIST_MODIFY_SUBMIT, {"list_id": dl.identity})])


def _restriction_choices(input_id: str, label: str, values: tuple[str, ...], current: str, t: Translator) -> Element:
    return _choices(input_id, label, [(v, t(f"list.restriction.{v}")) for v in values], current)


def _delete_confirmation(dl: DistributionList, t: Translator) -> Element:
    return card([text(t("list.delete.confirm", list=dl.display_name))],
                [execute(t("list.delete.button"), Verb.LIST_DELETE, {"list_id": dl.identity}, style="destructive")])


def create_list_form(t: Translator, *, domains: list[str], name: str = "", owner: str = "",
                     notice: str | None = None, values: dict[str, str] | None = None) -> Element:
    """The create form; ``values`` refills what the person typed when the desk sends the form back with a notice."""
    values = values or {}
    body: list[Element] = [title(t("list.create.title"))]
    if notice:
        body.append(text(notice, color="Attention"))
    body += [
        _input_text("name", t("list.form.name"), value=values.get("name", name), max_length=64, required=True),
        _input_text("alias", t("list.form.alias"), value=values.get("alias", ""), max_length=64,
                    placeholder="sales-team"),
        _input_text("address", t("list.form.address"), value=values.get("address", ""),
                    placeholder=f"sales-team@{domains[0]}" if domains else "sales-team@contoso.com"),
        text(t("list.form.domains", domains=", ".join(domains)), subtle=True),
        _input_text("description", t("list.form.description"), value=values.get("description", ""),
                    multiline=True),
        _input_text("owners", t("list.form.owners"), value=values.get("owners", owner), required=True),
        _input_text("members", t("list.form.members"), value=values.get("members", ""), multiline=True),
        _restriction_choices("join", t("list.join"), JOIN_RESTRICTIONS, values.get("join", "Closed"), t),
        _restriction_choices("depart", t("list.depart"), DEPART_RESTRICTIONS, values.get("depart", "Closed"), t),
        _toggle("external", t("list.external"), values.get("external") == "true"),
    ]
    return card(body, [execute(t("list.form.submit_create"), Verb.LIST_CREATE_SUBMIT, {})])
