"""The schema: migrations apply once, composite keys are enforced by the database."""

from __future__ import annotations

import pytest

from fieldvisit import db
from fieldvisit.sites.tables import Site
from tests.support import World


async def test_migrating_again_changes_nothing(app, settings):
    assert await db.migrate(settings) == []


async def test_a_site_code_is_unique_within_its_district_only(world: World):
    tangerang, serang = world.regions["36.71"], world.regions["36.73"]
    await Site.insert(Site(district=tangerang, code="20601234", name="SD Negeri 1", site_type="SRA"))
    await Site.insert(Site(district=serang, code="20601234", name="SD Negeri 1 Serang", site_type="SRA"))
    with pytest.raises(Exception, match="(?i)unique"):
        await Site.insert(Site(district=tangerang, code="20601234", name="Duplicate", site_type="SRA"))
    assert await Site.count().where(Site.code == "20601234") == 2


async def test_concurrent_writers_on_one_database_do_not_fail(world: World):
    import asyncio

    async def write(i: int) -> None:
        async with db.transaction():
            await Site.insert(Site(district=world.regions["36.71"], code=f"S{i}", name=f"Site {i}", site_type="RBRA"))
            await Site.update({Site.name: f"Site {i}!"}).where(Site.code == f"S{i}")

    await asyncio.gather(*(write(i) for i in range(20)))
    assert await Site.count().where(Site.site_type == "RBRA") == 20


async def test_a_pooled_connection_comes_back_without_a_reset_round_trip_but_never_in_a_transaction(app):
    """PostgreSQL: the pool skips asyncpg's reset query (the app keeps no session state), yet a
    connection given back inside a transaction is still rolled back."""
    engine = db.engine()
    if db.is_sqlite():
        assert await db.raw_rows("SELECT 1 AS one") == [{"one": 1}]  # SQLite has no pool
        return
    pool = engine.pool
    assert pool._reset is db.keep_session
    async with pool.acquire() as connection:
        await connection.execute("BEGIN")
        await connection.execute("CREATE TEMP TABLE left_open (x int)")
        assert connection.is_in_transaction()
    async with pool.acquire() as again:
        assert not again.is_in_transaction()
        assert await again.fetchval("SELECT to_regclass('pg_temp.left_open')") is None  # rolled back
    async with pool.acquire() as connection:
        count = connection._protocol.queries_count
    async with pool.acquire() as connection:
        assert connection._protocol.queries_count == count  # released with no reset query sent (LIFO: the same one)


async def test_a_row_and_its_audit_event_are_written_together_or_not_at_all(world: World):
    """db.insert_row_with_event (one statement on PostgreSQL, a transaction on SQLite): the
    event names the new row; when the row is refused (here a duplicate site code) no event is
    left behind."""
    from fieldvisit.audit import queries as audit
    from fieldvisit.audit.tables import AuditEvent

    district = world.regions["36.71"]
    values = {"district": district, "code": "EV-1", "name": "Taman Anak", "site_type": "RBRA"}
    event = audit.event_values(None, "test.site", object_type="site", district_id=district, after={"code": "EV-1"},
                               actor_email="script@example.org")
    site_id = await db.insert_row_with_event("site", values, event)

    [written] = await AuditEvent.select().where(AuditEvent.action == "test.site")
    assert written["object_id"] == str(site_id) and written["object_type"] == "site"
    assert written["actor_email"] == "script@example.org" and written["district"] == district
    assert (await Site.select(Site.name).where(Site.id == site_id).first())["name"] == "Taman Anak"

    with pytest.raises(Exception, match="(?i)unique"):
        await db.insert_row_with_event("site", {**values, "name": "Again"}, event)
    assert await AuditEvent.count().where(AuditEvent.action == "test.site") == 1
    assert await Site.count().where(Site.code == "EV-1") == 1

    with pytest.raises(RuntimeError):  # inside the caller's transaction: undone with it
        async with db.transaction():
            await db.insert_row_with_event("site", {**values, "code": "EV-2"}, event)
            raise RuntimeError("the rest of the change failed")
    assert await AuditEvent.count().where(AuditEvent.action == "test.site") == 1
    assert await Site.count().where(Site.code == "EV-2") == 0
