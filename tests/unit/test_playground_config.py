"""The Agents Playground config files of the demo: five other people, seed ids, one personal chat per window."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from demo.playground import (
    PLAYGROUND_PACKAGE,
    PlaygroundError,
    demo_people,
    ensure_installed,
    playground_config,
    start_playground,
    validate_config,
    write_config,
)

TENANT = "8f3e6c1a-5b7d-4c2e-9a10-3d4f5e6a7b8c"
BOT_APP_ID = "0d5c8a5e-8a3b-4b1f-9c1e-2a7f6b3d4e5f"
TOP_LEVEL_KEYS = {"version", "tenantId", "bot", "currentUser", "users", "personalChat", "groupChat", "team"}
USER_KEYS = {"id", "name", "userPrincipleName", "aadObjectId", "givenName", "surname", "email"}


@dataclass(frozen=True)
class FakeUser:
    id: str
    display_name: str
    given_name: str
    surname: str
    user_principal_name: str
    mail: str
    preferred_language: str = "en-US"


@dataclass(frozen=True)
class FakeGroup:
    id: str
    display_name: str


@dataclass(frozen=True)
class FakeSeed:
    users: list[FakeUser]
    demo_employee: FakeUser
    demo_admin: FakeUser
    list_owner: FakeUser
    admins_group: FakeGroup
    domain: str = "contoso.test"


def _user(n: int, given: str, surname: str) -> FakeUser:
    upn = f"{given.lower()}.{surname.lower()}@contoso.test"
    return FakeUser(f"00000000-0000-4000-8000-{n:012d}", f"{given} {surname}", given, surname, upn, upn)


def fake_seed(count: int = 9) -> FakeSeed:
    people = [_user(1, "Kasia", "Zielińska"), _user(2, "Jonas", "Becker"), _user(3, "Anna", "Kowalska"),
              _user(4, "Lena", "Schmidt"), _user(5, "Jürgen", "Weiß")]
    people += [_user(n, f"User{n}", "Extra") for n in range(6, count + 1)]
    return FakeSeed(users=people[:count], demo_employee=people[2], demo_admin=people[1], list_owner=people[3],
                    admins_group=FakeGroup("00000000-0000-4000-9000-000000000001", "DSM_Admins"))


def config_for(seed: FakeSeed, person: FakeUser) -> dict:
    return playground_config(seed=seed, current_user=person, others=demo_people(seed, person),
                             bot_app_id=BOT_APP_ID, tenant_id=TENANT)


def test_config_has_the_playground_keys_and_five_other_seed_people() -> None:
    seed = fake_seed()
    config = config_for(seed, seed.demo_employee)

    assert set(config) == TOP_LEVEL_KEYS
    assert config["version"] == "0.1.1"
    assert config["tenantId"] == TENANT
    assert config["bot"] == {"id": f"28:{BOT_APP_ID}", "name": "M365 Desk"}
    everyone = [config["currentUser"], *config["users"]]
    assert len(config["users"]) == 5
    assert all(set(user) == USER_KEYS for user in everyone)
    # The Playground rejects a config that lists the current user among `users`.
    assert config["currentUser"]["id"] not in {user["id"] for user in config["users"]}
    by_id = {user.id: user for user in seed.users}
    for entry in everyone:
        person = by_id[entry["aadObjectId"]]
        assert entry["id"] == f"29:{person.id}"
        assert entry["name"] == person.display_name
        assert entry["userPrincipleName"] == person.user_principal_name
        assert (entry["givenName"], entry["surname"], entry["email"]) == (person.given_name, person.surname,
                                                                        person.mail)
    assert config["currentUser"]["aadObjectId"] == seed.demo_employee.id
    assert config["team"]["aadGroupId"] == seed.admins_group.id
    assert len(config["team"]["channels"]) == 1


def test_the_demo_cast_comes_first_and_the_fill_is_deterministic() -> None:
    seed = fake_seed()
    employee_people = [user.id for user in demo_people(seed, seed.demo_employee)]
    admin_people = [user.id for user in demo_people(seed, seed.demo_admin)]

    assert employee_people[:2] == [seed.demo_admin.id, seed.list_owner.id]
    assert admin_people[:2] == [seed.demo_employee.id, seed.list_owner.id]
    assert employee_people == [user.id for user in demo_people(fake_seed(), fake_seed().demo_employee)]
    assert len(set(employee_people)) == 5 and seed.demo_employee.id not in employee_people


def test_each_window_has_its_own_conversation_ids() -> None:
    seed = fake_seed()
    employee = config_for(seed, seed.demo_employee)
    admin = config_for(seed, seed.demo_admin)

    assert employee["personalChat"]["id"] == f"a:playground-{seed.demo_employee.id}"
    assert admin["personalChat"]["id"] == f"a:playground-{seed.demo_admin.id}"

    def conversation_ids(config: dict) -> set[str]:
        return {config["personalChat"]["id"], config["groupChat"]["id"], config["team"]["id"],
                *(channel["id"] for channel in config["team"]["channels"])}

    assert len(conversation_ids(employee)) == 4
    assert not conversation_ids(employee) & conversation_ids(admin)
    assert config_for(fake_seed(), fake_seed().demo_employee) == employee


def test_the_written_file_is_json_flavoured_yaml(tmp_path: Path) -> None:
    seed = fake_seed()
    config = config_for(seed, seed.demo_employee)

    path = write_config(config, tmp_path / "nested" / "employee.m365agentsplayground.yml")

    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == config
    assert "Zielińska" in text  # UTF-8 as is, not \u escapes


def test_invalid_configs_are_refused_before_the_playground_sees_them() -> None:
    seed = fake_seed()
    config = config_for(seed, seed.demo_employee)

    with pytest.raises(PlaygroundError, match="exactly 5 users"):
        validate_config({**config, "users": config["users"][:4]})
    with pytest.raises(PlaygroundError, match="unique"):
        validate_config({**config, "users": [config["currentUser"], *config["users"][:4]]})
    with pytest.raises(PlaygroundError, match="exactly 5 users"):
        playground_config(seed=seed, current_user=seed.demo_employee, others=seed.users[:6],
                          bot_app_id=BOT_APP_ID, tenant_id=TENANT)
    with pytest.raises(PlaygroundError, match="too few people"):
        demo_people(fake_seed(count=5), seed.demo_employee)


def test_the_real_seed_makes_valid_configs() -> None:
    devtenant = pytest.importorskip("devtenant")
    seed = devtenant.build_seed()
    seed_ids = {user.id for user in seed.users}

    employee = playground_config(seed=seed, current_user=seed.demo_employee,
                                 others=demo_people(seed, seed.demo_employee), bot_app_id=BOT_APP_ID,
                                 tenant_id=TENANT)
    admin = playground_config(seed=seed, current_user=seed.demo_admin, others=demo_people(seed, seed.demo_admin),
                              bot_app_id=BOT_APP_ID, tenant_id=TENANT)

    for config in (employee, admin):
        assert {user["aadObjectId"] for user in [config["currentUser"], *config["users"]]} <= seed_ids
    assert employee["currentUser"]["aadObjectId"] == seed.demo_employee.id
    assert [user["aadObjectId"] for user in employee["users"][:2]] == [seed.demo_admin.id, seed.list_owner.id]
    assert admin["currentUser"]["aadObjectId"] == seed.demo_admin.id
    assert employee["personalChat"]["id"] != admin["personalChat"]["id"]


async def test_ensure_installed_without_npm_returns_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "package.json").write_text(json.dumps({"dependencies": {PLAYGROUND_PACKAGE: "0.2.28"}}))
    monkeypatch.setattr("demo.playground.shutil.which", lambda name: None)

    assert await ensure_installed(tmp_path) is None


async def test_ensure_installed_keeps_a_matching_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "package.json").write_text(json.dumps({"dependencies": {PLAYGROUND_PACKAGE: "0.2.28"}}))
    package = tmp_path / "node_modules" / PLAYGROUND_PACKAGE
    package.mkdir(parents=True)
    (package / "package.json").write_text(json.dumps({"version": "0.2.28"}))
    binary = tmp_path / "node_modules" / ".bin" / "agentsplayground"
    binary.parent.mkdir()
    binary.write_text("#!/bin/sh\n")

    def no_npm(name: str) -> None:
        raise AssertionError("npm must not run when the pinned version is installed")

    monkeypatch.setattr("demo.playground.shutil.which", no_npm)

    assert await ensure_installed(tmp_path) == binary


async def test_start_refuses_a_missing_config(tmp_path: Path) -> None:
    binary = tmp_path / "agentsplayground"
    binary.write_text("#!/bin/sh\n")

    with pytest.raises(PlaygroundError, match="does not exist"):
        await start_playground(binary=binary, bot_endpoint="http://127.0.0.1:1/api/messages", port=1,
                               config_path=tmp_path / "missing.yml", log_path=tmp_path / "pg.log",
                               work_dir=tmp_path)
