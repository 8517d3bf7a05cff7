"""One place that turns a request into a reply: parse, look up, run in one transaction.

Domain errors become replies that say what was wrong and how to write the command; anything
unexpected is logged with its traceback and answered with a short apology, so no message is
ever dropped silently.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.commands import (
    DOCS_URL,
    Command,
    Context,
    Effects,
    command_help,
    help_text,
    lapse_held_now_requests,
    zone_named,
)
from bot.core.errors import DomainError, UsageError
from bot.core.home import (
    AwayForm,
    check_away_form,
    form_not_opened,
    home_update,
    republishes,
)
from bot.core.limits import MESSAGE_LENGTH, at_most
from bot.core.model import UPDATE_KIND, Member, Outgoing, Reply, Request, code
from bot.core.notifications import after_command, notice_wanted
from bot.core.parser import (
    MEMBER_RE,
    SLACKBOT,
    Invocation,
    channels_in,
    split_command,
    without_reminder,
)
from bot.core.permissions import GUARDED, TRUSTED_SOURCES
from bot.core.personal import TooManyPeriods, save_away
from bot.core.places import acting_in
from bot.core.ports import (
    EVERYONE_ACTIVE,
    EVERYWHERE,
    AvailabilityRepository,
    Clock,
    Deactivated,
    Membership,
    NotificationSettings,
    RotationRepository,
    ScheduleRepository,
    UserDirectory,
)
from bot.core.registry import COMMANDS
from bot.core.suggest import closest
from bot.core.swaps import lapse_overtaken_requests
from bot.core.text import unpaired_surrogate
from bot.core.welcome import WELCOME_AGAIN_AFTER, welcome_message

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong on my side while running that command. It was not applied."


@dataclass(frozen=True)
class Outcome:
    reply: Reply
    # A redelivered event: nothing was applied and nothing is sent again.
    duplicate: bool = False
    # The command was not applied: unknown command, usage or domain error, or an apology.
    failed: bool = False
    effects: Effects = field(default_factory=Effects)


class Dispatcher:
    def __init__(
        self,
        *,
        repo: RotationRepository,
        schedules: ScheduleRepository,
        away: AvailabilityRepository,
        clock: Clock,
        timezone: ZoneInfo,
        commands: dict[str, Command] = COMMANDS,
        on_schedules_changed: Callable[[], None] = lambda: None,
        directory: UserDirectory = EVERYONE_ACTIVE,
        notifications: NotificationSettings,
        membership: Membership = EVERYWHERE,
        docs_url: str = DOCS_URL,
        open_permissions: bool = False,
    ) -> None:
        self._repo = repo
        self._notifications = notifications
        self._schedules = schedules
        self._away = away
        self._clock = clock
        self._timezone = timezone
        self._commands = commands
        self.on_schedules_changed = on_schedules_changed
        # Set by the Slack front end once it has a Web API client; the others know nobody.
        self.directory = directory
        self.membership = membership
        self._docs_url = docs_url
        self._open_permissions = open_permissions
        # Set by the Slack front end from the bot's identity; the console has no App Home.
        self.home_link: str | None = None

    def handle(
        self, request: Request, *, event_id: str | None = None, notice: Reply | None = None
    ) -> Outcome:
        """Apply the request once; with an event id, a repeat applies and sends nothing.

        A request with an event id (a Slack event, a scheduled run) is answered through the
        outbox: the event id, the command's effect and the messages it sends (the notice, the
        scheduler's "Executing ...", then the reply, then the notifications a successful
        command causes) commit together, and the sender delivers them. Without one (the
        console) the caller shows the reply itself, and nobody is notified.

        Recording the event id is the check for a redelivery (an insert that finds it
        changes nothing), under the write lock: it cannot race with another worker or process.
        A command that changes nothing (`who`, `list`, help) reads on a snapshot without the
        write lock, then commits its reply with the event id in a short transaction: a
        redelivery arriving meanwhile may read twice, but only one of them commits. The users
        the text mentions are looked up before the transaction, so the handler finds them
        cached and no Slack call holds the database's write lock; so are the channels of a
        user who writes in a DM or names a channel.
        """
        started = time.perf_counter()
        now = self._clock()
        effects = Effects()
        deactivated = _never_failing(self.directory.for_request())
        deactivated(_mentioned_users(request))
        self._look_up_channels(request)
        ctx_directory = _NeverFailing(self.directory)
        text = without_reminder(request.text) if request.user == SLACKBOT else request.text
        invocation = split_command(text, request.bot_user_id)
        command = self._commands.get(invocation.command)
        self._look_up_admin(request, invocation.command)
        reads_only = event_id is not None and (command is None or command.reads_only)

        def commit() -> None:
            """In the command's transaction: what its duty changes leave behind, and with an
            event id the messages it sends (the notice, the reply, then what a success
            notifies)."""
            if effects.duty_changes:
                self._repo.mark_duty_since({c.rotation.id for c in effects.duty_changes}, now)
                lapse_held_now_requests(ctx)
            if effects.concerned:  # someone's shifts changed
                lapse_overtaken_requests(ctx)
            if event_id is None:
                return
            shown = notice  # a failed run keeps it: it says what the error is about
            if notice is not None and not failed:
                wanted = notice_wanted(
                    self._repo, self._notifications, request.channel, effects.acted_on
                )
                shown = notice if wanted else None
            messages = _messages(request, shown, reply, failed)
            if not failed:  # what it notifies, the handler's own messages first
                messages += after_command(
                    self._repo, self._notifications, ctx_directory, request, effects, notice
                )
            people = effects.concerned - effects.groups
            messages += republishes(self._repo, people, effects.groups)
            self._repo.enqueue(messages, now)

        with self._repo.reading() if reads_only else self._repo.transaction():
            if not reads_only and not self._first_time(event_id, now):
                return _duplicate(request, started)
            ctx = self._context(request, now, effects, deactivated, ctx_directory)
            reply, name, result = self._run(request, ctx, invocation, command)
            failed = result != "ok"
            if failed:  # the command's savepoint rolled back: so did what it changed
                effects = Effects()
            if not reads_only:
                commit()
        if reads_only:
            with self._repo.transaction():
                if not self._first_time(event_id, now):
                    return _duplicate(request, started)
                commit()
        _log_handled(request, name, result, started)
        if effects.schedules_changed:
            self.on_schedules_changed()
        return Outcome(reply, failed=failed, effects=effects)

    def _context(
        self,
        request: Request,
        now: datetime,
        effects: Effects,
        deactivated: Deactivated,
        directory: UserDirectory,
    ) -> Context:
        return Context(
            request,
            self._repo,
            self._schedules,
            now,
            self._timezone,
            self._commands,
            self._away,
            effects,
            deactivated,
            self.membership,
            directory,
            self._docs_url,
            open_permissions=self._open_permissions,
            notifications=self._notifications,
            home_link=self.home_link,
        )

    def _after_away_change(self, user: str, now: datetime) -> list[Outgoing]:
        """What an away change from the App Home leaves behind, as `away` and `back` do:
        the requests for shifts it took from their askers lapse, and the Homes concerned are
        republished, the person's first."""
        effects = Effects(concerned={user})
        request = Request("", user, user)
        directory = _NeverFailing(self.directory)
        lapse_overtaken_requests(
            self._context(request, now, effects, directory.for_request(), directory)
        )
        others = effects.concerned - {user} - effects.groups
        return [home_update(user), *effects.messages, *republishes(self._repo, others)]

    def _first_time(self, event_id: str | None, now: datetime) -> bool:
        """Records the event; False for a redelivery. A request without one always runs."""
        return event_id is None or self._repo.record_event(event_id, now)

    def welcome(self, channel: str, *, event_id: str) -> bool:
        """The bot was added to the channel: post the welcome, unless it did within a day.

        The event id, the time of the welcome and the message commit together, so a
        redelivery or a restart never posts it twice. Returns whether it was queued."""
        now = self._clock()
        with self._repo.transaction():
            if not self._repo.record_event(event_id, now):
                return False
            last = self._repo.welcomed_at(channel)
            if last is not None and now - last < WELCOME_AGAIN_AFTER:
                return False
            self._repo.record_welcome(channel, now)
            message = Outgoing(channel, welcome_message(self._commands), "welcome")
            self._repo.enqueue([message], now)
        return True

    # ------------------------------------------------------------------ App Home
    def open_home(self, user: str, *, event_id: str) -> bool:
        """The user opened the App Home: remember them (a change concerning them republishes
        it from now on) and publish their view. False for a redelivered event."""
        now = self._clock()
        with self._repo.transaction():
            if not self._repo.record_event(event_id, now):
                return False
            self._repo.record_home_opened(user, now)
            self._repo.enqueue([home_update(user)], now)
        return True

    def set_away(self, user: str, form: AwayForm) -> dict[str, str]:
        """The Home's Set away form: the period is saved (merged with those it touches, as
        `away` does) and the Home republished; or the problems by field, and nothing saved."""
        now = self._clock()
        today = now.astimezone(self.zone_of(user)).date()
        errors = check_away_form(form, today)
        if errors or form.start is None or form.end is None:
            return errors
        with self._repo.transaction():
            try:
                save_away(
                    self._away, user, max(form.start, today), form.end, today, form.note or None
                )
            except TooManyPeriods as error:
                return {"start": error.reply.render(Member.plain)}
            self._repo.enqueue(self._after_away_change(user, now), now)
        return {}

    def form_not_opened(self, user: str, slack_error: str | None) -> None:
        """The Home's Set away form did not open: the person is told in their DM, where the
        `away` command does the same, rather than left clicking a button that does nothing."""
        now = self._clock()
        today = now.astimezone(self.zone_of(user)).date()
        with self._repo.transaction():
            self._repo.enqueue([Outgoing(user, form_not_opened(slack_error, today), "reply")], now)

    def remove_away(self, user: str, period_id: int) -> bool:
        """The Home's Remove button: only a period of the person who clicked, and only if it
        still exists (a stale Home or a forged id changes nothing). The Home is republished
        either way, so a stale one is brought up to date."""
        now = self._clock()
        since = (now - timedelta(days=1)).date()
        with self._repo.transaction():
            periods = self._away.away_periods([user], since)
            found = any(p.id == period_id for p in periods)
            if found:
                self._away.delete_away([period_id])
                self._repo.enqueue(self._after_away_change(user, now), now)
            else:
                self._repo.enqueue([home_update(user)], now)
        return found

    def today(self, zone: ZoneInfo) -> date:
        return self._clock().astimezone(zone).date()

    def zone_of(self, user: str) -> ZoneInfo:
        """The person's Slack time zone; the bot's when unknown."""
        return zone_named(_NeverFailing(self.directory).time_zone(user), self._timezone, user)

    def _run(
        self, request: Request, ctx: Context, invocation: Invocation, command: Command | None
    ) -> tuple[Reply, str | None, str]:
        """The reply, the command's name if the table has it, and the outcome: `ok` (applied
        or answered) or why not (see _log_handled)."""
        surrogate = unpaired_surrogate(request.text)
        if surrogate is not None:
            return Reply.of(not_unicode(surrogate)), None, "not_unicode"
        if len(request.text) > MESSAGE_LENGTH.value:
            return (
                Reply.of(
                    f"That message is {len(request.text):,} characters long; the limit is "
                    f"{at_most(MESSAGE_LENGTH)}. Nothing was run."
                ),
                None,
                "too_long",
            )
        if not invocation.command:
            return Reply.of(help_text(self._commands, self._docs_url)), "help", "ok"
        if command is None:
            hint = closest(invocation.command, list(self._commands))
            return (
                Reply.of(
                    "I don't know the command ",
                    code(_visible(invocation.word[:50])),
                    f". Did you mean `{hint}`?" if hint else ".",
                    "\n\n" + help_text(self._commands, self._docs_url),
                ),
                None,
                "unknown_command",
            )
        try:
            with self._repo.transaction():
                channel, rest = command.locate(invocation.rest, request.source == "console")
                args = command.parse(rest)
                reply = command.run(acting_in(ctx, command, channel, args), args)
                return Reply.of(*reply.parts, *ctx.notes), command.name, "ok"
        except UsageError as error:
            return (
                Reply.of(
                    f"That `{command.name}` needs fixing: ",
                    *error.reply.parts,
                    "\n" + command_help(command, error.subcommand),
                ),
                command.name,
                "usage_error",
            )
        except DomainError as error:
            return error.reply, command.name, "refused"
        except Exception:
            log.exception(
                "command %r from %s failed in channel %s",
                command.name,
                request.source,
                request.channel,
            )
            return Reply.of(APOLOGY), command.name, "error"

    def _look_up_admin(self, request: Request, command: str) -> None:
        """Whether the writer of a guarded command is an admin, asked before the transaction
        so the permission check finds it cached."""
        if self._open_permissions or request.source in TRUSTED_SOURCES:
            return
        if command in GUARDED:
            _NeverFailing(self.directory).is_admin(request.user)

    def _look_up_channels(self, request: Request) -> None:
        """Ask before the transaction, so the answer is cached when the command needs it."""
        if request.direct or channels_in(request.text) - {request.channel}:
            with contextlib.suppress(DomainError):  # the command says so, if it needs them
                self.membership.channels_of(request.user)


