"""`dienstplan import-dienstplan`: a real PostgreSQL loaded with the Clojure dienstplan's
tables and sample rows, imported twice (the second time changes nothing)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from tests.e2e.harness import ROOT
from tests.postgres import POSTGRES_VARIABLE, fresh_postgres, with_database
from tests.test_console import console

pytestmark = pytest.mark.both_engines  # the database imported into

# The old bot's schema as its migrations leave it (resources/migrations/ in pilosus/dienstplan).
OLD_SCHEMA = """
CREATE TABLE rota (
    id serial PRIMARY KEY, channel varchar(255) NOT NULL, name varchar(255) NOT NULL,
    description text, created_on timestamp NOT NULL DEFAULT now(),
    updated_on timestamp NOT NULL DEFAULT now(), meta jsonb);
CREATE UNIQUE INDEX rota_channel_name ON rota (channel, name);
CREATE TABLE mention (
    id serial PRIMARY KEY, rota_id int NOT NULL REFERENCES rota (id) ON DELETE CASCADE,
    name varchar(255) NOT NULL, duty boolean DEFAULT false);
CREATE TABLE schedule (
    id serial PRIMARY KEY, channel varchar(255) NOT NULL, executable text NOT NULL,
    crontab text NOT NULL, run_at timestamp NOT NULL,
    created_at timestamp NOT NULL DEFAULT now(), updated_at timestamp NOT NULL DEFAULT now());
CREATE UNIQUE INDEX schedule_channel_executable ON schedule (channel, executable);
"""
ROTAS = [  # (id, channel, name, description, [(mention, on duty)])
    (
        1,
        "C1",
        "backend",
        "Watch alerts\n- and the queue",
        [("<@U1>", 0), ("<@U2>", 1), ("<@U3>", 0)],
    ),
    (2, "C1", "web", None, [("<@U4>", 1), ("<!subteam^S1|@web>", 0)]),
    (3, "C2", "nobody", "empty", []),
    (4, "C2", "plain", "typed by hand", [("alice", 1)]),
]
SCHEDULES = [  # (channel, executable, crontab)
    ("C1", "rotate backend", "0 9 * * 1-5"),
    ("C1", "who gone", "0 10 * * *"),
    ("C1", "who web", "61 * * * *"),
]


@pytest.fixture
def old_bot() -> Iterator[str]:
    server = os.environ.get(POSTGRES_VARIABLE)
    if not server:
        pytest.skip(f"needs PostgreSQL: set {POSTGRES_VARIABLE} (see README)")
    with fresh_postgres(server) as url:
        connection = psycopg2.connect(url)
        with connection, connection.cursor() as cursor:
            cursor.execute(OLD_SCHEMA)
            for id_, channel, name, description, mentions in ROTAS:
                cursor.execute(
                    "INSERT INTO rota (id, channel, name, description) VALUES (%s, %s, %s, %s)",
                    (id_, channel, name, description),
                )
                for mention, duty in mentions:
                    cursor.execute(
                        "INSERT INTO mention (rota_id, name, duty) VALUES (%s, %s, %s)",
                        (id_, mention, bool(duty)),
                    )
            for channel, executable, crontab in SCHEDULES:
                cursor.execute(
                    "INSERT INTO schedule (channel, executable, crontab, run_at)"
                    " VALUES (%s, %s, %s, now())",
                    (channel, executable, crontab),
                )
        connection.close()
        yield url


def _import(database: str | Path, source: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "dienstplan.py"), "import-dienstplan", source],
        env={"PATH": "/usr/bin:/bin", "DIENSTPLAN_DATABASE": str(database)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_rotations_duties_and_schedules_move_in_once(old_bot: str, database: str | Path) -> None:
    first = _import(database, old_bot)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0] == "Imported 2 rotation(s) and 1 schedule(s); skipped 4.", lines
    assert lines[1:3] == [
        "  imported rotation 'backend' in C1 (3 members, on duty: <@U2>)",
        "  imported rotation 'web' in C1 (2 members, on duty: <@U4>)",
    ]
    assert lines[3] == "  imported schedule 'rotate backend' in C1 at `CRON_TZ=UTC 0 9 * * 1-5`"
    skipped = lines[4:]
    assert skipped[0] == "  skipped rotation 'nobody' in C2: it has no members"
    assert skipped[1].startswith("  skipped rotation 'plain' in C2: That `create` needs fixing:")
    assert skipped[2].startswith("  skipped schedule 'who gone' in C1: Not scheduled: `who gone`")
    assert skipped[3].startswith("  skipped schedule 'who web' in C1: That `schedule` needs fixing")
    assert "crontab is not valid" in skipped[3]

    shown = console(database, "about backend\nabout web\nschedule list\n", "--channel", "C1")
    assert "Members in duty order (3)" in shown
    assert "Watch alerts\n- and the queue" in shown
    assert "(imported from dienstplan without a description)" in shown
    assert "`rotate backend`: `0 9 * * 1-5` (UTC)" in shown
    assert console(database, "who backend\n", "--channel", "C1").startswith("@U2 is on duty")

    again = _import(database, old_bot)
    assert again.returncode == 0, again.stderr
    lines = again.stdout.splitlines()
    assert lines[0] == "Imported 0 rotation(s) and 0 schedule(s); skipped 7."
    assert "  skipped rotation 'backend' in C1: it is here already" in lines
    assert "  skipped schedule 'rotate backend' in C1: it is here already" in lines


def test_an_unreachable_or_foreign_database_is_named_without_its_password(
    old_bot: str, database: str | Path
) -> None:
    wrong = with_database(old_bot, "nosuchdb").replace(":secret@", ":hunter2@")
    refused = _import(database, wrong)
    assert refused.returncode == 1
    assert "hunter2" not in refused.stdout + refused.stderr
    assert "cannot read postgresql://dienstplan:***@" in refused.stdout
    not_a_url = _import(database, "dienstplan.db")
    assert not_a_url.returncode == 1
    assert "'dienstplan.db' is not a PostgreSQL URL" in not_a_url.stdout
    connection = psycopg2.connect(old_bot)
    with connection, connection.cursor() as cursor:
        cursor.execute("DROP TABLE mention")
    connection.close()
    foreign = _import(database, old_bot)
    assert foreign.returncode == 1
    assert "it does not look like dienstplan's database" in foreign.stdout
