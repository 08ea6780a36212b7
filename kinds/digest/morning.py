"""The approvers' morning digest (F21): ``morning digest on|off`` (``poranne podsumowanie wł|wył``,
``Morgenübersicht an|aus``) in the personal chat stores the choice; on business days, once service hours begin in
the service zone, each opted-in approver gets one card of the pending requests they are listed on and still
entitled to decide — once per person and day across replicas, nothing when nothing waits."""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from cards.digest import MorningItem, morning_card
from cards.i18n import Translator
from handlers.access import still_entitled
from handlers.business_time import BusinessCalendar
from handlers.context import Actor, Reply, actor_translator
from handlers.services import Services
from m365.errors import M365Error
from storage.repositories.digests import MorningDigestRepository

logger = logging.getLogger(__name__)

SHOWN = 10
_PATTERN = re.compile(
    r"^(?:morning\s+digest|poranne\s+podsumowanie|morgenubersicht|morgen\s+ubersicht)"
    r"(?:\s+(?P<on>on|wl|wlacz|an|ein)|\s+(?P<off>off|wyl|wylacz|aus))?$"
)


@dataclass(frozen=True, slots=True)
class MorningDigestChoice:
    """``on`` True / False; None when typed without one (the usage is explained)."""

    on: bool | None


def _fold(text: str) -> str:
    """Lower case without diacritics ("wł" → "wl", "Morgenübersicht" → "morgenubersicht")."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower().replace("ł", "l"))
    return re.sub(r"\s+", " ", "".join(c for c in decomposed if not unicodedata.combining(c)))


def parse_morning(text: str, _raw: str | None = None) -> MorningDigestChoice | None:
    found = _PATTERN.match(_fold(text))
    if found is None:
        return None
    return MorningDigestChoice(True if found["on"] else False if found["off"] else None)


async def handle_morning(services: Services, actor: Actor, command: MorningDigestChoice) -> Reply:
    """Anyone may opt in: the card only ever shows what that person may decide now."""
    t = actor_translator(actor)
    if actor.channel is not None:
        return Reply(text=t("digest.morning.personal_only"))
    if command.on is None:
        return Reply(text=t("digest.morning.usage"))
    async with services.uow() as uow:
        choices = MorningDigestRepository(uow.session)
        if command.on:
            await choices.opt_in(actor.user_id, locale=actor.locale, now=services.clock())
            answer = t("digest.morning.on", zone=services.calendar.timezone)
        else:
            answer = t("digest.morning.off" if await choices.opt_out(actor.user_id) else "digest.morning.was_off")
        await uow.commit()
    return Reply(text=answer)


def morning_day(calendar: BusinessCalendar, now: datetime) -> date | None:
    """Today's local date when it is a business day and its service hours have begun; None otherwise (a weekend,
    a holiday, or before opening)."""
    local = now.astimezone(calendar.zone)
    ranges = calendar.open_ranges(local.date())
    if not ranges:
        return None
    since_midnight = local - local.replace(hour=0, minute=0, second=0, microsecond=0)
    return local.date() if since_midnight >= min(r.start for r in ranges) else None


def claim_key(user_id: str) -> str:
    return "morning:" + hashlib.sha256(user_id.encode()).hexdigest()[:40]


async def run_morning_digests(services: Services) -> int:
    """Sends today's morning digests not yet sent; returns how many this replica sent. Each (person, day) is
    claimed in the alerts table first, so replicas and repeated passes send it once."""
    now = services.clock()
    day = morning_day(services.calendar, now)
    if day is None:
        return 0
    async with services.uow() as uow:
        opted = await MorningDigestRepository(uow.session).all()
    sent = 0
    for choice in opted:
        key, period = claim_key(choice.user_id), day.isoformat()
        async with services.uow() as uow:
            won = await uow.alerts.claim(key, period, detail={}, now=now)
            await uow.commit()
        if not won:
            continue
        try:
            delivered = await _send(services, choice.user_id, choice.locale, now)
        except (M365Error, OSError):
            logger.warning("morning digest for %s not delivered; the next pass tries again", choice.user_id,
                           exc_info=True)
            delivered = None
        if delivered is None:
            async with services.uow() as uow:  # give the claim back: the next pass tries again
                await uow.alerts.release(key, period)
                await uow.commit()
        elif delivered:
            sent += 1
    return sent


async def _send(services: Services, user_id: str, locale: str, now: datetime) -> bool | None:
    """True when sent, False when nothing waits (the day is done), None when the chat could not be reached."""
    approver = Actor(user_id=user_id, name="", tenant_id="", locale=locale)
    async with services.uow() as uow:
        pending = await uow.requests.pending_for_approver(user_id)
    waiting = [request for request in pending if await still_entitled(services, approver, request)]
    if not waiting:
        return False
    t = Translator(locale, services.calendar.timezone)
    items = tuple(MorningItem(r.public_id, r.target_label, r.requester_name, r.created_at, r.due_at,
                              r.due_at is not None and r.due_at < now) for r in waiting[:SHOWN])
    card = morning_card(items, len(waiting), t)
    return True if await services.messenger.send(user_id, card=card) is not None else None
