"""`dienstplan check`: is this installation ready to run? Config, Slack app, database.

Each finding is one line, `ok`, `PROBLEM` or `note`, in words an operator can act on; the
exit status is 1 when there is a problem. It changes nothing: no database is created or
migrated, and the Socket Mode URL Slack hands out is left unused.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from peewee import DatabaseError
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.config import Config, ConfigError, load_config
from bot.slack.client import make_web_client
from bot.slack.manifest import BOT_EVENTS, BOT_SCOPES
from bot.storage.db import (
    DatabaseMissing,
    applied_migrations,
    known_migrations,
    open_database,
)
from bot.storage.urls import redact_url

# The scope without which Slack does not deliver an event to the bot at all (None: the bot
# user is enough).
EVENT_SCOPES: dict[str, str | None] = {
    "app_mention": "app_mentions:read",
    "message.im": "im:history",
    "member_joined_channel": "channels:read",
    "user_change": "users:read",
    "team_join": "users:read",
    "app_home_opened": None,
}
SCOPES_WHERE = "add them under OAuth & Permissions → Scopes, then reinstall the app"


@dataclass
class Report:
    out: TextIO
    problems: int = 0

    def ok(self, text: str) -> None:
        print(f"ok       {text}", file=self.out)

    def problem(self, text: str) -> None:
        self.problems += 1
        print(f"PROBLEM  {text}", file=self.out)

    def note(self, text: str) -> None:
        print(f"note     {text}", file=self.out)


def run_check(path: Path | None, env: Mapping[str, str], out: TextIO) -> int:
    report = Report(out)
    try:
        config = load_config(path, env, tokens=True)  # every problem `run` would report
    except ConfigError as error:
        for line in str(error).splitlines():
            report.problem(f"configuration: {line}")
        print(
            f"{report.problems} problem(s); the Slack app and the database were not checked.",
            file=out,
        )
        return 1
    source = f"{config.file} and the environment" if config.file else "the environment"
    report.ok(f"configuration: read from {source}")
    _check_slack(config, report)
    _check_database(config.database_target, report)
    if report.problems:
        print(f"{report.problems} problem(s).", file=out)
        return 1
    print("Everything dienstplan needs is in place.", file=out)
    return 0


def _call(
    report: Report, what: str, url: str, call: Callable[[], SlackResponse]
) -> SlackResponse | None:
    """The answer, or None with the reason reported: rejected, or not reachable."""
    try:
        return call()
    except SlackApiError as error:
        code = error.response.get("error", "unknown") if error.response else "unknown"
        report.problem(f"{what}: Slack refused it ({code}); check the token belongs to this app")
    except OSError as error:  # urllib's URLError wraps the socket error in `reason`
        report.problem(f"{what}: cannot reach {url}: {getattr(error, 'reason', error)}")
    return None


def _check_slack(config: Config, report: Report) -> None:
    bot = make_web_client(config.bot_token or "", config.api_url, retries=False)
    identity = _call(
        report,
        f"bot token ({config.label('SLACK_BOT_TOKEN')})",
        f"{config.api_url}auth.test",
        bot.auth_test,
    )
    if identity is not None:
        report.ok(
            f"bot token: Slack knows it as {identity['user']} ({identity['user_id']}) "
            f"in {identity.get('team')}"
        )
        _check_scopes(identity, report)
    app_token = config.app_token or ""
    app = make_web_client(app_token, config.api_url, retries=False)
    opened = _call(
        report,
        f"app token ({config.label('SLACK_APP_TOKEN')})",
        f"{config.api_url}apps.connections.open",
        lambda: app.apps_connections_open(app_token=app_token),
    )
    if opened is not None:
        report.ok("app token: Slack opens Socket Mode connections for it")


def _check_scopes(identity: SlackResponse, report: Report) -> None:
    """Slack names the token's scopes in a header of every answer; the event subscriptions
    it does not show to a bot token, so an event counts as missing when its scope is."""
    headers = {key.lower(): value for key, value in identity.headers.items()}
    if "x-oauth-scopes" not in headers:
        report.note("scopes: Slack's answer did not name the token's scopes; not checked")
        return
    granted = {scope.strip() for scope in headers["x-oauth-scopes"].split(",") if scope.strip()}
    missing = [scope for scope in BOT_SCOPES if scope not in granted]
    if missing:
        report.problem(f"scopes: the app lacks {', '.join(missing)}: {SCOPES_WHERE}")
    else:
        report.ok(f"scopes: all {len(BOT_SCOPES)} the bot uses are granted")
    needs = {event: scope for event in BOT_EVENTS if (scope := EVENT_SCOPES.get(event))}
    deaf = {event: scope for event, scope in needs.items() if scope not in granted}
    if deaf:
        shown = ", ".join(f"{event} (needs {scope})" for event, scope in deaf.items())
        report.problem(f"events: Slack cannot deliver {shown}")
    report.note(
        "events: Slack does not show a bot token its event subscriptions; make sure Event "
        f"Subscriptions lists {', '.join(BOT_EVENTS)} (`dienstplan manifest` has them)"
    )


def _check_database(target: str | Path, report: Report) -> None:
    """Reachable: it opens and reads as SQLite (or PostgreSQL accepts the connection). Migrated:
    every migration this version has is applied; pending ones are a note, since `run` applies
    them at start."""
    where = f"database {redact_url(str(target)) if isinstance(target, str) else target}"
    engine = "PostgreSQL" if isinstance(target, str) else "SQLite"
    try:
        db = open_database(target, create=False)
    except DatabaseMissing:
        assert isinstance(target, Path)
        path = target
        parent = path.expanduser().resolve().parent
        existing = next((p for p in (parent, *parent.parents) if p.exists()), parent)
        if os.access(existing, os.W_OK | os.X_OK):
            report.ok(f"{where}: none yet; `dienstplan run` creates it")
        else:
            report.problem(f"{where}: none yet, and {existing} is not writable to create it")
        return
    try:
        with db.connection_context():
            applied = set(applied_migrations(db))
    except DatabaseError as error:
        report.problem(f"{where}: cannot be read as {engine}: {redact_url(str(error)).strip()}")
        return
    finally:
        db.close_all()
    known = known_migrations()
    unknown = sorted(applied - set(known))
    pending = [name for name in known if name not in applied]
    if unknown:
        report.problem(
            f"{where}: written by a newer dienstplan (migration {unknown[-1]}); upgrade "
            "dienstplan or restore a backup"
        )
    elif pending:
        report.ok(f"{where}: reachable")
        report.note(
            f"{where}: {len(pending)} migration(s) pending ({', '.join(pending)}); "
            "`dienstplan run` applies them at start"
        )
    else:
        report.ok(f"{where}: reachable and migrated ({known[-1]})")
