"""The desk's own plan steps of the mailboxes family: they change the desk's records, not Exchange — the owners of a
new shared mailbox, and the expiry of a time-bound grant (scheduled, or ended when the access goes another way).

They run after the Exchange steps of their plan. Format 1 carried the people as a list of {"id", "address", "name"}
objects; format 2 holds them as three tuples of plain strings, one entry per person in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from kinds.steps import Cached, Step, StepContext, Touched
from m365.errors import NotFound
from m365.outcomes import StepOutcome


def _people_fields(data: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """Format 1's list of person objects under ``old`` as format 2's ``<new>_ids``, ``_addresses``, ``_names``."""
    if old not in data:
        return data
    people = data[old]
    upgraded = {key: value for key, value in data.items() if key != old}
    upgraded[f"{new}_ids"] = [person["id"] for person in people]
    upgraded[f"{new}_addresses"] = [person["address"] for person in people]
    upgraded[f"{new}_names"] = [person["name"] for person in people]
    return upgraded


@dataclass(frozen=True, slots=True)
class RecordMailboxOwners(Step):
    """The desk records who owns a new shared mailbox (Exchange has no such notion): they decide its grants."""

    op = "record_mailbox_owners"

    address: str  # the mailbox's address (it has no Exchange identity before the plan runs)
    mailbox: str  # its display name
    user: str  # the owners' names, joined, for the step's message
    owner_ids: tuple[str, ...]
    owner_addresses: tuple[str, ...]
    owner_names: tuple[str, ...]

    def params(self) -> dict[str, str]:
        return {"user": self.user, "mailbox": self.mailbox}

    def touches(self) -> tuple[Touched, ...]:
        return (Touched(Cached.MAILBOX, self.address),)

    def label(self) -> str:
        return self.mailbox

    async def apply(self, context: StepContext) -> StepOutcome:
        port = context.tenant.mailboxes
        if port is None:
            raise NotFound("no Exchange mailboxes connection", code="NoMailboxesPort")
        mailbox = await port.get_mailbox(self.address)
        if mailbox is None:
            raise NotFound(f"shared mailbox {self.address} not found", code="ManagementObjectNotFound")
        owners = list(zip(self.owner_ids, self.owner_addresses, self.owner_names, strict=True))
        async with context.uow() as uow:
            before = await uow.mailbox_owners.of(mailbox.identity)
            if sorted(before) != sorted(owners):
                await uow.mailbox_owners.replace(mailbox.identity, owners)
                await uow.commit()
        return StepOutcome.ALREADY_DONE if sorted(before) == sorted(owners) else StepOutcome.DONE

    @classmethod
    def upgrade(cls, data: dict[str, Any], version: int) -> dict[str, Any]:
        return _people_fields(data, "owners", "owner") if version == 1 else data


@dataclass(frozen=True, slots=True)
class ScheduleGrantExpiry(Step):
    """A time-bound grant: the desk remembers when each person's delegation ends (handlers run the expiry)."""

    op = "schedule_grant_expiry"

    mailbox_id: str
    mailbox: str  # the mailbox's display name
    mailbox_address: str
    access: str  # Exchange's name of the delegation, for the step's message
    right: str  # an m365.ports.Access value
    user: str  # the people's names, joined, for the step's message
    until: str  # the last day, as shown (YYYY-MM-DD)
    expires_at: str  # the instant it ends, ISO 8601 with its offset
    person_ids: tuple[str, ...]
    person_addresses: tuple[str, ...]
    person_names: tuple[str, ...]

    def params(self) -> dict[str, str]:
        return {"user": self.user, "access": self.access, "mailbox": self.mailbox, "until": self.until}

    def touches(self) -> tuple[Touched, ...]:
        return (Touched(Cached.MAILBOX, self.mailbox_id),)

    def label(self) -> str:
        return self.user

    async def apply(self, context: StepContext) -> StepOutcome:
        expires_at = datetime.fromisoformat(self.expires_at)
        now = context.clock()
        for person in zip(self.person_ids, self.person_addresses, self.person_names, strict=True):
            await self._schedule(context, person, expires_at, now)
        return StepOutcome.DONE  # scheduling again updates the live expiry: a re-run changes nothing

    async def _schedule(
        self, context: StepContext, person: tuple[str, str, str], expires_at: datetime, now: datetime
    ) -> None:
        person_id, person_address, person_name = person
        for attempt in (1, 2):
            try:
                async with context.uow() as uow:
                    await uow.grants.schedule(
                        mailbox_id=self.mailbox_id, mailbox_address=self.mailbox_address, mailbox_name=self.mailbox,
                        access=self.right, person_id=person_id, person_address=person_address,
                        person_name=person_name, expires_at=expires_at, request_id=context.request_id, now=now,
                    )
                    await uow.commit()
                return
            except IntegrityError:
                # Another run inserted the same live expiry between our read and write: the second try updates it.
                if attempt == 2:
                    raise

    @classmethod
    def upgrade(cls, data: dict[str, Any], version: int) -> dict[str, Any]:
        return _people_fields(data, "people", "person") if version == 1 else data


@dataclass(frozen=True, slots=True)
class EndGrantExpiry(Step):
    """The grant no longer ends by itself: it became permanent, or the access is revoked now (no notice is due)."""

    op = "end_grant_expiry"

    mailbox_id: str
    mailbox: str
    mailbox_address: str
    access: str
    right: str
    user: str
    person_ids: tuple[str, ...]
    person_addresses: tuple[str, ...]
    person_names: tuple[str, ...]

    def params(self) -> dict[str, str]:
        return {"user": self.user, "access": self.access, "mailbox": self.mailbox}

    def touches(self) -> tuple[Touched, ...]:
        return (Touched(Cached.MAILBOX, self.mailbox_id),)

    def label(self) -> str:
        return self.user

    async def apply(self, context: StepContext) -> StepOutcome:
        ended = False
        now = context.clock()
        async with context.uow() as uow:
            for person_id in self.person_ids:
                ended |= await uow.grants.end(self.mailbox_address, self.right, person_id, reason="ended", now=now)
            await uow.commit()
        return StepOutcome.DONE if ended else StepOutcome.ALREADY_DONE

    @classmethod
    def upgrade(cls, data: dict[str, Any], version: int) -> dict[str, Any]:
        return _people_fields(data, "people", "person") if version == 1 else data
