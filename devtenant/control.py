"""`/_devtenant/*`: control and inspection endpoints (faults, throttle, inbox, calls) and outside-the-desk changes."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from devtenant import mail_control
from devtenant.context import Context

# What tests may change on a user "outside the desk" (PATCH /_devtenant/users/{id}), with the accepted types.
_PATCHABLE: dict[str, type | tuple[type, ...]] = {
    "accountEnabled": bool, "department": (str, type(None)), "manager": (str, type(None)), "displayName": str,
    "jobTitle": (str, type(None)), "usageLocation": (str, type(None)), "preferredLanguage": (str, type(None)),
}
_USER_FIELDS = ("id", "displayName", "userPrincipalName", "mail", "accountEnabled", "department", "manager",
                "deletedDateTime")


def add_routes(app: web.Application, ctx: Context) -> None:
    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "tenantId": ctx.tenant_id})

    async def get_faults(request: web.Request) -> web.Response:
        return web.json_response({"value": [r.as_dict() for r in ctx.faults.rules()]})

    async def set_fault(request: web.Request) -> web.Response:
        try:
            payload = await request.json()
            if not isinstance(payload, dict):
                raise ValueError("expected a JSON object")
            rule = ctx.faults.set_from_json(payload)
        except (ValueError, TypeError, json.JSONDecodeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response(rule.as_dict(), status=201)

    async def clear_faults(request: web.Request) -> web.Response:
        ctx.faults.clear(request.query.get("service"))
        return web.Response(status=204)

    async def get_throttle(request: web.Request) -> web.Response:
        throttle = ctx.faults.write_throttle
        return web.json_response({"enabled": throttle is not None, **(throttle.as_dict() if throttle else {})})

    async def set_throttle(request: web.Request) -> web.Response:
        """Graph's identity write limit on: `{}` for the documented 3,000 per 150 s, or limit/window_s/start_tokens."""
        try:
            raw = await request.read()
            payload = json.loads(raw) if raw.strip() else {}
            if not isinstance(payload, dict):
                raise ValueError("expected a JSON object")
            throttle = ctx.faults.throttle_writes_from_json(payload)
        except (ValueError, TypeError, json.JSONDecodeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"enabled": True, **throttle.as_dict()}, status=201)

    async def clear_throttle(request: web.Request) -> web.Response:
        ctx.faults.write_throttle = None
        return web.Response(status=204)

    async def inbox(request: web.Request) -> web.Response:
        include_typing = request.query.get("includeTyping", "").lower() == "true"
        return web.json_response({"value": ctx.state.inbox(request.match_info["aad"],
                                                           include_typing=include_typing)})

    async def user(request: web.Request) -> web.Response:
        try:
            return web.json_response(ctx.state.user_snapshot(request.match_info["id"]))
        except KeyError:
            return web.json_response({"error": "no such user"}, status=404)

    async def add_users(request: web.Request) -> web.Response:
        """Extra generated people for load tests: `{"count": 1000, "prefix": "load", "usage_location": "PL"}`."""
        try:
            payload = await request.json()
            ids = ctx.state.add_generated_users(int(payload["count"]), prefix=str(payload.get("prefix", "load")),
                                                usage_location=str(payload.get("usage_location", "PL")).upper())
        except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
            return web.json_response({"error": f"expected {{'count': <int>}}: {exc}"}, status=400)
        return web.json_response({"value": ids}, status=201)

    async def _payload(request: web.Request) -> dict[str, Any]:
        raw = await request.read()
        payload = json.loads(raw) if raw.strip() else {}
        if not isinstance(payload, dict):
            raise ValueError("expected a JSON object")
        return payload

    def _user_view(user: dict[str, Any]) -> web.Response:
        return web.json_response({k: user.get(k) for k in _USER_FIELDS})

    async def patch_user(request: web.Request) -> web.Response:
        """Change a user outside the desk: `{"department": "Sales", "manager": "<id or UPN>" | null, ...}`."""
        try:
            payload = await _payload(request)
            unknown = set(payload) - set(_PATCHABLE)
            if unknown or not payload:
                raise ValueError(f"patchable: {', '.join(_PATCHABLE)}; got {sorted(payload)}")
            for key, value in payload.items():
                if not isinstance(value, _PATCHABLE[key]) or (key != "accountEnabled" and isinstance(value, bool)):
                    raise ValueError(f"bad value for {key}: {value!r}")
            user = ctx.state.update_user(request.match_info["id"], payload)
        except KeyError as exc:
            return web.json_response({"error": f"no such user: {exc}"}, status=404)
        except (ValueError, TypeError, json.JSONDecodeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return _user_view(user)

    def _set_enabled(enabled: bool) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            try:
                user = ctx.state.update_user(request.match_info["id"], {"accountEnabled": enabled})
            except KeyError:
                return web.json_response({"error": "no such user"}, status=404)
            return _user_view(user)
        return handler

    async def delete_user(request: web.Request) -> web.Response:
        """Soft-delete (Entra's recycle bin): gone from users, groups and list ownership; restorable."""
        try:
            ctx.state.delete_user(request.match_info["id"])
        except KeyError:
            return web.json_response({"error": "no such user"}, status=404)
        return web.Response(status=204)

    async def restore_user(request: web.Request) -> web.Response:
        try:
            user = ctx.state.restore_user(request.match_info["id"])
        except KeyError:
            return web.json_response({"error": "no such deleted user"}, status=404)
        return _user_view(user)

    async def generate(request: web.Request) -> web.Response:
        """A synthetic tenant on top of the seed, for benches:
        `{"users": 10000, "lists": 2000, "members_per_list": 25, "shared_mailboxes": 0, "prefix": "gen"}`."""
        try:
            payload = await _payload(request)
            users, lists = int(payload.get("users", 0)), int(payload.get("lists", 0))
            per_list, mailboxes = int(payload.get("members_per_list", 10)), int(payload.get("shared_mailboxes", 0))
            prefix = str(payload.get("prefix", "gen"))
            if min(users, lists, per_list, mailboxes) < 0 or not users + lists + mailboxes:
                raise ValueError("ask for some users, lists or shared_mailboxes (non-negative counts)")
        except (ValueError, TypeError, json.JSONDecodeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        state = ctx.state
        started = time.perf_counter()
        try:
            ids = state.add_generated_users(users, prefix=prefix) if users else []
            pool = ids or [u["id"] for u in state.users.values() if u.get("accountEnabled") and u.get("mail")]
            list_ids = state.add_generated_lists(lists, members_per_list=per_list, pool=pool, prefix=prefix) \
                if lists else []
            start = sum(1 for u in state.users.values() if str(u.get("mailNickname")).startswith(f"{prefix}-shared-"))
            for n in range(start + 1, start + mailboxes + 1):
                alias = f"{prefix}-shared-{n:05d}"
                state.add_shared_mailbox(alias, f"{prefix.title()} Shared {n:05d}", alias, f"{alias}@{state.domain}")
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({
            "users": len(ids), "lists": len(list_ids), "members": len(list_ids) * min(per_list, len(pool)),
            "sharedMailboxes": mailboxes, "totalUsers": len(state.users), "totalLists": len(state.exo_groups),
            "seconds": round(time.perf_counter() - started, 3)}, status=201)

    async def expire_delta(request: web.Request) -> web.Response:
        """Stale every Graph delta token: `{}` answers 400 syncStateNotFound, `{"status": 410}` a sync reset."""
        try:
            status = int((await _payload(request)).get("status", 400))
            if status not in (400, 410):
                raise ValueError("status must be 400 or 410")
        except (ValueError, TypeError, json.JSONDecodeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        ctx.state.expire_delta_tokens(status)
        return web.Response(status=204)

    async def add_domain(request: web.Request) -> web.Response:
        """A tenant domain added outside the desk: `{"id": "fabrikam.com", "isVerified": true,
        "supportedServices": ["Email"]}` (verified with Email: also an Exchange accepted domain)."""
        try:
            payload = await _payload(request)
            services = payload.get("supportedServices", ["Email"])
            if not isinstance(services, list):
                raise ValueError("supportedServices must be a list")
            ctx.state.add_domain(str(payload["id"]), verified=bool(payload.get("isVerified", True)),
                                 services=tuple(str(s) for s in services))
        except (KeyError, ValueError, TypeError, json.JSONDecodeError) as exc:
            return web.json_response({"error": f"expected {{'id': <domain>}}: {exc}"}, status=400)
        return web.json_response({"value": ctx.state.domain_records()}, status=201)

    async def calls(request: web.Request) -> web.Response:
        service = request.query.get("service")
        return web.json_response({"value": [
            {"service": c.service, "method": c.method, "path": c.path, "status": c.status, "cmdlet": c.cmdlet}
            for c in ctx.state.calls(service)]})

    async def set_seats(request: web.Request) -> web.Response:
        """Set a SKU's purchased (prepaid enabled) units, as a CSP order would: `{"enabled": 500}`."""
        try:
            payload = await request.json()
            enabled = int(payload["enabled"])
            ctx.state.set_prepaid_units(request.match_info["sku"], enabled)
        except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
            return web.json_response({"error": f"expected {{'enabled': <int>}} for a known SKU: {exc}"}, status=400)
        return web.json_response({"sku": request.match_info["sku"], "enabled": enabled})

    async def reset(request: web.Request) -> web.Response:
        ctx.state.reset()
        ctx.faults.clear()
        return web.Response(status=204)

    async def reset_calls(request: web.Request) -> web.Response:
        ctx.state.reset_call_log()
        return web.Response(status=204)

    app.router.add_get("/_devtenant/health", health)
    app.router.add_post("/_devtenant/reset", reset)
    app.router.add_get("/_devtenant/faults", get_faults)
    app.router.add_post("/_devtenant/faults", set_fault)
    app.router.add_delete("/_devtenant/faults", clear_faults)
    app.router.add_get("/_devtenant/throttle", get_throttle)
    app.router.add_post("/_devtenant/throttle", set_throttle)
    app.router.add_delete("/_devtenant/throttle", clear_throttle)
    app.router.add_get("/_devtenant/inbox/{aad}", inbox)
    app.router.add_get("/_devtenant/users/{id}", user)
    app.router.add_post("/_devtenant/users", add_users)
    app.router.add_patch("/_devtenant/users/{id}", patch_user)
    app.router.add_delete("/_devtenant/users/{id}", delete_user)
    app.router.add_post("/_devtenant/users/{id}/disable", _set_enabled(False))
    app.router.add_post("/_devtenant/users/{id}/enable", _set_enabled(True))
    app.router.add_post("/_devtenant/users/{id}/restore", restore_user)
    app.router.add_post("/_devtenant/generate", generate)
    app.router.add_post("/_devtenant/delta/expire", expire_delta)
    app.router.add_post("/_devtenant/domains", add_domain)
    app.router.add_get("/_devtenant/calls", calls)
    app.router.add_delete("/_devtenant/calls", reset_calls)
    app.router.add_post("/_devtenant/skus/{sku}", set_seats)
    mail_control.add_routes(app, ctx)
