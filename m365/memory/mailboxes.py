"""The Mailboxes port in memory: shared mailboxes and their Full Access, Send As and Send on Behalf delegates, with
Exchange's refusals (dir-synced mailboxes, taken addresses) and its idempotent answers."""

from __future__ import annotations

from datetime import datetime

from m365.errors import NotFound
from m365.memory.errors import dir_synced
from m365.memory.lists import check_name, check_new_address
from m365.memory.recipients import resolve_mailbox, resolve_recipient
from m365.memory.records import UserRecord, whole_seconds
from m365.memory.state import TenantState
from m365.ports import Access, MailboxDelegate, MemberChange, NewSharedMailbox, SharedMailbox

# The cmdlet each access goes through, for the texts of errors.
_GRANT = {Access.FULL_ACCESS: ("Add-MailboxPermission", "User"),
          Access.SEND_AS: ("Add-RecipientPermission", "Trustee"),
          Access.SEND_ON_BEHALF: ("Set-Mailbox", "GrantSendOnBehalfTo")}
_REVOKE = {Access.FULL_ACCESS: ("Remove-MailboxPermission", "User"),
           Access.SEND_AS: ("Remove-RecipientPermission", "Trustee"),
           Access.SEND_ON_BEHALF: ("Set-Mailbox", "GrantSendOnBehalfTo")}


