""""Did you mean …?": the command templates parse to their commands, near misses are found, chat is left alone.

The vocabulary is the emulated tenant's (devtenant's seed: its plans, 20 lists and 5 shared mailboxes) plus 2,000
generated list names, the size of a large directory cache. The tables below are the ones the thresholds in
handlers/suggestion_matching.py were tuned on.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import pytest
from jsonschema import Draft6Validator

from cards.i18n import Translator
from cards.suggestions import NearName, SuggestionsView, near_names_card, suggestions_card
from cards.verbs import Verb
from devtenant.seed import build_seed
from handlers.commands import ShowHelp, ShowMyRequests, Unknown
from handlers.plans import PlanCatalogue
from handlers.suggestion_matching import MAX_CANDIDATES, Name, near, needed_kinds, suggest
from handlers.suggestion_templates import SLOTS, TEMPLATES, slots_of
from handlers.suggestions import plan_names
from kinds.licenses.commands import RemoveLicense, RequestLicense, ShowPlans
from kinds.lists.commands import JoinList, LeaveList, MyLists, ShowAnything
from kinds.mailboxes.commands import GrantAccess, ShowMailbox
from kinds.registry import Registry
from kinds.seats.commands import OrderSeats
from m365.ports import Sku
from tests.unit.conftest import command_of

SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "adaptive-card-1.5.schema.json").read_text())
VALIDATOR = Draft6Validator(SCHEMA)
_WORDS = (
    "Sales", "Marketing", "Finance", "HR", "IT", "Ops", "Legal", "Support", "Engineering", "Procurement", "Warsaw",
    "Berlin", "London", "Kraków", "Munich", "Team", "Leads", "Alerts", "Events", "Reporting", "Project", "Club",
    "Updates", "Managers", "All", "Staff", "Contractors", "Interns", "Partners", "Regional",
)


@pytest.fixture(scope="module")
def vocabulary() -> dict[str, list[Name]]:
    seed = build_seed()
    skus = [Sku(s.sku_id, s.sku_part_number, enabled_units=10, consumed_units=5) for s in seed.skus]
    names: dict[str, list[Name]] = {"plan": list(plan_names(PlanCatalogue.load(), skus)), "list": [], "mailbox": []}
    for dl in seed.distribution_lists:
        for text in (dl.display_name, dl.alias, dl.primary_smtp_address):
            names["list"].append(Name(text, "list", dl.id, dl.display_name))
    for mailbox in seed.shared_mailboxes:
        for text in (mailbox.display_name, mailbox.alias, mailbox.primary_smtp_address):
            names["mailbox"].append(Name(text, "mailbox", mailbox.id, mailbox.display_name))
    rng = random.Random(8)
    for n in range(2000):
        display = " ".join(rng.sample(_WORDS, 3)) + f" {n}"
        alias = display.lower().replace(" ", "-")
        for text in (display, alias, f"{alias}@contoso.com"):
            names["list"].append(Name(text, "list", f"generated-{n}", display))
    return names


# ------------------------------------------------------------------ the declared vocabulary

_SAMPLES = {"plan": "E3", "list": "HR Announcements", "mailbox": "Helpdesk", "name": "Helpdesk", "number": "5",
            "text": "anna@contoso.com"}


@pytest.mark.parametrize("language", sorted(TEMPLATES))
def test_every_template_filled_in_parses_to_a_command(language: str, registry: Registry) -> None:
    for phrase in TEMPLATES[language]:
        assert set(slots_of(phrase)) <= SLOTS, phrase
        filled = _filled(phrase)
        assert not isinstance(command_of(filled, registry), Unknown), (language, filled)


def _is_withdraw(phrase: str) -> bool:
    return phrase.split()[0].casefold() in {"withdraw", "wycofaj", "antrag"}


def _filled(phrase: str) -> str:
    values = {**_SAMPLES, "text": "REQ-2026-000001"} if _is_withdraw(phrase) else _SAMPLES
    for slot in slots_of(phrase):
        phrase = phrase.replace("{" + slot + "}", values[slot], 1)
    return phrase


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("help", ShowHelp), ("pomoc", ShowHelp), ("Hilfe", ShowHelp),
        ("my requests", ShowMyRequests), ("moje wnioski", ShowMyRequests), ("meine Anträge", ShowMyRequests),
        ("licenses", ShowPlans), ("request license E3", RequestLicense), ("poproś o licencję E3", RequestLicense),
        ("Lizenz E3 anfordern", RequestLicense), ("remove license E3", RemoveLicense),
        ("order 5 more E3", OrderSeats), ("join HR Announcements", JoinList), ("dołącz do HR Announcements", JoinList),
        ("HR Announcements beitreten", JoinList), ("leave HR Announcements", LeaveList), ("my lists", MyLists),
        ("show shared mailbox Helpdesk", ShowMailbox),
        ("grant full access on Helpdesk to anna@contoso.com", GrantAccess), ("show Helpdesk", ShowAnything),
    ],
)
def test_canonical_phrases_are_the_commands_they_name(command: str, expected: type, registry: Registry) -> None:
    declared = {_filled(phrase) for language in TEMPLATES.values() for phrase in language}
    assert command in declared
    assert isinstance(command_of(command, registry), expected)


# ------------------------------------------------------------------ near misses and chat

NEAR_MISSES = [
    # (typed, the person's language, the first candidate)
    ("requst licence e3", "en", "request license E3"),
    ("reqest license E5", "en", "request license E5"),
    ("requets license E3 for anna@contoso.com", "en", "request license E3 for anna@contoso.com"),
    ("remvoe license E3", "en", "remove license E3"),
    ("joim HR announcments", "en", "join HR Announcements"),
    ("jion Marketing Team", "en", "join Marketing Team"),
    ("leav Book Club", "en", "leave Book Club"),
    ("shw Sales Poland", "en", "show Sales Poland"),
    ("my reqests", "en", "my requests"),
    ("my request", "en", "my requests"),
    ("my list", "en", "my lists"),
    ("licenes", "en", "licenses"),
    ("licence", "en", "licences"),
    ("all list", "en", "all lists"),
    ("license", "en", "licenses"),
    ("hlp", "en", "help"),
    ("ordr 5 more E3", "en", "order 5 more E3"),
    ("withdrw REQ-2026-000001", "en", "withdraw REQ-2026-000001"),
    ("show shared mailbx Helpdesk", "en", "show shared mailbox Helpdesk"),
    ("grant full acess on Helpdesk to anna@contoso.com", "en", "grant full access on Helpdesk to anna@contoso.com"),
    ("poprosze o licencje E3", "pl", "poproś o licencję E3"),
    ("popros o licencjr Business Basic", "pl", "poproś o licencję Business Basic"),
    ("dołancz do Book Club", "pl", "dołącz do Book Club"),
    ("moje wnoski", "pl", "moje wnioski"),
    ("pomocy", "pl", "pomoc"),
    ("licencja", "pl", "licencje"),
    ("opuś Book Club", "pl", "opuść Book Club"),
    ("Lizens E3 anfordern", "de", "Lizenz E3 anfordern"),
    ("Lizenz E3 anfodern", "de", "Lizenz E3 anfordern"),
    ("meine Antrage", "de", "meine Anträge"),
    ("meine Antäge", "de", "meine Anträge"),
    ("Hilf", "de", "Hilfe"),
    ("Lizenz", "de", "Lizenzen"),
    ("Book Clb beitreten", "de", "Book Club beitreten"),
    ("verlase Running Club", "de", "verlasse Running Club"),
    # A Polish reader typing English (Teams clients are often in English): the English command, not "usuń licencję".
    ("requst licence e3", "pl", "request license E3"),
]

# Chat, and texts whose command words are near but whose names name nothing: nothing to suggest.
NOT_COMMANDS = [
    "hello there", "thanks", "thank you", "ok", "yes", "no", "lol", "test", "fine thanks", "how are you",
    "who are you", "what can you do", "good morning", "is anyone there", "i need a new laptop",
    "the printer is broken", "can I get E3", "please help me", "asdf qwer", "remove me", "leave now", "danke",
    "guten morgen", "zeig mir alles", "wie geht's", "dzięki", "dzień dobry", "jak się masz", "potrzebuję pomocy",
    "join the club", "sales", "marketing", "E3", "where is my laptop", "my password expired", "reset my password",
    "hi bot", "show me the money", "ask for license", "ich brauche hilfe", "gdzie jest mój wniosek", "hell", "yelp",
    "sly", "ola", "list", "lines", "mine", "moja", "meins", "kelp", "limits", "my life", "my rest", "all right",
    "all good", "not now", "one more", "order", "sales team", "show", "open", "search", "find", "help me",
    "hilfe bitte", "request",
    # offered at SCORE_MIN 80: the reason it is 85
    "Hilde", "my rests", "love Book Club", "live Book Club",
    # a command one letter off, but the plan or list it names does not exist: no button that would only fail
    "requst licence e7", "joim no-such-list-anywhere", "dolacz do Ksiazkowy",
]


@pytest.mark.parametrize(("typed", "language", "expected"), NEAR_MISSES)
def test_a_near_miss_gets_the_corrected_command_first(
    vocabulary: dict[str, list[Name]], typed: str, language: str, expected: str
, registry: Registry) -> None:
    found = suggest(typed, language, vocabulary, registry)
    assert found and found[0].command == expected, [s.command for s in found]
    assert len(found) <= MAX_CANDIDATES
    for suggestion in found:
        assert suggestion.command.casefold() != typed.casefold()
        assert not isinstance(command_of(suggestion.command, registry), Unknown), suggestion.command


@pytest.mark.parametrize("typed", NOT_COMMANDS)
@pytest.mark.parametrize("language", ["en", "pl", "de"])
def test_chat_suggests_nothing(
    vocabulary: dict[str, list[Name]], typed: str, language: str, registry: Registry
) -> None:
    assert suggest(typed, language, vocabulary, registry) == []


def test_the_corrected_command_runs_what_was_meant(vocabulary: dict[str, list[Name]], registry: Registry) -> None:
    """Not just a similar string: the corrected text parses to the right command with the right name."""
    (first, *_) = suggest("requst licence e3", "en", vocabulary, registry)
    assert command_of(first.command, registry) == RequestLicense(plan="E3")
    (first, *_) = suggest("joim HR announcments", "en", vocabulary, registry)
    assert command_of(first.command, registry) == JoinList(list_name="HR Announcements")
    (first, *_) = suggest("verlase hr-anouncements", "de", vocabulary, registry)
    assert command_of(first.command, registry) == LeaveList(list_name="hr-announcements"), "an alias stays an alias"


def test_opposite_actions_sharing_a_noun_are_not_confused(
    vocabulary: dict[str, list[Name]], registry: Registry
) -> None:
    commands = [s.command for s in suggest("relove license e3", "en", vocabulary, registry)]
    assert commands == ["remove license E3"], "never 'request license E3', whose words share only 'license'"


def test_only_close_enough_vocabularies_are_loaded() -> None:
    """The directory and the tenant's plans are read only when some template is close enough to need them."""
    assert needed_kinds("thanks", "en") == set()
    assert needed_kinds("requst licence e3", "en") == {"plan"}
    assert needed_kinds("joim HR announcments", "en") == {"list"}
    assert needed_kinds("x" * 5000, "en") == set()


