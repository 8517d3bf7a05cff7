"""Opening the database (an SQLite file, or PostgreSQL by URL) and bringing its schema up
to date with the same numbered migrations on both engines."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import TypeAlias
from urllib.parse import parse_qsl, unquote, urlsplit

from peewee import Database, DatabaseError, DatabaseProxy, PostgresqlDatabase
from playhouse.migrations import Migration, Runner
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

from bot.storage.urls import is_postgres_url

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_TABLE = "schema_migration"  # the runner's history of applied migrations

# The models bind to this proxy; open_database() points it at a real database.
database_proxy = DatabaseProxy()

PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10_000,
    # WAL + NORMAL survives a crash of the process (what an ack promises) and costs no fsync
    # per commit; FULL would add one fsync per command for power-loss durability.
    "synchronous": "normal",
}


# The advisory lock the replicas take so that one of them migrates at a time.
MIGRATION_LOCK = 0x6469656E  # "dien"


Pooled: TypeAlias = PooledSqliteDatabase | PooledPostgresqlDatabase


class DatabaseMissing(Exception):
    """A command that only reads found no database: a mistyped path must not create one."""


def is_postgres(db: Database) -> bool:
    return isinstance(db, PostgresqlDatabase)


def open_database(target: str | Path, *, create: bool = True) -> Pooled:
    """An SQLite file by path, or PostgreSQL by a `postgresql://` URL (psycopg2 required)."""
    if is_postgres_url(target):
        return open_postgres(str(target))
    return open_sqlite(target, create=create)


def open_postgres(url: str) -> PooledPostgresqlDatabase:
    """A pool of autocommit connections; the repository opens its transactions itself.
    The URL's query passes libpq's parameters through (`?sslmode=require`,
    `?host=/run/postgresql` for a Unix socket)."""
    try:
        import psycopg2  # noqa: F401  (peewee's driver for PostgreSQL)
    except ImportError:
        raise DatabaseError(
            "PostgreSQL needs its driver: pip install 'dienstplan[postgres]'"
        ) from None
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise DatabaseError("the URL's port is not a number") from None
    params: dict[str, object] = {
        "user": unquote(parts.username or "") or None,
        "password": unquote(parts.password or "") or None,
        "host": parts.hostname,
        "port": port,
        "connect_timeout": 10,
        "application_name": "dienstplan",
        **dict(parse_qsl(parts.query)),
    }
    db = PooledPostgresqlDatabase(
        unquote(parts.path.lstrip("/")),
        autoconnect=False,
        max_connections=32,
        stale_timeout=None,
        timeout=10,
        **{key: value for key, value in params.items() if value is not None},
    )
    database_proxy.initialize(db)
    return db


def open_sqlite(path: str | Path, *, create: bool = True) -> PooledSqliteDatabase:
    """A pool, so a unit of work reuses an open connection instead of paying for a close
    (the last close of a WAL database checkpoints it: about 1 ms). BEGIN IMMEDIATE takes
    the write lock up front, so concurrent writers wait instead of failing to upgrade.

    Without `create`, a missing file raises DatabaseMissing (SQLite would create it)."""
    file = Path(path).expanduser().resolve()
    if create:
        create_private(file)
    elif not file.exists():
        raise DatabaseMissing(f"there is no database at {file}")
    db = PooledSqliteDatabase(
        str(path),
        pragmas=PRAGMAS,
        autoconnect=False,
        lock_type="IMMEDIATE",
        max_connections=32,
        stale_timeout=None,
        timeout=10,
        check_same_thread=False,
    )
    database_proxy.initialize(db)
    return db


def create_private(file: Path) -> None:
    """Create the database file readable by its owner only (SQLite gives the -wal and -shm
    files the database file's mode), and a missing directory for it likewise: it holds who
    is on call when, and the Slack ids of a whole team."""
    if not file.parent.exists():
        file.parent.mkdir(mode=0o700, parents=True)
    try:
        os.close(os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return
    os.chmod(file, 0o600)  # whatever the umask


def portable(db: Database, sql: str) -> str:
    """DDL written for SQLite, as PostgreSQL spells it: the migrations' CREATE TABLEs say
    `INTEGER PRIMARY KEY AUTOINCREMENT` and `DATETIME`, PostgreSQL says `SERIAL PRIMARY KEY`
    and `TIMESTAMP`; placeholders are `?` in SQLite and `%s` in PostgreSQL."""
    if not is_postgres(db):
        return sql
    sql = sql.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "SERIAL PRIMARY KEY")
    return re.sub(r"\bDATETIME\b", "TIMESTAMP", sql).replace("?", "%s")


def migration_runner(db: Database) -> Runner:
    return Runner(db, str(MIGRATIONS), table_name=MIGRATION_TABLE)


def known_migrations() -> list[str]:
    """This version's migrations, in the order they apply."""
    return [m.name for m in Migration.load_directory(str(MIGRATIONS))]


def applied_migrations(db: Database) -> list[str]:
    """The migrations the database has had; inside a connection."""
    return sorted(migration_runner(db).applied())


def migrate(db: Database) -> list[str]:
    """Apply pending numbered migrations; returns the names applied. On PostgreSQL replicas
    starting together take turns (an advisory lock): the first migrates, the others find
    nothing left to do."""
    with db.connection_context():
        if not is_postgres(db):
            applied = migration_runner(db).up()
        else:
            db.execute_sql("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
            try:
                applied = migration_runner(db).up()
            finally:
                db.execute_sql("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
    for name in applied:
        log.info("applied migration %s", name)
    return applied


def ddl(db: Database, sql: str, params: tuple[object, ...] = ()) -> None:
    """Run a migration's statement, written for SQLite, on either engine."""
    db.execute_sql(portable(db, sql), params)
