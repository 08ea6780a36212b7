"""Removing, changing and bulk-requesting licenses: what people type in English, Polish and German."""

import pytest

from kinds.licenses.commands import ChangeLicense, RemoveLicense, RequestLicense, RequestLicenseBulk, clean_lines
from kinds.registry import Registry
from tests.unit.conftest import command_of

AB = ("a@contoso.com", "b@contoso.com")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("remove license E3", RemoveLicense("E3")),
        ("remove license E3 from me", RemoveLicense("E3")),
        ("Remove licence business basic from anna@contoso.com", RemoveLicense("business basic", "anna@contoso.com")),
        ("revoke license E5 for Jan Nowak", RemoveLicense("E5", "Jan Nowak")),
        ("usuń licencję E3", RemoveLicense("E3")),
        ("usun licencje E3 dla jan.nowak@contoso.com", RemoveLicense("E3", "jan.nowak@contoso.com")),
        ("Usuń licencję E3 od Jana Nowaka", RemoveLicense("E3", "Jana Nowaka")),
        ("odbierz licencję E3 dla mnie", RemoveLicense("E3")),
        ("Lizenz E3 entfernen", RemoveLicense("E3")),
        ("Lizenz E3 entfernen für max@contoso.com", RemoveLicense("E3", "max@contoso.com")),
        ("Lizenz E3 entfernen von max@contoso.com", RemoveLicense("E3", "max@contoso.com")),
        ("Lizenz E3 von Max Müller entfernen", RemoveLicense("E3", "Max Müller")),
        ("entferne Lizenz Business Basic für mich", RemoveLicense("Business Basic")),
    ],
)
def test_remove(text: str, expected: RemoveLicense, registry: Registry) -> None:
    assert command_of(text, registry) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("change license E3 to E5", ChangeLicense("E3", "E5")),
        ("change license E3 to E5 for me", ChangeLicense("E3", "E5")),
        ("Change licence E3 to E5 for anna@contoso.com", ChangeLicense("E3", "E5", "anna@contoso.com")),
        (
            "switch license from business basic to business standard for Anna Kowalska",
            ChangeLicense("business basic", "business standard", "Anna Kowalska"),
        ),
        ("upgrade my license E3 to E5", ChangeLicense("E3", "E5")),
        ("zmień licencję E3 na E5", ChangeLicense("E3", "E5")),
        ("zmien licencje E3 na E5 dla jan@contoso.com", ChangeLicense("E3", "E5", "jan@contoso.com")),
        ("zmień licencję z Business Basic na Business Standard", ChangeLicense("Business Basic", "Business Standard")),
        ("Lizenz E3 auf E5 ändern", ChangeLicense("E3", "E5")),
        ("Lizenz E3 auf E5 aendern für max@contoso.com", ChangeLicense("E3", "E5", "max@contoso.com")),
        ("Lizenz E3 für max@contoso.com auf E5 ändern", ChangeLicense("E3", "E5", "max@contoso.com")),
        ("ändere Lizenz E3 auf E5 für mich", ChangeLicense("E3", "E5")),
    ],
)
def test_change(text: str, expected: ChangeLicense, registry: Registry) -> None:
    assert command_of(text, registry) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "request license E3 for\nanna@contoso.com\njan@contoso.com",
            RequestLicenseBulk("E3", ("anna@contoso.com", "jan@contoso.com")),
        ),
        (
            "request license E3 for anna@contoso.com, jan@contoso.com; Max Müller",
            RequestLicenseBulk("E3", ("anna@contoso.com", "jan@contoso.com", "Max Müller")),
        ),
        (
            "<p>request license E3 for:</p><p>- anna@contoso.com</p><p>2. Jan Nowak<br>ola@contoso.com</p>",
            RequestLicenseBulk("E3", ("anna@contoso.com", "Jan Nowak", "ola@contoso.com")),
        ),
        ("license E5 for a@contoso.com b@contoso.com", RequestLicenseBulk("E5", ("a@contoso.com", "b@contoso.com"))),
        ("poproś o licencję E3 dla\na@contoso.com\nb@contoso.com", RequestLicenseBulk("E3", AB)),
        ("Lizenz E3 anfordern für a@contoso.com, mich", RequestLicenseBulk("E3", ("a@contoso.com", "mich"))),
        ("Lizenz E3 für\r\na@contoso.com\r\nb@contoso.com", RequestLicenseBulk("E3", AB)),
    ],
)
def test_bulk(text: str, expected: RequestLicenseBulk, registry: Registry) -> None:
    assert command_of(text, registry) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("request license E3 for\nanna@contoso.com", RequestLicense("E3", "anna@contoso.com")),
        ("request license E3 for me", RequestLicense("E3")),
        ("Lizenz E3 anfordern", RequestLicense("E3")),
        ("licencja E3 dla jan@contoso.com", RequestLicense("E3", "jan@contoso.com")),
    ],
)
def test_one_person_stays_an_ordinary_request(text: str, expected: RequestLicense, registry: Registry) -> None:
    assert command_of(text, registry) == expected


def test_pasted_lines_keep_their_breaks_and_lose_mentions() -> None:
    raw = "<at>M365 Desk</at> request license E3 for<br/>  anna@contoso.com &amp; co <br>\n\n<div>jan@contoso.com</div>"
    assert clean_lines(raw) == ["request license E3 for", "anna@contoso.com & co", "jan@contoso.com"]
