"""1,000 license assignments through GraphLicenses.assign_many ($batch) against devtenant's Graph write throttle.

    python -m bench.bulk_assign [--people 1000] [--scenario both|fresh|spent]

devtenant runs as its own process (`python -m devtenant`) with the documented identity write limit switched on
(3,000 writes per 150 s per app and tenant: a token bucket of 3,000 refilled at 20 writes/s, 429 + Retry-After).
This process is the desk's execute job: the same msal credentials, msgraph-sdk client and GraphLicenses it uses.

Two scenarios, because the documented limit is a bucket, not a fixed rate:
- fresh: the app has its full budget; 1,000 writes fit in the 3,000 burst, so the throttle-bound time is 0 s.
- spent: the app has just used its budget (start_tokens=0), so every write waits for the refill:
  the throttle-bound time is 1,000 / 20 per s = 50 s, the figure the issue asks to compare against.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.processes import control_call, devtenant_credentials, start_devtenant
from devtenant import build_seed
from devtenant.faults import WRITE_LIMIT, WRITE_WINDOW_S
from m365.errors import Throttled
from m365.graph import build_graph
from m365.graph_licenses import BATCH_LIMIT, GraphLicenses

E3 = "ENTERPRISEPACK"


_MAX_ROUNDS = 50


async def run(people: int, scenarios: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        devtenant = await start_devtenant(Path(scratch) / "devtenant")
        try:
            info = devtenant.info
            results = {name: await _scenario(info, people, name) for name in scenarios}
            results["devtenant_peak_rss_mb"] = devtenant.peak_rss_mb()
        finally:
            await devtenant.stop()
    rate = WRITE_LIMIT / WRITE_WINDOW_S
    return {
        "people": people,
        "write_limit": {"writes": WRITE_LIMIT, "window_s": WRITE_WINDOW_S, "refill_per_s": rate},
        "batch_size": BATCH_LIMIT,
        "minimum_batches": -(-people // BATCH_LIMIT),
        **results,
    }


async def _scenario(info: dict[str, Any], people: int, name: str) -> dict[str, Any]:
    control = info["control_url"]
    start_tokens = None if name == "fresh" else 0
    async with aiohttp.ClientSession() as session:
        await control_call(session, "POST", f"{control}/reset")
        ids = (await control_call(session, "POST", f"{control}/users", {"count": people, "prefix": "bench"}))["value"]
        sku_id = build_seed().sku(E3).sku_id  # the seed is deterministic: the running devtenant's SKU ids
        await control_call(session, "POST", f"{control}/skus/{E3}", {"enabled": people + 100})
        await control_call(session, "POST", f"{control}/throttle", {"start_tokens": start_tokens})

        credentials = devtenant_credentials(info)
        graph = build_graph(credentials, info["graph_base_url"], ca_bundle=info["ca_pem_path"])
        try:
            licenses = GraphLicenses(graph)
            await licenses.list_skus()  # token and connection first, as a warm desk has them
            await control_call(session, "DELETE", f"{control}/calls")
            began = time.perf_counter()
            outcomes, rounds = await _assign_like_the_job(licenses, ids, sku_id)
            wall = time.perf_counter() - began
        finally:
            await graph.aclose()
            credentials.close()

        calls = (await control_call(session, "GET", f"{control}/calls"))["value"]
        throttle = await control_call(session, "GET", f"{control}/throttle")
        await control_call(session, "DELETE", f"{control}/throttle")
    graph_calls = [c for c in calls if c["service"] == "graph"]
    items = [c for c in calls if c["service"] == "graph.batch"]
    rate = throttle["rate_per_s"]
    bucket = throttle["limit"] if start_tokens is None else start_tokens
    failures = [o for o in outcomes if not o.ok]
    return {
        "start_tokens": bucket,
        "graph_http_requests": len(graph_calls),
        "batch_requests": len([c for c in graph_calls if c["path"].endswith("/$batch")]),
        "batch_items_sent": len(items),
        "items_throttled_429": len([c for c in items if c["status"] == 429]),
        "rounds": rounds,
        "wall_s": round(wall, 2),
        "throttle_bound_s": round(max(0.0, (people - bucket) / rate), 2),
        "assigned": len(outcomes) - len(failures),
        "failures": len(failures),
        "failure_examples": sorted({f"{o.status} {o.error}" for o in failures})[:3],
    }



async def _assign_like_the_job(licenses: GraphLicenses, ids: list[str], sku_id: str) -> tuple[list[Any], int]:
    """assign_many sends each change once (handlers/jobs.py: the job owns the retry budget), so throttled people are
    sent again the way the job runner would: after the longest Retry-After, until none is throttled."""
    outcomes: dict[str, Any] = {}
    pending, rounds = list(ids), 0
    while pending and rounds < _MAX_ROUNDS:
        rounds += 1
        results = await licenses.assign_many([(user_id, [sku_id], []) for user_id in pending])
        throttled = [(user_id, o) for user_id, o in zip(pending, results, strict=True)
                     if not o.ok and isinstance(o.error, Throttled)]
        outcomes.update({user_id: o for user_id, o in zip(pending, results, strict=True)})
        pending = [user_id for user_id, _ in throttled]
        if pending:
            await asyncio.sleep(max((o.error.retry_after or 1.0) for _, o in throttled))
    return [outcomes[user_id] for user_id in ids], rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--scenario", choices=("both", "fresh", "spent"), default="both")
    args = parser.parse_args()
    scenarios = ["fresh", "spent"] if args.scenario == "both" else [args.scenario]
    print(json.dumps(asyncio.run(run(args.people, scenarios)), indent=2))


if __name__ == "__main__":
    main()
