"""The desk's configuration: one Settings object read from the environment and `.env`, by app.py and runtime/."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The demo's audit key: fixed and public on purpose (demo data is throwaway), so a demo database verifies across
# restarts. Production never falls back to it.
DEMO_AUDIT_KEY = "m365-desk demo audit key - public, never for production"
MIN_AUDIT_KEY_LENGTH = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_prefix="DESK_", extra="ignore", populate_by_name=True)

    mode: Literal["demo", "production"] = "demo"
    host: str = "127.0.0.1"
    port: int = 3978
    database_url: str = "sqlite+aiosqlite:///./desk.db"

    # The bot's Entra app registration, under the Agents SDK's conventional names (botbuilder's also accepted).
    client_id: str = Field(
        default="",
        validation_alias=AliasChoices(
            "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID", "MICROSOFT_APP_ID", "DESK_CLIENT_ID"
        ),
    )
    client_secret: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=AliasChoices(
            "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET", "MICROSOFT_APP_PASSWORD", "DESK_CLIENT_SECRET"
        ),
    )
    tenant_id: str = Field(
        default="",
        validation_alias=AliasChoices(
            "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__TENANTID", "MICROSOFT_APP_TENANT_ID", "DESK_TENANT_ID"
        ),
    )

    # Microsoft 365 endpoints; the defaults are the public cloud, the demo points them at devtenant.
    authority_host: str = "https://login.microsoftonline.com"
    graph_base_url: str = "https://graph.microsoft.com/v1.0"
    graph_scope: str = "https://graph.microsoft.com/.default"
    exchange_base_url: str = "https://outlook.office365.com/adminapi/beta"
    exchange_scope: str = "https://outlook.office365.com/.default"
    # The Graph client's own retries of reads on 429/503/504; changes are sent once per job attempt (handlers/jobs.py).
    graph_max_retries: int = 3
    ca_bundle: Path | None = None  # extra CA to trust (the emulator's); None = the system's

    # Where the desk opens 1:1 chats with people it has never talked to (Teams' regional service URL).
    default_service_url: str = "https://smba.trafficmanager.net/emea/"
    # Where the desk accepts activities from and sends its Bot Connector token (JSON list of URL prefixes). None =
    # Teams' public, GCC, GCC High and DoD connectors in production (bot/auth.py TEAMS_SERVICE_URLS); in the demo
    # default_service_url and any loopback URL (the Playground's windows).
    service_url_allowlist: list[str] | None = None

    # Who may post activities in production (bot/auth.py): tokens signed by a key from one of these OpenID metadata
    # documents, carrying one of its issuers. Bot Framework's channel service, and Entra ID issuing for the bot in its
    # own tenant ("" / [] = {authority_host}/{tenant_id}/v2.0/... and the tenant's v1 and v2 issuers).
    botframework_openid_metadata_url: str = "https://login.botframework.com/v1/.well-known/openidconfiguration"
    botframework_token_issuers: list[str] = Field(default_factory=lambda: ["https://api.botframework.com"])
    entra_openid_metadata_url: str = ""
    entra_token_issuers: list[str] = Field(default_factory=list)
    # msal's check that authority_host is one of Microsoft's clouds; off only for an emulator standing in for Entra.
    validate_authority: bool = True

    admins_group_id: str = ""
    # Who places approved seat orders with the CSP partner and marks them fulfilled; "" = the admins group.
    fulfillers_group_id: str = ""
    # License requests for someone else: admins always; managers for their direct reports unless this is off.
    managers_may_request_for_reports: bool = True
    # Prices per seat per month by SKU part number (Graph has none); admins override them in chat. None = no file.
    prices_file: Path | None = Path("config/prices.json")
    # The SLA clock (F17): business time is service hours minus maintenance windows, on days that are not public
    # holidays. The calendar file (JSON, the keys of BusinessCalendar.from_config: service_hours, maintenance,
    # closed_dates, business_day, ...) overrides the two settings before it. Targets are in business days per
    # request kind, "default" for kinds without their own; each kind's own default is declared with the kind
    # (kinds/), and these override it.
    sla_timezone: str = "Europe/Warsaw"
    sla_holiday_country: str = "PL"  # ISO code for the holidays library; "" = no public holidays
    sla_calendar_file: Path | None = None
    sla_targets: dict[str, float] = Field(default_factory=dict)
    # The routing policy (F14, TOML; policy.example.toml): stages, auto-approve rules, SLA days and reminder,
    # escalation and expiry intervals per kind or family. None = the built-in defaults (each kind's own route, every
    # rule in force, the SLA targets above, the intervals below). Checked at start: a bad file stops the desk.
    routing_policy: Path | None = None
    job_poll_seconds: float = 1.0
    job_lease_seconds: int = 120

    # License reports and alerts (F11). public_url: where people's browsers reach the desk, for report download
    # links ("" = http://host:port). compliance_rules: JSON, [{"plans": ["M365EDU_A3_FACULTY"], "only_members_of":
    # "<group id>"}]. license_overlaps: JSON, {"ENTERPRISEPREMIUM": ["ENTERPRISEPACK"], ...}; null = the built-in
    # table (handlers/report_policy.py). Alerts go to the admins once per plan, condition and day.
    public_url: str = ""
    report_stale_days: int = 90
    report_link_minutes: int = 15
    compliance_rules: list[dict[str, Any]] = Field(default_factory=list)
    license_overlaps: dict[str, list[str]] | None = None
    alert_check_seconds: float = 3600.0  # 0 = no alert checks in this replica
    alert_first_check_seconds: float = 60.0  # after startup, so a restart burst does not all check at once
    alert_free_seats: int = 2  # alert when a plan has fewer free seats than this
    alert_subscription_days: int = 30  # alert when a subscription's term ends within this many days

    # The directory sync (F7): lists, shared mailboxes and users into the desk's cache, every this many seconds
    # (0 = no periodic sync in this replica; `app.py sync` still runs one). Replicas share one run per period.
    sync_interval_seconds: float = 900.0
    sync_first_after_seconds: float = 30.0  # after startup, so a restart burst does not all sync at once

    # Time-bound mailbox grants (F6): how often expiries are checked (0 = not in this replica) and how long before
    # the end the holder is told.
    grant_expiry_check_seconds: float = 300.0
    grant_expiry_notice_hours: float = 24.0

    # The daily "last mail seen" collection (F20): message trace for every list, every this many seconds (0 = not
    # in this replica); replicas share one round per day under a lease.
    usage_collect_seconds: float = 86400.0
    usage_collect_first_seconds: float = 120.0  # after startup, so a restart burst does not all start at once

    # Channel digests (F21): how often a replica looks for digests whose moment has come (0 = not in this replica);
    # a digest goes out within this many seconds of its time, once across replicas.
    digest_check_seconds: float = 60.0
    # How long a digest's chart link works (days): the card is read for days after it is posted; 0 = no chart.
    digest_chart_link_days: int = 7

    # Orphaned lists and mailboxes (F20): how often the clean-up pass runs (0 = not in this replica; replicas share
    # one filing pass per day), its first run after startup, and in business days (the SLA calendar) when a waiting
    # clean-up reminds its deciders and when it is escalated to the admins.
    orphan_check_seconds: float = 86400.0
    orphan_first_check_seconds: float = 600.0
    orphan_remind_days: float = 2.0
    orphan_escalate_days: float = 5.0

    # Still needed? (F20): lists quiet this many days (by the desk's "last mail seen") and shared mailboxes quiet this
    # many (by the usage report) are asked about to their owners; a keep silences the question for unused_keep_days.
    # The pass runs every unused_check_seconds (0 = not in this replica; replicas share one pass per day); a waiting
    # question reminds its deciders after unused_remind_days business days and goes to the admins after
    # unused_escalate_days (0 switches either off).
    unused_list_days: int = 90
    unused_mailbox_days: int = 60
    unused_keep_days: int = 180
    unused_check_seconds: float = 86400.0
    unused_first_check_seconds: float = 900.0
    unused_remind_days: float = 2.0
    unused_escalate_days: float = 5.0

    # E-mail notifications (F16): the mailbox the desk sends from (its UPN; "" = no e-mail at all), whether people
    # who never typed "email me on|off" get e-mail (DESK_MAIL_DEFAULT=on|off), the mailbox's sending limit per minute
    # (Exchange Online allows about 30) and how often a replica looks for e-mail to send (0 = not in this replica).
    mail_sender: str = ""
    mail_default: bool = True
    mail_per_minute: int = 30
    mail_poll_seconds: float = 5.0

    # Incidents (F18): the first- and second-level support groups ("" = the admins group; the second level falls back
    # to the first), SLA targets per priority as [first response, resolution] in business time ("30m", "4h", "2d";
    # priorities left out keep kinds/incidents/policy.py's defaults, P1 1h/4h … P4 2d/10d), business days after which
    # a resolved incident closes by itself, and how often the pass that closes them runs (0 = not in this replica).
    incident_first_level_group_id: str = ""
    incident_second_level_group_id: str = ""
    incident_sla_targets: dict[str, list[str]] = Field(default_factory=dict)
    incident_auto_close_days: float = 3.0
    incident_check_seconds: float = 300.0
    incident_first_check_seconds: float = 60.0

    # Reminders, escalation and expiry of waiting requests (F15): how often due ones are looked for (0 = not in this
    # replica; each step happens once across replicas), and the business hours of waiting before a reminder
    # (repeated as often), the escalation and the expiry (0 = never) wherever the routing policy leaves them unset.
    escalation_check_seconds: float = 300.0
    remind_after_hours: float = 8.0
    escalate_after_hours: float = 24.0
    expire_after_hours: float = 80.0

    # The audit chain's HMAC key (issue 8 §6): someone who can write the database but lacks this key cannot edit or
    # recompute the audit log unnoticed. Production refuses to start without one of at least 32 characters
    # (`python -c "import secrets; print(secrets.token_urlsafe(32))"`); the demo uses DEMO_AUDIT_KEY. To rotate, set
    # the new key here and append the old one to audit_retired_keys (JSON list, oldest first): both still verify.
    audit_key: SecretStr = SecretStr("")
    audit_retired_keys: list[SecretStr] = Field(default_factory=list)
    # How often the chain is verified in the background (0 = not in this replica; `app.py audit verify` still works).
    audit_verify_seconds: float = 6 * 3600.0
    audit_verify_first_seconds: float = 300.0  # after startup, so a restart burst does not all verify at once

    # Logs: JSON lines (one object a line) or human-readable text; None = JSON in production, text in the demo.
    log_format: Literal["json", "text"] | None = None
    log_level: str = "INFO"

    # Demo only: where the emulator and the Playground run.
    demo_dir: Path = Path(".demo")
    devtenant_https_port: int = 8443
    devtenant_http_port: int = 8480
    playground_employee_port: int = 56150
    playground_admin_port: int = 56151

    @property
    def is_demo(self) -> bool:
        return self.mode == "demo"

    @property
    def audit_secrets(self) -> tuple[str, ...]:
        """The audit chain's keys, oldest first and the current one last (the demo's fixed key when none is set)."""
        current = self.audit_key.get_secret_value() or (DEMO_AUDIT_KEY if self.is_demo else "")
        return (*(key.get_secret_value() for key in self.audit_retired_keys), current)

    @model_validator(mode="after")
    def _production_needs_identity(self) -> Settings:
        if self.mode == "production":
            missing = [
                name
                for name, value in (
                    ("client id", self.client_id),
                    ("client secret", self.client_secret.get_secret_value()),
                    ("tenant id", self.tenant_id),
                    ("admins group id", self.admins_group_id),
                    ("audit key (DESK_AUDIT_KEY)", self.audit_key.get_secret_value()),
                )
                if not value
            ]
            if missing:
                raise ValueError(f"production mode needs: {', '.join(missing)}")
            if len(self.audit_key.get_secret_value()) < MIN_AUDIT_KEY_LENGTH:
                raise ValueError(f"the audit key (DESK_AUDIT_KEY) must be at least {MIN_AUDIT_KEY_LENGTH} characters")
        return self
