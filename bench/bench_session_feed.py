"""A live hybrid session (issue 6 benchmark).

On a scratch PostgreSQL database with the demo loaded, through a real `fieldvisit serve` process
(2 workers): 10 note-takers each save a note every 2 s (open loop: sent on schedule whether or
not earlier ones answered) and 20 viewers poll the live feed every 2 s (the page's htmx
interval, each viewer at its own offset), for 2 minutes. Measured: the time from a note's send
to the moment each *other* viewer's poll returned it (p50/p95 over every (note, viewer) pair),
the save latency, errors, whether every viewer saw every note exactly once and in number order,
and the server's CPU. Target: p95 <= 3 s at the 2 s polling interval, 0 errors.

Smoke: 5 s, 2 note-takers, 3 viewers.
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import time
import uuid
from datetime import UTC, datetime

import httpx

from bench.bench_finding_saves import _cpu_seconds, _server_pids
from bench.common import Figure, median, migrate_and_demo, percentile, scratch_postgres, server

PERIOD_S = 2.0  # a note per note-taker every 2 s
POLL_S = 2.0  # templates/sessions/session.html: every {{ poll_seconds }}s (sessions.domain.POLL_SECONDS)
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
NOTE = re.compile(r'<li id="note-(\d+)".*?<p class="note-body">(.*?)</p>', re.S)
AFTER = re.compile(r"after=(\d+)&amp;changes=(\d+)")


async def seed(env: dict[str, str], writers: int, viewers: int) -> tuple[int, list[str]]:
    """A live session on the demo's Tangerang evaluation with ``writers + viewers`` people on its
    team (writers first), each with a database session; returns (session id, tokens)."""
    from fieldvisit import db
    from fieldvisit.accounts import domain as accounts_domain
    from fieldvisit.accounts.tables import User, UserSession
    from fieldvisit.regions.tables import Region
    from fieldvisit.rounds.tables import Assignment, DistrictEvaluation
    from fieldvisit.sessions.tables import HybridSession, SessionMember
    from fieldvisit.settings import Settings

    settings = Settings.from_env({**os.environ, **env})
    async with db.connected(settings):
        tangerang = (await Region.select(Region.id).where(Region.code == "36.71").first())["id"]
        ev = await DistrictEvaluation.select(DistrictEvaluation.id).where(
            DistrictEvaluation.district == tangerang).first()
        now = datetime.now(UTC)
        [session] = await HybridSession.insert(HybridSession(
            district_evaluation=ev["id"], title="Benchmark session", starts_at=now, status="live", started_at=now,
        )).returning(HybridSession.id)
        password_hash = accounts_domain.hash_password("not used: sessions are made directly")
        tokens = []
        for n in range(writers + viewers):
            role = "notetaker" if n < writers else ("verifier" if n % 2 else "notetaker")
            [user] = await User.insert(User(email=f"bench-session{n}@kemenpppa.test", name=f"Tim {n}", role=role,
                                            password_hash=password_hash, must_change_password=False)).returning(User.id)
            await Assignment.insert(Assignment(district_evaluation=ev["id"], user=user["id"], role=role))
            await SessionMember.insert(SessionMember(session=session["id"], user=user["id"]))
            token = accounts_domain.new_session_token()
            await UserSession.insert(UserSession(token_hash=accounts_domain.token_hash(token), user=user["id"],
                                                 created_at=now, last_seen_at=now))
            tokens.append(token)
        return int(session["id"]), tokens


async def load(url: str, session: int, tokens: list[str], writers: int, duration: float) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=url) as client:
        csrf = (await client.get("/login")).cookies["csrftoken"]
    clients = [httpx.AsyncClient(base_url=url, timeout=30, headers={
        "cookie": f"fv_session={token}; csrftoken={csrf}", "x-csrftoken": csrf, "hx-request": "true"})
        for token in tokens]
    # Warm up as a server in use is warm: every client polls once and every note-taker saves a
    # note (the workers open their database connections and compile their templates).
    await asyncio.gather(*[c.get(f"/sessions/{session}/feed", params={"after": 0, "changes": 0}) for c in clients])
    await asyncio.gather(*[clients[i].post(f"/sessions/{session}/notes", data={
        "client_uuid": str(uuid.uuid4()), "body": f"warm-up {i}", "target": ""}) for i in range(writers)])
    sent: dict[str, float] = {}  # note marker -> send time
    save_ms: list[float] = []
    visible_ms: list[float] = []
    errors: list[str] = []
    sequences: dict[int, list[int]] = {}
    windows: dict[int, list[float]] = {}  # visibility per 10 s of send time: steady state or bursts
    start = time.perf_counter()
    end = start + duration

    async def write(i: int, k: int, due: float) -> None:
        marker = f"w{i}k{k}"
        sent[marker] = due
        try:
            response = await clients[i].post(f"/sessions/{session}/notes", data={
                "client_uuid": str(uuid.uuid4()), "body": f"catatan {marker}", "target": ""})
        except httpx.HTTPError as exc:
            errors.append(type(exc).__name__)
            return
        if response.status_code != 200:
            errors.append(f"save {response.status_code} {response.text[:80]!r}")
            return
        save_ms.append((time.perf_counter() - due) * 1000)

    async def view(v: int) -> None:
        client = clients[writers + v]
        after = changes = 0
        await asyncio.sleep(v * POLL_S / max(1, len(tokens) - writers))
        seq = sequences.setdefault(v, [])
        while time.perf_counter() < end + 2 * POLL_S:  # a last round after the writers stop
            try:
                response = await client.get(f"/sessions/{session}/feed", params={"after": after, "changes": changes})
            except httpx.HTTPError as exc:
                errors.append(type(exc).__name__)
                await asyncio.sleep(POLL_S)
                continue
            now = time.perf_counter()
            if response.status_code == 200:
                for number, body in NOTE.findall(response.text):
                    seq.append(int(number))
                    marker = body.removeprefix("catatan ")
                    if marker in sent:
                        visible_ms.append((now - sent[marker]) * 1000)
                        windows.setdefault(int((sent[marker] - start) // 10), []).append(now - sent[marker])
                found = AFTER.search(response.text)
                if found:
                    after, changes = int(found.group(1)), int(found.group(2))
            elif response.status_code != 204:
                errors.append(f"feed {response.status_code}")
            await asyncio.sleep(POLL_S)

    schedule = sorted((i * PERIOD_S / writers + k * PERIOD_S, i, k)
                      for i in range(writers) for k in range(math.ceil(duration / PERIOD_S)))
    viewers = [asyncio.create_task(view(v)) for v in range(len(tokens) - writers)]
    tasks = []
    for at, i, k in schedule:
        due = start + at
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(write(i, k, due)))
    await asyncio.gather(*tasks, *viewers)
    for client in clients:
        await client.aclose()
    # Every viewer must have seen every note saved (numbers 1..N, N the highest anyone saw), each
    # once, in order. A save the client gave up on may still have been written: N counts it.
    total = max((max(seq, default=0) for seq in sequences.values()), default=0)
    bad = [v for v, seq in sequences.items() if seq != list(range(1, total + 1))]
    return {"sent": len(schedule), "save_ms": save_ms, "visible_ms": visible_ms, "errors": errors,
            "bad_sequences": bad, "wall": time.perf_counter() - start, "notes": total,
            "window_p95_s": [round(percentile(windows[w], 95), 2) for w in sorted(windows)]}


def run(smoke: bool) -> list[Figure]:
    return measure(*((2, 3, 5.0) if smoke else (10, 20, 120.0)))


def measure(writers: int, viewers: int, duration: float) -> list[Figure]:
    with scratch_postgres("fv_bench_sessions") as database_url:
        env = {"DATABASE_URL": database_url, "SECRET_KEY": "bench-secret", "DB_POOL_MAX": "20"}
        migrate_and_demo(env)
        session, tokens = asyncio.run(seed(env, writers, viewers))
        with server(env, workers=WORKERS) as url:
            pids = _server_pids()
            cpu0, load_before = _cpu_seconds(pids), os.getloadavg()
            result = asyncio.run(load(url, session, tokens, writers, duration))
            server_cpu, load_after = _cpu_seconds(pids) - cpu0, os.getloadavg()
    visible: list[float] = result["visible_ms"]  # type: ignore[assignment]
    saves: list[float] = result["save_ms"]  # type: ignore[assignment]
    errors: list[str] = result["errors"]  # type: ignore[assignment]
    wall: float = result["wall"]  # type: ignore[assignment]
    p95 = percentile(visible, 95) / 1000
    extra = {"writers": writers, "viewers": viewers, "duration_s": duration, "workers": WORKERS,
             "poll_interval_s": POLL_S,
             "machine_load_average_1m_before_after": [round(load_before[0], 2), round(load_after[0], 2)], "notes_saved": result["notes"], "sent": result["sent"],
             "saves_answered": len(saves), "p95_s_per_10s_window": result["window_p95_s"], "pairs_measured": len(visible), "max_s": round(max(visible, default=0) / 1000, 3)}
    return [
        Figure("save to visible at another viewer, p50", median(visible) / 1000, "s", extra=extra),
        Figure("save to visible at another viewer, p95", p95, "s", target="<= 3", ok=p95 <= 3),
        Figure("note save latency p95", percentile(saves, 95), "ms"),
        Figure("errors (non-2xx or transport)", len(errors), "count", target="0", ok=not errors,
               extra={"first": errors[:5]}),
        Figure("viewers that missed, repeated or reordered a note", len(result["bad_sequences"]), "count",  # type: ignore[arg-type]
               target="0", ok=not result["bad_sequences"]),
        Figure("server CPU", 100 * server_cpu / wall, "% of a core", notes=f"{WORKERS} worker(s), summed"),
    ]
