"""Every message exists in English, Polish and German, with the same placeholders."""

import string

import pytest

from cards.i18n import CATALOGUE, Translator, language_of


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("language", ["pl", "de"])
def test_catalogue_is_complete(language: str) -> None:
    english, other = CATALOGUE["en"], CATALOGUE[language]
    assert set(other) == set(english), set(english) ^ set(other)
    for key, template in english.items():
        assert _placeholders(other[key]) == _placeholders(template), key
        assert other[key].strip(), key


@pytest.mark.parametrize("language", ["pl", "de"])
def test_translations_are_not_copies_of_english(language: str) -> None:
    same = [k for k, v in CATALOGUE[language].items() if v == CATALOGUE["en"][k] and len(v) > 12]
    assert same == []


@pytest.mark.parametrize(
    ("locale", "language"),
    [("pl-PL", "pl"), ("de-DE", "de"), ("de", "de"), ("en-US", "en"), ("fr-FR", "en"), (None, "en")],
)
def test_language_from_teams_locale(locale: str | None, language: str) -> None:
    assert language_of(locale) == language


def test_translator_formats_in_the_reader_language() -> None:
    assert Translator("pl-PL")("approval.approve") == "Zatwierdź"
    assert Translator("de-DE")("approval.approve") == "Genehmigen"
    assert "REQ-2026-000001" in Translator("de-DE")("approval.not_found", request_id="REQ-2026-000001")
