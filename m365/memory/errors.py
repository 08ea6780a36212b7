"""The typed errors the in-memory ports raise, built as the real adapters build them from Graph and Exchange
answers (same classes, codes, statuses and texts that callers or tests may read)."""

from __future__ import annotations

from typing import TypeVar

from m365.errors import (
    AddressInUse,
    DirSynced,
    ExchangeCmdletError,
    ExchangeNotFound,
    GroupAssignedLicense,
    InvalidRequest,
    NoFreeSeats,
    NotFound,
    UsageLocationMissing,
)

_NOT_FOUND = ("Ex6F9304", "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException")
_ARGUMENT_NOT_FOUND = ("Ex94914C", "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException")
_AMBIGUOUS = ("Ex9D5A0F", "Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException")
_DIR_SYNCED = ("Ex2F6C48", "Microsoft.Exchange.Configuration.Tasks.TaskException")
_ADDRESS_IN_USE = ("ExB7F2E5", "Microsoft.Exchange.Data.DataValidationException")
_INVALID_VALUE = ("Ex1D0C3A", "Microsoft.Exchange.Data.DataValidationException")
_NAME_IN_USE = ("Ex4A7E20", "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException")
_OWNER_REQUIRED = ("Ex6B3D91", "Microsoft.Exchange.Configuration.Tasks.RecipientTaskException")
_ARGUMENT = ("", "System.ArgumentException")
E = TypeVar("E", bound=ExchangeCmdletError)
_SERVER = "DB9PR07MB8123.EURPRD07.PROD.OUTLOOK.COM"


# ------------------------------------------------------------------ Graph
def graph_not_found(key: str) -> NotFound:
    return NotFound(f"Resource '{key}' does not exist or one of its queried reference-property objects are not "
                    "present.", code="Request_ResourceNotFound", status=404)


def graph_bad_request(message: str) -> InvalidRequest:
    return InvalidRequest(message, code="Request_BadRequest", status=400)


def usage_location_missing() -> UsageLocationMissing:
    return UsageLocationMissing("License assignment cannot be done for user with invalid usage location.",
                                code="Request_BadRequest", status=400)


def no_free_seats(sku_id: str) -> NoFreeSeats:
    return NoFreeSeats(f"Subscription with SKU {sku_id} does not have any available licenses.",
                       code="Request_BadRequest", status=400)


def group_assigned() -> GroupAssignedLicense:
    return GroupAssignedLicense("User license is inherited from a group membership and it cannot be removed "
                                "directly from the user.", code="Request_BadRequest", status=400)


# ------------------------------------------------------------------ Exchange (as exchange_error types a cmdlet error)
def _cmdlet(kind: type[E], cmdlet: str, error: tuple[str, str], text: str) -> E:
    return kind(f"{cmdlet}: {text}", exception_type=error[1], error_id=error[0], code="BadRequest", status=400)


def object_not_found(cmdlet: str, identity: str) -> ExchangeNotFound:
    return _cmdlet(ExchangeNotFound, cmdlet, _NOT_FOUND, f"The operation couldn't be performed because object "
                                                         f"'{identity}' couldn't be found on '{_SERVER}'.")


def argument_not_found(cmdlet: str, identity: str) -> ExchangeNotFound:
    return _cmdlet(ExchangeNotFound, cmdlet, _ARGUMENT_NOT_FOUND, f'Couldn\'t find object "{identity}". Please make '
                   "sure that it was spelled correctly or specify a different object.")


def ambiguous(cmdlet: str, identity: str) -> ExchangeCmdletError:
    return _cmdlet(ExchangeCmdletError, cmdlet, _AMBIGUOUS,
                   f"The operation couldn't be performed because '{identity}' matches multiple entries.")


def dir_synced(cmdlet: str, parameter: str, name: str) -> DirSynced:
    return _cmdlet(DirSynced, cmdlet, _DIR_SYNCED, f"The action '{cmdlet}', '{parameter}', can't be performed on "
                   f"the object '{name}' because the object is being synchronized from your on-premises "
                   "organization. This action should be performed on the object in your on-premises organization.")


def address_in_use(cmdlet: str, address: str, holder: str) -> AddressInUse:
    return _cmdlet(AddressInUse, cmdlet, _ADDRESS_IN_USE, f'The proxy address "SMTP:{address}" is already being '
                   f'used by the proxy addresses or LegacyExchangeDN of "{holder}". Please choose another proxy '
                   "address.")


def invalid_value(cmdlet: str, text: str) -> ExchangeCmdletError:
    return _cmdlet(ExchangeCmdletError, cmdlet, _INVALID_VALUE, text)


def name_in_use(cmdlet: str, name: str) -> ExchangeCmdletError:
    return _cmdlet(ExchangeCmdletError, cmdlet, _NAME_IN_USE,
                   f'The name "{name}" is already being used. Please try another name.')


def owner_required(cmdlet: str, text: str) -> ExchangeCmdletError:
    return _cmdlet(ExchangeCmdletError, cmdlet, _OWNER_REQUIRED, text)


def argument(cmdlet: str, text: str) -> ExchangeCmdletError:
    return _cmdlet(ExchangeCmdletError, cmdlet, _ARGUMENT, text)
