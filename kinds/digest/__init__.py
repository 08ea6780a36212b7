"""The digest family (F21): the admins' "digest" command, served in Teams channels where the bot is @mentioned,
and the scheduled digest card it posts there; and the approvers' "morning digest on|off" in the personal chat."""

from __future__ import annotations

from kinds.digest.channel import handle_digest
from kinds.digest.commands import parse_digest
from kinds.digest.morning import handle_morning, parse_morning
from kinds.family import Command, Family, ManifestCommand


def family() -> Family:
    return Family(
        name="digest",
        # Before "show …" (140), the catch-all; the one command a channel is served (in_channels).
        commands=(
            Command("digest", 32, parse_digest, handle_digest, in_channels=True),
            Command("morning digest", 33, parse_morning, handle_morning),
        ),
        manifest=(
            ManifestCommand(
                order=10,
                scope="team",
                titles={"en": "digest daily 08:00", "pl": "podsumowanie codziennie 08:00",
                        "de": "Zusammenfassung täglich 08:00"},
                descriptions={
                    "en": "Admins: post the desk's digest to this channel every day at 08:00 (or weekly monday, off)",
                    "pl": "Admini: podsumowanie w tym kanale codziennie o 08:00 (lub co tydzień, wyłącz)",
                    "de": "Admins: die Zusammenfassung täglich um 08:00 in diesem Kanal posten (oder wöchentlich, aus)",
                },
            ),
        ),
    )
