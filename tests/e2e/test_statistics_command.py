"""The admins' statistics (F21, F22) end to end: the card in English and Polish from the stored requests, its chart
images served as PNGs behind short-lived links, and a refusal that tells a non-admin nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from desk_harness import Desk
from sqlalchemy import func, select, update

from cards.charts import png_size
from cards.i18n import Translator
from storage.models import ReportFile, Request


async def _file_requests(desk: Desk) -> None:
    """Two of the employee's license requests from an hour ago, one decided and completed, one waiting."""
    employee = desk.tenant.seed.demo_employee
    filed = datetime.now(UTC) - timedelta(hours=1)
    async with desk.uow() as uow:
        for done in (True, False):
            await uow.requests.add(Request(
                kind="license.assign", requester_id=employee.id, requester_name=employee.display_name,
                target_id=employee.id, target_label=f"{employee.display_name} - Office 365 E3", payload={}, plan=[],
                approver_ids=[], created_at=filed, state="completed" if done else "pending",
                decided_at=filed + timedelta(minutes=30) if done else None,
                completed_at=filed + timedelta(minutes=40) if done else None,
            ))
        await uow.commit()


def _images(card: dict[str, Any]) -> list[dict[str, Any]]:
    found = []

    def walk(element: Any) -> None:
        if isinstance(element, dict):
            if element.get("type") == "Image":
                found.append(element)
            for value in element.values():
                walk(value)
        elif isinstance(element, list):
            for item in element:
                walk(item)

    walk(card)
    return found


async def test_stats_card_with_chart_images_that_download_and_expire(desk: Desk) -> None:
    admin, employee = desk.tenant.seed.demo_admin, desk.tenant.seed.demo_employee
    await _file_requests(desk)

    await desk.say(admin, "stats")

    _, card = desk.last_card(admin)
    assert card["body"][0]["text"] == "Statistics"
    (requesters,) = [e for e in card["body"] if e.get("id") == "top-requesters"]
    assert requesters["items"][1]["facts"] == [{"title": employee.display_name, "value": "2"}]
    images = _images(card)
    assert [image["id"] for image in images] == ["chart-volume", "chart-sla", "chart-seats"]
    assert all(image["altText"] for image in images)
    paths = [urlsplit(image["url"]).path for image in images]
    for path in paths:
        response = await desk.client.get(path)
        assert response.status == 200 and response.content_type == "image/png"
        assert png_size(await response.read()) == (800, 400)
    # A chart's token is not a CSV's: the other route does not serve it.
    assert (await desk.client.get(paths[0].removesuffix(".png") + ".csv")).status == 404
    assert (await desk.client.get("/reports/not-a-token.png")).status == 404
    async with desk.uow() as uow:  # the links' minutes later
        await uow.session.execute(update(ReportFile).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        await uow.commit()
    assert (await desk.client.get(paths[0])).status == 404


async def test_statystyki_in_polish_and_a_refusal_for_everyone_else(desk: Desk) -> None:
    admin, employee = desk.tenant.seed.demo_admin, desk.tenant.seed.demo_employee
    await _file_requests(desk)

    await desk.say(employee, "Statistik", locale="de-DE")
    assert desk.texts(employee)[-1] == Translator("de-DE")("statistics.not_admin")
    assert desk.cards(employee) == []
    async with desk.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(ReportFile)) == 0

    await desk.say(admin, "statystyki", locale="pl-PL")

    _, card = desk.last_card(admin)
    assert card["body"][0]["text"] == "Statystyki"
    (times,) = [e for e in card["body"] if e.get("id") == "times"]
    assert times["items"][1]["text"] == "**Licencje**"
    assert times["items"][2]["facts"][0] == {"title": "Do decyzji", "value": "0,5 godz. (z 1 wniosku)"}
    (volume_image, *_) = _images(card)
    assert "razem 2 wnioski" in volume_image["altText"]
    response = await desk.client.get(urlsplit(volume_image["url"]).path)
    assert response.status == 200 and response.content_type == "image/png"
