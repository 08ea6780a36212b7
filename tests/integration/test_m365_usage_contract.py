"""Contract tests of the Usage port (mailbox usage report, report settings, message trace) against both
implementations (m365_fixtures: m365/usage.py against devtenant over HTTPS, and the in-memory tenant).

Activity is recorded from outside the desk the way each implementation offers it (devtenant's usage state, which
its control API writes; the memory tenant's usage records); the port is then only read.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from devtenant import DevTenant, Seed
from m365.credentials import MsalCredentials
from m365.errors import InvalidRequest, Throttled
from m365.graph import DEFAULT_GRAPH_SCOPE
from m365.memory import tenant_state
from m365.ports import Usage
from m365.usage import parse_mailbox_usage_csv

pytest_plugins = ["m365_fixtures"]
pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class Outside:
    """Changes an admin or the mail flow makes outside the desk, for either implementation."""

    records: Any  # devtenant's UsageState or the memory tenant's UsageRecords

    def activity(self, upn: str, day: date | None) -> None:
        self.records.set_mailbox_activity(upn, day)

    def messages(self, recipient: str, times: Sequence[datetime]) -> None:
        self.records.add_messages(recipient, times, sender="someone@example.com", status="Expanded")

    def conceal(self, value: bool) -> None:
        if hasattr(self.records, "display_concealed_names"):
            self.records.display_concealed_names = value
        else:
            self.records.names_concealed = value


@pytest.fixture
def outside(tenant_impl: str, request: pytest.FixtureRequest) -> Outside:
    if tenant_impl == "memory":
        return Outside(tenant_state(request.getfixturevalue("memory")).usage)
    return Outside(request.getfixturevalue("tenant").state.usage)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class TestUsageContract:
    async def test_mailbox_usage_lists_shared_mailboxes_with_their_last_activity(
            self, usage: Usage, outside: Outside, seed: Seed) -> None:
        helpdesk = seed.helpdesk_mailbox.primary_smtp_address
        outside.activity(helpdesk, date(2026, 1, 15))
        rows = {r.user_principal_name.lower(): r for r in await usage.mailbox_usage(90)}
        assert rows[helpdesk.lower()].last_activity == date(2026, 1, 15)
        assert rows[helpdesk.lower()].recipient_type == "Shared"
        assert not rows[helpdesk.lower()].is_deleted
        others = [m.primary_smtp_address.lower() for m in seed.shared_mailboxes if m.primary_smtp_address != helpdesk]
        assert others and all(rows[o].last_activity is None for o in others)  # never active
        person = seed.users[0].user_principal_name.lower()
        assert rows[person].recipient_type == "User"

    async def test_concealed_names_are_reported_and_replace_names_with_hashes(
            self, usage: Usage, outside: Outside, seed: Seed) -> None:
        assert await usage.names_concealed() is False
        outside.conceal(True)
        assert await usage.names_concealed() is True
        rows = await usage.mailbox_usage(30)
        names = {r.user_principal_name for r in rows}
        assert seed.helpdesk_mailbox.primary_smtp_address not in names
        assert all(len(n) == 32 and all(c in "0123456789ABCDEF" for c in n) for n in names)

    async def test_bad_period_is_refused(self, usage: Usage) -> None:
        with pytest.raises(InvalidRequest):
            await usage.mailbox_usage(60)

    async def test_message_trace_newest_first_within_window_and_recipients(
            self, usage: Usage, outside: Outside, seed: Seed) -> None:
        lists = [dl.primary_smtp_address for dl in seed.distribution_lists[:2]]
        now = _now()
        outside.messages(lists[0], [now - timedelta(days=3), now - timedelta(days=1)])
        outside.messages(lists[1], [now - timedelta(days=2), now - timedelta(days=12)])
        rows = await usage.message_trace(lists, now - timedelta(days=10), now)
        assert [(r.recipient_address, r.received) for r in rows] == [
            (lists[0], now - timedelta(days=1)), (lists[1], now - timedelta(days=2)),
            (lists[0], now - timedelta(days=3))]
        only_first = await usage.message_trace([lists[0].upper()], now - timedelta(days=10), now)
        assert len(only_first) == 2

    async def test_a_full_answer_is_continued_from_its_last_row(
            self, usage: Usage, outside: Outside, seed: Seed) -> None:
        lists = sorted(dl.primary_smtp_address.lower() for dl in seed.distribution_lists[:2])
        now = _now()
        same = now - timedelta(hours=5)
        outside.messages(lists[0], [same, now - timedelta(hours=1)])
        outside.messages(lists[1], [same, now - timedelta(hours=9)])
        start = now - timedelta(days=1)
        first = await usage.message_trace(lists, start, now, result_size=2)
        assert [r.recipient_address for r in first] == [lists[0], lists[0]]
        last = first[-1]
        rest = await usage.message_trace(lists, start, last.received, result_size=2,
                                         starting_recipient=last.recipient_address)
        assert [(r.recipient_address, r.received) for r in rest] == [(lists[1], same),
                                                                      (lists[1], now - timedelta(hours=9))]

    async def test_limits_more_than_ten_days_or_older_than_ninety_or_too_many_rows(
            self, usage: Usage, seed: Seed) -> None:
        address = [seed.distribution_lists[0].primary_smtp_address]
        now = _now()
        with pytest.raises(InvalidRequest):
            await usage.message_trace(address, now - timedelta(days=11), now)
        with pytest.raises(InvalidRequest):
            await usage.message_trace(address, now - timedelta(days=95), now - timedelta(days=88))
        with pytest.raises(InvalidRequest):
            await usage.message_trace(address, now - timedelta(days=1), now, result_size=5001)

    async def test_the_hundred_and_first_query_in_five_minutes_is_throttled(
            self, usage: Usage, seed: Seed) -> None:
        address = [seed.distribution_lists[0].primary_smtp_address]
        now = _now()
        for _ in range(100):
            await usage.message_trace(address, now - timedelta(days=1), now)
        with pytest.raises(Throttled):
            await usage.message_trace(address, now - timedelta(days=1), now)


@pytest.mark.devtenant_only("the report's HTTP forms and the control API are devtenant's")
class TestHttpUsage:
    async def test_report_is_a_redirect_to_a_csv_download_or_json_on_request(
            self, tenant: DevTenant, credentials: MsalCredentials) -> None:
        tenant.state.usage.set_mailbox_activity(tenant.seed.helpdesk_mailbox.primary_smtp_address, date(2026, 2, 1))
        headers = {"Authorization": f"Bearer {await credentials.token(DEFAULT_GRAPH_SCOPE)}"}
        url = f"{tenant.graph_base_url}/reports/getMailboxUsageDetail(period='D7')"
        context = ssl.create_default_context(cafile=str(tenant.ca_pem_path))
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context), trust_env=False) as session:
            async with session.get(url, headers=headers, allow_redirects=False) as response:
                assert response.status == 302
                location = response.headers["Location"]
            async with session.get(location) as download:  # preauthenticated: no Authorization header
                text = (await download.read()).decode("utf-8-sig")
            rows = parse_mailbox_usage_csv(text)
            address = tenant.seed.helpdesk_mailbox.primary_smtp_address
            helpdesk = next(r for r in rows if r.user_principal_name == address)
            assert helpdesk.last_activity == date(2026, 2, 1) and helpdesk.recipient_type == "Shared"
            async with session.get(url, params={"$format": "application/json"}, headers=headers) as response:
                body = await response.json()
            assert {"userPrincipalName", "lastActivityDate", "recipientType"} <= set(body["value"][0])

    async def test_control_api_records_traffic_and_settings(self, tenant: DevTenant) -> None:
        address = tenant.seed.distribution_lists[0].primary_smtp_address
        async with aiohttp.ClientSession(trust_env=False) as session:
            async with session.post(f"{tenant.control_url}/usage/messages",
                                    json={"recipient": address, "received": ["2026-01-02T10:00:00Z"]}) as response:
                assert response.status == 201
            async with session.put(f"{tenant.control_url}/usage/reportSettings",
                                   json={"displayConcealedNames": True}) as response:
                assert response.status == 204
        assert tenant.state.usage.display_concealed_names is True
        assert tenant.state.usage.messages[0].status == "Expanded"
