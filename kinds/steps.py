"""Plan steps: the typed changes a request makes, their stored JSON form (versioned) and the table that reads them.

A request's plan is stored as a JSON list of step objects, each ``{"op": <type>, "v": <format>, ...fields}``.
Format 1 is what the desk wrote before steps were typed (plain dicts without "v"); a step type reads an older
format through its ``upgrade`` hook, so the plans of requests filed by an older desk still load and run.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Self

from m365.errors import InvalidRequest, M365Error
from m365.outcomes import StepOutcome
from m365.ports import Tenant

if TYPE_CHECKING:
    from storage.uow import UnitOfWorkFactory

# The format every step is written in now; bump it (and give the changed types an ``upgrade``) when fields change.
STEP_FORMAT = 2


class UnknownStep(InvalidRequest):
    """A stored plan holds a step type this version of the desk does not know."""


class Cached(enum.StrEnum):
    """The directory-cache objects a step can change, re-read right after the plan ran (F7 "visible at once")."""

    LIST = "list"
    MAILBOX = "mailbox"


@dataclass(frozen=True, slots=True)
class Touched:
    cached: Cached
    identity: str


@dataclass(frozen=True, slots=True)
class StepContext:
    """What applying a step may use: the tenant's ports and, for the desk's own records, storage."""

    tenant: Tenant
    uow: UnitOfWorkFactory
    request_id: int
    clock: Callable[[], datetime]


Outcome = StepOutcome | M365Error  # a permanent refusal is an outcome; a TransientError is raised


@dataclass(frozen=True, slots=True)
class Step:
    """One change. Subclasses are frozen dataclasses of plain values (str, int, bool, tuples of str) that name
    their type in ``op``, carry the human labels their message needs, and apply themselves idempotently: each
    reads before it writes, so a re-run after a crash finds the change in place and reports ALREADY_DONE."""

    op: ClassVar[str]
    # Steps of a type with a batch (license assignments, list members) go out many at once when a plan has
    # several; such a plan runs its steps independently (one person's refusal never stops the others).
    batchable: ClassVar[bool] = False

    def subjects(self) -> frozenset[str]:
        """The people this step changes (Entra object ids): they never approve the request."""
        return frozenset()

    def params(self) -> dict[str, str]:
        """The words the step's message (``step.<op>``) needs."""
        return {}

    def touches(self) -> tuple[Touched, ...]:
        """The cached lists and mailboxes this step changes."""
        return ()

    def label(self) -> str:
        """Who or what the step is about, for a failure summary."""
        return ""

    async def apply(self, context: StepContext) -> StepOutcome:
        raise NotImplementedError

    def batch_key(self) -> Hashable:
        """Steps with equal keys can go out in one batch (only read for batchable types).

        The batch is already per step type (kinds.apply keys by type and this key), so by default every step of a
        type shares one batch; a type narrows that by returning what must match, as lists' steps do.
        """
        return ()

    @classmethod
    async def apply_batch(cls, context: StepContext, steps: Sequence[Self]) -> list[Outcome]:
        """Several steps of this type with one batch key; one outcome per step, in order (kinds.apply says what
        outcomes mean). A TransientError raised means none of them is known to be done."""
        outcomes: list[Outcome] = []
        for step in steps:
            try:
                outcomes.append(await step.apply(context))
            except M365Error as error:
                outcomes.append(error)
        return outcomes

    @classmethod
    def upgrade(cls, data: dict[str, Any], version: int) -> dict[str, Any]:
        """``data`` in the current format, from the stored ``version``; format 1 had the same fields by default."""
        return data

    def dump(self) -> dict[str, Any]:
        values: dict[str, Any] = {"op": self.op, "v": STEP_FORMAT}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            values[field.name] = list(value) if isinstance(value, tuple) else value
        return values


class StepTable:
    """The step types the registered kinds use, by ``op``: reads stored plans into typed steps."""

    def __init__(self, step_types: Iterable[type[Step]]) -> None:
        self._types: dict[str, type[Step]] = {}
        for step_type in step_types:
            known = self._types.get(step_type.op)
            if known is not None and known is not step_type:
                raise ValueError(f"two step types claim op {step_type.op!r}: {known.__name__}, {step_type.__name__}")
            self._types[step_type.op] = step_type

    @property
    def types(self) -> tuple[type[Step], ...]:
        return tuple(self._types.values())

    def load(self, data: Mapping[str, Any]) -> Step:
        op = data.get("op")
        step_type = self._types.get(op) if isinstance(op, str) else None
        if step_type is None:
            raise UnknownStep(f"unknown plan step {op!r}", code="UnknownStep")
        version = data.get("v", 1)
        values = {key: value for key, value in data.items() if key not in ("op", "v")}
        if version != STEP_FORMAT:
            values = step_type.upgrade(values, version)
        return _construct(step_type, values)

    def load_plan(self, plan: Sequence[Mapping[str, Any]]) -> tuple[Step, ...]:
        return tuple(self.load(step) for step in plan)


def dump_plan(steps: Sequence[Step]) -> list[dict[str, Any]]:
    return [step.dump() for step in steps]


def plan_subjects(steps: Iterable[Step]) -> set[str]:
    return {subject for step in steps for subject in step.subjects()}


def changes_person(steps: Iterable[Step], user_id: str) -> bool:
    """Whether the plan changes this person (ids compared as Entra compares them, without case)."""
    return user_id.casefold() in {subject.casefold() for subject in plan_subjects(steps)}


def _construct(step_type: type[Step], values: dict[str, Any]) -> Step:
    hints = typing.get_type_hints(step_type)
    known = {field.name: field for field in dataclasses.fields(step_type)}
    unknown = set(values) - set(known)
    if unknown:
        raise UnknownStep(f"step {step_type.op!r} has unknown fields {sorted(unknown)}", code="UnknownStep")
    kwargs = {name: _tuples(hints[name], value) for name, value in values.items()}
    return step_type(**kwargs)


def _tuples(hint: Any, value: Any) -> Any:
    """JSON has lists; steps hold tuples (they are frozen and hashable)."""
    if isinstance(value, list) and _is_tuple(hint):
        return tuple(value)
    return value


def _is_tuple(hint: Any) -> bool:
    if typing.get_origin(hint) is tuple:
        return True
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return any(_is_tuple(arg) for arg in typing.get_args(hint))
    return False
