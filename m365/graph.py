"""The msgraph-sdk client built from our credentials, the send-once configuration of changes, Graph error mapping,
and the SDK warm-up."""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from kiota_abstractions.api_error import APIError
from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.request_option import RequestOption
from kiota_http.middleware.options import RetryHandlerOption
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph_core import GraphClientFactory

from m365.credentials import MsalCredentials
from m365.errors import (
    GroupAssignedLicense,
    InvalidRequest,
    M365Error,
    NoFreeSeats,
    NotFound,
    PermissionDenied,
    Throttled,
    TransientError,
    UsageLocationMissing,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_GRAPH_SCOPE = "https://graph.microsoft.com/.default"


class MsalAccessTokenProvider(AccessTokenProvider):
    """Kiota's token hook: a bearer token from MsalCredentials, only for the hosts we talk to."""

    def __init__(self, credentials: MsalCredentials, scope: str, allowed_hosts: list[str]) -> None:
        self._credentials = credentials
        self._scope = scope
        self._validator = AllowedHostsValidator(allowed_hosts)

    async def get_authorization_token(
        self, uri: str, additional_authentication_context: dict[str, Any] | None = None
    ) -> str:
        # Never hand the token to a host we did not configure (an @odata.nextLink or a redirect could
        # point anywhere); kiota sends the request without Authorization and Graph answers 401.
        if not self._validator.is_url_host_valid(uri):
            logger.warning(
                "not sending a Graph token to a host outside the allow-list: %s", urlsplit(uri).hostname
            )
            return ""
        return await self._credentials.token(self._scope)

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return self._validator


@dataclass(slots=True)
class GraphApi:
    """A GraphServiceClient plus what it is built on, so the owner can close the HTTP connections."""

    client: GraphServiceClient
    adapter: GraphRequestAdapter
    http_client: httpx.AsyncClient

    @property
    def base_url(self) -> str:
        return str(self.adapter.base_url).rstrip("/")

    async def aclose(self) -> None:
        await self.http_client.aclose()


def build_graph(
    credentials: MsalCredentials,
    base_url: str,
    *,
    scope: str = DEFAULT_GRAPH_SCOPE,
    ca_bundle: str | None = None,
    timeout: float = 30.0,
    max_retries: int = RetryHandlerOption.DEFAULT_MAX_RETRIES,
    retry_delay: float = RetryHandlerOption.DEFAULT_DELAY,
) -> GraphApi:
    """A Graph client for ``base_url`` (e.g. ``https://graph.microsoft.com/v1.0``); opens no connection yet.

    The SDK's middleware (retry on 429/503/504 honouring Retry-After, redirects, telemetry) is kept;
    ``max_retries`` and ``retry_delay`` (the base delay kiota adds when there is no Retry-After) tune it for reads.
    A change opts out per request (``send_once``).
    """
    base_url = base_url.rstrip("/")
    host = urlsplit(base_url).hostname
    if not host:
        raise ValueError(f"Graph base URL has no host: {base_url!r}")
    # An SSL context rather than a path: httpx 0.28 deprecates verify=<str>.
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True
    http_client = httpx.AsyncClient(
        verify=verify,
        trust_env=False,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
    )
    options = {RetryHandlerOption.get_key(): RetryHandlerOption(delay=retry_delay, max_retries=max_retries)}
    http_client = GraphClientFactory.create_with_default_middleware(client=http_client, options=options)
    auth = BaseBearerTokenAuthenticationProvider(MsalAccessTokenProvider(credentials, scope, [host]))
    adapter = GraphRequestAdapter(auth, http_client)
    adapter.base_url = base_url
    return GraphApi(
        client=GraphServiceClient(request_adapter=adapter), adapter=adapter, http_client=http_client
    )


def send_once_options() -> list[RequestOption]:
    """Request options that make the SDK's retry middleware send a change once (``max_retries=0``).

    After a 503, a 504 or a timeout a change may have been applied; sending it again is the job runner's decision,
    whose steps re-read before they write (the retry budget is described in handlers/jobs.py). Reads keep the
    client's retries, set in ``build_graph``.
    """
    return [RetryHandlerOption(max_retries=0)]


def send_once() -> RequestConfiguration[Any]:
    """The request configuration of a change (assignLicense, PATCH, DELETE): sent once, see ``send_once_options``."""
    return RequestConfiguration(options=send_once_options())


async def graph_call(awaitable: Awaitable[T]) -> T:
    """Await one SDK call and turn whatever it raises into our typed errors."""
    try:
        return await awaitable
    except M365Error:
        raise
    except APIError as exc:
        raise map_api_error(exc) from exc
    except httpx.TransportError as exc:
        raise TransientError(f"Graph unreachable: {exc!r}") from exc


def map_api_error(exc: APIError) -> M365Error:
    """An SDK error (ODataError or a bare APIError) as one of our typed errors."""
    code, message = "", ""
    main = getattr(exc, "error", None)  # ODataError.error is the body's "error" object
    if main is not None:
        code, message = main.code or "", main.message or ""
    if not message:
        message = exc.message or str(exc)
    return map_graph_error(exc.response_status_code, code, message, exc.response_headers)


def map_graph_error(
    status: int | None, code: str, message: str, headers: Mapping[str, str] | None = None
) -> M365Error:
    """Graph's (status, error.code, error.message) as a typed error, for single calls and $batch items."""
    status = status or 0
    lowered = message.lower()
    if status == 429:
        return Throttled(message, code=code, status=status, retry_after=retry_after_seconds(headers))
    if status >= 500 or status in (408,):
        return TransientError(message, code=code, status=status, retry_after=retry_after_seconds(headers))
    if status in (401, 403):
        return PermissionDenied(message, code=code, status=status)
    if status == 404:
        return NotFound(message, code=code, status=status)
    if status == 400:
        # assignLicense's refusals share Request_BadRequest; only the text tells them apart.
        if "usage location" in lowered:
            return UsageLocationMissing(message, code=code, status=status)
        if "does not have any available licenses" in lowered or "countviolation" in lowered:
            return NoFreeSeats(message, code=code, status=status)
        if "inherited from a group" in lowered:
            return GroupAssignedLicense(message, code=code, status=status)
        return InvalidRequest(message, code=code, status=status)
    if 400 <= status < 500:
        return InvalidRequest(message, code=code, status=status)
    return M365Error(message, code=code, status=status or None)


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """Retry-After as seconds; Graph sends integers, but decimals ("2.128") have been seen too."""
    if not headers:
        return None
    value = None
    for key, item in headers.items():
        if key.lower() == "retry-after":
            value = item
            break
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None


_SAMPLE_USER = {
    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
    "id": "00000000-0000-0000-0000-000000000001",
    "displayName": "Warm Up",
    "userPrincipalName": "warm.up@example.com",
    "usageLocation": "DE",
    "accountEnabled": True,
    "assignedLicenses": [{"skuId": "00000000-0000-0000-0000-000000000002", "disabledPlans": []}],
    "licenseAssignmentStates": [
        {
            "skuId": "00000000-0000-0000-0000-000000000002",
            "disabledPlans": [],
            "assignedByGroup": None,
            "state": "Active",
            "error": "None",
        }
    ],
}
_SAMPLE_SKUS = {
    "value": [
        {
            "skuId": "00000000-0000-0000-0000-000000000002",
            "skuPartNumber": "WARMUP",
            "appliesTo": "User",
            "capabilityStatus": "Enabled",
            "consumedUnits": 1,
            "prepaidUnits": {"enabled": 2, "suspended": 0, "warning": 0, "lockedOut": 0},
            "servicePlans": [],
        }
    ]
}


async def warm_up() -> float:
    """Import msgraph's request builders and run its JSON deserialisation once; returns the seconds it took.

    msgraph-sdk imports thousands of generated modules lazily, so the first real request otherwise pays
    for them inside a Teams turn. The work is CPU and imports, so it runs in a worker thread.
    """
    elapsed = await asyncio.to_thread(_warm_up_sync)
    logger.info("msgraph-sdk warm-up took %.3f s", elapsed)
    return elapsed


def _warm_up_sync() -> float:
    started = time.perf_counter()
    from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
    from msgraph.generated.groups.item.members.members_request_builder import MembersRequestBuilder  # noqa: F401
    from msgraph.generated.models.directory_object_collection_response import (
        DirectoryObjectCollectionResponse,
    )
    from msgraph.generated.models.license_details_collection_response import LicenseDetailsCollectionResponse
    from msgraph.generated.models.subscribed_sku_collection_response import SubscribedSkuCollectionResponse
    from msgraph.generated.models.user import User
    from msgraph.generated.models.user_collection_response import UserCollectionResponse
    from msgraph.generated.subscribed_skus.subscribed_skus_request_builder import (  # noqa: F401
        SubscribedSkusRequestBuilder,
    )
    from msgraph.generated.users.item.assign_license.assign_license_post_request_body import (  # noqa: F401
        AssignLicensePostRequestBody,
    )
    from msgraph.generated.users.item.check_member_groups.check_member_groups_post_request_body import (  # noqa: F401
        CheckMemberGroupsPostRequestBody,
    )
    from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder  # noqa: F401
    from msgraph.generated.users.users_request_builder import UsersRequestBuilder  # noqa: F401

    factory = JsonParseNodeFactory()
    samples: list[tuple[Any, dict[str, Any]]] = [
        (User, _SAMPLE_USER),
        (SubscribedSkuCollectionResponse, _SAMPLE_SKUS),
        (UserCollectionResponse, {"value": [_SAMPLE_USER]}),
        (LicenseDetailsCollectionResponse, {"value": [{"skuId": _SAMPLE_SKUS["value"][0]["skuId"]}]}),
        (DirectoryObjectCollectionResponse, {"value": [{"@odata.type": "#microsoft.graph.user", "id": "x"}]}),
    ]
    for model, payload in samples:
        node = factory.get_root_parse_node("application/json", json.dumps(payload).encode())
        node.get_object_value(model)
    return time.perf_counter() - started
