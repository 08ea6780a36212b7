"""The Directory and DirectorySync ports on Microsoft Graph: users (also by delta), groups, usage location, domains."""

from __future__ import annotations

import json
import logging
from typing import Any

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.groups.item.group_item_request_builder import GroupItemRequestBuilder
from msgraph.generated.groups.item.members.members_request_builder import MembersRequestBuilder
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.user import User
from msgraph.generated.users.delta.delta_request_builder import DeltaRequestBuilder
from msgraph.generated.users.item.check_member_groups.check_member_groups_post_request_body import (
    CheckMemberGroupsPostRequestBody,
)
from msgraph.generated.users.item.manager.manager_request_builder import ManagerRequestBuilder
from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder
from msgraph.generated.users.users_request_builder import UsersRequestBuilder

from m365.errors import DeltaTokenExpired, InvalidRequest, M365Error, NotFound
from m365.graph import GraphApi, graph_call, send_once
from m365.ports import DirectoryUser, MemberChange, UserDeltaPage, UserState

logger = logging.getLogger(__name__)

# Everything DirectoryUser carries; $select also lowers the request's throttling cost by one unit.
USER_FIELDS = [
    "id",
    "displayName",
    "userPrincipalName",
    "mail",
    "givenName",
    "surname",
    "department",
    "jobTitle",
    "country",
    "usageLocation",
    "accountEnabled",
    "preferredLanguage",
]
_USER_ODATA_TYPE = "#microsoft.graph.user"
# What the directory sync keeps (UserState). `manager` in $select is how users/delta tracks the manager (answered
# as manager@delta); $expand is not supported on users/delta.
DELTA_FIELDS = ["id", "displayName", "userPrincipalName", "mail", "accountEnabled", "department", "manager"]
# Graph's codes for a delta token it no longer knows; a 410 Gone (synchronization reset) means the same.
_EXPIRED_CODES = frozenset({"syncstatenotfound", "resyncrequired"})
_MAX_PAGE = 999  # Graph's largest $top for users and members


