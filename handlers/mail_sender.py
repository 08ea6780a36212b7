"""The mail sender (F16): sends the mail outbox's e-mails through the Mail port, each exactly once, within the sender
mailbox's per-minute limit and Graph's throttling, retrying transient failures with backoff up to a bound.

Exactly once: each e-mail carries its own Message-ID. An attempt first ``find``s it in the sender mailbox: sent
already → recorded as sent; a draft → ``send_draft``; nothing → ``create_draft`` (its id recorded) then
``send_draft``. A crash between any two of these calls leaves the row leased; when the lease runs out the next
attempt's ``find`` picks up where it stopped, so nothing is sent twice (Graph's sendMail alone is not idempotent).
Each write is sent once per attempt (m365/mail.py uses send_once), as in handlers/jobs.py.

Replicas: one sends at a time, under the named lease "mail-sender" (the sliding window is then counted by one
process), and each e-mail is also claimed on its own row, so a sender whose lease ran out mid-way cannot send what
another has taken over. Leases, retries and the window run on the wall clock, like the job outbox.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from handlers.mail_outbox import message_id
from handlers.services import Services
from handlers.stopping import StopSignal
from m365.errors import InvalidRequest, M365Error, NotFound, Throttled, TransientError
from m365.ports import FoundMail, Mail, OutgoingMail
from storage.columns import utcnow
from storage.models_mail import OutboxMail

logger = logging.getLogger(__name__)

LEASE_NAME = "mail-sender"
WINDOW = timedelta(minutes=1)
MAX_ATTEMPTS = 8  # then the e-mail is marked failed (logged) and never sent again
_MAX_BACKOFF = timedelta(hours=1)
_THROTTLED_DEFAULT = timedelta(seconds=60)  # a 429 without Retry-After


class MailSender:
    def __init__(
        self,
        services: Services,
        *,
        owner: str | None = None,
        lease_seconds: float = 120,
        clock: Callable[[], datetime] = utcnow,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self._services = services
        self.owner = owner or f"mail-{uuid.uuid4().hex[:12]}"
        self._lease_seconds = lease_seconds
        self._clock = clock
        self._max_attempts = max_attempts
        # Graph throttled the sender mailbox: nothing more is sent from it before this moment.
        self._throttled_until: dict[str, datetime] = {}

    async def run(self, stop: StopSignal, *, poll_seconds: float = 5.0) -> None:
        """Sends what is due every ``poll_seconds`` until ``stop``; a failed pass (the database away) is logged."""
        while not stop.requested:
            try:
                await self.send_due()
            except Exception:  # noqa: BLE001 - the sender must outlive a failed pass
                logger.exception("mail sender: the pass failed; the next one tries again")
            if await stop.sleep(poll_seconds):
                return

    async def send_due(self, *, max_mails: int = 1000) -> int:
        """Sends the e-mails due now, oldest first, until none is due, the minute's limit is reached or Graph
        throttles; returns how many were sent. Only the holder of the "mail-sender" lease sends."""
        mail = self._services.tenant.mail
        if mail is None:
            return 0
        if not await self._hold_lease():
            return 0
        sent = 0
        for _ in range(max_mails):
            now = self._clock()
            sender = self._services.mail.sender
            if sender and not await self._may_send(sender, now):
                break
            async with self._services.uow() as uow:
                row = await uow.mail_outbox.claim(self.owner, now=now, lease_seconds=self._lease_seconds)
                await uow.commit()
            if row is None:
                break
            if row.sender != sender and not await self._may_send(row.sender, now):
                await self._retry(row, self._next_free(row.sender, now), "waiting for the sender's limit")
                continue
            if await self._deliver(mail, row):
                sent += 1
            if not await self._hold_lease():
                break
        return sent

    async def _hold_lease(self) -> bool:
        now = self._clock()
        async with self._services.uow() as uow:
            held = await uow.leases.try_claim(LEASE_NAME, self.owner, now + timedelta(seconds=self._lease_seconds), now)
            await uow.commit()
        return held

    async def _may_send(self, sender: str, now: datetime) -> bool:
        """Not throttled, and fewer than the per-minute limit sent from ``sender`` in the last minute."""
        if self._throttled_until.get(sender.lower(), now) > now:
            return False
        async with self._services.uow() as uow:
            recent = await uow.mail_outbox.sent_since(sender, now - WINDOW)
        return len(recent) < self._services.mail.per_minute

    def _next_free(self, sender: str, now: datetime) -> datetime:
        return max(self._throttled_until.get(sender.lower(), now), now + timedelta(seconds=1))

    async def _deliver(self, port: Mail, row: OutboxMail) -> bool:
        """One attempt at one e-mail; True when it is (now known to be) sent."""
        outgoing = OutgoingMail(message_id=message_id(row.key), sender=row.sender, to=(row.address,),
                                subject=row.subject, text=row.text, html=row.html, language=row.language)
        try:
            found = await port.find(row.sender, outgoing.message_id)
            if found is None:
                draft_id = await port.create_draft(outgoing)
                async with self._services.uow() as uow:
                    await uow.mail_outbox.record_draft(row, draft_id)
                    await uow.commit()
                found = FoundMail(draft_id, is_draft=True)
            if found.is_draft:
                await self._send_draft(port, row.sender, outgoing.message_id, found.id)
        except TransientError as error:
            await self._transient(row, error)
            return False
        except M365Error as error:
            # Unknown sender (404), the access policy refusing it (403), a mail Graph refuses (400): no retry helps.
            await self._give_up(row, f"{type(error).__name__} {error.code}: {error}")
            return False
        except (OSError, TimeoutError) as error:
            await self._transient(row, TransientError(str(error) or type(error).__name__))
            return False
        async with self._services.uow() as uow:
            recorded = await uow.mail_outbox.mark_sent(row, now=self._clock())
            await uow.commit()
        if not recorded:
            logger.warning("mail %s: sent, but its lease had passed to another sender (which finds it sent)", row.id)
        logger.info("mail %s sent to %s (%s)", row.id, row.recipient_id, row.key)
        return True

    @staticmethod
    async def _send_draft(port: Mail, sender: str, message: str, draft_id: str) -> None:
        try:
            await port.send_draft(sender, draft_id)
        except (NotFound, InvalidRequest):
            # "No such draft" is also Graph's answer for one that went out meanwhile: it counts as sent if it did.
            again = await port.find(sender, message)
            if again is None or again.is_draft:
                raise

    async def _transient(self, row: OutboxMail, error: TransientError) -> None:
        now = self._clock()
        if isinstance(error, Throttled) or error.status == 429:
            pause = timedelta(seconds=error.retry_after) if error.retry_after else _THROTTLED_DEFAULT
            self._throttled_until[row.sender.lower()] = now + pause
        if row.attempts >= self._max_attempts:
            await self._give_up(row, f"{type(error).__name__}: {error} (after {row.attempts} attempts)")
            return
        if error.retry_after is not None:
            wait = timedelta(seconds=error.retry_after)
        else:
            wait = min(timedelta(seconds=30 * 2 ** max(row.attempts - 1, 0)), _MAX_BACKOFF)
        await self._retry(row, now + wait, f"{type(error).__name__}: {error}")
        logger.warning("mail %s attempt %s: %s; retry at %s", row.id, row.attempts, error, f"{now + wait:%H:%M:%S}")

    async def _retry(self, row: OutboxMail, at: datetime, error: str) -> None:
        async with self._services.uow() as uow:
            await uow.mail_outbox.retry(row, at=at, error=error)
            await uow.commit()

    async def _give_up(self, row: OutboxMail, error: str) -> None:
        logger.error("mail %s to %s given up, never sent: %s", row.id, row.recipient_id, error)
        async with self._services.uow() as uow:
            await uow.mail_outbox.give_up(row, error=error)
            await uow.commit()
