"""Entra ID (login.microsoftonline.com) subset: OIDC discovery, JWKS and the client-credentials token endpoint."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from devtenant.context import Context
from devtenant.tokens import KNOWN_RESOURCES, resource_of_scope

RESERVED_SCOPES = {"openid", "profile", "offline_access"}


def _aad_error(ctx: Context, request: web.Request, status: int, error: str, code: int, text: str,
               headers: dict[str, str] | None = None) -> web.Response:
    now = datetime.now(UTC)
    trace_id = ctx.state.next_request_id()
    correlation_id = request.headers.get("client-request-id") or ctx.state.next_request_id()
    body = {
        "error": error,
        "error_description": f"AADSTS{code}: {text} Trace ID: {trace_id} Correlation ID: {correlation_id} "
                             f"Timestamp: {now:%Y-%m-%d %H:%M:%S}Z",
        "error_codes": [code],
        "timestamp": f"{now:%Y-%m-%d %H:%M:%S}Z",
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": f"{ctx.https_base}/error?code={code}",
    }
    return web.json_response(body, status=status, headers=headers)


def _tenant_not_found(ctx: Context, request: web.Request, tenant: str) -> web.Response:
    return _aad_error(ctx, request, 400, "invalid_request", 90002,
                      f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are "
                      "signing into the correct cloud. Check with your subscription administrator, this may "
                      "happen if there are no active subscriptions for the tenant.")


async def _injected(ctx: Context, request: web.Request) -> web.Response | None:
    rule = await ctx.fault("token", request.path)
    if rule is None:
        return None
    return _aad_error(ctx, request, rule.status or 503, "temporarily_unavailable", 90033,
                      "A transient error has occurred. Please try again.",
                      headers={"Retry-After": f"{rule.retry_after:g}"})


def openid_configuration(ctx: Context, tenant: str) -> dict[str, Any]:
    base = f"{ctx.https_base}/{ctx.tenant_id}"
    return {
        "token_endpoint": f"{ctx.https_base}/{tenant}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": f"{ctx.https_base}/{tenant}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{base}/v2.0",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{ctx.https_base}/oidc/userinfo",
        "authorization_endpoint": f"{ctx.https_base}/{tenant}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{ctx.https_base}/{tenant}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{ctx.https_base}/{tenant}/oauth2/v2.0/logout",
        "claims_supported": ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
                             "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username",
                             "name", "tid", "ver", "at_hash", "c_hash", "email"],
        "kerberos_endpoint": f"{ctx.https_base}/{tenant}/kerberos",
        "tenant_region_scope": "EU",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    }


def add_routes(app: web.Application, ctx: Context) -> None:
    async def discovery(request: web.Request) -> web.Response:
        if (resp := await _injected(ctx, request)) is not None:
            return resp
        tenant = request.match_info["tenant"]
        if not ctx.is_our_tenant(tenant) and tenant.lower() not in ("common", "organizations"):
            return _tenant_not_found(ctx, request, tenant)
        return web.json_response(openid_configuration(ctx, tenant))

    async def keys(request: web.Request) -> web.Response:
        return web.json_response(ctx.issuer.jwks())

    async def instance_discovery(request: web.Request) -> web.Response:
        host = ctx.https_base.split("://", 1)[1]
        return web.json_response({
            "tenant_discovery_endpoint": f"{ctx.https_base}/{ctx.tenant_id}/v2.0/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
        })

    async def token(request: web.Request) -> web.Response:
        response = await _token(request)
        # Token requests are upstream calls too: clients are judged on how well they cache tokens.
        ctx.state.log_call("token", request.method, request.path, response.status)
        return response

    async def _token(request: web.Request) -> web.Response:
        if (resp := await _injected(ctx, request)) is not None:
            return resp
        tenant = request.match_info["tenant"]
        if not ctx.is_our_tenant(tenant):
            return _tenant_not_found(ctx, request, tenant)
        form = await request.post()
        return issue_token(ctx, request, {k: str(v) for k, v in form.items()},
                           v1=request.path.rstrip("/").endswith("/oauth2/token"))

    app.router.add_get("/common/discovery/instance", instance_discovery)
    app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", discovery)
    app.router.add_get("/{tenant}/.well-known/openid-configuration", discovery)
    app.router.add_get("/{tenant}/discovery/v2.0/keys", keys)
    app.router.add_get("/{tenant}/discovery/keys", keys)
    app.router.add_post("/{tenant}/oauth2/v2.0/token", token)
    app.router.add_post("/{tenant}/oauth2/token", token)


def issue_token(ctx: Context, request: web.Request, form: dict[str, str], *, v1: bool) -> web.Response:
    """The client-credentials grant, with Entra's errors for the usual mistakes."""
    grant_type = form.get("grant_type", "")
    if grant_type != "client_credentials":
        return _aad_error(ctx, request, 400, "unsupported_grant_type", 70003,
                          f"The app requested an unsupported grant type '{grant_type}'.")
    client_id, client_secret = form.get("client_id", ""), form.get("client_secret")
    if request.headers.get("Authorization", "").lower().startswith("basic "):
        raw = base64.b64decode(request.headers["Authorization"][6:].strip()).decode()
        client_id, _, client_secret = raw.partition(":")
    if not client_id:
        return _aad_error(ctx, request, 400, "invalid_request", 900144,
                          "The request body must contain the following parameter: 'client_id'.")
    app = ctx.state.apps.get(client_id.lower())
    if app is None:
        return _aad_error(ctx, request, 400, "unauthorized_client", 700016,
                          f"Application with identifier '{client_id}' was not found in the directory "
                          f"'{ctx.state.organization_name}'. This can happen if the application has not been "
                          "installed by the administrator of the tenant or consented to by any user in the tenant. "
                          "You may have sent your authentication request to the wrong tenant.")
    if client_secret is None:
        return _aad_error(ctx, request, 401, "invalid_client", 7000218,
                          "The request body must contain the following parameter: 'client_assertion' or "
                          "'client_secret'.")
    if client_secret != app.client_secret:
        return _aad_error(ctx, request, 401, "invalid_client", 7000215,
                          "Invalid client secret provided. Ensure the secret being sent in the request is the "
                          "client secret value, not the client secret ID, for a secret added to app "
                          f"'{app.client_id}'.")
    if v1:
        resource = (form.get("resource") or "").rstrip("/")
    else:
        scopes = [s for s in form.get("scope", "").split() if s not in RESERVED_SCOPES]
        if len(scopes) != 1 or resource_of_scope(scopes[0]) is None:
            shown = " ".join(scopes) or form.get("scope", "")
            return _aad_error(ctx, request, 400, "invalid_scope", 1002012,
                              f"The provided value for scope {shown} is not valid. Client credential flows must "
                              "have a scope value with /.default suffixed to the resource identifier "
                              "(application ID URI).")
        resource = resource_of_scope(scopes[0]) or ""
    if resource not in KNOWN_RESOURCES:
        return _aad_error(ctx, request, 400, "invalid_resource", 500011,
                          f"The resource principal named {resource} was not found in the tenant named "
                          f"{ctx.state.organization_name}. This can happen if the application has not been "
                          "installed by the administrator of the tenant or consented to by any user in the tenant. "
                          "You might have sent your authentication request to the wrong tenant.")
    issued = ctx.issuer.issue(resource=resource, app_id=app.client_id, app_name=app.display_name,
                              roles=app.roles.get(resource, []),
                              wids=app.wids if resource != "https://api.botframework.com" else None)
    body: dict[str, Any] = {"token_type": "Bearer", "expires_in": issued.expires_in,
                            "ext_expires_in": issued.expires_in, "access_token": issued.access_token}
    if v1:
        body.update({"expires_on": str(issued.claims["exp"]), "not_before": str(issued.claims["nbf"]),
                     "resource": resource})
    return web.json_response(body)
