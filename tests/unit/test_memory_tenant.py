"""What the in-memory tenant adds to the contract suites: its seed values, its clock, and outside changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from m365.memory import GroupSeed, ListSeed, SkuSeed, TenantSeed, UserSeed, memory_tenant, tenant_state
from m365.ports import ListChanges

E3 = "6fd2c87f-b296-42f0-b197-1e91e994b900"
OWNER = UserSeed("owner@contoso.com", "Owner", usage_location="PL")
NEWCOMER = UserSeed("newcomer@contoso.com", "Newcomer", usage_location="PL")
HOLDER = UserSeed("holder@contoso.com", "Holder", usage_location="PL", licenses=("ENTERPRISEPACK",))
GROUP = GroupSeed("7d2f0c1e-0000-4000-8000-000000000001", "LIC_E3", licenses=("ENTERPRISEPACK",))


def _seed() -> TenantSeed:
    return TenantSeed(users=(OWNER, NEWCOMER, HOLDER), groups=(GROUP,), skus=(SkuSeed(E3, "ENTERPRISEPACK", 1),),
                      lists=(ListSeed("team", "Team", owners=(OWNER.user_id,), changed_at=datetime(2024, 1, 1,
                                                                                                    tzinfo=UTC)),))


async def test_changes_are_stamped_by_the_tenants_clock_in_whole_seconds() -> None:
    now = datetime(2025, 5, 6, 7, 8, 9, 999_000, tzinfo=UTC)
    tenant = memory_tenant(_seed(), clock=lambda: now)
    await tenant.distribution_lists.update_list("team", ListChanges(display_name="Team, renamed"))
    [changed] = await tenant.distribution_lists.all_lists(now - timedelta(seconds=1))
    assert changed.changed_at == now.replace(microsecond=0)


async def test_a_group_license_without_a_free_seat_is_not_held() -> None:
    tenant = memory_tenant(_seed())
    tenant_state(tenant).add_group_member(GROUP.id, NEWCOMER.user_id)
    assert await tenant.licenses.user_licenses(NEWCOMER.user_id) == []  # CountViolation: assigned, not applied
    assert await tenant.licenses.holders(E3) == {HOLDER.user_id}
    assert [s.consumed_units for s in await tenant.licenses.list_skus()] == [1]


async def test_deleting_a_user_ends_their_ownerships_and_memberships() -> None:
    tenant = memory_tenant(_seed())
    tenant_state(tenant).delete_user(OWNER.user_principal_name)
    team = await tenant.distribution_lists.get_list("team")
    assert team is not None and team.managed_by == ()
    assert await tenant.directory.get_user(OWNER.user_id) is None


def test_a_seed_naming_an_unknown_sku_is_refused() -> None:
    with pytest.raises(KeyError):
        memory_tenant(TenantSeed(users=(UserSeed("x@contoso.com", "X", licenses=("NOPE",)),)))
