"""Cmdlet dispatch: a registry from cmdlet name to handler, with binding against the cmdlet catalog."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from devtenant.exchange.cmdlets import BoundCall, CmdletCatalog, bind, command_not_found
from devtenant.exchange.errors import NOT_IMPLEMENTED, CmdletError
from devtenant.state import TenantState


@dataclass
class CmdletResult:
    """What a cmdlet wrote to the pipeline, plus its WARNING stream (InvokeCommand's @adminapi.warnings)."""

    values: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    pageable: bool = False  # a read whose output may be split across @odata.nextLink pages


CmdletHandler = Callable[[TenantState, BoundCall], Awaitable[CmdletResult]]


class CmdletRegistry:
    """Known cmdlets come from the catalog; emulated ones also have a handler. Add one with `register`."""

    def __init__(self, catalog: CmdletCatalog) -> None:
        self.catalog = catalog
        self._handlers: dict[str, CmdletHandler] = {}

    def register(self, name: str, handler: CmdletHandler) -> None:
        spec = self.catalog.get(name)
        if spec is None:
            raise ValueError(f"{name} is not in the cmdlet catalog; add its parameters to data/exchange_cmdlets.json")
        self._handlers[spec.name.lower()] = handler

    def emulated(self) -> list[str]:
        return sorted(self.catalog.get(n).name for n in self._handlers)  # type: ignore[union-attr]  # every registered handler is in the catalog

    async def invoke(self, state: TenantState, name: str, parameters: Any) -> CmdletResult:
        spec = self.catalog.get(name)
        if spec is None:
            raise command_not_found(name)
        call = bind(spec, parameters)
        handler = self._handlers.get(spec.name.lower())
        if handler is None:
            raise CmdletError(NOT_IMPLEMENTED, f"devtenant does not emulate the cmdlet '{spec.name}' yet.")
        return await handler(state, call)
