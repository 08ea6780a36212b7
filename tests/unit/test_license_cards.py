"""The cards for license removals, plan changes and pasted lists: valid Adaptive Cards 1.5, in every language."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from jsonschema import Draft6Validator

from cards.bulk_licenses import BulkLine, BulkReportView, bulk_report_card
from cards.i18n import Translator
from cards.requests import approval_card, status_card
from cards.views import RequestView, StepView

SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "adaptive-card-1.5.schema.json").read_text())
LOCALES = ["en-US", "pl-PL", "de-DE"]
LINES = (
    BulkLine("anna@contoso.com", "Anna Kowalska <anna@contoso.com>"),
    BulkLine("nobody@contoso.com", reason="not found"),
)


def _valid(card: dict) -> None:
    errors = sorted(Draft6Validator(SCHEMA).iter_errors(card), key=str)
    assert errors == [], errors[0].message if errors else ""


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("request_id", ["REQ-2026-000042", None])
def test_bulk_report(locale: str, request_id: str | None) -> None:
    card = bulk_report_card(BulkReportView("Office 365 E3", LINES, request_id, "Jonas Becker"), Translator(locale))
    _valid(card)
    text = json.dumps(card, ensure_ascii=False)
    assert "✓ anna@contoso.com → Anna Kowalska <anna@contoso.com>" in text
    assert "✗ nobody@contoso.com — not found" in text
    if request_id:
        assert request_id in text and "Jonas Becker" in text
    else:
        assert "Jonas Becker" not in text


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", ["license.remove", "license.change", "license.assign_bulk"])
def test_request_cards_for_the_new_kinds(locale: str, kind: str) -> None:
    t = Translator(locale)
    view = RequestView(
        request_id="REQ-2026-000042",
        version=1,
        kind=kind,
        state="pending",
        requester_name="Anna Kowalska",
        target_label="Anna Kowalska · Office 365 E3 → Office 365 E5",
        created_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        steps=(
            StepView("step.remove_license", {"user": "Anna Kowalska", "plan": "Office 365 E3"}),
            StepView("step.swap_license", {"user": "Anna Kowalska", "plan": "Office 365 E3 → Office 365 E5"}, "done"),
        ),
        facts=(("request.field.people", "2"),),
    )
    for card in (approval_card(view, t, can_decide=True), status_card(view, t)):
        _valid(card)
        text = json.dumps(card, ensure_ascii=False)
        assert t(f"request.kind.{kind}") in text
        assert "Office 365 E3 → Office 365 E5" in text
