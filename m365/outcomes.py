"""What applying one plan step did: changed the tenant, or found the change already in place."""

from __future__ import annotations

import enum


class StepOutcome(enum.StrEnum):
    DONE = "done"
    ALREADY_DONE = "already_done"
