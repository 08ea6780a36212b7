"""Which lists and shared mailboxes are unused (F20), from the desk's "last mail seen" and the mailbox usage report:
pure functions over what was read, so every threshold and the concealed-names case are testable on known inputs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from m365.ports import DistributionList, MailboxUsage, SharedMailbox


@dataclass(frozen=True, slots=True)
class UnusedResource:
    """A list or mailbox quiet for the period: last activity, or None with the days of history the desk has."""

    address: str
    name: str
    owners: tuple[str, ...]
    last_activity: datetime | date | None
    history_days: int  # "never seen in N days of history" when last_activity is None


class NamesConcealed(Exception):
    """The usage report shows hashes: no row can be matched to a mailbox until an admin turns the setting off."""


def unused_lists(lists: Sequence[DistributionList], last_seen: Mapping[str, datetime], covered_since: datetime,
                 now: datetime, days: int) -> list[UnusedResource]:
    """Lists whose last received mail (lower-case address -> moment) is older than ``days``, or never seen; oldest
    first, never-seen first of all. A list is only "unused" once the desk has watched for ``days``."""
    cutoff = now - timedelta(days=days)
    history = max((now - covered_since).days, 0)
    found = []
    for dl in lists:
        seen = last_seen.get(dl.primary_smtp_address.lower())
        if seen is not None and seen >= cutoff:
            continue
        if seen is None and history < days:
            continue  # not watched long enough to call it unused
        found.append(UnusedResource(dl.primary_smtp_address, dl.display_name, dl.managed_by, seen, history))
    return sorted(found, key=lambda r: (r.last_activity is not None, str(r.last_activity or ""), r.name.casefold()))


def unused_mailboxes(mailboxes: Sequence[SharedMailbox], rows: Sequence[MailboxUsage], *, concealed: bool,
                     today: date, days: int, owners: Mapping[str, tuple[str, ...]]) -> list[UnusedResource]:
    """Shared mailboxes whose report "Last Activity Date" is older than ``days`` or empty (sign-ins are never used:
    shared mailboxes have none). Raises NamesConcealed when the report hides names."""
    if concealed:
        raise NamesConcealed()
    by_upn = {r.user_principal_name.lower(): r for r in rows if not r.is_deleted}
    cutoff = today - timedelta(days=days)
    found = []
    for mailbox in mailboxes:
        row = by_upn.get(mailbox.primary_smtp_address.lower())
        last = row.last_activity if row is not None else None
        if last is not None and last >= cutoff:
            continue
        found.append(UnusedResource(mailbox.primary_smtp_address, mailbox.display_name,
                                    owners.get(mailbox.identity, ()), last, 180))
    return sorted(found, key=lambda r: (r.last_activity is not None, str(r.last_activity or ""), r.name.casefold()))
