"""`/_devtenant/*`: control and inspection endpoints for other processes (faults, throttle, inbox, users, calls)."""

from __future__ import annotations

import json

from aiohttp import web

from devtenant.context import Context


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
    app.router.add_get("/_devtenant/calls", calls)
    app.router.add_delete("/_devtenant/calls", reset_calls)
    app.router.add_post("/_devtenant/skus/{sku}", set_seats)
