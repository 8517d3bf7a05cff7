"""Composition root: the only module that wires storage, domain, Slack and the CLI together."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from peewee import DatabaseError
from playhouse.pool import PooledSqliteDatabase
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.config import Config, ConfigError
from bot.core.dispatcher import Dispatcher
from bot.core.model import Reply
from bot.scheduler import Scheduler
from bot.slack.bolt_app import create_app
from bot.slack.client import make_web_client
from bot.slack.intake import Intake
from bot.slack.outbound import Sender, SlackDeliveryError
from bot.slack.socket_mode import FATAL_AUTH_ERRORS, SocketModeClient, SocketModeError
from bot.slack.users import SlackUsers
from bot.storage.db import DatabaseMissing, migrate, open_database
from bot.storage.repository import EVENT_RETENTION, PeeweeRepository

log = logging.getLogger("dienstplan")
T = TypeVar("T")

DRAIN_SECONDS = 30.0
MAINTENANCE_SECONDS = 3600.0


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    """What every front end (Slack, console, scheduler) shares."""

    config: Config
    db: PooledSqliteDatabase
    repo: PeeweeRepository
    dispatcher: Dispatcher

    def close(self) -> None:
        self.db.close_all()


def build(config: Config, *, create: bool = False) -> Services:
    """Only `run` and the console `create` the database; commands that read never do."""
    try:
        db = open_database(config.database, create=create)
        migrate(db)
    except DatabaseMissing as error:
        raise ConfigError(
            f"DIENSTPLAN_DATABASE / dienstplan.database: {error}. Check the path; "
            "`dienstplan run` and `dienstplan console` create the database."
        ) from error
    except (OSError, DatabaseError) as error:
        raise ConfigError(
            f"DIENSTPLAN_DATABASE / dienstplan.database: cannot use `{config.database}` as the "
            f"SQLite database: {error}."
        ) from error
    repo = PeeweeRepository(db)
    dispatcher = Dispatcher(repo=repo, schedules=repo, clock=utc_now, timezone=config.zone)
    return Services(config=config, db=db, repo=repo, dispatcher=dispatcher)


def _with_retries(
    what: str, call: Callable[[], T], variable: str, stop: threading.Event, timeout: timedelta
) -> T:
    """Retry network failures at start-up (Slack may be briefly unreachable) for `timeout`,
    with one warning per retry; fail at once when Slack rejects the token."""
    deadline = time.monotonic() + timeout.total_seconds()
    delay = 1.0
    while True:
        try:
            return call()
        except (SlackApiError, SocketModeError) as error:
            if isinstance(error, SocketModeError):
                code = str(error)
            else:
                code = error.response.get("error", "unknown") if error.response else "unknown"
            if code in FATAL_AUTH_ERRORS:
                raise ConfigError(
                    f"{variable} was rejected by Slack ({code}). Check that it belongs to this "
                    "app and was not revoked; see the README's Slack app setup."
                ) from error
            failure = f"{what} failed: {code}"
        except OSError as error:  # urllib's URLError wraps the socket error in `reason`
            failure = f"{what} failed: {getattr(error, 'reason', error)}"
        wait = min(delay, deadline - time.monotonic())
        if wait <= 0:
            raise ConfigError(
                f"could not reach Slack: {failure}. Gave up after {timeout.total_seconds():g} s "
                "(DIENSTPLAN_STARTUP_TIMEOUT)."
            )
        log.warning("%s; retrying in %g s", failure, round(wait, 1))
        if stop.wait(wait):
            raise ConfigError(f"stopped while trying to reach Slack: {failure}")
        delay = min(delay * 2, 30.0)


class SlackBot:
    """The long-running Slack side: connect, serve, and drain on shutdown."""

    def __init__(self, services: Services, bot_token: str, app_token: str) -> None:
        self._services = services
        self._bot_token = bot_token
        self._app_token = app_token
        self._socket: SocketModeClient | None = None
        self._scheduler: Scheduler | None = None
        self._scheduler_thread: threading.Thread | None = None
        self._scheduler_stop = threading.Event()
        self._delivery = ThreadPoolExecutor(max_workers=4, thread_name_prefix="delivery")

    def start(self, stop: threading.Event, identity: SlackResponse) -> None:
        """`identity` is auth.test's answer: `run` checks the bot token before anything else."""
        config = self._services.config
        client: WebClient = make_web_client(self._bot_token, config.api_url)
        users = SlackUsers(client)
        self._services.dispatcher.directory = users
        self._sender = Sender(client, users)
        self._users = users
        app = create_app(client, Intake(self._services.dispatcher, self._sender, users), users)
        self._socket = SocketModeClient(app, app_token=self._app_token, api_url=config.api_url)
        _with_retries(
            f"{config.api_url}apps.connections.open",
            self._socket.start,
            config.label("SLACK_APP_TOKEN"),
            stop,
            config.startup_timeout,
        )
        log.info(
            "connected to Slack as %s (%s) in %s over Socket Mode; database %s",
            identity["user"],
            identity["user_id"],
            identity.get("team"),
            config.database,
        )
        self._start_scheduler()

    def _start_scheduler(self) -> None:
        services = self._services
        scheduler = Scheduler(
            repo=services.repo,
            schedules=services.repo,
            dispatcher=services.dispatcher,
            deliver=self._deliver,
            delivery=self._delivery,
            clock=utc_now,
            default_tz=services.config.timezone,
            catch_up=services.config.catch_up_window,
            command_scope=self._users.one_command,
        )
        services.dispatcher.on_schedules_changed = scheduler.wake
        self._scheduler = scheduler
        self._scheduler_thread = threading.Thread(
            target=scheduler.run, args=(self._scheduler_stop,), name="scheduler", daemon=True
        )
        self._scheduler_thread.start()

    def _deliver(self, event_id: str, channel: str, reply: Reply) -> None:
        """Post a scheduled run's notice and reply; a failure is retried by the scheduler."""
        try:
            self._sender.post(channel, reply)
        except SlackDeliveryError as error:
            log.warning("reply of %s not posted yet: %s", event_id, error)
            return
        self._services.dispatcher.mark_delivered(event_id)

    def stop(self) -> None:
        if self._socket is not None and not self._socket.stop(DRAIN_SECONDS):
            log.warning("commands still running after %.0f s; stopping anyway", DRAIN_SECONDS)
        self._scheduler_stop.set()
        if self._scheduler is not None and self._scheduler_thread is not None:
            self._scheduler.wake()
            self._scheduler_thread.join(DRAIN_SECONDS)
        self._delivery.shutdown(wait=True)


