"""Names and typed text reach people as written: Teams renders messages as markdown, so the Translator escapes them."""

from __future__ import annotations

import pytest

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
