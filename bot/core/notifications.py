"""Notifications: what the bot tells people (in a DM) and channels on its own, and their settings.

Each type has a CamelCase name people use to switch it (`notification disable ShiftReminder`)
and that every such message names in its footer. Everything is on by default. Personal types
go to a person's DM (a user group counts as each of its users); channel types go to every
channel the rotation is linked to, except the one the command was typed in, which has the
reply already. Messages a command causes are queued in the command's own transaction; the
periodic ones (ShiftReminder, ShiftStarting) by a job that records each one it sent, so a
shift is announced once even across restarts.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core import cron, parser
from bot.core.commands import (
    BOT_HANDLE,
    LIST_LIMIT,
    Command,
    Context,
    DutyChange,
    Effects,
    InDm,
    Subcommand,
    always,
    zone_named,
)
from bot.core.errors import DomainError, UsageError
from bot.core.model import (
    AwayPeriod,
    Member,
    MemberKind,
    Outgoing,
    Quiet,
    Reply,
    ReplyPart,
    Request,
    Rotation,
    Schedule,
    bold,
    code,
)
from bot.core.parser import channel_mention, name_key, normalise_spaces, split_command
from bot.core.permissions import require_may_change
from bot.core.ports import (
    AvailabilityRepository,
    NotificationSettings,
    RotationRepository,
    ScheduleRepository,
    UserDirectory,
)
from bot.core.shifts import Availability, Shift, handoff_times, is_handoff, project
from bot.core.suggest import closest
from bot.core.text import unescape

log = logging.getLogger(__name__)

ASSIGNMENT_CONFIRMED = "AssignmentConfirmed"
SHIFT_REMINDER = "ShiftReminder"
SWAP_REQUESTED = "SwapRequested"
SWAP_ACCEPTED = "SwapAccepted"
SWAP_DECLINED = "SwapDeclined"
SHIFT_STARTING = "ShiftStarting"
SCHEDULE_EXECUTED = "ScheduleExecuted"

REMIND_HOURS = 24  # a person's ShiftReminder, unless they chose otherwise
MAX_REMIND_HOURS = 168
SHIFT_STARTING_AHEAD = timedelta(hours=1)
KIND_PREFIX = "notification:"  # an outbox row's kind: the sender adds the type's footer
SENT_RETENTION = timedelta(days=1)  # a sent record outlives its shift's start by this much
MAX_SCHEDULES = 100_000  # due within a reminder window: far more than a workspace has
MAX_NOTICE_ROTATIONS = 500  # a channel's own and linked ones, for a notice about none


@dataclass(frozen=True)
class NotificationType:
    """A type and what it tells: `personal` in a DM, `channel` in a channel (None: not sent
    there)."""

    name: str
    personal: str | None
    channel: str | None


TYPES: tuple[NotificationType, ...] = (
    NotificationType(
        ASSIGNMENT_CONFIRMED,
        "you are put on call (create, rotate, assign, update, a schedule, a swap)",
        "the duty changed (rotate, assign, update, a schedule, a swap)",
    ),
    NotificationType(
        SHIFT_REMINDER,
        "your shift starts in {hours} (`notification remind <hours>` changes it)",
        None,
    ),
    NotificationType(SWAP_REQUESTED, None, "someone asked another member to take a shift"),
    NotificationType(SWAP_ACCEPTED, None, "a shift swap was accepted"),
    NotificationType(SWAP_DECLINED, None, "a shift swap was declined"),
    NotificationType(SHIFT_STARTING, None, "a handoff is an hour away"),
    NotificationType(SCHEDULE_EXECUTED, None, "a scheduled command is about to run"),
)
PERSONAL = [t for t in TYPES if t.personal]
CHANNEL = [t for t in TYPES if t.channel]
_BY_KEY = {t.name.casefold(): t for t in TYPES}


def kind_of(name: str) -> str:
    """The outbox kind of a notification of this type."""
    return f"{KIND_PREFIX}{name}"


def footer(kind: str) -> str | None:
    """The context footer of an outbox row of this kind: the type's name and how to turn it
    off; None for what is not a notification (a reply, a notice)."""
    if not kind.startswith(KIND_PREFIX):
        return None
    name = kind.removeprefix(KIND_PREFIX)
    return f"{name} · `{BOT_HANDLE} notification disable {name}` turns these off"


# ---------------------------------------------------------------------------- recipients


def channel_notifications(
    repo: RotationRepository,
    settings: NotificationSettings,
    rotation: Rotation,
    name: str,
    reply: Reply,
    *,
    replied: str | None = None,
) -> list[Outgoing]:
    """The message to every channel the rotation is linked to where `name` is on, except
    `replied`, the channel that has the command's reply with the same news."""
    off = settings.channel_off(rotation)
    return [
        Outgoing(channel, reply, kind_of(name))
        for channel in repo.linked_channels(rotation)
        if channel != replied and name not in off.get(channel, ())
    ]


