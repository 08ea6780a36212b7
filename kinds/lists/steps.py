"""The plan steps of the lists family: add and remove members (batched per list through Exchange JSON batching),
create a list, change its settings and owners, delete it — each applied idempotently through the lists port."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from kinds.steps import Cached, Outcome, Step, StepContext, Touched
from m365.errors import M365Error, NotFound
from m365.outcomes import StepOutcome
from m365.ports import DistributionLists, ListChanges, MemberChange, NewDistributionList


def _renamed_list_field(data: dict[str, Any], version: int) -> dict[str, Any]:
    """Format 1 called the list's display name "list"; the steps call it ``list_name`` now."""
    if version == 1 and "list" in data:
        data = {**data, "list_name": data["list"]}
        del data["list"]
    return data


@dataclass(frozen=True, slots=True)
class _MemberChange(Step):
    """One member in or out of one list. Many of them for one list go out as one batch (add_members/remove_members),
    where Exchange's "already a member" and "not a member" come back as ALREADY_DONE, so a re-run repeats nothing."""

    batchable: ClassVar[bool] = True
    # The change that means "done now"; anything else the port reports means "was already so".
    _done: ClassVar[MemberChange]

    list_id: str
    list_name: str
    member: str  # the member's address
    member_name: str
    member_id: str | None = None  # the person the request is about (an owner's change): it is in their requests

    def subjects(self) -> frozenset[str]:
        return frozenset({self.member_id}) if self.member_id else frozenset()

    def params(self) -> dict[str, str]:
        return {"list": self.list_name, "member": self.member, "member_name": self.member_name}

    def touches(self) -> tuple[Touched, ...]:
        return (Touched(Cached.LIST, self.list_id),)

    def label(self) -> str:
        return self.member

    def batch_key(self) -> Hashable:
        return (self.list_id, self.op)

    async def apply(self, context: StepContext) -> StepOutcome:
        change = await self._change(context.tenant.distribution_lists, self.list_id, self.member)
        return StepOutcome.DONE if change is self._done else StepOutcome.ALREADY_DONE

    @classmethod
    async def apply_batch(cls, context: StepContext, steps: Sequence[Self]) -> list[Outcome]:
        changes = await cls._change_many(
            context.tenant.distribution_lists, steps[0].list_id, [step.member for step in steps]
        )
        outcomes: list[Outcome] = []
        for change in changes:
            if isinstance(change, M365Error):
                outcomes.append(change)
            else:
                outcomes.append(StepOutcome.DONE if change is cls._done else StepOutcome.ALREADY_DONE)
        return outcomes

    @classmethod
    def upgrade(cls, data: dict[str, Any], version: int) -> dict[str, Any]:
        return _renamed_list_field(data, version)

    @staticmethod
    async def _change(lists: DistributionLists, list_id: str, member: str) -> MemberChange:
        raise NotImplementedError

    @staticmethod
    async def _change_many(
        lists: DistributionLists, list_id: str, members: list[str]
    ) -> list[MemberChange | M365Error]:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class MemberAddition(_MemberChange):
    op = "add_list_member"
    _done = MemberChange.ADDED

    @staticmethod
    async def _change(lists: DistributionLists, list_id: str, member: str) -> MemberChange:
        return await lists.add_member(list_id, member)

    @staticmethod
    async def _change_many(
        lists: DistributionLists, list_id: str, members: list[str]
    ) -> list[MemberChange | M365Error]:
        return await lists.add_members(list_id, members)


@dataclass(frozen=True, slots=True)
class MemberRemoval(_MemberChange):
    op = "remove_list_member"
    _done = MemberChange.REMOVED

    @staticmethod
    async def _change(lists: DistributionLists, list_id: str, member: str) -> MemberChange:
        return await lists.remove_member(list_id, member)

    @staticmethod
    async def _change_many(
        lists: DistributionLists, list_id: str, members: list[str]
    ) -> list[MemberChange | M365Error]:
        return await lists.remove_members(list_id, members)


