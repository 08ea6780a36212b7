"""Signing keys from OpenID metadata (bot/auth.py SigningKeys), against devtenant's Bot Framework token service."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import jwt
import pytest

from bot.auth import KeysUnavailable, SigningKeys
from devtenant import DevTenant, run_devtenant
from devtenant.botframework import METADATA_PATH, ROTATE_PATH


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def tenant() -> AsyncIterator[DevTenant]:
    async with run_devtenant() as running:
        yield running


@pytest.fixture
async def session(tenant: DevTenant) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tenant.ssl_context())) as client:
        yield client


def metadata_url(tenant: DevTenant) -> str:
    return f"{tenant.authority_host}{METADATA_PATH}"


async def published_kids(session: aiohttp.ClientSession, tenant: DevTenant) -> list[str]:
    async with session.get(f"{tenant.authority_host}/_botframework/keys") as response:
        return [key["kid"] for key in (await response.json())["keys"]]


def fetched(tenant: DevTenant) -> int:
    return len([c for c in tenant.state.calls("botframework") if c.path.endswith("/keys")])


async def test_keys_are_fetched_once_and_carry_their_endorsements(
    tenant: DevTenant, session: aiohttp.ClientSession
) -> None:
    keys = SigningKeys(session)
    teams_kid, webchat_kid = await published_kids(session, tenant)
    base = fetched(tenant)

    found = [await keys.find(metadata_url(tenant), kid) for kid in (teams_kid, webchat_kid, teams_kid)]

    assert all(isinstance(key.key, jwt.PyJWK) for key in found if key is not None)
    assert found[0] is not None and "msteams" in (found[0].endorsements or ())
    assert found[1] is not None and found[1].endorsements == frozenset({"webchat"})
    assert fetched(tenant) - base == 1


async def test_an_unknown_kid_refetches_at_most_once_per_interval_and_finds_a_rotated_key(
    tenant: DevTenant, session: aiohttp.ClientSession
) -> None:
    clock = Clock()
    keys = SigningKeys(session, refresh_after=300, clock=clock)
    (current, _) = await published_kids(session, tenant)
    assert await keys.find(metadata_url(tenant), current) is not None
    base = fetched(tenant)

    for _ in range(20):  # a stream of forged kids
        assert await keys.find(metadata_url(tenant), "forged") is None
    assert fetched(tenant) == base

    async with session.post(f"{tenant.authority_host}{ROTATE_PATH}") as response:
        rotated = (await response.json())["kid"]
    assert await keys.find(metadata_url(tenant), rotated) is None  # too soon to look again
    clock.now += 301
    assert await keys.find(metadata_url(tenant), rotated) is not None
    assert fetched(tenant) == base + 1


async def test_cached_keys_outlive_an_outage_and_no_keys_at_all_is_keys_unavailable(
    tenant: DevTenant, session: aiohttp.ClientSession
) -> None:
    clock = Clock()
    keys = SigningKeys(session, metadata_ttl=3600, clock=clock)
    (current, _) = await published_kids(session, tenant)
    assert await keys.find(metadata_url(tenant), current) is not None

    tenant.faults.set("token", status=503, path_contains="/_botframework/")
    clock.now += 3601  # the metadata is due for a refresh, and the service is down
    assert await keys.find(metadata_url(tenant), current) is not None

    with pytest.raises(KeysUnavailable):
        await SigningKeys(session).find(metadata_url(tenant), current)


async def test_keys_are_never_fetched_over_plain_http(tenant: DevTenant, session: aiohttp.ClientSession) -> None:
    plain = f"{tenant.connector_url.rstrip('/')}{METADATA_PATH}"
    with pytest.raises(KeysUnavailable):
        await SigningKeys(session).find(plain, "any")
