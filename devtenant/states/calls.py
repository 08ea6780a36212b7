"""The log of upstream requests the emulator served, and the request ids its services stamp on their answers."""

from __future__ import annotations

import uuid


class CallRecord(tuple):
    """(service, method, path, status) of one upstream request; `.cmdlet` names the Exchange cmdlet.

    Services: "token" (token endpoint POSTs), "graph" (HTTP requests, a `$batch` counts once),
    "graph.batch" (each request inside a `$batch`), "exchange" (InvokeCommand calls).
    """

    cmdlet: str | None
    query: str

    def __new__(cls, service: str, method: str, path: str, status: int, *, cmdlet: str | None = None,
                query: str = "") -> CallRecord:
        record = super().__new__(cls, (service, method, path, status))
        record.cmdlet = cmdlet
        record.query = query
        return record

    @property
    def service(self) -> str:
        return self[0]

    @property
    def method(self) -> str:
        return self[1]

    @property
    def path(self) -> str:
        return self[2]

    @property
    def status(self) -> int:
        return self[3]


class CallLog:
    """Every upstream request in arrival order, and a counter for request ids that stay the same from run to run."""

    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        self.records: list[CallRecord] = []
        self._request_seq = 0

    def log_call(self, service: str, method: str, path: str, status: int, *, cmdlet: str | None = None,
                 query: str = "") -> None:
        self.records.append(CallRecord(service, method, path, status, cmdlet=cmdlet, query=query))

    def clear(self) -> None:
        self.records.clear()

    def calls(self, service: str | None = None, *, cmdlet: str | None = None) -> list[CallRecord]:
        return [c for c in self.records
                if (service is None or c.service == service) and (cmdlet is None or c.cmdlet == cmdlet)]

    def next_request_id(self) -> str:
        self._request_seq += 1
        return str(uuid.uuid5(uuid.UUID(self.tenant_id), f"request:{self._request_seq}"))
