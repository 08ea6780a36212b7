"""Plan steps on shared mailboxes (create, delete, grant, revoke), applied idempotently through the Mailboxes port."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from m365.errors import InvalidRequest, NotFound
from m365.outcomes import StepOutcome
from m365.ports import Access, Mailboxes, MemberChange, NewSharedMailbox, Tenant

CREATE_OP = "create_shared_mailbox"
DELETE_OP = "delete_mailbox"
GRANT_OP = "grant_mailbox_access"
REVOKE_OP = "revoke_mailbox_access"
MAILBOX_OPS: frozenset[str] = frozenset({CREATE_OP, DELETE_OP, GRANT_OP, REVOKE_OP})


async def apply_mailbox_step(tenant: Tenant, step: Mapping[str, Any]) -> StepOutcome:
    """Each op reads (or lets Exchange tell) whether the change is in place, so a re-run after a crash is a no-op."""
    mailboxes = _port(tenant)
    op = step.get("op")
    if op == CREATE_OP:
        # Read first: a shared mailbox holding the address is the one an earlier run created.
        if await mailboxes.get_mailbox(step["address"]) is not None:
            return StepOutcome.ALREADY_DONE
        await mailboxes.create_shared(
            NewSharedMailbox(
                name=step["name"],
                alias=step["alias"],
                primary_smtp_address=step["address"],
                display_name=step.get("display_name") or step["name"],
            )
        )
        return StepOutcome.DONE
    if op == DELETE_OP:
        if await mailboxes.get_mailbox(step["mailbox_id"]) is None:
            return StepOutcome.ALREADY_DONE
        return StepOutcome.DONE if await mailboxes.delete_mailbox(step["mailbox_id"]) else StepOutcome.ALREADY_DONE
    if op == GRANT_OP:
        auto_mapping = bool(step.get("auto_mapping", True))
        right = Access(step["right"])
        change = await mailboxes.grant(step["mailbox_id"], right, step["address"], auto_mapping=auto_mapping)
        return StepOutcome.ALREADY_DONE if change is MemberChange.ALREADY_PRESENT else StepOutcome.DONE
    if op == REVOKE_OP:
        try:
            change = await mailboxes.revoke(step["mailbox_id"], Access(step["right"]), step["address"])
        except NotFound:
            return StepOutcome.ALREADY_DONE  # the mailbox (or the person) is gone: nothing left to take away
        return StepOutcome.ALREADY_DONE if change is MemberChange.NOT_PRESENT else StepOutcome.DONE
    raise InvalidRequest(f"unknown mailbox step {op!r}")


def _port(tenant: Tenant) -> Mailboxes:
    if tenant.mailboxes is None:
        raise InvalidRequest("this desk has no Exchange mailboxes connection", code="NoMailboxesPort")
    return tenant.mailboxes
