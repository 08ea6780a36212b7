"""What the directory repositories share: address keys, chunked multi-row inserts, counting and a Page of results."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")

# Rows per multi-row INSERT: far below both backends' bound-parameter limits (SQLite 32766, asyncpg 32767) for
# tables of ~10 columns, and small enough that a chunk's statement stays cheap to build.
CHUNK_ROWS = 500


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer result: ``items`` from ``offset`` on, and how many there are in all."""

    items: tuple[T, ...]
    total: int
    offset: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.items) < self.total


def address_key(address: str) -> str:
    """An address as stored for lookups: Exchange and Entra compare addresses without regard to case."""
    return address.strip().lower()


def chunks(rows: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(rows), CHUNK_ROWS):
        yield rows[start : start + CHUNK_ROWS]


async def count_rows(session: AsyncSession, stmt: Select[Any]) -> int:
    """How many rows ``stmt`` selects."""
    return int((await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one())
