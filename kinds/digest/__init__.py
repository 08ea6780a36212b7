"""The channel digest family (F21): the admins' "digest" command, served in Teams channels where the bot is
@mentioned, and the scheduled digest card it posts there."""

from __future__ import annotations

from kinds.digest.channel import handle_digest
from kinds.digest.commands import parse_digest
from kinds.family import Command, Family


def family() -> Family:
    return Family(
        name="digest",
        # Before "show …" (140), the catch-all; the one command a channel is served (in_channels).
        commands=(Command("digest", 32, parse_digest, handle_digest, in_channels=True),),
    )
