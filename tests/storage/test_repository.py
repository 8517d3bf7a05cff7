"""The peewee repository on real SQLite files: schema, durability, concurrency."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.model import AwayPeriod, Member, MemberKind
from bot.storage.db import migrate, open_database
from bot.storage.repository import PeeweeRepository

pytestmark = pytest.mark.both_engines

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _open(path: str | Path) -> PeeweeRepository:
    db = open_database(path)
    migrate(db)
    return PeeweeRepository(db)


def test_migrations_run_once_and_set_wal(tmp_path: Path) -> None:
    db = open_database(tmp_path / "a.db")
    assert migrate(db) == [
        "0001_initial",
        "0002_schedules",
        "0003_schedule_zone",
        "0004_plain_names",
        "0005_outbox",
        "0006_away",
        "0007_welcome",
        "0008_home",
        "0009_notifications",
        "0010_links",
        "0012_swaps",
    ]
    assert migrate(db) == []
    with db.connection_context():
        assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 10_000


def test_state_survives_reopening(database: str | Path) -> None:
    repo = _open(database)
    members = [Member("U1"), Member("S1", MemberKind.USERGROUP, "@sre")]
    with repo.transaction():
        rotation = repo.create(
            channel="C1",
            name="Backend",
            description="d\nline 2",
            members=members,
            created_by="U9",
            now=NOW,
        )
        repo.set_duty(rotation, 1)
    repo._db.close_all()
    again = _open(database)
    with again.transaction():
        found = again.find("C1", "backend")
        assert found is not None
        assert (found.name, found.duty_position, found.created_at) == ("Backend", 1, NOW)
        assert list(again.members(found)) == members
        assert again.find("C2", "backend") is None


def test_delete_cascades_to_members(database: str | Path) -> None:
    repo = _open(database)
    with repo.transaction():
        rotation = repo.create(
            channel="C1",
            name="x",
            description="d",
            members=[Member("U1")],
            created_by="U9",
            now=NOW,
        )
        repo.delete(rotation)
        count = repo._db.execute_sql("SELECT COUNT(*) FROM member").fetchone()[0]
    assert count == 0


def test_an_event_is_claimed_by_exactly_one_of_many_threads(database: str | Path) -> None:
    """Worker threads (one SQLite connection each) racing on one redelivered event."""
    repo = _open(database)
    winners: list[int] = []
    barrier = threading.Barrier(8)

    def claim(i: int) -> None:
        barrier.wait()
        with repo.transaction():
            if repo.record_event("Ev1", NOW):
                winners.append(i)

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1


def test_old_event_ids_are_forgotten(database: str | Path) -> None:
    repo = _open(database)
    with repo.transaction():
        assert repo.record_event("old", NOW - timedelta(days=2))
        assert repo.record_event("new", NOW)
        assert not repo.record_event("new", NOW)  # a redelivery
    assert repo.forget_events_before(NOW - timedelta(days=1)) == 1
    with repo.transaction():
        assert not repo.record_event("new", NOW)
        assert repo.record_event("old", NOW)


def test_upgrading_a_version_1_database_keeps_its_rotations(tmp_path: Path) -> None:
    from playhouse.migrations import Runner

    from bot.storage.db import MIGRATIONS

    db = open_database(tmp_path / "old.db")
    with db.connection_context():
        Runner(db, str(MIGRATIONS)).up(target="0001_initial")
    repo = PeeweeRepository(db)
    with repo.transaction():
        repo._db.execute_sql(
            "INSERT INTO rotation (channel, name, name_key, description, created_at, created_by,"
            " duty_position, member_count) VALUES ('C1', 'x', 'x', 'd', '2026-01-01 00:00:00',"
            " 'U1', 0, 1)"
        )
    assert migrate(db) == [
        "0002_schedules",
        "0003_schedule_zone",
        "0004_plain_names",
        "0005_outbox",
        "0006_away",
        "0007_welcome",
        "0008_home",
        "0009_notifications",
        "0010_links",
        "0012_swaps",
    ]
    with repo.transaction():
        assert repo.find("C1", "x") is not None
        assert repo.all_schedules() == []


def test_upgrading_to_stored_zones_keeps_cron_tz_and_marks_the_rest_unknown(
    tmp_path: Path,
) -> None:
    from playhouse.migrations import Runner

    from bot.storage.db import MIGRATIONS

    db = open_database(tmp_path / "old.db")
    with db.connection_context():
        Runner(db, str(MIGRATIONS)).up(target="0002_schedules")
    repo = PeeweeRepository(db)
    with repo.transaction():
        for channel, timezone in (("C1", None), ("C2", "America/New_York")):
            repo._db.execute_sql(
                "INSERT INTO schedule (channel, command, command_key, crontab, timezone,"
                " created_by, created_at, next_run_at) VALUES (?, 'list', 'list', '0 9 * * *',"
                " ?, 'U1', '2026-01-01 00:00:00', '2026-11-23 08:00:00')",
                (channel, timezone),
            )
    assert migrate(db) == [
        "0003_schedule_zone",
        "0004_plain_names",
        "0005_outbox",
        "0006_away",
        "0007_welcome",
        "0008_home",
        "0009_notifications",
        "0010_links",
        "0012_swaps",
    ]
    with repo.transaction():
        assert [(s.channel, s.zone) for s in repo.all_schedules()] == [
            ("C1", None),
            ("C2", "America/New_York"),
        ]
        stale = repo.stale_zone_schedules("Europe/Berlin", NOW)
    assert [s.channel for s in stale] == ["C1"]


def _add(repo: PeeweeRepository, command: str, zone: str, timezone: str | None = None) -> int:
    return repo.add_schedule(
        channel="C1",
        command=command,
        command_key=command,
        rotation_key=None,
        crontab="0 9 * * *",
        timezone=timezone,
        zone=zone,
        created_by="U1",
        now=NOW,
        next_run_at=NOW + timedelta(hours=1),
    ).id


def test_stale_zones_and_due_order(database: str | Path) -> None:
    repo = _open(database)
    with repo.transaction():
        utc = _add(repo, "who a", "UTC")
        berlin = _add(repo, "who b", "Europe/Berlin")
        _add(repo, "who c", "UTC", timezone="UTC")  # CRON_TZ: never stale
        assert [s.id for s in repo.stale_zone_schedules("Europe/Berlin", NOW)] == [utc]
        assert repo.stale_zone_schedules("Europe/Berlin", NOW + timedelta(hours=1)) == []
        assert [s.id for s in repo.stale_zone_schedules("UTC", NOW)] == [berlin]
        due = repo.due_schedules(NOW + timedelta(hours=1), 10)
        assert [s.command for s in due] == ["who a", "who b", "who c"]  # ties: oldest first
        assert repo.advance(utc, NOW + timedelta(hours=1), NOW, None, zone="Europe/Berlin")
        assert repo.stale_zone_schedules("Europe/Berlin", NOW - timedelta(hours=1)) == []


def test_upgrading_unescapes_and_normalises_stored_names(tmp_path: Path) -> None:
    """Slack's `R&amp;D` and the console's `R&D` become one name; the older keeps it."""
    from playhouse.migrations import Runner

    from bot.storage.db import MIGRATIONS

    db = open_database(tmp_path / "old.db")
    with db.connection_context():
        Runner(db, str(MIGRATIONS)).up(target="0002_schedules")
    rows = [
        ("C1", "R&D", "r&d"),  # from the console: already plain, keeps its name
        ("C1", "R&amp;D", "r&amp;d"),  # from Slack: the same name once unescaped
        ("C1", "Cafe\u0301 &lt;3", "cafe\u0301 &lt;3"),
        ("C2", "R&amp;D", "r&amp;d"),
        ("C2", "evil\u202eetor\x1b", "evil\u202eetor\x1b"),
        ("C2", "\u202e", "\u202e"),
    ]
    with db.connection_context():
        for channel, name, key in rows:
            db.execute_sql(
                "INSERT INTO rotation (channel, name, name_key, description, created_at,"
                " created_by, duty_position, member_count)"
                " VALUES (?, ?, ?, 'd', '2026-01-01 00:00:00', 'U1', 0, 1)",
                (channel, name, key),
            )
        db.execute_sql(
            "INSERT INTO schedule (channel, command, command_key, rotation_key, crontab,"
            " created_by, created_at) VALUES ('C2', 'rotate R&amp;D', 'rotate r&amp;d',"
            " 'r&amp;d', '0 9 * * *', 'U1', '2026-01-01 00:00:00')"
        )
    assert migrate(db) == [
        "0003_schedule_zone",
        "0004_plain_names",
        "0005_outbox",
        "0006_away",
        "0007_welcome",
        "0008_home",
        "0009_notifications",
        "0010_links",
        "0012_swaps",
    ]
    repo = PeeweeRepository(db)
    with repo.transaction():
        assert sorted(repo.names("C1")) == ["Caf\u00e9 <3", "R&D", "R&D (2)"]
        assert sorted(repo.names("C2")) == ["R&D", "eviletor", "rotation 6"]
        assert repo.find("C1", "CAF\u00c9 <3") is not None
        assert [s.command for s in repo.delete_rotation_schedules("C2", "r&d")] == [
            "rotate R&amp;D"
        ]


def test_away_periods_by_user_and_end_and_rotations_by_member(database: str | Path) -> None:
    repo = _open(database)
    with repo.transaction():
        old = repo.add_away("U1", date(2026, 11, 1), date(2026, 11, 20))
        now = repo.add_away("U1", date(2026, 11, 21), date(2026, 11, 23))
        repo.add_away("U2", date(2026, 12, 1), date(2026, 12, 2))
        assert repo.away_periods(["U1", "U2"], date(2026, 11, 21)) == [
            now,
            AwayPeriod(3, "U2", date(2026, 12, 1), date(2026, 12, 2)),
        ]
        repo.set_away_end(now.id, date(2026, 11, 21))
        repo.forget_away_before("U1", date(2026, 11, 21))
        assert repo.away_periods(["U1"], date(2000, 1, 1)) == [
            AwayPeriod(now.id, "U1", date(2026, 11, 21), date(2026, 11, 21))
        ]
        repo.delete_away([now.id])
        assert repo.away_periods(["U1"], date(2000, 1, 1)) == []
        assert old.id == 1
        group = Member("S1", MemberKind.USERGROUP)
        backend = repo.create(
            channel="C1",
            name="backend",
            description="d",
            members=[Member("U1"), group],
            created_by="U0",
            now=NOW,
        )
        repo.create(
            channel="C2",
            name="web",
            description="d",
            members=[Member("U2")],
            created_by="U0",
            now=NOW,
        )
        assert [r.name for r in repo.rotations_with(["U1"])] == ["backend"]
        assert [r.name for r in repo.rotations_with(["U9", "S1"])] == [backend.name]
        assert repo.group_refs() == ["S1"]


def test_links_once_per_channel_and_rotation(repo: PeeweeRepository) -> None:
    with repo.transaction():
        ops = repo.create(
            channel="C1",
            name="Ops",
            description="d",
            members=[Member("U1")],
            created_by="U1",
            now=NOW,
        )
        assert repo.link(ops, "C2", "U1", NOW)
        assert not repo.link(ops, "C2", "U2", NOW + timedelta(minutes=1))
        assert repo.link(ops, "C3", "U1", NOW - timedelta(minutes=1))
        assert repo.linked_channels(ops) == ["C1", "C3", "C2"]
        assert repo.find_linked("C2", "OPS") == [ops]
        assert repo.find_linked("C1", "ops") == []  # its own channel sees it as its own
        assert repo.linked_rotations("C2", 10) == ([ops], 1)
        assert repo.linked_rotations("C2", 0) == ([], 1)
        assert repo.unlink(ops, "C2")
        assert not repo.unlink(ops, "C2")
        assert repo.linked_channels(ops) == ["C1", "C3"]


def test_a_dropped_postgresql_connection_is_replaced(
    repo: PeeweeRepository, database: str | Path
) -> None:
    """A server restart or failover ends every connection: the next unit of work opens a new
    one instead of failing for ever."""
    if isinstance(database, Path):
        pytest.skip("SQLite has no server to drop the connection")
    import psycopg2

    with repo.transaction():
        repo.record_event("before", NOW)
        (pid,) = _backend_pid(repo)
    admin = psycopg2.connect(database)
    admin.autocommit = True
    admin.cursor().execute("SELECT pg_terminate_backend(%s)", (pid,))
    admin.close()
    with repo.transaction():
        repo.record_event("after", NOW)
        assert _backend_pid(repo) != (pid,)
    with repo.transaction():
        assert not repo.record_event("before", NOW) and not repo.record_event("after", NOW)


def _backend_pid(repo: PeeweeRepository) -> tuple[int]:
    return repo._execute("SELECT pg_backend_pid()").fetchone()  # type: ignore[no-any-return]