class MemoryMailboxes:
    """Mailboxes over a TenantState, answering as ExchangeMailboxes does through the cmdlets."""

    def __init__(self, state: TenantState) -> None:
        self._state = state

    # ------------------------------------------------------------------ reads
    async def get_mailbox(self, identity: str) -> SharedMailbox | None:
        found = await self.mailboxes_named(identity)
        return found[0] if len(found) == 1 else None

    async def mailboxes_named(self, name: str) -> list[SharedMailbox]:
        if not name.strip():
            return []
        return [_to_mailbox(u) for u in self._state.recipients_called(name) if u.shared is not None]

    async def find_mailboxes(self, query: str, limit: int = 25) -> list[SharedMailbox]:
        if limit <= 0:
            return []
        prefix = query.strip().lower()
        found = [u for u in self._shared()
                 if any((v or "").lower().startswith(prefix)
                        for v in (u.recipient_name, u.alias, u.display_name, u.mail, u.given_name, u.surname))]
        return [_to_mailbox(u) for u in found[:limit]]

    async def all_shared_mailboxes(self, changed_since: datetime | None = None) -> list[SharedMailbox]:
        mailboxes = self._shared()
        if changed_since is not None:
            since = whole_seconds(changed_since)
            mailboxes = [u for u in mailboxes if u.shared is not None and u.shared.changed_at >= since]
        return [_to_mailbox(u) for u in mailboxes]

    async def mailbox_ids(self) -> set[str]:
        return {u.id for u in self._shared()}

    async def delegates(self, identity: str) -> list[MailboxDelegate]:
        mailbox = resolve_mailbox(self._state, "Get-MailboxPermission", identity)
        if mailbox.shared is None:
            return []  # nobody holds anything on a person's own mailbox in this tenant
        holders = ([(Access.FULL_ACCESS, user_id) for user_id, _ in mailbox.shared.full_access]
                   + [(Access.SEND_AS, user_id) for user_id in mailbox.shared.send_as]
                   + [(Access.SEND_ON_BEHALF, user_id) for user_id in mailbox.shared.send_on_behalf])
        delegates = []
        for access, user_id in dict.fromkeys(holders):
            holder = self._state.users.get(user_id)
            if holder is None:
                continue  # a deleted account's entry names nobody
            # Exchange does not report AutoMapping on a read (it lives on the holder's account).
            delegates.append(MailboxDelegate(access=access, primary_smtp_address=holder.mail or "",
                                             display_name=holder.display_name, external_directory_object_id=holder.id,
                                             auto_mapping=None))
        return delegates

    # ------------------------------------------------------------------ changes
    async def create_shared(self, new: NewSharedMailbox) -> SharedMailbox:
        state, cmdlet = self._state, "New-Mailbox"
        check_name(state, cmdlet, new.name)
        address = check_new_address(state, cmdlet, new.alias, new.primary_smtp_address)
        record = state.add_shared_mailbox(new.name, new.display_name or new.name, new.alias, address)
        return _to_mailbox(record)

    async def delete_mailbox(self, identity: str) -> bool:
        mailbox = await self.get_mailbox(identity)
        if mailbox is None:
            return False  # never a person's own mailbox
        if mailbox.is_dir_synced:
            raise dir_synced("Remove-Mailbox", "Identity", mailbox.name)
        # Its Entra user goes, and with it the delegations it held elsewhere.
        self._state.delete_user(mailbox.identity)
        return True

    async def grant(self, identity: str, access: Access, user: str, *, auto_mapping: bool = True) -> MemberChange:
        cmdlet, parameter = _GRANT[access]
        mailbox = resolve_mailbox(self._state, cmdlet, identity)
        if access is Access.SEND_ON_BEHALF:  # Set-Mailbox checks the mailbox before it reads the hashtable
            self._check_writable(mailbox, cmdlet, parameter)
        holder = resolve_recipient(self._state, cmdlet, user)
        self._check_writable(mailbox, cmdlet, parameter)
        shared = mailbox.shared
        if shared is None:
            # Delegations on a person's own mailbox are not modelled: the desk only delegates shared ones.
            raise NotFound(f"{cmdlet}: '{identity}' is not a shared mailbox")
        if access is Access.FULL_ACCESS:
            if any(user_id == holder.id for user_id, _ in shared.full_access):
                return MemberChange.ALREADY_PRESENT
            shared.full_access.append((holder.id, auto_mapping))
        else:
            holders = shared.send_as if access is Access.SEND_AS else shared.send_on_behalf
            if holder.id in holders:
                return MemberChange.ALREADY_PRESENT
            holders.append(holder.id)
        shared.changed_at = self._state.now()
        return MemberChange.ADDED

    async def revoke(self, identity: str, access: Access, user: str) -> MemberChange:
        cmdlet, parameter = _REVOKE[access]
        mailbox = resolve_mailbox(self._state, cmdlet, identity)
        if access is Access.SEND_ON_BEHALF:
            self._check_writable(mailbox, cmdlet, parameter)
        found = self._state.recipients_called(user)
        if not found:
            return MemberChange.NOT_PRESENT  # someone who does not exist holds nothing
        holder = resolve_recipient(self._state, cmdlet, user)
        self._check_writable(mailbox, cmdlet, parameter)
        shared = mailbox.shared
        if shared is None:
            return MemberChange.NOT_PRESENT
        if access is Access.FULL_ACCESS:
            kept = [(user_id, auto) for user_id, auto in shared.full_access if user_id != holder.id]
            if len(kept) == len(shared.full_access):
                return MemberChange.NOT_PRESENT
            shared.full_access = kept
        else:
            holders = shared.send_as if access is Access.SEND_AS else shared.send_on_behalf
            if holder.id not in holders:
                return MemberChange.NOT_PRESENT
            holders.remove(holder.id)
        shared.changed_at = self._state.now()
        return MemberChange.REMOVED

    # ------------------------------------------------------------------ helpers
    def _shared(self) -> list[UserRecord]:
        return [u for u in self._state.mail_users() if u.shared is not None]

    @staticmethod
    def _check_writable(mailbox: UserRecord, cmdlet: str, parameter: str) -> None:
        if mailbox.is_dir_synced:
            raise dir_synced(cmdlet, parameter, mailbox.recipient_name)


def _to_mailbox(user: UserRecord) -> SharedMailbox:
    return SharedMailbox(identity=user.id, name=user.recipient_name, display_name=user.display_name,
                         alias=user.alias, primary_smtp_address=user.mail or "", is_dir_synced=user.is_dir_synced,
                         changed_at=user.shared.changed_at if user.shared is not None else None)