def test_long_text_is_not_matched_and_returns_fast(vocabulary: dict[str, list[Name]], registry: Registry) -> None:
    began = time.perf_counter()
    assert suggest("request license E3 for " + "x" * 5000, "en", vocabulary, registry) == []
    assert suggest(" ".join(["join"] * 60), "en", vocabulary, registry) == []
    assert time.perf_counter() - began < 0.5


# ------------------------------------------------------------------ near names (a list or mailbox not found)


def test_a_name_one_letter_off_finds_the_list(vocabulary: dict[str, list[Name]]) -> None:
    found = near("HR announcments", vocabulary["list"])
    assert [name.label for name, _ in found][:1] == ["HR Announcements"]
    assert [name.label for name, _ in near("Book Clb", vocabulary["list"])][:1] == ["Book Club"]
    assert [name.label for name, _ in near("helpdesc", vocabulary["mailbox"])] == ["Helpdesk"]


def test_a_name_that_starts_a_few_lists_offers_them(vocabulary: dict[str, list[Name]]) -> None:
    labels = {name.label for name, _ in near("sales", vocabulary["list"])}
    assert labels and all(label.casefold().startswith("sales") for label in labels)
    assert len(labels) <= MAX_CANDIDATES


@pytest.mark.parametrize("typed", ["no-such-list-anywhere", "x", "E3 for anna@contoso.com", "Book Club Berlin 2026"])
def test_a_name_that_is_nothing_like_any_list_offers_nothing(vocabulary: dict[str, list[Name]], typed: str) -> None:
    assert near(typed, vocabulary["list"]) == []


