"""The directory repositories: the cache (lists, members, mailboxes, delegates, users), the desk's mailbox owners,
the sync's cursors and run records, and the lease."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from conftest_storage import StorageDB

from m365.ports import Access, DistributionList, ListMember, MailboxDelegate, SharedMailbox, UserState

pytest_plugins = ["storage_fixtures"]

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def dl(n: int, **overrides: object) -> DistributionList:
    fields: dict[str, object] = {
        "identity": f"list-{n:04d}",
        "name": f"List{n}",
        "display_name": f"List {n:04d}",
        "primary_smtp_address": f"list{n}@contoso.com",
        "alias": f"list{n}",
        "managed_by": ("Lena.Schmidt@contoso.com",),
        "description": "",
        "changed_at": T0,
    }
    fields.update(overrides)
    return DistributionList(**fields)  # type: ignore[arg-type]


def member(name: str) -> ListMember:
    return ListMember(f"{name}@contoso.com", name.title(), f"oid-{name}")


def mailbox(n: int, **overrides: object) -> SharedMailbox:
    fields: dict[str, object] = {
        "identity": f"mb-{n:04d}",
        "name": f"Shared{n}",
        "display_name": f"Shared {n:04d}",
        "alias": f"shared{n}",
        "primary_smtp_address": f"shared{n}@contoso.com",
        "changed_at": T0,
    }
    fields.update(overrides)
    return SharedMailbox(**fields)  # type: ignore[arg-type]


async def test_list_round_trip_members_and_lookups(storage_db: StorageDB) -> None:
    original = dl(
        1,
        display_name="Marketing Team",
        description="Campaigns & launches",
        member_join_restriction="Open",
        accepts_external_senders=True,
        is_dir_synced=True,
        managed_by=("Lena.Schmidt@contoso.com", "jonas@contoso.com"),
    )
    async with storage_db.uow() as uow:
        await uow.directory_cache.upsert_list(original, [member("anna"), member("bob"), member("ANNA")])
        await uow.commit()
    async with storage_db.uow() as uow:
        assert await uow.directory_cache.get_list("list-0001") == original
        assert await uow.directory_cache.get_list("LIST1@Contoso.com") == original
        assert await uow.directory_cache.get_list("nobody@contoso.com") is None
        page = await uow.directory_cache.list_members("list-0001")
        # "ANNA@…" is the same address as "anna@…": one member, the first spelling kept.
        assert [m.primary_smtp_address for m in page.items] == ["anna@contoso.com", "bob@contoso.com"]
        assert page.items[0] == member("anna")
        assert (page.total, page.offset, page.has_more) == (2, 0, False)
        assert await uow.directory_cache.is_list_member("list-0001", "Bob@contoso.com")

    changed = dl(1, display_name="Marketing", description="new")
    async with storage_db.uow() as uow:
        await uow.directory_cache.upsert_list(changed, None)  # None keeps the members
        await uow.commit()
    async with storage_db.uow() as uow:
        assert await uow.directory_cache.get_list("list-0001") == changed
        assert (await uow.directory_cache.list_members("list-0001")).total == 2
        await uow.directory_cache.upsert_list(changed, [member("carl")])
        await uow.commit()
    async with storage_db.uow() as uow:
        assert [m.display_name for m in (await uow.directory_cache.list_members("list-0001")).items] == ["Carl"]
        assert await uow.directory_cache.delete_list("list-0001") is True
        assert await uow.directory_cache.delete_list("list-0001") is False
        await uow.commit()
    async with storage_db.uow() as uow:
        assert await uow.directory_cache.get_list("list-0001") is None
        assert (await uow.directory_cache.list_members("list-0001")).total == 0
        assert (await uow.directory_cache.lists_with_member("carl@contoso.com")).total == 0


async def test_search_owned_and_member_of_are_paged_by_display_name(storage_db: StorageDB) -> None:
    async with storage_db.uow() as uow:
        for n in range(25):
            owners = ("lena.schmidt@contoso.com",) if n % 2 == 0 else ("jonas_b@contoso.com",)
            await uow.directory_cache.upsert_list(dl(n, managed_by=owners), [member("anna")] if n < 12 else [])
        await uow.directory_cache.upsert_list(
            dl(100, display_name="book club", description="Reading 100% for fun", managed_by=("jonasxb@contoso.com",)),
            [],
        )
        await uow.commit()

    async with storage_db.uow() as uow:
        everything = await uow.directory_cache.search_lists("", limit=10)
        assert (everything.total, len(everything.items), everything.has_more) == (26, 10, True)
        # Ordered by display name, case-insensitively: "book club" before "List 0000".
        assert everything.items[0].display_name == "book club"
        second = await uow.directory_cache.search_lists("", offset=10, limit=10)
        assert second.offset == 10 and second.items[0].display_name == "List 0009"
        last = await uow.directory_cache.search_lists("", offset=20, limit=10)
        assert (len(last.items), last.has_more) == (6, False)

        assert [x.identity for x in (await uow.directory_cache.search_lists("BOOK")).items] == ["list-0100"]
        assert (await uow.directory_cache.search_lists("100%")).total == 1  # description; "%" is literal
        assert (await uow.directory_cache.search_lists("list1")).total == 12  # list1, list10..19, list100
        assert (await uow.directory_cache.search_lists("nothing-like-this")).total == 0

        owned = await uow.directory_cache.lists_owned_by("Lena.Schmidt@CONTOSO.com", limit=5)
        assert owned.total == 13 and len(owned.items) == 5
        # "_" in an address is a literal, not a LIKE wildcard: jonasxb owns one list, jonas_b twelve.
        assert (await uow.directory_cache.lists_owned_by("jonas_b@contoso.com", limit=50)).total == 12
        assert (await uow.directory_cache.lists_owned_by("jonasxb@contoso.com")).total == 1
        assert (await uow.directory_cache.lists_owned_by("schmidt@contoso.com")).total == 0  # whole elements only

        memberships = await uow.directory_cache.lists_with_member("ANNA@contoso.com", offset=10, limit=10)
        assert memberships.total == 12
        assert [x.identity for x in memberships.items] == ["list-0010", "list-0011"]
        assert await uow.directory_cache.list_identities() == {f"list-{n:04d}" for n in [*range(25), 100]}


async def test_members_page_and_large_replace(storage_db: StorageDB) -> None:
    people = [member(f"user{n:04d}") for n in range(1200)]  # more than one insert chunk
    async with storage_db.uow() as uow:
        await uow.directory_cache.upsert_list(dl(1), people)
        await uow.commit()
    async with storage_db.uow() as uow:
        page = await uow.directory_cache.list_members("list-0001", offset=1190, limit=50)
        assert page.total == 1200 and len(page.items) == 10
        assert page.items[-1].primary_smtp_address == "user1199@contoso.com"
        assert len((await uow.directory_cache.list_members("list-0001")).items) == 1200


async def test_mailboxes_delegates_and_desk_owners(storage_db: StorageDB) -> None:
    delegates = [
        MailboxDelegate(Access.FULL_ACCESS, "anna@contoso.com", "Anna", "oid-anna", auto_mapping=False),
        MailboxDelegate(Access.SEND_AS, "anna@contoso.com", "Anna", "oid-anna"),
        MailboxDelegate(Access.SEND_ON_BEHALF, "bob@contoso.com", "Bob", "oid-bob"),
    ]
    async with storage_db.uow() as uow:
        await uow.directory_cache.upsert_mailbox(mailbox(1, display_name="Sales Inbox"), delegates)
        await uow.directory_cache.upsert_mailbox(mailbox(2, display_name="Helpdesk"), [])
        await uow.directory_cache.upsert_mailbox(mailbox(3, display_name="Archive"), [])
        await uow.mailbox_owners.replace("mb-0002", [("oid-carl", "Carl@contoso.com", "Carl")])
        await uow.commit()

    async with storage_db.uow() as uow:
        assert await uow.directory_cache.get_mailbox("SHARED1@contoso.com") == mailbox(1, display_name="Sales Inbox")
        assert await uow.directory_cache.mailbox_delegates("mb-0001") == [
            delegates[0],
            delegates[1],
            delegates[2],
        ]  # by access: full_access, send_as, send_on_behalf
        assert [m.identity for m in (await uow.directory_cache.search_mailboxes("")).items] == [
            "mb-0003",
            "mb-0002",
            "mb-0001",
        ]
        assert [m.identity for m in (await uow.directory_cache.search_mailboxes("sales")).items] == ["mb-0001"]
        mailboxes_for = uow.directory_cache.mailboxes_for
        assert [m.identity for m in (await mailboxes_for("anna@contoso.com", "x")).items] == ["mb-0001"]
        # Owners are found by object id or by address.
        assert [m.identity for m in (await mailboxes_for("other@x.com", "oid-carl")).items] == ["mb-0002"]
        assert [m.identity for m in (await mailboxes_for("carl@contoso.com", "?")).items] == ["mb-0002"]
        assert await uow.mailbox_owners.of("mb-0002") == [("oid-carl", "Carl@contoso.com", "Carl")]

        # A sync re-reading the mailbox replaces delegates but leaves the desk's owners alone.
        await uow.directory_cache.upsert_mailbox(mailbox(2, display_name="Helpdesk"), [delegates[2]])
        await uow.commit()
    async with storage_db.uow() as uow:
        assert await uow.mailbox_owners.of("mb-0002") == [("oid-carl", "Carl@contoso.com", "Carl")]
        assert (await uow.directory_cache.mailboxes_for("bob@contoso.com", "oid-bob")).total == 2
        await uow.mailbox_owners.replace("mb-0002", [("oid-dana", "dana@contoso.com", "Dana")])
        assert await uow.directory_cache.delete_mailbox("mb-0001") is True
        await uow.commit()
    async with storage_db.uow() as uow:
        assert await uow.mailbox_owners.of("mb-0002") == [("oid-dana", "dana@contoso.com", "Dana")]
        assert await uow.directory_cache.mailbox_delegates("mb-0001") == []
        assert await uow.directory_cache.mailbox_identities() == {"mb-0002", "mb-0003"}
        assert await uow.directory_cache.delete_mailbox("mb-0002") is True
        await uow.commit()
    async with storage_db.uow() as uow:
        assert await uow.mailbox_owners.of("mb-0002") == []  # gone with the mailbox


async def test_users_upsert_remove_and_revive(storage_db: StorageDB) -> None:
    users = [UserState(f"u{n}", f"User {n}", f"u{n}@contoso.com", f"U{n}@contoso.com", True) for n in range(700)]
    async with storage_db.uow() as uow:
        await uow.user_cache.upsert_users(users)
        await uow.commit()
    changed = UserState("u1", "User One", "u1@contoso.com", None, False, department="Sales", manager_id="u0")
    async with storage_db.uow() as uow:
        await uow.user_cache.upsert_users([changed])
        assert await uow.user_cache.remove_users(["u2", "u3", "never-seen"]) == 2
        await uow.commit()
    async with storage_db.uow() as uow:
        assert await uow.user_cache.get_user("u1") == changed
        assert await uow.user_cache.get_user("u0") == users[0]
        assert await uow.user_cache.get_user("u2") is None
        assert await uow.user_cache.get_user("u2", include_deleted=True) == users[2]
        assert await uow.user_cache.is_user_deleted("u2") and not await uow.user_cache.is_user_deleted("u0")
        assert await uow.user_cache.count_users() == 698
        await uow.user_cache.upsert_users([users[2]])  # seen again: alive again
        await uow.commit()
    async with storage_db.uow() as uow:
        assert await uow.user_cache.get_user("u2") == users[2]


async def test_a_partial_delta_update_keeps_what_it_did_not_report(storage_db: StorageDB) -> None:
    """Graph reports an updated user "with at least the updated properties": the rest must not turn blank."""
    full = UserState("u1", "Ann Lee", "ann@contoso.com", "ann@contoso.com", True, department="Sales", manager_id="m1")
    async with storage_db.uow() as uow:
        await uow.user_cache.upsert_users([full])
        await uow.commit()
    disabled_only = UserState("u1", "", "", None, False, present=frozenset({"account_enabled"}))
    async with storage_db.uow() as uow:
        await uow.user_cache.upsert_users([disabled_only])
        await uow.commit()
    async with storage_db.uow() as uow:
        assert await uow.user_cache.get_user("u1") == UserState(
            "u1", "Ann Lee", "ann@contoso.com", "ann@contoso.com", False, department="Sales", manager_id="m1"
        )


async def test_cursors_and_run_records(storage_db: StorageDB) -> None:
    async with storage_db.uow() as uow:
        assert await uow.sync_state.cursor("users") is None
        await uow.sync_state.set_cursor("users", "https://graph/delta?$skiptoken=1")
        await uow.sync_state.record_run("directory", started_at=T0, full=True)
        await uow.commit()
    async with storage_db.uow() as uow:
        await uow.sync_state.set_cursor("users", "https://graph/delta?$deltatoken=2")
        await uow.sync_state.record_run("directory", started_at=T0 + timedelta(hours=1), error="boom")
        await uow.commit()
    async with storage_db.uow() as uow:
        assert await uow.sync_state.cursor("users") == "https://graph/delta?$deltatoken=2"
        state = await uow.sync_state.state("directory")
        assert state is not None
        assert (state.last_full_run, state.last_run, state.last_error) == (T0, T0, "boom")
        await uow.sync_state.record_run("directory", started_at=T0 + timedelta(hours=2))
        await uow.commit()
    async with storage_db.uow() as uow:
        state = await uow.sync_state.state("directory")
        assert state is not None
        assert (state.last_full_run, state.last_run, state.last_error) == (T0, T0 + timedelta(hours=2), None)


async def test_lease_one_winner_and_expiry_takeover(storage_db: StorageDB) -> None:
    async def claim(owner: str, now: datetime) -> bool:
        async with storage_db.uow() as uow:
            won = await uow.leases.try_claim("directory", owner, now + timedelta(minutes=5), now)
            await uow.commit()
            return won

    # Eight replicas racing for a lease row that does not exist yet: the unique key lets exactly one in.
    results = await asyncio.gather(*(claim(f"r{n}", T0) for n in range(8)))
    assert results.count(True) == 1
    winner = f"r{results.index(True)}"
    loser = "r7" if winner != "r7" else "r6"

    assert await claim(loser, T0 + timedelta(minutes=1)) is False  # held
    assert await claim(winner, T0 + timedelta(minutes=1)) is True  # the holder may renew
    async with storage_db.uow() as uow:
        assert await uow.leases.extend("directory", winner, T0 + timedelta(minutes=10))
        assert not await uow.leases.extend("directory", loser, T0 + timedelta(minutes=10))
        await uow.commit()
    assert await claim(loser, T0 + timedelta(minutes=9)) is False
    # Expired: several take-over attempts at once, one wins.
    later = T0 + timedelta(minutes=11)
    takeover = await asyncio.gather(*(claim(f"s{n}", later) for n in range(6)))
    assert takeover.count(True) == 1
    new_owner = f"s{takeover.index(True)}"

    async with storage_db.uow() as uow:
        await uow.leases.release("directory", winner)  # not the holder any more: no effect
        await uow.commit()
    assert await claim("t", later) is False
    async with storage_db.uow() as uow:
        await uow.leases.release("directory", new_owner)
        await uow.commit()
    assert await claim("t", later) is True
