"""Who may post to /api/messages and where the desk's token may go: inbound tokens, the service-URL allow-list."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import jwt

logger = logging.getLogger(__name__)

# Bot Framework's channel token service (public cloud). Its tokens carry `serviceurl`, its keys `endorsements`.
BOTFRAMEWORK_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
BOTFRAMEWORK_ISSUER = "https://api.botframework.com"
# Teams' Bot Connector in the public cloud, GCC, GCC High and DoD (the documented proactive service URLs; a
# region such as /emea/ or /teams/ is a path below them). Teams operated by 21Vianet documents no fixed URL:
# such a tenant lists the service URL its activities carry in the setting.
TEAMS_SERVICE_URLS = (
    "https://smba.trafficmanager.net/",
    "https://smba.infra.gcc.teams.microsoft.com/",
    "https://smba.infra.gov.teams.microsoft.us/",
    "https://smba.infra.dod.teams.microsoft.us/",
)
ALGORITHMS = ("RS256",)  # what Bot Framework and Entra sign with; never "none" or an HMAC
CLOCK_SKEW_SECONDS = 300  # the Bot Framework's documented tolerance
METADATA_TTL_SECONDS = 24 * 3600
# A token naming a key we do not know makes us fetch the keys again, at most this often: keys do rotate, but a
# stream of forged kids must not turn into a stream of requests to Microsoft.
KEY_REFRESH_SECONDS = 300
_MAX_URL_LENGTH = 2048
ActivityReader = Callable[[], Awaitable[object]]  # the parsed request body, None when it is not JSON
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True, slots=True)
class ServiceUrl:
    """A service URL in comparable form: scheme and host lower-cased, default port filled in, path ending in '/'."""

    scheme: str
    host: str
    port: int
    path: str

    # False for user info, a query or a fragment: well-formed, but never a connector's URL, so never allowed.
    plain: bool = True

    @classmethod
    def parse(cls, value: object) -> ServiceUrl | None:
        """None for anything that is not an absolute http(s) URL with a host."""
        if not isinstance(value, str) or not value.strip() or len(value) > _MAX_URL_LENGTH:
            return None
        try:
            parts = urlsplit(value.strip())
            port = parts.port
        except ValueError:
            return None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname or port == 0:
            return None
        path = parts.path if parts.path.endswith("/") else f"{parts.path}/"
        plain = not (parts.username is not None or "@" in parts.netloc or parts.query or parts.fragment)
        return cls(scheme, parts.hostname.lower(), port or (443 if scheme == "https" else 80), path, plain)

    def within(self, prefix: ServiceUrl) -> bool:
        same_origin = (self.scheme, self.host, self.port) == (prefix.scheme, prefix.host, prefix.port)
        return self.plain and same_origin and self.path.startswith(prefix.path)

    @property
    def origin(self) -> str:
        """For the log: scheme, host and port only (paths may carry ids)."""
        return f"{self.scheme}://{self.host}:{self.port}"


def origin_of(url: object) -> str:
    """A URL's scheme, host and port for a log line: never its path, user info or query."""
    parsed = ServiceUrl.parse(url)
    return parsed.origin if parsed is not None else "<not an http(s) URL>"


class ServiceUrlAllowList:
    """The service URLs the desk accepts activities from and sends its Bot Connector token to."""

    def __init__(self, prefixes: Iterable[str], *, any_loopback: bool = False) -> None:
        parsed = []
        for prefix in prefixes:
            url = ServiceUrl.parse(prefix)
            if url is None or not url.plain:
                raise ValueError(f"not an http(s) URL in the service URL allow-list: {prefix!r}")
            parsed.append(url)
        self._prefixes = tuple(parsed)
        # Demo only: the Agents Playground serves each window's connector on a port of its own choosing.
        self._any_loopback = any_loopback

    def allows(self, url: object) -> bool:
        parsed = url if isinstance(url, ServiceUrl) else ServiceUrl.parse(url)
        if parsed is None or not parsed.plain:
            return False
        if self._any_loopback and parsed.host in _LOOPBACK_HOSTS:
            return True
        return any(parsed.within(prefix) for prefix in self._prefixes)


@dataclass(frozen=True, slots=True)
class TrustedIssuer:
    """One token service: where its signing keys are published and the `iss` values its tokens carry."""

    metadata_url: str
    issuers: frozenset[str]
    # Bot Framework's channel tokens always name the service URL they were issued for; Entra's may not.
    requires_service_url_claim: bool


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request to /api/messages was refused: the HTTP status and a short reason code for the log."""

    status: int
    reason: str
    detail: str = ""

    @property
    def message(self) -> str:
        # The caller learns the class of the problem, never which check failed (that is for our log).
        return {
            400: "The request is not a valid activity.",
            401: "Invalid token or authentication failed.",
            403: "This activity is not accepted by this bot.",
            503: "The bot cannot validate tokens right now; retry later.",
        }.get(self.status, "Refused.")


@dataclass(frozen=True, slots=True)
class Caller:
    """A request the guard let through: the token's verified claims (empty in the anonymous demo) and the token."""

    claims: dict[str, Any] = field(default_factory=dict)
    token: str | None = None


