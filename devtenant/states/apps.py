"""Entra's app registrations: the client secret and the app roles each one was granted per resource."""

from __future__ import annotations

from dataclasses import dataclass, field

from devtenant.tokens import BOTFRAMEWORK_RESOURCE, EXCHANGE_ADMIN_ROLE_TEMPLATE, EXCHANGE_RESOURCE, GRAPH_RESOURCE

# GroupMember.ReadWrite.All: the desk removes people from licensing groups (group.leave requests).
DEFAULT_GRAPH_ROLES = (
    "User.ReadWrite.All", "LicenseAssignment.ReadWrite.All", "Group.Read.All", "GroupMember.ReadWrite.All",
    "Directory.Read.All", "Organization.Read.All", "Reports.Read.All", "AuditLog.Read.All",
    "ReportSettings.Read.All", "Mail.ReadWrite", "Mail.Send", "MailboxSettings.Read",
)
DEFAULT_EXCHANGE_ROLES = ("Exchange.ManageAsApp",)


@dataclass
class AppRegistration:
    """An app registration the token endpoint knows: its secret and the app roles granted per resource."""

    client_id: str
    client_secret: str
    display_name: str
    roles: dict[str, list[str]]
    wids: list[str] = field(default_factory=list)


def desk_app_registrations(client_id: str, client_secret: str) -> dict[str, AppRegistration]:
    """The one registration the desk uses for Graph, Exchange and the bot, with the permissions it needs."""
    return {
        client_id: AppRegistration(
            client_id=client_id, client_secret=client_secret, display_name="M365 Desk",
            roles={GRAPH_RESOURCE: list(DEFAULT_GRAPH_ROLES), EXCHANGE_RESOURCE: list(DEFAULT_EXCHANGE_ROLES),
                   BOTFRAMEWORK_RESOURCE: []},
            wids=[EXCHANGE_ADMIN_ROLE_TEMPLATE]),
    }
