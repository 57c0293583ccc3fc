"""The outbox after a day without a connection (issue 7): Chromium (Debian's, through Playwright)
at 360x800 records 20 finding saves and 10 photos with no network, then the connection comes
back throttled (1.6 Mbit/s down, 750 kbit/s up, 150 ms round trip).

The throttle is a small TCP proxy in front of the server, not Chromium's own network emulation:
a request from a page that a service worker controls is fetched in the worker's network
context, which a page's CDP session does not throttle (measured: 4 saves "sent" in 0.1 s). Measured: the time from reconnect until the outbox is empty, the bytes the
phone sent (counted at the throttle: TCP payload, headers and bodies), the share of those bytes
that are the photos' JPEGs, the uploads beyond one per item, and what the server stored.
Target: photo bytes dominate (>= 80 %), no item sent twice, every item stored once.

The photos stand for what the capture side keeps in the outbox (JPEGs already downscaled, here
1600x1200 of noise made with Pillow: hard to compress, so on the heavy side) and go through
``FieldVisitOutbox.addPhoto``.
Smoke: 4 findings, 2 photos.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.common import ROOT, Figure, migrate_and_demo, scratch_postgres, server

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DOWN_BPS, UP_BPS, RTT_S = 1_600_000 / 8, 750_000 / 8, 0.150
RESULTS = ["met", "partial", "not_met", "not_observed"]


def photo_jpeg(n: int) -> bytes:
    """A 1600x1200 JPEG of noise (so that it does not compress to nothing)."""
    from PIL import Image

    noise = Image.effect_noise((1600, 1200), 40 + n).convert("RGB")
    out = io.BytesIO()
    noise.save(out, "JPEG", quality=40)
    return out.getvalue()


class Throttle:
    """A TCP proxy that delays every chunk by half the round trip and shares one link's
    bandwidth per direction between all connections (off until ``on`` is set)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.on = False
        self.bytes_up = 0  # what the phone sent while throttled: headers and bodies
        self.free_at = {"up": 0.0, "down": 0.0}
        self.loop = asyncio.new_event_loop()
        self.port = 0
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), daemon=True).start()
        ready.wait(10)

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)

        async def start() -> None:
            server = await asyncio.start_server(self._client, "127.0.0.1", 0)
            self.port = server.sockets[0].getsockname()[1]
            ready.set()

        self.loop.run_until_complete(start())
        self.loop.run_forever()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(self._pipe(reader, up_writer, "up", UP_BPS), self._pipe(up_reader, writer, "down", DOWN_BPS),
                             return_exceptions=True)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, way: str, rate: float) -> None:
        """Chunks are stamped when read (link bandwidth) and written half a round trip later,
        so latency is paid once per exchange, not once per chunk."""
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def read() -> None:
            while data := await reader.read(16384):
                due = 0.0
                if self.on:
                    if way == "up":
                        self.bytes_up += len(data)
                    now = self.loop.time()
                    self.free_at[way] = max(now, self.free_at[way]) + len(data) / rate
                    due = self.free_at[way] + RTT_S / 2
                await queue.put((due, data))
            await queue.put((0.0, b""))

        async def write() -> None:
            while True:
                due, data = await queue.get()
                if not data:
                    break
                wait = due - self.loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()

        try:
            await asyncio.gather(read(), write())
        finally:
            writer.close()


