"""Configuration: a TOML file, each key overridable by an environment variable, checked once.

Every problem is reported as one ConfigError that names the key or variable to fix. Token
values never appear in messages.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_API_URL = "https://slack.com/api/"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
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
        Setting("dienstplan", "catch_up_window", "DIENSTPLAN_CATCH_UP_WINDOW", "1h"),
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
    catch_up_window: timedelta

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def require_tokens(self) -> tuple[str, str]:
        """Only `run` needs Slack; the console and the manifest work without tokens."""
        return (
            _check_token("SLACK_BOT_TOKEN", self.bot_token),
            _check_token("SLACK_APP_TOKEN", self.app_token),
        )

    def __repr__(self) -> str:  # keep tokens out of tracebacks and debug output
        return (
            f"Config(api_url={self.api_url!r}, database={str(self.database)!r}, "
            f"timezone={self.timezone!r}, log_level={self.log_level!r}, "
            f"catch_up_window={self.catch_up_window!r})"
        )


def _check_token(variable: str, value: str | None) -> str:
    prefix, how = _TOKEN_HELP[variable]
    if not value:
        raise ConfigError(f"{variable} is not set. It is {how} (it starts with {prefix}).")
    if not value.startswith(prefix) or not re.fullmatch(r"[A-Za-z0-9-]+", value):
        raise ConfigError(
            f"{variable} is malformed: it must start with {prefix} and contain only letters, "
            f"digits and dashes. It is {how}."
        )
    return value


_DURATION = re.compile(r"(\d+)\s*([smhd]?)")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """`90`, `90s`, `30m`, `1h`, `2d`: the catch-up window for missed scheduled runs."""
    match = _DURATION.fullmatch(text.strip().lower())
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)] if match else -1
    if not 0 <= seconds <= 366 * 86400:
        raise ConfigError(
            f"DIENSTPLAN_CATCH_UP_WINDOW / dienstplan.catch_up_window: `{text}` is not a "
            "duration such as 90s, 30m, 1h or 2d, at most a year (0 disables catching up)."
        )
    return timedelta(seconds=seconds)


def config_path(explicit: str | None, env: Mapping[str, str]) -> Path | None:
    """--config, else DIENSTPLAN_CONFIG, else ./config.toml when it exists."""
    if explicit:
        return Path(explicit)
    if env.get("DIENSTPLAN_CONFIG"):
        return Path(env["DIENSTPLAN_CONFIG"])
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.exists() else None


def _read_file(path: Path) -> dict[str, str]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ConfigError(f"config file {path} does not exist.") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {path} is not valid TOML: {error}.") from error
    values: dict[str, str] = {}
    for section, table in data.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: `{section}` must be a [section], see config.example.toml.")
        for key, value in table.items():
            name = f"{section}.{key}"
            if name not in SETTINGS:
                raise ConfigError(f"{path}: unknown setting `{name}`; see config.example.toml.")
            if not isinstance(value, str):
                raise ConfigError(f"{path}: `{name}` must be a string.")
            values[name] = value
    return values


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    env = os.environ if env is None else env
    from_file = _read_file(path) if path else {}
    merged: dict[str, Any] = {}
    for name, setting in SETTINGS.items():
        merged[setting.key] = env.get(setting.env) or from_file.get(name) or setting.default
    timezone = merged["timezone"]
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ConfigError(
            f"DIENSTPLAN_TIMEZONE / dienstplan.timezone: unknown time zone `{timezone}`; "
            "use an IANA name such as Europe/Berlin."
        ) from error
    level = merged["log_level"].upper()
    if level not in LOG_LEVELS:
        raise ConfigError(
            f"DIENSTPLAN_LOG_LEVEL / dienstplan.log_level: `{merged['log_level']}` is not one "
            f"of {', '.join(LOG_LEVELS)}."
        )
    api_url = merged["api_url"]
    if not re.match(r"https?://[^/\s]+", api_url):
        raise ConfigError(
            f"SLACK_API_URL / slack.api_url: `{api_url}` is not an http(s) URL "
            f"(the default is {DEFAULT_API_URL})."
        )
    return Config(
        catch_up_window=parse_duration(merged["catch_up_window"]),
        bot_token=merged["bot_token"],
        app_token=merged["app_token"],
        api_url=api_url if api_url.endswith("/") else api_url + "/",
        database=Path(merged["database"]).expanduser(),
        timezone=timezone,
        log_level=level,
    )


_SECRET = re.compile(r"\bx(?:ox[a-z]|app)-[A-Za-z0-9-]+")


class RedactTokens(logging.Filter):
    """Belt and braces: no log line may carry a Slack token, whatever library wrote it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _SECRET.search(message):
            record.msg = _SECRET.sub("[redacted]", message)
            record.args = None
        return True


def setup_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
