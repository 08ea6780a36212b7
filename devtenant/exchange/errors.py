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
