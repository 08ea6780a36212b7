"""Adding 50 members to a distribution list through ExchangeDistributionLists.add_members (Exchange $batch).

    python -m bench.bulk_members [--members 50]

devtenant runs as its own process (`python -m devtenant`); this process is the desk's execute job with the
same msal credentials, ExchangeClient and ExchangeDistributionLists it uses. The Exchange figures come from
devtenant's call log (`GET /_devtenant/calls`): `exchange` records are HTTP requests (InvokeCommand or $batch),
`exchange.batch` records are the cmdlets inside a $batch. For comparison the same members are added to a second
list one InvokeCommand at a time (add_member), the way a loop without batching would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.processes import control_call, devtenant_credentials, start_devtenant
from devtenant import build_seed
from m365.distribution_lists import ExchangeDistributionLists
from m365.exchange import BATCH_LIMIT, ExchangeClient
from m365.ports import MemberChange


async def run(members: int) -> dict[str, Any]:
    seed = build_seed()  # deterministic: the same lists the devtenant process serves
    with tempfile.TemporaryDirectory() as scratch:
        devtenant = await start_devtenant(Path(scratch) / "devtenant")
        try:
            info = devtenant.info
            control = info["control_url"]
            async with aiohttp.ClientSession() as plain:
                await control_call(plain, "POST", f"{control}/reset")
                created = await control_call(plain, "POST", f"{control}/users", {"count": members, "prefix": "bench"})
                people = await _addresses(plain, control, created["value"])

                credentials = devtenant_credentials(info)
                context = ssl.create_default_context(cafile=info["ca_pem_path"])
                async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as session:
                    client = ExchangeClient(info["exchange_base_url"], info["tenant_id"], credentials, session=session)
                    lists = ExchangeDistributionLists(client)
                    await lists.get_list(seed.open_list.alias)  # token and connection first, as a warm desk has them
                    batched = await _measure(plain, control, lambda: lists.add_members(seed.open_list.alias, people))
                    one_by_one = await _measure(plain, control, lambda: _one_by_one(lists, seed.closed_list.alias,
                                                                                    people))
                credentials.close()
            peak = devtenant.peak_rss_mb()
        finally:
            await devtenant.stop()
    return {
        "members": members,
        "batch_limit": BATCH_LIMIT,
        "add_members_batched": batched,
        "add_member_one_by_one": one_by_one,
        "devtenant_peak_rss_mb": peak,
    }


async def _one_by_one(lists: ExchangeDistributionLists, identity: str, people: list[str]) -> list[Any]:
    return [await lists.add_member(identity, person) for person in people]


async def _measure(session: aiohttp.ClientSession, control: str, action: Any) -> dict[str, Any]:
    await control_call(session, "DELETE", f"{control}/calls")
    began = time.perf_counter()
    outcomes = await action()
    wall = time.perf_counter() - began
    calls = (await control_call(session, "GET", f"{control}/calls"))["value"]
    http = [c for c in calls if c["service"] == "exchange"]
    inner = [c for c in calls if c["service"] == "exchange.batch"]
    cmdlets = inner + [c for c in http if c["cmdlet"]]  # single InvokeCommands carry their cmdlet
    return {
        "exchange_http_requests": len(http),
        "batch_requests": len([c for c in http if c["path"].endswith("/$batch")]),
        "cmdlets": len(cmdlets),
        "added": sum(1 for o in outcomes if o is MemberChange.ADDED),
        "failures": sum(1 for o in outcomes if not isinstance(o, MemberChange)),
        "wall_s": round(wall, 3),
    }


async def _addresses(session: aiohttp.ClientSession, control: str, user_ids: list[str]) -> list[str]:
    return [(await control_call(session, "GET", f"{control}/users/{user_id}"))["mail"] for user_id in user_ids]



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=50)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.members)), indent=2))


if __name__ == "__main__":
    main()