class GraphDirectory:
    """Directory implemented with msgraph-sdk request builders."""

    def __init__(self, graph: GraphApi, *, page_size: int = _MAX_PAGE) -> None:
        if not 1 <= page_size <= _MAX_PAGE:
            raise ValueError(f"page_size must be within 1..{_MAX_PAGE}")
        self._graph = graph
        self._page_size = page_size

    async def get_user(self, id_or_upn: str) -> DirectoryUser | None:
        if not id_or_upn.strip():
            return None
        config = RequestConfiguration(
            query_parameters=UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(
                select=USER_FIELDS
            )
        )
        try:
            user = await graph_call(self._graph.client.users.by_user_id(id_or_upn).get(config))
        except NotFound:
            return None
        except InvalidRequest as exc:
            # Graph answers 400 (not 404) when the key is neither a GUID nor a well-formed UPN.
            if exc.code == "Request_BadRequest" and "invalid" in exc.message.lower():
                logger.debug("Graph rejected %r as a user key: %s", id_or_upn, exc.message)
                return None
            raise
        return to_directory_user(user) if user is not None else None

    async def find_users(self, query: str, limit: int = 10) -> list[DirectoryUser]:
        query = query.strip()
        if not query or limit <= 0:
            return []
        quoted = _odata_string(query)
        config = RequestConfiguration(
            query_parameters=UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
                filter=" or ".join(
                    f"startswith({prop},{quoted})" for prop in ("displayName", "userPrincipalName", "mail")
                ),
                select=USER_FIELDS,
                top=min(limit, self._page_size),
            )
        )
        users: list[DirectoryUser] = []
        page = await graph_call(self._graph.client.users.get(config))
        while page is not None:
            users.extend(to_directory_user(u) for u in page.value or [])
            if len(users) >= limit or not page.odata_next_link:
                break
            page = await graph_call(self._graph.client.users.with_url(page.odata_next_link).get())
        return users[:limit]

    async def group_member_ids(self, group_id: str) -> list[str]:
        members = self._graph.client.groups.by_group_id(group_id).members
        config = RequestConfiguration(
            query_parameters=MembersRequestBuilder.MembersRequestBuilderGetQueryParameters(
                select=["id"], top=self._page_size
            )
        )
        ids: list[str] = []
        page = await graph_call(members.get(config))
        while page is not None:
            for member in page.value or []:
                # Groups, devices and service principals can be members too; only users count here.
                # An object without @odata.type is taken as a user rather than silently dropped.
                if member.id and member.odata_type in (None, _USER_ODATA_TYPE):
                    ids.append(member.id)
            if not page.odata_next_link:
                break
            page = await graph_call(members.with_url(page.odata_next_link).get())
        return ids

    async def is_member_of(self, user_id: str, group_id: str) -> bool:
        # checkMemberGroups is transitive (nested groups count), which is what "is an admin" means.
        body = CheckMemberGroupsPostRequestBody(group_ids=[group_id])
        try:
            result = await graph_call(
                self._graph.client.users.by_user_id(user_id).check_member_groups.post(body)
            )
        except NotFound:
            return False
        return result is not None and group_id.lower() in {g.lower() for g in result.value or []}

    async def get_group_name(self, group_id: str) -> str | None:
        if not group_id.strip():
            return None
        config = RequestConfiguration(
            query_parameters=GroupItemRequestBuilder.GroupItemRequestBuilderGetQueryParameters(
                select=["id", "displayName"]
            )
        )
        try:
            group = await graph_call(self._graph.client.groups.by_group_id(group_id).get(config))
        except NotFound:
            return None
        except InvalidRequest as exc:
            # As for users: a key that is not a GUID is a 400, which here just means "no such group".
            logger.debug("Graph rejected %r as a group key: %s", group_id, exc.message)
            return None
        return (group.display_name or None) if group is not None else None

    async def manager_id(self, user_id: str) -> str | None:
        if not user_id.strip():
            return None
        config = RequestConfiguration(
            query_parameters=ManagerRequestBuilder.ManagerRequestBuilderGetQueryParameters(select=["id"])
        )
        try:
            manager = await graph_call(self._graph.client.users.by_user_id(user_id).manager.get(config))
        except NotFound:
            return None  # Graph answers 404 both for "no manager set" and for "no such user"
        except InvalidRequest as exc:
            logger.debug("Graph rejected %r as a user key: %s", user_id, exc.message)
            return None
        return (manager.id or None) if manager is not None else None

    async def remove_group_member(self, group_id: str, user_id: str) -> MemberChange:
        # Read first: Graph's 404 does not say whether the membership or the group is missing, and a missing
        # group must stay an error rather than pass as "already done".
        if user_id.lower() not in {member.lower() for member in await self.group_member_ids(group_id)}:
            return MemberChange.NOT_PRESENT
        member = self._graph.client.groups.by_group_id(group_id).members.by_directory_object_id(user_id)
        try:
            await graph_call(member.ref.delete(send_once()))
        except NotFound:
            return MemberChange.NOT_PRESENT  # removed by someone else between the read and the write
        return MemberChange.REMOVED

    async def set_usage_location(self, user_id: str, country_code: str) -> None:
        code = country_code.strip().upper()
        if len(code) != 2 or not code.isalpha():
            raise InvalidRequest(f"usage location must be an ISO 3166 alpha-2 code, not {country_code!r}")
        await graph_call(self._graph.client.users.by_user_id(user_id).patch(User(usage_location=code), send_once()))


    # ------------------------------------------------------------------ DirectorySync
    async def users_delta(self, link: str | None = None) -> UserDeltaPage:
        delta = self._graph.client.users.delta
        config: RequestConfiguration[DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters] = RequestConfiguration()
        # $top is not supported on delta; the page size is a preference.
        config.headers.add("Prefer", f"odata.maxpagesize={self._page_size}")
        if link is None:
            config.query_parameters = DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(select=DELTA_FIELDS)
        else:
            delta = delta.with_url(link)  # the link carries $select and the round's state
        info = delta.to_get_request_information(config)
        info.headers.try_add("Accept", "application/json")
        # The SDK builds the request and keeps auth, retries and error mapping; the page is parsed here, because
        # msgraph's User model costs ~15 ms per object to deserialise (a full round of 10k users: minutes).
        try:
            raw = await graph_call(self._graph.adapter.send_primitive_async(info, "bytes", {"XXX": ODataError}))
        except M365Error as exc:
            if exc.status == 410 or exc.code.lower() in _EXPIRED_CODES:
                raise DeltaTokenExpired(exc.message, code=exc.code, status=exc.status) from exc
            raise
        try:
            body = json.loads(raw or b"{}")
        except ValueError as exc:
            raise InvalidRequest("users/delta answered with a body that is not JSON") from exc
        return to_delta_page(body)

    async def accepted_domains(self) -> list[str]:
        domains: list[str] = []
        page = await graph_call(self._graph.client.domains.get())
        while page is not None:
            for domain in page.value or []:
                name = (domain.id or "").strip().lower()
                services = {s.lower() for s in domain.supported_services or []}
                if name and domain.is_verified and "email" in services and name not in domains:
                    domains.append(name)
            if not page.odata_next_link:
                break
            page = await graph_call(self._graph.client.domains.with_url(page.odata_next_link).get())
        return domains


