"""``email me on|off`` (pl ``e-mail włącz|wyłącz``, de ``E-Mail an|aus``): a person's own choice whether the desk
also e-mails them (F16); stored for them whatever the admins' default, answered in their language."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from handlers.context import Actor, Reply, actor_translator
from handlers.mail_outbox import has_address
from handlers.services import Services

# Folded text (lower case, no diacritics, "ł" → "l"): "email me on", "e-mails off", "e-mail włącz",
# "powiadomienia e-mail wyłącz", "wysyłaj mi e-maile", "E-Mail an", "E-Mail-Benachrichtigungen aus".
_PATTERN = re.compile(
    r"^(?:e-?mails?(?:\s+me)?|e-?mail\s+notifications|(?:powiadomienia\s+)?e-?mail(?:e|owe)?|maile"
    r"|e-?mail-?benachrichtigungen|benachrichtigungen\s+per\s+e-?mail)"
    r"(?:\s+(?P<on>on|wl|wlacz|wlaczone|an|ein)|\s+(?P<off>off|wyl|wylacz|wylaczone|aus))?$"
)


@dataclass(frozen=True, slots=True)
class MailChoiceCommand:
    """``on`` True / False; None when typed without one (the usage is explained)."""

    on: bool | None


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().lower().replace("ł", "l"))
    return re.sub(r"\s+", " ", "".join(c for c in decomposed if not unicodedata.combining(c)))


def parse_mail_choice(text: str, _raw: str | None = None) -> MailChoiceCommand | None:
    found = _PATTERN.match(_fold(text))
    if found is None:
        return None
    return MailChoiceCommand(True if found["on"] else False if found["off"] else None)


async def handle_mail_choice(services: Services, actor: Actor, command: MailChoiceCommand) -> Reply:
    """Everyone decides for themselves; the choice is kept even while the desk has no sender mailbox."""
    t = actor_translator(actor)
    if command.on is None:
        return Reply(text=t("mail.choice.usage"))
    async with services.uow() as uow:
        await uow.mail_choices.set(actor.user_id, command.on, now=services.clock())
        await uow.commit()
    if not command.on:
        return Reply(text=t("mail.choice.off"))
    if not services.mail.enabled:
        return Reply(text=t("mail.choice.not_configured"))
    if not await has_address(services, actor.user_id):
        return Reply(text=t("mail.choice.no_address"))
    return Reply(text=t("mail.choice.on"))
