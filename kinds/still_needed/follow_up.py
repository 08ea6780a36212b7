"""Reminders and escalation of waiting "Still needed?" requests (F20) on the business-hours clock, and the background
loop that runs them after each day's filing pass: the shared follow-up of desk-filed requests (kinds/desk_filed/
follow_up.py) with the question's claims and messages."""

from __future__ import annotations

from functools import partial

from handlers.services import Services
from handlers.stopping import StopSignal
from kinds.desk_filed import follow_up as shared
from kinds.desk_filed.follow_up import FollowedUp, FollowUp
from kinds.still_needed.ask import STILL_NEEDED, StillNeededPolicy, run_still_needed_pass


async def still_needed_loop(services: Services, *, every_seconds: float, first_after_seconds: float,
                            policy: StillNeededPolicy, follow_up: FollowUp, stop: StopSignal | None = None) -> None:
    """Until ``stop``: the day's filing pass (one replica per day), then the reminders and escalations that are due."""
    await shared.pass_and_follow_up_loop(services, STILL_NEEDED, partial(run_still_needed_pass, services, policy),
                                         follow_up, every_seconds=every_seconds,
                                         first_after_seconds=first_after_seconds, stop=stop)


async def follow_up_waiting(services: Services, policy: FollowUp) -> FollowedUp:
    """Reminds or escalates every waiting request whose business time has run; safe on several replicas at once."""
    return await shared.follow_up_waiting(services, STILL_NEEDED, policy)
