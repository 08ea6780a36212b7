"""Shared-mailbox cards (F6): valid Adaptive Cards 1.5 in every language, and the data their buttons carry."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from jsonschema import Draft6Validator

from cards.i18n import Translator
from cards.mailboxes import MailboxView, create_mailbox_form, grant_form, mailbox_card
from cards.verbs import Verb

SCHEMA = Path(__file__).parents[1] / "data" / "adaptive-card-1.5.schema.json"
VALIDATOR = Draft6Validator(json.loads(SCHEMA.read_text()))
SALES = MailboxView(
    identity="mb-1",
    display_name="Sales Team",
    address="sales@contoso.com",
    owners=("Anna Kowalska",),
    holders={"full_access": ("Anna Kowalska", "Jürgen Müller"), "send_as": ("Jürgen Müller",)},
)


def example_cards(t: Translator) -> list[tuple[str, dict]]:
    """Every shape of every mailbox card; tests/unit/test_cards_schema.py validates them with the others."""
    values = {"name": "Sales Team", "alias": "sales", "address": "sales@contoso.com", "owners": "a@contoso.com",
              "delegates": "b@contoso.com\nc@contoso.com"}
    grant_values = {"mailbox": "sales@contoso.com", "access": "send_as", "people": "a@contoso.com",
                    "until": "2030-01-31", "auto_mapping": "false"}
    return [
        ("mailbox-create", create_mailbox_form(t, domains=["contoso.com", "contoso.pl"])),
        ("mailbox-create-refused", create_mailbox_form(t, domains=[], values=values, notice="in use")),
        ("mailbox-grant", grant_form(t)),
        ("mailbox-grant-refilled", grant_form(t, values=grant_values, notice="incomplete")),
        ("mailbox-show", mailbox_card(SALES, t)),
        ("mailbox-show-holder-owner", mailbox_card(
            dataclasses.replace(SALES, may_delete=True, mine=("full_access", "send_as", "send_on_behalf")), t)),
        ("mailbox-show-empty", mailbox_card(MailboxView("mb-2", "Empty", "empty@contoso.com"), t, notice="note")),
        ("mailbox-show-synced", mailbox_card(MailboxView("mb-3", "HR", "hr@contoso.com", is_dir_synced=True), t)),
    ]


_ALL = [(f"{name}-{locale}", built) for locale in ("en-US", "pl-PL", "de-DE")
        for name, built in example_cards(Translator(locale))]


@pytest.mark.parametrize(("name", "card"), _ALL, ids=[name for name, _ in _ALL])
def test_mailbox_card_validates(name: str, card: dict) -> None:
    errors = list(VALIDATOR.iter_errors(card))
    assert not errors, f"{name}: {errors[0].message}"


def test_mailbox_card_lists_every_delegation_and_its_buttons_name_the_mailbox() -> None:
    card = mailbox_card(dataclasses.replace(SALES, may_delete=True), Translator("en"))
    facts = {fact["title"]: fact["value"] for fact in card["body"][1]["facts"]}
    assert facts["Full Access"] == "Anna Kowalska, Jürgen Müller" and facts["Send on Behalf"] == "nobody"
    assert facts["Owners"] == "Anna Kowalska"
    actions = {action["verb"]: action["data"] for action in card["actions"]}
    assert actions == {Verb.MAILBOX_GRANT_SUBMIT: {"form": True, "mailbox": "sales@contoso.com"},
                       Verb.MAILBOX_DELETE: {"mailbox": "mb-1"}}


def test_a_holder_is_offered_to_give_up_each_access_they_hold_as_me() -> None:
    card = mailbox_card(dataclasses.replace(SALES, mine=("send_as", "full_access")), Translator("en"))
    give_up = [(a["title"], a["data"]) for a in card["actions"] if a["verb"] == Verb.MAILBOX_REVOKE]
    assert give_up == [
        ("Give up my Full Access", {"access": "full_access", "mailbox": "sales@contoso.com", "person": "me"}),
        ("Give up my Send As", {"access": "send_as", "mailbox": "sales@contoso.com", "person": "me"}),
    ]


def test_only_owners_and_admins_are_offered_the_deletion() -> None:
    card = mailbox_card(SALES, Translator("en"))
    assert [action["verb"] for action in card["actions"]] == [Verb.MAILBOX_GRANT_SUBMIT]


def test_a_dir_synced_mailbox_offers_no_changes() -> None:
    card = mailbox_card(MailboxView("mb-3", "HR", "hr@contoso.com", is_dir_synced=True), Translator("de"))
    assert "actions" not in card
    assert "lokalen Active Directory" in json.dumps(card, ensure_ascii=False)


def test_the_grant_form_is_refilled_and_localized() -> None:
    form = grant_form(Translator("pl-PL"), values={"access": "send_on_behalf", "until": "2030-01-31",
                                                    "auto_mapping": "false"})
    inputs = {element["id"]: element for element in form["body"] if "id" in element}
    assert inputs["access"]["value"] == "send_on_behalf"
    assert [choice["title"] for choice in inputs["access"]["choices"]] == [
        "Pełny dostęp", "Wysyłanie jako", "Wysyłanie w imieniu"]
    assert inputs["until"]["type"] == "Input.Date" and inputs["until"]["value"] == "2030-01-31"
    assert inputs["auto_mapping"]["value"] == "false"
    assert form["actions"][0]["verb"] == Verb.MAILBOX_GRANT_SUBMIT