def test_one_entry_per_list_even_when_several_of_its_names_are_close(vocabulary: dict[str, list[Name]]) -> None:
    found = near("hr-announcments", vocabulary["list"])
    refs = [name.ref for name, _ in found]
    assert len(refs) == len(set(refs))


# ------------------------------------------------------------------ cards


@pytest.mark.parametrize("locale", ["en-US", "pl-PL", "de-DE"])
def test_cards_validate_and_buttons_run_or_open_the_candidates(locale: str) -> None:
    t = Translator(locale)
    commands = ("request license E3", "remove license E3")
    card = suggestions_card(SuggestionsView(typed="requst licence e3", commands=commands), t)
    assert not list(VALIDATOR.iter_errors(card))
    actions = card["actions"]
    assert [(a["verb"], a["data"]) for a in actions[:-1]] == [(Verb.RUN_COMMAND, {"text": c}) for c in commands]
    assert actions[-1]["verb"] == Verb.SHOW_HELP
    assert "requst licence e3" in card["body"][0]["text"]

    names = (
        NearName("HR Announcements", Verb.LIST_JOIN_SUBMIT, {"list": "id-1"}),
        NearName("HR Announcements DE", Verb.LIST_SHOW, {"list_id": "id-2"}),
    )
    card = near_names_card("HR announcments", "list", names, t)
    assert not list(VALIDATOR.iter_errors(card))
    assert [(a["title"], a["verb"], a["data"]) for a in card["actions"][:-1]] == [
        ("HR Announcements", Verb.LIST_JOIN_SUBMIT, {"list": "id-1"}),
        ("HR Announcements DE", Verb.LIST_SHOW, {"list_id": "id-2"}),
    ]
    assert card["actions"][-1]["verb"] == Verb.SHOW_HELP
    assert card["body"][0]["text"] == t("suggest.list_not_found", name="HR announcments")
    card = near_names_card("helpdesc", "mailbox", (NearName("Helpdesk", Verb.MAILBOX_SHOW, {"mailbox": "m"}),), t)
    assert not list(VALIDATOR.iter_errors(card))
    assert card["body"][0]["text"] == t("suggest.mailbox_not_found", name="helpdesc")


def test_the_card_speaks_the_readers_language() -> None:
    view = SuggestionsView(typed="x", commands=("help",))
    texts = {locale: suggestions_card(view, Translator(locale))["body"][0]["text"] for locale in ("en", "pl", "de")}
    assert len(set(texts.values())) == 3
