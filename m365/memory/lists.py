"""The DistributionLists port in memory: lists, owners, members and settings, with Exchange's refusals (dir-synced
lists, taken addresses, the last owner) and its "already a member" / "not a member" answers."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Sequence
from datetime import datetime

from m365.errors import InvalidRequest, M365Error, NotFound
from m365.memory.errors import (
    address_in_use,
    argument,
    dir_synced,
    invalid_value,
    name_in_use,
    owner_required,
)
from m365.memory.recipients import resolve_list, resolve_recipient
from m365.memory.records import ListRecord, identity_key, whole_seconds
from m365.memory.seed import stable_id
from m365.memory.state import TenantState
from m365.ports import DistributionList, ListChanges, ListMember, MemberChange, NewDistributionList

NAME_LIMIT = 64
_ATOM = r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+"
_ALIAS = re.compile(rf"^{_ATOM}(\.{_ATOM})*$")
_SMTP = re.compile(r"^[^@\s\"<>(),;:\[\]]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_ADD, _REMOVE = "Add-DistributionGroupMember", "Remove-DistributionGroupMember"


class MemoryDistributionLists:
    """DistributionLists over a TenantState, answering as ExchangeDistributionLists does through the cmdlets."""

    def __init__(self, state: TenantState) -> None:
        self._state = state

    # ------------------------------------------------------------------ reads
    async def get_list(self, identity: str) -> DistributionList | None:
        found = await self.lists_named(identity)
        return found[0] if len(found) == 1 else None

    async def lists_named(self, name: str) -> list[DistributionList]:
        if not name.strip():
            return []
        return [_to_list(dl) for dl in self._state.lists_called(name)]

    async def find_lists(self, query: str, limit: int = 25) -> list[DistributionList]:
        if limit <= 0:
            return []
        prefix = query.strip().lower()
        found = [dl for dl in self._state.lists.values()
                 if any(v.lower().startswith(prefix) for v in (dl.name, dl.alias, dl.display_name,
                                                                 dl.primary_smtp_address))]
        return [_to_list(dl) for dl in found[:limit]]

    async def members(self, identity: str) -> list[ListMember]:
        dl = resolve_list(self._state, "Get-DistributionGroupMember", identity)
        users = [self._state.users[m] for m in dl.member_ids if m in self._state.users]
        return [ListMember(primary_smtp_address=u.mail or "", display_name=u.display_name,
                           external_directory_object_id=u.id, recipient_type=u.recipient_type) for u in users]

    async def all_lists(self, changed_since: datetime | None = None) -> list[DistributionList]:
        lists = list(self._state.lists.values())
        if changed_since is not None:
            # WhenChangedUTC -ge the cursor in whole seconds, as the adapter's -Filter asks.
            since = whole_seconds(changed_since)
            lists = [dl for dl in lists if dl.changed_at >= since]
        return [_to_list(dl) for dl in lists]

    async def list_ids(self) -> set[str]:
        return set(self._state.lists)

    # ------------------------------------------------------------------ lists
    async def create_list(self, new: NewDistributionList) -> DistributionList:
        if not new.owners:
            raise InvalidRequest("a distribution list needs at least one owner", code="OwnerRequired")
        state, cmdlet = self._state, "New-DistributionGroup"
        check_name(state, cmdlet, new.name)
        address = check_new_address(state, cmdlet, new.alias, new.primary_smtp_address)
        owners = list(dict.fromkeys(resolve_recipient(state, cmdlet, o).mail or o for o in new.owners))
        member_ids = list(dict.fromkeys(resolve_recipient(state, cmdlet, m).id for m in new.members))
        proxies = [] if address.lower() == f"{new.alias}@{state.initial_domain}" else [
            state.secondary_address(new.alias)]
        dl = ListRecord(
            id=stable_id("list", f"{address}:{len(state.lists)}:{state.now().isoformat()}"), name=new.name,
            display_name=new.display_name or new.name, alias=new.alias, primary_smtp_address=address,
            proxy_addresses=proxies, owners=owners, member_ids=member_ids,
            member_join_restriction=new.member_join_restriction,
            member_depart_restriction=new.member_depart_restriction, is_dir_synced=False,
            description=new.description, accepts_external_senders=new.accepts_external_senders,
            changed_at=state.now())
        state.lists[dl.id] = dl
        return _to_list(dl)

    async def update_list(self, identity: str, changes: ListChanges) -> None:
        if changes.is_empty:
            return
        cmdlet = "Set-DistributionGroup"
        dl = resolve_list(self._state, cmdlet, identity)
        if dl.is_dir_synced:
            raise dir_synced(cmdlet, "DisplayName" if changes.display_name is not None else "ManagedBy", dl.name)
        if changes.display_name is not None and not changes.display_name.strip():
            raise argument(cmdlet, "The DisplayName parameter can't be empty.")
        owners = self._changed_owners(dl, changes) if changes.add_owners or changes.remove_owners else dl.owners
        if changes.display_name is not None:
            dl.display_name = changes.display_name
        if changes.description is not None:
            dl.description = changes.description
        if changes.member_join_restriction is not None:
            dl.member_join_restriction = changes.member_join_restriction
        if changes.member_depart_restriction is not None:
            dl.member_depart_restriction = changes.member_depart_restriction
        if changes.accepts_external_senders is not None:
            dl.accepts_external_senders = changes.accepts_external_senders
        dl.owners = owners
        dl.changed_at = self._state.now()

    async def delete_list(self, identity: str) -> bool:
        try:
            dl = resolve_list(self._state, "Remove-DistributionGroup", identity)
        except NotFound:
            return False
        if dl.is_dir_synced:
            raise dir_synced("Remove-DistributionGroup", "Identity", dl.name)
        del self._state.lists[dl.id]
        return True

    async def replace_members(self, identity: str, members: Sequence[str]) -> None:
        cmdlet = "Update-DistributionGroupMember"
        dl = resolve_list(self._state, cmdlet, identity)
        ids = [resolve_recipient(self._state, cmdlet, m).id for m in members]
        if dl.is_dir_synced:
            raise dir_synced(cmdlet, "Members", dl.name)
        dl.member_ids = list(dict.fromkeys(ids))
        dl.changed_at = self._state.now()

    # ------------------------------------------------------------------ members
    async def add_member(self, identity: str, member: str) -> MemberChange:
        dl = resolve_list(self._state, _ADD, identity)
        user = resolve_recipient(self._state, _ADD, member)
        if dl.is_dir_synced:
            raise dir_synced(_ADD, "Members", dl.name)
        if user.id in dl.member_ids:
            return MemberChange.ALREADY_PRESENT
        dl.member_ids.append(user.id)
        dl.changed_at = self._state.now()
        return MemberChange.ADDED

    async def remove_member(self, identity: str, member: str) -> MemberChange:
        dl = resolve_list(self._state, _REMOVE, identity)
        found = self._state.recipients_called(member)
        if not found:
            return MemberChange.NOT_PRESENT  # someone who does not exist is in no list
        user = resolve_recipient(self._state, _REMOVE, member)
        if dl.is_dir_synced:
            raise dir_synced(_REMOVE, "Members", dl.name)
        if user.id not in dl.member_ids:
            return MemberChange.NOT_PRESENT
        dl.member_ids.remove(user.id)
        dl.changed_at = self._state.now()
        return MemberChange.REMOVED

    async def add_members(self, identity: str, members: Sequence[str]) -> list[MemberChange | M365Error]:
        return [await _outcome(self.add_member(identity, m)) for m in members]

    async def remove_members(self, identity: str, members: Sequence[str]) -> list[MemberChange | M365Error]:
        return [await _outcome(self.remove_member(identity, m)) for m in members]

    # ------------------------------------------------------------------ helpers
    def _changed_owners(self, dl: ListRecord, changes: ListChanges) -> list[str]:
        """-ManagedBy @{Add; Remove}: only the owners named change; a list is never left without one."""
        cmdlet = "Set-DistributionGroup"
        owners = list(dl.owners)
        for value in changes.remove_owners:
            found = self._state.recipients_called(value)
            address = (found[0].mail or value) if len(found) == 1 else value  # a gone owner is still named
            owners = [o for o in owners if o.lower() != address.lower()]
        for value in changes.add_owners:
            address = resolve_recipient(self._state, cmdlet, value).mail or value
            if address.lower() not in {o.lower() for o in owners}:
                owners.append(address)
        if not owners:
            raise owner_required(cmdlet, "You can't remove the last owner of the group. A group must have at least "
                                         "one owner.")
        return owners


async def _outcome(change: Awaitable[MemberChange]) -> MemberChange | M365Error:
    """One member's outcome as the batched cmdlets report it: the change, or its error as a value."""
    try:
        return await change
    except M365Error as exc:
        return exc


