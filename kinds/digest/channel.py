"""The digest command's handler (F21): an admin, in a Teams channel, sets or stops that channel's digest; the
channel's conversation reference is stored with the schedule."""

from __future__ import annotations

from cards.i18n import Translator
from handlers.context import Actor, Reply, actor_translator
from handlers.services import Services, is_admin
from kinds.digest.commands import DigestCommand, DigestOff, DigestUsage, SetDigest
from kinds.digest.schedule import WEEKLY

# Message keys of the weekday names, Monday first, written out so the catalogue check sees every key in use.
WEEKDAY_KEYS = (
    "digest.weekday.0", "digest.weekday.1", "digest.weekday.2", "digest.weekday.3",
    "digest.weekday.4", "digest.weekday.5", "digest.weekday.6",
)


def _clock(at_minute: int) -> str:
    return f"{at_minute // 60:02d}:{at_minute % 60:02d}"


def describe(command: SetDigest, t: Translator) -> str:
    if command.cadence == WEEKLY and command.weekday is not None:
        return t("digest.schedule.weekly", day=t(WEEKDAY_KEYS[command.weekday]), time=_clock(command.at_minute))
    return t("digest.schedule.daily", time=_clock(command.at_minute))


async def handle_digest(services: Services, actor: Actor, command: DigestCommand) -> Reply:
    t = actor_translator(actor)
    if not await is_admin(services, actor):
        return Reply(text=t("digest.admins_only"))
    if isinstance(command, DigestUsage):
        return Reply(text=t("digest.usage"))
    channel = actor.channel
    if channel is None:
        # A digest goes to a channel; the personal chat has no one else to read it.
        return Reply(text=t("digest.channel_only"))
    async with services.uow() as uow:
        if isinstance(command, DigestOff):
            had = await uow.digests.remove(channel.conversation_id)
            await uow.commit()
            return Reply(text=t("digest.stopped" if had else "digest.none"))
        await uow.digests.set(
            conversation_id=channel.conversation_id,
            service_url=channel.service_url,
            tenant_id=channel.tenant_id,
            bot_id=channel.bot_id,
            channel_id=channel.channel_id,
            cadence=command.cadence,
            weekday=command.weekday,
            at_minute=command.at_minute,
            locale=actor.locale,
            set_by=actor.user_id,
            now=services.clock(),
        )
        await uow.commit()
    return Reply(text=t("digest.set", schedule=describe(command, t), zone=services.calendar.timezone))
