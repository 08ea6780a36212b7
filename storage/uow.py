"""Unit of work: one session and transaction, with every repository bound to it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.audit_chain import AuditKeys
from storage.repositories import (
    AuditRepository,
    CardCopyRepository,
    ConversationRepository,
    DecisionRepository,
    JobRepository,
    PriceRepository,
    RequestRepository,
)
from storage.repositories.delegations import DelegationRepository
from storage.repositories.digests import DigestRepository
from storage.repositories.directory_cache import DirectoryCacheRepository
from storage.repositories.edits import EditRepository
from storage.repositories.grants import GrantRepository
from storage.repositories.incidents import IncidentRepository
from storage.repositories.last_mail_seen import LastMailSeenRepository
from storage.repositories.leases import LeaseRepository
from storage.repositories.mail import MailChoiceRepository, MailOutboxRepository
from storage.repositories.mailbox_owners import MailboxOwnerRepository
from storage.repositories.reports import AlertRepository, ReportFileRepository
from storage.repositories.sync_state import SyncStateRepository
from storage.repositories.user_cache import UserCacheRepository


class UnitOfWork:
    """``async with UnitOfWork(factory) as uow: ...; await uow.commit()`` - nothing persists without commit."""

    session: AsyncSession
    requests: RequestRepository
    decisions: DecisionRepository
    audit: AuditRepository
    jobs: JobRepository
    conversations: ConversationRepository
    cards: CardCopyRepository
    prices: PriceRepository
    alerts: AlertRepository
    report_files: ReportFileRepository
    directory_cache: DirectoryCacheRepository  # lists and shared mailboxes as last synced
    user_cache: UserCacheRepository  # Entra users as last synced
    mailbox_owners: MailboxOwnerRepository  # the desk's own record, not synced
    sync_state: SyncStateRepository  # the sync's cursors and runs
    leases: LeaseRepository  # one replica per period
    grants: GrantRepository
    last_mail_seen: LastMailSeenRepository  # the desk's own record of lists' last received mail (F20)
    digests: DigestRepository  # channel digests' schedules (F21)
    delegations: DelegationRepository  # who stands in for whom as an approver (F15)
    incidents: IncidentRepository  # reported problems, their events, card copies and support channel (F18)
    edits: EditRepository  # approvers' edits of waiting requests (F13)
    mail_outbox: MailOutboxRepository  # e-mail notifications waiting, sent or given up (F16)
    mail_choices: MailChoiceRepository  # people's own "email me on|off" (F16)

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], audit_keys: AuditKeys | None = None) -> None:
        self._session_factory = session_factory
        self._audit_keys = audit_keys

    async def __aenter__(self) -> Self:
        self.session = self._session_factory()
        self.requests = RequestRepository(self.session)
        self.decisions = DecisionRepository(self.session)
        self.audit = AuditRepository(self.session, self._audit_keys)
        self.jobs = JobRepository(self.session)
        self.conversations = ConversationRepository(self.session)
        self.cards = CardCopyRepository(self.session)
        self.prices = PriceRepository(self.session)
        self.alerts = AlertRepository(self.session)
        self.report_files = ReportFileRepository(self.session)
        self.directory_cache = DirectoryCacheRepository(self.session)
        self.user_cache = UserCacheRepository(self.session)
        self.mailbox_owners = MailboxOwnerRepository(self.session)
        self.sync_state = SyncStateRepository(self.session)
        self.leases = LeaseRepository(self.session)
        self.grants = GrantRepository(self.session)
        self.last_mail_seen = LastMailSeenRepository(self.session)
        self.digests = DigestRepository(self.session)
        self.delegations = DelegationRepository(self.session)
        self.incidents = IncidentRepository(self.session)
        self.edits = EditRepository(self.session)
        self.mail_outbox = MailOutboxRepository(self.session)
        self.mail_choices = MailChoiceRepository(self.session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() ends the transaction without committing, so anything not committed is discarded. It
        # detaches loaded objects instead of expiring them (rollback() would), so handlers can still
        # read what they loaded after the block.
        await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()


class UnitOfWorkFactory:
    """The one thing handlers get injected: ``async with uow_factory() as uow``."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], audit_keys: AuditKeys | None = None) -> None:
        """``audit_keys``: the audit chain's HMAC keys (app.py passes the configured ones; None = unkeyed)."""
        self.session_factory = session_factory
        self.audit_keys = audit_keys

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory, self.audit_keys)
