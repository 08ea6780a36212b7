"""A pasted list of people for one plan: each line validated and reported, one request, assignments via $batch."""

from __future__ import annotations

from conftest import desk_settings, start_desk
from desk_harness import Desk, action_data, card_text

from cards.verbs import Verb

BASIC = "O365_BUSINESS_ESSENTIALS"


async def _requests_of(desk: Desk, user) -> list:
    async with desk.uow() as uow:
        return await uow.requests.list_for_requester(user.id)


def _holds(desk: Desk, user_id: str, sku_id: str) -> bool:
    return sku_id in {lic["skuId"] for lic in desk.tenant.state.user(user_id)["assignedLicenses"]}


def _requester(desk: Desk):
    """An admin other than the one who approves: asking for a list of colleagues is for admins (F9's policy)."""
    seed = desk.tenant.seed
    return next(u for u in seed.users if u.id in seed.admins_group.member_ids and u.id != seed.demo_admin.id)


def _candidates(desk: Desk, count: int) -> list:
    """Enabled people with a usage location who do not hold Business Basic (and are not the requester, nor the
    admin who approves: the people a request changes never decide it)."""
    seed = desk.tenant.seed
    basic = seed.sku(BASIC)
    return [
        u
        for u in seed.users
        if u.account_enabled
        and u.usage_location
        and u.id not in basic.direct_user_ids
        and u.id not in (seed.demo_employee.id, _requester(desk).id, seed.demo_admin.id)
    ][:count]


async def _approve(desk: Desk) -> None:
    admin = desk.tenant.seed.demo_admin
    await desk.run_jobs()
    card_id, approval = desk.last_card(admin)
    await desk.click(admin, Verb.APPROVE, action_data(approval, Verb.APPROVE), reply_to_id=card_id)


async def test_bulk_of_fifty_with_invalid_lines(desk: Desk) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    requester = _requester(desk)
    basic = state.sku(BASIC)["skuId"]
    state.set_prepaid_units(BASIC, state.consumed_units(basic) + 60)
    valid = _candidates(desk, 44)
    oliver = seed.employee_without_usage_location  # no usage location, country GB: set first, then assigned
    nowhere = next(u for u in seed.users if u.account_enabled and u.usage_location and u not in valid
                   and u.id not in seed.sku(BASIC).direct_user_ids and u.id != requester.id)
    state.user(nowhere.id).update(usageLocation=None, country=None)
    holder = next(u for u in seed.users if u.id in seed.sku(BASIC).direct_user_ids and u.id != requester.id)
    invalid = {
        "nobody.here@contoso.com": "not found in the directory",
        seed.disabled_user.user_principal_name: "the account is disabled",
        holder.user_principal_name: "already has Microsoft 365 Business Basic",
        nowhere.user_principal_name: "no usage location and no country",
    }
    lines = [u.user_principal_name for u in valid]
    # One person by name instead of address (a name only one person has), one person twice.
    by_name = next(u for u in valid[40:] if [p.display_name for p in seed.users].count(u.display_name) == 1)
    lines[valid.index(by_name)] = by_name.display_name
    # Pasted as lines, some with commas.
    pasted = ["\n".join(lines[:20]), ", ".join(lines[20:40]), *lines[40:], oliver.user_principal_name, lines[0],
              *invalid]
    assert len(lines) + 1 + 1 + len(invalid) == 50
    await desk.say(requester, "request license Business Basic for\n" + "\n".join(pasted))

    [request] = await _requests_of(desk, requester)
    assert request.kind == "license.assign_bulk" and len(request.payload["user_ids"]) == 45
    assert [step["op"] for step in request.plan] == ["set_usage_location"] + ["assign_license"] * 45
    cards = [card_text(card) for _, card in desk.cards(requester)]
    report = next(c for c in cards if "for a list of people" in c)
    assert request.public_id in report and '"value": "45"' in report and '"value": "5"' in report
    for entry, reason in invalid.items():
        assert f"✗ {entry} — {reason}" in report
    assert f"✗ {lines[0]} — listed twice" in report
    assert f"✓ {by_name.display_name} → {by_name.display_name} <{by_name.user_principal_name}>" in report
    assert "45 people · Microsoft 365 Business Basic" in cards[-1] and "Waiting for approval" in cards[-1]

    await _approve(desk)
    state.reset_call_log()
    await desk.run_jobs()
    assert all(_holds(desk, u.id, basic) for u in [*valid, oliver])
    assert not any(_holds(desk, u.id, basic) for u in (nowhere, seed.disabled_user))
    graph = state.calls("graph")
    assert len([c for c in graph if c.path.endswith("/$batch")]) == 3  # ⌈45 / 20⌉
    assert len([c for c in graph if c.method == "PATCH"]) == 1  # Oliver's usage location
    assert len([c for c in graph if c.method == "GET" and c.path.endswith("/users")]) == 1  # who holds it
    assert len(state.calls("graph.batch")) == 45
    [request] = await _requests_of(desk, requester)
    assert request.state == "completed"
    assert [s["status"] for s in request.result["steps"]] == ["done"] * 46


