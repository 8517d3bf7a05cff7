"""Configuration: a TOML file, each key overridable by an environment variable, checked once.

All problems are reported together as one ConfigError, one line each, that names the key or
variable to fix. Token
values never appear in messages.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.core.commands import DOCS_URL
from bot.storage.urls import is_postgres_url, redact_url

DEFAULT_API_URL = "https://slack.com/api/"
_HTTP_URL = re.compile(r"https?://[^/\s]+\S*")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")
DEFAULT_CONFIG_FILE = Path("config.toml")


class ConfigError(Exception):
    """A setting is missing or wrong; the message says which and how to fix it."""


@dataclass(frozen=True)
class Setting:
    section: str
    key: str
    env: str
    default: str | None

    @property
    def name(self) -> str:
        return f"{self.section}.{self.key}"


SETTINGS = {
    s.name: s
    for s in (
        Setting("slack", "bot_token", "SLACK_BOT_TOKEN", None),
        Setting("slack", "app_token", "SLACK_APP_TOKEN", None),
        Setting("slack", "api_url", "SLACK_API_URL", DEFAULT_API_URL),
        Setting("dienstplan", "database", "DIENSTPLAN_DATABASE", "./dienstplan.db"),
        Setting("dienstplan", "timezone", "DIENSTPLAN_TIMEZONE", "UTC"),
        Setting("dienstplan", "log_level", "DIENSTPLAN_LOG_LEVEL", "INFO"),
        Setting("dienstplan", "log_format", "DIENSTPLAN_LOG_FORMAT", "text"),
        Setting("dienstplan", "catch_up_window", "DIENSTPLAN_CATCH_UP_WINDOW", "1h"),
        Setting("dienstplan", "startup_timeout", "DIENSTPLAN_STARTUP_TIMEOUT", "30s"),
        Setting("dienstplan", "docs_url", "DIENSTPLAN_DOCS_URL", DOCS_URL),
        Setting("dienstplan", "open_permissions", "DIENSTPLAN_OPEN_PERMISSIONS", "false"),
    )
}

_TOKEN_HELP = {
    "SLACK_BOT_TOKEN": (
        "xoxb-",
        "the Bot User OAuth Token: create the app from the manifest that `dienstplan manifest` "
        "prints, install it to your workspace, and copy the token from "
        "OAuth & Permissions",
    ),
    "SLACK_APP_TOKEN": (
        "xapp-",
        "an app-level token with the connections:write scope: in the app's Basic Information "
        "page, under App-Level Tokens, generate one",
    ),
}


@dataclass(frozen=True)
class Config:
    bot_token: str | None
    app_token: str | None
    api_url: str
    database: Path
    timezone: str
    log_level: str
    log_format: str
    catch_up_window: timedelta
    startup_timeout: timedelta
    docs_url: str
    file: Path | None
    from_file: frozenset[str]  # the variables whose value came from `file`
    open_permissions: bool = False
    database_url: str | None = None  # PostgreSQL, password included; `database` unused then

    @property
    def database_target(self) -> str | Path:
        """What open_database() takes: the PostgreSQL URL, or the SQLite file."""
        return self.database_url or self.database

    @property
    def database_engine(self) -> str:
        return "PostgreSQL" if self.database_url else "SQLite"

    @property
    def database_shown(self) -> str:
        """The database for messages and logs: a URL's password never appears."""
        return redact_url(self.database_url) if self.database_url else str(self.database)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def label(self, variable: str) -> str:
        """Where a value came from: a bad token in the file must be fixed in the file."""
        if variable not in self.from_file:
            return variable
        setting = next(s for s in SETTINGS.values() if s.env == variable)
        return f"`{setting.name}` in {self.file} ({variable})"

    def require_tokens(self) -> tuple[str, str]:
        """Only `run` needs Slack; the console and the manifest work without tokens."""
        problems = self.token_problems()
        if problems:
            raise ConfigError("\n".join(problems))
        return self.bot_token or "", self.app_token or ""

    def token_problems(self) -> list[str]:
        """Every token problem at once, so one edit fixes them all."""
        bot, app = self.bot_token or "", self.app_token or ""
        if bot.startswith("xapp-") and app.startswith("xoxb-"):
            return [
                f"{self.label('SLACK_BOT_TOKEN')} and {self.label('SLACK_APP_TOKEN')} are "
                "swapped: the xoxb- token belongs in SLACK_BOT_TOKEN, the xapp- token in "
                "SLACK_APP_TOKEN."
            ]
        problems = (
            self._token_problem("SLACK_BOT_TOKEN", bot),
            self._token_problem("SLACK_APP_TOKEN", app),
        )
        return [problem for problem in problems if problem]

    def _token_problem(self, variable: str, value: str) -> str | None:
        prefix, how = _TOKEN_HELP[variable]
        other = next(v for v in _TOKEN_HELP if v != variable)
        other_prefix = _TOKEN_HELP[other][0]
        if not value:
            return f"{variable} is not set. It is {how} (it starts with {prefix})."
        if value.startswith(other_prefix):
            return (
                f"{self.label(variable)} holds an {other_prefix} token, which belongs in "
                f"{other}: are the tokens swapped? {variable} is {how} (it starts with "
                f"{prefix})."
            )
        if not value.startswith(prefix) or not re.fullmatch(r"[A-Za-z0-9-]+", value):
            return (
                f"{self.label(variable)} is malformed: it must start with {prefix} and contain "
                f"only letters, digits and dashes. It is {how}."
            )
        return None

    def __repr__(self) -> str:  # keep tokens out of tracebacks and debug output
        return (
            f"Config(api_url={self.api_url!r}, database={self.database_shown!r}, "
            f"timezone={self.timezone!r}, log_level={self.log_level!r}, "
            f"log_format={self.log_format!r}, "
            f"catch_up_window={self.catch_up_window!r}, "
            f"startup_timeout={self.startup_timeout!r}, docs_url={self.docs_url!r}, "
            f"open_permissions={self.open_permissions!r})"
        )


