"""Orphaned lists and mailboxes (F20) on the memory tenant: which resources count as orphaned after a directory sync,
the ``orphaned`` report and its refusal, the clean-up request the desk files (no plan yet, routed to the former
owner's manager else the admins, once per orphaning), and a choice executed through the shared lifecycle."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from desk_fixture import ANNA, JONAS, LENA, Desk, open_desk, small_tenant
from test_request_lifecycle import action_data, run_jobs

from cards.i18n import Translator
from cards.verbs import Verb
from handlers.commands import parse
from handlers.context import Reply
from handlers.directory_sync import run_sync
from handlers.dispatch import dispatch_click, dispatch_command
from kinds.orphans.cleanup import DESK_ORPHANS_ID, KIND, file_new_orphans, run_orphan_pass
from kinds.orphans.commands import ShowOrphaned, parse_orphaned
from m365.memory import ListSeed, MailboxSeed, TenantSeed, UserSeed
from storage.models import Request
from storage.repositories.orphans import DELETED, DISABLED, GONE, OrphanRepository

pytest_plugins = ["desk_fixture"]
pytestmark = pytest.mark.asyncio

# Anna (managed by Lena) owns the first two lists; Olaf (no manager) the third; the fourth has nobody at all.
OLAF = UserSeed("olaf.berg@contoso.com", "Olaf Berg", department="Sales")
ANNAS = ListSeed("annas-list", "Anna's List", owners=(ANNA.user_id,))
SHARED = ListSeed("shared-owners", "Shared Owners", owners=(ANNA.user_id, LENA.user_id))
OLAFS = ListSeed("olafs-list", "Olaf's List", owners=(OLAF.user_id,))
NOBODYS = ListSeed("nobodys-list", "Nobody's List")
INBOX = MailboxSeed("team-inbox", "Team Inbox")


def orphan_tenant() -> TenantSeed:
    seed = small_tenant()
    return replace(seed, users=(*seed.users, OLAF), lists=(*seed.lists, ANNAS, SHARED, OLAFS, NOBODYS),
                   mailboxes=(INBOX,))


@pytest.fixture
async def odesk(migrated_sqlite: Path, tmp_path: Path) -> AsyncIterator[Desk]:
    async with open_desk(migrated_sqlite, tmp_path, orphan_tenant()) as built:
        yield built


async def click(desk: Desk, person: UserSeed, verb: Verb, data: dict[str, Any]) -> Reply:
    return await dispatch_click(desk.services, desk.actor(person), verb, data)


async def orphaned_names(desk: Desk) -> dict[str, list[tuple[str, str, str | None]]]:
    """Orphaned resource → (former owner, why, manager) as the repository reads them from the synced cache."""
    async with desk.services.uow() as uow:
        orphans = OrphanRepository(uow.session)
        items = [*(await orphans.orphaned_lists(limit=None)).items,
                 *(await orphans.orphaned_mailboxes(limit=None)).items]
    return {i.display_name: [(o.name, o.state, o.manager_name) for o in i.former_owners] for i in items}


async def mailbox_owned_by(desk: Desk, person: UserSeed) -> None:
    async with desk.services.uow() as uow:
        (box,) = await uow.directory_cache.mailboxes_named("Team Inbox")
        await uow.mailbox_owners.replace(box.identity, [(person.user_id, person.user_principal_name,
                                                         person.display_name)])
        await uow.commit()


async def test_orphaned_means_every_owner_disabled_deleted_or_gone_or_none_at_all(odesk: Desk) -> None:
    assert (await run_sync(odesk.services)).ok
    assert await orphaned_names(odesk) == {"Nobody's List": [], "Team Inbox": []}
    await mailbox_owned_by(odesk, OLAF)
    # One live owner each: only the list that never had one is orphaned.
    assert await orphaned_names(odesk) == {"Nobody's List": []}

    odesk.tenant.update_user(ANNA.user_id, account_enabled=False)
    odesk.tenant.delete_user(OLAF.user_id)
    assert (await run_sync(odesk.services)).ok
    found = await orphaned_names(odesk)
    # Shared Owners keeps one live owner (Lena): not orphaned. Olaf's deletion took him off his list in Entra, so
    # his list now has nobody; the mailbox's owner is the desk's own record and shows him as deleted.
    assert found == {
        "Anna's List": [("Anna Kowalska", DISABLED, "Lena Schmidt")],
        "Nobody's List": [],
        "Olaf's List": [("Olaf Berg", DELETED, None)],
        "Team Inbox": [("Olaf Berg", DELETED, None)],
    }


async def test_an_owner_the_directory_never_knew_counts_as_gone(odesk: Desk) -> None:
    assert (await run_sync(odesk.services)).ok
    async with odesk.services.uow() as uow:
        (the_list,) = await uow.directory_cache.lists_named("Nobody's List")
        await uow.directory_cache.upsert_list(replace(the_list, managed_by=("left.long.ago@contoso.com",)))
        await uow.commit()
    assert (await orphaned_names(odesk))["Nobody's List"] == [("left.long.ago@contoso.com", GONE, None)]


async def test_only_admins_see_the_report_and_it_pages_in_their_language(odesk: Desk) -> None:
    assert parse_orphaned("orphaned lists csv") == ShowOrphaned(what="lists", csv=True)
    assert parse_orphaned("osierocone skrzynki") == ShowOrphaned(what="mailboxes")
    assert parse_orphaned("verwaist") == ShowOrphaned()
    assert parse_orphaned("orphaned kittens") is None
    odesk.tenant.update_user(ANNA.user_id, account_enabled=False)
    assert (await run_sync(odesk.services)).ok
    services = odesk.services
    refused = await dispatch_command(services, odesk.actor(LENA), parse("orphaned", services.kinds))
    assert refused.card is None and refused.text == "Only admins can see orphaned lists and mailboxes."
    reply = await dispatch_command(services, odesk.actor(JONAS, locale="pl-PL"), parse("osierocone", services.kinds))
    assert reply.card is not None
    shown = str(reply.card)
    assert "Anna Kowalska (wyłączone konto; przełożony: Lena Schmidt)" in shown
    assert "Listy dystrybucyjne: 2 osierocone" in shown and "Team Inbox" in shown


async def test_the_desk_files_one_request_per_orphaning_routed_to_the_manager_else_the_admins(odesk: Desk) -> None:
    odesk.tenant.update_user(ANNA.user_id, account_enabled=False)
    assert (await run_sync(odesk.services)).ok
    assert await run_orphan_pass(odesk.services) == 3  # Anna's list, Nobody's list, the ownerless mailbox
    assert await run_orphan_pass(odesk.services) == 0  # the day's pass is claimed
    assert await file_new_orphans(odesk.services) == 0  # and each orphaning once, whichever replica runs it
    async with odesk.services.uow() as uow:
        filed = {r.target_label.split(" <")[0]: r for r in await uow.requests.list_for_requester(DESK_ORPHANS_ID)}
    annas = filed["Anna's List"]
    assert annas.kind == KIND and annas.plan == [] and annas.state == "pending"
    assert annas.approver_ids == [LENA.user_id] and annas.payload["route"] == "owners"
    assert filed["Nobody's List"].approver_ids == [JONAS.user_id]
    assert filed["Team Inbox"].payload["route"] == "admins"
    await run_jobs(odesk)
    lena_cards = [s.card for s in odesk.messenger.to(LENA.user_id) if s.card is not None]
    (card,) = lena_cards
    assert action_data(card, Verb.ORPHAN_TAKE_OVER)["request_id"] == annas.public_id
    with pytest.raises(AssertionError):  # keeping without owner is the admins' choice
        action_data(card, Verb.ORPHAN_KEEP)


async def test_taking_over_executes_through_the_lifecycle_once(odesk: Desk) -> None:
    odesk.tenant.update_user(ANNA.user_id, account_enabled=False)
    assert (await run_sync(odesk.services)).ok
    await file_new_orphans(odesk.services)
    await run_jobs(odesk)
    (card,) = [s.card for s in odesk.messenger.to(LENA.user_id) if s.card is not None]
    data = action_data(card, Verb.ORPHAN_TAKE_OVER)

    # A forged Approve (the card has none): the request has no plan until a choice is made, so nothing is approved.
    forged = await click(odesk, LENA, Verb.APPROVE, {"request_id": data["request_id"], "version": 1})
    assert forged.text == Translator("en")("error.bad_card")
    async with odesk.services.uow() as uow:
        waiting = await uow.requests.get_by_public_id(data["request_id"])
    assert waiting is not None and waiting.state == "pending"
    keep = await click(odesk, LENA, Verb.ORPHAN_KEEP, data)  # forged: Lena is no admin
    assert keep.text == "Only admins can keep it without an owner."
    outsider = await click(odesk, OLAF, Verb.ORPHAN_DELETE, data)
    assert outsider.card is None  # the answer that says nothing
    reply = await click(odesk, LENA, Verb.ORPHAN_TAKE_OVER, data)
    assert reply.card is not None and "took it over" in str(reply.card)
    again = await click(odesk, LENA, Verb.ORPHAN_DELETE, data)
    assert again.text == f"{data['request_id']} was already decided: Approved."
    await run_jobs(odesk)

    async with odesk.services.uow() as uow:
        request: Request | None = await uow.requests.get_by_public_id(data["request_id"])
    assert request is not None and request.state == "completed"
    assert [step["op"] for step in request.plan] == ["update_list"]
    owners = next(dl for dl in odesk.tenant.lists.values() if dl.display_name == "Anna's List").owners
    assert LENA.user_principal_name in [owner.lower() for owner in owners]
    assert "Anna's List" not in await orphaned_names(odesk)  # the sync after the plan re-read the list
