"""Derivatives in the background: one asyncio task per server process, started with the app
(the shape of ``reconcile.worker``).

The upload answers as soon as the original and its row are stored; this task finds rows with
``derivatives_ready = false`` and makes the display image and the thumbnail (in a thread: Pillow
and onnxruntime are synchronous). The work to do is read from the table each time, so nothing is lost
when a process dies between the upload and its derivatives, and several processes may run it (a
row is claimed by its conditional update; the loser deletes its blobs).

The derivatives are made on one thread of their own per process, at background priority
(Linux: the thread's idle scheduling class, see :func:`_background_priority`): a burst of
uploads is answered first and the derivatives catch up when the processor is free, instead of
making every upload wait behind face detection.

Every ``SWEEP_EVERY`` it also deletes orphan blobs of the photo pipeline: stored more than an
hour ago and named by no row (a request that died between the store and the row).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial

from fieldvisit.errors import StoreUnavailable
from fieldvisit.photos import domain, queries
from fieldvisit.settings import Settings
from fieldvisit.storage import images
from fieldvisit.storage.base import BlobNotFound, BlobStore, new_key

log = logging.getLogger("fieldvisit.photos")

BATCH = 4  # rows per poll, made side by side
SWEEP_EVERY = timedelta(minutes=10)
NICE = 10  # added to the derivative thread's nice value where the idle class is not available

_pool: ThreadPoolExecutor | None = None


def _background_priority() -> None:
    """On Linux a thread is a task with its own scheduling: put this one in the idle class
    (SCHED_IDLE: it runs when no request wants the processor; a nice value of +10 still took
    about a tenth of a busy core from the uploads), else lower its nice value. Elsewhere (or
    when not allowed) the thread runs at normal priority."""
    tid = threading.get_native_id()
    try:
        os.sched_setscheduler(tid, os.SCHED_IDLE, os.sched_param(0))
        return
    except (AttributeError, OSError):
        pass
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + NICE)


def _derivative_pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fieldvisit-derivatives",
                                   initializer=_background_priority)
    return _pool


async def make_one(store: BlobStore, photo_id: int, original_key: str, *, sensitive: bool = False) -> bool:
    """Make and record one photo's derivatives; False when the store is down (try later)."""
    try:
        data = await store.get(original_key)
    except BlobNotFound:
        log.warning("photo %s: original %s is missing; no derivatives", photo_id, original_key)
        await queries.set_derivatives(photo_id, display_key="", thumb_key="", phash="")
        return True
    try:
        made = await asyncio.get_running_loop().run_in_executor(
            _derivative_pool(), partial(images.make_derivatives, data, sensitive=sensitive))
    except Exception:  # noqa: BLE001 - a photo that passed inspect() but does not decode: never retried forever
        log.exception("photo %s: derivatives could not be made", photo_id)
        await queries.set_derivatives(photo_id, display_key="", thumb_key="", phash="")
        return True
    display, thumb = new_key("display"), new_key("thumb")
    await store.put(display, made.display_jpeg, "image/jpeg")
    await store.put(thumb, made.thumb_jpeg, "image/jpeg")
    if not await queries.set_derivatives(photo_id, display_key=display, thumb_key=thumb, phash=f"{made.phash:016x}"):
        await store.delete(display)
        await store.delete(thumb)
    return True


async def process_pending(store: BlobStore, limit: int = BATCH) -> int:
    """One poll: derivatives for up to ``limit`` photos; returns how many were done."""
    rows = await queries.pending_derivatives(limit)
    done = await asyncio.gather(*(make_one(store, r["id"], r["original_key"], sensitive=r["sensitive"]) for r in rows),
                                return_exceptions=True)
    for result in done:
        if isinstance(result, StoreUnavailable):
            log.warning("blob store unavailable while making derivatives: %s", result)
        elif isinstance(result, BaseException):
            log.error("derivatives failed", exc_info=result)
    return sum(1 for result in done if result is True)


async def sweep_orphans(store: BlobStore, *, now: datetime) -> list[str]:
    """Delete blobs of the photo pipeline older than ``ORPHAN_AGE`` that no row names."""
    removed: list[str] = []
    for kind in domain.KINDS:
        keys = await store.list_keys(f"{kind}/", older_than=now - domain.ORPHAN_AGE)
        if not keys:
            continue
        orphans = sorted(set(keys) - await queries.referenced_keys(keys))
        for key in orphans:
            await store.delete(key)
        removed.extend(orphans)
    if removed:
        log.info("swept %d orphan blobs", len(removed))
    return removed


async def run_forever(settings: Settings, store: BlobStore) -> None:
    interval = settings.photo_poll_seconds
    last_sweep: datetime | None = None
    while True:
        try:
            busy = await process_pending(store)
            now = datetime.now(UTC)
            if last_sweep is None or now - last_sweep >= SWEEP_EVERY:
                last_sweep = now
                await sweep_orphans(store, now=now)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - database or store away for a moment: try again later
            log.exception("photo worker poll failed")
            busy = 0
        if not busy:
            await asyncio.sleep(interval)


def start(settings: Settings, store: BlobStore) -> asyncio.Task[None] | None:
    """Called from the app's on_startup; None when PHOTO_POLL_SECONDS is 0."""
    if settings.photo_poll_seconds <= 0:
        return None
    return asyncio.get_running_loop().create_task(run_forever(settings, store), name="fieldvisit-photos")


async def stop(task: asyncio.Task[None] | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
