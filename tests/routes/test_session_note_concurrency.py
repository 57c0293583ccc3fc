"""Concurrent note saves as truly concurrent in-process requests (asyncio.gather), on SQLite and
PostgreSQL: every note kept, numbers 1..N without gaps or duplicates, one UUID one note, and a
poller reading "after N" while notes are being saved never skips or repeats one."""

from __future__ import annotations

import asyncio
import re
import time
import uuid

from fieldvisit.sessions.tables import SessionNote
from tests.support import World, assign, make_user
from tests.support_sessions import make_hybrid_session

HTMX = {"HX-Request": "true"}


async def team(make_client, world: World, count: int):
    others = []
    for n in range(2):
        user = await make_user(f"notulis{n}@kemenpppa.test", "notetaker")
        await assign(world.tangerang_evaluation, user, "notetaker")
        others.append(user)
    members = [world.verifier.id, world.notetaker.id, *others]
    session = await make_hybrid_session(world.tangerang_evaluation, team=members, sites=[world.tangerang_site])
    clients = []
    for n in range(count):
        client = make_client()
        await client.sign_in_as(members[n % len(members)])
        await client.csrf_token()
        clients.append(client)
    return session, clients


def note(body: str, client_uuid: str | None = None) -> dict[str, str]:
    return {"client_uuid": client_uuid or str(uuid.uuid4()), "body": body, "target": ""}


async def test_note_takers_saving_at_the_same_instant_are_all_kept_and_numbered_in_order(make_client, world: World):
    session, clients = await team(make_client, world, 12)
    spans: list[tuple[float, float]] = []

    async def save(client, n):
        start = time.monotonic()
        response = await client.post_form(f"/sessions/{session}/notes", note(f"catatan {n}"), headers=HTMX)
        spans.append((start, time.monotonic()))
        return response

    responses = await asyncio.gather(*[save(c, n) for n, c in enumerate(clients)])
    assert max(s for s, _e in spans) < min(e for _s, e in spans)  # all in flight at once
    assert [r.status_code for r in responses] == [200] * len(clients)
    rows = await SessionNote.select(SessionNote.number, SessionNote.body, SessionNote.created_at).where(
        SessionNote.session == session).order_by(SessionNote.number)
    assert [r["number"] for r in rows] == list(range(1, len(clients) + 1))
    assert {r["body"] for r in rows} == {f"catatan {n}" for n in range(len(clients))}
    for client in clients:
        await client.aclose()


async def test_a_retried_note_sent_concurrently_is_one_note(make_client, world: World):
    session, clients = await team(make_client, world, 1)
    data = note("dikirim ulang", str(uuid.uuid4()))
    responses = await asyncio.gather(*[clients[0].post_form(f"/sessions/{session}/notes", data, headers=HTMX)
                                       for _ in range(6)])
    assert [r.status_code for r in responses] == [200] * 6
    assert await SessionNote.count().where(SessionNote.session == session) == 1
    await clients[0].aclose()


async def test_a_poller_during_concurrent_saves_sees_every_note_once(make_client, world: World):
    session, clients = await team(make_client, world, 8)
    viewer = clients[0]
    seen: list[int] = []
    after = 0
    done = asyncio.Event()

    async def poll():
        nonlocal after
        while True:
            finished = done.is_set()
            response = await viewer.get(f"/sessions/{session}/feed?after={after}&changes=0", headers=HTMX)
            if response.status_code == 200:
                seen.extend(int(n) for n in re.findall(r'<li id="note-(\d+)"', response.text))
                after = int(re.search(r"after=(\d+)", response.text).group(1))
            if finished:
                return
            await asyncio.sleep(0.01)

    async def writers():
        for round_no in range(3):
            await asyncio.gather(*[c.post_form(f"/sessions/{session}/notes", note(f"r{round_no} c{n}"), headers=HTMX)
                                   for n, c in enumerate(clients[1:])])
        done.set()

    await asyncio.gather(poll(), writers())
    assert seen == list(range(1, 3 * 7 + 1))  # in order, no gaps, no duplicates
    for client in clients:
        await client.aclose()