@dataclass(frozen=True, slots=True)
class ListCreation(Step):
    """A new list with its owners, first members and settings, as the create form gave them."""

    op = "create_list"

    name: str
    alias: str
    address: str
    display_name: str
    description: str
    owners: tuple[str, ...]  # addresses
    members: tuple[str, ...]  # addresses
    join: str  # MemberJoinRestriction
    depart: str  # MemberDepartRestriction
    external: bool  # accepts mail from outside the organisation

    def params(self) -> dict[str, str]:
        return {"list": self.name, "address": self.address}

    def touches(self) -> tuple[Touched, ...]:
        return (Touched(Cached.LIST, self.address),)  # the new list has no id before it exists

    def label(self) -> str:
        return self.name

    async def apply(self, context: StepContext) -> StepOutcome:
        # A list already holding the address is the one this step made before a crash (the address was free when
        # the request was validated, and Exchange keeps addresses unique).
        lists = context.tenant.distribution_lists
        if await lists.get_list(self.address) is not None:
            return StepOutcome.ALREADY_DONE
        await lists.create_list(
            NewDistributionList(
                name=self.name,
                alias=self.alias,
                primary_smtp_address=self.address,
                display_name=self.display_name or self.name,
                owners=self.owners,
                members=self.members,
                description=self.description,
                member_join_restriction=self.join or "Closed",
                member_depart_restriction=self.depart or "Closed",
                accepts_external_senders=self.external,
            )
        )
        return StepOutcome.DONE

    @classmethod
    def upgrade(cls, data: dict[str, Any], version: int) -> dict[str, Any]:
        # Format 1 also carried "list", always the same as "name" (the step message's word for the list).
        if version == 1:
            data = {key: value for key, value in data.items() if key != "list"}
        return data


@dataclass(frozen=True, slots=True)
class ListUpdate(Step):
    """What an owner or admin changed on the modify form: only what differed from the list when it was filed
    (None and () = leave as it is)."""

    op = "update_list"

    list_id: str
    list_name: str
    display_name: str | None = None
    description: str | None = None
    add_owners: tuple[str, ...] = ()
    remove_owners: tuple[str, ...] = ()
    join: str | None = None
    depart: str | None = None
    external: bool | None = None

    @classmethod
    def of(cls, list_id: str, list_name: str, changes: ListChanges) -> ListUpdate:
        return cls(
            list_id=list_id,
            list_name=list_name,
            display_name=changes.display_name,
            description=changes.description,
            add_owners=changes.add_owners,
            remove_owners=changes.remove_owners,
            join=changes.member_join_restriction,
            depart=changes.member_depart_restriction,
            external=changes.accepts_external_senders,
        )

    def params(self) -> dict[str, str]:
        return {"list": self.list_name}

    def touches(self) -> tuple[Touched, ...]:
        return (Touched(Cached.LIST, self.list_id),)

    def label(self) -> str:
        return self.list_name

    async def apply(self, context: StepContext) -> StepOutcome:
        """Only what still differs is sent: a re-run after a crash finds the change in place and sends nothing."""
        lists = context.tenant.distribution_lists
        current = await lists.get_list(self.list_id)
        if current is None:
            raise NotFound(f"distribution list {self.list_name} no longer exists", code="NotFound")
        owners = {owner.casefold() for owner in current.managed_by}
        changes = ListChanges(
            display_name=_differs(self.display_name, current.display_name),
            description=_differs(self.description, current.description),
            add_owners=tuple(owner for owner in self.add_owners if owner.casefold() not in owners),
            remove_owners=tuple(owner for owner in self.remove_owners if owner.casefold() in owners),
            member_join_restriction=_differs(self.join, current.member_join_restriction),
            member_depart_restriction=_differs(self.depart, current.member_depart_restriction),
            accepts_external_senders=_differs(self.external, current.accepts_external_senders),
        )
        if changes.is_empty:
            return StepOutcome.ALREADY_DONE
        await lists.update_list(current.identity, changes)
        return StepOutcome.DONE

    @classmethod
    def upgrade(cls, data: dict[str, Any], version: int) -> dict[str, Any]:
        return _renamed_list_field(data, version)


def _differs(wanted: Any, current: Any) -> Any:
    return None if wanted is None or wanted == current else wanted


@dataclass(frozen=True, slots=True)
class ListDeletion(Step):
    op = "delete_list"

    list_id: str
    list_name: str
    address: str

    def params(self) -> dict[str, str]:
        return {"list": self.list_name, "address": self.address}

    def touches(self) -> tuple[Touched, ...]:
        return (Touched(Cached.LIST, self.list_id),)

    def label(self) -> str:
        return self.list_name

    async def apply(self, context: StepContext) -> StepOutcome:
        deleted = await context.tenant.distribution_lists.delete_list(self.list_id)
        return StepOutcome.DONE if deleted else StepOutcome.ALREADY_DONE

    @classmethod
    def upgrade(cls, data: dict[str, Any], version: int) -> dict[str, Any]:
        return _renamed_list_field(data, version)


STEPS: tuple[type[Step], ...] = (MemberAddition, MemberRemoval, ListCreation, ListUpdate, ListDeletion)
