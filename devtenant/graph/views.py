"""Graph resource shapes: the properties of users and groups, their defaults, filter rules and views."""

from __future__ import annotations

import copy
from typing import Any

from devtenant.graph.filters import FilterRules

USER_TYPE = "microsoft.graph.user"
USER_DEFAULTS = ("businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone", "officeLocation",
                 "preferredLanguage", "surname", "userPrincipalName", "id")
# Properties of microsoft.graph.user this tenant never fills: selectable, always null.
_UNSET = ("aboutMe", "ageGroup", "birthday", "consentProvidedForMinor", "creationType", "deletedDateTime",
          "employeeHireDate", "employeeLeaveDateTime", "employeeType", "externalUserState", "faxNumber",
          "hireDate", "imAddresses", "interests", "isResourceAccount", "lastPasswordChangeDateTime",
          "legalAgeGroupClassification", "mySite", "onPremisesDistinguishedName", "onPremisesDomainName",
          "onPremisesImmutableId", "onPremisesLastSyncDateTime", "onPremisesSamAccountName",
          "onPremisesSecurityIdentifier", "onPremisesUserPrincipalName", "otherMails", "passwordPolicies",
          "pastProjects", "postalCode", "preferredDataLocation", "preferredName", "responsibilities", "schools",
          "securityIdentifier", "showInAddressList", "skills", "state", "streetAddress")
# Collection-valued ones among them come back as [] rather than null.
_UNSET_COLLECTIONS = frozenset({"imAddresses", "interests", "otherMails", "pastProjects", "responsibilities",
                                "schools", "skills"})
USER_PROPERTIES = (
    "id", "accountEnabled", "assignedLicenses", "businessPhones", "city", "companyName", "country",
    "createdDateTime", "department", "displayName", "employeeId", "givenName", "jobTitle",
    "licenseAssignmentStates", "mail", "mailNickname", "mobilePhone", "officeLocation", "onPremisesSyncEnabled",
    "preferredLanguage", "proxyAddresses", "signInActivity", "surname", "usageLocation", "userPrincipalName",
    "userType", *_UNSET)

USER_FILTER = FilterRules(
    resource="User",
    type_name=USER_TYPE,
    eq=frozenset({"id", "userPrincipalName", "mail", "displayName", "givenName", "surname", "accountEnabled",
                  "usageLocation", "department", "jobTitle", "country", "city", "companyName", "employeeId",
                  "mailNickname", "userType", "officeLocation", "preferredLanguage", "onPremisesSyncEnabled",
                  "assignedLicenses/skuId", "proxyAddresses", "businessPhones"}),
    startswith=frozenset({"displayName", "givenName", "surname", "userPrincipalName", "mail", "mailNickname",
                          "jobTitle", "department", "country", "city", "companyName", "employeeId", "usageLocation",
                          "officeLocation", "proxyAddresses"}),
    collections={"assignedLicenses": frozenset({"skuId"}), "proxyAddresses": frozenset({""}),
                 "businessPhones": frozenset({""})},
    known=frozenset(USER_PROPERTIES),
)

GROUP_TYPE = "microsoft.graph.group"
GROUP_DEFAULTS = (
    "id", "deletedDateTime", "classification", "createdDateTime", "creationOptions", "description", "displayName",
    "expirationDateTime", "groupTypes", "isAssignableToRole", "mail", "mailEnabled", "mailNickname",
    "membershipRule", "membershipRuleProcessingState", "onPremisesDomainName", "onPremisesLastSyncDateTime",
    "onPremisesNetBiosName", "onPremisesSamAccountName", "onPremisesSecurityIdentifier", "onPremisesSyncEnabled",
    "preferredDataLocation", "preferredLanguage", "proxyAddresses", "renewedDateTime", "resourceBehaviorOptions",
    "resourceProvisioningOptions", "securityEnabled", "securityIdentifier", "theme", "uniqueName", "visibility",
    "onPremisesProvisioningErrors", "serviceProvisioningErrors")
GROUP_PROPERTIES = (*GROUP_DEFAULTS, "assignedLicenses", "licenseProcessingState")
_EMPTY_LISTS = ("creationOptions", "resourceBehaviorOptions", "resourceProvisioningOptions",
                "onPremisesProvisioningErrors", "serviceProvisioningErrors", "proxyAddresses", "assignedLicenses")

GROUP_FILTER = FilterRules(
    resource="Group",
    type_name=GROUP_TYPE,
    eq=frozenset({"id", "displayName", "mail", "mailNickname", "mailEnabled", "securityEnabled",
                  "onPremisesSyncEnabled", "proxyAddresses", "groupTypes", "assignedLicenses/skuId",
                  "securityIdentifier"}),
    startswith=frozenset({"displayName", "mail", "mailNickname", "proxyAddresses"}),
    collections={"groupTypes": frozenset({""}), "proxyAddresses": frozenset({""}),
                 "assignedLicenses": frozenset({"skuId"})},
    known=frozenset(GROUP_PROPERTIES),
)

def user_view(user: dict[str, Any], select: list[str] | None, *, typed: bool = False) -> dict[str, Any]:
    keys = select if select is not None else list(USER_DEFAULTS)
    body: dict[str, Any] = {"@odata.type": f"#{USER_TYPE}"} if typed else {}
    for key in keys:
        body[key] = copy.deepcopy(user.get(key, [] if key in _UNSET_COLLECTIONS else None))
    return body


def group_view(group: dict[str, Any], select: list[str] | None, *, typed: bool = False) -> dict[str, Any]:
    keys = select if select is not None else list(GROUP_DEFAULTS)
    body: dict[str, Any] = {"@odata.type": f"#{GROUP_TYPE}"} if typed else {}
    for key in keys:
        default: Any = [] if key in _EMPTY_LISTS else None
        if key == "licenseProcessingState":
            default = {"state": "ProcessingComplete"} if group.get("assignedLicenses") else None
        body[key] = copy.deepcopy(group.get(key, default))
    return body