def users_of(member: Member, directory: UserDirectory) -> list[str]:
    """A user, or each user of a user group (none when Slack cannot say)."""
    if member.kind is MemberKind.USER:
        return [member.ref]
    return sorted(directory.group_members(member.ref))


def personal_notifications(
    settings: NotificationSettings,
    users: Collection[str],
    name: str,
    reply: Reply,
) -> list[Outgoing]:
    """The message in a DM to each of these users who has `name` on. A DM is posted to the
    user id: Slack puts a bot's message to a user in their DM with the bot."""
    off = settings.personal_off(users)
    return [Outgoing(user, reply, kind_of(name)) for user in users if name not in off.get(user, ())]


def _by_whom(request: Request, cause: str) -> list[ReplyPart]:
    if request.source == "schedule":
        return [f" (a scheduled `{cause}`)"]
    return [f" (`{cause}` by ", Quiet(Member(request.user)), ")"]


def _assignment_dm(change: DutyChange, request: Request) -> Reply:
    rotation = change.rotation
    return Reply.of(
        "You are now on call for ",
        bold(rotation.name),
        f" in {channel_mention(rotation.channel)}",
        *_by_whom(request, change.cause),
        ".",
    )


def _assignment_post(change: DutyChange, request: Request) -> Reply:
    instead: list[ReplyPart] = [" instead of ", Quiet(change.before)] if change.before else []
    return Reply.of(
        bold(change.rotation.name),
        ": ",
        Quiet(change.after),
        " is on call now",
        *instead,
        *_by_whom(request, change.cause),
        ".",
    )


def notice_wanted(
    repo: RotationRepository,
    settings: NotificationSettings,
    channel: str,
    acted_on: Rotation | None,
) -> bool:
    """A scheduled run's `Executing …` notice in its own channel is a ScheduleExecuted too:
    it goes unless that type is off there for the rotation the command acted on; for a
    command about none (`list`), unless it is off there for every rotation the channel has
    (`notification disable ScheduleExecuted` without a name turns it off for all of them)."""
    if acted_on is not None:
        return SCHEDULE_EXECUTED not in settings.channel_off(acted_on).get(channel, ())
    own = repo.list_rotations(channel, MAX_NOTICE_ROTATIONS)[0]
    rotations = own + repo.linked_rotations(channel, MAX_NOTICE_ROTATIONS)[0]
    return not rotations or any(
        SCHEDULE_EXECUTED not in settings.channel_off(rotation).get(channel, ())
        for rotation in rotations
    )


def after_command(
    repo: RotationRepository,
    settings: NotificationSettings,
    directory: UserDirectory,
    request: Request,
    effects: Effects,
    notice: Reply | None,
) -> list[Outgoing]:
    """What a successful command tells others, queued with its reply: the handler's own
    notifications, ScheduleExecuted for a scheduled run, then for each duty change the
    linked channels and a DM to the new duty (not to whoever moved it to themselves)."""
    messages = list(effects.messages)
    replied = request.channel
    if notice is not None and effects.acted_on is not None:
        messages += channel_notifications(
            repo, settings, effects.acted_on, SCHEDULE_EXECUTED, notice, replied=replied
        )
    for change in effects.duty_changes:
        if change.before is not None and change.before.ref == change.after.ref:
            continue
        messages += channel_notifications(
            repo,
            settings,
            change.rotation,
            ASSIGNMENT_CONFIRMED,
            _assignment_post(change, request),
            replied=replied,
        )
        users = users_of(change.after, directory)
        if request.source != "schedule":
            users = [u for u in users if u != request.user]
        messages += personal_notifications(
            settings, users, ASSIGNMENT_CONFIRMED, _assignment_dm(change, request)
        )
    return messages