class KeysUnavailable(Exception):
    """The signing keys could not be fetched and none are cached."""


@dataclass(slots=True)
class PublishedKey:
    key: jwt.PyJWK
    endorsements: frozenset[str] | None  # None = the key names no channels (Entra keys)


@dataclass(slots=True)
class _KeyDocument:
    keys: dict[str, PublishedKey]
    fetched_at: float
    metadata_until: float
    jwks_uri: str


class SigningKeys:
    """Signing keys from OpenID metadata, cached per metadata URL (metadata for a day), re-read on an unknown kid."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        metadata_ttl: float = METADATA_TTL_SECONDS,
        refresh_after: float = KEY_REFRESH_SECONDS,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session = session
        self._metadata_ttl = metadata_ttl
        self._refresh_after = refresh_after
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._clock = clock
        self._documents: dict[str, _KeyDocument] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.fetches = 0  # key documents fetched, for tests and the log

    async def find(self, metadata_url: str, kid: str) -> PublishedKey | None:
        # One fetch per metadata URL at a time: a burst of turns after a rotation waits for the first fetch.
        async with self._locks.setdefault(metadata_url, asyncio.Lock()):
            document = self._documents.get(metadata_url)
            now = self._clock()
            if document is None or now >= document.metadata_until:
                document = await self._reload(metadata_url, document)
            elif kid not in document.keys and now - document.fetched_at >= self._refresh_after:
                document = await self._reload(metadata_url, document, keys_only=True)
            return document.keys.get(kid)

    async def _reload(self, metadata_url: str, cached: _KeyDocument | None, *, keys_only: bool = False) -> _KeyDocument:
        now = self._clock()
        reuse_metadata = keys_only and cached is not None
        try:
            jwks_uri = cached.jwks_uri if reuse_metadata and cached else await self._jwks_uri(metadata_url)
            keys = _parse_jwks(await self._get_json(jwks_uri))
        except (KeysUnavailable, aiohttp.ClientError, TimeoutError, ValueError) as error:
            if cached is None:
                raise KeysUnavailable(f"signing keys from {metadata_url}: {type(error).__name__}") from error
            # Microsoft's keys change rarely: keep validating with the ones we have, and try again later.
            logger.warning("could not refresh the signing keys of %s (%s); using the cached ones", metadata_url,
                           type(error).__name__)
            cached.fetched_at = now
            cached.metadata_until = max(cached.metadata_until, now + self._refresh_after)
            return cached
        until = cached.metadata_until if reuse_metadata and cached else now + self._metadata_ttl
        document = _KeyDocument(keys, now, until, jwks_uri)
        self._documents[metadata_url] = document
        self.fetches += 1
        logger.info("loaded %d signing keys from %s", len(keys), jwks_uri)
        return document

    async def _jwks_uri(self, metadata_url: str) -> str:
        metadata = await self._get_json(metadata_url)
        jwks_uri = metadata.get("jwks_uri") if isinstance(metadata, dict) else None
        if not isinstance(jwks_uri, str) or not jwks_uri.lower().startswith("https://"):
            raise KeysUnavailable(f"{metadata_url} names no https jwks_uri")
        return jwks_uri

    async def _get_json(self, url: str) -> Any:
        if not url.lower().startswith("https://"):
            raise KeysUnavailable(f"refusing to fetch keys over plain http: {url}")
        async with self._session.get(url, timeout=self._timeout, allow_redirects=False) as response:
            if response.status != 200:
                raise KeysUnavailable(f"{url} answered {response.status}")
            return await response.json(content_type=None)


def _parse_jwks(document: Any) -> dict[str, PublishedKey]:
    keys: dict[str, PublishedKey] = {}
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ValueError("a JWKS document without a keys list")
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA" or not isinstance(entry.get("kid"), str):
            continue
        if entry.get("use", "sig") != "sig":
            continue
        try:
            key = jwt.PyJWK(entry, algorithm="RS256")
        except jwt.PyJWTError:
            continue
        endorsements = entry.get("endorsements")
        keys[entry["kid"]] = PublishedKey(
            key, frozenset(e.casefold() for e in endorsements if isinstance(e, str))
            if isinstance(endorsements, list) else None
        )
    return keys


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    token: str
    claims: dict[str, Any]
    issuer: TrustedIssuer
    endorsements: frozenset[str] | None


class TokenValidator:
    """Checks a bearer token as the Bot Framework documents: RS256 signature by a published key, issuer, audience
    (the bot's app id) and lifetime with five minutes' skew. Raises Refused."""

    def __init__(
        self,
        *,
        app_id: str,
        tenant_id: str,
        issuers: Iterable[TrustedIssuer],
        keys: SigningKeys,
        leeway: float = CLOCK_SKEW_SECONDS,
    ) -> None:
        self._app_id = app_id
        self._tenant_id = tenant_id.lower()
        self._by_issuer = {iss: trusted for trusted in issuers for iss in trusted.issuers}
        self._keys = keys
        self._leeway = leeway

    async def verify(self, authorization: str | None) -> VerifiedToken:
        token = _bearer(authorization)
        if token is None:
            raise Refused(Refusal(401, "no-token" if not authorization else "not-bearer"))
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as error:
            raise Refused(Refusal(401, "malformed-token")) from error
        if header.get("alg") not in ALGORITHMS:
            raise Refused(Refusal(401, "algorithm", repr(header.get("alg"))[:40]))
        issuer = unverified.get("iss")
        trusted = self._by_issuer.get(issuer) if isinstance(issuer, str) else None
        if trusted is None:
            # Checked before any key lookup, so a made-up issuer never makes us fetch anything.
            raise Refused(Refusal(401, "issuer", repr(issuer)[:120]))
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Refused(Refusal(401, "no-key-id"))
        try:
            published = await self._keys.find(trusted.metadata_url, kid)
        except KeysUnavailable as error:
            raise Refused(Refusal(503, "keys-unavailable", str(error))) from error
        if published is None:
            raise Refused(Refusal(401, "unknown-key", repr(kid)[:80]))
        try:
            claims = jwt.decode(
                token,
                published.key,
                algorithms=list(ALGORITHMS),
                audience=self._app_id,
                issuer=issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise Refused(Refusal(401, "expired")) from error
        except jwt.InvalidAudienceError as error:
            raise Refused(Refusal(401, "audience", repr(unverified.get("aud"))[:120])) from error
        except jwt.ImmatureSignatureError as error:
            raise Refused(Refusal(401, "not-yet-valid")) from error
        except jwt.PyJWTError as error:
            raise Refused(Refusal(401, "invalid-token", type(error).__name__)) from error
        tenant = claims.get("tid")
        if tenant is not None and (not isinstance(tenant, str) or tenant.lower() != self._tenant_id):
            raise Refused(Refusal(403, "foreign-tenant", repr(tenant)[:60]))
        return VerifiedToken(token, claims, trusted, published.endorsements)


class Refused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.reason)
        self.refusal = refusal


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or any(char.isspace() for char in token):
        return None
    return token


class InboundGuard:
    """Runs before the Agents SDK sees an activity: the token (production), then the activity's serviceUrl.

    The serviceUrl is where the desk sends its reply with its own Bot Connector token, and what it stores to reach
    the person later, so it must be the one the token was issued for and on the allow-list. A body that is not an
    activity with a well-formed serviceUrl is left to the activity contract (bot/activity_check.py), which refuses
    it with the precise 4xx; only a caller with a valid token (or any caller in the demo) gets that far.
    """

    def __init__(self, allow_list: ServiceUrlAllowList, validator: TokenValidator | None) -> None:
        self._allow_list = allow_list
        self._validator = validator  # None = the demo: anonymous, as the Playground sends no token

    async def check(self, authorization: str | None, read_activity: ActivityReader) -> Caller | Refusal:
        """A Caller to let through, or a Refusal (already logged, one warning line) to answer with."""
        try:
            return await self._check(authorization, read_activity)
        except Refused as refused:
            refusal = refused.refusal
            logger.warning("refused an activity: %s (%d)%s", refusal.reason, refusal.status,
                           f" {refusal.detail}" if refusal.detail else "")
            return refusal

    async def _check(self, authorization: str | None, read_activity: ActivityReader) -> Caller:
        # The token first: an unauthenticated caller learns nothing about what we think of its body.
        verified = await self._validator.verify(authorization) if self._validator is not None else None
        caller = Caller(verified.claims, verified.token) if verified is not None else Caller()
        activity = await read_activity()
        if not isinstance(activity, Mapping):
            return caller  # not an activity the SDK will run: the contract check answers it with 400
        service_url = ServiceUrl.parse(activity.get("serviceUrl"))
        if service_url is None:
            return caller  # likewise
        if verified is not None:
            _bind(verified, service_url, activity.get("channelId"))
        if not self._allow_list.allows(service_url):
            raise Refused(Refusal(403, "service-url-not-allowed", service_url.origin))
        return caller


def _bind(verified: VerifiedToken, service_url: ServiceUrl, channel_id: object) -> None:
    """The activity must be the one the token was issued for: its serviceUrl and (for endorsed keys) its channel."""
    claimed = verified.claims.get("serviceurl", verified.claims.get("serviceUrl"))
    if claimed is None:
        if verified.issuer.requires_service_url_claim:
            raise Refused(Refusal(403, "service-url-claim-missing"))
    elif ServiceUrl.parse(claimed) != service_url:
        raise Refused(Refusal(403, "service-url-mismatch", service_url.origin))
    if verified.endorsements is not None and (
        not isinstance(channel_id, str) or channel_id.casefold() not in verified.endorsements
    ):
        raise Refused(Refusal(403, "endorsement", repr(channel_id)[:40]))
