"""`/_devtenant/*`: control and inspection endpoints for other processes (faults, inbox, users, call log)."""

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

    async def inbox(request: web.Request) -> web.Response:
        include_typing = request.query.get("includeTyping", "").lower() == "true"
        return web.json_response({"value": ctx.state.inbox(request.match_info["aad"],
                                                           include_typing=include_typing)})

    async def user(request: web.Request) -> web.Response:
        try:
            return web.json_response(ctx.state.user_snapshot(request.match_info["id"]))
        except KeyError:
            return web.json_response({"error": "no such user"}, status=404)

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
    app.router.add_get("/_devtenant/inbox/{aad}", inbox)
    app.router.add_get("/_devtenant/users/{id}", user)
    app.router.add_get("/_devtenant/calls", calls)
    app.router.add_delete("/_devtenant/calls", reset_calls)
    app.router.add_post("/_devtenant/skus/{sku}", set_seats)
