"""View models the card builders render: plain frozen data, built by handlers from stored requests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class StepView:
    message_key: str  # e.g. "step.assign_license"
    params: Mapping[str, str]
    status: str | None = None  # None (not run yet) | done | already_done | failed


@dataclass(frozen=True, slots=True)
class DecisionView:
    outcome: str  # approved | rejected
    approver_name: str
    decided_at: datetime
    reason: str | None = None
    on_behalf_of_name: str | None = None  # a delegate's decision (F15): the approver it was made for


@dataclass(frozen=True, slots=True)
class StageView:
    """Where a request routed through several approval stages stands (F14)."""

    number: int  # the stage it waits in (or last waited in), from 1
    total: int
    who: str  # manager | owners | admins | fulfillers | group
    approvals: tuple[tuple[int, str], ...] = ()  # (stage number, approver's name) of each stage approval so far


@dataclass(frozen=True, slots=True)
class RequestView:
    request_id: str  # the public id, REQ-YYYY-NNNNNN
    version: int
    kind: str
    state: str
    requester_name: str
    target_label: str
    created_at: datetime
    steps: tuple[StepView, ...] = ()
    approver_names: tuple[str, ...] = ()
    decision: DecisionView | None = None
    # Extra lines for the approver, as (message key of the label, value): free seats and the like.
    facts: tuple[tuple[str, str], ...] = ()
    error: str | None = None
    due_at: datetime | None = None  # the SLA due time; None for requests filed before the SLA clock
    breached: bool = False  # finished after due_at, or still open and past it
    # The people the plan changes (casefolded ids): they never decide it, whoever reads the card.
    subjects: frozenset[str] = frozenset()
    # The kind has an editor (F13): an approver who may decide also gets Edit on the card.
    editable: bool = False
    # Approval stages (F14), for a request routed through more than one; None: one stage, nothing to show.
    stage: StageView | None = None


@dataclass(frozen=True, slots=True)
class PlanChoice:
    sku_id: str
    name: str
    free_units: int


@dataclass(frozen=True, slots=True)
class LicenseFormView:
    plans: tuple[PlanChoice, ...]
    selected_sku_id: str | None = None
    for_user: str = ""
    ask_usage_location: bool = False
    notice: str | None = None


@dataclass(frozen=True, slots=True)
class RequestSummaryView:
    request_id: str
    kind: str
    state: str
    target_label: str
    created_at: datetime
    requested_by: str = ""


@dataclass(frozen=True, slots=True)
class MyRequestsView:
    items: tuple[RequestSummaryView, ...] = field(default=())
    about_me: tuple[RequestSummaryView, ...] = field(default=())  # filed by others, changing the reader
