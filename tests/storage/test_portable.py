"""Export and import on real SQLite files: lossless round trips, refusals that change nothing."""

from __future__ import annotations

import io
import json
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from peewee import SqliteDatabase

from bot.core.dispatcher import Dispatcher
from bot.core.model import Member, Outgoing, Reply, Request
from bot.storage import db as storage_db
from bot.storage.db import (
    MIGRATION_TABLE,
    MIGRATIONS,
    known_migrations,
    migrate,
    migration_runner,
    open_database,
)
from bot.storage.portable import (
    ImportRefused,
    export_state,
    import_state,
    read_document,
    write_document,
)
from bot.storage.repository import PeeweeRepository

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _dispatcher(db: SqliteDatabase) -> Dispatcher:
    repo = PeeweeRepository(db)
    return Dispatcher(
        repo=repo,
        schedules=repo,
        away=repo,
        clock=lambda: NOW,
        timezone=ZoneInfo("UTC"),
        notifications=repo,
    )


def _say(db: SqliteDatabase, text: str, **event: str) -> str:
    request = Request(text=text, channel="C1", user="U0ME", bot_user_id="UBOT")
    outcome = _dispatcher(db).handle(request, event_id=event.get("event_id"))
    return outcome.reply.render(Member.plain)


def _text(db: SqliteDatabase) -> str:
    out = io.StringIO()
    write_document(export_state(db), out)
    return out.getvalue()


def _busy(path: Path) -> SqliteDatabase:
    """Every table holds something, with unicode, nulls and datetimes."""
    db = open_database(path)
    migrate(db)
    _say(db, "create web <@U1> <@U2> <!subteam^S1> Web duty: ünïcödé ☕\nsecond line")
    _say(db, "rotate web", event_id="Ev1")
    _say(db, 'schedule create "rotate web" 0 9 * * 1')
    repo = PeeweeRepository(db)
    with repo.transaction():
        repo.add_away("U1", date(2026, 12, 1), date(2026, 12, 3))
        repo.add_away("U2", date(2026, 12, 5), date(2026, 12, 5))
        repo.enqueue([Outgoing("C2", Reply.of("hello"), "reply", "1.2")], NOW)
        repo.record_welcome("C3", NOW)
    with db.connection_context():  # an id once used is not given out again
        db.execute_sql("DELETE FROM away WHERE \"user\" = 'U2'")
    return db


@pytest.mark.both_engines
def test_a_document_moves_between_sqlite_and_postgresql(
    tmp_path: Path, database: str | Path
) -> None:
    """SQLite -> the engine under test -> SQLite: the same rows; the bot works on each copy
    and gives out no id that was in use."""
    first = export_state(_busy(tmp_path / "a.db"))
    copy = open_database(database)
    assert import_state(copy, first, replace=False) == sum(map(len, first["tables"].values()))
    moved = export_state(copy)
    assert moved["tables"] == first["tables"] and moved["migrations"] == first["migrations"]
    assert first["sequences"].items() <= moved["sequences"].items()
    back = open_database(tmp_path / "back.db")
    import_state(back, read_document(_text(copy)), replace=False)
    assert export_state(back)["tables"] == first["tables"]
    for db in (copy, back):
        storage_db.database_proxy.initialize(db)  # the models follow the last one opened
        assert _say(db, "who web").startswith("<@U2> is on duty for *web*")
        with db.connection_context():
            period = PeeweeRepository(db).add_away("U3", date(2027, 1, 1), date(2027, 1, 2))
        assert period.id == 3  # 2 was used and deleted before the export


def test_round_trip_is_byte_identical_and_the_bot_works_on_the_copy(tmp_path: Path) -> None:
    first = _text(_busy(tmp_path / "a.db"))
    copy = open_database(tmp_path / "b.db")
    assert import_state(copy, read_document(first), replace=False) == 11
    assert _text(copy) == first
    assert "<@U2> is on duty for *web*" in _say(copy, "who web")
    assert "the duty passes from @U2 to" in _say(copy, "rotate web")
    with copy.connection_context():
        assert copy.execute_sql("SELECT seq FROM sqlite_sequence WHERE name = 'away'").fetchone()
        assert copy.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert _say(copy, "away 2026-12-10 to 2026-12-11").startswith("You are away")
    with copy.connection_context():
        assert copy.execute_sql("SELECT max(id) FROM away").fetchone()[0] == 3


def test_datetimes_are_iso_and_rows_one_per_line(tmp_path: Path) -> None:
    text = _text(_busy(tmp_path / "a.db"))
    document = json.loads(text)
    assert document["format"] == "dienstplan-export" and document["version"] == 1
    assert document["migrations"] == known_migrations()
    (welcome,) = document["tables"]["welcome"]
    assert welcome == {"channel": "C3", "welcomed_at": "2026-11-22T09:00:00"}
    assert document["tables"]["away"][0]["start_date"] == "2026-12-01"
    assert MIGRATION_TABLE not in document["tables"]
    assert '      {"channel": "C3", "welcomed_at": "2026-11-22T09:00:00"}\n' in text


