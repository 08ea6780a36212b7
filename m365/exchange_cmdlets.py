"""The cmdlets the desk may send to Exchange Online, and which of them change the tenant (sent once, not retried)."""

from __future__ import annotations

from m365.errors import CmdletNotAllowed

# The cmdlets the desk may send. Anything else is refused before a token is even asked for, so a bug
# (or a crafted request) can never reach e.g. Remove-Mailbox unless it is listed here on purpose.
ALLOWED_CMDLETS: frozenset[str] = frozenset(
    {
        # distribution lists
        "Get-DistributionGroup",
        "New-DistributionGroup",
        "Set-DistributionGroup",
        "Remove-DistributionGroup",
        "Get-DistributionGroupMember",
        "Add-DistributionGroupMember",
        "Remove-DistributionGroupMember",
        "Update-DistributionGroupMember",
        # recipients and mailboxes
        "Get-Recipient",
        "Get-EXORecipient",
        "Get-User",
        "Get-Mailbox",
        "Get-EXOMailbox",
        "New-Mailbox",
        "Set-Mailbox",
        "Remove-Mailbox",
        # mailbox permissions (Full Access, Send As)
        "Get-MailboxPermission",
        "Add-MailboxPermission",
        "Remove-MailboxPermission",
        "Get-RecipientPermission",
        "Add-RecipientPermission",
        "Remove-RecipientPermission",
        # activity
        "Get-MailboxStatistics",
        "Get-EXOMailboxStatistics",
        "Get-MessageTraceV2",
    }
)


def allowed_cmdlet(cmdlet: str) -> str:
    """The cmdlet's canonical name, or CmdletNotAllowed when it is not on the allow-list."""
    for name in ALLOWED_CMDLETS:
        if name.lower() == cmdlet.lower():
            return name
    raise CmdletNotAllowed(f"cmdlet {cmdlet!r} is not on the desk's allow-list", code="CmdletNotAllowed")


def is_change(cmdlet: str) -> bool:
    """Whether the (canonical) cmdlet changes the tenant: every verb but Get. A change is sent at most once per job
    attempt, because a retry after a timeout or 5xx could apply it twice; the job runner owns its retries
    (handlers/jobs.py)."""
    return not cmdlet.startswith("Get-")
