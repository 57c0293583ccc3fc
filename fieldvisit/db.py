"""The Piccolo engine, chosen by settings: SQLite (embedded default) or PostgreSQL.

Piccolo binds tables to ``fieldvisit.piccolo_conf.DB`` when they are first used;
``configure(settings)`` builds the engine once per process and binds every table to it,
so ``create_app(settings)`` and the CLI decide which database is used.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.querystring import QueryString
from piccolo.table import Table

from fieldvisit.settings import Settings

# Piccolo's own machinery (migrations, engine_finder) reads this module path.
os.environ.setdefault("PICCOLO_CONF", "fieldvisit.piccolo_conf")

#: Piccolo apps in dependency order; each capability with tables has a piccolo_app.py.
APP_MODULES = [
    "fieldvisit.regions.piccolo_app",
    "fieldvisit.accounts.piccolo_app",
    "fieldvisit.audit.piccolo_app",
    "fieldvisit.catalogue.piccolo_app",
    "fieldvisit.rounds.piccolo_app",
    "fieldvisit.sites.piccolo_app",
    "fieldvisit.claims.piccolo_app",
    "fieldvisit.visits.piccolo_app",
    "fieldvisit.gaps.piccolo_app",
    "fieldvisit.imports.piccolo_app",
    "fieldvisit.api.piccolo_app",
    "fieldvisit.sessions.piccolo_app",
]

_engine: Engine | None = None
_engine_url: str | None = None


def make_engine(settings: Settings) -> Engine:
    if settings.is_postgres:
        return PostgresEngine(config={"dsn": settings.database_url}, extensions=())
    path = settings.sqlite_path
    path.parent.mkdir(parents=True, exist_ok=True)
    # timeout: wait for the write lock instead of failing ("database is locked").
    return SQLiteEngine(path=str(path), timeout=30)


def configure(settings: Settings) -> Engine:
    """Build (once) the engine for ``settings`` and bind every table to it."""
    global _engine, _engine_url
    if _engine is None or _engine_url != settings.database_url:
        _engine = make_engine(settings)
        _engine_url = settings.database_url
        from fieldvisit import piccolo_conf

        piccolo_conf.DB = _engine
        for table in all_tables():
            table._meta.db = _engine
    return _engine


def engine() -> Engine:
    if _engine is None:
        raise RuntimeError("fieldvisit.db.configure(settings) was not called")
    return _engine


def all_tables() -> list[type[Table]]:
    from piccolo.apps.migrations.tables import Migration
    from piccolo.conf.apps import Finder

    tables: list[type[Table]] = [Migration]
    for config in Finder().get_app_registry().app_configs.values():
        tables.extend(config.table_classes)
    return tables


def is_sqlite() -> bool:
    return isinstance(engine(), SQLiteEngine)


def transaction() -> Any:
    """A write transaction. On SQLite it takes the write lock up front (IMMEDIATE), so
    concurrent writers queue instead of failing with 'database is locked'."""
    db = engine()
    if isinstance(db, SQLiteEngine):
        return db.transaction(transaction_type=TransactionType.immediate)
    return db.transaction()


async def start(settings: Settings) -> None:
    db = configure(settings)
    if isinstance(db, PostgresEngine):
        await db.start_connection_pool(min_size=1, max_size=settings.db_pool_max, reset=keep_session)
    else:
        await db.run_ddl("PRAGMA journal_mode=WAL")


async def keep_session(connection: Any) -> None:
    """What the pool does to a connection it takes back, beyond asyncpg's own rollback of an
    open transaction: nothing. asyncpg's default sends "SELECT pg_advisory_unlock_all(); CLOSE
    ALL; UNLISTEN *; RESET ALL" on every release, a second round trip for each query outside a
    transaction; this app sets no session state (no session advisory locks, LISTEN, SET or held
    cursors), so there is nothing to undo."""


async def stop() -> None:
    db = _engine
    if isinstance(db, PostgresEngine) and db.pool is not None:
        await db.close_connection_pool()


@asynccontextmanager
async def connected(settings: Settings) -> AsyncIterator[Engine]:
    """For the CLI and scripts: the engine, with the pool open while inside."""
    await start(settings)
    try:
        yield engine()
    finally:
        await stop()


async def migrate(settings: Settings) -> list[str]:
    """Apply every pending migration; returns what ran (empty when up to date)."""
    import contextlib
    import io

    from piccolo.apps.migrations.commands.forwards import ForwardsMigrationManager
    from piccolo.apps.migrations.tables import Migration
    from piccolo.conf.apps import Finder

    configure(settings)
    if not settings.is_postgres:
        await engine().run_ddl("PRAGMA journal_mode=WAL")
    ran: list[str] = []
    for app_name in Finder().get_app_names(sort_by_migration_dependencies=True):
        manager = ForwardsMigrationManager(app_name=app_name)
        await manager.create_migration_table()
        before = set(await Migration.get_migrations_which_ran(app_name=app_name))
        with contextlib.redirect_stdout(io.StringIO()):  # Piccolo prints progress with emoji
            result = await manager.run()
        if not result.success:
            raise RuntimeError(f"migrations of {app_name} failed: {result.message}")
        after = set(await Migration.get_migrations_which_ran(app_name=app_name))
        ran.extend(f"{app_name}:{mid}" for mid in sorted(after - before))
    return ran


async def is_reachable() -> bool:
    try:
        await engine().run_ddl("SELECT 1")
        return True
    except Exception:  # noqa: BLE001 - health check answers, whatever the cause
        return False


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def icontains(column: Any, text: str) -> Any:
    """Case-insensitive 'contains' on both engines (SQLite's LIKE already ignores ASCII case;
    it has no default escape character, so % and _ typed by a user stay wildcards there)."""
    if is_sqlite():
        return column.like(f"%{text}%")
    return column.ilike(f"%{_escape_like(text)}%")


def istartswith(column: Any, text: str) -> Any:
    if is_sqlite():
        return column.like(f"{text}%")
    return column.ilike(f"{_escape_like(text)}%")


def raw_migration(app_name: str, migration_id: str, description: str, statements: list[str],
                  postgres_only: list[str] | None = None) -> Any:
    """The ``forwards`` of a hand-written migration that runs SQL valid on both engines
    (e.g. ``CREATE UNIQUE INDEX IF NOT EXISTS``: Piccolo adds composite unique constraints
    with ALTER TABLE, which SQLite cannot do), plus statements for PostgreSQL only."""
    from piccolo.apps.migrations.auto.migration_manager import MigrationManager
    from piccolo.engine.finder import engine_finder

    async def forwards() -> MigrationManager:
        manager = MigrationManager(migration_id=migration_id, app_name=app_name, description=description)

        async def run() -> None:
            engine = engine_finder()
            assert engine is not None
            extra = (postgres_only or []) if isinstance(engine, PostgresEngine) else []
            for statement in [*statements, *extra]:
                await engine.run_ddl(statement)

        manager.add_raw(run)
        return manager

    return forwards


# --- bulk writes (imports of 100 000 rows) ----------------------------------------------------

def _current_connection() -> Any:
    """The raw connection of the open transaction (asyncpg or aiosqlite)."""
    transaction = engine().current_transaction.get()  # type: ignore[attr-defined]
    if transaction is None:
        raise RuntimeError("bulk writes run inside db.transaction()")
    return transaction.connection


async def copy_rows(table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert many rows inside the current transaction: COPY on PostgreSQL, executemany on SQLite.
    JSON values are passed as text (``json.dumps``)."""
    if not rows:
        return
    connection = _current_connection()
    if isinstance(engine(), PostgresEngine):
        await connection.copy_records_to_table(table, records=rows, columns=list(columns))
        return
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    await connection.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)  # noqa: S608 - names from the code


