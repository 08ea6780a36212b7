"""The service-URL allow-list and the inbound guard's serviceUrl rules (bot/auth.py), without tokens or network."""

from __future__ import annotations

import pytest

from bot.auth import TEAMS_SERVICE_URLS, Caller, InboundGuard, Refusal, ServiceUrl, ServiceUrlAllowList, origin_of

TEAMS = ServiceUrlAllowList(TEAMS_SERVICE_URLS)


@pytest.mark.parametrize(
    "url",
    [
        "https://smba.trafficmanager.net/emea/",
        "https://smba.trafficmanager.net/amer",  # Teams' URLs come with and without the trailing slash
        "https://SMBA.TrafficManager.net/teams/",
        "https://smba.trafficmanager.net:443/apac/",
        "https://smba.infra.gcc.teams.microsoft.com/teams",
        "https://smba.infra.gov.teams.microsoft.us/teams",
        "https://smba.infra.dod.teams.microsoft.us/teams",
    ],
)
def test_teams_connectors_of_every_documented_cloud_are_allowed(url: str) -> None:
    assert TEAMS.allows(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://smba.trafficmanager.net/emea/",  # the token never travels in plain text
        "https://smba.trafficmanager.net.evil.example/emea/",
        "https://evil.example/smba.trafficmanager.net/",
        "https://smba.trafficmanager.net@evil.example/emea/",
        "https://user:password@smba.trafficmanager.net/emea/",
        "https://smba.trafficmanager.net:8443/emea/",
        "https://smba.trafficmanager.net/emea/?next=https://evil.example",
        "https://smba.trafficmanager.net/emea/#fragment",
        "http://127.0.0.1:18999/",  # the probe
        "https://localhost/",
        "not a url",
        "",
        None,
        42,
        "https://" + "a" * 5000 + ".example/",
    ],
)
def test_anything_else_is_not(url: object) -> None:
    assert not TEAMS.allows(url)


def test_a_prefix_matches_whole_path_segments_only() -> None:
    allow = ServiceUrlAllowList(["https://connector.example/teams"])
    assert allow.allows("https://connector.example/teams/v3/")
    assert allow.allows("https://connector.example/teams")
    assert not allow.allows("https://connector.example/teamsevil/")
    assert not allow.allows("https://connector.example/")


def test_loopback_is_allowed_only_when_asked_for_the_demo() -> None:
    demo = ServiceUrlAllowList(["http://127.0.0.1:8480/"], any_loopback=True)
    assert demo.allows("http://localhost:56150/_connector")  # a Playground window on a port of its own
    assert demo.allows("http://[::1]:9/")
    assert not demo.allows("http://10.0.0.1:8480/")
    assert not ServiceUrlAllowList(["http://127.0.0.1:8480/"]).allows("http://127.0.0.1:8481/")


@pytest.mark.parametrize("entry", ["smba.trafficmanager.net", "ftp://x.example/", "https://u:p@x.example/", ""])
def test_a_broken_allow_list_entry_stops_the_desk(entry: str) -> None:
    with pytest.raises(ValueError):
        ServiceUrlAllowList([entry])


def test_spellings_of_one_service_url_compare_equal() -> None:
    assert ServiceUrl.parse("https://SMBA.trafficmanager.net/emea") == ServiceUrl.parse(
        "https://smba.trafficmanager.net:443/emea/"
    )
    assert ServiceUrl.parse("https://smba.trafficmanager.net/emea/") != ServiceUrl.parse(
        "https://smba.trafficmanager.net/amer/"
    )
    assert origin_of("https://user:secret@evil.example:8443/path?q=1") == "https://evil.example:8443"


def _reader(body: object):
    async def read() -> object:
        return body

    return read


async def test_the_demo_guard_lets_anonymous_activities_through_from_allowed_urls_only() -> None:
    guard = InboundGuard(ServiceUrlAllowList(["http://127.0.0.1:8480/"]), validator=None)

    allowed = await guard.check(None, _reader({"type": "message", "serviceUrl": "http://127.0.0.1:8480"}))
    assert allowed == Caller()

    refused = await guard.check(None, _reader({"type": "message", "serviceUrl": "https://evil.example/"}))
    assert isinstance(refused, Refusal) and (refused.status, refused.reason) == (403, "service-url-not-allowed")
    assert "evil" not in refused.message


@pytest.mark.parametrize("body", [None, [], "text", {"type": "message"}, {"serviceUrl": "not a url"}])
async def test_what_is_not_an_activity_is_left_to_the_contract_check(body: object) -> None:
    """bot/activity_check.py answers these with its precise 400; the guard has nothing to bind or allow-list."""
    guard = InboundGuard(ServiceUrlAllowList(["http://127.0.0.1:8480/"]), validator=None)
    assert await guard.check(None, _reader(body)) == Caller()
