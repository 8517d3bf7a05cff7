"""Composition root: the only module that wires storage, domain, Slack and the CLI together."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from peewee import DatabaseError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.config import Config, ConfigError
from bot.core.commands import BOT_NAME
from bot.core.dispatcher import Dispatcher
from bot.housekeeping import Housekeeping, jobs
from bot.scheduler import Scheduler
from bot.slack.bolt_app import create_app
from bot.slack.client import make_web_client
from bot.slack.home import HomePublisher
from bot.slack.membership import SlackMembership
from bot.slack.outbound import Sender
from bot.slack.sender import OutboxSender
from bot.slack.socket_mode import FATAL_AUTH_ERRORS, SocketModeClient, SocketModeError
from bot.slack.users import SlackUsers
from bot.storage.db import (
    DatabaseMissing,
    Pooled,
    applied_migrations,
    known_migrations,
    migrate,
    open_database,
)
from bot.storage.repository import PeeweeRepository
from bot.storage.urls import redact_url

log = logging.getLogger("dienstplan")
T = TypeVar("T")

DRAIN_SECONDS = 30.0


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    """What every front end (Slack, console, scheduler) shares."""

    config: Config
    db: Pooled
    repo: PeeweeRepository
    dispatcher: Dispatcher

    def close(self) -> None:
        self.db.close_all()


def build(config: Config, *, create: bool = False, migrating: bool = True) -> Services:
    """Only `run` and the console `create` the database; commands that read never do. The
    operators' listings (`migrating` False) do not migrate either: after an upgrade, a
    listing must not change the schema under the bot still running the old version."""
    try:
        db = open_database(config.database_target, create=create)
        if migrating:
            migrate(db)
        else:
            _require_migrated(db, config)
    except DatabaseMissing as error:
        raise ConfigError(
            f"DIENSTPLAN_DATABASE / dienstplan.database: {error}. Check the path; "
            "`dienstplan run` and `dienstplan console` create the database."
        ) from error
    except (OSError, DatabaseError) as error:
        raise ConfigError(
            f"DIENSTPLAN_DATABASE / dienstplan.database: cannot use `{config.database_shown}` "
            f"as the {config.database_engine} database: {redact_url(str(error)).strip()}."
        ) from error
    repo = PeeweeRepository(db)
    dispatcher = Dispatcher(
        repo=repo,
        schedules=repo,
        away=repo,
        notifications=repo,
        clock=utc_now,
        timezone=config.zone,
        docs_url=config.docs_url,
        open_permissions=config.open_permissions,
    )
    return Services(config=config, db=db, repo=repo, dispatcher=dispatcher)


def _require_migrated(db: Pooled, config: Config) -> None:
    with db.connection_context():
        applied = set(applied_migrations(db))
    pending = [name for name in known_migrations() if name not in applied]
    if pending:
        raise ConfigError(
            f"DIENSTPLAN_DATABASE / dienstplan.database: `{config.database_shown}` has "
            f"{len(pending)} migration(s) pending ({', '.join(pending)}); `dienstplan run` of "
            "this version applies them at start. Until then, use the version that runs the bot."
        )


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
    """The long-running Slack side: connect, serve, and drain on shutdown.

    Listeners and the scheduler only commit outbox rows; the outbox sender is the one place
    that posts. Its Web API client has no retry handlers: it reschedules a rate-limited or
    failing channel itself instead of sleeping in a worker (see bot.slack.sender)."""

    def __init__(self, services: Services, bot_token: str, app_token: str) -> None:
        self._services = services
        self._bot_token = bot_token
        self._app_token = app_token
        self._socket: SocketModeClient | None = None
        self._outbox: OutboxSender | None = None
        self._housekeeping: Housekeeping | None = None
        self._scheduler: Scheduler | None = None
        self._scheduler_thread: threading.Thread | None = None
        self._scheduler_stop = threading.Event()

    def start(self, stop: threading.Event, identity: SlackResponse) -> None:
        """`identity` is auth.test's answer: `run` checks the bot token before anything else."""
        services = self._services
        config = services.config
        client: WebClient = make_web_client(self._bot_token, config.api_url)
        users = SlackUsers(client)
        services.dispatcher.directory = users
        services.dispatcher.membership = SlackMembership(client)
        services.dispatcher.home_link = home_link(client, identity)
        sending = make_web_client(self._bot_token, config.api_url, retries=False)
        name = str(identity.get("user") or BOT_NAME)  # `manifest --name` may have renamed it
        homes = HomePublisher(sending, services.repo, users, config.zone, utc_now, name)
        self._outbox = OutboxSender(
            store=services.repo,
            poster=Sender(sending, users, name),
            clock=utc_now,
            publish=homes.publish,
        )
        self._outbox.start()
        self._housekeeping = Housekeeping(
            jobs(services.repo, users, config.zone),
            utc_now,
            services.repo.claim_period if config.database_url else None,
        )
        self._housekeeping.start()
        self._start_scheduler()
        app = create_app(client, services.dispatcher, users)
        self._socket = SocketModeClient(
            app,
            app_token=self._app_token,
            api_url=config.api_url,
            batched=services.repo.batched,
        )
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
            config.database_shown,
        )

    def _start_scheduler(self) -> None:
        services = self._services
        scheduler = Scheduler(
            repo=services.repo,
            schedules=services.repo,
            dispatcher=services.dispatcher,
            clock=utc_now,
            default_tz=services.config.timezone,
            catch_up=services.config.catch_up_window,
        )
        services.dispatcher.on_schedules_changed = scheduler.wake
        scheduler.follow_zone_once(utc_now())
        self._scheduler = scheduler
        self._scheduler_thread = threading.Thread(
            target=scheduler.run, args=(self._scheduler_stop,), name="scheduler", daemon=True
        )
        self._scheduler_thread.start()

    def stop(self) -> None:
        """Commands in flight finish and commit; then the sender finishes the messages in hand
        and leaves the rest pending for the next start."""
        if self._socket is not None and not self._socket.stop(DRAIN_SECONDS):
            log.warning("commands still running after %.0f s; stopping anyway", DRAIN_SECONDS)
        self._scheduler_stop.set()
        if self._scheduler is not None and self._scheduler_thread is not None:
            self._scheduler.wake()
            self._scheduler_thread.join(DRAIN_SECONDS)
        if self._housekeeping is not None:
            self._housekeeping.stop()
        if self._outbox is not None:
            self._outbox.stop()


def home_link(client: WebClient, identity: SlackResponse) -> str | None:
    """`slack://app?team=…&id=…&tab=home`, the link `home` answers with. The app id comes from
    bots.info (auth.test names the bot, not its app); None, with a warning, if Slack will not
    say, and `home` then says there is no link."""
    try:
        bot = client.bots_info(bot=identity["bot_id"])["bot"]
        return f"slack://app?team={identity['team_id']}&id={bot['app_id']}&tab=home"
    except (SlackApiError, OSError, KeyError, TypeError) as error:
        log.warning("no link to the App Home: bots.info failed (%s)", error)
        return None


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
        try:
            bot.start(stop, identity)
        except BaseException:
            bot.stop()
            raise
        stop.wait()
        log.info("stopping: finishing the commands in flight")
        started = time.monotonic()
        bot.stop()
        log.info("stopped cleanly in %.1f s", time.monotonic() - started)
    finally:
        services.close()
    return 0