# ---------------------------------------------------------------------------- periodic


@dataclass(frozen=True)
class _Planned:
    """One rotation with a handoff soon, as read from storage."""

    rotation: Rotation
    members: list[Member]
    schedules: list[Schedule]
    channels: list[str]  # linked, with ShiftStarting on
    periods: dict[str, list[AwayPeriod]]
    overrides: dict[datetime, Member]  # accepted swaps of later shifts
    stand_in: Member | None  # an accepted swap of the shift held now


@dataclass(frozen=True)
class _Due:
    key: str  # recorded once sent
    at: datetime
    messages: list[Outgoing]
    user: str | None = None  # a ShiftReminder's person, whose settings decide


def _stamp(at: datetime) -> str:
    return f"{at:%Y%m%dT%H%M%SZ}"


def _in(delta: timedelta) -> str:
    """`in 23 hours`, `in 45 minutes`: rounded, as a person says it."""
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes < 120:
        return f"in {minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(minutes / 60)
    return f"in {hours} hours"


def _swap_note(shift: Shift) -> list[ReplyPart]:
    """` (a swap: standing in for bob)` on a shift an accepted swap gave to another."""
    if shift.overridden is None:
        return []
    return [" (a swap: standing in for ", Quiet(shift.overridden), ")"]


class UpcomingShifts:
    """The periodic job: ShiftReminder DMs and ShiftStarting posts for shifts starting soon.

    Reads in one transaction, asks Slack (time zones, user groups; cached) outside any, then
    records and queues each message in one more: a message whose record exists was sent, so
    a restart, or a second process, never sends it again.

    Only the next handoff of a rotation is announced, and a person is reminded of their next
    shift in it: the later ones come up as the earlier start, so a rotation handed over every
    few minutes does not flood anyone with a window's worth of messages at once."""

    def __init__(
        self,
        *,
        repo: RotationRepository,
        schedules: ScheduleRepository,
        away: AvailabilityRepository,
        settings: NotificationSettings,
        directory: UserDirectory,
        timezone: ZoneInfo,
    ) -> None:
        self._repo = repo
        self._schedules = schedules
        self._away = away
        self._settings = settings
        self._directory = directory
        self._timezone = timezone

    def run(self, now: datetime) -> int:
        """How many messages it queued. Each read is a short transaction of its own, and the
        crontabs are stepped outside any, so commands never wait long for the write lock."""
        with self._repo.transaction():
            hours = self._settings.remind_hours()
            window = timedelta(hours=max([REMIND_HOURS, *hours.values()]))
            rotations = self._rotations(now, window)
        due: list[_Due] = []
        for rotation in rotations:
            with self._repo.transaction():
                planned = self._plan(rotation, now)
            if planned is not None:
                due += self._due(planned, now, window, hours)
        return self._send(due, now)

    def _rotations(self, now: datetime, window: timedelta) -> list[Rotation]:
        """The rotations with a handoff within the window, by the schedules' next-run index."""
        rotations: dict[int, Rotation] = {}
        for schedule in self._schedules.due_schedules(now + window, MAX_SCHEDULES):
            if not is_handoff(schedule):
                continue
            try:
                name = parser.parse_name("rotate", split_command(schedule.command).rest)
            except DomainError:
                continue
            rotation = self._repo.find(schedule.channel, name)
            if rotation is not None:
                rotations[rotation.id] = rotation
        return list(rotations.values())

    def _plan(self, rotation: Rotation, now: datetime) -> _Planned | None:
        """The rotation as it is now (None: deleted meanwhile)."""
        current = self._repo.find(rotation.channel, rotation.name)
        if current is None or current.id != rotation.id:
            return None
        schedules = self._schedules.rotation_schedules(current.channel, name_key(current.name))
        members = list(self._repo.members(current))
        users = [m.ref for m in members if m.kind is MemberKind.USER]
        periods: dict[str, list[AwayPeriod]] = {}
        since = (now - timedelta(days=1)).date()
        for period in self._away.away_periods(users, since) if users else []:
            periods.setdefault(period.user, []).append(period)
        off = self._settings.channel_off(current)
        channels = [
            c for c in self._repo.linked_channels(current) if SHIFT_STARTING not in off.get(c, ())
        ]
        return _Planned(
            current,
            members,
            schedules,
            channels,
            periods,
            self._repo.overrides(current),
            self._repo.stand_in(current),
        )

    def _zone(self, user: str) -> ZoneInfo:
        try:
            name = self._directory.time_zone(user)
        except Exception:
            log.warning("no time zone for %s; using %s", user, self._timezone.key, exc_info=True)
            return self._timezone
        return zone_named(name, self._timezone, user)

    def _users(self, member: Member) -> list[str]:
        try:
            return users_of(member, self._directory)
        except Exception:
            log.exception("could not list the users of group %s", member.ref)
            return []

    def _due(
        self, each: _Planned, now: datetime, window: timedelta, hours: dict[str, int]
    ) -> list[_Due]:
        availability = Availability(lambda user: each.periods.get(user, ()), self._zone)
        handoffs, _ = handoff_times(each.schedules, self._timezone.key, now + window)
        shifts = project(
            each.members,
            each.rotation.duty_position,
            handoffs,
            unavailable=availability.reason,
            overrides=each.overrides,
            stand_in=each.stand_in,
        )
        due: list[_Due] = []
        previous = shifts[0] if shifts else None
        announced = False
        reminded: set[str] = set()
        for shift in shifts[1:]:
            start = shift.start
            assert start is not None and previous is not None
            if now < start <= now + window:
                if not announced and start - now <= SHIFT_STARTING_AHEAD and each.channels:
                    reply = self._starting(each.rotation, previous, shift, now)
                    key = f"{SHIFT_STARTING}:{each.rotation.id}:{_stamp(start)}"
                    messages = [Outgoing(c, reply, kind_of(SHIFT_STARTING)) for c in each.channels]
                    due.append(_Due(key, start, messages))
                announced = True
                if not shift.kept and shift.holder != previous.holder:  # not on already
                    users = [u for u in self._users(shift.holder) if u not in reminded]
                    reminded.update(users)
                    due += self._reminders(each.rotation, shift, users, now, hours)
            previous = shift
        return due

    def _reminders(
        self,
        rotation: Rotation,
        shift: Shift,
        users: list[str],
        now: datetime,
        hours: dict[str, int],
    ) -> list[_Due]:
        start = shift.start
        assert start is not None
        due = []
        for user in users:
            if start - now > timedelta(hours=hours.get(user, REMIND_HOURS)):
                continue
            zone = self._zone(user)
            reply = Reply.of(
                "Your shift on ",
                bold(rotation.name),
                f" in {channel_mention(rotation.channel)} starts {_in(start - now)}, at "
                f"{cron.format_run(start, zone)}",
                f", until {cron.format_run(shift.end, zone)}." if shift.end else ".",
            )
            key = f"{SHIFT_REMINDER}:{rotation.id}:{_stamp(start)}:{user}"
            due.append(_Due(key, start, [Outgoing(user, reply, kind_of(SHIFT_REMINDER))], user))
        return due

    def _starting(self, rotation: Rotation, previous: Shift, shift: Shift, now: datetime) -> Reply:
        assert shift.start is not None
        when = (
            f" starts {_in(shift.start - now)}, at {cron.format_run(shift.start, self._timezone)}"
        )
        if shift.kept:
            return Reply.of(
                "The next shift on ",
                bold(rotation.name),
                when,
                ": nobody else is available, so ",
                Quiet(shift.holder),
                " stays on call.",
            )
        if shift.holder == previous.holder:  # a rotation of one, or a stand-in whose turn it is
            return Reply.of(
                "The next shift on ",
                bold(rotation.name),
                when,
                ": ",
                Quiet(shift.holder),
                " stays on call.",
            )
        return Reply.of(
            "The next shift on ",
            bold(rotation.name),
            when,
            ": ",
            shift.holder.mention(),
            " takes over from ",
            Quiet(previous.holder),
            *_swap_note(shift),
            ".",
        )

    def _send(self, due: Sequence[_Due], now: datetime) -> int:
        sent = 0
        with self._repo.transaction():
            users = {d.user for d in due if d.user is not None}
            off = self._settings.personal_off(users) if users else {}
            for each in due:
                if each.user is not None and SHIFT_REMINDER in off.get(each.user, ()):
                    continue
                if self._settings.claim_sent(each.key, each.at):
                    self._repo.enqueue(each.messages, now)
                    sent += len(each.messages)
        return sent


