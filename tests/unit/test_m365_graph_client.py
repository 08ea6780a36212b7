"""build_graph, the token provider's host allow-list and the SDK warm-up."""

from __future__ import annotations

import logging

import pytest

from m365.graph import MsalAccessTokenProvider, build_graph, warm_up


class CountingCredentials:
    def __init__(self) -> None:
        self.scopes: list[str] = []

    async def token(self, scope: str) -> str:
        self.scopes.append(scope)
        return "token"


async def test_token_only_for_allowed_hosts() -> None:
    credentials = CountingCredentials()
    provider = MsalAccessTokenProvider(
        credentials, "https://graph.microsoft.com/.default", ["graph.microsoft.com"]
    )  # type: ignore[arg-type]
    assert await provider.get_authorization_token("https://graph.microsoft.com/v1.0/users") == "token"
    assert await provider.get_authorization_token("https://evil.example.com/v1.0/users") == ""
    assert credentials.scopes == ["https://graph.microsoft.com/.default"]


async def test_build_graph_points_the_sdk_at_the_base_url() -> None:
    credentials = CountingCredentials()
    graph = build_graph(credentials, "https://127.0.0.1:8443/v1.0/")  # type: ignore[arg-type]
    try:
        assert graph.base_url == "https://127.0.0.1:8443/v1.0"
        assert graph.client.path_parameters["base_url"] == "https://127.0.0.1:8443/v1.0"
    finally:
        await graph.aclose()
    assert credentials.scopes == []  # building the client fetched nothing


def test_build_graph_needs_a_host() -> None:
    with pytest.raises(ValueError):
        build_graph(CountingCredentials(), "/v1.0")  # type: ignore[arg-type]


async def test_warm_up_reports_its_duration(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="m365.graph"):
        seconds = await warm_up()
    assert seconds >= 0
    assert "warm-up took" in caplog.text
