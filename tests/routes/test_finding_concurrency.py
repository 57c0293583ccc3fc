"""Concurrent finding saves, as truly concurrent in-process requests (asyncio.gather), on
SQLite and PostgreSQL: nothing is lost, versions stay in order, one UUID names one save."""

from __future__ import annotations

import asyncio
import time
import uuid

from fieldvisit.visits.tables import Finding
from tests.support import World, assign, make_user, make_visit

HTMX = {"HX-Request": "true"}


async def team_clients(make_client, world: World, count: int):
    colleague = await make_user("budi@kemenpppa.test", "verifier")
    await assign(world.tangerang_evaluation, colleague, "verifier")
    clients = []
    for n in range(count):
        client = make_client()
        await client.sign_in_as((world.verifier.id, colleague, world.admin.id)[n % 3])
        await client.csrf_token()
        clients.append(client)
    return clients


async def found_visit(world: World, site: int | None = None) -> int:
    return await make_visit(world.tangerang_evaluation, site or world.tangerang_site, team=[world.verifier.id],
                            checked_in=True, outcome="found")


async def test_concurrent_saves_of_one_item_by_team_members_are_all_kept_in_order(make_client, world: World):
    visit = await found_visit(world)
    clients = await team_clients(make_client, world, 9)
    saves = [{"client_uuid": str(uuid.uuid4()), "result": ("met", "partial", "not_met")[n % 3], "note": f"save {n}"}
             for n in range(len(clients))]

    spans: list[tuple[float, float]] = []

    async def timed(client, save):
        start = time.monotonic()
        response = await client.post_form(f"/visits/{visit}/items/PUSPAGA-02", save, headers=HTMX)
        spans.append((start, time.monotonic()))
        return response

    responses = await asyncio.gather(*[timed(c, save) for c, save in zip(clients, saves, strict=True)])

    assert max(start for start, _end in spans) < min(end for _start, end in spans)  # all in flight at once
    assert [r.status_code for r in responses] == [200] * len(saves)
    rows = await Finding.select().where(Finding.visit == visit).order_by(Finding.version)
    assert [r["version"] for r in rows] == list(range(1, len(saves) + 1))
    assert {str(r["client_uuid"]) for r in rows} == {s["client_uuid"] for s in saves}  # none lost
    assert [r["saved_at"] for r in rows] == sorted(r["saved_at"] for r in rows)  # history in version order
    assert len({r["saved_by"] for r in rows}) == 3
    for client in clients:
        await client.aclose()


async def test_concurrent_repeats_of_one_save_make_one_version(make_client, world: World):
    visit = await found_visit(world)
    clients = await team_clients(make_client, world, 1)
    save = {"client_uuid": str(uuid.uuid4()), "result": "partial", "note": "sinyal lemah, dikirim ulang"}

    responses = await asyncio.gather(*[
        clients[0].post_form(f"/visits/{visit}/items/PUSPAGA-05", save, headers=HTMX) for _ in range(6)])

    assert [r.status_code for r in responses] == [200] * 6
    assert len({r.text for r in responses}) == 1  # every retry gets the first save's answer
    assert await Finding.count().where(Finding.visit == visit) == 1
    await clients[0].aclose()


async def test_concurrent_saves_of_one_uuid_with_different_content_keep_one_and_refuse_the_rest(make_client,
                                                                                             world: World):
    visit = await found_visit(world)
    clients = await team_clients(make_client, world, 5)
    shared = str(uuid.uuid4())
    results = ["met", "partial", "not_met", "not_observed", "not_applicable"]

    responses = await asyncio.gather(*[
        c.post_form(f"/visits/{visit}/items/PUSPAGA-06", {"client_uuid": shared, "result": result, "note": ""},
                    headers=HTMX) for c, result in zip(clients, results, strict=True)])

    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409, 409]
    [row] = await Finding.select().where(Finding.visit == visit)
    winner = responses[[r.status_code for r in responses].index(200)]
    assert f'value="{row["result"]}" id="r-PUSPAGA-06-{row["result"]}" checked' in winner.text
    for client in clients:
        await client.aclose()


async def test_one_uuid_raced_onto_two_visits_is_stored_once(make_client, world: World):
    from tests.support import make_site

    other_site = await make_site(world.regions["36.71"], "PSPG-02", "Puspaga Cabang", "PUSPAGA")
    first, second = await found_visit(world), await found_visit(world, other_site)
    clients = await team_clients(make_client, world, 2)
    shared = {"client_uuid": str(uuid.uuid4()), "result": "met", "note": ""}

    responses = await asyncio.gather(
        clients[0].post_form(f"/visits/{first}/items/PUSPAGA-01", shared, headers=HTMX),
        clients[1].post_form(f"/visits/{second}/items/PUSPAGA-01", shared, headers=HTMX))

    assert sorted(r.status_code for r in responses) == [200, 409]
    assert await Finding.count() == 1
    for client in clients:
        await client.aclose()
