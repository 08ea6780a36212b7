"""Settings come from the environment under the Agents SDK's conventional names; production insists on identity."""

import pytest
from pydantic import ValidationError

from settings import Settings


def test_bot_identity_from_agents_sdk_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID", "app-id")
    monkeypatch.setenv("CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET", "s3cret")
    monkeypatch.setenv("CONNECTIONS__SERVICE_CONNECTION__SETTINGS__TENANTID", "tenant-id")
    monkeypatch.setenv("DESK_ADMINS_GROUP_ID", "group-id")
    monkeypatch.setenv("DESK_MODE", "production")
    monkeypatch.setenv("DESK_AUDIT_KEY", "k" * 32)
    settings = Settings(_env_file=None)
    assert (settings.client_id, settings.tenant_id, settings.admins_group_id) == ("app-id", "tenant-id", "group-id")
    assert settings.client_secret.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)
    assert not settings.is_demo


def test_botbuilder_names_are_accepted_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROSOFT_APP_ID", "legacy-id")
    assert Settings(_env_file=None).client_id == "legacy-id"


def test_production_without_identity_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESK_MODE", "production")
    with pytest.raises(ValidationError, match="client id.*client secret.*tenant id.*admins group id"):
        Settings(_env_file=None)


def test_demo_is_the_default_and_sqlite_the_default_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DESK_MODE", raising=False)
    settings = Settings(_env_file=None)
    assert settings.is_demo and settings.database_url.startswith("sqlite+aiosqlite:///")


def test_dotenv_file_is_read(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / ".env"
    env.write_text("DESK_PORT=4010\nDESK_ADMINS_GROUP_ID=from-dotenv\n")
    settings = Settings(_env_file=env)
    assert settings.port == 4010 and settings.admins_group_id == "from-dotenv"
