"""Reconciliation at national scale on PostgreSQL (issue 5): a round of the 514 kab/kota of
`regions-kemendagri-2025.csv`, each with 60 sites × 30 checklist items claimed and found
(≈ 0.9 M findings), indicator claims and verifications, photos (some reused across sites).

Measured in one run, on one database:
- the floor: one SQL scan of every finding (server-side aggregate, and every row fetched into
  Python through asyncpg);
- full reconciliation of the round: the first run (opens every gap) and a second run (nothing
  changed), evaluations in parallel over the connection pool;
- one district's reconciliation after one finding changed, and with nothing changed;
- the background worker's poll (recent changes only) and its first poll after start-up;
- the dashboard page of one district through a real server process (p50/p95 of sequential
  requests by a signed-in verifier).
Generation uses COPY (asyncpg ``copy_records_to_table``) and is timed too.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bench.bench_import_sites import regions_file
from bench.common import Figure, migrate_and_demo, percentile, scratch_postgres, server

SEED = 20251122
RESULTS = ["met"] * 80 + ["partial"] * 8 + ["not_met"] * 6 + ["not_observed"] * 3 + ["not_applicable"] * 3
T0 = datetime(2025, 5, 12, 1, 0, tzinfo=UTC)  # the field week starts (08:00 WIB)
DEMO_PASSWORD = "fieldvisit-demo"


def sizes(smoke: bool) -> tuple[int, int, int]:
    """(districts, sites per district, items per site); BENCH_RECONCILE_DISTRICTS trims the
    full run for a quick look (the figures in the report come from all 514)."""
    if smoke:
        return 3, 10, 5
    return int(os.environ.get("BENCH_RECONCILE_DISTRICTS", "514")), 60, 30


# ---- generation -------------------------------------------------------------------------------------


async def generate(url: str, smoke: bool) -> dict[str, Any]:
    """Regions, a round, and every district's claims, visits, findings, photos and verifications."""
    import asyncpg

    from fieldvisit import db
    from fieldvisit.catalogue import domain as catalogue_domain
    from fieldvisit.catalogue import queries as catalogue
    from fieldvisit.regions import domain as regions_domain
    from fieldvisit.regions import queries as regions
    from fieldvisit.settings import Settings

    n_districts, n_sites, n_items = sizes(smoke)
    rng = random.Random(SEED)
    settings = Settings.from_env({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    async with db.connected(settings):
        await catalogue.load_version(catalogue_domain.parse_catalogue(catalogue_domain.shipped()))
        rows, problems = regions_domain.parse_regions_csv(regions_file().read_bytes())  # noqa: ASYNC240 - set-up
        assert not problems, problems
        await regions.import_regions(None, rows)
    data = catalogue_domain.parse_catalogue(catalogue_domain.shipped())
    types = [t for t in data.site_types if t.items]

    conn = await asyncpg.connect(url)
    try:
        version = await conn.fetchval("SELECT id FROM catalogue_version WHERE code = $1", data.code)
        verifier = await conn.fetchval("SELECT id FROM app_user WHERE email = 'verifier@demo.fieldvisit.id'")
        districts = await conn.fetch("SELECT id, code FROM region WHERE level <> 'province' ORDER BY code")
        tangerang = [d for d in districts if d["code"] == "36.71"]
        others = [d for d in districts if d["code"] != "36.71"]
        chosen = (tangerang + others)[:n_districts]
        round_id = await conn.fetchval(
            "INSERT INTO evaluation_round (name, year, catalogue_version, response_days, notetakers_may_promote, "
            "created_at) VALUES ('KLA 2025 (bench)', 2025, $1, 14, false, now()) RETURNING id", version)
        # Ids follow whatever the demo already made (its round has evaluations, sites, visits...).
        tables = {"site": "site", "visit": "visit", "finding": "finding", "photo": "photo", "claim": "site_item_claim",
                  "indicator_claim": "indicator_claim", "verification": "indicator_verification",
                  "evaluation": "district_evaluation"}
        ids = {key: await conn.fetchval(f"SELECT COALESCE(max(id), 0) FROM {table}")   # noqa: S608 - our names
               for key, table in tables.items()}

        def next_id(table: str) -> int:
            ids[table] += 1
            return ids[table]

        evaluations, assignments, sites, item_claims, indicator_claims = [], [], [], [], []
        visits, findings, photos, verifications = [], [], [], []
        round_sha: list[tuple[int, str]] = []  # (site, sha) of photos to reuse elsewhere
        for d in chosen:
            e = next_id("evaluation")
            evaluations.append((e, round_id, d["id"], "verifikasi_lapangan", "kunjungan", T0))
            assignments.append((e, verifier, "verifier"))
            for n in range(24):
                code = f"I{n + 1:02d}"
                kind = "percent" if n % 3 == 0 else "number"
                value = Decimal(str(round(rng.uniform(60, 99), 1))) if kind == "percent" else Decimal(rng.randint(3, 40))
                indicator_claims.append((next_id("indicator_claim"), e, code, kind, value, "%" if kind == "percent" else "",
                                         Decimal(str(rng.randint(28, 40))), Decimal(45), T0 - timedelta(days=30)))
                if n % 4 == 0:  # six indicators verified, VF between 0.8 and 1.15
                    verifications.append((next_id("verification"), e, code, 1,
                                          (value * Decimal(str(round(rng.uniform(0.8, 1.15), 3)))).quantize(
                                              Decimal("0.0001")), "rekap dinas", "verifier", verifier,
                                          T0 + timedelta(days=2)))
            for s in range(n_sites):
                site_type = types[s % len(types)]
                site = next_id("site")
                lat, lon = -6.2 + rng.uniform(-0.1, 0.1), 106.6 + rng.uniform(-0.1, 0.1)
                sites.append((site, d["id"], f"S{s:03d}", f"{site_type.code} {s}", site_type.code, lat, lon))
                check_in = T0 + timedelta(days=s % 5, hours=rng.randint(0, 6))
                outcome = "found" if rng.random() > 0.02 else rng.choice(["closed", "refused", "not_found"])
                visit = next_id("visit")
                visits.append((visit, e, site, check_in.date(), "kunjungan", "submitted", check_in, outcome,
                               check_in + timedelta(hours=2), verifier, check_in - timedelta(days=3)))
                items = [i.code for i in site_type.items][:n_items]
                items += [f"{site_type.code}-X{k}" for k in range(n_items - len(items))]
                wants = {i.code for i in site_type.items if i.wants_photo}
                for item in items:
                    item_claims.append((next_id("claim"), e, site, item, "met" if rng.random() < 0.95 else "not_met",
                                        T0 - timedelta(days=30)))
                    result = rng.choice(RESULTS)
                    saved = check_in + timedelta(minutes=rng.randint(5, 110))
                    versions = 2 if rng.random() < 0.05 else 1
                    for v in range(1, versions + 1):
                        findings.append((next_id("finding"), visit, site, e, item, v, uuid.UUID(int=rng.getrandbits(128)),
                                         result if v == versions else "not_observed", "",
                                         hashlib.sha256(f"{item}{result}{v}".encode()).hexdigest(), verifier,
                                         saved + timedelta(minutes=v)))
                    if item in wants and rng.random() < 0.85:
                        if round_sha and rng.random() < 0.005:
                            _other, sha = rng.choice(round_sha)  # the same photo at another site
                        else:
                            sha = hashlib.sha256(rng.randbytes(16)).hexdigest()
                            if rng.random() < 0.01:
                                round_sha.append((site, sha))
                        far = rng.random() < 0.02
                        photos.append((next_id("photo"), visit, site, e, item, uuid.UUID(int=rng.getrandbits(128)),
                                       f"photo/{sha[:2]}/{sha}", "image/jpeg", 300_000, sha,
                                       f"{rng.getrandbits(64):016x}", saved - timedelta(minutes=1),
                                       450.0 if far else rng.uniform(2, 120), "camera", verifier, saved,
                                       f"display/{sha[:2]}/{sha}", f"thumb/{sha[:2]}/{sha}"))

        async def copy(table: str, columns: list[str], records: list[tuple[Any, ...]]) -> None:
            await conn.copy_records_to_table(table, records=records, columns=columns)

        await copy("district_evaluation", ["id", "round", "district", "stage", "field_mode", "created_at"], evaluations)
        await copy("assignment", ["district_evaluation", "user", "role"], assignments)
        await copy("site", ["id", "district", "code", "name", "site_type", "latitude", "longitude"], sites)
        await copy("indicator_claim", ["id", "district_evaluation", "indicator_code", "value_kind", "value", "unit",
                                       "claimed_score", "max_score", "updated_at"], indicator_claims)
        await copy("site_item_claim", ["id", "district_evaluation", "site", "item_code", "claimed_status",
                                       "updated_at"], item_claims)
        await copy("indicator_verification", ["id", "district_evaluation", "indicator_code", "version",
                                              "verified_value", "note", "source", "verified_by", "verified_at"],
                   verifications)
        await copy("visit", ["id", "district_evaluation", "site", "planned_on", "mode", "status", "checked_in_at",
                             "outcome", "submitted_at", "created_by", "created_at"], visits)
        await copy("finding", ["id", "visit", "site", "district_evaluation", "item_code", "version", "client_uuid",
                               "result", "note", "content_hash", "saved_by", "saved_at"], findings)
        await copy("photo", ["id", "visit", "site", "district_evaluation", "item_code", "client_uuid", "original_key",
                             "content_type", "size_bytes", "sha256", "phash", "taken_at", "distance_m", "source",
                             "uploaded_by", "uploaded_at", "display_key", "thumb_key"], photos)
        # derivatives recorded as made: a settled round (else the server's photo worker would spend
        # the dashboard measurement marking 168k photos without blobs)
        for table in ("district_evaluation", "site", "indicator_claim", "site_item_claim", "indicator_verification",
                      "visit", "finding", "photo"):
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - our names
                               f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")
        await conn.execute("VACUUM ANALYZE")  # the steady state: visibility map set, statistics fresh
    finally:
        await conn.close()
    return {"round_id": round_id, "evaluation_ids": [e[0] for e in evaluations], "findings": len(findings),
            "photos": len(photos), "item_claims": len(item_claims), "districts": len(evaluations),
            "verifier": verifier}


# ---- measurements --------------------------------------------------------------------------------------


async def floor_scans(url: str) -> tuple[float, float]:
    """(server-side aggregate over every finding, every finding fetched into Python), seconds."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.fetchval("SELECT count(*) FROM finding")  # warm the cache
        start = time.perf_counter()
        await conn.fetch("SELECT district_evaluation, count(*), count(DISTINCT result) FROM finding "
                         "GROUP BY district_evaluation")
        aggregate = time.perf_counter() - start
        start = time.perf_counter()
        rows = await conn.fetch("SELECT id, visit, site, district_evaluation, item_code, version, result, saved_at "
                                "FROM finding")
        fetched = time.perf_counter() - start
        assert rows
        return aggregate, fetched
    finally:
        await conn.close()


async def reconcile_measures(url: str, info: dict[str, Any], smoke: bool) -> dict[str, Any]:
    from fieldvisit import db
    from fieldvisit.reconcile import queries
    from fieldvisit.settings import Settings

    pool = 4 if smoke else int(os.environ.get("BENCH_RECONCILE_POOL", "6"))
    settings = Settings.from_env({"DATABASE_URL": url, "SECRET_KEY": "bench", "DB_POOL_MAX": str(pool)})
    out: dict[str, Any] = {"pool": pool}
    now = datetime.now(UTC)
    async with db.connected(settings):
        start = time.perf_counter()
        first = await queries.reconcile_round(info["round_id"], now=now, concurrency=pool)
        out["full_first_s"] = time.perf_counter() - start
        out["gaps_opened"] = sum(c.opened for c in first.values())
        start = time.perf_counter()
        second = await queries.reconcile_round(info["round_id"], now=now + timedelta(seconds=1), concurrency=pool)
        out["full_again_s"] = time.perf_counter() - start
        out["changed_again"] = sum(c.changed for c in second.values())

        # one district: a finding changes, reconcile; and with nothing changed. First the steady
        # state again: the full runs just wrote every gap, and autovacuum working through them
        # meanwhile put 100+ ms outliers into this figure (a full run is rare; these are not).
        await vacuum(url)
        e = info["evaluation_ids"][len(info["evaluation_ids"]) // 2]
        target = (await db.raw_rows(  # an item claimed met at a site that was found, and found met
            "SELECT f.visit, f.item_code, f.version AS v FROM finding f JOIN visit v ON v.id = f.visit "
            "JOIN site_item_claim c ON c.district_evaluation = f.district_evaluation AND c.site = f.site "
            "AND c.item_code = f.item_code WHERE f.district_evaluation = {} AND v.outcome = 'found' "
            "AND c.claimed_status = 'met' AND f.result = 'met' AND f.version = (SELECT MAX(g.version) FROM finding g "
            "WHERE g.visit = f.visit AND g.item_code = f.item_code) ORDER BY f.visit, f.item_code LIMIT 1", e))[0]
        changed, quiet = [], []
        runs = 5 if smoke else 60
        for n in range(runs):
            when = now + timedelta(minutes=n + 1)
            await db.raw_rows(
                "INSERT INTO finding (visit, site, district_evaluation, item_code, version, client_uuid, result, note, "
                "content_hash, saved_by, saved_at) SELECT visit, site, district_evaluation, item_code, {}, {}, {}, '', "
                "'x', saved_by, {} FROM finding WHERE visit = {} AND item_code = {} AND version = 1",
                int(target["v"]) + n + 1, uuid.uuid4(), "not_met" if n % 2 == 0 else "met", when, target["visit"],
                target["item_code"])
            start = time.perf_counter()
            counts = await queries.reconcile_evaluation(e, now=when + timedelta(seconds=5))
            changed.append(time.perf_counter() - start)
            assert counts.changed >= 1, counts
            start = time.perf_counter()
            counts = await queries.reconcile_evaluation(e, now=when + timedelta(seconds=6))
            quiet.append(time.perf_counter() - start)
            assert counts.changed == 0, counts
        out["one_changed_ms"] = [t * 1000 for t in changed]
        out["one_quiet_ms"] = [t * 1000 for t in quiet]
        out["one_evaluation"] = e

        # the worker's poll: recent changes only, then the first poll after a start (everything)
        polls = []
        for _ in range(5):
            start = time.perf_counter()
            await queries.changed_since(datetime.now(UTC) - timedelta(seconds=60))
            polls.append(time.perf_counter() - start)
        out["poll_ms"] = statistics.median(polls) * 1000
        start = time.perf_counter()
        await queries.changed_since(None)
        out["first_poll_ms"] = (time.perf_counter() - start) * 1000
    return out


async def vacuum(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


def _share(url: str, pool: int, evaluation_ids: list[int], now: datetime) -> int:
    """One process's share of a full run (multiprocessing target)."""
    from fieldvisit import db
    from fieldvisit.reconcile import queries
    from fieldvisit.settings import Settings

    async def go() -> int:
        settings = Settings.from_env({"DATABASE_URL": url, "SECRET_KEY": "bench", "DB_POOL_MAX": str(pool)})
        async with db.connected(settings):
            done = await queries.reconcile_many(evaluation_ids, now=now, concurrency=pool)
            return sum(c.changed for c in done.values())

    return asyncio.run(go())


def full_run_processes(url: str, info: dict[str, Any], processes: int, pool: int) -> tuple[float, int]:
    """A full run again, the evaluations shared among ``processes`` (wall time includes their start)."""
    import multiprocessing

    ids = info["evaluation_ids"]
    now = datetime.now(UTC) + timedelta(hours=1)
    context = multiprocessing.get_context("spawn")
    start = time.perf_counter()
    with context.Pool(processes) as workers:
        changed = workers.starmap(_share, [(url, pool, ids[n::processes], now) for n in range(processes)])
    return time.perf_counter() - start, sum(changed)


def dashboard_requests(url: str, evaluation_id: int, smoke: bool) -> dict[str, Any]:
    import httpx

    env = {"DATABASE_URL": url, "SECRET_KEY": "bench", "WORKERS": "1"}
    n = 30 if smoke else 200
    with server(env) as base, httpx.Client(base_url=base, timeout=30) as client:
        client.get("/login")
        response = client.post("/login", data={"email": "verifier@demo.fieldvisit.id", "password": DEMO_PASSWORD,
                                               "_csrf_token": client.cookies["csrftoken"]})
        assert response.status_code == 303, response.text
        path = f"/evaluations/{evaluation_id}/dashboard"
        first = client.get(path)
        assert first.status_code == 200 and "perkiraan" in first.text, first.status_code
        time.sleep(2)  # the worker's first poll after start-up reads every change once
        for _ in range(10):
            client.get(path)
        times = []
        for _ in range(n):
            start = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        hello = []
        for _ in range(n):
            start = time.perf_counter()
            client.get("/hello")
            hello.append((time.perf_counter() - start) * 1000)
    return {"p50": percentile(times, 50), "p95": percentile(times, 95), "bytes": len(first.content), "n": n,
            "hello_p50": percentile(hello, 50)}


def run(smoke: bool) -> list[Figure]:
    n_districts, n_sites, n_items = sizes(smoke)
    with scratch_postgres("fv_bench_reconcile") as url:
        env = {"DATABASE_URL": url, "SECRET_KEY": "bench"}
        migrate_and_demo(env)
        start = time.perf_counter()
        info = asyncio.run(generate(url, smoke))
        generated = time.perf_counter() - start
        aggregate, fetched = asyncio.run(floor_scans(url))
        measures = asyncio.run(reconcile_measures(url, info, smoke))
        two_processes, changed_two = full_run_processes(url, info, 2, 3)
        page = dashboard_requests(url, measures["one_evaluation"], smoke)
    size = (f"{info['districts']} districts × {n_sites} sites × {n_items} items: {info['findings']:,} findings, "
            f"{info['item_claims']:,} item claims, {info['photos']:,} photos")
    cores = os.cpu_count()
    load = os.getloadavg()[0]
    shared = f"{cores} cores shared with other work (load average {load:.1f} at the end); pool {measures['pool']}"
    one, quiet = measures["one_changed_ms"], measures["one_quiet_ms"]
    return [
        Figure("generation (COPY) of the national round", generated, "s", notes=size),
        Figure("floor: aggregate scan of all findings (server side)", aggregate * 1000, "ms"),
        Figure("floor: every finding fetched into Python (asyncpg)", fetched * 1000, "ms"),
        Figure("full reconciliation, first run (opens every gap)", measures["full_first_s"], "s", target="<= 30 (aim 10)",
               ok=measures["full_first_s"] <= 30, notes=f"{measures['gaps_opened']:,} gaps opened; {shared}"),
        Figure("full reconciliation, run again (nothing changed)", measures["full_again_s"], "s", target="<= 30 (aim 10)",
               ok=measures["full_again_s"] <= 30, notes=f"{measures['changed_again']} changes"),
        Figure("full reconciliation, run again, 2 processes × pool 3", two_processes, "s", target="<= 30 (aim 10)",
               ok=two_processes <= 30, notes=f"{changed_two} changes; includes starting the processes"),
        Figure("full first run / floor (fetch)", measures["full_first_s"] / fetched, "ratio"),
        Figure("full run again / floor (fetch)", measures["full_again_s"] / fetched, "ratio"),
        Figure("one district after one finding changed: p50", statistics.median(one), "ms", target="<= 100",
               ok=percentile(one, 95) <= 100, notes=f"p95 {percentile(one, 95):.1f} ms over {len(one)} runs"),
        Figure("one district after one finding changed: p95", percentile(one, 95), "ms", target="<= 100",
               ok=percentile(one, 95) <= 100),
        Figure("one district, nothing changed: p50", statistics.median(quiet), "ms", target="<= 100",
               ok=statistics.median(quiet) <= 100),
        Figure("one district / floor (fetch) per district", statistics.median(one) / (fetched * 1000 / info["districts"]),
               "ratio"),
        Figure("background worker poll (changes of the last minute)", measures["poll_ms"], "ms"),
        Figure("background worker first poll after start-up (every change)", measures["first_poll_ms"], "ms"),
        Figure("dashboard page, one district: p50", page["p50"], "ms", notes=f"{page['n']} sequential requests, "
               f"1 uvicorn worker, {page['bytes']:,} bytes; /hello p50 {page['hello_p50']:.1f} ms"),
        Figure("dashboard page, one district: p95", page["p95"], "ms", target="<= 50", ok=page["p95"] <= 50),
        Figure("dashboard p50 / floor (fetch) per district", page["p50"] / (fetched * 1000 / info["districts"]),
               "ratio"),
    ]