def check_name(state: TenantState, cmdlet: str, name: str) -> None:
    """A new recipient's Name: given, at most 64 characters, used by no list or mailbox."""
    if not name.strip():
        raise argument(cmdlet, "The Name parameter can't be empty.")
    if len(name) > NAME_LIMIT:
        raise argument(cmdlet, f"Cannot validate argument on parameter 'Name'. The length of the argument is too "
                               f'long. Shorten the length of the argument to less than or equal to "{NAME_LIMIT}" '
                               "and then try the command again.")
    key = identity_key(name)
    if any(dl.name.lower() == key for dl in state.lists.values()) or any(
            u.recipient_name.lower() == key for u in state.mail_users()):
        raise name_in_use(cmdlet, name)


def check_new_address(state: TenantState, cmdlet: str, alias: str, address: str) -> str:
    """A valid alias and a free primary address in an accepted domain, or Exchange's error."""
    if len(alias) > NAME_LIMIT or not _ALIAS.match(alias):
        raise invalid_value(cmdlet, f'Property expression "{alias}" isn\'t valid.')
    address = (address or f"{alias}@{state.domain}").strip()
    if not _SMTP.match(address) or not _ALIAS.match(address.rsplit("@", 1)[0]):
        raise invalid_value(cmdlet, f'The email address "{address}" isn\'t correct.')
    domain = address.rsplit("@", 1)[1].lower()
    if domain not in state.accepted_domains:
        raise invalid_value(cmdlet, f'The domain "{domain}" of the email address "{address}" isn\'t an accepted '
                                    "domain for your organization.")
    holder = state.address_holder(address)
    if holder is not None:
        raise address_in_use(cmdlet, address, holder)
    return address


def _to_list(dl: ListRecord) -> DistributionList:
    return DistributionList(
        identity=dl.id, name=dl.name, display_name=dl.display_name, primary_smtp_address=dl.primary_smtp_address,
        alias=dl.alias, managed_by=tuple(dl.owners), member_join_restriction=dl.member_join_restriction,
        member_depart_restriction=dl.member_depart_restriction, is_dir_synced=dl.is_dir_synced,
        description=dl.description, accepts_external_senders=dl.accepts_external_senders, changed_at=dl.changed_at)
