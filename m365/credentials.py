"""App-only access tokens from Entra ID (client credentials through msal), without blocking the event loop."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from typing import Any

import msal
import requests
from msal.exceptions import MsalServiceError

from m365.errors import PermissionDenied, TransientError

logger = logging.getLogger(__name__)

# OAuth error codes that mean "the token service is struggling", not "this app may not have a token".
_TRANSIENT_OAUTH_ERRORS = frozenset({"temporarily_unavailable", "server_error"})
_STATUS_IN_TEXT = re.compile(r"HTTP (?:Error|status): (\d{3})")


class MsalCredentials:
    """Client-credential tokens for one app registration, cached by msal until shortly before they expire.

    msal is synchronous, so every call into it runs in a worker thread: the emulator may serve the token
    endpoint from the same event loop in tests, and in production a blocked loop stalls every Teams turn.
    """

    def __init__(
        self,
        authority: str,
        client_id: str,
        client_secret: str,
        *,
        ca_bundle: str | None = None,
        validate_authority: bool = True,
        timeout: float = 15.0,
    ) -> None:
        self._authority = authority.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._ca_bundle = ca_bundle
        self._validate_authority = validate_authority
        self._timeout = timeout
        self._app: msal.ConfidentialClientApplication | None = None
        self._session: requests.Session | None = None
        # msal's constructor fetches the authority's metadata over HTTP, so the app is built lazily in a
        # worker thread; this lock keeps two threads from building it twice.
        self._app_lock = threading.Lock()
        self._scope_locks: dict[str, asyncio.Lock] = {}

    @property
    def client_id(self) -> str:
        return self._client_id

    async def token(self, scope: str) -> str:
        """An access token for ``scope`` (e.g. ``https://graph.microsoft.com/.default``)."""
        lock = self._scope_locks.setdefault(scope, asyncio.Lock())
        # One acquisition per scope at a time: a burst of callers waits for the first, then all of them
        # are answered from msal's cache instead of each asking the token endpoint.
        async with lock:
            return await asyncio.to_thread(self._acquire, scope)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()

    def _acquire(self, scope: str) -> str:
        try:
            result: dict[str, Any] = self._application().acquire_token_for_client(scopes=[scope])
        except requests.RequestException as exc:
            status = exc.response.status_code if exc.response is not None else None
            raise TransientError(f"token endpoint unreachable: {exc}", status=status) from exc
        except MsalServiceError as exc:
            # msal raises this ("HTTP Error: 503") for 5xx answers instead of returning an error dict.
            raise TransientError(f"token endpoint failed: {exc}", status=_http_status(str(exc))) from exc
        except ValueError as exc:
            # msal raises ValueError when the authority's metadata or the token response is not what
            # OAuth promises (an HTML error page from a proxy, a half-written JSON body).
            raise TransientError(
                f"token endpoint answered with something msal could not read: {exc}"
            ) from exc
        if "access_token" in result:
            if result.get("token_source") == "identity_provider":
                logger.info("acquired a token for %s (expires in %ss)", scope, result.get("expires_in"))
            return str(result["access_token"])
        error = str(result.get("error", "unknown_error"))
        description = str(result.get("error_description", "")) or error
        if error in _TRANSIENT_OAUTH_ERRORS:
            raise TransientError(description, code=error)
        raise PermissionDenied(description, code=error)

    def _application(self) -> msal.ConfidentialClientApplication:
        with self._app_lock:
            if self._app is None:
                self._app = self._build_application()
            return self._app

    def _build_application(self) -> msal.ConfidentialClientApplication:
        session = requests.Session()
        # The desk's egress is configured explicitly (settings.ca_bundle), never by HTTPS_PROXY or
        # REQUESTS_CA_BUNDLE left in the environment.
        session.trust_env = False
        if self._ca_bundle:
            session.verify = self._ca_bundle
        try:
            app = msal.ConfidentialClientApplication(
                self._client_id,
                client_credential=self._client_secret,
                authority=self._authority,
                validate_authority=self._validate_authority,
                # Instance discovery asks login.microsoftonline.com about the authority's host; a
                # non-Microsoft authority (the emulator) must skip it along with validation.
                instance_discovery=self._validate_authority,
                http_client=_TimeoutSession(session, self._timeout),
            )
        except Exception as exc:
            session.close()
            error = _authority_error(self._authority, exc)
            if error is exc:
                raise
            raise error from exc
        self._session = session
        return app


def _authority_error(authority: str, exc: Exception) -> Exception:
    """What msal's constructor raised while fetching the authority's metadata, as our typed error."""
    match exc:
        case requests.RequestException():
            return TransientError(f"authority metadata unreachable: {exc}")
        case MsalServiceError():
            return TransientError(f"authority metadata failed: {exc}", status=_http_status(str(exc)))
        case ValueError():
            status = _http_status(str(exc))
            if status is not None and (status == 429 or status >= 500):
                return TransientError(f"authority metadata failed: {exc}", status=status)
            # Otherwise msal's ValueError means an authority that does not exist (unknown tenant).
            return PermissionDenied(f"authority {authority} rejected: {exc}", code="invalid_authority")
        case _:
            return exc


def _http_status(text: str) -> int | None:
    """The HTTP status msal mentions in an exception's text ("HTTP Error: 503", "HTTP status: 429")."""
    match = _STATUS_IN_TEXT.search(text)
    return int(match.group(1)) if match else None


class _TimeoutSession:
    """Adds a default timeout to every request msal makes: requests has none, and a hung token call
    would otherwise hold the per-scope lock forever."""

    def __init__(self, session: requests.Session, timeout: float) -> None:
        self._session = session
        self._timeout = timeout

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout)
        return self._session.get(url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout)
        return self._session.post(url, **kwargs)

    def close(self) -> None:
        self._session.close()
