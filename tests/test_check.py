"""`dienstplan check` as an operator runs it: against the emulator, on real files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.check import EVENT_SCOPES
from bot.slack.manifest import BOT_EVENTS, BOT_SCOPES
from bot.storage.db import known_migrations, migration_runner, open_database
from tests.emulator import SlackEmulator
from tests.test_cli import dienstplan, free_port

NOTE = (
    "note     events: Slack does not show a bot token its event subscriptions; make sure Event "
    f"Subscriptions lists {', '.join(BOT_EVENTS)} (`dienstplan manifest` has them)\n"
)
LATEST = known_migrations()[-1]


@pytest.fixture
def emu() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        yield emulator


def _env(emu: SlackEmulator, **env: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": emu.bot_token,
        "SLACK_APP_TOKEN": emu.app_token,
        "SLACK_API_URL": emu.api_url,
        "DIENSTPLAN_DATABASE": "d.db",
        **env,
    }


def test_a_ready_installation(emu: SlackEmulator, tmp_path: Path) -> None:
    dienstplan("console", cwd=tmp_path, DIENSTPLAN_DATABASE="d.db")
    result = dienstplan("check", cwd=tmp_path, **_env(emu))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        "ok       configuration: read from the environment\n"
        "ok       bot token: Slack knows it as dienstplan (UBOT) in Emulator Team\n"
        f"ok       scopes: all {len(BOT_SCOPES)} the bot uses are granted\n"
        f"{NOTE}"
        "ok       app token: Slack opens Socket Mode connections for it\n"
        f"ok       database d.db: reachable and migrated ({LATEST})\n"
        "Everything dienstplan needs is in place.\n"
    )
    assert [call.method for call in emu.calls] == ["auth.test", "apps.connections.open"]
    assert emu.connects_total == 0


def test_missing_scopes_and_the_events_they_silence(emu: SlackEmulator, tmp_path: Path) -> None:
    lacking = {"groups:read", "im:history", "users:read"}
    emu.granted_scopes = [*(set(BOT_SCOPES) - lacking), "commands"]
    result = dienstplan("check", cwd=tmp_path, **_env(emu))
    assert result.returncode == 1
    assert (
        f"PROBLEM  scopes: the app lacks {', '.join(s for s in BOT_SCOPES if s in lacking)}: "
        "add them under OAuth & Permissions → Scopes, then reinstall the app\n"
        "PROBLEM  events: Slack cannot deliver message.im (needs im:history), user_change "
        "(needs users:read), team_join (needs users:read)\n"
    ) in result.stdout
    assert "ok       database d.db: none yet; `dienstplan run` creates it\n" in result.stdout
    assert result.stdout.endswith("2 problem(s).\n")
    assert not (tmp_path / "d.db").exists()


def test_scopes_slack_did_not_name_are_a_note(emu: SlackEmulator, tmp_path: Path) -> None:
    emu.granted_scopes = None
    result = dienstplan("check", cwd=tmp_path, **_env(emu))
    assert result.returncode == 0
    assert "note     scopes: Slack's answer did not name the token's scopes; not checked\n" in (
        result.stdout
    )


def test_a_rejected_token_and_a_file_that_is_not_a_database(
    emu: SlackEmulator, tmp_path: Path
) -> None:
    (tmp_path / "d.db").write_text("these are notes, not a database\n" * 50)
    result = dienstplan("check", cwd=tmp_path, **_env(emu, SLACK_BOT_TOKEN="xoxb-revoked"))
    assert result.returncode == 1
    assert result.stdout == (
        "ok       configuration: read from the environment\n"
        "PROBLEM  bot token (SLACK_BOT_TOKEN): Slack refused it (invalid_auth); check the token "
        "belongs to this app\n"
        "ok       app token: Slack opens Socket Mode connections for it\n"
        "PROBLEM  database d.db: cannot be read as SQLite: file is not a database\n"
        "2 problem(s).\n"
    )
    assert "xoxb-revoked" not in result.stdout + result.stderr


def test_unreachable_slack_and_token_problems(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/api/"
    result = dienstplan(
        "check",
        cwd=tmp_path,
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_APP_TOKEN="xapp-1",
        SLACK_API_URL=url,
    )
    assert result.returncode == 1
    assert f"PROBLEM  bot token (SLACK_BOT_TOKEN): cannot reach {url}auth.test: " in result.stdout
    swapped = dienstplan("check", cwd=tmp_path, SLACK_BOT_TOKEN="xapp-1", SLACK_APP_TOKEN="xoxb-1")
    assert swapped.returncode == 1
    assert "PROBLEM  configuration: SLACK_BOT_TOKEN and SLACK_APP_TOKEN are swapped" in (
        swapped.stdout
    )


def test_a_bad_config_stops_the_check_at_once(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text('[dienstplan]\ntimezone = "Mars/Base"\ndatabse = "d.db"\n')
    result = dienstplan("check", "--config", "c.toml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "PROBLEM  configuration: c.toml: unknown setting `dienstplan.databse` (did you mean "
        "`dienstplan.database`?); see config.example.toml.",
        "PROBLEM  configuration: DIENSTPLAN_TIMEZONE / dienstplan.timezone: unknown time zone "
        "`Mars/Base`; use an IANA name such as Europe/Berlin, or UTC.",
        "PROBLEM  configuration: SLACK_BOT_TOKEN is not set. It is the Bot User OAuth Token: "
        "create the app from the manifest that `dienstplan manifest` prints, install it to "
        "your workspace, and copy the token from OAuth & Permissions (it starts with xoxb-).",
        "PROBLEM  configuration: SLACK_APP_TOKEN is not set. It is an app-level token with the "
        "connections:write scope: in the app's Basic Information page, under App-Level Tokens, "
        "generate one (it starts with xapp-).",
        "4 problem(s); the Slack app and the database were not checked.",
    ]  # every problem `run` would report, the tokens too


def test_pending_migrations_are_a_note_a_newer_database_a_problem(
    emu: SlackEmulator, tmp_path: Path
) -> None:
    db = open_database(tmp_path / "d.db")
    with db.connection_context():
        migration_runner(db).up("0005_outbox")
    pending = known_migrations()[5:]
    result = dienstplan("check", cwd=tmp_path, **_env(emu))
    assert result.returncode == 0
    assert (
        "ok       database d.db: reachable\n"
        f"note     database d.db: {len(pending)} migration(s) pending ({', '.join(pending)}); "
        "`dienstplan run` applies them at start\n"
    ) in result.stdout
    with db.connection_context():
        migration_runner(db).up()
        db.execute_sql("INSERT INTO schema_migration (name, applied) VALUES ('0099_later', '')")
    db.close_all()
    newer = dienstplan("check", cwd=tmp_path, **_env(emu))
    assert newer.returncode == 1
    assert (
        "PROBLEM  database d.db: written by a newer dienstplan (migration 0099_later); upgrade "
        "dienstplan or restore a backup\n"
    ) in newer.stdout


def test_every_event_of_the_manifest_names_the_scope_it_needs() -> None:
    """An event added to the manifest must say here which scope Slack delivers it under."""
    assert set(EVENT_SCOPES) == set(BOT_EVENTS)
    assert {scope for scope in EVENT_SCOPES.values() if scope} <= set(BOT_SCOPES)