def forget_sent(settings: NotificationSettings, now: datetime) -> int:
    """A record is needed only until its shift started: then nothing announces it again."""
    return settings.forget_sent_before(now - SENT_RETENTION)


# ---------------------------------------------------------------------------- the command

ON, OFF = "\u2714", "\u2718"  # ✔ ✘, as the reference shows them


@dataclass(frozen=True)
class NotificationArgs:
    subcommand: str  # config, enable, disable, remind
    name: str = ""
    fragment: str = ""
    hours: int = 0


SUBCOMMANDS = (
    Subcommand(
        "config",
        "lists the notifications with ✔ (on) or ✘ (off): in a DM yours, in a channel the "
        "channel's, for each rotation linked to it.",
        "",
        f"{BOT_HANDLE} notification config",
    ),
    Subcommand(
        "enable",
        "turns a notification on: in a DM for you, in a channel for all its linked rotations "
        "or the one the name fragment identifies.",
        "<Name> [<rotation name fragment>]",
        f"{BOT_HANDLE} notification enable ShiftStarting backend",
    ),
    Subcommand(
        "disable",
        "turns a notification off, like `enable`.",
        "<Name> [<rotation name fragment>]",
        f"{BOT_HANDLE} notification disable AssignmentConfirmed",
    ),
    Subcommand(
        "remind",
        f"sets how many hours before each of your shifts your ShiftReminder comes "
        f"(1 to {MAX_REMIND_HOURS}; {REMIND_HOURS} unless you change it).",
        "<hours>",
        f"{BOT_HANDLE} notification remind 12",
    ),
)


