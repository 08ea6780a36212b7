"""Unused lists and shared mailboxes from known inputs: thresholds, never-seen lists and the history they need,
report rows matched by address, and a report with concealed names refused rather than misread."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from kinds.usage.unused import NamesConcealed, unused_lists, unused_mailboxes
from m365.ports import DistributionList, MailboxUsage, SharedMailbox

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def _list(alias: str) -> DistributionList:
    return DistributionList(identity=alias, name=alias, display_name=alias.title(),
                            primary_smtp_address=f"{alias}@contoso.com", alias=alias, managed_by=("o@contoso.com",))


def _mailbox(alias: str) -> SharedMailbox:
    return SharedMailbox(identity=alias, name=alias, display_name=alias.title(), alias=alias,
                         primary_smtp_address=f"{alias}@contoso.com")


def test_quiet_and_never_seen_lists_are_unused_once_the_desk_has_watched_long_enough() -> None:
    lists = [_list("busy"), _list("quiet"), _list("silent")]
    seen = {"busy@contoso.com": NOW - timedelta(days=5), "quiet@contoso.com": NOW - timedelta(days=120)}
    found = unused_lists(lists, seen, NOW - timedelta(days=200), NOW, 90)
    assert [(r.address, r.last_activity, r.history_days) for r in found] == [
        ("silent@contoso.com", None, 200), ("quiet@contoso.com", NOW - timedelta(days=120), 200)]
    # Watched for 30 days only: a never-seen list is not yet called unused, a quiet one with old mail is.
    assert [r.address for r in unused_lists(lists, seen, NOW - timedelta(days=30), NOW, 90)] == ["quiet@contoso.com"]


def test_mailboxes_by_last_activity_date_and_missing_rows_count_as_never_active() -> None:
    rows = [MailboxUsage("HELP@contoso.com", "Help", False, date(2026, 5, 20), "Shared"),
            MailboxUsage("old@contoso.com", "Old", False, date(2026, 1, 2), "Shared")]
    found = unused_mailboxes([_mailbox("help"), _mailbox("old"), _mailbox("new")], rows, concealed=False,
                             today=NOW.date(), days=60, owners={"old": ("anna@contoso.com",)})
    assert [(r.address, r.last_activity, r.owners) for r in found] == [
        ("new@contoso.com", None, ()), ("old@contoso.com", date(2026, 1, 2), ("anna@contoso.com",))]


def test_a_report_with_concealed_names_is_refused() -> None:
    with pytest.raises(NamesConcealed):
        unused_mailboxes([_mailbox("help")], [], concealed=True, today=NOW.date(), days=60, owners={})
