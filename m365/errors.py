"""Typed errors the m365 ports raise, so callers never parse HTTP bodies or cmdlet strings."""

from __future__ import annotations


class M365Error(Exception):
    """Any failure reported by Graph or Exchange; ``code`` is the service's own error code."""

    def __init__(self, message: str, *, code: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


class TransientError(M365Error):
    """Worth retrying later: throttling (429), 5xx, timeouts, connection resets."""

    def __init__(
        self, message: str, *, code: str = "", status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, code=code, status=status)
        self.retry_after = retry_after


class Throttled(TransientError):
    """429 Too Many Requests; ``retry_after`` carries the service's Retry-After in seconds."""


class NotFound(M365Error):
    """The user, group, list or mailbox does not exist."""


class PermissionDenied(M365Error):
    """401/403: the app lacks a permission or an Exchange role."""


class InvalidRequest(M365Error):
    """400 that no retry can fix; ``code`` tells which (e.g. Request_BadRequest)."""


class UsageLocationMissing(InvalidRequest):
    """assignLicense refused because the user has no usage location."""


class NoFreeSeats(InvalidRequest):
    """assignLicense refused because the SKU has no free units (CountViolation)."""


class GroupAssignedLicense(InvalidRequest):
    """A license inherited from a group cannot be removed from the user directly."""


class ExchangeCmdletError(M365Error):
    """A cmdlet failed; ``exception_type`` is Exchange's exception class name (e.g. ...MemberAlreadyExistsException)."""

    def __init__(
        self, message: str, *, exception_type: str = "", error_id: str = "", code: str = "", status: int | None = None
    ) -> None:
        super().__init__(message, code=code, status=status)
        self.exception_type = exception_type
        self.error_id = error_id


class CmdletNotAllowed(M365Error):
    """The desk refuses to send a cmdlet outside its allow-list (a programming error, never retried)."""


class ExchangeNotFound(NotFound, ExchangeCmdletError):
    """A cmdlet's ManagementObjectNotFoundException: both a NotFound and an ExchangeCmdletError."""


class AddressInUse(InvalidRequest, ExchangeCmdletError):
    """The proxy address is already used by another recipient (New-DistributionGroup / New-Mailbox / Set-*)."""


class DirSynced(InvalidRequest, ExchangeCmdletError):
    """The object is synchronised from on-premises; Exchange Online refuses to change it."""


class DeltaTokenExpired(M365Error):
    """A stored delta/next link is no longer valid (syncStateNotFound, resyncRequired, 410 Gone): start a full
    round again from no link."""
