"""The Exchange plan steps of the mailboxes family: create and delete a shared mailbox, grant and revoke a delegation
(Full Access, Send As, Send on Behalf), each applied idempotently through the Mailboxes port."""

from __future__ import annotations

from dataclasses import dataclass

from kinds.steps import Cached, Step, StepContext, Touched
from m365.errors import InvalidRequest, NotFound
from m365.outcomes import StepOutcome
from m365.ports import Access, Mailboxes, MemberChange, NewSharedMailbox, Tenant


def mailboxes_port(tenant: Tenant) -> Mailboxes:
    if tenant.mailboxes is None:
        raise InvalidRequest("this desk has no Exchange mailboxes connection", code="NoMailboxesPort")
    return tenant.mailboxes


@dataclass(frozen=True, slots=True)
class CreateSharedMailbox(Step):
    """A new shared mailbox with the alias and address validated when the request was filed."""

    op = "create_shared_mailbox"

    name: str
    alias: str
    address: str  # the new mailbox's primary SMTP address: how the later steps of the plan find it
    mailbox: str  # its display name, as shown to the approver
    display_name: str = ""  # Exchange's DisplayName; empty means the same as name

    def params(self) -> dict[str, str]:
        return {"mailbox": self.mailbox}

    def touches(self) -> tuple[Touched, ...]:
        return (Touched(Cached.MAILBOX, self.address),)

    def label(self) -> str:
        return self.mailbox

    async def apply(self, context: StepContext) -> StepOutcome:
        mailboxes = mailboxes_port(context.tenant)
        # Read first: a shared mailbox holding the address is the one an earlier run created (the address was
        # free when the request was validated, and Exchange keeps addresses unique).
        if await mailboxes.get_mailbox(self.address) is not None:
            return StepOutcome.ALREADY_DONE
        await mailboxes.create_shared(
            NewSharedMailbox(
                name=self.name,
                alias=self.alias,
                primary_smtp_address=self.address,
                display_name=self.display_name or self.name,
            )
        )
        return StepOutcome.DONE


@dataclass(frozen=True, slots=True)
class DeleteMailbox(Step):
    op = "delete_mailbox"

    mailbox_id: str  # Exchange's identity of the mailbox
    mailbox: str  # its display name

    def params(self) -> dict[str, str]:
        return {"mailbox": self.mailbox}

    def touches(self) -> tuple[Touched, ...]:
        return (Touched(Cached.MAILBOX, self.mailbox_id),)

    def label(self) -> str:
        return self.mailbox

    async def apply(self, context: StepContext) -> StepOutcome:
        mailboxes = mailboxes_port(context.tenant)
        if await mailboxes.get_mailbox(self.mailbox_id) is None:
            return StepOutcome.ALREADY_DONE
        return StepOutcome.DONE if await mailboxes.delete_mailbox(self.mailbox_id) else StepOutcome.ALREADY_DONE


@dataclass(frozen=True, slots=True)
class GrantMailboxAccess(Step):
    """One person gets one delegation on a mailbox."""

    op = "grant_mailbox_access"

    mailbox_id: str
    mailbox: str  # the mailbox's display name
    access: str  # Exchange's name of the delegation ("Full Access"), for the step's message
    right: str  # the delegation, an m365.ports.Access value
    user: str  # the person's display name
    user_id: str  # the person's Entra object id
    address: str  # the person's mail address: what Exchange is given
    auto_mapping: bool = True  # Full Access only: Outlook opens the mailbox by itself

    def subjects(self) -> frozenset[str]:
        return frozenset({self.user_id}) if self.user_id else frozenset()

    def params(self) -> dict[str, str]:
        return {"user": self.user, "access": self.access, "mailbox": self.mailbox}

    def touches(self) -> tuple[Touched, ...]:
        return (Touched(Cached.MAILBOX, self.mailbox_id),)

    def label(self) -> str:
        return self.user

    async def apply(self, context: StepContext) -> StepOutcome:
        # The port reads the delegates first: holding the delegation already is done.
        change = await mailboxes_port(context.tenant).grant(
            self.mailbox_id, Access(self.right), self.address, auto_mapping=self.auto_mapping
        )
        return StepOutcome.ALREADY_DONE if change is MemberChange.ALREADY_PRESENT else StepOutcome.DONE


@dataclass(frozen=True, slots=True)
class RevokeMailboxAccess(Step):
    """One holder loses one delegation on a mailbox."""

    op = "revoke_mailbox_access"

    mailbox_id: str
    mailbox: str
    access: str  # Exchange's name of the delegation, for the step's message
    right: str  # an m365.ports.Access value
    user: str  # the holder's display name
    user_id: str | None  # the holder's Entra object id; Exchange does not name one for every delegate
    address: str  # the holder's address, as Exchange lists the delegation

    def subjects(self) -> frozenset[str]:
        return frozenset({self.user_id}) if self.user_id else frozenset()

    def params(self) -> dict[str, str]:
        return {"user": self.user, "access": self.access, "mailbox": self.mailbox}

    def touches(self) -> tuple[Touched, ...]:
        return (Touched(Cached.MAILBOX, self.mailbox_id),)

    def label(self) -> str:
        return self.user

    async def apply(self, context: StepContext) -> StepOutcome:
        try:
            change = await mailboxes_port(context.tenant).revoke(self.mailbox_id, Access(self.right), self.address)
        except NotFound:
            return StepOutcome.ALREADY_DONE  # the mailbox (or the person) is gone: nothing left to take away
        return StepOutcome.ALREADY_DONE if change is MemberChange.NOT_PRESENT else StepOutcome.DONE
