"""Every message exists in English, Polish and German with the same placeholders, and plural messages take the
form each language's rule picks for the count."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from cards.i18n import LANGUAGES, Catalogues, Message, Translator, language_of

# Each language's number of plural forms, as its Plural-Forms header says: one/other, Polish one/few/many.
PLURAL_FORMS = {"en": 2, "pl": 3, "de": 2}


@pytest.fixture(scope="module")
def catalogues() -> Catalogues:
    return Catalogues.read()


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _placeholders_of(message: Message) -> set[str]:
    return _placeholders(message.forms[-1])


@pytest.mark.parametrize("language", ["pl", "de"])
def test_catalogue_is_complete(catalogues: Catalogues, language: str) -> None:
    english, other = catalogues["en"].messages, catalogues[language].messages
    assert set(other) == set(english), set(english) ^ set(other)
    for key, message in english.items():
        assert other[key].plural_by == message.plural_by, key
        for form in other[key].forms:
            assert _placeholders(form) == _placeholders_of(message), key
            assert form.strip(), key


@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_messages_have_every_form_of_their_language_and_all_placeholders_in_each(
    catalogues: Catalogues, language: str
) -> None:
    catalogue = catalogues[language]
    plural = {key: message for key, message in catalogue.messages.items() if message.plural_by}
    assert plural, "no plural messages read: the #. comment naming the count is not recognised"
    for key, message in plural.items():
        assert len(message.forms) == PLURAL_FORMS[language], key
        assert message.plural_by in _placeholders_of(message), key
        assert {frozenset(_placeholders(form)) for form in message.forms} == {frozenset(_placeholders_of(message))}
    assert {catalogue.plural_form(n) for n in range(200)} == set(range(PLURAL_FORMS[language]))


def test_every_message_that_carries_a_count_is_a_plural_message(catalogues: Catalogues) -> None:
    counted = [key for key, message in catalogues["en"].messages.items() if "count" in _placeholders_of(message)]
    assert counted
    assert [key for key in counted if catalogues["en"].messages[key].plural_by != "count"] == []


@pytest.mark.parametrize("language", ["pl", "de"])
def test_translations_are_not_copies_of_english(catalogues: Catalogues, language: str) -> None:
    english = catalogues["en"].messages
    same = [
        key
        for key, message in catalogues[language].messages.items()
        if message.forms[-1] == english[key].forms[-1] and len(message.forms[-1]) > 12
        # A pure layout of placeholders ("{field}: {before} → {after}") has no words to translate.
        and any(character.isalpha() for character in re.sub(r"\{\w+\}", "", message.forms[-1]))
    ]
    assert same == []


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (1, "1 lista dystrybucyjna nazywa się"),
        (2, "2 listy dystrybucyjne nazywają się"),
        (5, "5 list dystrybucyjnych nazywa się"),
        (12, "12 list dystrybucyjnych nazywa się"),
        (22, "22 listy dystrybucyjne nazywają się"),
        (25, "25 list dystrybucyjnych nazywa się"),
    ],
)
def test_polish_counts_take_one_few_and_many_forms(count: int, text: str) -> None:
    assert Translator("pl-PL")("names.choose.lists", name="Sprzedaż", count=count).startswith(text)


@pytest.mark.parametrize(
    ("free", "text"),
    [("1", "zostało tylko 1 wolne stanowisko"), ("2", "zostały tylko 2 wolne stanowiska"),
     ("5", "zostało tylko 5 wolnych stanowisk"), ("22", "zostały tylko 22 wolne stanowiska"),
     ("25", "zostało tylko 25 wolnych stanowisk")],
)
def test_a_count_given_as_text_picks_the_form_by_the_parameter_the_message_names(free: str, text: str) -> None:
    # Stored alerts carry their figures as text; alert.low_seats counts with {free}, not {count}.
    message = Translator("pl-PL")("alert.low_seats", plan="E5", free=free, purchased="9", assigned="8", threshold="3")
    assert text in message


def test_a_count_the_translator_formatted_for_the_reader_picks_its_form() -> None:
    t = Translator("pl-PL")
    assert "zostały tylko 1\xa0234 wolne stanowiska" in t(
        "alert.low_seats", plan="E5", free=t.number(1234), purchased="9", assigned="8", threshold="3"
    )


@pytest.mark.parametrize(
    ("locale", "one", "two"),
    [("en-US", "add 1 member", "add 2 members"), ("de-DE", "1 Mitglied hinzufügen", "2 Mitglieder hinzufügen"),
     ("pl-PL", "dodanie 1 członka", "dodanie 2 członków")],
)
def test_one_and_more_read_differently_in_every_language(locale: str, one: str, two: str) -> None:
    t = Translator(locale)
    assert (t("dl.members.add", count=1), t("dl.members.add", count=2)) == (one, two)


def test_a_count_that_is_not_a_number_reads_in_the_plural() -> None:
    # A seat order's step may lack its resulting figure; the reply still goes out, in the "many" form.
    message = Translator("en")("step.order_seats", plan="E3", change="+1", seats="")
    assert message.endswith("to  seats, from the next billing period")


def test_plural_messages_escape_what_people_typed() -> None:
    assert r'"\*Team\*"' in Translator("de")("names.choose.lists", name="*Team*", count=2)


def test_a_plural_entry_must_name_the_parameter_that_picks_its_form(tmp_path: Path) -> None:
    for language in LANGUAGES:
        folder = tmp_path / language / "LC_MESSAGES"
        folder.mkdir(parents=True)
        (folder / "messages.po").write_text(
            'msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
            'msgid "x"\nmsgid_plural "x"\nmsgstr[0] "{count} x"\nmsgstr[1] "{count} xs"\n',
            encoding="utf-8",
        )
    with pytest.raises(ValueError, match="must name the parameter"):
        Catalogues.read(tmp_path)


def test_a_key_in_two_files_of_one_language_is_refused(tmp_path: Path) -> None:
    for language in LANGUAGES:
        folder = tmp_path / language / "LC_MESSAGES"
        folder.mkdir(parents=True)
        for area in ("lists", "mailboxes"):
            (folder / f"{area}.po").write_text(
                'msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\nmsgid "x"\nmsgstr "X"\n',
                encoding="utf-8",
            )
    with pytest.raises(ValueError, match="already in another file"):
        Catalogues.read(tmp_path)


@pytest.mark.parametrize(
    ("locale", "language"),
    [("pl-PL", "pl"), ("de-DE", "de"), ("de", "de"), ("en-US", "en"), ("fr-FR", "en"), (None, "en")],
)
def test_language_from_teams_locale(locale: str | None, language: str) -> None:
    assert language_of(locale) == language


def test_translator_formats_in_the_reader_language() -> None:
    assert Translator("pl-PL")("approval.approve") == "Zatwierdź"
    assert Translator("de-DE")("approval.approve") == "Genehmigen"
    assert "REQ-2026-000001" in Translator("de-DE")("approval.not_approver", request_id="REQ-2026-000001")


def test_an_unknown_key_is_an_error_not_an_empty_message() -> None:
    with pytest.raises(KeyError):
        Translator("pl-PL")("no.such.message")
