"""Deterministic dates for seeded records: the ISO format Graph and Exchange print, the seed epoch, stable numbers."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

# Seeded objects were created some time after this moment (each at a stable offset from its id).
SEED_EPOCH = datetime(2021, 3, 1, 8, 0, tzinfo=UTC)


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def stable_number(key: str) -> int:
    """A stable small number from a string (for deterministic dates without a RNG)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big")
