"""Shared-mailbox cards (F6): the create form, the grant form, and one mailbox with its owners and delegates."""

from __future__ import annotations

from dataclasses import dataclass, field

from cards.elements import Element, card, execute, facts, text, title
from cards.i18n import Translator
from cards.verbs import Verb

# The three delegations, in the order cards show them (values of m365.ports.Access).
ACCESS_KEYS = ("full_access", "send_as", "send_on_behalf")
MAX_NAME = 64


@dataclass(frozen=True, slots=True)
class MailboxView:
    """One shared mailbox as the desk shows it: owners the desk recorded, and each delegation's holders."""

    identity: str
    display_name: str
    address: str
    is_dir_synced: bool = False
    owners: tuple[str, ...] = ()
    holders: dict[str, tuple[str, ...]] = field(default_factory=dict)  # access value → display names
    may_delete: bool = False  # the reader is one of its owners or an admin (re-checked when they click)
    mine: tuple[str, ...] = ()  # the access values the reader holds, each offered to give up


def _input(
    input_id: str, label: str, *, value: str = "", max_length: int | None = None, required: bool = False,
    multiline: bool = False, placeholder: str | None = None,
) -> Element:
    element: Element = {"type": "Input.Text", "id": input_id, "label": label, "value": value}
    if max_length:
        element["maxLength"] = max_length
    if required:
        element["isRequired"] = True
        element["errorMessage"] = label
    if multiline:
        element["isMultiline"] = True
    if placeholder:
        element["placeholder"] = placeholder
    return element


def create_mailbox_form(
    t: Translator, *, domains: list[str], values: dict[str, str] | None = None, notice: str | None = None
) -> Element:
    """Name, alias, address, owners, initial delegates; ``values`` refills what was typed when sent back."""
    values = values or {}
    example = f"sales-team@{domains[0]}" if domains else "sales-team@contoso.com"
    body: list[Element] = [title(t("mailbox.create.title"))]
    if notice:
        body.append(text(notice, color="Attention"))
    body += [
        _input("name", t("mailbox.form.name"), value=values.get("name", ""), max_length=MAX_NAME, required=True),
        _input("alias", t("mailbox.form.alias"), value=values.get("alias", ""), max_length=64,
               placeholder="sales-team"),
        _input("address", t("mailbox.form.address"), value=values.get("address", ""), placeholder=example),
    ]
    if domains:
        body.append(text(t("mailbox.form.domains", domains=", ".join(domains)), subtle=True))
    body += [
        _input("owners", t("mailbox.form.owners"), value=values.get("owners", ""), multiline=True),
        _input("delegates", t("mailbox.form.delegates"), value=values.get("delegates", ""), multiline=True),
        text(t("mailbox.form.delegates_hint"), subtle=True),
    ]
    return card(body, [execute(t("mailbox.form.submit_create"), Verb.MAILBOX_CREATE_SUBMIT, {})])


def grant_form(t: Translator, *, values: dict[str, str] | None = None, notice: str | None = None) -> Element:
    """Mailbox, delegation, people, an optional end date and (for Full Access) auto-mapping."""
    values = values or {}
    body: list[Element] = [title(t("mailbox.grant.title"))]
    if notice:
        body.append(text(notice, color="Attention"))
    body += [
        _input("mailbox", t("mailbox.form.mailbox"), value=values.get("mailbox", ""), required=True),
        {
            "type": "Input.ChoiceSet",
            "id": "access",
            "label": t("mailbox.form.access"),
            "style": "expanded",
            "isRequired": True,
            "errorMessage": t("mailbox.form.access"),
            "value": values.get("access") or ACCESS_KEYS[0],
            "choices": [{"title": t("mailbox.access." + key), "value": key} for key in ACCESS_KEYS],
        },
        _input("people", t("mailbox.form.people"), value=values.get("people", ""), multiline=True, required=True),
        {"type": "Input.Date", "id": "until", "label": t("mailbox.form.until"), "value": values.get("until", "")},
        {
            "type": "Input.Toggle",
            "id": "auto_mapping",
            "title": t("mailbox.form.auto_mapping"),
            "value": "false" if values.get("auto_mapping") == "false" else "true",
            "valueOn": "true",
            "valueOff": "false",
        },
    ]
    return card(body, [execute(t("mailbox.form.submit_grant"), Verb.MAILBOX_GRANT_SUBMIT, {})])


def mailbox_card(view: MailboxView, t: Translator, *, notice: str | None = None) -> Element:
    """The mailbox with everyone who can use it; buttons to ask for access or its deletion (re-checked on click)."""
    body: list[Element] = [title(view.display_name)]
    if notice:
        body.append(text(notice, color="Attention"))
    none = t("mailbox.show.none")
    pairs = [
        (t("mailbox.form.address"), view.address),
        (t("mailbox.show.owners"), ", ".join(view.owners) or none),
    ]
    pairs += [(t("mailbox.access." + key), ", ".join(view.holders.get(key, ())) or none) for key in ACCESS_KEYS]
    body.append(facts(pairs))
    if view.is_dir_synced:
        body.append(text(t("mailbox.dir_synced", mailbox=view.display_name), subtle=True))
        return card(body)
    actions = [execute(t("mailbox.show.grant"), Verb.MAILBOX_GRANT_SUBMIT, {"form": True, "mailbox": view.address})]
    # "me", not the reader's address: the desk takes the person from the click's activity, never from card data.
    actions += [
        execute(t("mailbox.show.give_up", access=t("mailbox.access." + key)), Verb.MAILBOX_REVOKE,
                {"access": key, "mailbox": view.address, "person": "me"})
        for key in ACCESS_KEYS if key in view.mine
    ]
    if view.may_delete:
        actions.append(
            execute(t("mailbox.show.delete"), Verb.MAILBOX_DELETE, {"mailbox": view.identity}, style="destructive")
        )
    return card(body, actions)
