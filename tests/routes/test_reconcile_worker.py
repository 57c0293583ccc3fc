"""The background reconciliation: found from the tables, coalesced, never run twice."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from fieldvisit.claims.tables import SiteItemClaim
from fieldvisit.gaps.tables import Gap
from fieldvisit.reconcile import queries, worker
from fieldvisit.reconcile.domain import ReconcileSettings
from tests.support import World
from tests.support_reconcile import (
    make_finding,
    make_photo,
    make_tolerance,
    make_verification,
    make_visit,
    set_stage,
    tangerang_771,
)

DEBOUNCE = timedelta(seconds=2)
RULES = ReconcileSettings()


async def poll(now: datetime, since: datetime | None = None) -> dict[int, queries.RunCounts]:
    return await queries.poll_once(RULES, now=now, debounce=DEBOUNCE, since=since)


async def test_a_save_is_reconciled_once_it_has_been_quiet_for_the_debounce(world: World):
    example = await tangerang_771(world)  # rows stamped up to T0 + 3 h
    saved = datetime(2025, 5, 14, 5, 0, tzinfo=UTC)

    assert await poll(saved + timedelta(seconds=1)) == {}, "still within the debounce"
    ran = await poll(saved + DEBOUNCE + timedelta(seconds=1))
    assert list(ran) == [example.evaluation_id] and ran[example.evaluation_id].opened == 3
    assert await poll(saved + timedelta(minutes=1)) == {}, "nothing new since"


async def test_a_burst_of_saves_triggers_one_run(world: World):
    example = await tangerang_771(world, verify=False)
    await queries.reconcile_evaluation(example.evaluation_id, now=datetime(2025, 5, 14, 6, 0, tzinfo=UTC))
    burst = datetime(2025, 5, 14, 7, 0, tzinfo=UTC)
    for n in range(5):
        await make_finding(example.visit_id, "PUSPAGA-08", "met", saved_by=world.verifier.id, version=2 + n,
                           saved_at=burst + timedelta(milliseconds=400 * n))

    assert await poll(burst + timedelta(seconds=2)) == {}, "the burst is still going on"
    ran = await poll(burst + timedelta(seconds=4))
    assert ran[example.evaluation_id].resolved == 1
    assert await poll(burst + timedelta(seconds=6)) == {}


@pytest.mark.parametrize(("change", "changed"), [
    ("photo", 1),  # a provenance gap opens
    ("verification", 1),  # a value mismatch opens
    ("withdrawn claim", 1),  # its contradicted gap is orphaned
    ("visit outcome", 3),  # a site gap opens, its item gaps resolve
])
async def test_every_kind_of_change_is_noticed(world: World, change: str, changed: int):
    example = await tangerang_771(world, verify=False)
    run_at = datetime(2025, 5, 14, 6, 0, tzinfo=UTC)
    await queries.reconcile_evaluation(example.evaluation_id, now=run_at)
    later = run_at + timedelta(minutes=10)
    if change == "photo":
        await make_photo(example.visit_id, uploaded_by=world.verifier.id, distance_m=5000.0, uploaded_at=later)
    elif change == "verification":
        await make_verification(example.evaluation_id, "I04", "50", verified_by=world.verifier.id, verified_at=later)
    elif change == "withdrawn claim":
        await SiteItemClaim.update({SiteItemClaim.deleted_at: later}).where(
            SiteItemClaim.id == example.item_claims[3])
    else:
        await make_visit(example.evaluation_id, example.site_id, outcome="refused", checked_in_at=later,
                         submitted_at=later)

    ran = await poll(later + timedelta(seconds=3), since=run_at - timedelta(minutes=1))
    assert ran[example.evaluation_id].changed == changed


async def test_closing_the_field_stage_or_changing_a_tolerance_reruns_without_a_timestamp(world: World):
    example = await tangerang_771(world)
    run_at = datetime(2025, 5, 14, 6, 0, tzinfo=UTC)
    await queries.reconcile_evaluation(example.evaluation_id, now=run_at)
    later = run_at + timedelta(hours=1)
    assert await poll(later, since=later - timedelta(minutes=1)) == {}

    await set_stage(example.evaluation_id, "verifikasi_final")
    ran = await poll(later, since=later - timedelta(minutes=1))
    assert list(ran) == [example.evaluation_id] and not ran[example.evaluation_id].skipped
    assert await poll(later, since=later - timedelta(minutes=1)) == {}, "seen once, not again"

    await make_tolerance(world.round_id, "I04", "0.85", "1.15")  # 0.897 is inside now
    ran = await poll(later, since=later - timedelta(minutes=1))
    assert ran[example.evaluation_id].resolved == 1
    assert await poll(later, since=later - timedelta(minutes=1)) == {}


async def test_changes_an_on_demand_run_covered_are_not_run_again(world: World):
    example = await tangerang_771(world)
    await queries.reconcile_evaluation(example.evaluation_id, now=datetime(2025, 5, 14, 6, 0, tzinfo=UTC))
    assert await poll(datetime(2025, 5, 14, 6, 1, tzinfo=UTC)) == {}


async def test_two_server_processes_polling_at_once_run_the_changes_once(world: World):
    example = await tangerang_771(world)
    now = datetime(2025, 5, 14, 6, 0, tzinfo=UTC)
    first, second = await asyncio.gather(poll(now), poll(now))
    # the later poll either no longer sees the change as due, or skips it under the lock
    runs = [r[example.evaluation_id] for r in (first, second) if example.evaluation_id in r]
    assert [r.skipped for r in runs].count(False) == 1 and sum(r.opened for r in runs) == 3
    assert await Gap.count() == 3


async def test_the_worker_started_with_the_app_finds_a_new_finding_by_itself(world: World, settings):
    example = await tangerang_771(world, verify=False)
    fast = dataclasses.replace(settings, reconcile_poll_seconds=0.05, reconcile_debounce_seconds=0.1)
    task = worker.start(fast)
    try:
        # Its first poll already picks up the example (contradicted and partial open) ...
        assert await eventually(lambda: Gap.count().where(Gap.status == "open"), 2)
        await make_finding(example.visit_id, "PUSPAGA-08", "met", saved_by=world.verifier.id, version=2,
                           saved_at=datetime.now(UTC))
        # ... and a later poll the new finding: the contradicted item resolves.
        assert await eventually(lambda: Gap.count().where(Gap.status == "resolved"), 1)
        assert await Gap.count().where(Gap.status == "open") == 1
    finally:
        await worker.stop(task)
    assert task is not None and task.done()


async def eventually(query, expected: int, seconds: float = 5.0) -> bool:
    for _ in range(int(seconds / 0.05)):
        if await query() == expected:
            return True
        await asyncio.sleep(0.05)
    return False


def test_the_worker_is_off_when_the_poll_interval_is_zero(settings):
    assert worker.start(dataclasses.replace(settings, reconcile_poll_seconds=0)) is None
