"""The list or shared mailbox a desk-filed request is about, as the request's payload stores it, the step that
deletes it (a choice every desk-filed kind offers), and the base of the steps that keep it."""

from __future__ import annotations

from dataclasses import dataclass

from kinds.lists.steps import ListDeletion
from kinds.mailboxes.steps import DeleteMailbox
from kinds.steps import Step
from storage.models import Request

LIST, MAILBOX = "list", "mailbox"


@dataclass(frozen=True, slots=True)
class Resource:
    kind: str  # LIST | MAILBOX
    identity: str
    name: str
    address: str

    @classmethod
    def of(cls, request: Request) -> Resource:
        payload = request.payload
        return cls(payload["resource_kind"], payload["resource_id"], payload["resource_name"],
                   payload["resource_address"])

    @property
    def label(self) -> str:
        return f"{self.name} <{self.address}>"

    def payload(self) -> dict[str, str]:
        """Stored with the request when it is filed; ``of`` reads it back when a choice is made."""
        return {"resource_kind": self.kind, "resource_id": self.identity, "resource_name": self.name,
                "resource_address": self.address}

    def deletion(self) -> Step:
        if self.kind == LIST:
            return ListDeletion(list_id=self.identity, list_name=self.name, address=self.address)
        return DeleteMailbox(mailbox_id=self.identity, mailbox=self.name)


@dataclass(frozen=True, slots=True)
class KeepStep(Step):
    """A choice that keeps the resource: the desk records it (``apply``) and stops asking about it for a while or
    for good; named in the step's message by the resource's display name."""

    resource_kind: str  # LIST | MAILBOX
    identity: str
    name: str

    def params(self) -> dict[str, str]:
        return {"name": self.name}

    def label(self) -> str:
        return self.name
