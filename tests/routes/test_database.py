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
