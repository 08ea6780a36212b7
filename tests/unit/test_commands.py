"""What people type in English, Polish and German becomes the right command."""

import pytest

from handlers.commands import JoinList, RequestLicense, ShowHelp, ShowMyRequests, Unknown, parse


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
def test_parse(text: str, expected: object) -> None:
    assert parse(text) == expected


def test_mentions_and_html_are_ignored() -> None:
    assert parse("<at>M365 Desk</at> join <b>sales</b>") == JoinList("sales")
