"""Fault injection: latency and throttling/outage responses, per service, set by tests or over HTTP."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

SERVICES = ("token", "graph", "exchange", "connector")


@dataclass
class FaultRule:
    """One fault: delay `latency_ms`, then answer `status` (if set) instead of the real response.

    `times` counts the requests the rule still applies to (None = until cleared); `hits` how many it hit.
    """

    service: str
    latency_ms: int = 0
    status: int | None = None
    retry_after: float = 1
    times: int | None = None
    path_contains: str | None = None
    hits: int = 0

    def matches(self, service: str, path: str) -> bool:
        if service != self.service or (self.times is not None and self.times <= 0):
            return False
        return self.path_contains is None or self.path_contains.lower() in path.lower()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class FaultInjector:
    """The active fault rules. Services ask `take(service, path)` once per request they handle."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []

    def set(self, service: str, *, latency_ms: int = 0, status: int | None = None, retry_after: float = 1,
            times: int | None = None, path_contains: str | None = None) -> FaultRule:
        """Add a rule (replacing one for the same service and path filter) and return it."""
        if service not in SERVICES:
            raise ValueError(f"unknown service {service!r}; expected one of {', '.join(SERVICES)}")
        if status is not None and not 400 <= int(status) <= 599:
            raise ValueError("status must be an HTTP error status such as 429 or 503")
        if times is not None and times < 0:
            raise ValueError("times must be >= 0 or None")
        rule = FaultRule(service, int(latency_ms), None if status is None else int(status), float(retry_after),
                         times, path_contains or None)
        self._rules = [r for r in self._rules
                       if (r.service, r.path_contains) != (rule.service, rule.path_contains)]
        self._rules.append(rule)
        return rule

    def clear(self, service: str | None = None) -> None:
        self._rules = [] if service is None else [r for r in self._rules if r.service != service]

    def rules(self) -> list[FaultRule]:
        return list(self._rules)

    def take(self, service: str, path: str) -> FaultRule | None:
        """The rule that applies to this request, if any; consumes one of its `times`."""
        for rule in self._rules:
            if rule.matches(service, path):
                rule.hits += 1
                if rule.times is not None:
                    rule.times -= 1
                return rule
        return None

    def set_from_json(self, payload: dict[str, Any]) -> FaultRule:
        """`POST /_devtenant/faults` body: {"service": ..., "latency_ms": ..., "status": ..., ...}."""
        allowed = {"latency_ms", "status", "retry_after", "times", "path_contains"}
        unknown = set(payload) - allowed - {"service"}
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        if "service" not in payload:
            raise ValueError("'service' is required")
        return self.set(str(payload["service"]), **{k: v for k, v in payload.items() if k in allowed})
