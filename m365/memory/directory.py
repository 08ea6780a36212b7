"""The Directory and DirectorySync ports in memory: users, groups, managers, usage locations, users/delta, domains."""

from __future__ import annotations

from babel import Locale

from m365.errors import DeltaTokenExpired, InvalidRequest
from m365.memory.errors import graph_bad_request, graph_not_found
from m365.memory.records import UserRecord
from m365.memory.state import TenantState
from m365.ports import DirectoryUser, MemberChange, UserDeltaPage, UserState

_LINK = "https://graph.memory.invalid/v1.0/users/delta?"
_MAX_PAGE = 999  # Graph's largest page, what GraphDirectory asks for by default


def _territories() -> frozenset[str]:
    # The ISO 3166 alpha-2 codes Entra accepts as a usage location (babel's regions, without "ZZ" = unknown).
    territories = Locale("en").territories  # babel types its keys as str | int | None; region codes are str
    return frozenset(
        code for code in territories if isinstance(code, str) and len(code) == 2 and code.isalpha() and code != "ZZ"
    )


class MemoryDirectory:
    """Directory and DirectorySync over a TenantState, answering as GraphDirectory does against Graph."""

    def __init__(self, state: TenantState, *, page_size: int = _MAX_PAGE) -> None:
        if not 1 <= page_size <= _MAX_PAGE:
            raise ValueError(f"page_size must be within 1..{_MAX_PAGE}")
        self._state = state
        self._page_size = page_size
        self._countries = _territories()

    @property
    def state(self) -> TenantState:
        return self._state

    async def get_user(self, id_or_upn: str) -> DirectoryUser | None:
        if not id_or_upn.strip():
            return None
        user = self._state.find_user(id_or_upn)
        return _directory_user(user) if user is not None else None

    async def find_users(self, query: str, limit: int = 10) -> list[DirectoryUser]:
        prefix = query.strip().lower()
        if not prefix or limit <= 0:
            return []
        found = [u for u in self._state.users.values()
                 if any((value or "").lower().startswith(prefix) for value in (u.display_name, u.user_principal_name,
                                                                               u.mail))]
        return [_directory_user(u) for u in found[:limit]]

    async def group_member_ids(self, group_id: str) -> list[str]:
        return [m for m in self._members(group_id) if m in self._state.users]

    async def is_member_of(self, user_id: str, group_id: str) -> bool:
        user = self._state.find_user(user_id)
        if user is None:
            return False
        try:
            return user.id in self._members(group_id)
        except InvalidRequest:
            return False

    async def set_usage_location(self, user_id: str, country_code: str) -> None:
        code = country_code.strip().upper()
        if len(code) != 2 or not code.isalpha():
            raise InvalidRequest(f"usage location must be an ISO 3166 alpha-2 code, not {country_code!r}")
        user = self._user(user_id)
        if code not in self._countries:
            raise graph_bad_request("Invalid value specified for property 'usageLocation' of resource 'User'.")
        user.usage_location = code

    async def get_group_name(self, group_id: str) -> str | None:
        key = group_id.strip().lower()
        if key in self._state.groups:
            return self._state.groups[key].display_name or None
        if key in self._state.lists:  # distribution lists are groups in Entra too
            return self._state.lists[key].display_name or None
        return None

    async def manager_id(self, user_id: str) -> str | None:
        user = self._state.find_user(user_id) if user_id.strip() else None
        if user is None or user.manager_id not in self._state.users:
            return None
        return user.manager_id

    async def remove_group_member(self, group_id: str, user_id: str) -> MemberChange:
        if user_id.lower() not in {m.lower() for m in await self.group_member_ids(group_id)}:
            return MemberChange.NOT_PRESENT
        group = self._state.groups.get(group_id.strip().lower())
        if group is None:  # a distribution list: Graph refuses to change its members
            raise graph_bad_request("Cannot Update a mail-enabled security groups and or distribution list.")
        group.member_ids.remove(user_id.lower())
        user = self._state.users[user_id.lower()]
        # Its group-based licenses go with the membership.
        user.licenses = [state for state in user.licenses if state.group_id != group.id]
        return MemberChange.REMOVED

    # ------------------------------------------------------------------ DirectorySync
    async def users_delta(self, link: str | None = None) -> UserDeltaPage:
        state = self._state
        if link is None:
            return self._start_round(list(state.users.values()), [])
        kind, generation, token = _parse_link(link)
        if generation != state.delta_generation:
            if state.expired_generations.get(generation) == 410:
                raise DeltaTokenExpired("The delta token is no longer valid, and the app must reset the sync state.",
                                        code="resyncRequired", status=410)
            raise DeltaTokenExpired("The sync state generation is not found. The delta token is expired and data "
                                    "must be synchronized again.", code="syncStateNotFound", status=400)
        if kind == "delta" and token in state.delta_snapshots:
            before = state.delta_snapshots[token]
            changed = [u for u in state.users.values() if before.get(u.id) != u.delta_fields()]
            return self._start_round(changed, [i for i in before if i not in state.users])
        if kind == "skip" and token in state.delta_pages:
            return self._page(token)
        raise graph_bad_request(f"The {kind} token is not valid.")

    def _start_round(self, users: list[UserRecord], removed: list[str]) -> UserDeltaPage:
        state = self._state
        ids = [u.id for u in users]
        items = ids + [f"-{i}" for i in removed]  # "-" marks an "@removed" entry
        pages = [items[i:i + self._page_size] for i in range(0, len(items), self._page_size)] or [[]]
        # The round's end state, recorded now: the next round reports what changed after this moment.
        snapshot_token = str(len(state.delta_snapshots) + 1)
        state.delta_snapshots[snapshot_token] = {u.id: u.delta_fields() for u in state.users.values()}
        round_token = str(len(state.delta_pages) + 1)
        state.delta_pages[round_token] = (0, pages, snapshot_token)
        return self._page(round_token)

    def _page(self, round_token: str) -> UserDeltaPage:
        state = self._state
        index, pages, snapshot_token = state.delta_pages[round_token]
        items = pages[index]
        users = tuple(_user_state(state.users[i]) for i in items if not i.startswith("-") and i in state.users)
        removed = tuple(i[1:] for i in items if i.startswith("-"))
        if index + 1 < len(pages):
            next_token = str(len(state.delta_pages) + 1)
            state.delta_pages[next_token] = (index + 1, pages, snapshot_token)
            return UserDeltaPage(users, removed, _link("skip", state.delta_generation, next_token), None)
        return UserDeltaPage(users, removed, None, _link("delta", state.delta_generation, snapshot_token))

    async def accepted_domains(self) -> list[str]:
        return list(self._state.accepted_domains)

    # ------------------------------------------------------------------ helpers
    def _user(self, id_or_upn: str) -> UserRecord:
        user = self._state.find_user(id_or_upn)
        if user is None:
            raise graph_not_found(id_or_upn)
        return user

    def _members(self, group_id: str) -> list[str]:
        key = group_id.strip().lower()
        if key in self._state.groups:
            return self._state.groups[key].member_ids
        if key in self._state.lists:
            return self._state.lists[key].member_ids
        raise graph_not_found(group_id)


