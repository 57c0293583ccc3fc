"""Finding saves at a fixed arrival rate (issue 4, last benchmark bullet).

On a scratch PostgreSQL database with demo-like data (one Tangerang evaluation, one checked-in
Puspaga visit per verifier), through a real `fieldvisit serve` process: 200 simulated verifiers
each save a finding every 2 s (100 saves/s offered) for 2 minutes. OPEN LOOP: every save is
sent at its scheduled time whether or not earlier ones have answered, so a slow server shows
as latency and backlog, not as a politely lower rate. Latency is measured from the scheduled
send time (no coordinated omission); the generator's own lag and CPU are reported to show it
is not the bottleneck. Each verifier has a database session (as tests/support.make_session)
and sends the CSRF header with the csrftoken cookie, as htmx does (HX-Request: the server
answers the item's block). Target: 100/s sustained, p95 <= 300 ms, 0 errors.

Smoke: 5 s, 10 verifiers.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx

from bench.common import Figure, median, migrate_and_demo, percentile, scratch_postgres, server

PERIOD_S = 2.0  # each verifier saves every 2 s
WINDOW_S = 10.0  # p95 per window of scheduled time, to tell a steady state from bursts
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
ITEMS = [f"PUSPAGA-{n:02d}" for n in range(1, 15)]
RESULTS = ["met", "met", "met", "partial", "not_met", "not_observed"]


async def seed(env: dict[str, str], verifiers: int) -> list[tuple[str, int]]:
    """One evaluation, ``verifiers`` verifiers each with a session and a checked-in visit to a
    Puspaga of their own; returns (session token, visit id) per verifier."""
    from fieldvisit import db
    from fieldvisit.accounts import domain as accounts_domain
    from fieldvisit.accounts.tables import User, UserSession
    from fieldvisit.catalogue.tables import CatalogueVersion
    from fieldvisit.claims.tables import SiteItemClaim
    from fieldvisit.regions.tables import Region
    from fieldvisit.rounds.tables import Assignment, DistrictEvaluation, Round
    from fieldvisit.settings import Settings
    from fieldvisit.sites.tables import Site
    from fieldvisit.visits.tables import Visit, VisitMember

    settings = Settings.from_env({**os.environ, **env})
    async with db.connected(settings):
        version = (await CatalogueVersion.select(CatalogueVersion.id).first())["id"]
        tangerang = (await Region.select(Region.id).where(Region.code == "36.71").first())["id"]
        ev = await DistrictEvaluation.select(DistrictEvaluation.id).where(  # the demo's, when it has one
            DistrictEvaluation.district == tangerang).first()
        if ev is None:
            [rnd] = await Round.insert(Round(name="KLA 2025 (benchmark)", year=2025, catalogue_version=version)
                                       ).returning(Round.id)
            [ev] = await DistrictEvaluation.insert(DistrictEvaluation(
                round=rnd["id"], district=tangerang, stage="verifikasi_lapangan")).returning(DistrictEvaluation.id)
        password_hash = accounts_domain.hash_password("not used: sessions are made directly")
        now = datetime.now(UTC)
        out = []
        for n in range(verifiers):
            [user] = await User.insert(User(email=f"bench{n}@kemenpppa.test", name=f"Verifikator {n}", role="verifier",
                                            password_hash=password_hash, must_change_password=False)).returning(User.id)
            await Assignment.insert(Assignment(district_evaluation=ev["id"], user=user["id"], role="verifier"))
            [site] = await Site.insert(Site(district=tangerang, code=f"BENCH-{n:03d}", name=f"Puspaga {n}",
                                            site_type="PUSPAGA", latitude=-6.17 - n / 1e4,
                                            longitude=106.63)).returning(Site.id)
            await SiteItemClaim.insert(*[SiteItemClaim(district_evaluation=ev["id"], site=site["id"], item_code=item,
                                                       claimed_status="met") for item in ITEMS[:4]])
            [visit] = await Visit.insert(Visit(district_evaluation=ev["id"], site=site["id"], planned_on=date.today(),
                                               status="in_progress", checked_in_at=now, outcome="found")
                                         ).returning(Visit.id)
            await VisitMember.insert(VisitMember(visit=visit["id"], user=user["id"]))
            token = accounts_domain.new_session_token()
            await UserSession.insert(UserSession(token_hash=accounts_domain.token_hash(token), user=user["id"],
                                                 created_at=now, last_seen_at=now))
            out.append((token, visit["id"]))
        return out


def _server_pids() -> list[int]:
    """`fieldvisit serve` started by this process, and its workers."""
    me, pids = os.getpid(), []
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    children = [pid for pid, ppid in parents.items() if ppid == me]
    for child in children:
        pids.append(child)
        pids += [pid for pid, ppid in parents.items() if ppid == child]
    return pids


def _cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    return total


class Connections:
    """A minimal HTTP/1.1 keep-alive client: a free connection is reused, a busy one is never
    waited for (a new one is opened), so the schedule, not the server, decides when a request
    leaves. Cheaper per request than httpx's pool, so the generator stays out of the way."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.opened = 0

    async def post(self, path: str, body: bytes, headers: str,
                   content_type: str = "application/x-www-form-urlencoded") -> tuple[int, bytes]:
        head = (f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{headers}"
                f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        while self.idle:  # a kept-alive connection the server may have closed meanwhile (idle timeout)
            reader, writer = self.idle.pop()
            try:
                writer.write(head + body)
                status_line = await reader.readline()
            except ConnectionError:
                status_line = b""
            if status_line:
                return await self._response(reader, writer, status_line)
            writer.close()
        reader, writer = await asyncio.open_connection(self.host, self.port)
        self.opened += 1
        writer.write(head + body)
        return await self._response(reader, writer, await reader.readline())

    async def _response(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                        status_line: bytes) -> tuple[int, bytes]:
        status = int(status_line.split()[1])
        length, chunked, close = 0, False, False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _sep, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                close = True
        if chunked:
            data = b""
            while (size := int((await reader.readline()).strip(), 16)) > 0:
                data += await reader.readexactly(size + 2)
            await reader.readline()
        else:
            data = await reader.readexactly(length)
        if close:
            writer.close()
        else:
            self.idle.append((reader, writer))
        return status, data


async def load(url: str, sessions: list[tuple[str, int]], duration: float) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=url) as client:
        csrf = (await client.get("/login")).cookies["csrftoken"]  # one double-submit token serves every client
    connections = Connections(url)
    latencies: list[float] = []
    lags: list[float] = []
    errors: list[str] = []
    rng = random.Random(1)
    windows: dict[int, list[float]] = {}

    async def save(token: str, visit: int, n: int, due: float) -> None:
        lags.append(time.perf_counter() - due)
        body = urlencode({"client_uuid": str(uuid.uuid4()), "result": rng.choice(RESULTS),
                          "note": f"catatan {n}"}).encode()
        headers = (f"x-csrftoken: {csrf}\r\nhx-request: true\r\naccept-encoding: gzip\r\n"
                   f"cookie: fv_session={token}; csrftoken={csrf}\r\n")
        try:
            status, data = await connections.post(f"/visits/{visit}/items/{ITEMS[n % len(ITEMS)]}", body, headers)
        except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
            errors.append(type(exc).__name__)
            return
        if status != 200:
            errors.append(f"{status} {data[:120]!r}")
            return
        latencies.append(time.perf_counter() - due)
        windows.setdefault(int((due - start) // WINDOW_S), []).append(time.perf_counter() - due)

    # Each verifier starts at its own offset within the first period, then every PERIOD_S.
    schedule = sorted((i * PERIOD_S / len(sessions) + k * PERIOD_S, i, k)
                      for i in range(len(sessions)) for k in range(math.ceil(duration / PERIOD_S)))
    tasks = []
    cpu0, start = time.process_time(), time.perf_counter()  # save() reads start
    for at, i, k in schedule:
        due = start + at
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        token, visit = sessions[i]
        tasks.append(asyncio.create_task(save(token, visit, k, due)))
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - start
    generator_cpu = time.process_time() - cpu0
    return {"sent": len(schedule), "latencies": latencies, "lags": lags, "errors": errors, "wall": wall,
            "generator_cpu": generator_cpu, "connections": connections.opened,
            "window_p95_ms": [round(percentile(windows[w], 95) * 1000) for w in sorted(windows)]}


def run(smoke: bool) -> list[Figure]:
    return measure(*((10, 5.0) if smoke else (200, 120.0)))


def measure(verifiers: int, duration: float) -> list[Figure]:
    offered = verifiers / PERIOD_S
    with scratch_postgres("fv_bench_findings") as database_url:
        env = {"DATABASE_URL": database_url, "SECRET_KEY": "bench-secret", "DB_POOL_MAX": "20"}
        migrate_and_demo(env)
        sessions = asyncio.run(seed(env, verifiers))
        with server(env, workers=WORKERS) as url:
            pids = _server_pids()
            load_before = os.getloadavg()
            server_cpu0 = _cpu_seconds(pids)
            import uvloop

            result = uvloop.run(load(url, sessions, duration))
            server_cpu = _cpu_seconds(pids) - server_cpu0
            load_after = os.getloadavg()
        rows = asyncio.run(_count_findings(env, [visit for _token, visit in sessions]))
    latencies_ms = [x * 1000 for x in result["latencies"]]  # type: ignore[union-attr]
    lags_ms = [x * 1000 for x in result["lags"]]  # type: ignore[union-attr]
    errors: list[str] = result["errors"]  # type: ignore[assignment]
    wall: float = result["wall"]  # type: ignore[assignment]
    achieved = len(latencies_ms) / wall
    p50, p95 = median(latencies_ms), percentile(latencies_ms, 95)
    extra = {"verifiers": verifiers, "duration_s": duration, "sent": result["sent"], "workers": WORKERS,
             "p99_ms": round(percentile(latencies_ms, 99), 1), "max_ms": round(max(latencies_ms, default=0), 1),
             "first_errors": errors[:5], "rows_written": rows, "connections_opened": result["connections"],
             "p95_ms_per_10s_window": result["window_p95_ms"],
             "machine_load_average_1m_before_after": [round(load_before[0], 2), round(load_after[0], 2)]}
    return [
        Figure("offered rate", offered, "saves/s", notes="open loop: fixed arrival schedule"),
        Figure("achieved rate (answered 200 / wall time)", achieved, "saves/s",
               target=f">= {offered:g} sustained", ok=achieved >= 0.97 * offered and not errors, extra=extra),
        Figure("latency p50 (from the scheduled send time)", p50, "ms"),
        Figure("latency p95 (from the scheduled send time)", p95, "ms", target="<= 300", ok=p95 <= 300),
        Figure("errors (non-200 or transport)", len(errors), "count", target="0", ok=not errors,
               extra={"first": errors[:5]}),
        Figure("rows written = saves answered", rows, "rows", target=str(len(latencies_ms)),
               ok=rows == len(latencies_ms)),
        Figure("load generator CPU", 100 * result["generator_cpu"] / wall, "% of a core",  # type: ignore[operator]
               notes="the generator must not be the bottleneck",
               extra={"send lag p95 ms": round(percentile(lags_ms, 95), 2),
                      "send lag max ms": round(max(lags_ms, default=0), 2)}),
        Figure("server CPU", 100 * server_cpu / wall, "% of a core", notes=f"{WORKERS} worker(s), summed"),
    ]


async def _count_findings(env: dict[str, str], visit_ids: list[int]) -> int:
    from fieldvisit import db
    from fieldvisit.settings import Settings
    from fieldvisit.visits.tables import Finding

    async with db.connected(Settings.from_env({**os.environ, **env})):
        return await Finding.count().where(Finding.visit.is_in(visit_ids))
