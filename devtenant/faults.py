"""Fault injection: latency and throttling/outage responses, per service, and Graph's identity write limit."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
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


# Documented (learn.microsoft.com/graph/throttling-limits, identity and access): 3,000 writes per 2 min 30 s
# per app and tenant. A token bucket of 3,000 that refills at 3,000 / 150 s = 20 writes per second.
WRITE_LIMIT = 3000
WRITE_WINDOW_S = 150.0
# POSTs that only read (Graph counts them as reads, not writes).
_READING_POSTS = ("/checkmembergroups", "/getmembergroups", "/checkmemberobjects", "/getmemberobjects")


def is_identity_write(method: str, path: str) -> bool:
    """A Graph request the identity write limit counts: a change to a user or group (each $batch item alone)."""
    lowered = path.lower()
    if method.upper() not in ("POST", "PATCH", "PUT", "DELETE") or lowered.endswith("/$batch"):
        return False
    if not lowered.startswith(("/v1.0/users", "/v1.0/groups")):
        return False
    # Mail (drafts, send, sendMail, mailboxSettings) is Outlook's service with its own limits, not an identity write.
    if "/messages" in lowered or lowered.endswith(("/sendmail", "/mailboxsettings")):
        return False
    return not lowered.endswith(_READING_POSTS)


@dataclass
class WriteThrottle:
    """Graph's identity write limit as a token bucket per app and tenant, switched on by tests or over HTTP.

    `limit` writes per `window_s` seconds; the bucket holds `limit` and refills at limit / window_s per second.
    `start_tokens` below `limit` starts it partly used (0 = an app that has just spent its budget), which is
    how a benchmark sees the sustained rate without first spending 3,000 writes. A refused write gets 429 with
    Retry-After in whole seconds until the next token, as Graph sends it.
    """

    limit: int = WRITE_LIMIT
    window_s: float = WRITE_WINDOW_S
    start_tokens: float | None = None
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    allowed: int = 0
    throttled: int = 0
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window_s <= 0:
            raise ValueError("limit must be >= 1 and window_s > 0")
        if self.start_tokens is not None and not 0 <= self.start_tokens <= self.limit:
            raise ValueError("start_tokens must be within 0..limit")

    @property
    def rate(self) -> float:
        """Writes per second the bucket refills with."""
        return self.limit / self.window_s

    def take(self, key: str) -> float | None:
        """Spend one write for `key` (app id + tenant): None if allowed, else the Retry-After in seconds."""
        now = self.clock()
        start = float(self.limit if self.start_tokens is None else self.start_tokens)
        tokens, at = self._buckets.get(key, (start, now))
        tokens = min(float(self.limit), tokens + (now - at) * self.rate)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now)
            self.allowed += 1
            return None
        self._buckets[key] = (tokens, now)
        self.throttled += 1
        return float(max(1, math.ceil((1 - tokens) / self.rate)))

    def as_dict(self) -> dict[str, Any]:
        return {"limit": self.limit, "window_s": self.window_s, "start_tokens": self.start_tokens,
                "rate_per_s": self.rate, "allowed": self.allowed, "throttled": self.throttled}


class FaultInjector:
    """The active fault rules. Services ask `take(service, path)` once per request they handle."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self.write_throttle: WriteThrottle | None = None  # off unless switched on

    def throttle_writes(self, *, limit: int = WRITE_LIMIT, window_s: float = WRITE_WINDOW_S,
                        start_tokens: float | None = None) -> WriteThrottle:
        """Switch on Graph's identity write limit (the documented one by default); returns it for its counters."""
        self.write_throttle = WriteThrottle(int(limit), float(window_s),
                                            None if start_tokens is None else float(start_tokens))
        return self.write_throttle

    def throttle_writes_from_json(self, payload: dict[str, Any]) -> WriteThrottle:
        """`POST /_devtenant/throttle` body: {"limit": 3000, "window_s": 150, "start_tokens": null}, all optional."""
        allowed = {"limit", "window_s", "start_tokens"}
        unknown = set(payload) - allowed
        if unknown:
            raise ValueError(f"unknown throttle fields: {', '.join(sorted(unknown))}")
        return self.throttle_writes(**payload)

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
        if service in (None, "graph"):
            self.write_throttle = None

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
