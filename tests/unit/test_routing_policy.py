"""The routing policy file (F14): with no file, every registered kind keeps today's route, rules and SLA; a file's
tables take precedence kind over family over defaults; every validation error names the file and the right line;
and a changed policy is audited once at start."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from desk_fixture import Desk
from sqlalchemy import select

from app import families
from handlers.policy_audit import CHANGED_ACTION, audit_policy_change
from handlers.routing_policy import (
    KindPolicy,
    RoutingPolicyError,
    Stage,
    default_policy,
    load_routing_policy,
    parse_routing_policy,
)
from handlers.sla_targets import SlaTargets
from kinds.family import Approvers
from kinds.registry import build_registry
from storage.models import AuditEvent

pytest_plugins = ["desk_fixture"]

REGISTRY = build_registry(families())
SLA = SlaTargets.from_config({**REGISTRY.sla_days(), "license.assign": 4, "default": 2})
EXAMPLE = Path(__file__).parents[2] / "policy.example.toml"


def parse(text: str) -> object:
    return parse_routing_policy(text.encode(), REGISTRY, SLA, source="policy.toml")


def errors_of(text: str) -> list[str]:
    with pytest.raises(RoutingPolicyError) as raised:
        parse(text)
    return str(raised.value).splitlines()


# ------------------------------------------------------------------ defaults: today's behaviour


@pytest.mark.parametrize("kind", REGISTRY.kinds, ids=lambda kind: kind.id)
def test_without_a_file_every_kind_keeps_its_route_rules_and_sla(kind) -> None:
    policy = load_routing_policy(None, REGISTRY, SLA)
    expected_stage = {
        Approvers.OWNERS_ELSE_ADMINS: "owners",
        Approvers.ADMINS: "admins",
        Approvers.FULFILLERS: "fulfillers",
    }[kind.approvers]
    assert policy.for_kind(kind.id) == KindPolicy(
        stages=(Stage(expected_stage),),
        auto_approve=kind.auto_approve,
        sla_days=SLA.days_for(kind.id),
        remind_after_hours=None,
        escalate_after_hours=None,
        expire_after_hours=None,
    )
    assert policy.sla_targets().days_for(kind.id) == SLA.days_for(kind.id)


def test_the_defaults_digest_is_stable_and_follows_what_they_say() -> None:
    first, again = default_policy(REGISTRY, SLA), default_policy(REGISTRY, SLA)
    assert first.digest == again.digest and len(first.digest) == 64 and first.source is None
    other = default_policy(REGISTRY, SlaTargets.from_config({**REGISTRY.sla_days(), "dl.join": 5}))
    assert other.digest != first.digest


def test_an_empty_file_is_the_defaults_under_the_files_digest() -> None:
    policy = parse("# nothing here yet\n")
    defaults = default_policy(REGISTRY, SLA)
    assert dict(policy.kinds) == dict(defaults.kinds)
    assert policy.digest == hashlib.sha256(b"# nothing here yet\n").hexdigest()


def test_the_shipped_example_is_valid() -> None:
    policy = load_routing_policy(EXAMPLE, REGISTRY, SLA)
    assert policy.source == str(EXAMPLE)
    assert policy.for_kind("license.assign").stages == (Stage("manager"), Stage("admins"))


# ------------------------------------------------------------------ precedence


def test_kind_over_family_over_defaults_key_by_key() -> None:
    policy = parse(
        """
[defaults]
sla_days = 2.5
remind_after_hours = 8
expire_after_hours = 80

[family.lists]
stages = [{ who = "owners" }, { who = "admins", require = "all" }]
remind_after_hours = 4
auto_approve = []

[kind."dl.join"]
stages = [{ who = "manager" }]
auto_approve = ["join_open_list"]
expire_after_hours = 0
"""
    )
    join = policy.for_kind("dl.join")
    assert join.stages == (Stage("manager"),)  # the kind's own
    assert join.auto_approve == ("policy.join_open_list",)
    assert (join.remind_after_hours, join.expire_after_hours, join.sla_days) == (
        4.0,
        0.0,
        2.5,
    )  # family, kind, default
    leave = policy.for_kind("dl.leave")
    assert leave.stages == (Stage("owners"), Stage("admins", require="all"))  # the family's
    assert leave.auto_approve == ()  # the family switched its rules off
    assert (leave.remind_after_hours, leave.expire_after_hours) == (4.0, 80.0)
    assign = policy.for_kind("license.assign")
    assert assign.stages == (Stage("admins"),)  # untouched: its own route
    assert (assign.sla_days, assign.remind_after_hours) == (2.5, 8.0)
    assert policy.sla_targets().days_for("license.assign") == 2.5


def test_a_rule_listed_for_all_kinds_is_in_force_only_where_a_kind_has_it() -> None:
    policy = parse('[defaults]\nauto_approve = ["policy.leave_open_list"]\n')
    assert policy.for_kind("dl.leave").auto_approve == ("policy.leave_open_list",)
    assert policy.for_kind("dl.join").auto_approve == ()
    assert policy.for_kind("mailbox.revoke").auto_approve == ()


def test_array_of_tables_and_group_stages() -> None:
    policy = parse(
        """
