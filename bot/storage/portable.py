"""All state as one versioned JSON document: `dienstplan export` and `dienstplan import`.

The document is written from the schema the migrations created, not from the models, so a
table a later migration adds is exported and imported without a change here. It names the
migrations its rows were written under; an import replays those, loads the rows, then runs
the newer migrations over them, exactly as an upgrade in place would. The same document moves
between SQLite and PostgreSQL: values are JSON (datetimes and dates as ISO 8601) on both.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import IO, Any, cast

from peewee import Database, IntegrityError, SqliteDatabase

from bot.storage.db import (
    MIGRATION_TABLE,
    applied_migrations,
    is_postgres,
    known_migrations,
    migration_runner,
)

FORMAT = "dienstplan-export"
VERSION = 1

Row = dict[str, Any]


class ImportRefused(Exception):
    """The document cannot be imported here; the message says why and what to do."""


def _data_tables(db: Database) -> list[str]:
    """Every table but SQLite's own and the migration history (the document's `migrations`)."""
    if is_postgres(db):
        cursor = db.execute_sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = "
            "current_schema() AND table_type = 'BASE TABLE' AND table_name != %s "
            "ORDER BY table_name",
            (MIGRATION_TABLE,),
        )
        return [name for (name,) in cursor.fetchall()]
    cursor = db.execute_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name != ? ORDER BY name",
        (MIGRATION_TABLE,),
    )
    return [name for (name,) in cursor.fetchall()]


def _columns(db: Database, table: str) -> list[tuple[str, str, int]]:
    """(name, declared type, position in the primary key or 0) in table order."""
    if is_postgres(db):
        cursor = db.execute_sql(
            """
            SELECT c.column_name, c.data_type, coalesce(k.ordinal_position, 0)
            FROM information_schema.columns AS c
            LEFT JOIN information_schema.table_constraints AS t
              ON t.table_schema = c.table_schema AND t.table_name = c.table_name
             AND t.constraint_type = 'PRIMARY KEY'
            LEFT JOIN information_schema.key_column_usage AS k
              ON k.constraint_name = t.constraint_name AND k.table_schema = t.table_schema
             AND k.column_name = c.column_name
            WHERE c.table_schema = current_schema() AND c.table_name = %s
            ORDER BY c.ordinal_position
            """,
            (table,),
        )
        return [(name, kind.upper(), pk) for name, kind, pk in cursor.fetchall()]
    cursor = db.execute_sql(f'PRAGMA table_info("{table}")')
    return [(name, kind.upper(), pk) for _, name, kind, _, _, pk in cursor.fetchall()]


def _is_datetime(kind: str) -> bool:
    return "DATETIME" in kind or "TIMESTAMP" in kind


def _sequences(db: Database) -> dict[str, int]:
    """AUTOINCREMENT counters: an id once used is not given out again, after a restore too.
    PostgreSQL's are its serial columns' sequences, for the tables whose sequence was used."""
    if is_postgres(db):
        counters = {}
        for table, sequence in _serials(db).items():
            row = db.execute_sql(f"SELECT last_value, is_called FROM {sequence}").fetchone()
            if row[1]:
                counters[table] = row[0]
        return counters
    exists = db.execute_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'"
    ).fetchone()
    if not exists:
        return {}
    cursor = db.execute_sql("SELECT name, seq FROM sqlite_sequence ORDER BY name")
    return {name: seq for name, seq in cursor.fetchall()}


def _serials(db: Database) -> dict[str, str]:
    """PostgreSQL: each table's `id` sequence, by table."""
    cursor = db.execute_sql(
        "SELECT table_name, pg_get_serial_sequence(quote_ident(table_name), column_name)"
        " FROM information_schema.columns WHERE table_schema = current_schema()"
        " AND column_name = 'id' AND column_default IS NOT NULL AND table_name != %s"
        " ORDER BY table_name",
        (MIGRATION_TABLE,),
    )
    return {table: sequence for table, sequence in cursor.fetchall() if sequence}


def _snapshot(db: Database) -> Any:
    """A read transaction that sees one moment: SQLite's deferred one, PostgreSQL's
    repeatable read (its default, read committed, sees each statement's own moment)."""
    if is_postgres(db):
        return db.atomic(isolation_level="REPEATABLE READ")
    return db.atomic(lock_type="DEFERRED")


