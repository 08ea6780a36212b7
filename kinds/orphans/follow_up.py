"""Reminders and escalation of waiting orphan clean-ups (F20) on the business-hours clock, and the background loop
that runs them after each day's filing pass: the shared follow-up of desk-filed requests (kinds/desk_filed/
follow_up.py) with the clean-up's claims and messages."""

from __future__ import annotations

from functools import partial

from handlers.services import Services
from handlers.stopping import StopSignal
from kinds.desk_filed import follow_up as shared
from kinds.desk_filed.follow_up import FollowedUp, FollowUp
from kinds.orphans.cleanup import CLEANUP, run_orphan_pass

__all__ = ["FollowUp", "FollowedUp", "follow_up_waiting", "orphan_loop"]


async def orphan_loop(services: Services, *, every_seconds: float, first_after_seconds: float, follow_up: FollowUp,
                      stop: StopSignal | None = None) -> None:
    """Until ``stop``: the day's filing pass (one replica per day), then the reminders and escalations that are due."""
    await shared.pass_and_follow_up_loop(services, CLEANUP, partial(run_orphan_pass, services), follow_up,
                                         every_seconds=every_seconds, first_after_seconds=first_after_seconds,
                                         stop=stop)


async def follow_up_waiting(services: Services, policy: FollowUp) -> FollowedUp:
    """Reminds or escalates every waiting clean-up whose business time has run; safe on several replicas at once."""
    return await shared.follow_up_waiting(services, CLEANUP, policy)
