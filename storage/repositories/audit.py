"""Audit repository: appending keyed, hash-chained events under the head lock, sealing, and reading them back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit_chain import (
    SEAL_ACTION,
    UNSEALED,
    AuditChainUnsealed,
    AuditKeys,
    ChainCheck,
    event_hash,
    event_row,
    normalise_detail,
    signing_level,
    verify_chain,
)
from storage.columns import utcnow
from storage.dialect import insert_for, session_is_postgres
from storage.models import GENESIS_HASH, AuditEvent, AuditHead

__all__ = ["AuditKeys", "AuditRepository", "ChainCheck", "verify_chain"]

HEAD_ID = 1


class AuditRepository:
    def __init__(self, session: AsyncSession, keys: AuditKeys | None = None) -> None:
        """``keys`` None writes plain SHA-256 hashes, as before the chain was keyed (storage tests); app.py always
        passes the configured keys."""
        self._session = session
        self._keys = keys or AuditKeys()

    async def append(
        self,
        *,
        action: str,
        request_id: int | None = None,
        actor_id: str | None = None,
        actor_name: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> AuditEvent:
        """Append one event to the chain; the head stays locked until the caller's transaction ends.

        Append as the last write of a transaction: it holds the head briefly, and always taking row
        locks before the head lock means two transactions cannot deadlock on PostgreSQL. With keys, raises
        AuditChainUnsealed (and writes nothing) when the chain's last event is signed by none of them.
        """
        return await self._append(
            action=action, request_id=request_id, actor_id=actor_id, actor_name=actor_name, detail=detail
        )

    async def _append(
        self,
        *,
        action: str,
        request_id: int | None = None,
        actor_id: str | None = None,
        actor_name: str | None = None,
        detail: dict[str, Any] | None = None,
        sealing: bool = False,
    ) -> AuditEvent:
        head = await self._lock_head()
        if self._keys and head.last_event_id is not None and not sealing:
            await self._require_keyed_tail(head.last_event_id)
        clean = normalise_detail(detail)
        created_at = utcnow()
        digest = event_hash(
            prev_hash=head.last_hash,
            request_id=request_id,
            actor_id=actor_id,
            actor_name=actor_name,
            action=action,
            detail=clean,
            created_at=created_at,
            key=self._keys.current,
        )
        event = AuditEvent(
            request_id=request_id,
            actor_id=actor_id,
            actor_name=actor_name,
            action=action,
            detail=clean,
            created_at=created_at,
            prev_hash=head.last_hash,
            hash=digest,
        )
        self._session.add(event)
        await self._session.flush()
        head.last_hash = digest
        head.last_event_id = event.id
        await self._session.flush()
        return event

    async def for_request(self, request_id: int) -> list[AuditEvent]:
        stmt = select(AuditEvent).where(AuditEvent.request_id == request_id).order_by(AuditEvent.id)
        return list((await self._session.execute(stmt)).scalars())

    async def verify(
        self, *, expect: tuple[int, str] | None = None, stop: Callable[[], bool] | None = None
    ) -> ChainCheck:
        return await verify_chain(self._session, self._keys, expect=expect, stop=stop)

    async def seal(self) -> tuple[ChainCheck, AuditEvent | None]:
        """Keys a chain written before the desk had a key: one keyed event after the unkeyed ones vouches for them.

        Only a chain that verifies except for being unsealed is sealed (never one that is broken otherwise), and
        only on purpose: sealing a chain that someone recomputed would make their rewrite look valid, which is why
        production does not seal by itself (``app.py audit seal``, once after the upgrade). Returns the check made
        before sealing and the seal event (None when there was nothing to seal). The caller commits.
        """
        check = await self.verify()
        if self._keys.current is None or check.ok or check.reason != UNSEALED:
            return check, None
        event = await self._append(
            action=SEAL_ACTION, detail={"key_id": self._keys.ids[-1], "unkeyed_events": check.checked}, sealing=True
        )
        return check, event

    async def tail_is_signed(self) -> bool:
        """Whether the desk may append: the chain is empty, unkeyed by choice, or its last event is signed by one of
        our keys. False on a database upgraded from before keying and not yet sealed (``app.py audit seal``)."""
        head = await self._select_head()
        if not self._keys or head is None or head.last_event_id is None:
            return True
        tail = await event_row(self._session, head.last_event_id)
        return tail is None or signing_level(tail, self._keys, at_least=0) is not None

    async def _require_keyed_tail(self, tail_id: int) -> None:
        """Refuses to chain onto an event none of our keys signed: a keyed append would vouch for everything before it.

        Without this, someone who recomputed the whole chain with plain hashes would have their rewrite signed by the
        desk's next append. One primary-key read and one HMAC, on writes only.
        """
        tail = await event_row(self._session, tail_id)
        if tail is not None and signing_level(tail, self._keys, at_least=0) is None:
            raise AuditChainUnsealed(tail_id)

    async def _lock_head(self) -> AuditHead:
        if not session_is_postgres(self._session):
            # The SQLite driver only opens a transaction at the first write, so a plain read of the
            # head could be overtaken by another appender. A no-op write takes the database's single
            # write lock first; the read below is then current until we commit.
            await self._session.execute(
                update(AuditHead)
                .where(AuditHead.id == HEAD_ID)
                .values(last_hash=AuditHead.last_hash)
                .execution_options(synchronize_session=False)
            )
        head = await self._select_head()
        if head is None:
            await self._create_head()
            head = await self._select_head()
            assert head is not None
        return head

    async def _select_head(self) -> AuditHead | None:
        # FOR UPDATE serializes appenders on PostgreSQL (SQLite ignores it and relies on the write lock).
        stmt = (
            select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update().execution_options(populate_existing=True)
        )
        return (await self._session.execute(stmt)).scalar_one_or_none()

    async def _create_head(self) -> None:
        # The migration seeds the head; this only repairs a database where it went missing, starting
        # from the existing tail so the chain continues rather than restarting.
        tail = (
            await self._session.execute(select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
        ).first()
        values = {
            "id": HEAD_ID,
            "last_hash": tail.hash if tail else GENESIS_HASH,
            "last_event_id": tail.id if tail else None,
        }
        stmt = insert_for(self._session, AuditHead.__table__).values(**values)
        await self._session.execute(stmt.on_conflict_do_nothing(index_elements=["id"]))
