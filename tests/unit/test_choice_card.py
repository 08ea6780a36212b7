"""The card to pick one of several lists or mailboxes with the same name: valid, one button per candidate (name and
address), each carrying only the command's verb and the candidate's id; localized."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft6Validator

from cards.i18n import Translator
from cards.lists import MAX_CHOICES, Choice, choice_card
from cards.verbs import Verb

SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "adaptive-card-1.5.schema.json").read_text())


def _choices(count: int) -> list[Choice]:
    return [Choice("Book Club", f"club{i}@contoso.com", Verb.LIST_JOIN_SUBMIT, {"list": f"id-{i}"})
            for i in range(count)]


@pytest.mark.parametrize("locale", ["en-US", "pl-PL", "de-DE"])
def test_one_button_per_candidate_with_its_address_and_id(locale: str) -> None:
    t = Translator(locale)
    card = choice_card(t, kind="lists", name="Book Club", choices=_choices(2))
    assert not list(Draft6Validator(SCHEMA).iter_errors(card))
    buttons = [a for e in card["body"] if e["type"] == "ActionSet" for a in e["actions"]]
    assert [(b["title"], b["verb"], b["data"]) for b in buttons] == [
        ("Book Club <club0@contoso.com>", Verb.LIST_JOIN_SUBMIT, {"list": "id-0"}),
        ("Book Club <club1@contoso.com>", Verb.LIST_JOIN_SUBMIT, {"list": "id-1"}),
    ]
    assert card["body"][0]["text"] == t("names.choose.lists", name="Book Club", count=2)


def test_many_candidates_are_cut_with_a_note() -> None:
    t = Translator("en-US")
    card = choice_card(t, kind="mailboxes", name="Team", choices=_choices(MAX_CHOICES + 3))
    assert not list(Draft6Validator(SCHEMA).iter_errors(card))
    assert sum(e["type"] == "ActionSet" for e in card["body"]) == MAX_CHOICES
    assert card["body"][-1]["text"] == t("names.choose.more", count=3)
