"""The Exchange Online client: allow-listed cmdlets over the InvokeCommand REST endpoint and its $batch, with paging,
and retries for reads only (a change is sent once per job attempt; see handlers/jobs.py)."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from m365.credentials import MsalCredentials
from m365.errors import InvalidRequest, M365Error, TransientError
from m365.exchange_cmdlets import allowed_cmdlet, is_change
from m365.exchange_errors import exchange_error

logger = logging.getLogger(__name__)

DEFAULT_EXCHANGE_SCOPE = "https://outlook.office365.com/.default"

# The arbitration mailbox EXO's own REST module anchors org-wide cmdlets on.
_SYSTEM_MAILBOX = "SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}"
_PROPERTY_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
# Cmdlets per $batch request: no limit is documented; CIPP, the largest public user, sends 10 (M365-APIS.md §2.2).
BATCH_LIMIT = 10


@dataclass(frozen=True, slots=True)
class ExchangeResult:
    values: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class _WaitRetryAfter:
    """Tenacity wait: the service's Retry-After when it sent one, else exponential backoff with jitter."""

    def __init__(self, base_delay: float, max_delay: float) -> None:
        self._backoff = wait_random_exponential(multiplier=base_delay, max=max_delay)
        self._max_delay = max_delay

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, TransientError) and error.retry_after is not None:
            return min(error.retry_after, self._max_delay)
        return float(self._backoff(retry_state))


