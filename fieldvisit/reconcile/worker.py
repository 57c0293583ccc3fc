"""The background reconciliation: one asyncio task per server process, started with the app.

It keeps no state that matters between polls: which evaluations need a run is read from the
tables each time (their change timestamps against ``reconcile_state.last_run_at``), so it
works with several uvicorn workers (runs are serialised per evaluation and re-checked under
its lock) and after a restart (the first poll looks at every change, later ones at the recent
ones only). Saves never wait for it and never call it: it finds their rows.

A module of its own, not part of queries.py: it is the only code here that owns a task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from fieldvisit.reconcile import queries
from fieldvisit.settings import Settings

log = logging.getLogger("fieldvisit.reconcile")

#: Each poll looks back this far beyond the previous one, so a save whose transaction commits
#: late (it waited for SQLite's write lock, say) is still seen.
OVERLAP = timedelta(seconds=60)


async def run_forever(settings: Settings) -> None:
    interval = settings.reconcile_poll_seconds
    debounce = timedelta(seconds=settings.reconcile_debounce_seconds)
    overlap = max(OVERLAP, 2 * debounce + timedelta(seconds=interval))
    rules = queries.settings_for(settings)
    since: datetime | None = None  # the first poll after start-up looks at every change
    while True:
        started = datetime.now(UTC)
        try:
            ran = await queries.poll_once(rules, now=started, debounce=debounce, since=since)
            if ran:
                log.info("reconciled in the background: %s", {e: c.as_dict() for e, c in ran.items()})
            since = started - overlap
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the database may be away for a moment; try again later
            log.exception("background reconciliation poll failed")
        await asyncio.sleep(interval)


def start(settings: Settings) -> asyncio.Task[None] | None:
    """Called from the app's on_startup; None when RECONCILE_POLL_SECONDS is 0."""
    if settings.reconcile_poll_seconds <= 0:
        return None
    return asyncio.get_running_loop().create_task(run_forever(settings), name="fieldvisit-reconcile")


async def stop(task: asyncio.Task[None] | None) -> None:
    """Called from on_shutdown, before the database pool closes."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
