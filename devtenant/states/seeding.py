"""Filling the service states from a Seed, and synthetic lists for benches: the steps that span several services."""

from __future__ import annotations

import random
from datetime import timedelta

from devtenant.seed import Seed, SeedList, stable_id
from devtenant.states.directory import Directory
from devtenant.states.exchange import ExchangeState
from devtenant.states.licensing import Licensing
from devtenant.states.stamps import SEED_EPOCH, stable_number


def load_seed(seed: Seed, directory: Directory, licensing: Licensing, exchange: ExchangeState) -> None:
    """SKUs, people and their licenses, security and licensing groups, distribution lists, shared mailboxes."""
    for sku in seed.skus:
        licensing.add_sku(sku, directory.reference_time)
    for index, user in enumerate(seed.users):
        directory.users[user.id] = directory.user_record(index, user)
    for sku in seed.skus:
        for user_id in sku.direct_user_ids:
            licensing.add_license_state(user_id, sku.sku_id, None)
    for group in [seed.admins_group, *seed.license_groups]:
        directory.add_security_group(group)
        for sku_id in group.assigned_sku_ids:
            for user_id in group.member_ids:
                licensing.add_license_state(user_id, sku_id, group.id)
    for dl in seed.distribution_lists:
        add_distribution_list(dl, directory, exchange)
    _load_shared_mailboxes(seed, directory, exchange)


def add_distribution_list(dl: SeedList, directory: Directory, exchange: ExchangeState) -> None:
    """A distribution list as both services hold it: a Graph group with members, and its Exchange view."""
    created = SEED_EPOCH + timedelta(days=stable_number(dl.id) % 900)
    directory.add_list_group(dl, created)
    exchange.add_list(dl, created)


def _load_shared_mailboxes(seed: Seed, directory: Directory, exchange: ExchangeState) -> None:
    for mailbox in seed.shared_mailboxes:
        created = SEED_EPOCH + timedelta(days=stable_number(mailbox.id) % 900)
        directory.add_shared_mailbox(mailbox.name, mailbox.display_name, mailbox.alias, mailbox.primary_smtp_address,
                                     dir_synced=mailbox.is_dir_synced, created=created,
                                     changed=created + timedelta(days=30))
        exchange.mailbox_permissions[mailbox.id] = [
            {"User": user_id, "AccessRights": ["FullAccess"], "InheritanceType": "All", "AutoMapping": auto}
            for user_id, auto in mailbox.full_access]
        exchange.recipient_permissions[mailbox.id] = [{"Trustee": user_id, "AccessRights": ["SendAs"]}
                                                      for user_id in mailbox.send_as]
        directory.users[mailbox.id]["exoGrantSendOnBehalfTo"] = list(mailbox.send_on_behalf)


def add_generated_lists(directory: Directory, exchange: ExchangeState, count: int, *, members_per_list: int,
                        pool: list[str], prefix: str = "gen", seed: int = 0) -> list[str]:
    """`count` distribution lists (Graph group + Exchange view, like seeded ones), owners and members drawn
    from the user ids in `pool` (deterministically from `seed`); gone again on reset; returns ids."""
    if not 1 <= count <= 50_000:
        raise ValueError("count must be within 1..50000")
    if not pool:
        raise ValueError("no users to draw owners and members from")
    label = "".join(c for c in prefix.lower() if c.isalnum()) or "gen"
    rng = random.Random(f"{label}:{seed}:{len(directory.groups)}")
    start = sum(1 for g in directory.groups.values() if (g.get("mailNickname") or "").startswith(f"{label}-list-"))
    members_per_list = max(0, min(members_per_list, len(pool)))
    ids = []
    for n in range(start + 1, start + count + 1):
        alias = f"{label}-list-{n:05d}"
        address = f"{alias}@{directory.domain}"
        owners = rng.sample(pool, min(1 + n % 2, len(pool)))
        add_distribution_list(SeedList(
            id=stable_id("list", address), name=alias, display_name=f"{label.title()} List {n:05d}", alias=alias,
            primary_smtp_address=address, managed_by=owners, member_ids=rng.sample(pool, members_per_list),
            member_join_restriction="Open" if n % 3 == 0 else "Closed", member_depart_restriction="Open",
            is_dir_synced=False, notes=""), directory, exchange)
        ids.append(stable_id("list", address))
    return ids
