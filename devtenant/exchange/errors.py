"""Exchange cmdlet errors and the InvokeCommand error body (`details[].message` = "ErrId|ExceptionType|text")."""

from __future__ import annotations

from typing import Any

ODATA_EXCEPTION = "Microsoft.Exchange.Admin.OData.Core.ODataServiceException"

# ErrIds seen in public code that handles real responses: Ex6F9304 (Identity not found) and Ex94914C (a
# -Member/-User argument not found). The others are stable stand-ins in the same format.
NOT_FOUND = ("Ex6F9304", "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException")
ARGUMENT_NOT_FOUND = ("Ex94914C", "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException")
AMBIGUOUS = ("Ex9D5A0F", "Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException")
MEMBER_EXISTS = ("Ex7B4E91", "Microsoft.Exchange.Management.Tasks.MemberAlreadyExistsException")
MEMBER_NOT_FOUND = ("Ex5E2C77", "Microsoft.Exchange.Management.Tasks.MemberNotFoundException")
GROUP_MANAGER = ("Ex8A1D3B", "Microsoft.Exchange.Management.Tasks.OperationRequiresGroupManagerException")
DIR_SYNCED = ("Ex2F6C48", "Microsoft.Exchange.Configuration.Tasks.TaskException")
PARAMETER_BINDING = ("", "System.Management.Automation.ParameterBindingException")
COMMAND_NOT_FOUND = ("", "System.Management.Automation.CommandNotFoundException")
NOT_IMPLEMENTED = ("", "System.NotImplementedException")
ARGUMENT = ("", "System.ArgumentException")


class CmdletError(Exception):
    """A cmdlet failure as InvokeCommand reports it."""

    def __init__(self, kind: tuple[str, str], text: str, status: int = 400) -> None:
        super().__init__(text)
        self.err_id, self.exception_type = kind
        self.text = text
        self.status = status

    @property
    def detail(self) -> str:
        return f"{self.err_id}|{self.exception_type}|{self.text}"

    def body(self) -> dict[str, Any]:
        return {"error": {
            "code": "BadRequest" if self.status == 400 else "InternalServerError",
            "message": "Error executing cmdlet",
            "details": [{"code": "Client" if self.status < 500 else "Server", "target": "", "message": self.detail}],
            "innererror": {"message": "Error executing cmdlet", "type": ODATA_EXCEPTION},
        }}


def object_not_found(identity: str, server: str) -> CmdletError:
    return CmdletError(NOT_FOUND, f"The operation couldn't be performed because object '{identity}' couldn't be "
                                  f"found on '{server}'.")


def argument_not_found(identity: str) -> CmdletError:
    return CmdletError(ARGUMENT_NOT_FOUND, f'Couldn\'t find object "{identity}". Please make sure that it was '
                                           "spelled correctly or specify a different object.")


def ambiguous(identity: str) -> CmdletError:
    return CmdletError(AMBIGUOUS, f"The operation couldn't be performed because '{identity}' matches multiple "
                                  "entries.")


def parameter_binding(text: str) -> CmdletError:
    return CmdletError(PARAMETER_BINDING, text)


# --- creating and changing recipients (distribution lists, issue 3). ErrIds are stand-ins in the real format;
# the texts of address_in_use and invalid_alias are Exchange's documented ones, the others are close paraphrases.
ADDRESS_IN_USE = ("ExB7F2E5", "Microsoft.Exchange.Data.DataValidationException")
INVALID_VALUE = ("Ex1D0C3A", "Microsoft.Exchange.Data.DataValidationException")
NAME_IN_USE = ("Ex4A7E20", "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException")
OWNER_REQUIRED = ("Ex6B3D91", "Microsoft.Exchange.Configuration.Tasks.RecipientTaskException")
PARAMETER_VALIDATION = ("", "System.Management.Automation.ParameterBindingValidationException")

ALIAS_RULE = ("Valid values are: Strings formed with characters from A to Z (uppercase or lowercase), digits from 0 "
              "to 9, !, #, $, %, &, ', *, +, -, /, =, ?, ^, _, `, {, |, } or ~. One or more periods may be embedded "
              "in an alias, but each period should be preceded and followed by at least one of the other "
              "characters.")


def address_in_use(address: str, holder: str) -> CmdletError:
    return CmdletError(ADDRESS_IN_USE, f'The proxy address "SMTP:{address}" is already being used by the proxy '
                                       f'addresses or LegacyExchangeDN of "{holder}". Please choose another proxy '
                                       "address.")


def invalid_alias(alias: str) -> CmdletError:
    return CmdletError(INVALID_VALUE, f'Property expression "{alias}" isn\'t valid. {ALIAS_RULE}')


def invalid_address(address: str) -> CmdletError:
    return CmdletError(INVALID_VALUE, f'The email address "{address}" isn\'t correct. Please use this format: user '
                                      "name, the @ sign, followed by the domain name. For example, "
                                      "tonysmith@contoso.com or tony.smith@contoso.com.")


def domain_not_accepted(address: str) -> CmdletError:
    domain = address.rsplit("@", 1)[-1]
    return CmdletError(INVALID_VALUE, f'The domain "{domain}" of the email address "{address}" isn\'t an accepted '
                                      "domain for your organization.")


def too_long(parameter: str, limit: int) -> CmdletError:
    return CmdletError(PARAMETER_VALIDATION, f"Cannot validate argument on parameter '{parameter}'. The length of "
                                             "the argument is too long. Shorten the length of the argument to less "
                                             f'than or equal to "{limit}" and then try the command again.')


# --- shared mailboxes and mailbox permissions (helper B). New-Mailbox reuses address_in_use, invalid_alias,
# domain_not_accepted and too_long above. ErrIds are stand-ins in the real format.
ACE_NOT_FOUND = ("Ex3C7D19", "Microsoft.Exchange.Configuration.Tasks.TaskException")


def ace_not_found(identity: str, account: str) -> CmdletError:
    """Remove-MailboxPermission for an ACE that is not there (the text the BypassMasterAccountSid docs quote)."""
    return CmdletError(ACE_NOT_FOUND, ace_not_found_text(identity, account))


def ace_not_found_text(identity: str, account: str) -> str:
    return (f'Can\'t remove the access control entry on the object "{identity}" for account "{account}" because the '
            "ACE doesn't exist on the object.")


def ace_already_present_text(identity: str, account: str) -> str:
    """The WARNING (not an error) Exchange writes when the ACE to add is already there (M365-APIS §2.4)."""
    return (f'The appropriate access control entry is already present on the object "{identity}" for account '
            f'"{account}".')


def dir_synced(cmdlet: str, parameter: str, name: str) -> CmdletError:
    return CmdletError(DIR_SYNCED, f"The action '{cmdlet}', '{parameter}', can't be performed on the object '{name}' "
                                   "because the object is being synchronized from your on-premises organization. "
                                   "This action should be performed on the object in your on-premises organization.")