def to_delta_page(body: Any) -> UserDeltaPage:
    """One users/delta response body: users, "@removed" ids, and exactly one of the next and delta links."""
    if not isinstance(body, dict):
        raise InvalidRequest("users/delta answered with something other than a JSON object")
    users: list[UserState] = []
    removed: list[str] = []
    for item in body.get("value") or []:
        if not isinstance(item, dict) or not item.get("id"):
            continue
        if "@removed" in item:
            removed.append(str(item["id"]))
        else:
            users.append(to_user_state(item))
    next_link, delta_link = body.get("@odata.nextLink") or None, body.get("@odata.deltaLink") or None
    if bool(next_link) == bool(delta_link):
        raise InvalidRequest("users/delta page without exactly one of @odata.nextLink and @odata.deltaLink")
    return UserDeltaPage(users=tuple(users), removed_ids=tuple(removed), next_link=next_link, delta_link=delta_link)


def to_user_state(item: dict[str, Any]) -> UserState:
    """A users/delta item as the sync keeps it; the manager comes from the manager@delta annotation."""
    enabled = item.get("accountEnabled")
    present = frozenset(field for key, field in _DELTA_FIELDS.items() if key in item)
    return UserState(
        id=str(item["id"]),
        display_name=item.get("displayName") or "",
        user_principal_name=item.get("userPrincipalName") or "",
        mail=item.get("mail") or None,
        account_enabled=enabled if isinstance(enabled, bool) else True,
        department=item.get("department") or None,
        manager_id=_delta_manager(item),
        present=present,
    )


# users/delta property → UserState field; an update carries only some of them.
_DELTA_FIELDS = {
    "displayName": "display_name",
    "userPrincipalName": "user_principal_name",
    "mail": "mail",
    "accountEnabled": "account_enabled",
    "department": "department",
    "manager@delta": "manager_id",
    "manager": "manager_id",
}


def _delta_manager(item: dict[str, Any]) -> str | None:
    """manager@delta: the entry without "@removed" is the manager; only removed entries (or none) mean no manager."""
    entries = item.get("manager@delta")
    if isinstance(entries, list):
        alive = [str(e["id"]) for e in entries if isinstance(e, dict) and "@removed" not in e and e.get("id")]
        return alive[-1] if alive else None
    manager = item.get("manager")  # had Graph expanded it instead
    return str(manager["id"]) if isinstance(manager, dict) and manager.get("id") else None


def to_directory_user(user: User) -> DirectoryUser:
    return DirectoryUser(
        id=user.id or "",
        display_name=user.display_name or "",
        user_principal_name=user.user_principal_name or "",
        mail=user.mail,
        given_name=user.given_name,
        surname=user.surname,
        department=user.department,
        job_title=user.job_title,
        country=user.country,
        usage_location=user.usage_location,
        account_enabled=user.account_enabled if user.account_enabled is not None else True,
        preferred_language=user.preferred_language,
    )


def _odata_string(value: str) -> str:
    """An OData string literal: single quotes doubled, never string-concatenated raw into $filter."""
    return "'" + value.replace("'", "''") + "'"
