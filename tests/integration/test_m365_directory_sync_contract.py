"""Contract tests for the DirectorySync port (users by Graph delta, accepted domains), against both implementations
(m365_fixtures): devtenant over HTTPS with the real msgraph-sdk client, whose outside changes go through the
emulator's control endpoints, and the in-memory tenant, whose outside changes go to its state.

``DirectorySyncContract`` speaks only the port, the seed and an ``outside`` helper (Outside or MemoryOutside).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from devtenant import DevTenant
from m365.errors import DeltaTokenExpired
from m365.graph import GraphApi
from m365.graph_directory import GraphDirectory
from m365.memory import TenantState, tenant_state
from m365.ports import DirectorySync, UserDeltaPage, UserState

# Fixtures: tenant_impl, seed, directory_sync, tenant_user_ids; tenant, credentials, graph.
pytest_plugins = ["m365_fixtures"]
pytestmark = pytest.mark.asyncio(loop_scope="module")


class Outside:
    """Changes to the tenant made outside the desk (admin center, PowerShell), through devtenant's control API."""

    def __init__(self, tenant: DevTenant, session: aiohttp.ClientSession) -> None:
        self.tenant = tenant
        self.session = session

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        async with self.session.request(method, f"{self.tenant.control_url}{path}", json=body) as response:
            assert response.status < 300, (path, response.status, await response.text())
            return await response.json() if response.status != 204 else None

    async def patch_user(self, user_id: str, **changes: Any) -> None:
        await self.call("PATCH", f"/users/{user_id}", changes)

    async def delete_user(self, user_id: str) -> None:
        await self.call("DELETE", f"/users/{user_id}")

    async def add_users(self, count: int) -> list[str]:
        return list((await self.call("POST", "/users", {"count": count, "prefix": "outside"}))["value"])

    async def expire_delta(self, status: int = 400) -> None:
        await self.call("POST", "/delta/expire", {"status": status})

    async def add_domain(self, name: str, *, verified: bool = True, services: list[str] | None = None) -> None:
        await self.call("POST", "/domains", {"id": name, "isVerified": verified,
                                             "supportedServices": services if services is not None else ["Email"]})


class MemoryOutside:
    """The same outside changes, made to an in-memory tenant's state."""

    def __init__(self, state: TenantState) -> None:
        self.state = state

    async def patch_user(self, user_id: str, **changes: Any) -> None:
        fields = {"department": "department", "accountEnabled": "account_enabled", "manager": "manager_id"}
        self.state.update_user(user_id, **{fields[name]: value for name, value in changes.items()})

    async def delete_user(self, user_id: str) -> None:
        self.state.delete_user(user_id)

    async def add_users(self, count: int) -> list[str]:
        return self.state.add_users(count, prefix="outside")

    async def expire_delta(self, status: int = 400) -> None:
        self.state.expire_delta_links(status)

    async def add_domain(self, name: str, *, verified: bool = True, services: list[str] | None = None) -> None:
        self.state.add_domain(name, verified=verified, services=services if services is not None else ["Email"])


@pytest_asyncio.fixture(loop_scope="module")
async def outside(tenant_impl: str, request: pytest.FixtureRequest) -> AsyncIterator[Outside | MemoryOutside]:
    if tenant_impl == "memory":
        yield MemoryOutside(tenant_state(request.getfixturevalue("memory")))
        return
    async with aiohttp.ClientSession(trust_env=False) as session:
        yield Outside(request.getfixturevalue("tenant"), session)


async def full_round(sync: DirectorySync, link: str | None = None) -> tuple[list[UserDeltaPage], str]:
    """Pages of one round, from the start (or `link`) to the delta link, which is returned for the next round."""
    pages = [await sync.users_delta(link)]
    while pages[-1].next_link:
        assert pages[-1].delta_link is None
        pages.append(await sync.users_delta(pages[-1].next_link))
    assert pages[-1].delta_link
    return pages, pages[-1].delta_link


def users_of(pages: list[UserDeltaPage]) -> dict[str, UserState]:
    return {u.id: u for page in pages for u in page.users}