class ExchangeClient:
    """Runs allow-listed cmdlets through ``POST {base_url}/{tenant}/InvokeCommand``.

    Reads (Get-*) are retried here on throttling and outages, up to ``max_attempts``. A change is sent once: after a
    timeout or a 5xx it may have been applied, so only the job runner, whose steps re-read before they write, may
    send it again (the retry budget is described in handlers/jobs.py).
    """

    def __init__(
        self,
        base_url: str,
        tenant_id: str,
        credentials: MsalCredentials,
        *,
        session: aiohttp.ClientSession,
        scope: str = DEFAULT_EXCHANGE_SCOPE,
        max_attempts: int = 5,
        base_delay: float = 1.0,
        max_delay: float = 60.0,
        timeout: float = 120.0,
        page_size: int = 1000,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._tenant_id = tenant_id
        self._credentials = credentials
        self._session = session
        self._scope = scope
        self._max_attempts = max(1, max_attempts)
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._page_size = page_size
        self._host = urlsplit(self._base_url).netloc.lower()

    @property
    def tenant_id(self) -> str:
        return self._tenant_id

    async def invoke(
        self,
        cmdlet: str,
        parameters: Mapping[str, object],
        *,
        select: Sequence[str] = (),
        anchor: str | None = None,
    ) -> ExchangeResult:
        """Run one cmdlet and return every page of its output; raises typed errors, never returns them.

        A read is retried on throttling and outages; a change is sent once (its TransientError is the caller's)."""
        name = allowed_cmdlet(cmdlet)
        body = {"CmdletInput": {"CmdletName": name, "Parameters": dict(parameters)}}
        anchor_header = self._anchor(anchor)
        attempts = self._attempts((name,))
        page = await self._post_with_retries(self._invoke_url(select), body, name, anchor_header, attempts=attempts)
        return await self._all_pages(page, body, name, anchor_header)

    async def invoke_batch(
        self,
        commands: Sequence[tuple[str, Mapping[str, object]]],
        *,
        select: Sequence[str] = (),
        anchor: str | None = None,
    ) -> list[ExchangeResult | M365Error]:
        """Run many cmdlets through ``$batch`` (BATCH_LIMIT per request); one outcome per command, in order.

        A failed cmdlet is returned as its typed error, never raised. Throttled or unavailable reads (429/5xx,
        or the whole request failing transiently) are sent again, honouring Retry-After, up to ``max_attempts``;
        a change is sent once, and a request carrying one is not resent as a whole either. What still fails is
        returned as its TransientError. Only a cmdlet outside the allow-list raises (CmdletNotAllowed), before
        anything is sent.
        """
        names = [allowed_cmdlet(cmdlet) for cmdlet, _ in commands]
        url = self._invoke_url(select)
        anchor_header = self._anchor(anchor)
        bodies = [{"CmdletInput": {"CmdletName": name, "Parameters": dict(parameters)}}
                  for name, (_, parameters) in zip(names, commands, strict=True)]
        outcomes: list[ExchangeResult | M365Error] = [
            TransientError("not sent") for _ in commands
        ]
        pending = list(range(len(commands)))
        for attempt in range(1, self._max_attempts + 1):
            retry: list[int] = []
            waits: list[float | None] = []
            for start in range(0, len(pending), BATCH_LIMIT):
                chunk = pending[start: start + BATCH_LIMIT]
                answers, sent = await self._send_batch(chunk, names, bodies, url, anchor_header)
                for index, outcome in zip(chunk, answers, strict=True):
                    outcomes[index] = outcome
                    # A request that failed as a whole was already retried as often as it may be: not again here.
                    if sent and isinstance(outcome, TransientError) and not is_change(names[index]):
                        retry.append(index)
                        waits.append(outcome.retry_after)
            if not retry or attempt == self._max_attempts:
                break
            delay = self._batch_delay(attempt, waits)
            logger.info("%d of %d batched cmdlets failed transiently; resending in %.2f s",
                        len(retry), len(commands), delay)
            await asyncio.sleep(delay)
            pending = retry
        return outcomes

    async def _send_batch(
        self, chunk: list[int], names: list[str], bodies: list[dict[str, Any]], url: str, anchor: str
    ) -> tuple[list[ExchangeResult | M365Error], bool]:
        """One $batch request (itself retried when it fails as a whole, unless it carries a change): the outcomes of
        ``chunk``, and whether the request got an answer (False: every outcome is the request's own error)."""
        requests = [
            {"id": str(index), "method": "POST", "url": url, "body": bodies[index],
             "headers": {"X-CmdletName": names[index], "X-AnchorMailbox": anchor, "Content-Type": "application/json"}}
            for index in chunk
        ]
        try:
            answer = await self._post_with_retries(
                f"{self._base_url}/{self._tenant_id}/$batch", {"requests": requests}, None, anchor,
                attempts=self._attempts([names[index] for index in chunk]),
                extra_headers={"Prefer": "odata.continue-on-error"},
            )
        except M365Error as exc:
            return [exc for _ in chunk], False
        by_id = {str(r.get("id")): r for r in answer.get("responses", []) or [] if isinstance(r, dict)}
        outcomes: list[ExchangeResult | M365Error] = []
        for index in chunk:
            item = by_id.get(str(index))
            name = names[index]
            if item is None:
                outcomes.append(TransientError(f"{name}: no answer for this item in the $batch response"))
                continue
            status = int(item.get("status") or 500)
            body = item.get("body")
            if 200 <= status < 300 and isinstance(body, dict):
                try:
                    outcomes.append(await self._all_pages(body, bodies[index], name, anchor))
                except M365Error as exc:
                    outcomes.append(exc)
            else:
                headers = item.get("headers") if isinstance(item.get("headers"), dict) else None
                outcomes.append(exchange_error(status, body, headers, cmdlet=name))
        return outcomes, True

    def _batch_delay(self, attempt: int, waits: list[float | None]) -> float:
        """The longest Retry-After the items asked for, else exponential backoff with jitter."""
        asked = [w for w in waits if w is not None]
        if asked:
            return min(max(asked), self._max_delay)
        return min(random.uniform(0, self._base_delay * 2 ** (attempt - 1)), self._max_delay)

    async def _all_pages(
        self, page: dict[str, Any], body: dict[str, Any], name: str, anchor: str
    ) -> ExchangeResult:
        """The values of ``page`` and of every page after it (POST the same body to @odata.nextLink)."""
        values: list[dict[str, Any]] = []
        warnings: list[str] = []
        while True:
            values.extend(v for v in page.get("value", []) if isinstance(v, dict))
            page_warnings = [str(w) for w in page.get("@adminapi.warnings", []) or []]
            for warning in page_warnings:
                logger.warning("%s warned: %s", name, warning)
            warnings.extend(page_warnings)
            next_url = page.get("@odata.nextLink")
            if next_url is None:
                return ExchangeResult(values=values, warnings=warnings)
            if urlsplit(next_url).netloc.lower() != self._host:
                # The same body and bearer token go to the next link: never to another host.
                raise M365Error(f"{name}: refusing to follow a nextLink to another host: {next_url}")
            page = await self._post_with_retries(next_url, body, name, anchor, attempts=self._attempts((name,)))

    def _invoke_url(self, select: Sequence[str]) -> str:
        for prop in select:
            if not _PROPERTY_NAME.match(prop):
                raise InvalidRequest(f"not a property name for $select: {prop!r}")
        url = f"{self._base_url}/{self._tenant_id}/InvokeCommand"
        return url + ("?$select=" + ",".join(select) if select else "")

    def _anchor(self, anchor: str | None) -> str:
        return f"UPN:{anchor}" if anchor else f"APP:{_SYSTEM_MAILBOX}@{self._tenant_id}"

    def _attempts(self, cmdlets: Sequence[str]) -> int:
        """How often a request carrying ``cmdlets`` may be sent: once if any of them is a change."""
        return 1 if any(is_change(name) for name in cmdlets) else self._max_attempts

    async def _post_with_retries(
        self,
        url: str,
        body: dict[str, Any],
        cmdlet: str | None,
        anchor: str,
        *,
        attempts: int,
        extra_headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(TransientError),
            wait=_WaitRetryAfter(self._base_delay, self._max_delay),
            stop=stop_after_attempt(attempts),
            before_sleep=self._log_retry,
            reraise=True,  # after the last attempt the caller sees our TransientError/Throttled itself
        )
        async for attempt in retrying:
            with attempt:
                return await self._post(url, body, cmdlet, anchor, extra_headers)
        raise AssertionError("unreachable: tenacity either returns or re-raises")

    async def _post(
        self,
        url: str,
        body: dict[str, Any],
        cmdlet: str | None,
        anchor: str,
        extra_headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """One POST; ``cmdlet`` None means a $batch request (no X-CmdletName, errors labelled "$batch")."""
        token = await self._credentials.token(self._scope)
        request_id = str(uuid.uuid4())
        label = cmdlet or "$batch"
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-AnchorMailbox": anchor,
            "X-ResponseFormat": "json",
            "client-request-id": request_id,
            "Prefer": f"odata.maxpagesize={self._page_size}",
            **({"X-CmdletName": cmdlet} if cmdlet else {}),
            **(extra_headers or {}),
        }
        try:
            async with self._session.post(url, json=body, headers=headers, timeout=self._timeout) as response:
                text = await response.text()
                status = response.status
                response_headers = response.headers.copy()  # keeps header lookup case-insensitive
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise TransientError(f"{label}: Exchange unreachable: {exc!r}") from exc
        parsed = _json_or_text(text)
        if 200 <= status < 300 and isinstance(parsed, dict):
            return parsed
        if 200 <= status < 300:
            raise TransientError(
                f"{label}: Exchange answered {status} with a body that is not JSON", status=status
            )
        error = exchange_error(status, parsed, response_headers, cmdlet=label)
        logger.debug("%s failed (HTTP %s, client-request-id %s): %s", label, status, request_id, error)
        raise error

    @staticmethod
    def _log_retry(retry_state: RetryCallState) -> None:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        delay = retry_state.next_action.sleep if retry_state.next_action is not None else 0.0
        logger.info(
            "Exchange call attempt %d failed (%s); retrying in %.2f s",
            retry_state.attempt_number,
            error,
            delay,
        )


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return text
