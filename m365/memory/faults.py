"""Failures a test injects into an in-memory tenant: the next calls of one port method raise a given error before
they read or change anything, as an outage or throttling would, so the desk's retry paths can be tested without a
transport (which the memory tenant does not model)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from m365.ports import Tenant

# The Tenant's ports by field name. directory_sync is left out: memory_tenant serves it from the directory's
# object, so its methods are already covered under "directory.".
_PORTS = ("directory", "licenses", "distribution_lists", "mailboxes", "recipients", "mail")

AsyncMethod = Callable[..., Awaitable[Any]]


class Faults:
    """Queued failures for the ports of one memory tenant, each method named "<port>.<method>" after the Tenant
    field it hangs on: "licenses.assign_many", "directory.remove_group_member", "distribution_lists.add_member".

    Building one wraps every public coroutine method of the tenant's port objects in place (so tenant_state and
    the ports' types stay as they were); build at most one per tenant. A method that calls another public method
    of its port (add_members calls add_member) meets the failures queued for both.
    """

    def __init__(self, tenant: Tenant) -> None:
        self._queued: dict[str, list[Exception]] = {}
        self._methods: set[str] = set()
        for port_name in _PORTS:
            port = getattr(tenant, port_name)
            if port is None:
                continue
            for name, method in inspect.getmembers(port, inspect.iscoroutinefunction):
                if name.startswith("_"):
                    continue
                key = f"{port_name}.{name}"
                self._methods.add(key)
                setattr(port, name, self._guarded(key, method))

    def fail_next(self, method: str, error: Exception, *, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` ("<port>.<method>") raise ``error`` instead of running."""
        if method not in self._methods:
            # A misspelt name would inject nothing, and the test meant to see the failure would pass without it.
            raise ValueError(f"no such port method: {method!r} (known: {', '.join(sorted(self._methods))})")
        self._queued.setdefault(method, []).extend([error] * times)

    def pending(self, method: str) -> int:
        """How many injected failures of ``method`` are still waiting for a call."""
        return len(self._queued.get(method, ()))

    def _guarded(self, key: str, method: AsyncMethod) -> AsyncMethod:
        @functools.wraps(method)
        async def guarded(*args: Any, **kwargs: Any) -> Any:
            queued = self._queued.get(key)
            if queued:
                raise queued.pop(0)
            return await method(*args, **kwargs)

        return guarded
