"""Bot Framework's channel token service stand-in: OpenID metadata, endorsed signing keys, minted inbound tokens."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from devtenant.context import Context
from devtenant.tokens import BOTFRAMEWORK_RESOURCE, TokenError

# The real issuer string: the desk validates devtenant's tokens with its production defaults, only the
# metadata URL differs (the real one is https://login.botframework.com/v1/.well-known/openidconfiguration).
ISSUER = "https://api.botframework.com"
METADATA_PATH = "/_botframework/.well-known/openidconfiguration"
KEYS_PATH = "/_botframework/keys"
TOKEN_PATH = "/_botframework/token"  # control: mint a token as the channel would, with chosen claims
ROTATE_PATH = "/_botframework/rotate"  # control: publish a new Teams signing key in place of the current one
CONNECTOR_AUTH_PATH = "/_botframework/connector-auth"  # control, on the HTTP site: what the bot sent its calls with
TOKEN_LIFETIME_S = 3600
# Keys a test can sign with: the published Teams key, a published key endorsed only for Web Chat, a key that is in
# no published document (an attacker's, or one rotated out long ago), and the tenant's Entra key (Entra-issued
# tokens for the bot: set "iss" and "tid" in the claims).
KEY_NAMES = ("teams", "webchat", "unpublished", "entra")
ALGORITHMS = ("RS256", "HS256", "none")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class _SigningKey:
    private: rsa.RSAPrivateKey
    kid: str
    endorsements: list[str]

    @classmethod
    def generate(cls, endorsements: list[str]) -> _SigningKey:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        der = private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return cls(private, _b64url(hashlib.sha1(der).digest()), endorsements)

    def jwk(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        # Bot Framework's keys carry the channels they may sign for; there is no "alg" member in its document.
        jwk.update({"kid": self.kid, "x5t": self.kid, "use": "sig", "endorsements": list(self.endorsements)})
        return jwk


@dataclass
class BotFrameworkKeys:
    """The channel service's signing keys, made on first use (RSA generation is slow; most tests never need it)."""

    _keys: dict[str, _SigningKey] = field(default_factory=dict)
    rotations: int = 0

    def key(self, name: str) -> _SigningKey:
        if name not in self._keys:
            endorsements = {"teams": ["msteams", "skype", "webchat"], "webchat": ["webchat"]}.get(name, ["msteams"])
            self._keys[name] = _SigningKey.generate(endorsements)
        return self._keys[name]

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key(name).jwk() for name in ("teams", "webchat")]}

    def rotate(self) -> str:
        """A new Teams key replaces the current one in the published document; returns its kid."""
        self._keys["teams"] = _SigningKey.generate(["msteams", "skype", "webchat"])
        self.rotations += 1
        return self._keys["teams"].kid

    def mint(self, claims: dict[str, Any], *, key: str = "teams", alg: str = "RS256") -> str:
        signer = self.key(key)
        header = {"typ": "JWT", "kid": signer.kid, "x5t": signer.kid}
        if alg == "RS256":
            return jwt.encode(claims, signer.private, algorithm="RS256", headers=header)
        if alg == "HS256":
            # The key-confusion attack: an HMAC over the token with a key the attacker knows.
            return jwt.encode(claims, f"hs256:{signer.kid}", algorithm="HS256", headers=header)
        # alg "none": built by hand, as an attacker would, with an empty signature.
        segments = ({**header, "alg": "none"}, claims)
        return ".".join(_b64url(json.dumps(part, separators=(",", ":")).encode()) for part in segments) + "."


def metadata(https_base: str) -> dict[str, Any]:
    return {
        "issuer": ISSUER,
        "authorization_endpoint": "https://invalid.botframework.com",
        "jwks_uri": f"{https_base}{KEYS_PATH}",
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
    }


def channel_claims(ctx: Context, *, service_url: str, lifetime_s: int = TOKEN_LIFETIME_S) -> dict[str, Any]:
    """The claims of a token Teams' channel service sends with an activity (v1 Bot Framework shape)."""
    now = int(time.time())
    return {"serviceurl": service_url, "nbf": now, "exp": now + lifetime_s, "iss": ISSUER,
            "aud": ctx.state.bot_app_id}


def add_routes(https_app: web.Application, http_app: web.Application, ctx: Context) -> BotFrameworkKeys:
    """Metadata, keys and the mint/rotate controls on the HTTPS site; the connector's token record on the HTTP one."""
    keys = BotFrameworkKeys()
    connector_calls: list[dict[str, Any]] = []

    async def published(request: web.Request, document: dict[str, Any]) -> web.Response:
        # Faults as for Entra ("token" service; path_contains "/_botframework/" to aim at these two only).
        rule = await ctx.fault("token", request.path)
        status = rule.status if rule is not None and rule.status is not None else 200
        ctx.state.log_call("botframework", request.method, request.path, status)
        if status != 200:
            return web.json_response({"error": "service unavailable"}, status=status)
        return web.json_response(document)

    async def openid_configuration(request: web.Request) -> web.Response:
        return await published(request, metadata(ctx.https_base))

    async def signing_keys(request: web.Request) -> web.Response:
        return await published(request, keys.jwks())

    async def mint(request: web.Request) -> web.Response:
        """`{"serviceUrl", "claims": {name: value or null to drop}, "key", "alg", "expiresIn"}` → `{"token"}`."""
        try:
            payload = json.loads(await request.read() or b"{}")
            if not isinstance(payload, dict):
                raise ValueError("expected a JSON object")
            key, alg = str(payload.get("key", "teams")), str(payload.get("alg", "RS256"))
            if key not in KEY_NAMES or alg not in ALGORITHMS:
                raise ValueError(f"key must be one of {KEY_NAMES}, alg one of {ALGORITHMS}")
            claims = channel_claims(ctx, service_url=str(payload.get("serviceUrl") or f"{ctx.http_base}/"),
                                    lifetime_s=int(payload.get("expiresIn", TOKEN_LIFETIME_S)))
            overrides = payload.get("claims") or {}
            if not isinstance(overrides, dict):
                raise ValueError("claims must be an object")
        except (ValueError, TypeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        for name, value in overrides.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        token = ctx.issuer.sign(claims) if key == "entra" else keys.mint(claims, key=key, alg=alg)
        return web.json_response({"token": token, "claims": claims})

    async def rotate(request: web.Request) -> web.Response:
        return web.json_response({"kid": keys.rotate()})

    @web.middleware
    async def record_connector_auth(request: web.Request, handler: Any) -> web.StreamResponse:
        # Recorded, never enforced: what the bot authenticated each connector call with.
        if request.path.startswith("/v3/"):
            entry: dict[str, Any] = {"method": request.method, "path": request.path}
            try:
                claims = ctx.issuer.validate(request.headers.get("Authorization"), BOTFRAMEWORK_RESOURCE)
                entry.update(token="valid", appid=claims.get("appid"), tid=claims.get("tid"))
            except TokenError as exc:
                entry["token"] = exc.reason
            connector_calls.append(entry)
        return await handler(request)

    async def connector_auth(request: web.Request) -> web.Response:
        return web.json_response({"value": connector_calls})

    https_app.router.add_get(METADATA_PATH, openid_configuration)
    https_app.router.add_get(KEYS_PATH, signing_keys)
    https_app.router.add_post(TOKEN_PATH, mint)
    https_app.router.add_post(ROTATE_PATH, rotate)
    http_app.middlewares.append(record_connector_auth)
    http_app.router.add_get(CONNECTOR_AUTH_PATH, connector_auth)
    return keys
