"""An in-memory tenant: every m365 port (m365/ports.py) over one shared state, answering as the real adapters do
against Graph and Exchange (same values, same typed errors, same case-insensitive identity matching), for fast tests.

Build one with ``memory_tenant(TenantSeed(...))``; ``tenant_state(tenant)`` gives its state, whose methods make the
changes an admin would make outside the desk (update_user, delete_user, add_users, add_domain, expire_delta_links;
``state.mail`` for the outbox, automatic replies and the application access policy).
Not modelled: transport (throttling, retries, tokens, batching) and Exchange's "*" wildcards in an -Identity.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from m365.memory.directory import MemoryDirectory
from m365.memory.licenses import MemoryLicenses
from m365.memory.lists import MemoryDistributionLists
from m365.memory.mail import MailRecords, MemoryMail
from m365.memory.mailboxes import MemoryMailboxes
from m365.memory.recipients import MemoryRecipients
from m365.memory.seed import GroupSeed, ListSeed, MailboxSeed, SkuSeed, TenantSeed, UserSeed
from m365.memory.state import TenantState
from m365.memory.usage import MemoryUsage
from m365.ports import Tenant

__all__ = [
    "GroupSeed",
    "ListSeed",
    "MailRecords",
    "MailboxSeed",
    "MemoryDirectory",
    "MemoryDistributionLists",
    "MemoryLicenses",
    "MemoryMail",
    "MemoryMailboxes",
    "MemoryRecipients",
    "MemoryUsage",
    "SkuSeed",
    "TenantSeed",
    "TenantState",
    "UserSeed",
    "memory_tenant",
    "tenant_state",
]


def memory_tenant(seed: TenantSeed | None = None, *, clock: Callable[[], datetime] | None = None,
                  page_size: int = 999) -> Tenant:
    """A Tenant whose every port reads and changes one in-memory state built from ``seed``.

    ``clock`` stamps changes (WhenChangedUTC; default: the real time); ``page_size`` is the users/delta page.
    """
    state = TenantState(seed or TenantSeed(), clock=clock)
    directory = MemoryDirectory(state, page_size=page_size)
    return Tenant(directory=directory, licenses=MemoryLicenses(state),
                  distribution_lists=MemoryDistributionLists(state), mailboxes=MemoryMailboxes(state),
                  recipients=MemoryRecipients(state), directory_sync=directory, usage=MemoryUsage(state),
                  mail=MemoryMail(state))


def tenant_state(tenant: Tenant) -> TenantState:
    """The state behind a tenant built by memory_tenant, to change it from outside the desk or to look inside."""
    directory = tenant.directory
    if not isinstance(directory, MemoryDirectory):
        raise TypeError("not an in-memory tenant")
    return directory.state
