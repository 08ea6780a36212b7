"""The audit hash chain: how an event's hash is computed and how the whole chain is re-verified."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import GENESIS_HASH, AuditEvent, AuditHead

_VERIFY_BATCH = 1000


@dataclass(frozen=True, slots=True)
class ChainCheck:
    ok: bool
    checked: int
    first_bad_id: int | None


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace: the one spelling of a value that the hash is taken over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def normalise_detail(detail: dict[str, Any] | None) -> dict[str, Any]:
    """The detail exactly as it will read back from a JSON column (tuples become lists, keys strings)."""
    normalised: dict[str, Any] = json.loads(canonical_json(detail or {}))
    return normalised


def event_hash(
    *,
    prev_hash: str,
    request_id: int | None,
    actor_id: str | None,
    actor_name: str | None,
    action: str,
    detail: dict[str, Any],
    created_at: datetime,
) -> str:
    body = {
        "prev_hash": prev_hash,
        "request_id": request_id,
        "actor_id": actor_id,
        "actor_name": actor_name,
        "action": action,
        "detail": detail,
        "created_at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
    }
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


async def verify_chain(session: AsyncSession) -> ChainCheck:
    """Recompute every event's hash in id order; report the first event that does not fit the chain.

    A chain whose events all check out but whose head names a different tail means events were
    deleted from the end; that is reported with ``first_bad_id`` = the event id the head expected.
    """
    cols = (
        AuditEvent.id,
        AuditEvent.request_id,
        AuditEvent.actor_id,
        AuditEvent.actor_name,
        AuditEvent.action,
        AuditEvent.detail,
        AuditEvent.created_at,
        AuditEvent.prev_hash,
        AuditEvent.hash,
    )
    prev = GENESIS_HASH
    checked = 0
    last_id = 0
    while True:
        # Keyset batches keep memory flat and avoid holding a server-side cursor open.
        stmt = select(*cols).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(_VERIFY_BATCH)
        rows = (await session.execute(stmt)).all()
        if not rows:
            break
        for row in rows:
            checked += 1
            expected = event_hash(
                prev_hash=prev,
                request_id=row.request_id,
                actor_id=row.actor_id,
                actor_name=row.actor_name,
                action=row.action,
                detail=row.detail,
                created_at=row.created_at,
            )
            if row.prev_hash != prev or row.hash != expected:
                return ChainCheck(ok=False, checked=checked, first_bad_id=row.id)
            prev = row.hash
            last_id = row.id
    head = (await session.execute(select(AuditHead.last_hash, AuditHead.last_event_id))).first()
    if head is not None and head.last_hash != prev:
        return ChainCheck(ok=False, checked=checked, first_bad_id=head.last_event_id)
    return ChainCheck(ok=True, checked=checked, first_bad_id=None)