def export_state(db: Database) -> dict[str, Any]:
    """One read transaction, so the document is a consistent snapshot of a running bot."""
    with db.connection_context(), _snapshot(db):
        tables: dict[str, list[Row]] = {}
        for table in _data_tables(db):
            columns = _columns(db, table)
            key = [name for name, _, pk in sorted(columns, key=lambda c: c[2]) if pk]
            order = ", ".join(f'"{name}"' for name in key) or (
                "ctid" if is_postgres(db) else "rowid"
            )
            cursor = db.execute_sql(f'SELECT * FROM "{table}" ORDER BY {order}')
            tables[table] = [
                {
                    name: _exported(value, kind, table, name)
                    for (name, kind, _), value in zip(columns, values, strict=True)
                }
                for values in cursor.fetchall()
            ]
        return {
            "format": FORMAT,
            "version": VERSION,
            "migrations": applied_migrations(db),
            "sequences": _sequences(db),
            "tables": tables,
        }


def _exported(value: Any, kind: str, table: str, column: str) -> Any:
    """Datetimes as ISO 8601 (SQLite keeps them as text with a space); the rest as stored."""
    if isinstance(value, datetime | date):  # PostgreSQL's, as Python values
        return value.isoformat()
    if isinstance(value, bytes):
        raise ValueError(f"{table}.{column} holds binary data, which the export cannot carry")
    if isinstance(value, str) and _is_datetime(kind):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        # Only the form peewee writes is rewritten, so the import restores the same text.
        return moment.isoformat() if str(moment) == value else value
    return value


def write_document(document: Mapping[str, Any], out: IO[str]) -> None:
    """Pretty at the top, one row per line: diffable, greppable, and the same bytes for the
    same state."""

    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))

    out.write("{\n")
    for key in ("format", "version", "migrations", "sequences"):
        out.write(f"  {dump(key)}: {dump(document[key])},\n")
    out.write('  "tables": {')
    for index, (table, rows) in enumerate(document["tables"].items()):
        out.write(",\n" if index else "\n")
        out.write(f"    {dump(table)}: [")
        out.write(",".join(f"\n      {dump(row)}" for row in rows))
        out.write("\n    ]" if rows else "]")
    out.write("\n  }\n}\n")


