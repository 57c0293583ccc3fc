"""Test set-up. The environment is set *before* anything imports fieldvisit (Piccolo binds
tables at import).

FIELDVISIT_TEST_DB=sqlite (default) or postgres picks the database; on PostgreSQL a fresh
database is created for the run and dropped at the end.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from pathlib import Path

TEST_DB = os.environ.get("FIELDVISIT_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get("FIELDVISIT_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
RUN_DIR = Path(tempfile.mkdtemp(prefix="fieldvisit-test-"))
PG_NAME = f"fv_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"


def _pg_url(name: str) -> str:
    base, _sep, _db = PG_ADMIN_URL.rpartition("/")
    return f"{base}/{name}"


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


if TEST_DB == "postgres":
    try:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{PG_NAME}"'))
    except Exception as exc:  # noqa: BLE001
        raise SystemExit(f"PostgreSQL test database could not be created at {PG_ADMIN_URL}: {exc}") from exc
    os.environ["DATABASE_URL"] = _pg_url(PG_NAME)
elif TEST_DB == "sqlite":
    os.environ["DATABASE_URL"] = f"sqlite:///{RUN_DIR / 'test.sqlite'}"
else:
    raise SystemExit("FIELDVISIT_TEST_DB must be sqlite or postgres")
os.environ["VAR_DIR"] = str(RUN_DIR / "var")
os.environ["SECRET_KEY"] = "test-secret-key"
# No background reconciliation behind the tests' backs: tests run it explicitly (poll_once).
os.environ["RECONCILE_POLL_SECONDS"] = "0"
os.environ["PHOTO_POLL_SECONDS"] = "0"  # derivatives too: tests call photos.worker.process_pending
os.environ.pop("S3_ENDPOINT_URL", None)

import pytest  # noqa: E402

from tests.support import Client, World, build_world, reset_database  # noqa: E402

EXTRA_PG_DATABASES: list[str] = []  # made by test modules that need a database of their own


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if TEST_DB == "postgres":
        try:
            for name in (PG_NAME, *EXTRA_PG_DATABASES):
                asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        except Exception as exc:  # noqa: BLE001
            print(f"could not drop {PG_NAME}: {exc}")
    shutil.rmtree(RUN_DIR, ignore_errors=True)


def pytest_report_header() -> str:
    return f"fieldvisit database: {TEST_DB} ({os.environ['DATABASE_URL']})"


@pytest.fixture(scope="session")
def settings():
    from fieldvisit.settings import Settings

    return Settings.from_env()


@pytest.fixture(scope="session")
async def app(settings):
    from fieldvisit import db
    from fieldvisit.app import create_app
    from fieldvisit.catalogue import domain as catalogue_domain
    from fieldvisit.catalogue import queries as catalogue

    application = create_app(settings)
    async with db.connected(settings):
        await db.migrate(settings)
        await catalogue.load_version(catalogue_domain.parse_catalogue(catalogue_domain.shipped()))
    # The lifespan is entered and left in one task of its own (anyio's cancel scopes
    # refuse to be left from another task, which is what a fixture's teardown is).
    started, stop = asyncio.Event(), asyncio.Event()

    async def run_lifespan() -> None:
        async with application.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(run_lifespan())
    await started.wait()
    yield application
    stop.set()
    await task


@pytest.fixture
async def clean(app):
    """Every test starts from empty tables."""
    yield
    await reset_database()


@pytest.fixture
async def world(app, clean) -> World:
    """Regions and the personas: admin, verifier and note-taker of Tangerang, district staff
    of Tangerang and of Serang."""
    return await build_world()


@pytest.fixture
async def client(app) -> Client:
    async with Client.for_app(app) as c:
        yield c


@pytest.fixture
def make_client(app):
    """More clients (one per persona) in one test."""
    return lambda: Client.for_app(app)
