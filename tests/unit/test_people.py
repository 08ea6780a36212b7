"""Country codes and names from the directory become ISO codes; anything else is refused."""

import pytest

from handlers.people import normalize_country


@pytest.mark.parametrize(
    ("value", "code"),
    [("PL", "PL"), ("de", "DE"), ("United Kingdom", "GB"), ("Deutschland", "DE"), ("Polska", "PL"),
     ("united states", "US"), ("XX", None), ("", None), (None, None), ("Atlantis", None)],
)
def test_normalize_country(value: str | None, code: str | None) -> None:
    assert normalize_country(value) == code