_BOOLEANS = {"dienstplan.open_permissions"}
_BOOLEAN_WORDS = {
    **dict.fromkeys(("true", "yes", "on", "1"), True),
    **dict.fromkeys(("false", "no", "off", "0"), False),
}
_DURATION = re.compile(r"(\d+)\s*([smhd]?)")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_UNITS = "s, m, h or d (seconds, minutes, hours, days), as in 90s, 30m, 1h or 2d"


def parse_duration(text: str, setting: str) -> timedelta:
    """`90s`, `30m`, `1h`, `2d`, or `0`. A bare `1` is refused: an hour or a second?"""
    where = f"{SETTINGS[setting].env} / {setting}"
    match = _DURATION.fullmatch(text.strip().lower())
    if match and not match.group(2) and int(match.group(1)) != 0:
        raise ConfigError(f"{where}: `{text}` has no unit; add one of {_UNITS}.")
    seconds = int(match.group(1)) * _UNIT_SECONDS.get(match.group(2), 1) if match else -1
    if not 0 <= seconds <= 366 * 86400:
        raise ConfigError(
            f"{where}: `{text}` is not a duration: write a number and one of {_UNITS}; "
            "at most a year, 0 for none."
        )
    return timedelta(seconds=seconds)


def canonical_zone(name: str) -> str | None:
    """The IANA key for `name`, ignoring case (`utc`, `europe/berlin`); None if unknown."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return {key.lower(): key for key in available_timezones()}.get(name.lower())
    return name


def config_path(explicit: str | None, env: Mapping[str, str]) -> Path | None:
    """--config, else DIENSTPLAN_CONFIG, else ./config.toml when it exists."""
    if explicit:
        return Path(explicit)
    if env.get("DIENSTPLAN_CONFIG"):
        return Path(env["DIENSTPLAN_CONFIG"])
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.exists() else None


def _read_file(path: Path) -> tuple[dict[str, str], list[str]]:
    """The file's settings and its problems; a file that cannot be read or parsed at all is
    its only problem, raised at once."""
    import tomllib  # here: most deployments have no file, and it costs the bot 0.1 MiB

    try:
        # utf-8-sig: editors on Windows start files with a byte-order mark, which TOML refuses.
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as error:
        raise ConfigError(f"config file {path} does not exist.") from error
    except IsADirectoryError as error:
        raise ConfigError(f"config file {path} is a directory; name the TOML file.") from error
    except OSError as error:
        raise ConfigError(f"config file {path} cannot be read: {error.strerror}.") from error
    except UnicodeDecodeError as error:
        raise ConfigError(f"config file {path} is not UTF-8 text: {error.reason}.") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {path} is not valid TOML: {error}.") from error
    values: dict[str, str] = {}
    problems: list[str] = []
    for section, table in data.items():
        if not isinstance(table, dict):
            problems.append(f"{path}: `{section}` must be a [section], see config.example.toml.")
            continue
        for key, value in table.items():
            name = f"{section}.{key}"
            if name not in SETTINGS:
                problems.append(
                    f"{path}: unknown setting `{name}`{_did_you_mean(name)}; "
                    "see config.example.toml."
                )
            elif isinstance(value, bool) and name in _BOOLEANS:
                values[name] = str(value).lower()
            elif not isinstance(value, str):
                problems.append(f'{path}: `{name}` must be a string, in quotes: {key} = "...".')
            else:
                values[name] = value
    return values, problems


def _did_you_mean(name: str) -> str:
    """A typo (`slack.bot_tokn`) or a key in the wrong section (`dienstplan.api_url`)."""
    import difflib  # here: only a typo needs it, and it costs the bot 0.15 MiB

    key = name.partition(".")[2]
    close = [n for n, s in SETTINGS.items() if s.key == key] or difflib.get_close_matches(
        name, SETTINGS, n=1
    )
    return f" (did you mean `{close[0]}`?)" if close else ""


def load_config(
    path: Path | None = None, env: Mapping[str, str] | None = None, *, tokens: bool = False
) -> Config:
    """Every problem in the file and the environment is reported at once, one line each;
    `tokens` adds the token checks, for `run`."""
    env = os.environ if env is None else env
    from_file, problems = _read_file(path) if path else ({}, [])
    merged: dict[str, Any] = {}
    for name, setting in SETTINGS.items():
        merged[setting.key] = env.get(setting.env) or from_file.get(name) or setting.default
    timezone = canonical_zone(merged["timezone"])
    if timezone is None:
        problems.append(
            f"DIENSTPLAN_TIMEZONE / dienstplan.timezone: unknown time zone "
            f"`{merged['timezone']}`; use an IANA name such as Europe/Berlin, or UTC."
        )
    level = merged["log_level"].upper()
    if level not in LOG_LEVELS:
        problems.append(
            f"DIENSTPLAN_LOG_LEVEL / dienstplan.log_level: `{merged['log_level']}` is not one "
            f"of {', '.join(LOG_LEVELS)}."
        )
    log_format = merged["log_format"].strip().lower()
    if log_format not in LOG_FORMATS:
        problems.append(
            f"DIENSTPLAN_LOG_FORMAT / dienstplan.log_format: `{merged['log_format']}` is not "
            f"one of {', '.join(LOG_FORMATS)}."
        )
    api_url = merged["api_url"]
    if not re.match(r"https?://[^/\s]+", api_url):
        problems.append(
            f"SLACK_API_URL / slack.api_url: `{api_url}` is not an http(s) URL "
            f"(the default is {DEFAULT_API_URL})."
        )
    docs_url = merged["docs_url"]
    if not _HTTP_URL.fullmatch(docs_url):
        problems.append(
            f"DIENSTPLAN_DOCS_URL / dienstplan.docs_url: `{docs_url}` is not an http(s) URL "
            f"(the default is {DOCS_URL})."
        )
    open_permissions = _BOOLEAN_WORDS.get(merged["open_permissions"].strip().lower())
    if open_permissions is None:
        problems.append(
            f"DIENSTPLAN_OPEN_PERMISSIONS / dienstplan.open_permissions: "
            f"`{merged['open_permissions']}` is not true or false."
        )
    durations: dict[str, timedelta] = {}
    for key in ("catch_up_window", "startup_timeout"):
        try:
            durations[key] = parse_duration(merged[key], f"dienstplan.{key}")
        except ConfigError as error:
            problems.append(str(error))
            durations[key] = timedelta(0)
    config = Config(
        catch_up_window=durations["catch_up_window"],
        startup_timeout=durations["startup_timeout"],
        bot_token=merged["bot_token"],
        app_token=merged["app_token"],
        api_url=api_url if api_url.endswith("/") else api_url + "/",
        docs_url=docs_url,
        database=Path(merged["database"]).expanduser(),
        database_url=merged["database"] if is_postgres_url(merged["database"]) else None,
        timezone=timezone or "UTC",
        log_level=level if level in LOG_LEVELS else "INFO",
        log_format=log_format if log_format in LOG_FORMATS else "text",
        open_permissions=bool(open_permissions),
        file=path,
        from_file=frozenset(
            s.env for name, s in SETTINGS.items() if name in from_file and not env.get(s.env)
        ),
    )
    if tokens:
        problems += config.token_problems()
    if problems:
        raise ConfigError("\n".join(problems))
    return config


_SECRET = re.compile(r"\bx(?:ox[a-z]|app)-[A-Za-z0-9-]+")
REDACTED = "[redacted]"


def redact(text: str, secrets: Collection[str] = ()) -> str:
    """The text without Slack tokens: anything shaped like one, and the configured values
    (an emulator's or a test's token need not look like Slack's)."""
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return redact_url(_SECRET.sub(REDACTED, text))


class RedactingFormatter(logging.Formatter):
    """Redacts the whole formatted line, so a token in an argument, an exception's message,
    a traceback or a library's debug dump of request headers never reaches the log."""

    def __init__(self, fmt: str, secrets: Collection[str] = ()) -> None:
        super().__init__(fmt)
        # Longest first, so a token containing another is replaced whole.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self._secrets)


# Libraries whose lines only repeat what our own code logs; shown at DEBUG only.
_REPEATING_LOGGERS = (
    "peewee.migrations",  # "up: 0001_initial" next to bot.storage.db's "applied migration"
    # every failed or retried Web API call, as ERROR and INFO; the failure that remains after
    # the retries is raised to our code, which reports it once (with its own retry count).
    "slack_sdk.web.base_client",
)


class JsonLines(RedactingFormatter):
    """One JSON object per line: time, level, logger, message, the fields a caller passed
    as `extra` (a handled command's channel, command, outcome, ms), and any traceback;
    redacted as the text lines are."""

    _STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
        "message",
        "asctime",
    }

    def __init__(self, secrets: Collection[str] = ()) -> None:
        super().__init__("%(message)s", secrets)

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update((k, v) for k, v in vars(record).items() if k not in self._STANDARD)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(line, ensure_ascii=False, default=str), self._secrets)


def setup_logging(
    level: str,
    *,
    quiet: bool = False,
    secrets: Collection[str | None] = (),
    log_format: str = "text",
) -> None:
    """`quiet` (console, operator commands): warnings and errors only, unless DEBUG is set;
    INFO is the level the long-running service logs at.

    Everything that would print on its own goes through this handler too, so it is redacted:
    warnings, and exceptions nobody caught (in the main thread or another)."""
    if quiet and level == "INFO":
        level = "WARNING"
    handler = logging.StreamHandler()
    known = [s for s in secrets if s]
    handler.setFormatter(
        JsonLines(known)
        if log_format == "json"
        else RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", known)
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _REPEATING_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if level == "DEBUG" else logging.CRITICAL)
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread


def _log_uncaught(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    logging.getLogger("dienstplan").critical("uncaught exception", exc_info=(kind, error, trace))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None or isinstance(args.exc_value, SystemExit):
        return
    thread = args.thread.name if args.thread else "?"
    logging.getLogger("dienstplan").critical(
        "uncaught exception in thread %s",
        thread,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )
