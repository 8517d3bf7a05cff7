import json
import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import ConfigError, config_path, load_config
from bot.core.commands import DOCS_URL
from bot.storage.urls import redact_url

GOOD = {"SLACK_BOT_TOKEN": "xoxb-1-abc", "SLACK_APP_TOKEN": "xapp-1-A1-def"}


def test_defaults() -> None:
    config = load_config(None, {})
    assert config.api_url == "https://slack.com/api/"
    assert config.database == Path("dienstplan.db")
    assert (config.timezone, config.log_level) == ("UTC", "INFO")


def test_file_then_environment_override(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        '[slack]\napi_url = "http://127.0.0.1:9/api"\n'
        '[dienstplan]\ntimezone = "Europe/Berlin"\ndatabase = "/tmp/x.db"\n'
    )
    config = load_config(path, {"DIENSTPLAN_TIMEZONE": "America/New_York"})
    assert config.api_url == "http://127.0.0.1:9/api/"
    assert config.timezone == "America/New_York"
    assert config.database == Path("/tmp/x.db")


def test_example_config_is_valid_and_complete() -> None:
    from bot.config import SETTINGS

    example = Path(__file__).parent.parent / "config.example.toml"
    load_config(example, {})
    text = example.read_text()
    for setting in SETTINGS.values():
        assert setting.key in text and setting.env in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[slack]\nbot_tokn = 'x'\n", "unknown setting `slack.bot_tokn`"),
        ("[dienstplan]\ntimezone = 5\n", "`dienstplan.timezone` must be a string"),
        ("[dienstplan\n", "not valid TOML"),
        ("[dienstplan]\ntimezone = 'Mars/Base'\n", "unknown time zone `Mars/Base`"),
        ("[dienstplan]\nlog_level = 'chatty'\n", "DIENSTPLAN_LOG_LEVEL"),
        ("[slack]\napi_url = 'slack.com'\n", "SLACK_API_URL"),
        ("[dienstplan]\ncatch_up_window = 'soon'\n", "DIENSTPLAN_CATCH_UP_WINDOW"),
        ("[dienstplan]\ncatch_up_window = '99999999999999999999d'\n", "at most a year"),
        ("[dienstplan]\ncatch_up_window = '1'\n", "`1` has no unit; add one of s, m, h or d"),
        ("[dienstplan]\nstartup_timeout = '1'\n", "DIENSTPLAN_STARTUP_TIMEOUT / dienstplan"),
    ],
)
def test_bad_files_name_the_key(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_config(path, {})


def test_every_problem_in_the_file_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "unk.toml"
    path.write_text(
        '[slack]\nbot_tokn = "x"\n[dienstplan]\nlog_level = "verbose"\napi_url = "x"\n'
        'startup_timeout = 30\ntimezone = "Mars/Base"\n'
    )
    with pytest.raises(ConfigError) as error:
        load_config(path, {"DIENSTPLAN_CATCH_UP_WINDOW": "soon"})
    assert str(error.value).splitlines() == [
        f"{path}: unknown setting `slack.bot_tokn` (did you mean `slack.bot_token`?); "
        "see config.example.toml.",
        f"{path}: unknown setting `dienstplan.api_url` (did you mean `slack.api_url`?); "
        "see config.example.toml.",
        f"{path}: `dienstplan.startup_timeout` must be a string, in quotes: "
        'startup_timeout = "...".',
        "DIENSTPLAN_TIMEZONE / dienstplan.timezone: unknown time zone `Mars/Base`; use an IANA "
        "name such as Europe/Berlin, or UTC.",
        "DIENSTPLAN_LOG_LEVEL / dienstplan.log_level: `verbose` is not one of DEBUG, INFO, "
        "WARNING, ERROR, CRITICAL.",
        "DIENSTPLAN_CATCH_UP_WINDOW / dienstplan.catch_up_window: `soon` is not a duration: "
        "write a number and one of s, m, h or d (seconds, minutes, hours, days), as in 90s, "
        "30m, 1h or 2d; at most a year, 0 for none.",
    ]


def test_token_problems_come_with_the_other_problems_when_run_needs_them(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[slack]\nbot_token = "xoxb-1/secret"\nap_token = "xapp-1-a"\n')
    with pytest.raises(ConfigError) as error:
        load_config(path, {"DIENSTPLAN_LOG_LEVEL": "loud"}, tokens=True)
    assert [line.split(":")[0] for line in str(error.value).splitlines()] == [
        str(path),
        "DIENSTPLAN_LOG_LEVEL / dienstplan.log_level",
        f"`slack.bot_token` in {path} (SLACK_BOT_TOKEN) is malformed",
        "SLACK_APP_TOKEN is not set. It is an app-level token with the connections",
    ]
    assert "secret" not in str(error.value)
    with pytest.raises(ConfigError) as error:  # the console and `schedules` need no tokens
        load_config(path, {"DIENSTPLAN_LOG_LEVEL": "loud"})
    assert len(str(error.value).splitlines()) == 2


def test_missing_file() -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(Path("/nonexistent/c.toml"), {})


def test_a_directory_is_not_a_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=f"config file {tmp_path} is a directory"):
        load_config(tmp_path, {})


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_bytes(b'\xef\xbb\xbf[dienstplan]\ntimezone = "Europe/Berlin"\n')
    assert load_config(path, {}).timezone == "Europe/Berlin"


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_bytes(b'[dienstplan]\ntimezone = "\xff"\n')
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        load_config(path, {})


@pytest.mark.parametrize(
    ("name", "zone"),
    [("utc", "UTC"), ("Utc", "UTC"), ("europe/berlin", "Europe/Berlin"), ("UTC", "UTC")],
)
def test_zone_names_ignore_case(name: str, zone: str) -> None:
    assert load_config(None, {"DIENSTPLAN_TIMEZONE": name}).timezone == zone


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "SLACK_BOT_TOKEN is not set.*\n.*SLACK_APP_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "^SLACK_APP_TOKEN is not set"),
        (
            {**GOOD, "SLACK_BOT_TOKEN": "xapp-secret-1"},
            "SLACK_BOT_TOKEN holds an xapp- token, which belongs in SLACK_APP_TOKEN: are the "
            "tokens swapped",
        ),
        (
            {**GOOD, "SLACK_APP_TOKEN": "xoxb-secret-1"},
            "SLACK_APP_TOKEN holds an xoxb- token, which belongs in SLACK_BOT_TOKEN",
        ),
        (
            {"SLACK_BOT_TOKEN": "xapp-secret-1", "SLACK_APP_TOKEN": "xoxb-secret-2"},
            "^SLACK_BOT_TOKEN and SLACK_APP_TOKEN are swapped: the xoxb- token belongs in "
            "SLACK_BOT_TOKEN, the xapp- token in SLACK_APP_TOKEN.$",
        ),
        ({**GOOD, "SLACK_BOT_TOKEN": "xoxb-1/secret"}, "SLACK_BOT_TOKEN is malformed"),
        ({**GOOD, "SLACK_APP_TOKEN": "xapp-1 secret"}, "SLACK_APP_TOKEN is malformed"),
    ],
)
def test_token_errors_name_the_variable_and_hide_the_value(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as error:
        load_config(None, env).require_tokens()
    assert "secret" not in str(error.value)


def test_a_bad_token_in_the_file_names_the_key_and_the_variable(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[slack]\nbot_token = "xoxb-1/secret"\napp_token = "xapp-1-A1-def"\n')
    with pytest.raises(ConfigError) as error:
        load_config(path, {}).require_tokens()
    assert str(error.value).startswith(
        f"`slack.bot_token` in {path} (SLACK_BOT_TOKEN) is malformed: it must start with xoxb-"
    )
    # the environment wins, and then it is the variable that needs fixing
    with pytest.raises(ConfigError, match=r"^SLACK_BOT_TOKEN is malformed"):
        load_config(path, {"SLACK_BOT_TOKEN": "xoxb-2/secret"}).require_tokens()


def test_config_repr_hides_tokens() -> None:
    assert "xoxb" not in repr(load_config(None, GOOD))
    assert load_config(None, GOOD).require_tokens() == ("xoxb-1-abc", "xapp-1-A1-def")


def test_a_postgresql_url_selects_postgresql_and_its_password_is_never_shown(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.config import setup_logging

    url = "postgresql://bot:s3cr%40t@db.example.com:5432/dienstplan"
    config = load_config(None, {"DIENSTPLAN_DATABASE": url})
    assert (config.database_target, config.database_engine) == (url, "PostgreSQL")
    assert config.database_shown == "postgresql://bot:***@db.example.com:5432/dienstplan"
    assert "s3cr" not in repr(config)
    for odd in ("postgresql://bot:s3cr@t@h/db", "postgresql://bot@h/db?password=s3cr&x=1"):
        assert "s3cr" not in redact_url(f"see {odd} now")
    sqlite = load_config(None, {"DIENSTPLAN_DATABASE": "./x.db"})
    assert (sqlite.database_target, sqlite.database_engine) == (Path("x.db"), "SQLite")
    for log_format in ("text", "json"):
        setup_logging("INFO", log_format=log_format)
        logging.getLogger("bot.test").warning("cannot reach %s", url)
        assert "s3cr" not in capsys.readouterr().err
    setup_logging("INFO")


def test_config_path_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert config_path(None, {}) is None
    (tmp_path / "config.toml").write_text("")
    assert config_path(None, {}) == Path("config.toml")
    assert config_path(None, {"DIENSTPLAN_CONFIG": "/a.toml"}) == Path("/a.toml")
    assert config_path("/b.toml", {"DIENSTPLAN_CONFIG": "/a.toml"}) == Path("/b.toml")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0", 0), ("90s", 90), ("30m", 1800), ("1h", 3600), ("2d", 172800), (" 2 H ", 7200)],
)
def test_durations(text: str, seconds: int) -> None:
    from bot.config import parse_duration

    assert parse_duration(text, "dienstplan.catch_up_window").total_seconds() == seconds


def test_startup_timeout() -> None:
    assert load_config(None, {}).startup_timeout.total_seconds() == 30
    config = load_config(None, {"DIENSTPLAN_STARTUP_TIMEOUT": "5m"})
    assert config.startup_timeout.total_seconds() == 300


def test_log_format_is_text_or_json() -> None:
    assert load_config(None, {}).log_format == "text"
    assert load_config(None, {"DIENSTPLAN_LOG_FORMAT": "JSON"}).log_format == "json"
    with pytest.raises(ConfigError, match=r"DIENSTPLAN_LOG_FORMAT / dienstplan\.log_format: `xml`"):
        load_config(None, {"DIENSTPLAN_LOG_FORMAT": "xml"})


@pytest.fixture
def root_logger() -> Iterator[None]:
    """setup_logging replaces the root logger's handlers (pytest's capture among them) and
    the exception hooks; all are put back after."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, sys.excepthook, threading.excepthook)
    try:
        yield
    finally:
        logging.captureWarnings(False)
        root.handlers[:], _, sys.excepthook, threading.excepthook = saved
        root.setLevel(saved[1])


@pytest.mark.usefixtures("root_logger")
def test_json_lines_carry_the_fields_and_no_token(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.config import setup_logging

    setup_logging("INFO", log_format="json", secrets=("odd-token", None))
    log = logging.getLogger("bot.test")
    log.info("handled %s", "who", extra={"channel": "C1", "ms": 1.5, "note": "odd-token"})
    try:
        raise RuntimeError("Slack said no to xoxb-123-secret")
    except RuntimeError:
        log.exception("posting with xapp-1-abc failed")
    first, second = (json.loads(line) for line in capsys.readouterr().err.splitlines())
    assert first["message"] == "handled who" and first["level"] == "INFO"
    assert (first["channel"], first["ms"], first["logger"]) == ("C1", 1.5, "bot.test")
    assert first["note"] == "[redacted]"
    assert first["time"].endswith("+00:00")
    assert second["message"] == "posting with [redacted] failed"
    assert "RuntimeError: Slack said no to [redacted]" in second["exception"]
    setup_logging("INFO")
    try:
        raise RuntimeError("Slack said no to xoxb-123-secret")
    except RuntimeError:
        log.exception("text format too")
    assert "xoxb" not in capsys.readouterr().err


def test_docs_url() -> None:
    assert load_config(None, {}).docs_url == DOCS_URL
    custom = load_config(None, {"DIENSTPLAN_DOCS_URL": "https://wiki.example.com/on-call?x=1"})
    assert custom.docs_url == "https://wiki.example.com/on-call?x=1"
    with pytest.raises(ConfigError, match=r"DIENSTPLAN_DOCS_URL / dienstplan\.docs_url: `wiki`"):
        load_config(None, {"DIENSTPLAN_DOCS_URL": "wiki"})


def test_open_permissions_is_a_boolean(tmp_path: Path) -> None:
    assert load_config(None, {}).open_permissions is False
    assert load_config(None, {"DIENSTPLAN_OPEN_PERMISSIONS": "Yes"}).open_permissions is True
    file = tmp_path / "c.toml"
    file.write_text("[dienstplan]\nopen_permissions = true\n")
    assert load_config(file, {}).open_permissions is True
    with pytest.raises(ConfigError, match="`maybe` is not true or false"):
        load_config(None, {"DIENSTPLAN_OPEN_PERMISSIONS": "maybe"})