def _link(kind: str, generation: int, token: str) -> str:
    return f"{_LINK}kind={kind}&generation={generation}&token={token}"


def _parse_link(link: str) -> tuple[str, int, str]:
    if not link.startswith(_LINK):
        raise graph_bad_request("The delta token is not valid.")
    parts = dict(part.partition("=")[::2] for part in link[len(_LINK):].split("&"))
    try:
        return parts["kind"], int(parts["generation"]), parts["token"]
    except (KeyError, ValueError):
        raise graph_bad_request("The delta token is not valid.") from None


def _directory_user(user: UserRecord) -> DirectoryUser:
    return DirectoryUser(
        id=user.id, display_name=user.display_name, user_principal_name=user.user_principal_name, mail=user.mail,
        given_name=user.given_name, surname=user.surname, department=user.department, job_title=user.job_title,
        country=user.country, usage_location=user.usage_location, account_enabled=user.account_enabled,
        preferred_language=user.preferred_language)


def _user_state(user: UserRecord) -> UserState:
    # Every field is reported with its current value (present=None), which is what a delta item that carries them
    # all means; a manager no longer in the tenant reads as none.
    return UserState(id=user.id, display_name=user.display_name, user_principal_name=user.user_principal_name,
                     mail=user.mail, account_enabled=user.account_enabled, department=user.department,
                     manager_id=user.manager_id)