def _usage(subcommand: str | None, *problem: ReplyPart) -> UsageError:
    return UsageError("notification", *problem, subcommand=subcommand)


def _names(types: Sequence[NotificationType]) -> str:
    return ", ".join(t.name for t in types)


def parse_notification(rest: str) -> NotificationArgs:
    words = normalise_spaces(unescape(rest)).split(maxsplit=2)
    if not words:
        return NotificationArgs("config")
    subcommand = words[0].casefold()
    known = [s.name for s in SUBCOMMANDS]
    if subcommand not in known:
        hint = closest(subcommand, known)
        raise _usage(
            None,
            "there is no ",
            code(f"notification {words[0][:30]}"),
            f"; did you mean `notification {hint}`?" if hint else f"; it has {', '.join(known)}.",
        )
    if subcommand == "config":
        if len(words) > 1:
            raise _usage("config", "`notification config` takes nothing after it.")
        return NotificationArgs("config")
    if subcommand == "remind":
        return NotificationArgs("remind", hours=_hours(words[1:]))
    if len(words) < 2:
        raise _usage(subcommand, f"say which notification to {subcommand}: one of {_names(TYPES)}.")
    fragment = words[2] if len(words) > 2 else ""  # cleaned once a `#channel` is split off
    return NotificationArgs(subcommand, words[1], fragment)


def _hours(words: list[str]) -> int:
    text = " ".join(words).casefold()
    for unit in ("hours", "hour", "h"):
        text = text.removesuffix(unit).strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_REMIND_HOURS:
        raise _usage(
            "remind",
            f"give the hours before a shift as a whole number from 1 to {MAX_REMIND_HOURS}.",
        )
    return int(text)


