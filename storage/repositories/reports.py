"""Alerts sent (one per condition and day, across replicas) and short-lived report files behind download links."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_for
from storage.models import AlertSent, ReportFile


class AlertRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, alert_key: str, day: str, *, detail: dict[str, Any], now: datetime) -> bool:
        """True for exactly one caller per (alert_key, day): the unique key decides, whichever replica asks."""
        stmt = insert_for(self._session, AlertSent.__table__).values(
            alert_key=alert_key, day=day, detail=detail, recipients=0, created_at=now
        )
        result = await self._session.execute(stmt.on_conflict_do_nothing(index_elements=["alert_key", "day"]))
        return bool(result.rowcount)  # type: ignore[attr-defined]  # execute() types DML's CursorResult as Result

    async def record_delivery(self, alert_key: str, day: str, recipients: int) -> None:
        row = await self._get(alert_key, day)
        if row is not None:
            row.recipients = recipients

    async def release(self, alert_key: str, day: str) -> None:
        """Forget a claim whose alert reached nobody, so the next check tries again."""
        await self._session.execute(
            delete(AlertSent).where(AlertSent.alert_key == alert_key, AlertSent.day == day)
        )

    async def sent_on(self, day: str) -> list[AlertSent]:
        stmt = select(AlertSent).where(AlertSent.day == day).order_by(AlertSent.id)
        return list((await self._session.execute(stmt)).scalars())

    async def _get(self, alert_key: str, day: str) -> AlertSent | None:
        stmt = select(AlertSent).where(AlertSent.alert_key == alert_key, AlertSent.day == day)
        return (await self._session.execute(stmt)).scalar_one_or_none()


class ReportFileRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        token_hash: str,
        name: str,
        content_type: str,
        content: str,
        created_by: str,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        # Expired files go with each new one: no sweeper to run, and the table stays as small as its use.
        await self._session.execute(delete(ReportFile).where(ReportFile.expires_at <= now))
        self._session.add(
            ReportFile(
                token_hash=token_hash,
                name=name,
                content_type=content_type,
                content=content,
                created_by=created_by,
                created_at=now,
                expires_at=expires_at,
            )
        )

    async def get_valid(self, token_hash: str, *, now: datetime) -> ReportFile | None:
        stmt = select(ReportFile).where(ReportFile.token_hash == token_hash, ReportFile.expires_at > now)
        return (await self._session.execute(stmt)).scalar_one_or_none()
