"""Every registered request kind, verb and plan step type, checked the same way: messages in all three languages,
cards valid against the Adaptive Card 1.5 schema, a help line, an SLA default and an approver route, steps that
round-trip through JSON, and the plans an older desk stored (format 1) still loading."""

from __future__ import annotations

import dataclasses
import json
import string
from datetime import UTC, datetime
from pathlib import Path

import pytest
from jsonschema import Draft6Validator

from app import families
from cards.elements import as_shown
from cards.i18n import Translator, installed_catalogues
from cards.requests import approval_card, status_card
from cards.verbs import Verb
from cards.views import RequestView, StepView
from handlers.lifecycle import RequestState
from kinds.card_data import parse_card_data
from kinds.family import Approvers
from kinds.registry import Registry, RegistryError, build_registry
from kinds.steps import STEP_FORMAT, Step, dump_plan

LANGUAGES = ("en", "pl", "de")
DATA = Path(__file__).parent / "data"
SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "adaptive-card-1.5.schema.json").read_text())
VALIDATOR = Draft6Validator(SCHEMA)
V1_EXAMPLES = {path.stem: json.loads(path.read_text()) for path in sorted((DATA / "steps_v1").glob("*.json"))}
WHEN = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
ROUTES = {Approvers.ADMINS, Approvers.OWNERS_ELSE_ADMINS, Approvers.FULFILLERS}

_REGISTRY = build_registry(families())
KINDS = [kind.id for kind in _REGISTRY.kinds]
OPS = sorted(step.op for step in _REGISTRY.steps.types)


def _has(language: str, key: str) -> bool:
    return installed_catalogues()[language].text(key, {"count": 1}) is not None


def _placeholders(language: str, key: str, params: dict[str, object]) -> set[str]:
    text = installed_catalogues()[language].text(key, params) or ""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _example(op: str, registry: Registry) -> Step:
    return registry.steps.load(V1_EXAMPLES[op])


@pytest.mark.parametrize("kind_id", KINDS)
def test_a_kind_is_named_in_every_language(kind_id: str) -> None:
    for language in LANGUAGES:
        assert _has(language, f"request.kind.{kind_id}"), (language, kind_id)


@pytest.mark.parametrize("kind_id", KINDS)
def test_a_kind_has_an_sla_default_an_approver_route_steps_and_messages_for_its_policies(
    kind_id: str, registry: Registry
) -> None:
    kind = registry.kind(kind_id)
    assert kind.sla_days > 0
    assert kind.approvers in ROUTES
    assert kind.steps, "a kind that changes nothing is not a request"
    # Routed to owners: the kind must say who owns the resource now, or only admins could ever decide it.
    assert (kind.approvers == Approvers.OWNERS_ELSE_ADMINS) == (kind.owns is not None)
    assert (kind.approvers == Approvers.FULFILLERS) == (kind.fulfils is not None)
    for rule in kind.auto_approve:
        assert rule.startswith("policy."), rule
        for language in LANGUAGES:
            assert _has(language, rule), (language, rule)


@pytest.mark.parametrize("kind_id", KINDS)
def test_a_kind_is_explained_by_a_line_of_the_help_card_in_every_language(kind_id: str, registry: Registry) -> None:
    help_key = registry.kind(kind_id).help
    assert help_key in registry.help_topics(), f"{kind_id}: its help entry {help_key!r} is not on the help card"
    for language in LANGUAGES:
        assert _has(language, help_key), (language, help_key)


def test_every_verb_is_routed_by_exactly_one_family(registry: Registry) -> None:
    routed = [route.verb for family in registry.families for route in family.verbs]
    assert sorted(routed) == sorted(set(routed)), "a verb claimed twice"
    assert set(routed) == {verb.value for verb in Verb}, "every verb a card can carry has a route, and no other"


@pytest.mark.parametrize("verb", sorted(verb.value for verb in Verb))
def test_a_click_carrying_nothing_usable_is_refused_or_typed(verb: str, registry: Registry) -> None:
    route = registry.verb(verb)
    assert route is not None and dataclasses.is_dataclass(route.data)
    required = [f for f in dataclasses.fields(route.data)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    parsed = parse_card_data(route.data, {})
    assert (parsed is None) == bool(required), "a click without its required data never reaches a handler"
    assert parse_card_data(route.data, "not a mapping") == parsed


def test_two_families_cannot_claim_the_same_kind_or_verb() -> None:
    (groups,) = [family for family in families() if family.name == "groups"]
    with pytest.raises(RegistryError):
        build_registry([*families(), groups])


def test_commands_are_tried_in_a_fixed_order(registry: Registry) -> None:
    orders = [command.order for command in registry.commands]
    assert orders == sorted(orders) and len(set(orders)) == len(orders), "two commands with one place"


@pytest.mark.parametrize("op", OPS)
def test_every_step_type_has_a_stored_format_1_example(op: str) -> None:
    assert op in V1_EXAMPLES, f"tests/unit/data/steps_v1/{op}.json: how the desk stored this step before typed steps"


@pytest.mark.parametrize("op", sorted(V1_EXAMPLES))
def test_a_format_1_step_loads_and_round_trips_through_json(op: str, registry: Registry) -> None:
    step = _example(op, registry)
    assert step.op == op
    stored = json.loads(json.dumps(dump_plan([step])))
    assert stored[0]["v"] == STEP_FORMAT
    assert registry.steps.load_plan(stored) == (step,)
    # The people and labels an old plan named are still there after the upgrade.
    for key in ("user_id", "member_id"):
        if key in V1_EXAMPLES[op]:
            assert V1_EXAMPLES[op][key] in step.subjects(), (op, key)


@pytest.mark.parametrize("op", sorted(V1_EXAMPLES))
def test_a_step_message_exists_in_every_language_with_the_words_it_needs(op: str, registry: Registry) -> None:
    step = _example(op, registry)
    params = step.params()
    for language in LANGUAGES:
        key = f"step.{op}"
        assert _has(language, key), (language, key)
        missing = _placeholders(language, key, params) - set(params)
        assert not missing, (language, key, missing)


@pytest.mark.parametrize("kind_id", KINDS)
def test_a_kind_s_cards_are_valid_adaptive_cards_in_every_language(kind_id: str, registry: Registry) -> None:
    kind = registry.kind(kind_id)
    steps = [_example(step.op, registry) for step in kind.steps if step.op in V1_EXAMPLES]
    pending = RequestView(
        request_id="REQ-2026-000042",
        version=2,
        kind=kind_id,
        state=RequestState.PENDING.value,
        requester_name="Zofia Wiśniewska",
        target_label="Sales Team <sales@contoso.com>",
        created_at=WHEN,
        steps=tuple(StepView(f"step.{step.op}", step.params(), None) for step in steps),
        approver_names=("Jonas Becker",),
        due_at=WHEN,
    )
    # Pending (the buttons) and failed (the error and every step's outcome) cover what differs between states.
    failed = dataclasses.replace(
        pending,
        state=RequestState.FAILED.value,
        steps=tuple(dataclasses.replace(step, status="failed") for step in pending.steps),
        error="Microsoft 365 kept failing; gave up after retries",
    )
    for language in LANGUAGES:
        t = Translator(language)
        for card in (approval_card(pending, t, can_decide=True), status_card(failed, t)):
            errors = sorted(VALIDATOR.iter_errors(as_shown(card)), key=str)
            assert not errors, (language, errors[0].message)
