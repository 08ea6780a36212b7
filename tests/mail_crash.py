"""A Mail port that dies right after a named call went through: the crash points of an e-mail's send, for the unit
(memory tenant) and e2e (devtenant) tests of sending each e-mail once."""

from __future__ import annotations

from m365.ports import AutomaticReplies, FoundMail, Mail, OutgoingMail


class Crash(BaseException):
    """The process dying between two calls: nothing after it runs, nothing is recorded."""


class CrashAfter:
    """``port`` as it is, except that the process dies right after the call named ``after`` reached it."""

    def __init__(self, port: Mail, after: str) -> None:
        self._port, self._after = port, after

    async def find(self, sender: str, message_id: str) -> FoundMail | None:
        return await self._port.find(sender, message_id)

    async def create_draft(self, mail: OutgoingMail) -> str:
        draft_id = await self._port.create_draft(mail)
        if self._after == "create_draft":
            raise Crash
        return draft_id

    async def send_draft(self, sender: str, draft_id: str) -> None:
        await self._port.send_draft(sender, draft_id)
        if self._after == "send_draft":
            raise Crash

    async def automatic_replies(self, user_id: str) -> AutomaticReplies:
        return await self._port.automatic_replies(user_id)
