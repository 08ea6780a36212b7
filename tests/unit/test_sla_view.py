"""The SLA clock on a request's cards: the due time and the breach marker, from build_view to the rendered card."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cards.i18n import Translator
from cards.requests import approval_card, status_card
from handlers.request_views import build_view
from storage.models import Decision, Request

SUBMITTED = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # Monday 09:00 in Warsaw
DUE = datetime(2026, 11, 5, 8, 0, tzinfo=UTC)  # Thursday 09:00 in Warsaw: three business days of 10.5 h later


def _request(state: str = "pending", *, due_at: datetime | None = DUE, **times: Any) -> Request:
    return Request(
        id=7,
        public_id="REQ-2026-000007",
        kind="license.assign",
        requester_id="u1",
        requester_name="Anna Kowalska",
        target_id="u1",
        target_label="Anna Kowalska · Office 365 E3",
        payload={"approver_names": ["Jan Nowak"], "facts": []},
        plan=[{"op": "assign_license", "user": "Anna Kowalska", "plan": "Office 365 E3"}],
        approver_ids=["u2"],
        state=state,
        version=1,
        locale="en-US",
        created_at=SUBMITTED,
        updated_at=times.pop("updated_at", SUBMITTED),
        due_at=due_at,
        **times,
    )


def _text(card: dict[str, Any]) -> str:
    return json.dumps(card, ensure_ascii=False)


def test_the_view_carries_the_stored_due_time() -> None:
    view = build_view(_request(), None, (), now=SUBMITTED + timedelta(hours=1))
    assert view.due_at == DUE
    assert view.breached is False


@pytest.mark.parametrize(
    ("now", "breached"),
    [(DUE - timedelta(seconds=1), False), (DUE, False), (DUE + timedelta(microseconds=1), True)],
)
def test_an_open_request_is_breached_only_once_now_is_past_due(now: datetime, breached: bool) -> None:
    for state in ("pending", "approved", "executing"):
        assert build_view(_request(state), None, (), now=now).breached is breached


@pytest.mark.parametrize(
    ("completed_at", "breached"),
    [(DUE - timedelta(hours=5), False), (DUE, False), (DUE + timedelta(minutes=1), True)],
)
def test_a_finished_request_is_judged_by_when_it_finished_not_by_now(completed_at: datetime, breached: bool) -> None:
    request = _request("completed", completed_at=completed_at, updated_at=completed_at)
    far_later = DUE + timedelta(days=90)
    assert build_view(request, None, (), now=far_later).breached is breached
    failed = _request("failed", completed_at=completed_at, updated_at=completed_at)
    assert build_view(failed, None, (), now=far_later).breached is breached


def test_a_rejected_request_stops_its_clock_at_the_decision() -> None:
    decided = DUE + timedelta(hours=2)
    request = _request("rejected", decided_at=decided, updated_at=decided)
    decision = Decision(outcome="rejected", approver_name="Jan Nowak", created_at=decided, reason=None)
    assert build_view(request, decision, (), now=decided + timedelta(days=30)).breached is True
    on_time = _request("rejected", decided_at=SUBMITTED + timedelta(hours=1))
    assert build_view(on_time, decision, (), now=decided + timedelta(days=30)).breached is False


def test_a_request_filed_before_the_sla_clock_has_no_due_time_and_no_breach() -> None:
    view = build_view(_request(due_at=None), None, (), now=DUE + timedelta(days=30))
    assert (view.due_at, view.breached) == (None, False)
    card = status_card(view, Translator("en-US", "Europe/Warsaw"))
    assert '"Due"' not in _text(card) and "SLA breached" not in _text(card)


@pytest.mark.parametrize(
    ("locale", "label", "due", "marker"),
    [
        ("en-US", "Due", "05/11/2026, 09:00", "SLA breached"),
        ("pl-PL", "Termin", "5.11.2026, 09:00", "Przekroczono SLA"),
        ("de-DE", "Fällig", "05.11.26, 09:00", "SLA verletzt"),
    ],
)
def test_both_cards_show_the_due_time_in_the_readers_zone_and_flag_a_breach(
    locale: str, label: str, due: str, marker: str
) -> None:
    t = Translator(locale, "Europe/Warsaw")
    on_time = build_view(_request(), None, (), now=SUBMITTED)
    late = build_view(_request(), None, (), now=DUE + timedelta(hours=1))
    for render in (lambda v: status_card(v, t), lambda v: approval_card(v, t, can_decide=True)):
        card = render(on_time)
        facts = {f["title"]: f["value"] for f in card["body"][1]["facts"]}
        assert facts[label] == due
        assert marker not in _text(card)
        assert marker in _text(render(late))
