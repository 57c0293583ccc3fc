"""Retention (issue 8): `fieldvisit purge-originals` removes the photo originals of rounds closed
longer ago than ORIGINALS_RETENTION_DAYS from the blob store, keeps the derivatives, findings and
audit trail, can run twice, changes nothing on a dry run, and marks nothing it did not remove
when the store is down. Run against both stores (S3 through moto over HTTP)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from fieldvisit.audit.tables import AuditEvent
from fieldvisit.privacy import queries
from fieldvisit.storage import new_key
from fieldvisit.storage.local import LocalStore
from fieldvisit.visits.tables import Photo, Visit
from tests.support import World, make_evaluation, make_round

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
RETENTION = 180
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["local", "s3"])
async def store(request, tmp_path):
    if request.param == "local":
        yield LocalStore(tmp_path / "blobs")
        return
    moto = request.getfixturevalue("moto_s3")
    s3 = moto.store()
    await s3.prepare()
    yield s3


async def make_visit(world: World, evaluation_id: int) -> int:
    rows = await Visit.insert(Visit(district_evaluation=evaluation_id, site=world.tangerang_site,
                                    planned_on=date(2025, 7, 1), status="submitted")).returning(Visit.id)
    return int(rows[0]["id"])


async def make_photo(store, world: World, evaluation_id: int, *, ready: bool = True) -> dict:
    """A photo with its three blobs in the store, as the capture pipeline leaves it."""
    keys = {name: new_key("photo") for name in ("original", "display", "thumb")}
    for key in keys.values():
        await store.put(key, b"\xff\xd8\xff jpeg bytes", "image/jpeg")
    rows = await Photo.insert(Photo(
        visit=await make_visit(world, evaluation_id), site=world.tangerang_site, district_evaluation=evaluation_id,
        client_uuid=uuid.uuid4(), original_key=keys["original"], display_key=keys["display"] if ready else "",
        thumb_key=keys["thumb"] if ready else "", content_type="image/jpeg", size_bytes=20, sha256="0" * 64,
        derivatives_ready=ready, uploaded_by=world.verifier.id,
    )).returning(Photo.id)
    return {"id": int(rows[0]["id"]), **keys}


async def evaluation_of_round_closed(world: World, days_ago: int | None, year: int) -> int:
    closed_at = NOW - timedelta(days=days_ago) if days_ago is not None else None
    round_id = await make_round(f"KLA {year}", year, closed_at=closed_at)
    return await make_evaluation(round_id, world.regions["36.71"], stage="selesai")


async def purged_at(photo_id: int):
    row = await Photo.select(Photo.original_purged_at).where(Photo.id == photo_id).first()
    return row["original_purged_at"]


async def audit_actions() -> list[str]:
    return [r["action"] for r in await AuditEvent.select(AuditEvent.action).order_by(AuditEvent.id)]


async def purge(store, *, dry_run: bool = False, now: datetime = NOW):
    return await queries.purge_originals(store, now=now, retention_days=RETENTION, dry_run=dry_run)


async def test_it_removes_the_originals_of_old_rounds_once_and_a_second_run_removes_nothing(world, store):
    old = await evaluation_of_round_closed(world, 200, 2023)
    old_photos = [await make_photo(store, world, old) for _ in range(2)]

    first = await purge(store)
    assert (first.due, first.removed, first.failed, first.rounds, first.exit_code) == (2, 2, 0, 1, 0)
    for photo in old_photos:
        assert not await store.exists(photo["original"])
        assert await store.exists(photo["display"]) and await store.exists(photo["thumb"])
        assert await purged_at(photo["id"]) == NOW
    assert await audit_actions() == ["photo.original_purged", "photo.original_purged", "retention.purge_originals"]
    run = await AuditEvent.select(AuditEvent.after, AuditEvent.actor_email).where(
        AuditEvent.action == "retention.purge_originals").first()
    after = run["after"] if isinstance(run["after"], dict) else __import__("json").loads(run["after"])
    assert (after["removed"], after["failed"], after["dry_run"]) == (2, 0, False)
    assert run["actor_email"] == "fieldvisit purge-originals"

    second = await purge(store, now=NOW + timedelta(days=1))
    assert (second.due, second.removed, second.failed, second.exit_code) == (0, 0, 0, 0)
    assert (await audit_actions()).count("photo.original_purged") == 2
    assert (await audit_actions()).count("retention.purge_originals") == 2
    for photo in old_photos:
        assert await purged_at(photo["id"]) == NOW  # not moved by the second run


async def test_rounds_still_open_or_closed_within_retention_are_untouched(world, store):
    open_round = await make_photo(store, world, world.tangerang_evaluation)  # the world's round is open
    recent = await make_photo(store, world, await evaluation_of_round_closed(world, 179, 2024))
    due = await make_photo(store, world, await evaluation_of_round_closed(world, 181, 2023))

    report = await purge(store)
    assert (report.due, report.removed) == (1, 1)
    for photo in (open_round, recent):
        assert await store.exists(photo["original"])
        assert await purged_at(photo["id"]) is None
    assert not await store.exists(due["original"])


async def test_a_dry_run_counts_and_changes_nothing(world, store):
    photo = await make_photo(store, world, await evaluation_of_round_closed(world, 365, 2023))
    report = await purge(store, dry_run=True)
    assert (report.dry_run, report.due, report.removed, report.exit_code) == (True, 1, 0, 0)
    assert report.summary().startswith("purge-originals (dry run): would remove 1 originals of 1 rounds")
    assert await store.exists(photo["original"])
    assert await purged_at(photo["id"]) is None
    assert await audit_actions() == []


async def test_an_original_whose_derivatives_are_not_made_yet_is_kept(world, store):
    photo = await make_photo(store, world, await evaluation_of_round_closed(world, 365, 2023), ready=False)
    report = await purge(store)
    assert (report.due, report.not_ready, report.removed, report.exit_code) == (0, 1, 0, 0)
    assert "kept 1 whose derivatives are not made yet" in report.summary()
    assert await store.exists(photo["original"])
    assert await purged_at(photo["id"]) is None


async def test_with_the_s3_store_down_nothing_is_marked_and_the_next_run_finishes(world, moto_s3):
    s3 = moto_s3.store()
    await s3.prepare()
    evaluation = await evaluation_of_round_closed(world, 200, 2023)
    photos = [await make_photo(s3, world, evaluation) for _ in range(3)]

    moto_s3.stop()
    try:
        report = await purge(s3)
    finally:
        moto_s3.start()
    assert (report.due, report.removed, report.failed, report.exit_code) == (3, 0, 3, 1)
    assert "FAILED: 3 not removed, left for the next run (blob store unavailable" in report.summary()
    for photo in photos:
        assert await purged_at(photo["id"]) is None
        assert await s3.exists(photo["original"])
    assert await audit_actions() == ["retention.purge_originals"]  # the failed run is on record too

    again = await purge(s3)
    assert (again.removed, again.failed, again.exit_code) == (3, 0, 0)
    assert all([not await s3.exists(p["original"]) for p in photos])


def fieldvisit_command(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fieldvisit", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "LOG_LEVEL": "warning", **env}, timeout=60)


async def test_the_command_prints_one_line_and_exits_0_or_1_for_cron(world, moto_s3):
    s3 = moto_s3.store()
    await s3.prepare()
    await make_photo(s3, world, await evaluation_of_round_closed(world, 400, 2022))
    s3_env = {**moto_s3.settings_env(s3.bucket)}

    dry = fieldvisit_command("purge-originals", "--dry-run", **s3_env)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        f"purge-originals (dry run): would remove 1 originals of 1 rounds closed before "
        f"{(datetime.now(UTC) - timedelta(days=180)):%Y-%m-%d} (retention 180 days)"]

    down = fieldvisit_command("purge-originals", **{**s3_env, "S3_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert down.returncode == 1
    assert down.stdout == "" and len(down.stderr.strip().splitlines()) == 1
    assert "FAILED: 1 not removed" in down.stderr

    done = fieldvisit_command("purge-originals", **s3_env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("purge-originals: removed 1 of 1 originals")
    again = fieldvisit_command("purge-originals", **s3_env)
    assert again.stdout.startswith("purge-originals: removed 0 of 0 originals")


def test_a_negative_retention_stops_the_command_with_exit_2():
    result = fieldvisit_command("purge-originals", ORIGINALS_RETENTION_DAYS="-1")
    assert result.returncode == 2
    assert "ORIGINALS_RETENTION_DAYS" in result.stderr
