"""The desk's e-mail settings as handlers read them (F16): the sender mailbox, the admins' default for people who never
chose, the per-mailbox sending limit, and the link that opens the chat with the bot."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MailPolicy:
    """``sender`` empty = the desk sends no e-mail at all (nothing is queued)."""

    sender: str = ""
    default_on: bool = True  # for people who never typed "email me on|off"
    per_minute: int = 30  # Exchange Online sends about 30 messages a minute per mailbox
    bot_app_id: str = ""  # the bot's app id, for the deep link to its chat; "" = no link

    @property
    def enabled(self) -> bool:
        return bool(self.sender)

    @property
    def chat_link(self) -> str:
        """Teams' deep link that opens the 1:1 chat with the bot (its Bot Framework id is "28:<app id>")."""
        return f"https://teams.microsoft.com/l/chat/0/0?users=28:{self.bot_app_id}" if self.bot_app_id else ""
