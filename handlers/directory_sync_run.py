"""One directory sync run in progress: the database lease it holds and renews, the report it fills in, and the
two reasons it stops early (the lease was taken over, the desk is shutting down)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from handlers.services import Services
from handlers.stopping import StopSignal
from storage.columns import utcnow

LEASE = "directory"  # the sync state row whose lease decides which replica runs
LEASE_SECONDS = 600.0  # renewed after every chunk, so only a dead replica's lease runs out


class SyncLeaseLost(RuntimeError):
    """Another replica took the lease over (ours expired): this run stops writing."""


class SyncStopped(RuntimeError):
    """The desk is shutting down: the run ends after its current chunk; the stored cursors resume it next time."""


@dataclass(slots=True)
class SyncReport:
    """What one run did; ``skipped`` when another replica held the lease or ran this period already."""

    full: bool = False  # asked for, or due (first run, daily pass) for lists or mailboxes
    skipped: bool = False
    users_changed: int = 0
    users_removed: int = 0
    lists_added: int = 0
    lists_changed: int = 0
    lists_removed: int = 0
    mailboxes_added: int = 0
    mailboxes_changed: int = 0
    mailboxes_removed: int = 0
    duration_seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.skipped:
            return "directory sync skipped: another replica holds the lease or ran this period"
        parts = [
            f"users {self.users_changed} changed, {self.users_removed} removed",
            f"lists {self.lists_added} added, {self.lists_changed} changed, {self.lists_removed} removed",
            f"mailboxes {self.mailboxes_added} added, {self.mailboxes_changed} changed, "
            f"{self.mailboxes_removed} removed",
        ]
        head = f"directory sync ({'full' if self.full else 'incremental'}, {self.duration_seconds:.1f} s): "
        tail = f"; errors: {' | '.join(self.errors)}" if self.errors else ""
        return head + "; ".join(parts) + tail


@dataclass(slots=True)
class SyncRun:
    """One run in progress: what every part writes its counts to, and the lease it renews after each chunk."""

    services: Services
    owner: str
    report: SyncReport
    lease_seconds: float
    stop: StopSignal | None = None

    async def renew(self) -> None:
        """Extend the lease after a chunk; stop when it is not ours any more or when the desk shuts down."""
        if self.stop is not None and self.stop.requested:
            raise SyncStopped("the desk is shutting down")
        async with self.services.uow() as uow:
            kept = await uow.leases.extend(LEASE, self.owner, utcnow() + timedelta(seconds=self.lease_seconds))
            await uow.commit()
        if not kept:
            raise SyncLeaseLost(f"lease {LEASE!r} was taken over from {self.owner}")
