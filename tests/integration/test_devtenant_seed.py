"""The devtenant seed: deterministic, realistic, and with the well-known people tests rely on."""

from __future__ import annotations

import time

from devtenant import build_seed
from devtenant.seed import ascii_fold


def test_seed_is_deterministic() -> None:
    assert build_seed() == build_seed()
    assert build_seed(1) != build_seed(2)


def test_seed_shape() -> None:
    seed = build_seed()
    assert 190 <= len(seed.users) <= 210
    assert len({u.id for u in seed.users}) == len(seed.users)
    assert len({u.user_principal_name for u in seed.users}) == len(seed.users)
    assert all(u.user_principal_name.isascii() and u.mail == u.user_principal_name for u in seed.users)
    assert {u.country for u in seed.users} == {"PL", "DE", "GB", "US"}
    assert {u.preferred_language for u in seed.users} == {"pl-PL", "de-DE", "en-US"}
    without_location = [u for u in seed.users if u.usage_location is None]
    assert 5 <= len(without_location) <= 40
    assert all(u.usage_location in (None, u.country) for u in seed.users)
    assert 2 <= sum(not u.account_enabled for u in seed.users) <= 10
    ids = {u.id for u in seed.users}
    assert all(u.manager_id in ids for u in seed.users if u.manager_id)
    assert len(seed.distribution_lists) == 20
    assert 3 <= sum(dl.member_join_restriction == "Open" for dl in seed.distribution_lists) <= 7
    assert [dl.alias for dl in seed.distribution_lists if dl.is_dir_synced] == [seed.dir_synced_list.alias]
    for dl in seed.distribution_lists:
        assert 1 <= len(dl.managed_by) <= 2 and 3 <= len(dl.member_ids) <= 15
        assert dl.primary_smtp_address == f"{dl.alias}@contoso.com"


def test_skus_are_real_and_seats_are_tight() -> None:
    seed = build_seed()
    parts = {s.sku_part_number: s for s in seed.skus}
    assert set(parts) == {"O365_BUSINESS_ESSENTIALS", "O365_BUSINESS_PREMIUM", "SPB", "ENTERPRISEPACK",
                          "ENTERPRISEPREMIUM"}
    assert parts["ENTERPRISEPACK"].sku_id == "6fd2c87f-b296-42f0-b197-1e91e994b900"
    assert parts["ENTERPRISEPREMIUM"].sku_id == "c7df2760-2c81-4ef7-b578-5b5392b571df"
    assert parts["ENTERPRISEPREMIUM"].free_units == 0
    for part, sku in parts.items():
        if part != "ENTERPRISEPREMIUM":
            assert 2 <= sku.free_units <= 5, part
    assert all(u.usage_location for s in seed.skus for u in seed.users if u.id in s.direct_user_ids)


def test_well_known_people() -> None:
    seed = build_seed()
    anna = seed.demo_employee
    assert anna.usage_location and anna.account_enabled
    assert "ENTERPRISEPACK" not in {s.sku_part_number for s in seed.skus_of(anna.id)}
    assert anna.id not in seed.admins_group.member_ids
    assert all(anna.id not in dl.managed_by for dl in seed.distribution_lists)
    assert seed.demo_admin.id in seed.admins_group.member_ids
    assert 3 <= len(seed.admins_group.member_ids) <= 4
    assert seed.employee_without_usage_location.usage_location is None
    assert seed.employee_without_usage_location.country
    closed = seed.closed_list
    assert closed.member_join_restriction == "Closed" and seed.list_owner.id in closed.managed_by
    assert anna.id not in closed.member_ids
    assert seed.open_list.member_join_restriction == "Open" and anna.id not in seed.open_list.member_ids
    assert seed.group_licensed_user.id in seed.license_groups[0].member_ids
    assert not seed.disabled_user.account_enabled


def test_ascii_fold() -> None:
    assert ascii_fold("Łucja Wiśniewska") == "Lucja Wisniewska"
    assert ascii_fold("Jürgen Weiß") == "Jurgen Weiss"
    assert ascii_fold("Dąbrowski Żółć") == "Dabrowski Zolc"


def test_build_is_fast() -> None:
    build_seed()  # warm the SKU catalog read
    started = time.perf_counter()
    build_seed()
    assert time.perf_counter() - started < 0.05
