"""The Recipients port in memory, and how Exchange resolves the identity a cmdlet names (the other Exchange ports
resolve through here too): exact keys only, any case; "*" is a character, never a wildcard."""

from __future__ import annotations

from collections.abc import Sequence

from m365.memory.errors import ambiguous, argument_not_found, object_not_found
from m365.memory.records import DISTRIBUTION_LIST, ListRecord, UserRecord
from m365.memory.state import TenantState
from m365.ports import Recipient


def resolve_recipient(state: TenantState, cmdlet: str, identity: str) -> UserRecord:
    """The one mailbox a -Member/-User/-Trustee/-ManagedBy value names (users without mail are no recipients)."""
    found = state.recipients_called(identity)
    if not found:
        raise argument_not_found(cmdlet, identity)
    if len(found) > 1:
        raise ambiguous(cmdlet, identity)
    return found[0]


def resolve_list(state: TenantState, cmdlet: str, identity: str) -> ListRecord:
    """The one distribution list an -Identity names, as a cmdlet that reads or changes one list needs it."""
    found = state.lists_called(identity)
    if not found:
        raise object_not_found(cmdlet, identity)
    if len(found) > 1:
        raise ambiguous(cmdlet, identity)
    return found[0]


def resolve_mailbox(state: TenantState, cmdlet: str, identity: str) -> UserRecord:
    """The one mailbox (a person's or shared) an -Identity names."""
    found = state.recipients_called(identity)
    if not found:
        raise object_not_found(cmdlet, identity)
    if len(found) > 1:
        raise ambiguous(cmdlet, identity)
    return found[0]


class MemoryRecipients:
    """Recipients over a TenantState, answering as ExchangeRecipients does through Get-Recipient."""

    def __init__(self, state: TenantState) -> None:
        self._state = state

    async def get_recipient(self, identity: str) -> Recipient | None:
        if not identity.strip():
            return None
        users = self._state.recipients_called(identity)
        lists = self._state.lists_called(identity)
        if len(users) + len(lists) != 1:
            return None  # nobody, or several: a name that does not pick one holder
        return user_recipient(users[0]) if users else list_recipient(lists[0])

    async def get_recipients(self, identities: Sequence[str]) -> list[Recipient | None]:
        return [await self.get_recipient(identity) for identity in identities]


def user_recipient(user: UserRecord) -> Recipient:
    return Recipient(primary_smtp_address=user.mail or "", display_name=user.display_name,
                     recipient_type_details=user.recipient_type, external_directory_object_id=user.id,
                     is_dir_synced=user.is_dir_synced)


def list_recipient(dl: ListRecord) -> Recipient:
    return Recipient(primary_smtp_address=dl.primary_smtp_address, display_name=dl.display_name,
                     recipient_type_details=DISTRIBUTION_LIST, external_directory_object_id=dl.id,
                     is_dir_synced=dl.is_dir_synced)
