"""Graph delta bookkeeping for users: which user changed which tracked property when, and which tokens are stale."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

# The user properties whose changes Graph delta reports (Exchange-only exo* fields and sign-ins are not among them).
TRACKED_USER_KEYS = (
    "accountEnabled", "assignedLicenses", "businessPhones", "city", "companyName", "country", "department",
    "displayName", "employeeId", "givenName", "jobTitle", "mail", "mailNickname", "mobilePhone", "officeLocation",
    "onPremisesSyncEnabled", "preferredLanguage", "proxyAddresses", "surname", "usageLocation", "userPrincipalName",
    "userType", "manager",
)

# The tracked values of a user at one moment, compared to find what changed.
UserPrint = tuple[Any, ...]


class DeltaGenerations:
    """Which delta and skip tokens are still good: only those of the current generation.

    Outlives a reset of the tenant, so a token issued before the reset is refused after it.
    """

    def __init__(self) -> None:
        self.current = 0
        self._expiry_status: dict[int, int] = {}  # an expired generation -> the status its tokens now get

    def start_new(self) -> None:
        self.current += 1

    def expire(self, status: int = 400) -> None:
        """Make every issued token stale: 400 syncStateNotFound (expired), or 410 (synchronization reset)."""
        self._expiry_status[self.current] = status
        self.current += 1

    def expiry_status(self, generation: int) -> int:
        return self._expiry_status.get(generation, 400)


class UserChangeLog:
    """The order in which users were created, changed or removed, and which tracked properties changed when."""

    def __init__(self, users: Mapping[str, dict[str, Any]]) -> None:
        self._users = users  # the directory's live users, read when a change is recorded
        self.seq = 0
        self._last_change: dict[str, int] = {}  # user id -> seq of its last change; dict order is seq order
        self._prints: dict[str, UserPrint] = {}  # the tracked values at that change
        self._created: dict[str, int] = {}  # seq at which the user (re)appeared: every property changed
        self._key_seqs: dict[str, dict[str, int]] = {}  # later changes: property -> seq of its last change
        self._previous_managers: dict[str, str] = {}  # whose manager was removed, and who it was

    @staticmethod
    def _print(user: dict[str, Any]) -> UserPrint:
        # Containers by value (repr), so edits in place count; strings and scalars are shared, not copied.
        return tuple(repr(v) if isinstance(v, (list, dict)) else v for v in map(user.get, TRACKED_USER_KEYS))

    def record(self, user_id: str) -> None:
        """Note that a user was created, changed or removed, for Graph delta; a no-op when nothing tracked changed.

        Every path that changes the users should call it. Edits that skip it are still found when the next delta
        round starts (track), just ordered after the explicit ones.
        """
        user_id = user_id.lower()
        user = self._users.get(user_id)
        if user is None:
            if self._prints.pop(user_id, None) is not None:  # known to delta before: report it removed
                self._key_seqs.pop(user_id, None)
                self._bump(user_id)
            return
        new = self._print(user)
        old = self._prints.get(user_id)
        if old == new:
            return
        seq = self._bump(user_id)
        self._prints[user_id] = new
        if old is None:
            self._created[user_id] = seq
            self._key_seqs.pop(user_id, None)
            return
        keys = self._key_seqs.setdefault(user_id, {})
        for key, before, after in zip(TRACKED_USER_KEYS, old, new, strict=True):
            if before != after:
                keys[key] = seq
                if key == "manager":
                    if after is None and before is not None:
                        self._previous_managers[user_id] = before
                    else:
                        self._previous_managers.pop(user_id, None)

    def forget(self, user_id: str) -> None:
        """Drop what was last seen of a user, so their next record counts as a new object appearing whole."""
        self._prints.pop(user_id, None)

    def _bump(self, user_id: str) -> int:
        self.seq += 1
        self._last_change.pop(user_id, None)  # re-insert at the end: iteration stays in seq order
        self._last_change[user_id] = self.seq
        return self.seq

    def track(self) -> int:
        """Find edits made without record (tests, other modules) and return the current sequence."""
        for user_id in list(self._users):
            self.record(user_id)
        for user_id in [u for u in self._prints if u not in self._users]:
            self.record(user_id)
        return self.seq

    def changes_after(self, after: int) -> Iterator[tuple[str, int]]:
        """(user id, seq of its last change) for changes after `after`, oldest first; removed users included."""
        for user_id, seq in self._last_change.items():
            if seq > after:
                yield user_id, seq

    def changed_between(self, user_id: str, keys: frozenset[str] | None, since: int, upto: int) -> bool:
        """Whether the user appeared, or one of `keys` (None: any) changed, in (since, upto]."""
        if since < self._created.get(user_id, 0) <= upto:
            return True
        changed = self._key_seqs.get(user_id, {})
        return any(since < seq <= upto for key, seq in changed.items() if keys is None or key in keys)

    def previous_manager(self, user_id: str) -> str | None:
        return self._previous_managers.get(user_id)
