"""The Recipients port on Exchange Online's Get-Recipient: who holds an address, and what kind of object it is."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from m365.errors import M365Error, NotFound
from m365.exchange import ExchangeClient
from m365.exchange_names import exact_name_filter, exact_rows, is_object_id
from m365.ports import Recipient

# Characters Exchange may read as a pattern in an -Identity (it documents "*"; the rest are refused to be safe).
_WILDCARD = re.compile(r"[*?%\[\]]")
RECIPIENT_FIELDS = (
    "Name",
    "Alias",
    "Guid",
    "PrimarySmtpAddress",
    "DisplayName",
    "RecipientType",
    "RecipientTypeDetails",
    "ExternalDirectoryObjectId",
    "EmailAddresses",
    "IsDirSynced",
)


class ExchangeRecipients:
    """Recipients through Get-Recipient -Identity (address, proxy address, name or object id)."""

    def __init__(self, client: ExchangeClient) -> None:
        self._client = client

    async def get_recipient(self, identity: str) -> Recipient | None:
        """The one recipient called exactly ``identity`` (an address, id, alias, Name or display name, any case);
        None when nobody or several are. "*" is legal in an address but a wildcard to -Identity, so a name goes into
        an -Filter as a quoted literal and only an exact holder counts."""
        key = identity.strip()
        if not key:
            return None
        parameters: dict[str, object] = (
            {"Identity": key} if is_object_id(key) else {"Filter": exact_name_filter(key), "ResultSize": "Unlimited"}
        )
        try:
            result = await self._client.invoke("Get-Recipient", parameters, select=RECIPIENT_FIELDS)
        except NotFound:
            return None
        rows = exact_rows(result.values, key)
        return _to_recipient(rows[0]) if len(rows) == 1 else None

    async def get_recipients(self, identities: Sequence[str]) -> list[Recipient | None]:
        """Many lookups through Exchange JSON batching (ten per request); one answer per identity, in order.

        Addresses without a wildcard character go by -Identity (exact for them); anything else by get_recipient.
        """
        keys = [identity.strip() for identity in identities]
        wanted = [key for key in dict.fromkeys(keys) if "@" in key and not _WILDCARD.search(key)]
        results = await self._client.invoke_batch([("Get-Recipient", {"Identity": key}) for key in wanted],
                                                  select=RECIPIENT_FIELDS) if wanted else []
        found: dict[str, Recipient | None] = {}
        for key, result in zip(wanted, results, strict=True):
            if isinstance(result, NotFound):
                found[key] = None
            elif isinstance(result, M365Error):
                raise result  # a lookup that failed is not "free": the caller must not decide on it
            else:
                rows = exact_rows(result.values, key)
                found[key] = _to_recipient(rows[0]) if len(rows) == 1 else None
        answers: list[Recipient | None] = []
        for key in keys:
            answers.append(found[key] if key in found else await self.get_recipient(key))
        return answers


def _to_recipient(row: dict[str, Any]) -> Recipient:
    external_id = row.get("ExternalDirectoryObjectId")
    dir_synced = row.get("IsDirSynced")
    return Recipient(
        primary_smtp_address=str(row.get("PrimarySmtpAddress") or ""),
        display_name=str(row.get("DisplayName") or ""),
        recipient_type_details=str(row.get("RecipientTypeDetails") or row.get("RecipientType") or ""),
        external_directory_object_id=str(external_id) if external_id else None,
        is_dir_synced=dir_synced.strip().lower() == "true" if isinstance(dir_synced, str) else bool(dir_synced),
    )
