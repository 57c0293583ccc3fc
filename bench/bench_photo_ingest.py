"""Photo ingest side by side with the peer (issue 4, benchmark bullet 3).

50 concurrent clients (closed loop: each sends its next submission when the last one answered),
each submission a finding save and a unique ~300 KB phone JPEG of that item (``POST
/visits/{id}/photos``, Accept: application/json), against a real `fieldvisit serve` process on
a scratch PostgreSQL database with the S3 store (moto's server over HTTP, in its own process). Latency is per
submission (finding + photo); photos/s is photos answered 201 over the wall time. The derivatives
are made by the server's own background worker while the load runs (they compete for its CPU),
as in production. ODK Central measured on this kind of machine: ~97 submissions/s, p95 530-715 ms.
Target: >= 97 photos/s, p95 <= 700 ms, 0 errors.

Smoke: 4 clients for 3 s.
"""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

import httpx

from bench.bench_finding_saves import ITEMS, Connections, seed
from bench.common import Figure, cpu_by_group, free_port, median, migrate_and_demo, percentile, scratch_postgres, server

WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
#: BENCH_PHOTO_POLL_SECONDS=0 measures the request path alone (no derivatives during the load).
POLL = os.environ.get("BENCH_PHOTO_POLL_SECONDS", "1")
BOUNDARY = "fieldvisitbenchboundary"


VARIANTS = 400  # distinct pictures, cycled: each photo's dHash is shared by few others
TARGET_BYTES = 300_000  # "a unique ~300 KB phone JPEG" (the issue)