def _type(name: str, types: Sequence[NotificationType], here: str) -> NotificationType:
    """The type named (any case), among those that apply here; DomainError says why not."""
    found = _BY_KEY.get(name.casefold())
    if found is None:
        hint = closest(name, [t.name for t in types])
        raise DomainError(
            "There is no notification ",
            code(name[:50]),
            f". Did you mean {hint}? " if hint else ". ",
            f"The ones {here} are {_names(types)}.",
        )
    if found not in types:
        where = (
            "a channel's: use it in the channel"
            if found.channel
            else "personal: send it to me in a direct message"
        )
        raise DomainError(
            f"{found.name} is {where}. The ones {here} are {_names(types)}.",
        )
    return found


def _mark(on: bool) -> str:
    return ON if on else OFF


def _hours_text(hours: int) -> str:
    return f"{hours} hour{'s' if hours != 1 else ''}"


def _personal_config(ctx: Context) -> Reply:
    user = ctx.request.user
    off = ctx.notifications.personal_off([user]).get(user, set())
    hours = ctx.notifications.remind_hours().get(user, REMIND_HOURS)
    lines = ["Your notifications, in this direct message (✔ on, ✘ off):"]
    for each in PERSONAL:
        tells = (each.personal or "").format(hours=_hours_text(hours))
        lines.append(f"{_mark(each.name not in off)} {each.name}: {tells}")
    lines.append(
        f"`{BOT_HANDLE} notification disable <Name>` turns one off, `enable` on again. "
        "In a channel, the same commands set what the channel gets."
    )
    return Reply.of("\n".join(lines))


def _channel_config(ctx: Context, rotations: list[Rotation]) -> Reply:
    """One line per rotation (a channel may have hundreds), then what each type tells."""
    parts: list[ReplyPart] = [f"Notifications in {ctx.here()} (✔ on, ✘ off):"]
    for rotation in rotations:
        off = ctx.notifications.channel_off(rotation).get(ctx.request.channel, set())
        marks = ", ".join(f"{_mark(t.name not in off)} {t.name}" for t in CHANNEL)
        parts += ["\n", *_name_here(ctx, rotation), f": {marks}"]
    parts.append("\nThey tell:")
    parts += [f"\n• {t.name}: {t.channel}" for t in CHANNEL]
    parts.append(
        f"\n`{BOT_HANDLE} notification disable <Name> [<rotation>]` turns one off, `enable` on "
        "again. In a direct message with me, the same commands set your own."
    )
    return Reply.of(*parts)


def _linked(ctx: Context) -> list[Rotation]:
    """The channel's own rotations (newest first, as `list` shows them), then those linked
    to it from other channels (oldest link first)."""
    channel = ctx.request.channel
    rotations = ctx.repo.list_rotations(channel, LIST_LIMIT)[0]
    rotations += ctx.repo.linked_rotations(channel, LIST_LIMIT)[0]
    if not rotations:
        raise DomainError(
            f"No rotation is linked to {ctx.here()}, so it gets no notifications. "
            f"{ctx.commands['create'].usage_line()} makes one here; "
            f"{ctx.commands['link'].usage_line()} links another channel's."
        )
    return rotations


def _name_here(ctx: Context, rotation: Rotation) -> list[ReplyPart]:
    """`*ops*` for the channel's own rotation, `#backend *ops*` for one linked from another."""
    if rotation.channel == ctx.request.channel:
        return [bold(rotation.name)]
    return [f"{channel_mention(rotation.channel)} ", bold(rotation.name)]


