"""Access tokens: issuing and validating the RS256 JWTs the emulated Entra ID hands out."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

GRAPH_RESOURCE = "https://graph.microsoft.com"
EXCHANGE_RESOURCE = "https://outlook.office365.com"
BOTFRAMEWORK_RESOURCE = "https://api.botframework.com"

# Resource app ids: scopes may name a resource by its app id instead of its URI ("<appId>/.default").
RESOURCE_APP_IDS = {
    "00000003-0000-0000-c000-000000000000": GRAPH_RESOURCE,
    "00000002-0000-0ff1-ce00-000000000000": EXCHANGE_RESOURCE,
}
KNOWN_RESOURCES = (GRAPH_RESOURCE, EXCHANGE_RESOURCE, BOTFRAMEWORK_RESOURCE)
TOKEN_LIFETIME_S = 3600
# Directory role template id of "Exchange Administrator": Exchange RBAC reads it from `wids` in app tokens.
EXCHANGE_ADMIN_ROLE_TEMPLATE = "29232cdf-9323-42fd-ade2-1d097af3e4de"


class TokenError(Exception):
    """A bearer token was rejected; `reason` is one of empty, malformed, signature, audience, expired."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    claims: dict[str, Any]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class TokenIssuer:
    """Signs tokens with a per-run RSA key and validates them; publishes the key as a JWKS."""

    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        der = self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        self.kid = _b64url(hashlib.sha1(der).digest())  # same shape as Entra's x5t/kid thumbprints
        self._serial = 0

    @property
    def issuer(self) -> str:
        # App-only tokens for Graph and Exchange are v1 tokens; their issuer is the sts.windows.net form.
        return f"https://sts.windows.net/{self.tenant_id}/"

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        jwk.update({"kid": self.kid, "x5t": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}

    def issue(self, *, resource: str, app_id: str, app_name: str, roles: list[str],
              wids: list[str] | None = None, lifetime_s: int = TOKEN_LIFETIME_S) -> IssuedToken:
        now = int(time.time())
        self._serial += 1
        claims: dict[str, Any] = {
            "aud": resource,
            "iss": self.issuer,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime_s,
            "aio": _b64url(hashlib.sha256(f"aio:{self._serial}".encode()).digest())[:40],
            "app_displayname": app_name,
            "appid": app_id,
            "appidacr": "1",
            "idp": self.issuer,
            "idtyp": "app",
            "oid": str(uuid.uuid5(uuid.UUID(self.tenant_id), f"sp:{app_id}")),
            "roles": list(roles),
            "sub": str(uuid.uuid5(uuid.UUID(self.tenant_id), f"sp:{app_id}")),
            "tid": self.tenant_id,
            "uti": _b64url(hashlib.sha256(f"uti:{self._serial}".encode()).digest())[:22],
            "ver": "1.0",
        }
        if wids:
            claims["wids"] = list(wids)
        token = jwt.encode(claims, self._key, algorithm="RS256",
                           headers={"kid": self.kid, "x5t": self.kid, "typ": "JWT"})
        return IssuedToken(access_token=token, expires_in=lifetime_s - 1, claims=claims)

    def sign(self, claims: dict[str, Any]) -> str:
        """Any claims, signed with this issuer's published key (for tokens Entra issues to others, e.g. a bot)."""
        header = {"kid": self.kid, "x5t": self.kid, "typ": "JWT"}
        return jwt.encode(claims, self._key, algorithm="RS256", headers=header)

    def validate(self, authorization: str | None, audience: str) -> dict[str, Any]:
        """Check an Authorization header value; return the token's claims or raise TokenError."""
        if not authorization or not authorization.strip():
            raise TokenError("empty")
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenError("empty")
        try:
            return jwt.decode(token.strip(), self._key.public_key(), algorithms=["RS256"], audience=audience,
                              issuer=self.issuer, options={"require": ["exp", "aud", "tid"]})
        except jwt.ExpiredSignatureError as exc:
            raise TokenError("expired", str(exc)) from exc
        except (jwt.InvalidAudienceError, jwt.MissingRequiredClaimError) as exc:
            raise TokenError("audience", str(exc)) from exc
        except jwt.InvalidSignatureError as exc:
            raise TokenError("signature", str(exc)) from exc
        except jwt.PyJWTError as exc:
            raise TokenError("malformed", str(exc)) from exc


def resource_of_scope(scope: str) -> str | None:
    """Map a client-credentials scope ('<resource>/.default') to its resource, or None if it is not one."""
    if not scope.endswith("/.default"):
        return None
    resource = scope[: -len("/.default")].rstrip("/")
    resource = RESOURCE_APP_IDS.get(resource.lower(), resource)
    for known in KNOWN_RESOURCES:
        if resource.lower() == known:
            return known
    return resource
