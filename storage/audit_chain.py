"""The audit hash chain: the chain's keys, how an event's hash is computed, and how the whole chain is re-verified.

Events are chained (each names its predecessor's hash) and, since the chain was keyed, each hash is an
HMAC-SHA256 under a key the database does not hold: someone who can write the database but lacks the key can
neither edit an event nor recompute the chain after an edit. Events written before the desk had a key carry a
plain SHA-256; they stay valid as the chain's *prefix*, authenticated by the first keyed event after them (its
HMAC covers their tail's hash). Rules the verifier applies, in id order:

- unkeyed events only before the first keyed event; an unkeyed event after a keyed one is a forgery;
- keys rotate forward only: ``AuditKeys`` lists them oldest first, and an event under an older key than the
  event before it is a forgery (so a retired, perhaps leaked, key cannot write after its successor took over);
- with a key configured, a non-empty chain with no keyed event at all is broken ("unsealed"): it is what a
  database writer who replaced the whole chain with recomputed plain hashes leaves behind. A chain written
  before the upgrade is sealed once, explicitly (``app.py audit seal``; the demo seals at startup), and the
  desk never appends onto an event none of its keys signed (AuditChainUnsealed): its signature would vouch for
  whatever came before.

Rotation: put the new key in DESK_AUDIT_KEY and append the old one to DESK_AUDIT_RETIRED_KEYS (oldest first);
appends switch to the new key at once and the verifier tries each key at or after the previous event's.
Deleting events from the end cannot be seen from inside the database (the head row is in it too): the desk writes
the head into its log at every verification, and that outside copy is what a truncation is compared against.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import GENESIS_HASH, AuditEvent, AuditHead

_VERIFY_BATCH = 1000
# How often the verifier follows a head that moved on while it read (appends committed meanwhile) before it calls
# the tail broken; each round only reads the few events appended since the last.
_HEAD_FOLLOW_ROUNDS = 5
SEAL_ACTION = "audit.sealed"

# Why an event fails; the CLI and the log say it in words (see REASONS), the admins' alert does not.
HASH = "hash"  # its hash fits none of the keys (or the plain hash where that is allowed): edited or forged
LINK = "link"  # its prev_hash is not its predecessor's hash: inserted, removed or reordered events
UNKEYED_AFTER_KEYED = "unkeyed_after_keyed"
OLDER_KEY = "older_key"
UNSEALED = "unsealed"
GONE = "gone"  # an event seen earlier (a head copied from the log) is no longer there as it was
TAIL = "tail"  # the head row names an event the chain does not end with: events deleted from the end
AFTER_HEAD = "after_head"  # events past the head row's tail that no append accounted for

REASONS = {
    HASH: "its hash does not match its contents under any audit key (edited, or recomputed without the key)",
    LINK: "it does not follow the event before it (events inserted, removed or reordered)",
    UNKEYED_AFTER_KEYED: "it carries a plain hash although keyed events come before it",
    OLDER_KEY: "it is keyed with an older key than the event before it",
    UNSEALED: "no event is keyed: nothing shows the chain was not recomputed; if the desk was just upgraded, "
    "seal it once with `app.py audit seal`",
    GONE: "the head recorded earlier is no longer in the chain as it was (events rewritten or deleted)",
    TAIL: "the head row names a tail that the chain does not end with (events deleted from the end?)",
    AFTER_HEAD: "events follow the tail that the head row names (appended outside the desk?)",
}


class AuditChainUnsealed(RuntimeError):
    """An append would chain onto an event no configured key signed; nothing is written rather than vouch for it."""

    def __init__(self, tail_id: int) -> None:
        super().__init__(
            f"audit event {tail_id}, the chain's last, is signed by none of the configured audit keys: either the "
            "chain predates keying (seal it once: `python app.py audit seal`) or DESK_AUDIT_KEY changed without the "
            "old key in DESK_AUDIT_RETIRED_KEYS"
        )
        self.tail_id = tail_id


class AuditKeys:
    """The chain's HMAC keys, oldest first; the last one signs new events. None at all = an unkeyed chain.

    Never printed: repr shows only the key ids (a fingerprint that does not reveal the key).
    """

    __slots__ = ("_keys",)

    def __init__(self, secrets: Iterable[str | bytes] = ()) -> None:
        self._keys = tuple(s.encode("utf-8") if isinstance(s, str) else bytes(s) for s in secrets if s)

    def __bool__(self) -> bool:
        return bool(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"AuditKeys({', '.join(self.ids)})"

    @property
    def current(self) -> bytes | None:
        return self._keys[-1] if self._keys else None

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(key_id(key) for key in self._keys)

    def key(self, index: int) -> bytes:
        return self._keys[index]


def key_id(key: bytes) -> str:
    """A short, stable name for a key, safe to log: an HMAC of a fixed label, so it reveals nothing of the key."""
    return hmac.new(key, b"m365-desk audit key id", hashlib.sha256).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class ChainCheck:
    ok: bool
    checked: int
    first_bad_id: int | None
    reason: str | None = None  # one of the constants above when not ok
    head_id: int | None = None  # the last event that checked out, and its hash: what the log keeps outside
    head_hash: str | None = None
    keyed_events: int = 0
    stopped: bool = False  # asked to stop before the end: neither ok nor broken, just unfinished


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace: the one spelling of a value that the hash is taken over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def normalise_detail(detail: dict[str, Any] | None) -> dict[str, Any]:
    """The detail exactly as it will read back from a JSON column (tuples become lists, keys strings)."""
    normalised: dict[str, Any] = json.loads(canonical_json(detail or {}))
    return normalised


def _hashed_bytes(
    *,
    prev_hash: str,
    request_id: int | None,
    actor_id: str | None,
    actor_name: str | None,
    action: str,
    detail: dict[str, Any],
    created_at: datetime,
) -> bytes:
    body = {
        "prev_hash": prev_hash,
        "request_id": request_id,
        "actor_id": actor_id,
        "actor_name": actor_name,
        "action": action,
        "detail": detail,
        "created_at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
    }
    return canonical_json(body).encode("utf-8")


def _digest(message: bytes, key: bytes | None) -> str:
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def event_hash(
    *,
    prev_hash: str,
    request_id: int | None,
    actor_id: str | None,
    actor_name: str | None,
    action: str,
    detail: dict[str, Any],
    created_at: datetime,
    key: bytes | None = None,
) -> str:
    """HMAC-SHA256 of the event under ``key``; without a key the plain SHA-256 of events from before keying."""
    message = _hashed_bytes(
        prev_hash=prev_hash,
        request_id=request_id,
        actor_id=actor_id,
        actor_name=actor_name,
        action=action,
        detail=detail,
        created_at=created_at,
    )
    return _digest(message, key)


_COLUMNS = (
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


def signing_level(row: Any, keys: AuditKeys, *, at_least: int) -> int | None:
    """Which key made this event's hash (its index in ``keys``), -1 for a plain hash; None when none did.

    Only keys from ``at_least`` on are tried (rotation goes forward), and the plain hash only while
    ``at_least`` is -1 (nothing keyed yet). The seal event is never accepted with a plain hash.
    """
    message = _hashed_bytes_of(row)
    if at_least < 0 and row.action != SEAL_ACTION and hmac.compare_digest(_digest(message, None), row.hash):
        return -1
    for index in range(max(at_least, 0), len(keys)):
        if hmac.compare_digest(_digest(message, keys.key(index)), row.hash):
            return index
    return None


async def event_row(session: AsyncSession, event_id: int) -> Any:
    return (await session.execute(select(*_COLUMNS).where(AuditEvent.id == event_id))).first()


async def verify_chain(
    session: AsyncSession,
    keys: AuditKeys | None = None,
    *,
    expect: tuple[int, str] | None = None,
    stop: Callable[[], bool] | None = None,
) -> ChainCheck:
    """Recompute every event's hash in id order; report the first event that does not fit the chain.

    ``keys`` None or empty verifies an unkeyed chain (plain SHA-256 only). ``expect`` is a head seen earlier
    (event id, hash), kept outside the database: that event must still be there with that hash, which catches
    what the chain cannot show by itself (the tail deleted together with the head row moved back). ``stop`` is
    asked between batches, so a long verification ends early at shutdown (``stopped``) rather than be cancelled
    inside a database call.
    """
    keys = keys or AuditKeys()
    prev = GENESIS_HASH
    checked = keyed = 0
    last_id = 0
    first_id: int | None = None
    level = -1  # the index of the key the last event was signed with; -1 while events are unkeyed

    def result(ok: bool, bad: int | None = None, reason: str | None = None) -> ChainCheck:
        return ChainCheck(
            ok=ok,
            checked=checked,
            first_bad_id=bad,
            reason=reason,
            head_id=last_id or None,
            head_hash=prev if last_id else None,
            keyed_events=keyed,
        )

    for _round in range(_HEAD_FOLLOW_ROUNDS + 1):
        while True:
            if stop is not None and stop():
                return ChainCheck(ok=False, checked=checked, first_bad_id=None, stopped=True)
            # Keyset batches keep memory flat and avoid holding a server-side cursor open.
            stmt = select(*_COLUMNS).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(_VERIFY_BATCH)
            rows = (await session.execute(stmt)).all()
            if not rows:
                break
            for row in rows:
                checked += 1
                first_id = row.id if first_id is None else first_id
                if expect is not None and _misses(expect, row, last_id):
                    return result(False, expect[0], GONE)
                if row.prev_hash != prev:
                    return result(False, row.id, LINK)
                signed = signing_level(row, keys, at_least=level)
                if signed is None:
                    # Say why in the most useful words: a plain hash after keyed events is a forgery of its own kind.
                    message = _hashed_bytes_of(row)
                    plain = _digest(message, None) == row.hash
                    older = any(_digest(message, keys.key(i)) == row.hash for i in range(max(level, 0)))
                    reason = UNKEYED_AFTER_KEYED if plain and level >= 0 else OLDER_KEY if older else HASH
                    return result(False, row.id, reason)
                level = signed
                keyed += 1 if signed >= 0 else 0
                prev = row.hash
                last_id = row.id
        head = (await session.execute(select(AuditHead.last_hash, AuditHead.last_event_id))).first()
        if head is None or head.last_hash == prev:
            break
        head_id = head.last_event_id
        if head_id is not None and head_id > last_id:
            continue  # appends committed while we read: follow them (they are few) and compare again
        if head_id is None or head_id < last_id:
            stray = select(func.min(AuditEvent.id)).where(AuditEvent.id > (head_id or 0))
            return result(False, (await session.execute(stray)).scalar(), AFTER_HEAD)
        return result(False, head_id, TAIL)
    else:
        return result(False, head.last_event_id if head else None, TAIL)
    if expect is not None and expect[0] > last_id:
        return result(False, expect[0], GONE)
    if keys and checked and level < 0:
        return result(False, first_id, UNSEALED)
    return result(True)


def _hashed_bytes_of(row: Any) -> bytes:
    return _hashed_bytes(
        prev_hash=row.prev_hash,
        request_id=row.request_id,
        actor_id=row.actor_id,
        actor_name=row.actor_name,
        action=row.action,
        detail=row.detail,
        created_at=row.created_at,
    )



def _misses(expect: tuple[int, str], row: Any, previous_id: int) -> bool:
    """Whether this row shows the expected event changed (same id, other hash) or gone (the ids jumped past it)."""
    expected_id, expected_hash = expect
    return (row.id == expected_id and row.hash != expected_hash) or row.id > expected_id > previous_id
