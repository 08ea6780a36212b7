"""The Licenses port on Microsoft Graph: subscribed SKUs, a user's licenses, assignLicense (and $batch)."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.headers_collection import HeadersCollection
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from msgraph.generated.models.assigned_license import AssignedLicense
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.user import User
from msgraph.generated.users.item.assign_license.assign_license_post_request_body import (
    AssignLicensePostRequestBody,
)
from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder
from msgraph.generated.users.users_request_builder import UsersRequestBuilder

from m365.errors import InvalidRequest, M365Error, Throttled, TransientError
from m365.graph import GraphApi, graph_call, map_graph_error, send_once, send_once_options
from m365.ports import AssignOutcome, LicenseHolder, Sku, Subscription, UserLicense

logger = logging.getLogger(__name__)

BATCH_LIMIT = 20  # Graph's documented maximum number of requests in one $batch
_MAX_PAGE = 999  # Graph's largest $top for users (with signInActivity selected too)
_HOLDER_FIELDS = (
    "id",
    "displayName",
    "userPrincipalName",
    "accountEnabled",
    "assignedLicenses",
    "licenseAssignmentStates",
    "signInActivity",
)


class GraphLicenses:
    """Licenses implemented with msgraph-sdk; ``assign_many`` adds JSON batching for bulk changes."""

    def __init__(
        self,
        graph: GraphApi,
        *,
        batch_size: int = BATCH_LIMIT,
        default_retry_after: float = 2.0,
        max_retry_after: float = 60.0,
    ) -> None:
        if not 1 <= batch_size <= BATCH_LIMIT:
            raise ValueError(f"batch_size must be within 1..{BATCH_LIMIT}")
        self._graph = graph
        self._batch_size = batch_size
        self._default_retry_after = default_retry_after
        self._max_retry_after = max_retry_after

    async def list_skus(self) -> list[Sku]:
        page = await graph_call(self._graph.client.subscribed_skus.get())
        skus: list[Sku] = []
        for sku in (page.value if page is not None else None) or []:
            prepaid = sku.prepaid_units
            skus.append(
                Sku(
                    sku_id=str(sku.sku_id) if sku.sku_id else "",
                    sku_part_number=sku.sku_part_number or "",
                    # Only "enabled" units can be handed out; suspended/warning units are on their way out.
                    enabled_units=(prepaid.enabled or 0) if prepaid is not None else 0,
                    consumed_units=sku.consumed_units or 0,
                    applies_to=sku.applies_to or "User",
                    capability_status=sku.capability_status or "Enabled",
                )
            )
        return skus

    async def user_licenses(self, user_id: str) -> list[UserLicense]:
        """One entry per assignment path: a SKU held directly *and* through a group appears twice."""
        user_builder = self._graph.client.users.by_user_id(user_id)
        config = _select(["id", "assignedLicenses", "licenseAssignmentStates"])
        # Both reads at once; return_exceptions so a failure in one never leaves the other unobserved.
        user, details = await asyncio.gather(
            graph_call(user_builder.get(config)),
            graph_call(user_builder.license_details.get()),
            return_exceptions=True,
        )
        if isinstance(user, BaseException):
            raise user
        if isinstance(details, BaseException):
            raise details
        part_numbers = {
            str(d.sku_id).lower(): d.sku_part_number or ""
            for d in (details.value if details is not None else None) or []
            if d.sku_id
        }
        licenses = _user_licenses(user, part_numbers)
        if any(not lic.sku_part_number for lic in licenses):
            # licenseDetails lags behind a fresh assignment; the tenant's SKU list always names it.
            names = {s.sku_id.lower(): s.sku_part_number for s in await self.list_skus()}
            licenses = [
                lic
                if lic.sku_part_number
                else replace(lic, sku_part_number=names.get(lic.sku_id.lower(), ""))
                for lic in licenses
            ]
        return licenses

    async def holders(self, sku_id: str) -> set[str]:
        """Users whose assignedLicenses hold the SKU; a lambda $filter Graph answers without advanced queries.

        assignedLicenses has group-given licenses too (it is the effective set), as user_licenses reports them.
        """
        config = RequestConfiguration(
            query_parameters=UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
                filter=f"assignedLicenses/any(x:x/skuId eq {_guid(sku_id)})", select=["id"], top=_MAX_PAGE
            )
        )
        ids: set[str] = set()
        page = await graph_call(self._graph.client.users.get(config))
        while page is not None:
            ids.update(user.id for user in page.value or [] if user.id)
            if not page.odata_next_link:
                break
            page = await graph_call(self._graph.client.users.with_url(page.odata_next_link).get())
        return ids

    async def license_holders(self) -> list[LicenseHolder]:
        """All users in pages of 999, filtered here to those with a license: ⌈users/999⌉ requests (+1 for names).

        Why not ``$filter=assignedLicenses/$count ne 0``: that is an advanced query (ConsistencyLevel: eventual
        and $count=true), answered from an eventually consistent index, so a license assigned a minute ago could
        be missing from the report; the plain list is documented, current, and costs the same pages in a tenant
        where most people are licensed. signInActivity needs AuditLog.Read.All (M365-APIS.md §1.3).
        """
        config = RequestConfiguration(
            query_parameters=UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
                select=list(_HOLDER_FIELDS), top=_MAX_PAGE
            )
        )
        users: list[User] = []
        skus, page = await asyncio.gather(self.list_skus(), graph_call(self._graph.client.users.get(config)))
        while page is not None:
            users.extend(page.value or [])
            if not page.odata_next_link:
                break
            page = await graph_call(self._graph.client.users.with_url(page.odata_next_link).get())
        names = {sku.sku_id.lower(): sku.sku_part_number for sku in skus}
        holders = []
        for user in users:
            licenses = _user_licenses(user, names)
            if not licenses:
                continue
            activity = user.sign_in_activity
            holders.append(
                LicenseHolder(
                    id=user.id or "",
                    display_name=user.display_name or "",
                    user_principal_name=user.user_principal_name or "",
                    account_enabled=user.account_enabled if user.account_enabled is not None else True,
                    licenses=tuple(licenses),
                    last_successful_sign_in=activity.last_successful_sign_in_date_time if activity else None,
                )
            )
        return holders

    async def subscriptions(self) -> list[Subscription]:
        page = await graph_call(self._graph.client.directory.subscriptions.get())
        result: list[Subscription] = []
        while page is not None:
            for item in page.value or []:
                result.append(
                    Subscription(
                        id=item.id or "",
                        sku_id=str(item.sku_id or ""),
                        sku_part_number=item.sku_part_number or "",
                        status=item.status or "Enabled",
                        total_licenses=item.total_licenses or 0,
                        next_lifecycle=item.next_lifecycle_date_time,
                        is_trial=bool(item.is_trial),
                    )
                )
            if not page.odata_next_link:
                break
            page = await graph_call(self._graph.client.directory.subscriptions.with_url(page.odata_next_link).get())
        return result

    async def assign(
        self, user_id: str, add_sku_ids: Sequence[str], remove_sku_ids: Sequence[str] = ()
    ) -> None:
        if not add_sku_ids and not remove_sku_ids:
            return
        body = AssignLicensePostRequestBody(
            add_licenses=[AssignedLicense(sku_id=_guid(s), disabled_plans=[]) for s in add_sku_ids],
            remove_licenses=[_guid(s) for s in remove_sku_ids],
        )
        await graph_call(self._graph.client.users.by_user_id(user_id).assign_license.post(body, send_once()))
        logger.info("assignLicense for %s: +%s -%s", user_id, list(add_sku_ids), list(remove_sku_ids))

    async def assign_many(
        self, items: Sequence[tuple[str, Sequence[str], Sequence[str]]]
    ) -> list[AssignOutcome]:
        """assignLicense for many users through $batch; one outcome per item, in the order given.

        Each item is sent once, and so is each $batch request: a throttled item or a failed request comes back
        as its TransientError, for the job runner to send again after re-reading (handlers/jobs.py). Once Graph
        has throttled this call, every later batch first waits that Retry-After: the write budget is the app's,
        not the batch's, so sending at once would only buy more 429s.
        """
        outcomes: list[AssignOutcome | None] = [None] * len(items)
        bodies: dict[int, dict[str, Any]] = {}
        for i, item in enumerate(items):
            try:
                bodies[i] = _batch_item(item)
            except InvalidRequest as exc:  # a malformed SKU id fails its own item, not its whole batch
                outcomes[i] = AssignOutcome(item[0], 0, exc)
        valid = list(bodies)
        pace = 0.0
        for start in range(0, len(valid), self._batch_size):
            if pace:
                await asyncio.sleep(pace)
            # The latest Retry-After sets the pace; a chunk sent at that pace without 429s keeps it.
            pace = await self._run_chunk(items, bodies, valid[start : start + self._batch_size], outcomes) or pace
        return [
            o if o is not None else AssignOutcome(items[i][0], 0, M365Error("no outcome"))
            for i, o in enumerate(outcomes)
        ]

    async def _run_chunk(
        self,
        items: Sequence[tuple[str, Sequence[str], Sequence[str]]],
        bodies: dict[int, dict[str, Any]],
        pending: list[int],
        outcomes: list[AssignOutcome | None],
    ) -> float:
        """Sends one chunk, once; returns the largest Retry-After its throttled items asked for, 0 if none."""
        try:
            responses = await self._post_batch({str(i): bodies[i] for i in pending})
        except M365Error as exc:
            # The whole batch failed: each of its items gets the error (a TransientError is the job's to retry).
            logger.warning("$batch of %d assignLicense calls failed: %s", len(pending), exc)
            for i in pending:
                outcomes[i] = AssignOutcome(items[i][0], exc.status or 0, exc)
            asked = exc.retry_after if isinstance(exc, TransientError) else None
            return min(asked, self._max_retry_after) if asked else 0.0
        waits: list[float] = []
        for i in pending:
            response = responses.get(str(i))
            if response is None:
                outcomes[i] = AssignOutcome(items[i][0], 0, M365Error("missing from the $batch response"))
                continue
            status = int(response.get("status", 0))
            if 200 <= status < 300:
                outcomes[i] = AssignOutcome(items[i][0], status)
                continue
            error = _item_error(status, response)
            outcomes[i] = AssignOutcome(items[i][0], status, error)
            if isinstance(error, Throttled):
                waits.append(error.retry_after if error.retry_after is not None else self._default_retry_after)
        if waits:
            logger.info("%d of %d batched assignLicense calls throttled; the job sends them again", len(waits),
                        len(pending))
        return min(max(waits), self._max_retry_after) if waits else 0.0

    async def _post_batch(self, requests: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """POST one $batch of changes through the SDK's adapter (auth and error mapping apply), sent once."""
        info = RequestInformation()
        info.add_request_options(send_once_options())
        info.http_method = Method.POST
        info.url = f"{self._graph.base_url}/$batch"
        info.headers = HeadersCollection()
        info.headers.try_add("Accept", "application/json")
        payload = {"requests": [{"id": key, **item} for key, item in requests.items()]}
        info.set_stream_content(json.dumps(payload).encode(), "application/json")
        raw = await graph_call(self._graph.adapter.send_primitive_async(info, "bytes", {"XXX": ODataError}))
        try:
            body = json.loads(raw or b"{}")
        except ValueError as exc:
            raise InvalidRequest("$batch answered with a body that is not JSON") from exc
        return {str(r.get("id")): r for r in body.get("responses", []) if isinstance(r, dict)}


