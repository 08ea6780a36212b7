"""What people type in English, Polish and German becomes the right command."""

import pytest

from handlers.commands import ShowHelp, ShowMyRequests, Unknown
from kinds.licenses.commands import RequestLicense, SetPrice, ShowPlans
from kinds.lists.commands import JoinList
from kinds.registry import Registry
from tests.unit.conftest import command_of


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("request license E3 for me", RequestLicense(plan="E3")),
        ("license E5", RequestLicense(plan="E5")),
        (
            "Request licence business premium for anna@contoso.com",
            RequestLicense("business premium", "anna@contoso.com"),
        ),
        ("poproś o licencję E3", RequestLicense(plan="E3")),
        ("poproś o licencję E3 dla jan.nowak@contoso.com", RequestLicense("E3", "jan.nowak@contoso.com")),
        ("Lizenz E3 anfordern", RequestLicense(plan="E3")),
        ("Lizenz E3 anfordern für mich", RequestLicense(plan="E3")),
        ("join sales", JoinList("sales")),
        ("join list Marketing Team", JoinList("Marketing Team")),
        ("dołącz do sales", JoinList("sales")),
        ("beitreten vertrieb", JoinList("vertrieb")),
        ("Vertrieb beitreten", JoinList("Vertrieb")),
        ("help", ShowHelp()),
        ("Pomoc", ShowHelp()),
        ("", ShowHelp()),
        ("my requests", ShowMyRequests()),
        ("meine Anträge", ShowMyRequests()),
        ("make me a sandwich", Unknown("make me a sandwich")),
    ],
)
def test_parse(text: str, expected: object, registry: Registry) -> None:
    assert command_of(text, registry) == expected


def test_mentions_and_html_are_ignored(registry: Registry) -> None:
    assert command_of("<at>M365 Desk</at> join <b>sales</b>", registry) == JoinList("sales")


@pytest.mark.parametrize(
    "text",
    [
        "licenses",
        "Licences",
        "plans",
        "license plans",
        "show licenses",
        "licencje",
        "Plany",
        "pokaż licencje",
        "plany licencyjne",
        "Lizenzen",
        "Pläne",
        "Plaene",
        "zeige Lizenzen",
        "<at>M365 Desk</at> licenses",
    ],
)
def test_plan_catalogue_in_every_language(text: str, registry: Registry) -> None:
    assert command_of(text, registry) == ShowPlans()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("price E3 23.10 EUR", SetPrice("E3", "23.10", "EUR")),
        ("set price E5 37.40 eur", SetPrice("E5", "37.40", "eur")),
        ("price business basic 5.60 EUR", SetPrice("business basic", "5.60", "EUR")),
        ("cena E3 23,10 EUR", SetPrice("E3", "23,10", "EUR")),
        ("ustaw cenę Business Premium 86,50 PLN", SetPrice("Business Premium", "86,50", "PLN")),
        ("Preis E3 23,10 EUR", SetPrice("E3", "23,10", "EUR")),
        ("Preis setzen Microsoft 365 E3 33 EUR", SetPrice("Microsoft 365 E3", "33", "EUR")),
        # Malformed input still becomes SetPrice, so the handler can say exactly what is wrong.
        ("price E3 abc EUR", SetPrice("E3", "abc", "EUR")),
        ("price E3 23.10", SetPrice("E3", "23.10", "")),
        ("cena E3", SetPrice("E3", "", "")),
        ("Preis", SetPrice("", "", "")),
    ],
)
def test_set_price_in_every_language(text: str, expected: SetPrice, registry: Registry) -> None:
    assert command_of(text, registry) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("license E3", RequestLicense(plan="E3")),  # a plan after the word still means a request
        ("licencja E3", RequestLicense(plan="E3")),
        ("Lizenz E3", RequestLicense(plan="E3")),
        ("priceless", Unknown("priceless")),
    ],
)
def test_catalogue_words_do_not_swallow_other_commands(text: str, expected: object, registry: Registry) -> None:
    assert command_of(text, registry) == expected
