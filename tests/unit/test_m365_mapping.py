"""Pure mappings from Exchange rows and Graph models to the port dataclasses."""

from __future__ import annotations

import uuid

from msgraph.generated.models.assigned_license import AssignedLicense
from msgraph.generated.models.license_assignment_state import LicenseAssignmentState
from msgraph.generated.models.user import User

from m365.distribution_lists import _to_list, _to_member
from m365.graph_licenses import _batch_item, _user_licenses

E3 = "6fd2c87f-b296-42f0-b197-1e91e994b900"
E5 = "c7df2760-2c81-4ef7-b578-5b5392b571df"
GROUP = "11111111-2222-3333-4444-555555555555"


def test_exchange_row_becomes_a_distribution_list() -> None:
    row = {
        "ExternalDirectoryObjectId": "a1b2",
        "Guid": "ffff",
        "Name": "Marketing Team",
        "DisplayName": "Marketing Team",
        "PrimarySmtpAddress": "marketing@contoso.com",
        "Alias": "marketing",
        "ManagedBy": ["Owner One", "two@contoso.com"],
        "MemberJoinRestriction": "Open",
        "MemberDepartRestriction": "Open",
        "IsDirSynced": "True",
        "Description": ["line one", "line two"],
    }
    dl = _to_list(row, {"Owner One": "one@contoso.com", "two@contoso.com": "two@contoso.com"})
    assert dl.identity == "a1b2"
    assert dl.managed_by == ("one@contoso.com", "two@contoso.com")
    assert dl.member_join_restriction == "Open"
    assert dl.is_dir_synced is True
    assert dl.description == "line one\nline two"


def test_sparse_exchange_row_gets_safe_defaults() -> None:
    dl = _to_list({"Guid": "g1", "Name": "N", "ManagedBy": None, "IsDirSynced": False}, {})
    assert dl.identity == "g1"
    assert dl.display_name == "N"
    assert dl.managed_by == ()
    assert dl.member_join_restriction == "Closed"
    assert dl.is_dir_synced is False


def test_member_row_prefers_the_detailed_recipient_type() -> None:
    member = _to_member(
        {
            "PrimarySmtpAddress": "shared@contoso.com",
            "DisplayName": "Shared",
            "RecipientType": "UserMailbox",
            "RecipientTypeDetails": "SharedMailbox",
        }
    )
    assert member.recipient_type == "SharedMailbox"
    assert member.external_directory_object_id is None


def test_group_assigned_license_is_recognised() -> None:
    user = User(
        id="u1",
        assigned_licenses=[AssignedLicense(sku_id=uuid.UUID(E3)), AssignedLicense(sku_id=uuid.UUID(E5))],
        license_assignment_states=[
            LicenseAssignmentState(sku_id=uuid.UUID(E3), assigned_by_group=GROUP, state="Active"),
            LicenseAssignmentState(sku_id=uuid.UUID(E5), assigned_by_group=None, state="Active"),
            LicenseAssignmentState(
                sku_id=uuid.UUID(E5), assigned_by_group=GROUP, state="Error", error="Other"
            ),
        ],
    )
    licenses = _user_licenses(user, {E3: "ENTERPRISEPACK", E5: "ENTERPRISEPREMIUM"})
    assert [(lic.sku_part_number, lic.assigned_by_group) for lic in licenses] == [
        ("ENTERPRISEPACK", GROUP),
        ("ENTERPRISEPREMIUM", None),
    ]


def test_without_assignment_states_assigned_licenses_count_as_direct() -> None:
    user = User(id="u1", assigned_licenses=[AssignedLicense(sku_id=uuid.UUID(E3), disabled_plans=[])])
    (lic,) = _user_licenses(user, {E3: "ENTERPRISEPACK"})
    assert lic.sku_id == E3
    assert lic.assigned_by_group is None


def test_batch_item_is_a_relative_assign_license_post() -> None:
    item = _batch_item(("anna@contoso.com", [E5], [E3]))
    assert item["method"] == "POST"
    assert item["url"] == "/users/anna@contoso.com/assignLicense"
    assert item["headers"] == {"Content-Type": "application/json"}
    assert item["body"] == {"addLicenses": [{"skuId": E5, "disabledPlans": []}], "removeLicenses": [E3]}
