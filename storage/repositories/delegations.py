"""Approval delegations (F15): the one in force for a person, who stands in for whom at an instant, starting or
stopping one; and the waiting requests the reminders and escalation walk."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Request
from storage.models_delegation import ApprovalDelegation


def _active_at(at: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        ApprovalDelegation.starts_at <= at,
        ApprovalDelegation.ends_at > at,
        or_(ApprovalDelegation.ended_at.is_(None), ApprovalDelegation.ended_at > at),
    )


class DelegationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def active_for(self, principal_ids: Iterable[str], at: datetime) -> dict[str, ApprovalDelegation]:
        """principal id -> the delegation in force at ``at`` (the newest, should two overlap)."""
        wanted = sorted(set(principal_ids))
        if not wanted:
            return {}
        stmt = (
            select(ApprovalDelegation)
            .where(ApprovalDelegation.principal_id.in_(wanted), *_active_at(at))
            .order_by(ApprovalDelegation.id)
        )
        return {row.principal_id: row for row in (await self._session.execute(stmt)).scalars()}

    async def principals_of(self, delegate_id: str, at: datetime) -> list[ApprovalDelegation]:
        """The delegations in force at ``at`` that make ``delegate_id`` someone's stand-in."""
        stmt = (
            select(ApprovalDelegation)
            .where(ApprovalDelegation.delegate_id == delegate_id, *_active_at(at))
            .order_by(ApprovalDelegation.id)
        )
        return list((await self._session.execute(stmt)).scalars())

    async def current(self, principal_id: str, at: datetime) -> ApprovalDelegation | None:
        """The person's delegation in force now, or one that starts later (not ended either way)."""
        stmt = (
            select(ApprovalDelegation)
            .where(
                ApprovalDelegation.principal_id == principal_id,
                ApprovalDelegation.ends_at > at,
                or_(ApprovalDelegation.ended_at.is_(None), ApprovalDelegation.ended_at > at),
            )
            .order_by(ApprovalDelegation.id.desc())
            .limit(1)
        )
        return (await self._session.execute(stmt)).scalar_one_or_none()

    async def start(
        self, *, principal_id: str, principal_name: str, delegate_id: str, delegate_name: str, starts_at: datetime,
        ends_at: datetime,
    ) -> tuple[ApprovalDelegation, ApprovalDelegation | None]:
        """The new delegation, and the one it replaces (ended at ``starts_at``), if any."""
        replaced = await self.current(principal_id, starts_at)
        if replaced is not None:
            replaced.ended_at = starts_at
        delegation = ApprovalDelegation(
            principal_id=principal_id, principal_name=principal_name, delegate_id=delegate_id,
            delegate_name=delegate_name, starts_at=starts_at, ends_at=ends_at, created_at=starts_at,
        )
        self._session.add(delegation)
        await self._session.flush()
        return delegation, replaced

    async def stop(self, principal_id: str, at: datetime) -> ApprovalDelegation | None:
        """Ends the person's delegation now; the one ended, or None when there was none."""
        found = await self.current(principal_id, at)
        if found is not None:
            found.ended_at = at
            await self._session.flush()
        return found

    async def waiting_requests(self) -> list[Request]:
        """Every request still waiting for a decision, oldest first ((state, created_at) index)."""
        stmt = select(Request).where(Request.state == "pending").order_by(Request.created_at, Request.id)
        return list((await self._session.execute(stmt)).scalars())
