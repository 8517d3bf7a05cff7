"""Opening the SQLite database and bringing its schema up to date."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from peewee import DatabaseProxy, SqliteDatabase
from playhouse.migrations import Migration, Runner
from playhouse.pool import PooledSqliteDatabase

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


class DatabaseMissing(Exception):
    """A command that only reads found no database: a mistyped path must not create one."""


def open_database(path: str | Path, *, create: bool = True) -> PooledSqliteDatabase:
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


def migration_runner(db: SqliteDatabase) -> Runner:
    return Runner(db, str(MIGRATIONS), table_name=MIGRATION_TABLE)


def known_migrations() -> list[str]:
    """This version's migrations, in the order they apply."""
    return [m.name for m in Migration.load_directory(str(MIGRATIONS))]


def applied_migrations(db: SqliteDatabase) -> list[str]:
    """The migrations the database has had; inside a connection."""
    return sorted(migration_runner(db).applied())


def migrate(db: SqliteDatabase) -> list[str]:
    """Apply pending numbered migrations; returns the names applied."""
    with db.connection_context():
        applied = migration_runner(db).up()
    for name in applied:
        log.info("applied migration %s", name)
    return applied
