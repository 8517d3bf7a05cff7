"""The command line as an operator sees it: `python dienstplan.py ...` in a subprocess."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.storage.db import known_migrations, migrate, open_database
from tests.emulator import SlackEmulator

ROOT = Path(__file__).resolve().parents[1]


def dienstplan(
    *args: str, cwd: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "dienstplan.py"), *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **env},
        timeout=60,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- the database: read-only commands never create it ---------------------------------------


@pytest.mark.parametrize("args", [("schedules",), ("outbox",), ("outbox", "retry")])
def test_the_listings_do_not_migrate_a_database_the_old_bot_still_runs_on(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    """After an upgrade, `run` of the new version migrates at start; a listing before that
    must leave the schema as the running bot knows it."""
    last = known_migrations()[-1]
    path = migrated(tmp_path / "d.db")
    with sqlite3.connect(path) as connection:
        connection.execute("DELETE FROM schema_migration WHERE name = ?", (last,))
    result = dienstplan(*args, cwd=tmp_path, DIENSTPLAN_DATABASE="d.db")
    assert result.returncode == 2
    assert f"has 1 migration(s) pending ({last}); `dienstplan run` of this version" in (
        result.stderr
    )
    with sqlite3.connect(path) as connection:
        names = {row[0] for row in connection.execute("SELECT name FROM schema_migration")}
    assert last not in names
    (tmp_path / "empty.db").touch()
    result = dienstplan(*args, cwd=tmp_path, DIENSTPLAN_DATABASE="empty.db")
    assert result.returncode == 2 and "migration(s) pending" in result.stderr


def test_schedules_on_a_mistyped_path_fails_and_creates_nothing(tmp_path: Path) -> None:
    result = dienstplan("schedules", cwd=tmp_path, DIENSTPLAN_DATABASE="dienstplna.db")
    assert result.returncode == 2
    assert result.stderr == (
        f"dienstplan: DIENSTPLAN_DATABASE / dienstplan.database: there is no database at "
        f"{tmp_path.resolve() / 'dienstplna.db'}. Check the path; `dienstplan run` and "
        "`dienstplan console` create the database.\n"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [("outbox",), ("outbox", "retry")])
def test_outbox_on_a_mistyped_path_fails_and_creates_nothing(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    result = dienstplan(*args, cwd=tmp_path, DIENSTPLAN_DATABASE="dienstplna.db")
    assert result.returncode == 2
    assert "there is no database at" in result.stderr
    assert list(tmp_path.iterdir()) == []


def migrated(path: Path) -> Path:
    db = open_database(path, create=True)
    migrate(db)
    db.close_all()
    return path


def test_outbox_says_when_nothing_waits(tmp_path: Path) -> None:
    migrated(tmp_path / "d.db")
    result = dienstplan("outbox", cwd=tmp_path, DIENSTPLAN_DATABASE="d.db")
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "Nothing pending or failed.\n",
        "",
    )
    result = dienstplan("outbox", "retry", cwd=tmp_path, DIENSTPLAN_DATABASE="d.db")
    assert (result.returncode, result.stdout) == (0, "No failed messages.\n")


def test_console_says_it_creates_a_database_then_stays_quiet(tmp_path: Path) -> None:
    env = {"DIENSTPLAN_DATABASE": "new/d.db"}
    first = dienstplan("console", cwd=tmp_path, stdin="create x <@U1> duty\n", **env)
    assert first.stderr == f"dienstplan: creating a new database at {tmp_path / 'new/d.db'}\n"
    assert first.stdout.startswith("Created rotation *x*")
    again = dienstplan("console", cwd=tmp_path, stdin="who x\n", **env)
    assert (again.stderr, again.stdout) == ("", "@U1 is on duty for *x*:\nduty\n")


def test_console_ids_are_one_word_and_drop_their_sigil(tmp_path: Path) -> None:
    env = {"DIENSTPLAN_DATABASE": "d.db"}
    for option in (["--user", ""], ["--channel", "a b"], ["--user", "<@U1>"]):
        result = dienstplan("console", *option, cwd=tmp_path, stdin="help\n", **env)
        assert result.returncode == 2 and "is not an id: give one word" in result.stderr
    assert not (tmp_path / "d.db").exists()
    made = dienstplan(
        "console",
        "--channel",
        "#ops",
        "--user",
        "@U9",
        cwd=tmp_path,
        stdin="create x <@U1> d\nabout x\n",
        **env,
    )
    assert "x*, created" in made.stdout and "by @U9" in made.stdout
    assert (
        "@U1 is on duty"
        in dienstplan("console", "--channel", "ops", cwd=tmp_path, stdin="who x\n", **env).stdout
    )


def test_migrations_are_logged_once_by_run(tmp_path: Path) -> None:
    with SlackEmulator() as emu:
        bot = subprocess.Popen(
            [sys.executable, str(ROOT / "dienstplan.py"), "run"],
            cwd=tmp_path,
            env={
                "PATH": "/usr/bin:/bin",
                "SLACK_API_URL": emu.api_url,
                "SLACK_BOT_TOKEN": emu.bot_token,
                "SLACK_APP_TOKEN": emu.app_token,
                "DIENSTPLAN_DATABASE": "d.db",
            },
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 20
            while emu.connects_total == 0 and bot.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            bot.send_signal(signal.SIGTERM)
            _, stderr = bot.communicate(timeout=30)
        finally:
            if bot.poll() is None:
                bot.kill()
                bot.wait(10)
    assert bot.returncode == 0, stderr
    assert stderr.count("0001_initial") == 1, stderr


# --- run: nothing on disk until Slack accepted both tokens; one line per retry --------------


@pytest.mark.parametrize("variable", ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"])
def test_run_with_a_rejected_token_leaves_no_database(tmp_path: Path, variable: str) -> None:
    with SlackEmulator() as emu:
        tokens = {"SLACK_BOT_TOKEN": emu.bot_token, "SLACK_APP_TOKEN": emu.app_token}
        tokens[variable] = "xoxb-wrong-1" if variable == "SLACK_BOT_TOKEN" else "xapp-1-bad"
        result = dienstplan(
            "run",
            cwd=tmp_path,
            SLACK_API_URL=emu.api_url,
            DIENSTPLAN_DATABASE=str(tmp_path / "nd2" / "r.db"),
            **tokens,
        )
    assert result.returncode == 2
    assert result.stderr == (
        f"dienstplan: {variable} was rejected by Slack (invalid_auth). Check that it belongs "
        "to this app and was not revoked; see the README's Slack app setup.\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_unreachable_slack_is_one_warning_per_retry_then_the_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/api/"
    result = dienstplan(
        "run",
        cwd=tmp_path,
        SLACK_API_URL=url,
        SLACK_BOT_TOKEN="xoxb-1-a",
        SLACK_APP_TOKEN="xapp-1-b",
        DIENSTPLAN_STARTUP_TIMEOUT="2s",
    )
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 3, result.stderr
    for line in lines[:2]:
        assert line.endswith(
            f"WARNING dienstplan: {url}auth.test failed: [Errno 111] Connection refused; "
            "retrying in 1 s"
        )
    assert lines[2] == (
        f"dienstplan: could not reach Slack: {url}auth.test failed: [Errno 111] Connection "
        "refused. Gave up after 2 s (DIENSTPLAN_STARTUP_TIMEOUT)."
    )
    assert list(tmp_path.iterdir()) == []


def test_both_missing_tokens_are_reported_at_once(tmp_path: Path) -> None:
    result = dienstplan("run", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert [line.split(".")[0] for line in lines] == [
        "dienstplan: SLACK_BOT_TOKEN is not set",
        "dienstplan: SLACK_APP_TOKEN is not set",
    ]


# --- the config file and options -------------------------------------------------------------


def test_a_directory_as_config_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    result = dienstplan("--config", str(tmp_path), "schedules", cwd=tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr == f"dienstplan: config file {tmp_path} is a directory; name the TOML file.\n"
    )


def test_run_reports_every_config_and_token_problem_at_once(tmp_path: Path) -> None:
    (tmp_path / "unk.toml").write_text(
        '[slack]\nbot_tokn = "x"\n[dienstplan]\nlog_level = "verbose"\n'
    )
    result = dienstplan("run", "--config", "unk.toml", cwd=tmp_path)
    assert result.returncode == 2
    assert [line.split(":")[1] for line in result.stderr.splitlines()] == [
        " unk.toml",
        " DIENSTPLAN_LOG_LEVEL / dienstplan.log_level",
        " SLACK_BOT_TOKEN is not set. It is the Bot User OAuth Token",
        " SLACK_APP_TOKEN is not set. It is an app-level token with the connections",
    ]
    assert list(tmp_path.iterdir()) == [tmp_path / "unk.toml"]


def test_config_after_the_subcommand_and_a_byte_order_mark(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text('\ufeff[dienstplan]\ndatabase = "d.db"\ntimezone = "utc"\n')
    migrated(tmp_path / "d.db")
    result = dienstplan("schedules", "--config", "c.toml", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "No schedules.\n", "")


def test_version_comes_from_the_package() -> None:
    result = dienstplan("--version", cwd=ROOT)
    assert result.stdout.startswith("dienstplan 0.")


def test_version_from_a_source_tree_without_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    from bot import cli

    def not_installed(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    assert cli.package_version().endswith(" (source tree)")


def test_every_subcommand_has_a_one_line_description(tmp_path: Path) -> None:
    from bot.cli import SUBCOMMANDS

    overview = [
        line.split()
        for line in dienstplan("--help", cwd=tmp_path, COLUMNS="80").stdout.splitlines()
    ]
    # A name too long for the column stands on its own line, its summary on the next.
    joined = [
        [*words, *after] if len(words) == 1 else words
        for words, after in zip(overview, [*overview[1:], []], strict=True)
    ]
    for name, summary in SUBCOMMANDS.items():
        assert [name, *summary.split()] in overview + joined, name
        usage = dienstplan(name, "--help", cwd=tmp_path, COLUMNS="80").stdout
        assert f"\n\n{summary[0].upper()}{summary[1:]}.\n\n" in usage


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "the name must not be empty: give 1 to 35 characters"),
        ("  ", "the name must not be empty"),
        ("x" * 36, "the name has 36 characters; Slack allows at most 35"),
        (
            "a\nb",
            "the name contains a line break; Slack allows only a-z, 0-9, `-`, `_` and `.` in "
            "a bot's display name: try a-b",
        ),
        ("on\tcall", "the name contains a tab; Slack allows only a-z, 0-9, `-`, `_` and `.`"),
        ("bot\x07", "the name contains U+0007; Slack allows only"),
        (
            "On Call!",
            "the name contains `O`, a space, `C`, `!`; Slack allows only a-z, 0-9, `-`, `_` "
            "and `.` in a bot's display name: try on-call\n",
        ),
        (
            "\u00fc",
            "the name contains `\u00fc`; Slack allows only a-z, 0-9, `-`, `_` and `.` "
            "in a bot's display name: try u\n",
        ),
        (
            "Caf\u00e9",
            "the name contains `C`, `\u00e9`; Slack allows only a-z, 0-9, `-`, `_` and `.` "
            "in a bot's display name: try cafe\n",
        ),
    ],
)
def test_manifest_refuses_names_slack_refuses(tmp_path: Path, name: str, message: str) -> None:
    result = dienstplan("manifest", "--name", name, cwd=tmp_path)
    assert result.returncode == 2
    assert f"argument --name: {message}" in result.stderr
    assert result.stdout == ""


def test_manifest_drops_whitespace_around_the_name(tmp_path: Path) -> None:
    result = dienstplan("manifest", "--name", "  padded\n", cwd=tmp_path)
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert data["display_information"]["name"] == "padded"
    assert data["features"]["bot_user"]["display_name"] == "padded"


def test_manifest_takes_a_35_character_name(tmp_path: Path) -> None:
    result = dienstplan("manifest", "--name", "x" * 35, cwd=tmp_path)
    assert result.returncode == 0
    assert f'"display_name": "{"x" * 35}"' in result.stdout


def test_ctrl_c_during_start_up_is_one_line_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot import cli

    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "load_config", interrupted)
    assert cli.main(["schedules"]) == 130
    assert capsys.readouterr().err == "dienstplan: interrupted.\n"


# --- export and import ------------------------------------------------------------------------


def test_export_import_round_trip_through_files_and_pipes(tmp_path: Path) -> None:
    source = {"DIENSTPLAN_DATABASE": "a.db"}
    dienstplan("console", cwd=tmp_path, stdin="create web <@U1> <@U2> Wëb duty\n", **source)
    exported = dienstplan("export", "backup.json", cwd=tmp_path, **source)
    assert (exported.returncode, exported.stdout) == (0, "")
    assert exported.stderr == "Exported 3 rows from a.db to backup.json.\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".backup")] == []
    assert (tmp_path / "backup.json").stat().st_mode & 0o777 == 0o600
    target = {"DIENSTPLAN_DATABASE": "restored/b.db"}
    imported = dienstplan("import", "backup.json", cwd=tmp_path, **target)
    assert (imported.returncode, imported.stderr) == (0, "Imported 3 rows into restored/b.db.\n")
    again = dienstplan("export", cwd=tmp_path, **target)
    assert again.stdout == (tmp_path / "backup.json").read_text()
    piped = dienstplan("import", "-", cwd=tmp_path, stdin=again.stdout, DIENSTPLAN_DATABASE="c.db")
    assert piped.returncode == 0
    who = dienstplan("console", cwd=tmp_path, stdin="who web\n", DIENSTPLAN_DATABASE="c.db")
    assert who.stdout.startswith("@U1 is on duty for *web*:\nWëb duty")


def test_import_refuses_a_database_with_rows_unless_replace(tmp_path: Path) -> None:
    dienstplan("console", cwd=tmp_path, stdin="create web <@U1> duty\n", DIENSTPLAN_DATABASE="a.db")
    dienstplan("export", "a.json", cwd=tmp_path, DIENSTPLAN_DATABASE="a.db")
    dienstplan("console", cwd=tmp_path, stdin="create api <@U2> duty\n", DIENSTPLAN_DATABASE="b.db")
    refused = dienstplan("import", "a.json", cwd=tmp_path, DIENSTPLAN_DATABASE="b.db")
    assert (refused.returncode, refused.stderr) == (
        1,
        "dienstplan: not imported: the database already holds 2 rows; import into a new file, "
        "or add --replace to discard them.\n",
    )
    replaced = dienstplan("import", "--replace", "a.json", cwd=tmp_path, DIENSTPLAN_DATABASE="b.db")
    assert replaced.returncode == 0
    listed = dienstplan("console", cwd=tmp_path, stdin="list\n", DIENSTPLAN_DATABASE="b.db")
    assert "web" in listed.stdout and "api" not in listed.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "dienstplan: not imported: cannot read backup.json: No such file or directory.\n"),
        ("not json", "dienstplan: not imported: the file is not JSON: Expecting value"),
        (
            '{"format": "dienstplan-export", "version": 1, "migrations": ["0001_initial", '
            '"0999_later"], "sequences": {}, "tables": {}}',
            "dienstplan: not imported: the export was written by a newer dienstplan (migration "
            f"0999_later, this one knows up to {known_migrations()[-1]}); upgrade dienstplan to "
            "import it.\n",
        ),
    ],
)
def test_import_of_a_bad_file_says_why_and_creates_nothing(
    tmp_path: Path, content: str | None, message: str
) -> None:
    if content is not None:
        (tmp_path / "backup.json").write_text(content)
    result = dienstplan("import", "backup.json", cwd=tmp_path, DIENSTPLAN_DATABASE="new.db")
    assert result.returncode == 1
    assert result.stderr.startswith(message)
    assert not (tmp_path / "new.db").exists()


def test_export_never_creates_a_database_and_keeps_the_old_backup_on_failure(
    tmp_path: Path,
) -> None:
    (tmp_path / "backup.json").write_text("yesterday")
    missing = dienstplan("export", "backup.json", cwd=tmp_path, DIENSTPLAN_DATABASE="nope.db")
    assert missing.returncode == 2
    assert "there is no database at" in missing.stderr
    (tmp_path / "junk.db").write_text("not a database, just text that is long enough" * 100)
    junk = dienstplan("export", "backup.json", cwd=tmp_path, DIENSTPLAN_DATABASE="junk.db")
    assert junk.returncode == 2
    assert "cannot read `junk.db` as the SQLite database: file is not a database" in junk.stderr
    assert (tmp_path / "backup.json").read_text() == "yesterday"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.json", "junk.db"]


# --- log format -------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["before", "after"])
def test_log_format_option_beats_the_environment(tmp_path: Path, where: str) -> None:
    option = ["--log-format", "json"]
    args = [*option, "console"] if where == "before" else ["console", *option]
    env = {"DIENSTPLAN_LOG_LEVEL": "DEBUG", "DIENSTPLAN_LOG_FORMAT": "text"}
    result = dienstplan(*args, cwd=tmp_path, stdin="who web\n", **env)
    lines = [json.loads(line) for line in result.stderr.splitlines()[1:]]  # after "creating"
    (handled,) = [line for line in lines if line["message"].startswith("handled ")]
    assert (handled["command"], handled["outcome"], handled["source"]) == (
        "who",
        "refused",
        "console",
    )


def test_a_bad_log_format_is_refused(tmp_path: Path) -> None:
    result = dienstplan("--log-format", "xml", "console", cwd=tmp_path)
    assert result.returncode == 2
    assert "argument --log-format: invalid choice: 'xml' (choose from" in result.stderr
    result = dienstplan("console", cwd=tmp_path, DIENSTPLAN_LOG_FORMAT="yaml")
    assert result.returncode == 2
    assert "DIENSTPLAN_LOG_FORMAT / dienstplan.log_format: `yaml` is not one of text, json" in (
        result.stderr
    )
