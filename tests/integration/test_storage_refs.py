"""Conversation references and card copies: the upserts the bot relies on for proactive updates."""

from __future__ import annotations

from conftest_storage import StorageDB, make_request

pytest_plugins = ["storage_fixtures"]


async def test_conversation_upsert_refreshes_and_keeps_known_locale(storage_db: StorageDB) -> None:
    ref = {
        "user_id": "a001",
        "teams_user_id": "29:1abc",
        "conversation_id": "a:1conv",
        "service_url": "https://smba.trafficmanager.net/emea/",
        "tenant_id": "t1",
        "bot_id": "28:bot",
        "bot_name": "M365 Desk",
    }
    async with storage_db.uow() as uow:
        first = await uow.conversations.upsert(**ref, locale="pl-PL")
        await uow.commit()
    async with storage_db.uow() as uow:
        second = await uow.conversations.upsert(**{**ref, "service_url": "https://smba.example/amer/"})
        await uow.commit()
    async with storage_db.uow() as uow:
        stored = await uow.conversations.get("a001")
        assert await uow.conversations.get("nobody") is None
    assert stored is not None
    assert (stored.service_url, stored.locale, stored.channel_id) == ("https://smba.example/amer/", "pl-PL", "msteams")
    assert second.updated_at >= first.updated_at


async def test_card_copies_upsert_on_recipient_and_role(storage_db: StorageDB) -> None:
    async with storage_db.uow() as uow:
        req = await uow.requests.add(make_request())
        await uow.cards.add(req.id, "b001", "approver", "a:conv-b", "https://smba/", "act-1")
        await uow.cards.add(req.id, "a001", "requester", "a:conv-a", "https://smba/", "act-2")
        await uow.commit()
    async with storage_db.uow() as uow:  # resent to the approver: the new activity replaces the old
        copy = await uow.cards.add(req.id, "b001", "approver", "a:conv-b", "https://smba/", "act-3")
        assert copy.activity_id == "act-3"
        await uow.commit()
    async with storage_db.uow() as uow:
        copies = await uow.cards.for_request(req.id)
    assert [(c.recipient_id, c.role, c.activity_id) for c in copies] == [
        ("b001", "approver", "act-3"),
        ("a001", "requester", "act-2"),
    ]
