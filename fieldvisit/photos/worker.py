"""Derivatives in the background: one asyncio task per server process, started with the app
(the shape of ``reconcile.worker``).

The upload answers as soon as the original and its row are stored; this task finds rows with
``derivatives_ready = false`` and makes the display image and the thumbnail. The work to do is
read from the table each time, so nothing is lost
when a process dies between the upload and its derivatives, and several processes may run it (a
row is claimed by its conditional update; the loser deletes its blobs).

They wait for a quiet moment: while this process is answering requests, derivatives are
deferred (up to MAX_DEFER, then one photo), so that a burst of uploads is answered at full speed and the
derivatives catch up after it (fieldvisit.web.activity).

The image work (decode, resize, faces, encode) is done in a child process of each server
process, at background priority (Linux: the idle scheduling class, see
:func:`_background_priority`), so that requests that come meanwhile go first. A process, not a
thread: an idle-class thread that the kernel sets aside while it holds the GIL would stall the
server's event loop with it; and a decoder that crashes takes only the child with it.

Every ``SWEEP_EVERY`` it also deletes orphan blobs of the photo pipeline: stored more than an
hour ago and named by no row (a request that died between the store and the row).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import threading
import time
import weakref
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime, timedelta
from functools import partial

from fieldvisit.errors import StoreUnavailable
from fieldvisit.photos import domain, queries
from fieldvisit.settings import Settings
from fieldvisit.storage import faces, images
from fieldvisit.storage.base import BlobNotFound, BlobStore, new_key
from fieldvisit.web.activity import ACTIVITY, Activity

log = logging.getLogger("fieldvisit.photos")

BATCH = 4  # rows per poll, made side by side
QUIET = 0.25  # seconds without a request in this process before derivatives are made
MAX_DEFER = 30.0  # seconds a busy server defers them at most, then makes one
SWEEP_EVERY = timedelta(minutes=10)
NICE = 10  # added to the derivative process's nice value where the idle class is not available

_pool: ProcessPoolExecutor | None = None
_background = False  # True once the server's worker loop runs (start): the child in the idle class
_killed_by: set[int] = set()  # photos the derivative process died on once (in this process)
_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


def _background_priority() -> None:
    """The idle class (SCHED_IDLE: it runs when no request wants the processor; a nice value of
    +10 still took about a tenth of a busy core from the uploads), else a nice value NICE
    higher, for the calling thread and those it starts. Elsewhere (or when not allowed) it runs
    at normal priority."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        return
    except (AttributeError, OSError):
        pass
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, 0, os.getpriority(os.PRIO_PROCESS, 0) + NICE)


def _start_child(server_pid: int, background: bool) -> None:
    """The derivative process's initializer: background priority when the server's worker loop
    feeds it (a command that waits for its derivatives, `fieldvisit demo`, keeps its own
    priority: an idle-class child gets no processor while the machine is busy, and the
    command would wait that long), and an end with its server process however that ends (a
    server killed or stopped leaves no child behind: the pool's own shutdown is not reached
    then)."""
    if background:
        _background_priority()

    def watch() -> None:
        while os.getppid() == server_pid:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="fieldvisit-derivatives-watch", daemon=True).start()


def _derivative_pool() -> ProcessPoolExecutor:
    """One child process, started on first use ("spawn": the server has threads, which fork
    does not copy safely) and started again if it died."""
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                    initializer=_start_child, initargs=(os.getpid(), _background))
    return _pool


def _one_at_a_time() -> asyncio.Lock:
    """The lock of this event loop around the derivative process (its one worker makes one
    photo at a time anyway)."""
    loop = asyncio.get_running_loop()
    lock = _locks.get(loop)
    if lock is None:
        lock = _locks[loop] = asyncio.Lock()
    return lock


def _drop_pool() -> None:
    """Stop the child without waiting for it: in the idle class it may get no processor while
    the machine is busy, and the server's shutdown would wait that long."""
    global _pool
    if _pool is not None:
        children = list((_pool._processes or {}).values())  # (ProcessPoolExecutor's own record of them)
        _pool.shutdown(wait=False, cancel_futures=True)
        for child in children:
            child.kill()
        _pool = None


async def make_one(store: BlobStore, photo_id: int, original_key: str, *, sensitive: bool = False) -> bool:
    """Make and record one photo's derivatives; False when they are to be tried again later
    (StoreUnavailable when the store is down)."""
    try:
        data = await store.get(original_key)
    except BlobNotFound:
        log.warning("photo %s: original %s is missing; no derivatives", photo_id, original_key)
        await queries.set_derivatives(photo_id, display_key="", thumb_key="", phash="")
        return True
    try:
        async with _one_at_a_time():  # so that a child that dies was working on this photo
            made = await asyncio.get_running_loop().run_in_executor(
                _derivative_pool(), partial(images.make_derivatives, data, sensitive=sensitive))
    except BrokenProcessPool:
        # The child died: killed (the server stopping, the OOM killer), or by this photo. A new
        # child tries again later; a photo that kills it twice is given up, as one that fails.
        _drop_pool()
        if photo_id not in _killed_by:
            _killed_by.add(photo_id)
            log.warning("photo %s: the derivative process died; trying again", photo_id)
            return False
        log.error("photo %s: the derivative process died on it twice; no derivatives", photo_id)
        await queries.set_derivatives(photo_id, display_key="", thumb_key="", phash="")
        return True
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


def batch_size(activity: Activity, deferred_since: float | None, now: float) -> int:
    """How many derivatives to make now: BATCH when the server has been without requests for
    QUIET seconds; one when they have waited MAX_DEFER under a load that does not stop; else
    none (wait)."""
    if activity.quiet_for() >= QUIET:
        return BATCH
    return 1 if deferred_since is not None and now - deferred_since >= MAX_DEFER else 0


async def run_forever(settings: Settings, store: BlobStore, activity: Activity = ACTIVITY) -> None:
    interval = settings.photo_poll_seconds
    last_sweep: datetime | None = None
    deferred_since: float | None = None
    while True:
        busy = 0
        try:
            now = time.monotonic()
            size = batch_size(activity, deferred_since, now)
            if size:
                busy = await process_pending(store, size)
                deferred_since = None
            elif deferred_since is None:
                deferred_since = now
            when = datetime.now(UTC)
            if last_sweep is None or when - last_sweep >= SWEEP_EVERY:
                last_sweep = when
                await sweep_orphans(store, now=when)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - database or store away for a moment: try again later
            log.exception("photo worker poll failed")
            busy = 0
        if not busy:
            await asyncio.sleep(interval if deferred_since is None else min(interval, QUIET))


def start(settings: Settings, store: BlobStore) -> asyncio.Task[None] | None:
    """Called from the app's on_startup; None when PHOTO_POLL_SECONDS is 0."""
    if settings.photo_poll_seconds <= 0:
        return None
    global _background
    if not _background:
        _background = True
        _drop_pool()  # a child made before, at normal priority, is not the server's
    _derivative_pool().submit(faces.warm_up)  # the child starts now, not under the first burst of uploads
    return asyncio.get_running_loop().create_task(run_forever(settings, store), name="fieldvisit-photos")


async def stop(task: asyncio.Task[None] | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    _drop_pool()
