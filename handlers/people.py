"""Finding the person someone names in chat: by UPN, e-mail or an unambiguous display name."""

from __future__ import annotations

import re
from functools import cache

from babel import Locale

from m365.ports import Directory, DirectoryUser

_OBJECT_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# What people write for themselves in a request ("… to me", "… dla mnie", "… für mich").
SELF_WORDS = frozenset({"me", "myself", "mnie", "siebie", "mich", "mir"})


async def find_person(directory: Directory, name: str) -> DirectoryUser | None:
    wanted = name.strip().strip("<>").casefold()
    if not wanted:
        return None
    if "@" in wanted or _OBJECT_ID.match(wanted):
        user = await directory.get_user(wanted)
        if user:
            return user
        matches = [u for u in await directory.find_users(wanted) if (u.mail or "").casefold() == wanted]
    else:
        matches = [u for u in await directory.find_users(name.strip()) if u.display_name.casefold() == wanted]
    # Two people with the same name are not a guess the desk makes.
    return matches[0] if len(matches) == 1 else None


@cache
def country_codes() -> frozenset[str]:
    """ISO 3166 alpha-2 codes, from CLDR (via Babel) rather than a hand-kept list."""
    territories = Locale("en").territories  # babel types its keys as str | int | None; region codes are str
    return frozenset(code for code in territories if isinstance(code, str) and len(code) == 2 and code.isalpha())


@cache
def _codes_by_name() -> dict[str, str]:
    # Entra's `country` is free text ("United Kingdom", "Deutschland"); CLDR names in our three languages cover it.
    names: dict[str, str] = {}
    for language in ("en", "de", "pl"):
        for code, name in Locale(language).territories.items():
            if code in country_codes():
                names.setdefault(name.casefold(), code)
    return names


def normalize_country(value: str | None) -> str | None:
    """A two-letter code for a code or a country name; None when it is neither."""
    text = (value or "").strip()
    if text.upper() in country_codes():
        return text.upper()
    return _codes_by_name().get(text.casefold())
