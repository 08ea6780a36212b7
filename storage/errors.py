"""Errors the storage layer raises, so callers never inspect SQLAlchemy exceptions for domain cases."""

from __future__ import annotations


class StorageError(Exception):
    """Base class for storage errors that handlers are expected to catch."""


class NotFoundError(StorageError):
    """The row asked for does not exist."""


class StaleVersion(StorageError):
    """Someone changed the request since the caller read it (a stale card click or a lost race)."""

    def __init__(self, request_id: int, expected: int, actual: int | None = None) -> None:
        detail = f"request {request_id}: expected version {expected}"
        if actual is not None:
            detail += f", found {actual}"
        super().__init__(detail)
        self.request_id = request_id
        self.expected = expected
        self.actual = actual


class LeaseLost(StorageError):
    """A job runner tried to finish a job whose lease expired and was claimed by another runner."""

    def __init__(self, job_id: int, owner: str | None) -> None:
        super().__init__(f"job {job_id}: lease of {owner!r} was lost")
        self.job_id = job_id
        self.owner = owner