def _matching(
    ctx: Context, rotations: list[Rotation], fragment: str, switch: str
) -> list[Rotation]:
    """All, or the one rotation the fragment identifies (an exact name wins). A `#channel`
    first picks among the rotations of that channel, as `who #backend ops` does."""
    channel, rest = parser.split_channel(fragment, typed=ctx.request.source == "console")
    fragment = parser.clean_name(rest)
    if channel is not None:
        rotations = [r for r in rotations if r.channel == channel]
    if not fragment:
        if channel is None or rotations:
            return rotations
        raise DomainError(
            f"No rotation of {channel_mention(channel)} is linked to {ctx.here()}. "
            f"`{BOT_HANDLE} notification config` lists them."
        )
    key = name_key(fragment)
    exact = [r for r in rotations if name_key(r.name) == key]
    found = exact or [r for r in rotations if fragment.casefold() in r.name.casefold()]
    if len(found) == 1:
        return found
    if not found:
        of = [f" of {channel_mention(channel)}"] if channel is not None else []
        raise DomainError(
            "No rotation",
            *of,
            f" linked to {ctx.here()} has ",
            bold(fragment),
            f" in its name. `{BOT_HANDLE} notification config` lists them.",
        )
    parts: list[ReplyPart] = [bold(fragment), f" fits {len(found)} rotations; say which"]
    if len({name_key(r.name) for r in found}) < len(found):  # the same name: by its channel
        parts += [
            " by writing its channel first, as in ",
            code(f"{BOT_HANDLE} {switch} #channel {found[0].name}"),
        ]
    parts.append(":")
    for rotation in sorted(found, key=lambda r: (r.name.casefold(), r.channel)):
        parts += ["\n• ", *_name_here(ctx, rotation)]
    raise DomainError(*parts)


def _switch(ctx: Context, args: NotificationArgs) -> Reply:
    enabled = args.subcommand == "enable"
    state = "on" if enabled else "off"
    if ctx.request.direct:
        kind = _type(args.name, PERSONAL, "in a direct message")
        if args.fragment:
            raise DomainError(
                "Your notifications are for all your rotations, so name none: ",
                code(f"{BOT_HANDLE} notification {args.subcommand} {kind.name}"),
                ".",
            )
        ctx.notifications.set_personal(ctx.request.user, kind.name, enabled)
        return Reply.of(
            f"{kind.name} is {state} for you. `{BOT_HANDLE} notification config` lists yours."
        )
    kind = _type(args.name, CHANNEL, "in a channel")
    switch = f"notification {args.subcommand} {kind.name}"
    rotations = _matching(ctx, _linked(ctx), args.fragment, switch)
    for rotation in rotations:  # a channel's settings are its rotations' people's to change
        require_may_change(ctx, rotation, "switch the notifications of")
    for rotation in rotations:
        ctx.notifications.set_channel(ctx.request.channel, rotation, kind.name, enabled)
    parts: list[ReplyPart] = [f"{kind.name} is {state} in {ctx.here()} for "]
    for i, rotation in enumerate(rotations):
        parts += [", " if i else "", *_name_here(ctx, rotation)]
    parts.append(".")
    return Reply.of(*parts)


def _remind(ctx: Context, hours: int) -> Reply:
    ctx.notifications.set_remind_hours(ctx.request.user, hours)
    user = ctx.request.user
    off = SHIFT_REMINDER in ctx.notifications.personal_off([user]).get(user, set())
    return Reply.of(
        f"Your ShiftReminder comes {_hours_text(hours)} before each of your shifts, in a "
        "direct message.",
        f" It is off: `{BOT_HANDLE} notification enable {SHIFT_REMINDER}` turns it on."
        if off
        else "",
    )


def _notification(ctx: Context, args: NotificationArgs) -> Reply:
    if args.subcommand == "remind":
        return _remind(ctx, args.hours)
    if args.subcommand == "config":
        if ctx.request.direct:
            return _personal_config(ctx)
        return _channel_config(ctx, _linked(ctx))
    return _switch(ctx, args)


NOTIFICATION_COMMAND = Command(
    "notification",
    "shows and switches notifications: in a direct message your own, in a channel the channel's.",
    "<config|enable|disable|remind> [<arguments>]",
    f"{BOT_HANDLE} notification disable ShiftStarting backend-rota",
    parse_notification,
    _notification,
    names_rotation=False,
    subcommands=SUBCOMMANDS,
    locate=lambda rest, typed: (None, rest),
    in_dm=always(InDm.HERE),
)
