"""The person's own requests, and those others filed that change them: the "my requests" card."""

from __future__ import annotations

from cards.my_requests import my_requests_card
from cards.views import MyRequestsView, RequestSummaryView
from handlers.context import Actor, Reply, actor_translator
from handlers.services import Services
from storage.models import Request


async def my_requests(services: Services, actor: Actor) -> Reply:
    """The person's own requests, and those others filed that change them (a manager's, an owner's, the desk's)."""
    async with services.uow() as uow:
        mine = await uow.requests.list_for_requester(actor.user_id, limit=20)
        about = await uow.requests.list_about(actor.user_id, limit=10)
    t = actor_translator(actor)
    view = MyRequestsView(items=tuple(_summary(r) for r in mine), about_me=tuple(_summary(r) for r in about))
    return Reply(card=my_requests_card(view, t))


def _summary(request: Request) -> RequestSummaryView:
    return RequestSummaryView(
        request_id=request.public_id,
        kind=request.kind,
        state=request.state,
        target_label=request.target_label,
        created_at=request.created_at,
        requested_by=request.requester_name,
    )