def base_jpegs(count: int = VARIANTS) -> list[bytes]:
    """~300 KB phone JPEGs (1600 px: a browser-downscaled photo of that size) with GPS and time,
    each a different picture (blocks of colour over the texture), as different visits' photos
    are: pixel-identical photos at every site would all be "the same photo at another site"
    (reconcile.queries.REUSE_SQL), which is a fraud pattern to flag, not the common case."""
    import random
    from datetime import datetime

    from PIL import ImageDraw

    from fieldvisit.demo.photos import camera_exif, camera_jpeg, textured_photo

    image = textured_photo(1600, 1200, seed=3)
    exif = camera_exif(taken_at=datetime.now(), gps=(-6.17, 106.63))
    rng = random.Random(3)
    pictures = []
    for _ in range(count):
        picture = image.copy()
        draw = ImageDraw.Draw(picture)
        for _block in range(6):
            x, y, w, h = rng.randrange(1400), rng.randrange(1000), rng.randrange(200, 600), rng.randrange(200, 600)
            draw.rectangle((x, y, x + w, y + h), fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
        pictures.append(picture)
    # The quality whose JPEGs average closest to TARGET_BYTES, judged on a sample of the pictures.
    sample = pictures[:10]
    quality = min(range(40, 96, 5), key=lambda q: abs(
        sum(len(camera_jpeg(p, exif, quality=q)) for p in sample) / len(sample) - TARGET_BYTES))
    out = [camera_jpeg(picture, exif, quality=quality) for picture in pictures]
    return out


def unique(jpeg: bytes, n: int) -> bytes:
    """The same picture with a comment segment of its own: another sha256, another photo."""
    comment = f"bench photo {n} {uuid.uuid4()}".encode()
    return jpeg[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + jpeg[2:]


def multipart(fields: dict[str, str], data: bytes) -> bytes:
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    out.write(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="photo"; filename="IMG.jpg"\r\n'
              f"Content-Type: image/jpeg\r\n\r\n".encode())
    out.write(data)
    out.write(f"\r\n--{BOUNDARY}--\r\n".encode())
    return out.getvalue()


async def load(url: str, sessions: list[tuple[str, int]], duration: float, jpegs: list[bytes]) -> dict[str, object]:
    """Each client a closed loop on a keep-alive connection of its own (the minimal client of
    bench_finding_saves: httpx cost the generator, on the same two cores, ~3 ms a submission)."""
    async with httpx.AsyncClient(base_url=url) as client:
        csrf = (await client.get("/login")).cookies["csrftoken"]
    latencies: list[float] = []
    started_at: list[float] = []
    errors: list[str] = []
    photos = 0
    counter = 0

    async def client_loop(token: str, visit: int, stop_at: float) -> None:
        nonlocal photos, counter
        connection = Connections(url)
        cookies = f"x-csrftoken: {csrf}\r\naccept-encoding: gzip\r\ncookie: fv_session={token}; csrftoken={csrf}\r\n"
        k = 0
        while time.perf_counter() < stop_at:
            counter += 1
            item = ITEMS[k % len(ITEMS)]
            body = multipart({"client_uuid": str(uuid.uuid4()), "item_code": item, "source": "camera"},
                             unique(jpegs[counter % len(jpegs)], counter))
            finding = urlencode({"client_uuid": str(uuid.uuid4()), "result": "met", "note": ""}).encode()
            started = time.perf_counter()
            try:
                saved, _page = await connection.post(f"/visits/{visit}/items/{item}", finding,
                                                     cookies + "hx-request: true\r\n")
                sent, answer = await connection.post(f"/visits/{visit}/photos", body,
                                                     cookies + "accept: application/json\r\n",
                                                     f"multipart/form-data; boundary={BOUNDARY}")
            except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
                errors.append(type(exc).__name__)
                continue
            if saved != 200 or sent != 201:
                errors.append(f"{saved}/{sent} {answer[:120]!r}")
                continue
            latencies.append(time.perf_counter() - started)
            started_at.append(started - start)
            photos += 1
            k += 1

    start = time.perf_counter()
    await asyncio.gather(*(client_loop(token, visit, start + duration) for token, visit in sessions))
    return {"latencies": latencies, "started_at": started_at, "errors": errors, "photos": photos,
            "wall": time.perf_counter() - start}


def run(smoke: bool) -> list[Figure]:
    return measure(*((4, 3.0) if smoke else (50, 60.0)))


@contextmanager
def moto_process() -> Iterator[dict[str, str]]:
    """moto's S3 server in a process of its own (in this process it would share the GIL with the
    load generator); yields the settings that point FieldVisit at it."""
    port = free_port()
    # moto's app under uvicorn, which keeps connections alive as S3 and MinIO do. `moto_server`
    # runs it on werkzeug's development server, which closes every connection after its answer
    # (it sends "Connection: close" whatever the protocol version) and then waits 10 ms for
    # stray input: a new TCP connection and thread on both sides for each photo, CPU that a real
    # store does not cost.
    start = ("import uvicorn; from moto.moto_server.werkzeug_app import DomainDispatcherApplication, "
             "create_backend_app; uvicorn.run(DomainDispatcherApplication(create_backend_app), interface='wsgi', "
             f"host='127.0.0.1', port={port}, log_level='warning')")
    proc = subprocess.Popen([sys.executable, "-c", start], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield {"S3_ENDPOINT_URL": f"http://127.0.0.1:{port}", "S3_BUCKET": "fv-bench", "S3_ACCESS_KEY_ID": "test",
               "S3_SECRET_ACCESS_KEY": "test", "S3_REGION": "us-east-1"}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def measure(clients: int, duration: float) -> list[Figure]:
    jpegs = base_jpegs()
    with moto_process() as s3, scratch_postgres("fv_bench_photos") as database_url:
        env = {"DATABASE_URL": database_url, "SECRET_KEY": "bench-secret", "DB_POOL_MAX": "20",
               "PHOTO_POLL_SECONDS": POLL, **s3}
        migrate_and_demo(env)  # the catalogue, regions and the demo (seed adds the clients)
        sessions = asyncio.run(seed(env, clients))
        with server(env, workers=WORKERS) as url:
            before = cpu_by_group(GROUPS)
            result = asyncio.run(load(url, sessions, duration, jpegs))
            after = cpu_by_group(GROUPS)
            made = asyncio.run(derivatives_made(database_url))
    latencies_ms = [x * 1000 for x in result["latencies"]]  # type: ignore[union-attr]
    errors: list[str] = result["errors"]  # type: ignore[assignment]
    wall: float = result["wall"]  # type: ignore[assignment]
    rate = result["photos"] / wall  # type: ignore[operator]
    p95 = percentile(latencies_ms, 95)
    extra = {"derivatives_during_load": POLL != "0", "clients": clients, "duration_s": duration, "photo_bytes": round(sum(map(len, jpegs)) / len(jpegs)), "distinct_pictures": len(jpegs), "workers": WORKERS,
             "p99_ms": round(percentile(latencies_ms, 99), 1), "first_errors": errors[:5],
             "p95_ms_by_10s": by_window(result["started_at"], latencies_ms, 10.0)}  # type: ignore[arg-type]
    used = {group: after[group] - before[group] for group in after}
    per_photo = {group: round(1000 * seconds / max(1, result["photos"]), 2)  # type: ignore[call-overload]
                 for group, seconds in used.items()}
    return [
        Figure("photos stored (201) per second, each with its finding", rate, "photos/s", target=">= 97",
               ok=rate >= 97, extra=extra),
        Figure("submission latency p50 (finding + photo)", median(latencies_ms), "ms"),
        Figure("submission latency p95 (finding + photo)", p95, "ms", target="<= 700", ok=p95 <= 700,
               notes="by 10 s of the load: " + ", ".join(f"{ms:.0f}" for ms in extra["p95_ms_by_10s"])),  # type: ignore[attr-defined]
        Figure("errors", len(errors), "count", target="0", ok=not errors, extra={"first": errors[:5]}),
        Figure("server CPU", 100 * used["server"] / wall, "% of a core",
               notes=f"{WORKERS} worker(s), summed; includes the derivatives made meanwhile"),
        Figure("CPU per submission, by process", per_photo["server"], "ms (server)",
               notes=", ".join(f"{group} {ms} ms" for group, ms in per_photo.items()),
               extra={"ms_per_submission": per_photo, "share_of_a_core": {
                   group: round(seconds / wall, 2) for group, seconds in used.items()}}),
        Figure("derivatives made while the load ran", made, "photos",
               notes=f"of {result['photos']}; made at idle priority, the rest right after"),
    ]


def by_window(started_at: list[float], latencies_ms: list[float], width: float) -> list[float]:
    """p95 of the submissions started in each ``width``-second window of the load."""
    windows: dict[int, list[float]] = {}
    for at, ms in zip(started_at, latencies_ms, strict=True):
        windows.setdefault(int(at // width), []).append(ms)
    return [round(percentile(windows[w], 95), 1) for w in sorted(windows)]


#: Who uses the processors during the load (bench/common.cpu_by_group); this process is the
#: load generator.
GROUPS = {"server": "fieldvisit serve", "postgres": "postgres", "s3 (moto)": "DomainDispatcherApplication"}


async def derivatives_made(database_url: str) -> int:
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM photo WHERE derivatives_ready"))
    finally:
        await conn.close()