def _duplicate(request: Request, started: float) -> Outcome:
    """A redelivered event: nothing was applied and nothing is sent again."""
    _log_handled(request, None, "duplicate", started)
    return Outcome(Reply(), duplicate=True)


def _log_handled(request: Request, command: str | None, outcome: str, started: float) -> None:
    """One line per request for operators, never with its text: the command's name only when
    it is one of the table's (an unknown word is something a user typed). Outcomes: ok,
    usage_error, refused (a domain rule, e.g. no such rotation), unknown_command, not_unicode,
    too_long, error (a bug: the traceback is logged before), duplicate (a redelivery)."""
    ms = round((time.perf_counter() - started) * 1000, 1)
    name = command or "-"
    log.info(
        "handled %s from %s in %s: %s in %.1f ms",
        name,
        request.source,
        request.channel,
        outcome,
        ms,
        extra={
            "channel": request.channel,
            "source": request.source,
            "command": name,
            "outcome": outcome,
            "ms": ms,
        },
    )


def _visible(word: str) -> str:
    """A word as it can be shown back: a control or invisible character (a NUL typed into
    the console) as its code point, so the reply shows what was really sent."""
    return "".join(c if c.isprintable() else f"U+{ord(c):04X}" for c in word)


def not_unicode(surrogate: str) -> str:
    """Why text holding an unpaired surrogate is not run: no front end can show or store it,
    and it means bytes that were not valid UTF-8 (or a broken escape) became the text."""
    return (
        f"That message contains {surrogate}, half of a UTF-16 surrogate pair, which is not a "
        "character: the text is not valid Unicode, so it was not run. Type it again."
    )