def test_a_non_empty_database_is_replaced_only_when_asked(tmp_path: Path) -> None:
    document = read_document(_text(_busy(tmp_path / "a.db")))
    other = open_database(tmp_path / "b.db")
    migrate(other)
    _say(other, "create api <@U9> api duty")
    with pytest.raises(ImportRefused, match=r"already holds 2 rows; .* --replace"):
        import_state(other, document, replace=False)
    assert "<@U9> is on duty for *api*" in _say(other, "who api")
    import_state(other, document, replace=True)
    assert "no rotation" in _say(other, "who api").lower()
    assert "<@U2> is on duty for *web*" in _say(other, "who web")


def _refused(tmp_path: Path, change: Any, match: str) -> None:
    """The refusal leaves the target as it was: here, a bot with one rotation."""
    document = json.loads(_text(_busy(tmp_path / "a.db")))
    change(document)
    target = open_database(tmp_path / "b.db")
    migrate(target)
    _say(target, "create api <@U9> api duty")
    before = _text(target)
    with pytest.raises(ImportRefused, match=match):
        import_state(target, read_document(json.dumps(document)), replace=True)
    assert _text(target) == before


def test_a_newer_migration_is_refused(tmp_path: Path) -> None:
    def newer(document: dict[str, Any]) -> None:
        document["migrations"].append("0099_future")

    _refused(tmp_path, newer, "newer dienstplan \\(migration 0099_future, this one knows up to")


def test_unknown_columns_and_tables_bad_values_and_broken_references_are_refused(
    tmp_path: Path,
) -> None:
    def column(document: dict[str, Any]) -> None:
        document["tables"]["rotation"][0]["colour"] = "red"

    def table(document: dict[str, Any]) -> None:
        document["tables"]["no_such_table"] = []

    def reference(document: dict[str, Any]) -> None:
        document["tables"]["rotation"] = []

    def null(document: dict[str, Any]) -> None:
        document["tables"]["rotation"][0]["name"] = None

    def injected(document: dict[str, Any]) -> None:
        document["tables"]['away" (id) VALUES (1); DROP TABLE "rotation'] = [{"id": 1}]

    _refused(tmp_path, column, 'table "rotation" has no column "colour"')
    _refused(tmp_path, null, 'table "rotation", row 1: NOT NULL constraint failed: rotation.name')
    _refused(tmp_path, injected, 'has a table "away" \\(id\\) VALUES')
    _refused(tmp_path, table, 'has a table "no_such_table" that its migrations do not create')
    _refused(tmp_path, reference, 'table "member" row 1 refers to a missing row of "rotation"')


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("{", "not JSON"),
        ("[]", "not a dienstplan export"),
        ('{"format": "dienstplan-export", "version": 2}', "format version 2, newer than"),
        ('{"format": "dienstplan-export", "version": "1"}', "is not a number"),
        (
            '{"format": "dienstplan-export", "version": 1, "migrations": [], "sequences": {}, '
            '"tables": {"away": [{"user": ["U1"]}]}}',
            'table "away", row 1, column "user": a value must be',
        ),
    ],
)
def test_malformed_documents_are_refused_before_anything_is_written(
    tmp_path: Path, text: str, match: str
) -> None:
    db = open_database(tmp_path / "b.db")
    with pytest.raises(ImportRefused, match=match):
        import_state(db, read_document(text), replace=False)
    assert _text(db) == _text(open_database(tmp_path / "empty.db"))


def test_an_export_from_an_older_schema_is_upgraded_by_the_import(tmp_path: Path) -> None:
    old = open_database(tmp_path / "old.db")
    with old.connection_context():
        migration_runner(old).up("0004_plain_names")
        old.execute_sql(
            "INSERT INTO rotation (id, channel, name, name_key, description, created_at, "
            "created_by, duty_position, member_count) VALUES "
            "(1, 'C1', 'web', 'web', 'd', '2026-11-01 08:00:00', 'U0ME', 0, 1)"
        )
        old.execute_sql(
            "INSERT INTO member (rotation_id, position, ref, kind) VALUES (1, 0, 'U1', 'user')"
        )
    document = read_document(_text(old))
    assert document["migrations"][-1] == "0004_plain_names"
    assert "outbox" not in document["tables"]
    new = open_database(tmp_path / "new.db")
    import_state(new, document, replace=False)
    assert json.loads(_text(new))["migrations"] == known_migrations()
    assert "<@U1> is on duty for *web*" in _say(new, "who web")


def test_a_table_a_later_migration_adds_is_carried_without_code_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrations = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, migrations)
    (migrations / "0099_bookmarks.py").write_text(
        "def up(migrator, db):\n"
        "    db.execute_sql('CREATE TABLE bookmark (id INTEGER PRIMARY KEY AUTOINCREMENT, '\n"
        "                   'url TEXT NOT NULL, added_at DATETIME, weight REAL)')\n"
    )
    monkeypatch.setattr(storage_db, "MIGRATIONS", migrations)
    db = _busy(tmp_path / "a.db")
    added = NOW.replace(tzinfo=None) + timedelta(microseconds=5)
    with db.connection_context():
        db.execute_sql(
            "INSERT INTO bookmark (url, added_at, weight) VALUES (?, ?, ?)",
            ("https://x/ä", str(added), 0.1),
        )
    first = _text(db)
    assert '{"id": 1, "url": "https://x/ä", "added_at": "2026-11-22T09:00:00.000005", ' in first
    copy = open_database(tmp_path / "b.db")
    import_state(copy, read_document(first), replace=False)
    assert _text(copy) == first