def seed(env: dict[str, str], *args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "tests.browser.seed_offline", *args], cwd=ROOT, check=True,
                         env={**os.environ, **env}, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def run(smoke: bool) -> list[Figure]:
    from playwright.sync_api import sync_playwright

    n_findings, n_photos = (4, 2) if smoke else (20, 10)
    with scratch_postgres() as url, tempfile.TemporaryDirectory() as tmp:
        env = {"DATABASE_URL": url, "SECRET_KEY": "bench", "VAR_DIR": str(Path(tmp) / "var")}
        migrate_and_demo(env)
        visit = int(seed(env, "visit"))
        with server(env) as direct, sync_playwright() as p:
            throttle = Throttle(int(direct.rsplit(":", 1)[1]))
            base = f"http://127.0.0.1:{throttle.port}"
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context(base_url=base, locale="id-ID", viewport={"width": 360, "height": 800},
                                          device_scale_factor=2, is_mobile=True, has_touch=True)
            context.set_default_timeout(30_000)
            page = context.new_page()
            page.goto("/login")
            page.get_by_label("Email").fill("verifier@demo.fieldvisit.id")
            page.locator("#f-password").fill("fieldvisit-demo")
            page.locator("form button[type=submit]").first.click()
            page.wait_for_load_state("networkidle")
            page.wait_for_function("() => navigator.serviceWorker.controller !== null")
            page.locator(f".offline-mark[data-offline-url='/visits/{visit}'].ok").wait_for()

            context.set_offline(True)
            page.goto(f"/visits/{visit}")
            items = page.locator("section.item")
            for n in range(n_findings):  # one save per item, then second versions
                items.nth(n % items.count()).locator(f"label.choice.{RESULTS[(n // items.count() + n) % 4]}").click()
            codes = [items.nth(n).get_attribute("id").removeprefix("item-") for n in range(n_photos)]
            photo_bytes = 0
            for n, code in enumerate(codes):
                data = photo_jpeg(n)
                photo_bytes += len(data)
                page.evaluate("""async ([visit, code, b64, n]) => {
                    const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
                    const blob = new Blob([bytes], {type: 'image/jpeg'});
                    await window.FieldVisitOutbox.addPhoto({visitId: visit, itemCode: code, source: 'camera',
                                                             blob, filename: `photo-${n}.jpg`});
                }""", [visit, code, base64.b64encode(data).decode(), n])
            pending = page.evaluate("async () => (await window.FieldVisitOutbox.pending()).length")
            assert pending == n_findings + n_photos, pending

            posts: list[str] = []  # every upload the outbox made after the reconnect
            page.on("request", lambda r: r.method == "POST" and "/visits/" in r.url and posts.append(r.url))
            throttle.on = True
            started = time.perf_counter()
            context.set_offline(False)  # the "online" event starts the sending
            # (wait_for_function does not await a promise: poll with evaluate, which does)
            while page.evaluate("async () => (await window.FieldVisitOutbox.pending()).length") > 0:
                assert time.perf_counter() - started < 600, "the outbox did not empty in 10 minutes"
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
            page.wait_for_timeout(500)
            sent_up = throttle.bytes_up
            browser.close()
        stored = json.loads(seed(env, "findings", str(visit)))
        photos = json.loads(seed(env, "photos", str(visit)))

    items = n_findings + n_photos
    extra_posts = len(posts) - items
    share = photo_bytes / sent_up if sent_up else 0.0
    stored_twice = len(stored) - len({r["client_uuid"] for r in stored})
    notes = f"{n_findings} findings and {n_photos} photos ({photo_bytes} bytes of JPEG) recorded offline"
    return [
        Figure("reconnect to all sent", elapsed, "s", notes=notes,
               extra={"findings": n_findings, "photos": n_photos,
                      "down_bps": DOWN_BPS * 8, "up_bps": UP_BPS * 8, "rtt_s": RTT_S}),
        Figure("bytes sent (phone to server, after reconnect)", float(sent_up), "bytes",
               extra={"photo_jpeg_bytes": photo_bytes}),
        Figure("photo share of bytes sent", share * 100, "%", ">= 80", share >= 0.8),
        Figure("uploads beyond one per item", float(extra_posts), "requests", "0", extra_posts == 0),
        Figure("findings stored", float(len(stored)), "rows", f"== {n_findings}", len(stored) == n_findings),
        Figure("photos stored", float(len(photos)), "rows", f"== {n_photos}", len(photos) == n_photos),
        Figure("findings stored twice", float(stored_twice), "rows", "0", stored_twice == 0),
    ]