def _batch_item(item: tuple[str, Sequence[str], Sequence[str]]) -> dict[str, Any]:
    user_id, add, remove = item
    return {
        "method": "POST",
        "url": f"/users/{quote(user_id, safe='@')}/assignLicense",
        "headers": {"Content-Type": "application/json"},
        "body": {
            "addLicenses": [{"skuId": str(_guid(s)), "disabledPlans": []} for s in add],
            "removeLicenses": [str(_guid(s)) for s in remove],
        },
    }


def _item_error(status: int, response: dict[str, Any]) -> M365Error:
    body = response.get("body")
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    headers = response.get("headers")
    return map_graph_error(
        status,
        str(error.get("code", "")),
        str(error.get("message", "")) or f"HTTP {status}",
        headers if isinstance(headers, dict) else None,
    )


def _user_licenses(user: User | None, part_numbers: dict[str, str]) -> list[UserLicense]:
    if user is None:
        return []
    licenses: list[UserLicense] = []
    states = user.license_assignment_states
    if states:
        for state in states:
            if state.sku_id is None:
                continue
            # "Error" means the assignment exists but the license is not applied (e.g. a group's
            # CountViolation): the user does not have it, so it is not reported as held.
            if (state.state or "Active") == "Error":
                logger.info("license %s for %s is in error: %s", state.sku_id, user.id, state.error)
                continue
            sku_id = str(state.sku_id)
            licenses.append(
                UserLicense(
                    sku_id=sku_id,
                    sku_part_number=part_numbers.get(sku_id.lower(), ""),
                    assigned_by_group=state.assigned_by_group or None,
                    disabled_plans=tuple(str(p) for p in state.disabled_plans or []),
                )
            )
    else:
        # Without licenseAssignmentStates there is no way to see group assignments; treat what is
        # assigned as direct, which is what Graph itself reports in assignedLicenses.
        for assigned in user.assigned_licenses or []:
            if assigned.sku_id is None:
                continue
            sku_id = str(assigned.sku_id)
            licenses.append(
                UserLicense(
                    sku_id=sku_id,
                    sku_part_number=part_numbers.get(sku_id.lower(), ""),
                    disabled_plans=tuple(str(p) for p in assigned.disabled_plans or []),
                )
            )
    licenses.sort(key=lambda lic: (lic.sku_part_number, lic.assigned_by_group or ""))
    return licenses


def _select(fields: list[str]) -> RequestConfiguration[Any]:
    return RequestConfiguration(
        query_parameters=UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(select=fields)
    )


def _guid(sku_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(sku_id))
    except ValueError as exc:
        raise InvalidRequest(f"not a SKU id (GUID): {sku_id!r}", code="InvalidSkuId") from exc