def _messages(request: Request, notice: Reply | None, reply: Reply, failed: bool) -> list[Outgoing]:
    notices = [Outgoing(request.channel, notice, "notice")] if notice else []
    if request.replace_ts is not None:
        # A click: its outcome replaces the clicked message, so the buttons go. A click that
        # changed nothing (not theirs, answered already) leaves the message as it is and is
        # answered to the person who clicked.
        if failed:
            return [Outgoing(request.user, reply, "reply")]
        return [*notices, Outgoing(request.channel, reply, UPDATE_KIND, request.replace_ts)]
    return [*notices, Outgoing(request.channel, reply, "reply", request.thread_ts)]


def _mentioned_users(request: Request) -> list[str]:
    """In the order written, so when the lookups run out it is the last ones left unknown."""
    return list(
        dict.fromkeys(
            match["user"]
            for match in MEMBER_RE.finditer(request.text)
            if match["user"] and match["user"] != request.bot_user_id
        )
    )


class _NeverFailing:
    """The directory as a command sees it: a time zone or group it cannot get is unknown."""

    def __init__(self, directory: UserDirectory) -> None:
        self._directory = directory

    def for_request(self) -> Deactivated:
        return _never_failing(self._directory.for_request())

    def time_zone(self, user_id: str) -> str | None:
        try:
            return self._directory.time_zone(user_id)
        except Exception:
            log.exception("could not look up the time zone of %s", user_id)
            return None

    def group_members(self, group_id: str) -> frozenset[str]:
        try:
            return self._directory.group_members(group_id)
        except Exception:
            log.exception("could not list the users of group %s", group_id)
            return frozenset()

    def is_admin(self, user_id: str) -> bool:
        try:
            return self._directory.is_admin(user_id)
        except Exception:
            log.exception("could not tell whether %s is a workspace admin", user_id)
            return False


def _never_failing(deactivated: Deactivated) -> Deactivated:
    """Whoever cannot be looked up counts as active: a directory failure never blocks a command."""

    def check(user_ids: Collection[str]) -> frozenset[str]:
        try:
            return deactivated(user_ids)
        except Exception:
            log.exception("could not tell whether %d users are deactivated", len(user_ids))
            return frozenset()

    return check
