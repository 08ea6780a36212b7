"""The Recipients port on Exchange Online's Get-Recipient: who holds an address, and what kind of object it is."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from m365.errors import M365Error, NotFound
from m365.exchange import ExchangeClient
from m365.ports import Recipient

RECIPIENT_FIELDS = (
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
        key = identity.strip()
        if not key:
            return None
        try:
            result = await self._client.invoke("Get-Recipient", {"Identity": key}, select=RECIPIENT_FIELDS)
        except NotFound:
            return None
        rows = result.values
        if "*" in key:
            # '*' is legal in an address but a wildcard to -Identity: only an exact holder counts.
            rows = [row for row in rows if key.lower() in _addresses(row)]
        return _to_recipient(rows[0]) if rows else None

    async def get_recipients(self, identities: Sequence[str]) -> list[Recipient | None]:
        """Many lookups through Exchange JSON batching (ten per request); one answer per identity, in order."""
        keys = [identity.strip() for identity in identities]
        wanted = [key for key in dict.fromkeys(keys) if key and "*" not in key]
        results = await self._client.invoke_batch([("Get-Recipient", {"Identity": key}) for key in wanted],
                                                  select=RECIPIENT_FIELDS) if wanted else []
        found: dict[str, Recipient | None] = {}
        for key, result in zip(wanted, results, strict=True):
            if isinstance(result, NotFound):
                found[key] = None
            elif isinstance(result, M365Error):
                raise result  # a lookup that failed is not "free": the caller must not decide on it
            else:
                found[key] = _to_recipient(result.values[0]) if result.values else None
        answers: list[Recipient | None] = []
        for key in keys:
            answers.append(found[key] if key in found else await self.get_recipient(key))
        return answers


def _addresses(row: dict[str, Any]) -> set[str]:
    proxies = row.get("EmailAddresses") or []
    values = [row.get("PrimarySmtpAddress"), *(proxies if isinstance(proxies, list) else [proxies])]
    return {str(v).split(":", 1)[-1].lower() for v in values if v}


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
