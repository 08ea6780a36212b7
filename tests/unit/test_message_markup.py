"""Names and typed text reach people as written: Teams renders messages as markdown, so the Translator escapes them."""

from __future__ import annotations

import pytest

from cards.elements import as_shown
from cards.i18n import Markdown, Translator


@pytest.mark.parametrize("locale", ["en-US", "pl-PL", "de-DE"])
@pytest.mark.parametrize(
    ("typed", "escaped"),
    [("*Team*", r"\*Team\*"), ("_Sales_ [x]", r"\_Sales\_ \[x\]"), ("a`b~c\\d", r"a\`b\~c\\d")],
)
def test_a_typed_name_is_escaped_in_every_language(locale: str, typed: str, escaped: str) -> None:
    message = Translator(locale)("dl.not_found", list=typed)
    assert escaped in message
    assert typed not in message


def test_a_message_given_to_another_is_not_escaped_twice() -> None:
    t = Translator("en-US")
    inner = t("dl.not_found", list="*x*")
    outer = t("unknown_command", text=inner)
    assert r"\*x\*" in outer and r"\\\*" not in outer


def test_links_and_numbers_go_in_as_they_are() -> None:
    t = Translator("en-US")
    message = t("report.csv_ready", url=Markdown("https://desk.example/reports/a_b-c.csv"), minutes=15)
    assert "https://desk.example/reports/a_b-c.csv" in message
    assert "15" in message


def test_the_catalogues_own_markup_is_kept() -> None:
    assert "**" in Translator("en-US")("help.join")


def test_underscores_inside_words_stay_as_written() -> None:
    assert "LIC_Office365_E3" in Translator("en-US")("dl.not_found", list="LIC_Office365_E3")


def test_plain_text_fields_of_a_card_read_as_written_and_markdown_fields_keep_their_escapes() -> None:
    t = Translator("en-US")
    name = t("dl.not_found", list="*x*")
    card = {
        "type": "AdaptiveCard",
        "body": [
            {"type": "TextBlock", "text": name},
            {"type": "FactSet", "facts": [{"title": name, "value": name}]},
            {"type": "Input.Text", "id": "a", "label": name, "placeholder": name, "value": name},
            {"type": "Input.ChoiceSet", "id": "b", "choices": [{"title": name, "value": "k"}]},
        ],
        "actions": [{"type": "Action.Execute", "title": name, "verb": "v", "data": {"title": name}}],
    }
    shown = as_shown(card)
    written = 'I couldn\'t find a distribution list "*x*".'
    assert shown["body"][0]["text"] == name and shown["body"][1]["facts"][0] == {"title": name, "value": name}
    assert {shown["body"][2][key] for key in ("label", "placeholder", "value")} == {written}
    assert shown["body"][3]["choices"][0]["title"] == written
    assert shown["actions"][0]["title"] == written
    assert shown["actions"][0]["data"] == {"title": name}  # what a click carries back is not text to read
    assert card["actions"][0]["title"] == name  # the card itself is left as it was