class DirectorySyncContract:
    async def test_first_round_returns_every_user_with_sync_fields(
        self, directory_sync: DirectorySync, seed: Any, tenant_user_ids: set[str]
    ) -> None:
        pages, _ = await full_round(directory_sync)
        users = users_of(pages)
        assert set(users) == tenant_user_ids and sum(len(p.users) for p in pages) == len(tenant_user_ids)
        assert all(not p.removed_ids for p in pages)
        anna = users[seed.demo_employee.id]
        assert (anna.display_name, anna.user_principal_name, anna.mail, anna.department, anna.account_enabled) == (
            seed.demo_employee.display_name, seed.demo_employee.user_principal_name, seed.demo_employee.mail,
            seed.demo_employee.department, True)
        assert users[seed.disabled_user.id].account_enabled is False
        for person in seed.users:
            assert users[person.id].manager_id == person.manager_id

    async def test_next_round_has_only_changes_and_removals(
        self, directory_sync: DirectorySync, seed: Any, outside: Outside
    ) -> None:
        _, delta_link = await full_round(directory_sync)
        nothing, delta_link = await full_round(directory_sync, delta_link)
        assert [(p.users, p.removed_ids) for p in nothing] == [((), ())]
        managers = {u.manager_id for u in seed.users if u.manager_id}
        plain = [u for u in seed.users if u.account_enabled and u.id not in managers
                 and u.id not in (seed.demo_employee.id, seed.demo_admin.id)]
        mover, leaver, gone = plain[0], plain[1], plain[2]
        await outside.patch_user(mover.id, department="Legal", manager=seed.demo_admin.id)
        await outside.patch_user(leaver.id, accountEnabled=False)
        await outside.delete_user(gone.id)
        [joiner] = await outside.add_users(1)

        pages, _ = await full_round(directory_sync, delta_link)
        users = users_of(pages)
        assert set(users) == {mover.id, leaver.id, joiner}
        assert (users[mover.id].department, users[mover.id].manager_id) == ("Legal", seed.demo_admin.id)
        assert users[leaver.id].account_enabled is False
        assert users[joiner].account_enabled is True and users[joiner].manager_id is None
        assert [r for p in pages for r in p.removed_ids] == [gone.id]

    async def test_manager_removed_reads_as_none(self, directory_sync: DirectorySync, seed: Any,
                                                 outside: Outside) -> None:
        managed = next(u for u in seed.users if u.manager_id)
        _, delta_link = await full_round(directory_sync)
        await outside.patch_user(managed.id, manager=None)
        pages, _ = await full_round(directory_sync, delta_link)
        assert [(u.id, u.manager_id) for u in users_of(pages).values()] == [(managed.id, None)]

    @pytest.mark.parametrize("status", [400, 410])
    async def test_expired_link_raises_delta_token_expired(
        self, directory_sync: DirectorySync, outside: Outside, tenant_user_ids: set[str], status: int
    ) -> None:
        first = await directory_sync.users_delta()
        _, delta_link = await full_round(directory_sync)
        await outside.expire_delta(status)
        for link in (delta_link, first.next_link):
            if link is None:
                continue  # the whole tenant fit in one page
            with pytest.raises(DeltaTokenExpired):
                await directory_sync.users_delta(link)
        pages, _ = await full_round(directory_sync)  # the way out: a full round from no link
        assert set(users_of(pages)) == tenant_user_ids

    async def test_accepted_domains(self, directory_sync: DirectorySync, seed: Any, outside: Outside) -> None:
        initial = f"{seed.organization_name.lower()}.onmicrosoft.com"
        assert await directory_sync.accepted_domains() == [seed.domain.lower(), initial]
        await outside.add_domain("Fabrikam.EU")
        await outside.add_domain("pending.example", verified=False)
        await outside.add_domain("teams-only.example", services=["OfficeCommunicationsOnline"])
        assert await directory_sync.accepted_domains() == [seed.domain.lower(), initial, "fabrikam.eu"]


class TestDirectorySync(DirectorySyncContract):
    pass


@pytest.mark.devtenant_only("checks the requests, $select and skip tokens that reach the emulator")
class TestHttpDirectorySync:
    async def test_first_call_selects_sync_fields_and_asks_for_page_size(self, graph: GraphApi,
                                                                        tenant: DevTenant) -> None:
        sync = GraphDirectory(graph, page_size=40)
        tenant.state.reset_call_log()
        pages, _ = await full_round(sync)
        calls = [c for c in tenant.state.calls("graph") if "delta" in c.path]
        assert len(calls) == len(pages) == -(-len(tenant.state.users) // 40)
        assert "select=id,displayName,userPrincipalName,mail,accountEnabled,department,manager" in \
            calls[0].query.replace("%2C", ",").replace("%24", "$")
        assert all("skiptoken" in c.query for c in calls[1:])  # later pages follow the links as they are
        assert all(len(p.users) == 40 for p in pages[:-1])

    async def test_expired_next_link_mid_round(self, graph: GraphApi, tenant: DevTenant) -> None:
        sync = GraphDirectory(graph, page_size=40)
        first = await sync.users_delta()
        assert first.next_link and not first.delta_link
        tenant.state.expire_delta_tokens()
        with pytest.raises(DeltaTokenExpired) as caught:
            await sync.users_delta(first.next_link)
        assert caught.value.code == "syncStateNotFound"