async def test_refusals_at_execution_are_recorded_per_person(desk: Desk) -> None:
    state = desk.tenant.state
    requester = _requester(desk)
    basic = state.sku(BASIC)["skuId"]
    state.set_prepaid_units(BASIC, state.consumed_units(basic) + 5)
    people = _candidates(desk, 5)
    await desk.say(requester, "request license Business Basic for " + ", ".join(u.user_principal_name for u in people))
    await _approve(desk)
    # Two seats went elsewhere meanwhile, and one person already got the plan by hand.
    state.user(people[0].id)["licenseAssignmentStates"].append(
        {"skuId": basic, "assignedByGroup": None, "disabledPlans": [], "state": "Active", "error": "None",
         "lastUpdatedDateTime": "2026-01-01T00:00:00Z"})
    state.sync_assigned_licenses(state.user(people[0].id))
    state.set_prepaid_units(BASIC, state.consumed_units(basic) + 2)
    await desk.run_jobs()

    [request] = await _requests_of(desk, requester)
    assert request.state == "failed"
    assert [s["status"] for s in request.result["steps"]] == ["already_done", "done", "done", "failed", "failed"]
    assert "2 of 5 steps failed" in request.error and people[3].display_name in request.error
    assert [_holds(desk, u.id, basic) for u in people] == [True, True, True, False, False]
    _, status = desk.last_card(requester)
    assert "was already in place" in card_text(status) and "failed" in card_text(status)
    assert any("could not be completed" in text for text in desk.texts(requester))


async def test_nothing_valid_files_nothing_and_lists_are_capped(desk: Desk) -> None:
    requester = _requester(desk)
    await desk.say(requester, "Lizenz E3 für nobody@contoso.com, niemand@contoso.com", locale="de-DE")
    _, report = desk.last_card(requester)
    assert "nicht im Verzeichnis gefunden" in card_text(report)
    assert "nichts beantragt" in desk.texts(requester)[-1]
    many = "\n".join(f"person{n}@contoso.com" for n in range(101))
    await desk.say(requester, f"poproś o licencję E3 dla\n{many}", locale="pl-PL")
    assert "101" in desk.texts(requester)[-1] and "100" in desk.texts(requester)[-1]
    assert await _requests_of(desk, requester) == []


async def test_people_already_requested_are_not_filed_twice(desk: Desk) -> None:
    state = desk.tenant.state
    requester = _requester(desk)
    state.set_prepaid_units(BASIC, state.consumed_units(state.sku(BASIC)["skuId"]) + 10)
    first, second, third = _candidates(desk, 3)
    await desk.say(requester, f"request license Business Basic for {first.user_principal_name}")
    await desk.say(requester, "request license Business Basic for "
                   + ", ".join(u.user_principal_name for u in (first, second, third)))
    requests = await _requests_of(desk, requester)
    assert len(requests) == 2
    bulk = next(r for r in requests if r.kind == "license.assign_bulk")
    assert bulk.payload["user_ids"] == [second.id, third.id]
    single = next(r for r in requests if r.kind == "license.assign")
    report = next(card_text(c) for _, c in desk.cards(requester) if "for a list of people" in card_text(c))
    assert f"already requested in {single.public_id}" in report
    await desk.say(requester, f"request license Business Basic for {third.user_principal_name}")
    assert "already waiting for approval" in desk.texts(requester)[-1]


async def test_a_failed_batch_is_retried_by_the_job_and_nothing_is_applied_twice(tenant, database_url: str) -> None:
    # The Graph client's own retries are off, so the 503 on the $batch reaches the job, which comes back later.
    desk = await start_desk(tenant, desk_settings(tenant, database_url, graph_max_retries=0))
    try:
        state = tenant.state
        requester = _requester(desk)
        basic = state.sku(BASIC)["skuId"]
        state.set_prepaid_units(BASIC, state.consumed_units(basic) + 30)
        people = _candidates(desk, 25)
        pasted = ", ".join(u.user_principal_name for u in people)
        await desk.say(requester, "request license Business Basic for " + pasted)
        await _approve(desk)
        state.reset_call_log()
        tenant.faults.set("graph", status=503, retry_after=0, times=1, path_contains="$batch")
        await desk.run_jobs()

        assert all(_holds(desk, u.id, basic) for u in people)
        assert [c.status for c in state.calls("graph") if c.path.endswith("/$batch")] == [503, 200, 200]
        assert len(state.calls("graph.batch")) == 25, "the first batch never reached Graph; no person was sent twice"
        [request] = await _requests_of(desk, requester)
        assert request.state == "completed"
        async with desk.uow() as uow:
            job = await uow.jobs.for_request(request.id, "execute")
        assert job is not None and job.attempts == 2
    finally:
        await desk.client.close()