def _check_tokens(
    config: Config, bot_token: str, app_token: str, stop: threading.Event
) -> SlackResponse:
    """auth.test for the bot token, then apps.connections.open for the app token: the URL it
    returns is left unused (it expires), the socket connects only once the database is ready,
    so that a connected bot is one that serves."""
    bot = make_web_client(bot_token, config.api_url, retries=False)
    identity = _with_retries(
        f"{config.api_url}auth.test",
        bot.auth_test,
        config.label("SLACK_BOT_TOKEN"),
        stop,
        config.startup_timeout,
    )
    app = make_web_client(app_token, config.api_url, retries=False)
    _with_retries(
        f"{config.api_url}apps.connections.open",
        lambda: app.apps_connections_open(app_token=app_token),
        config.label("SLACK_APP_TOKEN"),
        stop,
        config.startup_timeout,
    )
    return identity


def run(config: Config) -> int:
    """Slack must accept both tokens before the database is created: a service started
    with a wrong token or SLACK_API_URL leaves nothing behind."""
    bot_token, app_token = config.require_tokens()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    identity = _check_tokens(config, bot_token, app_token, stop)
    services = build(config, create=True)
    bot = SlackBot(services, bot_token, app_token)
    try:
        bot.start(stop, identity)
        while not stop.is_set():
            removed = services.repo.forget_events_before(utc_now() - EVENT_RETENTION)
            if removed:
                log.debug("forgot %d processed event ids", removed)
            stop.wait(MAINTENANCE_SECONDS)
        log.info("stopping: finishing the commands in flight")
        started = time.monotonic()
        bot.stop()
        log.info("stopped cleanly in %.1f s", time.monotonic() - started)
    finally:
        services.close()
    return 0