async def update_rows(table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """``UPDATE table SET columns… WHERE id = …`` for many rows (each tuple: the values, then the id),
    inside the current transaction."""
    if not rows:
        return
    connection = _current_connection()
    if isinstance(engine(), PostgresEngine):
        sets = ", ".join(f'"{c}" = ${n}' for n, c in enumerate(columns, start=1))
        await connection.executemany(f'UPDATE "{table}" SET {sets} WHERE id = ${len(columns) + 1}', rows)  # noqa: S608
        return
    sets = ", ".join(f'"{c}" = ?' for c in columns)
    await connection.executemany(f'UPDATE "{table}" SET {sets} WHERE id = ?', rows)  # noqa: S608


async def execute_many(sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """One statement for many parameter tuples inside the current transaction; write ``$1, $2 …``
    placeholders (they become ``?`` on SQLite)."""
    if not rows:
        return
    connection = _current_connection()
    if not isinstance(engine(), PostgresEngine):
        import re

        sql = re.sub(r"\$\d+", "?", sql)
    await connection.executemany(sql, rows)


# --- raw SQL for hot paths ---------------------------------------------------------------------------
# Piccolo's query builder costs more CPU than the short queries of a request (~0.5-2.5 ms a
# query, measured with py-spy on the finding save and the photo upload). The statements of the
# hottest paths are written as SQL with ``{}`` placeholders and run through these helpers; their
# values are always parameters.


async def raw_records(sql: str, *args: Any) -> Sequence[Any]:
    """Rows (``row["column"]``) of a raw query with ``{}`` placeholders, on the current
    transaction's connection if there is one. On PostgreSQL straight from asyncpg (its
    Records, read-only), which saves turning thousands of rows into dicts; on SQLite through
    Piccolo (dicts)."""
    db = engine()
    if isinstance(db, PostgresEngine):
        query = _pg_placeholders(sql)
        transaction = db.current_transaction.get()
        if transaction is not None:
            return await transaction.connection.fetch(query, *args)  # type: ignore[no-any-return]
        if db.pool is not None:
            return await db.pool.fetch(query, *args)  # type: ignore[no-any-return]
    return await db.run_querystring(QueryString(sql, *args))  # type: ignore[no-any-return]


async def raw_rows(sql: str, *args: Any) -> list[dict[str, Any]]:
    """:func:`raw_records` as dicts."""
    rows = await raw_records(sql, *args)
    if rows and isinstance(rows[0], dict):
        return list(rows)
    return [dict(r) for r in rows]


async def insert_row(table: str, values: dict[str, Any]) -> int:
    """Insert one row into ``table`` (a constant of ours) and return its id: one statement, in
    the current transaction if there is one. JSON columns take text (``json.dumps``)."""
    [row] = await raw_records(_insert_sql(table, tuple(values)), *values.values())
    return int(row["id"])


async def insert_row_with_event(table: str, values: dict[str, Any], event: dict[str, Any]) -> int:
    """Insert one row into ``table`` and its audit event (``audit.event_values``), whose
    object_id becomes the new row's id; return that id. On PostgreSQL one statement (atomic by
    itself outside a transaction: no BEGIN and COMMIT round trips); on SQLite two inserts, in
    the current transaction or a new one."""
    db = engine()
    if isinstance(db, PostgresEngine):
        [row] = await raw_records(_insert_with_event_sql(table, tuple(values), tuple(event)),
                                  *values.values(), *event.values())
        return int(row["object_id"])
    if db.current_transaction.get() is not None:
        return await _insert_then_event(table, values, event)
    async with transaction():
        return await _insert_then_event(table, values, event)


async def _insert_then_event(table: str, values: dict[str, Any], event: dict[str, Any]) -> int:
    row_id = await insert_row(table, values)
    await insert_row("audit_event", {**event, "object_id": str(row_id)})
    return row_id


@lru_cache(maxsize=64)
def _insert_with_event_sql(table: str, columns: tuple[str, ...], event_columns: tuple[str, ...]) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    event_names = ", ".join(f'"{c}"' for c in (*event_columns, "object_id"))
    return (f'WITH new AS (INSERT INTO "{table}" ({names}) VALUES ({placeholders(columns)}) RETURNING id) '  # noqa: S608 - our names
            f'INSERT INTO "audit_event" ({event_names}) SELECT {placeholders(event_columns)}, new.id::text FROM new '
            "RETURNING object_id")


def placeholders(values: Sequence[Any]) -> str:
    return ", ".join("{}" for _ in values)


@lru_cache(maxsize=64)
def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    return f'INSERT INTO "{table}" ({names}) VALUES ({placeholders(columns)}) RETURNING id'  # noqa: S608 - our names


@lru_cache(maxsize=512)
def _pg_placeholders(sql: str) -> str:
    """``{}`` -> ``$1``, ``$2`` … (the SQL here holds no other braces; values are parameters)."""
    parts = sql.split("{}")
    return "".join(part + (f"${n}" if n < len(parts) else "") for n, part in enumerate(parts, start=1))