def read_document(text: str) -> dict[str, Any]:
    """The document's shape checked before anything is written."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportRefused(f"the file is not JSON: {error}") from error
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ImportRefused(f'the file is not a dienstplan export (it has no "format": "{FORMAT}")')
    version = document.get("version")
    if not isinstance(version, int) or version < 1:
        raise ImportRefused(f"the export's format version {version!r} is not a number")
    if version > VERSION:
        raise ImportRefused(
            f"the export has format version {version}, newer than this dienstplan reads "
            f"({VERSION}); upgrade dienstplan to import it"
        )
    migrations, sequences, tables = (
        document.get(key) for key in ("migrations", "sequences", "tables")
    )
    if not isinstance(migrations, list) or not all(isinstance(m, str) for m in migrations):
        raise ImportRefused('"migrations" must be a list of migration names')
    if not isinstance(sequences, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in sequences.values()
    ):
        raise ImportRefused('"sequences" must map table names to numbers')
    if not isinstance(tables, dict):
        raise ImportRefused('"tables" must map table names to lists of rows')
    for table, rows in tables.items():
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise ImportRefused(f'table "{table}" must be a list of rows (JSON objects)')
        for number, row in enumerate(rows, 1):
            for column, value in row.items():
                if isinstance(value, list | dict):
                    raise ImportRefused(
                        f'table "{table}", row {number}, column "{column}": a value must be '
                        "a string, a number, true, false or null"
                    )
    _target(migrations)  # a newer dienstplan's export is refused before a file is touched
    return document


def _target(migrations: Sequence[str]) -> str | None:
    """The last migration the rows were written under, if this dienstplan knows them all.

    Replaying up to it also runs any this version has before it that the document lacks (a
    migration numbered lower but released later), as an upgrade in place would."""
    known = known_migrations()
    newer = [name for name in migrations if name not in known]
    if newer:
        raise ImportRefused(
            f"the export was written by a newer dienstplan (migration {newer[-1]}, this one "
            f"knows up to {known[-1]}); upgrade dienstplan to import it"
        )
    return max(migrations, key=known.index) if migrations else None


@contextmanager
def _foreign_keys_off(db: Database) -> Iterator[None]:
    """As the migration runner does: a migration that rebuilds a table must not cascade its
    deletes into the rows just loaded. Integrity is checked before the commit instead.
    (PostgreSQL checks each row as it is loaded, so the tables load in dependency order.)"""
    if is_postgres(db):
        yield
        return
    sqlite = cast(SqliteDatabase, db)
    sqlite.pragma("foreign_keys", 0)
    try:
        yield
    finally:
        sqlite.pragma("foreign_keys", 1)


def _row_count(db: Database) -> int:
    return sum(
        db.execute_sql(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        for table in _data_tables(db)
    )


def import_state(db: Database, document: Mapping[str, Any], *, replace: bool) -> int:
    """Load the document into `db` in one transaction and return the number of rows.

    Every table is dropped and the schema rebuilt by the migrations the rows were written
    under, so the rows meet the columns they were exported from; newer migrations then
    upgrade them. An empty database is the one where nothing but the schema exists; any
    other is replaced only when asked, and a failure anywhere leaves it as it was."""
    target = _target(document["migrations"])
    with db.connection_context(), _foreign_keys_off(db), db.atomic():
        existing = _row_count(db)
        if existing and not replace:
            raise ImportRefused(
                f"the database already holds {existing} rows; import into a new file, or "
                "add --replace to discard them"
            )
        postgres = is_postgres(db)
        views = (
            "SELECT table_name FROM information_schema.views WHERE table_schema = current_schema()"
            if postgres
            else "SELECT name FROM sqlite_master WHERE type = 'view'"
        )
        for (name,) in db.execute_sql(views).fetchall():
            db.execute_sql(f'DROP VIEW "{name}"')
        for table in [*_data_tables(db), MIGRATION_TABLE]:
            db.execute_sql(f'DROP TABLE IF EXISTS "{table}"{" CASCADE" if postgres else ""}')
        runner = migration_runner(db)
        if target is not None:
            runner.up(target)
        for table in _data_tables(db):  # what a migration may have seeded, the rows replace
            db.execute_sql(f'DELETE FROM "{table}"')
        tables = document["tables"]
        loaded = sum(_insert(db, table, tables[table]) for table in _load_order(db, tables))
        for table in document["sequences"]:
            if table not in tables:
                raise ImportRefused(f'"sequences" names "{table}", which is not in "tables"')
        if postgres:
            _set_serials(db, document["sequences"])
            runner.up()
            return loaded
        if _sequences(db):  # the inserts moved the counters; the document says where they were
            db.execute_sql("DELETE FROM sqlite_sequence")
        for table, seq in document["sequences"].items():
            db.execute_sql("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, seq))
        runner.up()
        broken = db.execute_sql("PRAGMA foreign_key_check").fetchone()
        if broken:
            raise ImportRefused(
                f'table "{broken[0]}" row {broken[1]} refers to a missing row of "{broken[2]}"'
            )
    return loaded


def _load_order(db: Database, tables: Mapping[str, Any]) -> list[str]:
    """The document's tables, on PostgreSQL the ones others refer to first (its foreign keys
    cannot be switched off); SQLite checks them all at the end."""
    if not is_postgres(db):
        return list(tables)
    references: dict[str, set[str]] = {}
    for child, parent in db.execute_sql(
        "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint"
        " WHERE contype = 'f' AND connamespace = current_schema()::regnamespace"
    ).fetchall():
        references.setdefault(child.strip('"'), set()).add(parent.strip('"'))
    ordered: list[str] = []

    def visit(table: str, path: tuple[str, ...]) -> None:
        if table in ordered or table in path:
            return
        for parent in sorted(references.get(table, ())):
            visit(parent, (*path, table))
        if table in tables:
            ordered.append(table)

    for table in tables:
        visit(table, ())
    return ordered


def _set_serials(db: Database, sequences: Mapping[str, int]) -> None:
    """Each serial column's sequence past the ids loaded and the document's counter, so a new
    row never takes an id that is in use or was used."""
    for table, sequence in _serials(db).items():
        (highest,) = db.execute_sql(f'SELECT coalesce(max(id), 0) FROM "{table}"').fetchone()
        last = max(highest, sequences.get(table, 0))
        db.execute_sql("SELECT setval(%s, %s, %s)", (sequence, max(last, 1), last > 0))


def _insert(db: Database, table: str, rows: Sequence[Row]) -> int:
    """Names are checked against the schema before they go into SQL: the file is data."""
    if table not in _data_tables(db):
        raise ImportRefused(f'the export has a table "{table}" that its migrations do not create')
    columns = {name: kind for name, kind, _ in _columns(db, table)}
    for number, row in enumerate(rows, 1):
        unknown = [name for name in row if name not in columns]
        if unknown:
            raise ImportRefused(f'table "{table}" has no column "{unknown[0]}"')
        quoted = ", ".join(f'"{name}"' for name in row)
        try:
            db.execute_sql(
                f'INSERT INTO "{table}" ({quoted}) VALUES ({", ".join([db.param] * len(row))})',
                [_stored(value, columns[name]) for name, value in row.items()],
            )
        except IntegrityError as error:
            raise ImportRefused(f'table "{table}", row {number}: {error}') from error
    return len(rows)


def _stored(value: Any, kind: str) -> Any:
    """The inverse of _exported: SQLite's text form of an ISO datetime, as peewee writes it."""
    if isinstance(value, str) and _is_datetime(kind):
        try:
            return str(datetime.fromisoformat(value))
        except ValueError:
            return value
    return value
