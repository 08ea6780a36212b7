"""Incident repository: filing with an INC id, finding, the version-guarded step, events, card copies, and the
support channel's reference."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from storage.dialect import insert_for
from storage.errors import StaleVersion
from storage.models_incidents import Incident, IncidentCardCopy, IncidentEvent, SupportChannel

SUPPORT = "support"  # the one support channel's row, and the role of its cards
OPEN = ("new", "in_progress", "waiting_for_user")


def format_incident_id(created_at: datetime, incident_id: int) -> str:
    """INC-YYYY-NNNNNN from the row's own id, as REQ ids are made (storage.repositories.requests): the database's
    sequence (PostgreSQL) or rowid (SQLite) hands out the number, so concurrent filers never share one."""
    return f"INC-{created_at.year}-{incident_id:06d}"


class IncidentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, incident: Incident) -> Incident:
        """Insert a new incident (version 1) and give it its public id, in the caller's transaction."""
        incident.updated_at = incident.created_at
        incident.version = 1
        # public_id is NOT NULL and UNIQUE but depends on the generated id: a random unique placeholder for the first
        # flush, replaced in the same transaction (the REQ ids' way).
        incident.public_id = f"TMP-{secrets.token_hex(8)}"
        self.session.add(incident)
        await self.session.flush()
        incident.public_id = format_incident_id(incident.created_at, incident.id)
        await self.session.flush()
        return incident

    async def get_by_public_id(self, public_id: str, *, for_update: bool = False) -> Incident | None:
        stmt = select(Incident).where(Incident.public_id == public_id)
        if for_update:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get(self, incident_id: int) -> Incident | None:
        return await self.session.get(Incident, incident_id)

    async def step(self, incident: Incident, *, now: datetime, **values: Any) -> None:
        """Change the incident and bump its version, or raise StaleVersion when someone changed it meanwhile.

        The UPDATE is guarded by the version the caller read, so of two concurrent steps from one version exactly
        one matches a row (as RequestRepository.transition)."""
        await self.session.flush()
        values = {**values, "version": incident.version + 1, "updated_at": now}
        result = await self.session.execute(
            update(Incident)
            .where(Incident.id == incident.id, Incident.version == incident.version)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]  # DML gives a CursorResult, typed as Result
            raise StaleVersion(incident.id, incident.version)
        for key, value in values.items():
            set_committed_value(incident, key, value)

    async def record(self, incident: Incident, *, action: str, actor_id: str | None, actor_name: str | None,
                     now: datetime, note: str | None = None, detail: dict[str, Any] | None = None) -> None:
        self.session.add(IncidentEvent(incident_id=incident.id, actor_id=actor_id, actor_name=actor_name,
                                       action=action, note=note, detail=detail or {}, created_at=now))
        await self.session.flush()

    async def events(self, incident_id: int) -> list[IncidentEvent]:
        stmt = select(IncidentEvent).where(IncidentEvent.incident_id == incident_id).order_by(IncidentEvent.id)
        return list((await self.session.execute(stmt)).scalars())

    async def resolved(self) -> list[Incident]:
        stmt = select(Incident).where(Incident.state == "resolved").order_by(Incident.resolved_at, Incident.id)
        return list((await self.session.execute(stmt)).scalars())

    async def without_support_card(self) -> list[Incident]:
        """Open incidents whose card never reached the support channel (none was set, or it could not be reached
        when they were filed): the periodic pass posts them."""
        posted = select(IncidentCardCopy.incident_id).where(IncidentCardCopy.role == SUPPORT)
        stmt = (select(Incident).where(Incident.state.in_(OPEN), Incident.id.not_in(posted))
                .order_by(Incident.id))
        return list((await self.session.execute(stmt)).scalars())

    async def count_open(self) -> int:
        stmt = select(func.count()).select_from(Incident).where(
            Incident.state.in_(OPEN))
        return int((await self.session.execute(stmt)).scalar_one())

    async def open_incidents(self, *, limit: int, offset: int = 0) -> list[Incident]:
        """Open incidents by priority then age (the support queue's order)."""
        stmt = (select(Incident).where(Incident.state.in_(OPEN))
                .order_by(Incident.priority, Incident.created_at, Incident.id).limit(limit).offset(offset))
        return list((await self.session.execute(stmt)).scalars())

    # -- card copies ---------------------------------------------------------------------------------------------

    async def add_card(self, incident_id: int, *, role: str, recipient_id: str | None, locale: str,
                       conversation_id: str, service_url: str, activity_id: str, now: datetime) -> None:
        """Record a sent card; a newer card of the same role in the same conversation replaces the older copy."""
        values = {"recipient_id": recipient_id, "locale": locale, "service_url": service_url,
                  "activity_id": activity_id, "created_at": now}
        key = {"incident_id": incident_id, "role": role, "conversation_id": conversation_id}
        stmt = insert_for(self.session, IncidentCardCopy.__table__).values(**key, **values)
        await self.session.execute(stmt.on_conflict_do_update(index_elements=list(key), set_=values))

    async def cards(self, incident_id: int) -> list[IncidentCardCopy]:
        stmt = select(IncidentCardCopy).where(IncidentCardCopy.incident_id == incident_id).order_by(
            IncidentCardCopy.id)
        return list((await self.session.execute(stmt)).scalars())

    # -- the support channel -------------------------------------------------------------------------------------

    async def set_channel(self, *, conversation_id: str, service_url: str, tenant_id: str, bot_id: str,
                          channel_id: str, locale: str, set_by: str, now: datetime) -> None:
        row = await self.session.get(SupportChannel, SUPPORT)
        if row is None:
            row = SupportChannel(name=SUPPORT)
            self.session.add(row)
        row.conversation_id, row.service_url, row.tenant_id = conversation_id, service_url, tenant_id
        row.bot_id, row.channel_id, row.locale, row.set_by, row.set_at = bot_id, channel_id, locale, set_by, now
        await self.session.flush()

    async def remove_channel(self, conversation_id: str) -> bool:
        """True when this conversation was the support channel."""
        result = await self.session.execute(delete(SupportChannel).where(
            SupportChannel.name == SUPPORT, SupportChannel.conversation_id == conversation_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]  # execute() types DML's CursorResult as Result

    async def channel(self) -> SupportChannel | None:
        return await self.session.get(SupportChannel, SUPPORT)
