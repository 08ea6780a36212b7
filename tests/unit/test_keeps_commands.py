"""The admins' keeps (F20) on the memory tenant: ``keeps`` lists a "Still needed?" keep with its end and an orphan
clean-up's keep without owner, ``cancel keep <name>`` ends one (audited) so the next pass asks again, in English,
Polish and German; everyone else gets the not-allowed answer and nothing changes. Also: the choice kinds declare
Kind.decided_by_choice, and the parser reads the three languages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from desk_fixture import ANNA, JONAS, LENA, Desk, open_desk
from test_orphans_kinds import orphan_tenant
from test_request_lifecycle import action_data, run_jobs
from test_still_needed_kinds import POLICY, quiet_tenant, sdesk  # noqa: F401 - sdesk is a fixture used here

from cards.i18n import Translator
from cards.verbs import Verb
from handlers.commands import parse
from handlers.context import Reply
from handlers.directory_sync import run_sync
from handlers.dispatch import dispatch_click, dispatch_command
from kinds.orphans.cleanup import DESK_ORPHANS_ID, file_new_orphans
from kinds.still_needed.ask import DESK_UNUSED_ID, file_still_needed
from kinds.still_needed.commands import CancelKeep, ShowKeeps, parse_keeps
from kinds.still_needed.keeps import KEEP_CANCELLED
from m365.memory import UserSeed
from storage.repositories.unused_keeps import UnusedKeepRepository

pytest_plugins = ["desk_fixture"]
pytestmark = pytest.mark.asyncio

EN = Translator("en")


async def test_the_commands_parse_in_three_languages() -> None:
    for typed in ("keeps", "show keeps", "Zachowane", "pokaż zachowane", "behaltene", "zeige behaltene"):
        assert parse_keeps(typed) == ShowKeeps(), typed
    assert parse_keeps("cancel keep Silent List") == CancelKeep("Silent List")
    assert parse_keeps("anuluj zachowanie  silent@contoso.com ") == CancelKeep("silent@contoso.com")
    assert parse_keeps("Behalten aufheben Silent List") == CancelKeep("Silent List")
    assert parse_keeps("cancel keep") == CancelKeep("")
    for other in ("keep", "keeps please", "cancel REQ-2025-000001", "cancel keeps"):
        assert parse_keeps(other) is None, other


async def test_the_choice_kinds_are_decided_by_choice_and_draw_their_own_card(desk: Desk) -> None:
    chosen = [kind for kind in desk.services.kinds.kinds if kind.decided_by_choice]
    assert sorted(kind.id for kind in chosen) == ["orphan.cleanup", "still.needed"]
    assert all(kind.approver_card is not None for kind in chosen)


async def say(desk: Desk, person: UserSeed, text: str, locale: str = "en-US") -> Reply:
    parsed = parse(text, desk.services.kinds)
    assert parsed is not None, text
    return await dispatch_command(desk.services, desk.actor(person, locale=locale), parsed)


async def kept_silent_list(desk: Desk) -> str:
    """Anna keeps her quiet Silent List on its "Still needed?" card; the keep is stored. Returns the request id."""
    await file_still_needed(desk.services, POLICY)
    await run_jobs(desk)
    (card,) = [s.card for s in desk.messenger.to(ANNA.user_id) if s.card is not None]
    data = action_data(card, Verb.STILL_NEEDED_KEEP)
    await dispatch_click(desk.services, desk.actor(ANNA), Verb.STILL_NEEDED_KEEP, data)
    await run_jobs(desk)
    return str(data["request_id"])


async def asked_about(desk: Desk, requester: str, name: str) -> int:
    async with desk.services.uow() as uow:
        mine = await uow.requests.list_for_requester(requester)
    return len([r for r in mine if r.target_label.startswith(name + " <")])


async def test_an_admin_lists_a_keep_and_cancelling_it_asks_the_owner_again(sdesk: Desk) -> None:  # noqa: F811
    public_id = await kept_silent_list(sdesk)
    shown = str((await say(sdesk, JONAS, "keeps")).card)
    assert "Silent List" in shown and public_id in shown and "Anna Kowalska" in shown
    assert "until " in shown and "cancel keep Sales Team" in shown

    reply = await say(sdesk, JONAS, "cancel keep SILENT list")
    assert reply.text == EN("still_needed.keeps.cancelled.unused", name="Silent List")
    async with sdesk.services.uow() as uow:
        standing = await UnusedKeepRepository(uow.session).standing(sdesk.clock.now)
        request = await uow.requests.get_by_public_id(public_id)
        assert request is not None
        events = [(e.action, e.actor_id, e.detail) for e in await uow.audit.for_request(request.id)]
    assert standing == []
    (cancelled,) = [e for e in events if e[0] == KEEP_CANCELLED]
    assert cancelled[1] == JONAS.user_id and cancelled[2]["keeps"][0]["request"] == public_id
    assert str((await say(sdesk, JONAS, "keeps")).card).count("Silent List") == 0

    # Still quiet: the next pass asks Anna again, once.
    assert await asked_about(sdesk, DESK_UNUSED_ID, "Silent List") == 1
    await file_still_needed(sdesk.services, POLICY)
    await file_still_needed(sdesk.services, POLICY)
    assert await asked_about(sdesk, DESK_UNUSED_ID, "Silent List") == 2

    again = await say(sdesk, JONAS, "cancel keep Silent List")
    assert again.text == EN("still_needed.keeps.not_found", name="Silent List")


async def test_anyone_but_an_admin_gets_the_not_allowed_answer_and_nothing_changes(sdesk: Desk) -> None:  # noqa: F811
    public_id = await kept_silent_list(sdesk)
    for person, text in ((ANNA, "keeps"), (ANNA, "cancel keep Silent List"), (LENA, "cancel keep Silent List")):
        reply = await say(sdesk, person, text)
        assert reply.card is None and reply.text == EN("still_needed.keeps.not_admin"), (person, text)
    async with sdesk.services.uow() as uow:
        assert len(await UnusedKeepRepository(uow.session).standing(sdesk.clock.now)) == 1
        request = await uow.requests.get_by_public_id(public_id)
        assert request is not None
        assert KEEP_CANCELLED not in [e.action for e in await uow.audit.for_request(request.id)]
    usage = await say(sdesk, JONAS, "Behalten aufheben", locale="de-DE")
    assert usage.text == Translator("de")("still_needed.keeps.usage", example="Behalten aufheben Sales Team")


@pytest.fixture
async def odesk(migrated_sqlite: Path, tmp_path: Path) -> AsyncIterator[Desk]:
    async with open_desk(migrated_sqlite, tmp_path, orphan_tenant()) as built:
        yield built


async def test_a_keep_without_owner_is_listed_in_polish_and_cancelling_it_files_the_clean_up_again(
    odesk: Desk,
) -> None:
    assert (await run_sync(odesk.services)).ok
    await file_new_orphans(odesk.services)
    await run_jobs(odesk)
    cards: list[dict[str, Any]] = [dict(s.card) for s in odesk.messenger.to(JONAS.user_id) if s.card is not None]
    nobodys = next(card for card in cards if "Nobody" in str(card))
    await dispatch_click(odesk.services, odesk.actor(JONAS), Verb.ORPHAN_KEEP, action_data(nobodys, Verb.ORPHAN_KEEP))
    await run_jobs(odesk)
    assert await asked_about(odesk, DESK_ORPHANS_ID, "Nobody's List") == 1
    assert await file_new_orphans(odesk.services) == 0  # kept: not asked again

    pl = Translator("pl")
    shown = str((await say(odesk, JONAS, "zachowane", locale="pl-PL")).card)
    assert pl("still_needed.keeps.title") in shown and "Nobody" in shown
    assert pl("still_needed.keeps.without_owner") in shown and "Jonas Becker" in shown
    reply = await say(odesk, JONAS, "anuluj zachowanie nobodys-list@contoso.com", locale="pl-PL")
    assert reply.text == pl("still_needed.keeps.cancelled.orphan", name="Nobody's List")
    assert await file_new_orphans(odesk.services) == 1  # still orphaned: the clean-up is filed again
    assert await asked_about(odesk, DESK_ORPHANS_ID, "Nobody's List") == 2
    assert pl("still_needed.keeps.none") in str((await say(odesk, JONAS, "zachowane", locale="pl-PL")).card)
