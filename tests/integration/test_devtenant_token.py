"""devtenant's Entra token endpoint, driven by msal exactly as the desk configures it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import jwt
import msal
import pytest
import requests

from devtenant import DevTenant, run_devtenant

pytestmark = pytest.mark.asyncio(loop_scope="module")

GRAPH_SCOPE = "https://graph.microsoft.com/.default"


def _acquire(tenant: DevTenant, secret: str, scope: str) -> dict[str, Any]:
    session = requests.Session()
    session.verify = tenant.ca_pem_path
    session.trust_env = False
    app = msal.ConfidentialClientApplication(
        tenant.client_id, client_credential=secret, authority=f"{tenant.authority_host}/{tenant.tenant_id}",
        validate_authority=False, instance_discovery=False, http_client=session)
    try:
        return app.acquire_token_for_client([scope])
    finally:
        session.close()


async def test_msal_acquires_a_graph_token(devtenant: DevTenant) -> None:
    result = await asyncio.to_thread(_acquire, devtenant, devtenant.client_secret, GRAPH_SCOPE)
    assert result["token_type"] == "Bearer" and 3000 < result["expires_in"] <= 3600, result
    claims = jwt.decode(result["access_token"], options={"verify_signature": False})
    assert claims["aud"] == "https://graph.microsoft.com"
    assert claims["tid"] == devtenant.tenant_id and claims["appid"] == devtenant.client_id
    assert "LicenseAssignment.ReadWrite.All" in claims["roles"]
    assert claims["exp"] - claims["iat"] == 3600
    assert [c.service for c in devtenant.state.call_log] == ["token"]


async def test_msal_exchange_token_has_the_exchange_audience(devtenant: DevTenant) -> None:
    result = await asyncio.to_thread(_acquire, devtenant, devtenant.client_secret,
                                     "https://outlook.office365.com/.default")
    claims = jwt.decode(result["access_token"], options={"verify_signature": False})
    assert claims["aud"] == "https://outlook.office365.com"
    assert claims["roles"] == ["Exchange.ManageAsApp"]


async def test_msal_wrong_secret_fails_like_entra(devtenant: DevTenant) -> None:
    result = await asyncio.to_thread(_acquire, devtenant, "not-the-secret", GRAPH_SCOPE)
    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [7000215]
    assert result["error_description"].startswith("AADSTS7000215: Invalid client secret provided.")
    assert "access_token" not in result


async def test_token_endpoint_errors(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    base = {"grant_type": "client_credentials", "client_id": tenant.client_id, "client_secret": tenant.client_secret}
    reply = await tenant_client.request("POST", tenant.token_endpoint, data={**base, "scope": "User.Read"})
    assert reply.status == 400 and reply.body["error"] == "invalid_scope" and reply.body["error_codes"] == [1002012]
    reply = await tenant_client.request("POST", tenant.token_endpoint,
                                        data={**base, "scope": "https://example.org/.default"})
    assert reply.status == 400 and reply.body["error_codes"] == [500011]
    reply = await tenant_client.request("POST", tenant.token_endpoint,
                                        data={**base, "client_id": "11111111-1111-1111-1111-111111111111",
                                              "scope": GRAPH_SCOPE})
    assert reply.status == 400 and reply.body["error"] == "unauthorized_client"
    reply = await tenant_client.request("POST", f"{tenant.authority_host}/other-tenant/oauth2/v2.0/token",
                                        data={**base, "scope": GRAPH_SCOPE})
    assert reply.status == 400 and reply.body["error_codes"] == [90002]


async def test_openid_configuration_and_keys(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    reply = await tenant_client.request("GET", f"{tenant.authority}/v2.0/.well-known/openid-configuration")
    assert reply.status == 200
    assert reply.body["token_endpoint"] == tenant.token_endpoint
    keys = await tenant_client.request("GET", reply.body["jwks_uri"])
    token = await tenant_client.token()
    key = jwt.PyJWK(keys.body["keys"][0])
    claims = jwt.decode(token, key.key, algorithms=["RS256"], audience="https://graph.microsoft.com")
    assert claims["tid"] == tenant.tenant_id


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


async def test_state_dir_gets_ca_and_settings(tmp_path: Path) -> None:
    async with run_devtenant(state_dir=tmp_path) as tenant:
        settings = json.loads(_read(tmp_path / "devtenant.json"))
        assert settings["client_secret"] == tenant.client_secret
        assert settings["graph_base_url"] == tenant.graph_base_url
        assert settings["connector_url"].startswith("http://")
        assert _read(tmp_path / "ca.pem").startswith("-----BEGIN CERTIFICATE-----")