[[kind."license.seats".stages]]
who = "group"
group_id = "9c4e2a17-5b3d-4f6e-8a91-2e7d0c5b4a02"
require = "all"

[[kind."license.seats".stages]]
who = "fulfillers"
"""
    )
    assert policy.for_kind("license.seats").stages == (
        Stage("group", group_id="9c4e2a17-5b3d-4f6e-8a91-2e7d0c5b4a02", require="all"),
        Stage("fulfillers"),
    )


# ------------------------------------------------------------------ errors name the line


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('[kind."dl.joins"]\nsla_days = 1\n', 1, "unknown kind 'dl.joins'"),
        ("[defaults]\nsla_days = 1\n\n[family.listz]\nsla_days = 2\n", 4, "unknown family 'listz'"),
        ('[family.lists]\nsla_days = 1\nstages = [{ who = "boss" }]\n', 3, "unknown stage 'boss'"),
        ("[defaults]\n\nremind_after_hours = -2\n", 3, "remind_after_hours must be"),
        ('[defaults]\nescalate_after_hours = "soon"\n', 2, "escalate_after_hours must be"),
        ("[defaults]\nsla_days = 0\n", 2, "sla_days must be a positive"),
        (
            '[kind."dl.join"]\n# owners decide every join\nauto_approve = ["leave_open_list"]\n',
            3,
            "unknown auto-approve rule 'leave_open_list'",
        ),
        (
            '[kind."license.assign"]\nstages = [\n  { who = "manager" },\n  { who = "group" },\n]\n',
            4,
            "stage 2: a group stage needs group_id",
        ),
        (
            '[[kind."dl.join".stages]]\nwho = "owners"\n\n'
            '[[kind."dl.join".stages]]\nwho = "admins"\nrequire = "most"\n',
            4,
            'require must be "one" or "all"',
        ),
        ('[kind."dl.join"]\nstages = [{ who = "admins", group_id = "x" }]\n', 2, "group_id belongs to a group stage"),
        ("[defaults]\nstages = []\n", 2, "stages must be a non-empty list"),
        ("[defaults]\nreminder = 8\n", 2, "unknown key 'reminder'"),
        ("[routes]\nx = 1\n", 1, "unknown table 'routes'"),
        ('kind."dl.join".sla_days = 2\nkind."dl.leave".sla_days = -1\n', 2, "sla_days must be a positive"),
        ("[defaults]\nsla_days = = 1\n", 2, "Invalid value"),
        ("[defaults]\nsla_days = 1\n[defaults]\n", 3, "Cannot declare"),
    ],
)
def test_each_error_names_the_file_and_line(text: str, line: int, words: str) -> None:
    (error,) = errors_of(text)
    assert error.startswith(f"policy.toml:{line}: "), error
    assert words in error


def test_every_error_is_reported_in_the_files_order() -> None:
    errors = errors_of('[kind."nope"]\nsla_days = 1\n\n[defaults]\nsla_days = -1\nexpire_after_hours = -1\n')
    assert [error.split(":")[1] for error in errors] == ["1", "5", "6"]


def test_an_unreadable_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(RoutingPolicyError, match="cannot read"):
        load_routing_policy(tmp_path / "missing.toml", REGISTRY, SLA)


# ------------------------------------------------------------------ a changed policy is audited once


async def policy_events(desk: Desk) -> list[AuditEvent]:
    async with desk.services.uow() as uow:
        rows = await uow.session.execute(
            select(AuditEvent).where(AuditEvent.action == CHANGED_ACTION).order_by(AuditEvent.id)
        )
        return list(rows.scalars())


@pytest.mark.asyncio
async def test_a_changed_policy_is_audited_once_with_old_and_new_digests(desk: Desk) -> None:
    defaults = desk.services.routing
    assert await audit_policy_change(desk.services) is True
    assert await audit_policy_change(desk.services) is False  # another start (or replica) with the same policy
    changed = parse('[kind."dl.join"]\nauto_approve = []\n')
    desk.services.routing = changed
    assert await audit_policy_change(desk.services) is True
    assert await audit_policy_change(desk.services) is False
    first, second = await policy_events(desk)
    assert (first.detail["old_digest"], first.detail["new_digest"], first.detail["source"]) == (
        None,
        defaults.digest,
        "defaults",
    )
    assert (second.detail["old_digest"], second.detail["new_digest"], second.detail["source"]) == (
        defaults.digest,
        changed.digest,
        "policy.toml",
    )
