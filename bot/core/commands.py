"""The command table: every command's grammar, handler, summary, usage and example in one place.

Help, dispatch and the documentation test all read this table, so a command cannot exist
without its usage text, and the README cannot drift from what the bot accepts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from bot.core import cron, parser
from bot.core.errors import DomainError, NotFound, UsageError
from bot.core.limits import ROTATIONS_PER_CHANNEL, refuse_more
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
    Swap,
    SwapState,
    Verbatim,
    bold,
    code,
    typed,
)
from bot.core.parser import channel_mention, name_key
from bot.core.permissions import require_may_change
from bot.core.ports import (
    EVERYONE_ACTIVE,
    EVERYWHERE,
    AvailabilityRepository,
    Deactivated,
    Membership,
    NotificationSettings,
    RotationRepository,
    ScheduleRepository,
    UserDirectory,
    nobody_deactivated,
)
from bot.core.shifts import (
    Availability,
    Skip,
    Step,
    Unavailable,
    either,
    handoff_hint,
    next_handoff,
    next_in_line,
)
from bot.core.suggest import closest
from bot.core.text import unescape

log = logging.getLogger(__name__)
T = TypeVar("T")

# The name the bot's text is written with; the Slack front end shows the app's real name
# (`manifest --name`) in its place (bot.slack.render.as_named).
BOT_NAME = "dienstplan"
BOT_HANDLE = f"@{BOT_NAME}"
LIST_LIMIT = 500
DEACTIVATED = "deactivated in Slack"
DOCS_URL = "https://github.com/dienstplan/dienstplan#readme"


@dataclass(frozen=True)
class DutyChange:
    """A rotation's duty moved to `after`: who is told, and whose personal views change.

    `before` is None when the rotation was just created. `cause` is the command that moved
    it: create, update, rotate, assign (a swap adds its own)."""

    rotation: Rotation
    before: Member | None
    after: Member
    cause: str


@dataclass
class Effects:
    """What a handler changed that others must hear about: duty changes and the people
    concerned are read inside the transaction (to queue messages with the change); the
    schedules flag after the commit."""

    schedules_changed: bool = False
    duty_changes: list[DutyChange] = field(default_factory=list)
    # Messages to other channels or people (a swap request's DM), queued after the reply.
    messages: list[Outgoing] = field(default_factory=list)
    # User or group refs whose personal view (shifts, App Home) changed: they joined or left
    # a rotation, their availability changed, a duty they hold or get moved, or a rotation
    # of theirs got or lost its handoff (`rotate`) schedule.
    concerned: set[str] = field(default_factory=set)
    # The rotation the command found by name: a scheduled run's ScheduleExecuted is about it.
    acted_on: Rotation | None = None
    # The user group refs among `concerned`: each of the group's users is concerned.
    groups: set[str] = field(default_factory=set)

    def duty_changed(
        self, rotation: Rotation, before: Member | None, after: Member, cause: str
    ) -> None:
        self.duty_changes.append(DutyChange(rotation, before, after, cause))
        self.members_changed(m for m in (before, after) if m is not None)

    def members_changed(self, members: Iterable[Member]) -> None:
        for member in members:
            self.concerned.add(member.ref)
            if member.kind is MemberKind.USERGROUP:
                self.groups.add(member.ref)


@dataclass(frozen=True)
class Context:
    """Everything a handler may use: the request, the repositories and the current time."""

    request: Request
    repo: RotationRepository
    schedules: ScheduleRepository
    now: datetime
    timezone: ZoneInfo
    commands: dict[str, Command]
    away: AvailabilityRepository
    effects: Effects = field(default_factory=Effects)
    deactivated: Deactivated = nobody_deactivated
    membership: Membership = EVERYWHERE
    directory: UserDirectory = EVERYONE_ACTIVE
    docs_url: str = DOCS_URL
    # Said after the reply: a name that is also a linked rotation's tells how to reach that one.
    notes: list[ReplyPart] = field(default_factory=list)
    # Destructive commands allowed to everyone, not only to a rotation's people and admins.
    open_permissions: bool = False
    notifications: NotificationSettings = field(kw_only=True)
    # `slack://app?team=…&id=…&tab=home`: the bot's App Home; None where there is none.
    home_link: str | None = None
    _lazy_availability: Availability | None = field(default=None, compare=False, repr=False)
    # Rotations places.acting_in found by name, (channel, name key) -> rotation, for
    # find_rotation to take instead of reading them again.
    found: dict[tuple[str, str], Rotation] = field(default_factory=dict, compare=False, repr=False)

    def local_date(self, moment: datetime) -> str:
        return moment.astimezone(self.timezone).strftime("%Y-%m-%d")

    def here(self) -> str:
        """The channel acted on, as replies name it: `this channel`, or `<#C…>` when the
        command was typed elsewhere (a DM, another channel)."""
        if self.request.elsewhere:
            return channel_mention(self.request.channel)
        return "this channel"

    def my_channels(self) -> frozenset[str] | None:
        """The channels whose rotations the user may reach from here: theirs, and the one
        typed in (a DM's own rotations, made before DMs named channels). None: all."""
        channels = self.membership.channels_of(self.request.user)
        return None if channels is None else channels | {self.request.channel}

    def zone_of(self, user: str) -> ZoneInfo:
        """The person's Slack time zone; the bot's when Slack cannot tell (or in the console)."""
        try:
            name = self.directory.time_zone(user)
        except Exception:
            log.warning("no time zone for %s; using %s", user, self.timezone.key, exc_info=True)
            return self.timezone
        return zone_named(name, self.timezone, user)

    def availability(self, users: Collection[str] | None = None) -> Availability:
        """Away periods not over yet (a day's margin covers every zone). With `users`, read
        at once; without, each person's on first use, so a rotate reads only its candidates."""
        if users is None and self._lazy_availability is not None:
            return self._lazy_availability
        since = (self.now - timedelta(days=1)).date()
        zone_of = _memo(self.zone_of)
        if users is None:
            lazy = Availability(_AwayReads(self.away, since), zone_of)
            object.__setattr__(self, "_lazy_availability", lazy)
            return lazy
        by_user: dict[str, list[AwayPeriod]] = {}
        for period in self.away.away_periods(users, since) if users else []:
            by_user.setdefault(period.user, []).append(period)
        return Availability(lambda user: by_user.get(user, ()), zone_of)

    def expect_availability(self, users: Iterable[str]) -> None:
        """The lazy availability (above) of these people is about to be asked: read it in
        one query rather than one per person."""
        cast(_AwayReads, self.availability().periods_of).read(users)

    def unavailable(self, availability: Availability | None = None) -> Unavailable:
        """Who `rotate` passes over: deactivated accounts and people away."""
        return either(self._deactivated_reason, (availability or self.availability()).reason)

    def _deactivated_reason(self, member: Member, at: datetime) -> str | None:
        if member.kind is MemberKind.USER and self.deactivated([member.ref]):
            return DEACTIVATED
        return None


def zone_named(name: str | None, fallback: ZoneInfo, user: str) -> ZoneInfo:
    """A person's Slack time zone by its name: `fallback` when they have none, or when this
    machine's tz database lacks it (logged, without a traceback: it is no bug of ours)."""
    if not name:
        return fallback
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        log.warning("unknown time zone %r for %s; using %s", name, user, fallback.key)
        return fallback


class _AwayReads:
    """A command's reads of people's away periods: each person's on first use, or several
    people's at once when the command knows whom it will ask about (expect_availability)."""

    def __init__(self, away: AvailabilityRepository, since: date) -> None:
        self._away = away
        self._since = since
        self._known: dict[str, list[AwayPeriod]] = {}

    def __call__(self, user: str) -> list[AwayPeriod]:
        if user not in self._known:
            self.read([user])
        return self._known[user]

    def read(self, users: Iterable[str]) -> None:
        missing = [user for user in dict.fromkeys(users) if user not in self._known]
        if not missing:
            return
        for user in missing:
            self._known[user] = []
        for period in self._away.away_periods(missing, self._since):
            self._known[period.user].append(period)


def _memo(function: Callable[[str], T]) -> Callable[[str], T]:
    """A per-command memo: functools.cache costs more to set up than a command's few calls."""
    known: dict[str, T] = {}

    def lookup(key: str) -> T:
        if key not in known:
            known[key] = function(key)
        return known[key]

    return lookup


class InDm(Enum):
    """What a command does in a direct message when it names no `#channel`."""

    HERE = "here"  # it needs no channel (help)
    BY_NAME = "by name"  # the user's channels' rotation of that name
    ALL = "all"  # every channel of the user (list)
    NEEDS_CHANNEL = "needs channel"  # it makes or shows something in one channel


Locate = Callable[[str, bool], tuple[str | None, str]]
"""A command's `#channel` (and the arguments without it); True: take the console's `#name`."""


def no_channel(rest: str, typed: bool) -> tuple[str | None, str]:
    return None, rest


def _leading_channel(rest: str, typed: bool) -> tuple[str | None, str]:
    return parser.split_channel(rest, typed=typed)


def about_you(name: str) -> Locate:
    """The locate of a command about the person in all their rotations (`away`, `shifts`):
    a `#channel` is refused, not ignored, so nobody thinks it applied to one channel."""

    def locate(rest: str, typed: bool) -> tuple[str | None, str]:
        for word in rest.split():  # anywhere; and a `#ops` typed as text means one too
            channel, _ = parser.split_channel(word, typed=True)
            if channel is not None:
                shown = channel_mention(channel) if word.startswith("<") else word
                raise UsageError(
                    name,
                    f"`{name}` covers all your rotations, in every channel, so it takes no "
                    f"channel: leave out {shown}.",
                )
        return None, rest

    return locate


def always(rule: InDm) -> Callable[[Any], InDm]:
    return lambda _args: rule


_BY_NAME = always(InDm.BY_NAME)


class Group(Enum):
    """What a command is for; help lists the groups in this order, each once it has commands."""

    ROTATIONS = "Rotations"
    SCHEDULES = "Schedules"
    AVAILABILITY = "Availability and shifts"
    CHANNELS = "Channels and notifications"
    SWAPS = "Swaps"
    HELP = "Help"


@dataclass(frozen=True)
class Subcommand:
    """One form of a command with subcommands (`schedule create`), for help and usage errors."""

    name: str
    summary: str
    usage: str
    example: str


@dataclass(frozen=True)
class Command:
    name: str
    summary: str
    usage: str
    example: str
    parse: Callable[[str], Any]
    run: Callable[[Context, Any], Reply]
    names_rotation: bool = True
    creates_rotation: bool = False
    # Changes nothing (`who`): it reads without the write lock (Dispatcher.handle).
    reads_only: bool = False
    subcommands: tuple[Subcommand, ...] = ()
    locate: Locate = _leading_channel
    in_dm: Callable[[Any], InDm] = _BY_NAME
    # Set by registry.py, which assembles the table group by group.
    group: Group = Group.ROTATIONS

    def usage_line(self, subcommand: Subcommand | None = None) -> str:
        name, usage = (
            (f"{self.name} {subcommand.name}", subcommand.usage)
            if subcommand
            else (self.name, self.usage)
        )
        return f"`{BOT_HANDLE} {name}{' ' + usage if usage else ''}`"

    def subcommand(self, name: str | None) -> Subcommand | None:
        return next((s for s in self.subcommands if s.name == name), None)


def rotation_named(command: Command, args: Any) -> str | None:
    """The rotation a parsed command acts on: its first argument, for rotation commands."""
    if not command.names_rotation:
        return None
    return args if isinstance(args, str) else args[0]


def find_rotation(ctx: Context, name: str) -> Rotation:
    found = ctx.found.pop((ctx.request.channel, name_key(name)), None)
    rotation = found or ctx.repo.find(ctx.request.channel, name)
    if rotation is not None:
        ctx.effects.acted_on = rotation
        return rotation
    linked = ctx.repo.find_linked(ctx.request.channel, name)
    if linked:  # a command reaches a linked rotation in its own channel; a schedule does not
        # the schedule's command, as `schedule create` checks it (_dry_run)
        command = " ".join(unescape(ctx.request.text).split()) or f"rotate {linked[0].name}"
        example = code(f'{BOT_HANDLE} schedule create #channel "{command}" 0 9 * * Mon')
        if len(linked) == 1:
            home = channel_mention(linked[0].channel)
            raise NotFound(
                bold(linked[0].name),
                f" is a rotation of {home}, linked to {ctx.here()}. Its schedules belong "
                f"in {home}: name that channel after `schedule create`, as in ",
                example,
                ".",
            )
        parts: list[ReplyPart] = [
            bold(linked[0].name),
            f" is a rotation of {len(linked)} channels linked to {ctx.here()}. Its schedules "
            "belong in its own channel: name that channel after `schedule create`, as in ",
            example,
            ":",
        ]
        for rotation in linked:
            parts += ["\n• ", *channel_and_name(rotation)]
        raise NotFound(*parts)
    known = ctx.repo.names(ctx.request.channel)
    hint = nearest_name(name, known)
    suggestion: list[ReplyPart] = [" Did you mean ", bold(hint), "?"] if hint else []
    raise NotFound(
        "There is no rotation ",
        bold(name),
        f" in {ctx.here()}.",
        *plain_channel_note(name, hint),
        *suggestion,
        f" `{BOT_HANDLE} list{_channel_arg(ctx)}` shows {possessive(ctx)} rotations.",
    )


def nearest_name(name: str, known: list[str]) -> str | None:
    """The rotation name a typo was meant to be. `R&amp;D` pasted from Slack's wire format
    into the console means `R&D`; in `#ops backend` with `#ops` typed as text, the name is
    the rest."""
    hint = closest(name, known) or closest(unescape(name), known)
    rest = without_plain_channel(name)
    if hint is None and rest and rest != name:
        hint = next((k for k in known if name_key(k) == name_key(rest)), None)
        hint = hint or closest(rest, known)
    return hint


def without_plain_channel(name: str) -> str:
    """The name without a leading `#ops` that came as text (parser.leading_plain_channel)."""
    plain = parser.leading_plain_channel(name)
    return name if plain is None else name[len(plain) :].strip()


def plain_channel_note(name: str, hint: str | None) -> list[ReplyPart]:
    """Why `#ops` in a name did not name a channel, when it is there; not when the name
    suggested starts with `#` too (`#1 support` mistyped), which a name may."""
    plain = parser.leading_plain_channel(name)
    if plain is None or (hint is not None and hint.startswith("#")):
        return []
    return [" ", typed(plain), f" is {parser.PLAIN_CHANNEL}, so that it becomes a link."]


def _channel_arg(ctx: Context) -> str:
    """` <#C…>` when acting elsewhere, so a suggested command names the same channel."""
    return f" {channel_mention(ctx.request.channel)}" if ctx.request.elsewhere else ""


def possessive(ctx: Context) -> str:
    return f"{ctx.here()}'s" if ctx.request.elsewhere else "this channel's"


def _chain(members: list[Member], duty: int | None = None) -> list[ReplyPart]:
    parts: list[ReplyPart] = []
    for i, member in enumerate(members):
        if i:
            parts.append(", ")
        parts.append(Quiet(member))
        if i == duty:
            parts.append(" (on duty)")
    return parts


def _deactivated(ctx: Context, members: Sequence[Member]) -> list[Member]:
    """The members Slack says are deactivated; a user group never is."""
    users = [m for m in members if m.kind is MemberKind.USER]
    gone = ctx.deactivated([m.ref for m in users]) if users else frozenset()
    return [m for m in users if m.ref in gone]


def _names(members: Sequence[Member]) -> list[ReplyPart]:
    """`A`, `A and B`, `A, B and C`: named, not pinged."""
    parts: list[ReplyPart] = []
    for i, member in enumerate(members):
        if i:
            parts.append(" and " if i == len(members) - 1 else ", ")
        parts.append(Quiet(member))
    return parts


def _refuse_deactivated(ctx: Context, members: Sequence[Member], name: str) -> None:
    """Nobody Slack has deactivated can join a rotation: they would be put on duty."""
    gone = _deactivated(ctx, members)
    if not gone:
        return
    verb = "is" if len(gone) == 1 else "are"
    raise DomainError(
        *_names(gone),
        f" {verb} deactivated in Slack, so they can't be on ",
        bold(name),
        ". Leave them out and try again.",
    )


MEMBERS_READ_AHEAD = 8


def _members_of(ctx: Context, rotation: Rotation) -> Callable[[int], Member]:
    """member_at, reading MEMBERS_READ_AHEAD members round-robin from the first one asked
    for: `who` asks for the duty and then the next in line, and then whether each is
    away, so their away periods are read with them, in one query too."""
    known: dict[int, Member] = {}

    def member_at(position: int) -> Member:
        if position not in known:
            read = ctx.repo.members_from(rotation, position, MEMBERS_READ_AHEAD)
            known.update(read)
            ctx.expect_availability(m.ref for m in read.values() if m.kind is MemberKind.USER)
        return known[position]

    return member_at


def _next_on_duty(ctx: Context, rotation: Rotation, at: datetime) -> Step:
    """The next member round-robin who is neither deactivated nor away at `at`.

    Asked inside the transaction, one candidate at a time (a rotation's members are not known
    before it): the first available candidate ends the search, and the directory keeps its
    answers cached, so a rotate usually costs no lookup at all.
    """
    return next_in_line(
        lambda position: ctx.repo.member_at(rotation, position),
        rotation.member_count,
        rotation.duty_position,
        at,
        ctx.unavailable(),
    )


def _skipped(skips: Sequence[Skip]) -> list[ReplyPart]:
    """` Skipped bob and carol (deactivated in Slack); dave (away until Fri 27 Nov).`"""
    if not skips:
        return []
    by_reason: dict[str, list[Member]] = {}
    for skip in skips:
        by_reason.setdefault(skip.reason, []).append(skip.member)
    parts: list[ReplyPart] = [" Skipped "]
    for i, (reason, members) in enumerate(by_reason.items()):
        parts += ["; " if i else "", *_names(members), f" ({reason})"]
    parts.append(".")
    return parts


def _each_with_reason(skips: Sequence[Skip]) -> list[ReplyPart]:
    """`bob (away until Fri 27 Nov) and carol (deactivated in Slack)`"""
    parts: list[ReplyPart] = []
    for i, skip in enumerate(skips):
        if i:
            parts.append(" and " if i == len(skips) - 1 else ", ")
        parts += [Quiet(skip.member), f" ({skip.reason})"]
    return parts


def _create(ctx: Context, args: tuple[str, list[Member], str]) -> Reply:
    name, members, description = args
    existing = ctx.repo.find(ctx.request.channel, name)
    if existing is not None:
        raise DomainError(
            "A rotation named ",
            bold(existing.name),
            f" already exists in {ctx.here()}. Pick another name, or change it with ",
            code(f"{BOT_HANDLE} update {existing.name} <members> <description>"),
            ".",
        )
    refuse_more(
        ROTATIONS_PER_CHANNEL,
        ctx.repo.list_rotations(ctx.request.channel, 0)[1],
        f"Delete one first with `{BOT_HANDLE} delete <rotation name>`.",
    )
    _refuse_deactivated(ctx, members, name)
    rotation = ctx.repo.create(
        channel=ctx.request.channel,
        name=name,
        description=description,
        members=members,
        created_by=ctx.request.user,
        now=ctx.now,
    )
    ctx.effects.members_changed(members)
    ctx.effects.duty_changed(rotation, None, members[0], "create")
    return Reply.of(
        "Created rotation ",
        bold(rotation.name),
        f" in {ctx.here()}" if ctx.request.elsewhere else "",
        f" with {len(members)} {'member' if len(members) == 1 else 'members'}: ",
        *_chain(members),
        f". {members[0].mention()} is on duty now.",
    )


def _update(ctx: Context, args: tuple[str, list[Member], str]) -> Reply:
    name, members, description = args
    rotation = find_rotation(ctx, name)
    require_may_change(ctx, rotation, "update")
    _refuse_deactivated(ctx, members, rotation.name)
    before = on_duty(ctx, rotation)
    ctx.effects.members_changed(ctx.repo.members(rotation))
    rotation = ctx.repo.replace(rotation, members=members, description=description)
    ctx.effects.members_changed(members)
    ctx.effects.duty_changed(rotation, before, members[0], "update")
    return Reply.of(
        "Updated rotation ",
        bold(rotation.name),
        ": ",
        *_chain(members),
        f". The duty starts over: {members[0].mention()} is on duty now.",
    )


def on_duty(ctx: Context, rotation: Rotation) -> Member:
    """Who holds the shift now: the stand-in of an accepted swap, else the order's member."""
    return ctx.repo.stand_in(rotation) or ctx.repo.member_at(rotation, rotation.duty_position)


def _rotate(ctx: Context, name: str) -> Reply:
    rotation = find_rotation(ctx, name)
    previous = on_duty(ctx, rotation)
    if rotation.member_count == 1:
        if _deactivated(ctx, [previous]):  # named, not pinged: nobody reads that account
            return Reply.of(
                bold(rotation.name),
                " has a single member, ",
                Quiet(previous),
                ", who is deactivated in Slack. ",
                code(f"{BOT_HANDLE} update {rotation.name}"),
                " can give it active members.",
            )
        return Reply.of(
            bold(rotation.name), f" has a single member, so {previous.mention()} stays on duty."
        )
    step = _next_on_duty(ctx, rotation, ctx.now)
    if step.kept:
        return _nobody_else(rotation, previous, step.skipped)
    ctx.repo.set_duty(rotation, step.position)
    ordered = ctx.repo.member_at(rotation, step.position)
    stand_in = ctx.repo.start_override(rotation, ctx.now)
    current = stand_in or ordered
    if current.ref == previous.ref:  # they stood in for the shift before their own turn
        return Reply.of(
            bold(rotation.name),
            f": the next shift is {current.mention()}'s in turn, so they stay on duty.",
            *_skipped(step.skipped),
        )
    ctx.effects.duty_changed(rotation, previous, current, "rotate")
    return Reply.of(
        bold(rotation.name),
        ": the duty passes from ",
        Quiet(previous),
        f" to {current.mention()}",
        *_standing_in(ordered, current),
        ".",
        *_skipped(step.skipped),
    )


def lapse_requests(ctx: Context, rotation: Rotation, why: str, *, held_now: bool) -> None:
    """Pending swap requests nobody can answer any more end now: recorded as lapsed (so they
    leave `swaps` and the App Homes), and their askers told why."""
    for swap in ctx.repo.pending_swaps_on(rotation, held_now=held_now):
        lapse_request(ctx, rotation, swap, why)


def lapse_request(ctx: Context, rotation: Rotation, swap: Swap, why: str) -> None:
    """One pending request ends now, recorded as lapsed, and its asker is told why."""
    ctx.repo.answer_swap(swap.id, SwapState.EXPIRED, ctx.now)
    ctx.effects.concerned.update({swap.requester, swap.target})
    ctx.effects.messages.append(
        Outgoing(
            swap.requester,
            Reply.of(f"Your swap request #{swap.id} for ", bold(rotation.name), f" lapsed: {why}."),
            "swap_answer",
        )
    )


def lapse_held_now_requests(ctx: Context) -> None:
    """The duty moved: a request for the shift held now asks for a shift nobody holds any
    more."""
    moved = {change.rotation.id: change.rotation for change in ctx.effects.duty_changes}
    for rotation in moved.values():
        lapse_requests(ctx, rotation, "the duty moved on before it was answered", held_now=True)


def _standing_in(ordered: Member, holder: Member) -> list[ReplyPart]:
    """` (a swap: standing in for bob)` when an accepted swap gave the shift to another."""
    return [] if holder == ordered else [" (a swap: standing in for ", Quiet(ordered), ")"]


def _nobody_else(rotation: Rotation, previous: Member, skips: Sequence[Skip]) -> Reply:
    """Every other member is unavailable: the duty stays, and the reply says why."""
    if all(skip.reason == DEACTIVATED for skip in skips):
        return Reply.of(
            bold(rotation.name),
            ": every other member is deactivated in Slack (",
            *_names([skip.member for skip in skips]),
            f"), so {previous.mention()} stays on duty. ",
            code(f"{BOT_HANDLE} update {rotation.name}"),
            " can take them off the rotation.",
        )
    return Reply.of(
        bold(rotation.name),
        ": every other member is away or deactivated (",
        *_each_with_reason(skips),
        f"), so {previous.mention()} stays on duty.",
    )


def next_parts(
    ctx: Context,
    rotation: Rotation,
    stand_in: Member | None,
    *,
    hint: bool = False,
    lead: str = "\n",
    member_at: Callable[[int], Member] | None = None,
) -> list[ReplyPart]:
    """`Next handoff: <time>, to bob.` from the rotate schedules, else `Next in line: bob.`,
    after `lead`; with `hint`, how to add a handoff schedule when there is none. `stand_in`
    is the caller's read of ctx.repo.stand_in: the shift held now may be a swap's;
    `member_at`, the caller's reads of the members (_members_of), if it made any."""
    if rotation.member_count < 1:
        return []
    schedules = ctx.schedules.rotation_schedules(rotation.channel, name_key(rotation.name))
    handoff = next_handoff(schedules)
    if rotation.member_count == 1:  # nobody is next in line; a handoff is still news
        if handoff is None:
            return []
        when = cron.format_run(handoff[0], handoff[1].shown_zone(ctx.timezone.key))
        only = (member_at or _members_of(ctx, rotation))(0)
        return [f"{lead}Next handoff: {when}, to ", Quiet(only), ", the only member."]
    at = handoff[0] if handoff else ctx.now
    member_at = member_at or _members_of(ctx, rotation)
    step = next_in_line(
        member_at, rotation.member_count, rotation.duty_position, at, ctx.unavailable()
    )
    duty = stand_in or member_at(rotation.duty_position)
    if handoff is None:
        parts: list[ReplyPart] = [f"{lead}Next in line: "]
    else:
        when = cron.format_run(at, handoff[1].shown_zone(ctx.timezone.key))
        parts = [f"{lead}Next handoff: {when}, "]
    if step.kept:
        parts += [
            "nobody else is available (",
            *_each_with_reason(step.skipped),
            "), so ",
            Quiet(duty),
            " stays on duty.",
        ]
    else:
        after = "to " if handoff else ""
        following = member_at(step.position)
        swapped = _swapped_in(ctx, rotation, at) if handoff else None
        parts += [after, Quiet(swapped or following)]
        if swapped is not None and swapped != following:
            parts += _standing_in(following, swapped)
        elif stand_in is not None and following.ref == stand_in.ref:
            parts.append(" (in turn, after standing in)")
        if step.skipped:
            parts += [", skipping ", *_each_with_reason(step.skipped)]
        parts.append(".")
    if hint and handoff is None:
        parts += [
            " No handoff schedule: ",
            code(f"{BOT_HANDLE} {handoff_hint(rotation.name)}"),
            " adds one.",
        ]
    return parts


def _swapped_in(ctx: Context, rotation: Rotation, start: datetime) -> Member | None:
    """Who an accepted swap puts on the shift starting then, if they are still a member
    (shifts.project passes over the swaps of people `update` took off)."""
    member = ctx.repo.overrides(rotation).get(start)
    if member is None or ctx.repo.position_of(rotation, member.ref) is None:
        return None
    return member


def _away_note(ctx: Context, member: Member) -> str:
    """`away until Fri 27 Nov` when the member is away now, else empty."""
    return ctx.availability().reason(member, ctx.now) or ""


def _deactivated_on_duty(rotation: Rotation, duty: Member) -> list[ReplyPart]:
    """Nobody can answer for a deactivated account: say so, named rather than pinged."""
    way_out: list[ReplyPart] = (
        [code(f"{BOT_HANDLE} update {rotation.name}"), " can give it active members."]
        if rotation.member_count == 1  # nobody to pass it to
        else [
            code(f"{BOT_HANDLE} rotate {rotation.name}"),
            " passes the duty to the next active member.",
        ]
    )
    return [
        Quiet(duty),
        " is on duty for ",
        bold(rotation.name),
        ", but is deactivated in Slack. ",
        *way_out,
    ]


def _who(ctx: Context, name: str) -> Reply:
    rotation = find_rotation(ctx, name)
    stand_in = ctx.repo.stand_in(rotation)
    member_at = _members_of(ctx, rotation)
    duty = stand_in or member_at(rotation.duty_position)
    after = next_parts(ctx, rotation, stand_in, member_at=member_at)
    if _deactivated(ctx, [duty]):
        return Reply.of(
            *_deactivated_on_duty(rotation, duty), f"\nDuties:\n{rotation.description}", *after
        )
    away = _away_note(ctx, duty)
    return Reply.of(
        f"{duty.mention()} is on duty for ",
        bold(rotation.name),
        f", but is {away}" if away else "",
        f":\n{rotation.description}",
        *after,
    )


def _shout(ctx: Context, name: str) -> Reply:
    rotation = find_rotation(ctx, name)
    duty = on_duty(ctx, rotation)
    if _deactivated(ctx, [duty]):
        return Reply.of(*_deactivated_on_duty(rotation, duty))
    return Reply.of(f"{duty.mention()} is on duty for ", bold(rotation.name), ".")


def _assign(ctx: Context, args: tuple[str, Member]) -> Reply:
    name, member = args
    rotation = find_rotation(ctx, name)
    if member.ref != ctx.request.user:
        require_may_change(ctx, rotation, "assign someone else to")
    position = ctx.repo.position_of(rotation, member.ref)
    if position is None:
        raise DomainError(
            Quiet(member),
            " is not a member of ",
            bold(rotation.name),
            ", so they can't be assigned. ",
            code(f"{BOT_HANDLE} about {rotation.name}"),
            f" lists the members; `{BOT_HANDLE} update` changes them.",
        )
    if _deactivated(ctx, [member]):
        raise DomainError(
            Quiet(member),
            " is deactivated in Slack, so they can't be put on duty for ",
            bold(rotation.name),
            f". Assign someone else, or take them off the rotation with `{BOT_HANDLE} update`.",
        )
    previous = on_duty(ctx, rotation)
    if previous.ref == member.ref:
        return Reply.of(Quiet(member), " is already on duty for ", bold(rotation.name), ".")
    ctx.repo.set_duty(rotation, position)
    ctx.effects.duty_changed(rotation, previous, member, "assign")
    away = _away_note(ctx, member)
    return Reply.of(
        bold(rotation.name),
        f": {member.mention()} is on duty now (instead of ",
        Quiet(previous),
        "). The next `rotate` continues from them.",
        f" Note: they are {away}." if away else "",
    )


def _about(ctx: Context, name: str) -> Reply:
    rotation = find_rotation(ctx, name)
    parts: list[ReplyPart] = [
        bold(rotation.name),
        f", created {ctx.local_date(rotation.created_at)} by ",
        Quiet(Member(rotation.created_by)),
        f"\nMembers in duty order ({rotation.member_count}):",
    ]
    members = list(ctx.repo.members(rotation))
    gone = _deactivated(ctx, members)
    ctx.expect_availability(m.ref for m in members if m.kind is MemberKind.USER)
    availability = ctx.availability()
    stand_in = ctx.repo.stand_in(rotation)
    for i, member in enumerate(members):
        away = availability.reason(member, ctx.now)
        reasons = [r for r in (DEACTIVATED if member in gone else None, away) if r]
        marker = f" ({'; '.join(reasons)})" if reasons else ""
        if i == rotation.duty_position:
            marker += "  ← in turn" if stand_in and stand_in != member else "  ← on duty"
        elif stand_in == member:
            marker += "  ← on duty (a swap)"
        parts += [f"\n{i + 1}. ", Quiet(member), marker]
    parts += next_parts(ctx, rotation, stand_in, hint=True, member_at=members.__getitem__)
    parts.append(f"\nDuties:\n{rotation.description}")
    return Reply.of(*parts)


def _delete(ctx: Context, name: str) -> Reply:
    rotation = find_rotation(ctx, name)
    require_may_change(ctx, rotation, "delete")
    ctx.effects.members_changed(ctx.repo.members(rotation))
    lapse_requests(ctx, rotation, "the rotation was deleted", held_now=False)
    ctx.repo.delete(rotation)
    removed = ctx.schedules.delete_rotation_schedules(ctx.request.channel, name_key(name))
    if not removed:
        return Reply.of("Deleted rotation ", bold(rotation.name), ".")
    ctx.effects.schedules_changed = True
    plural = "schedule" if len(removed) == 1 else "schedules"
    return Reply.of(
        "Deleted rotation ",
        bold(rotation.name),
        f" and its {len(removed)} {plural}: ",
        *parser.command_list([s.command for s in removed]),
        ".",
    )


def channel_and_name(rotation: Rotation) -> list[ReplyPart]:
    """`#backend ops` as a person would type it to name this rotation from anywhere."""
    return [f"{channel_mention(rotation.channel)} ", Verbatim(rotation.name)]


def help_text(commands: dict[str, Command], docs_url: str = DOCS_URL) -> str:
    """Every command by purpose, then where to read more: the documentation and the App Home."""
    lines = [
        f"*{BOT_NAME}* keeps on-call rotations in Slack channels. Mention me with a command "
        "in a channel (in a direct message with me, the mention is not needed):"
    ]
    for group in Group:
        members = [c for c in commands.values() if c.group is group]
        if members:
            lines.append(f"*{group.value}*")
            lines += [f"• {c.usage_line()} {c.summary}" for c in members]
    lines += [
        f"Documentation: {docs_url}\nMy App Home: open *{BOT_NAME}* under Apps in Slack's "
        f"sidebar (`{BOT_HANDLE} home` links to it). Its Home tab shows your duties, shifts and "
        "away days; in its Messages tab, commands need no mention.",
    ]
    return "\n".join(lines)


def command_help(command: Command, subcommand: str | None = None) -> str:
    """A command's usage, summary and example; one subcommand's, or each subcommand's."""
    sub = command.subcommand(subcommand)
    if sub is not None:
        return f"{command.usage_line(sub)}\n{sub.summary}\nExample: `{sub.example}`"
    if not command.subcommands:
        return f"{command.usage_line()}\n{command.summary}\nExample: `{command.example}`"
    lines = [command.usage_line(), command.summary]
    for each in command.subcommands:
        lines += [f"• {command.usage_line(each)} {each.summary}", f"  Example: `{each.example}`"]
    return "\n".join(lines)


def _help(ctx: Context, topic: str) -> Reply:
    if not topic:
        return Reply.of(help_text(ctx.commands, ctx.docs_url))
    name, _, rest = topic.partition(" ")
    command = ctx.commands.get(name.casefold())
    if command is None:
        hint = closest(name.casefold(), list(ctx.commands))
        return Reply.of(
            "There is no command ",
            code(name[:50]),
            f". Did you mean `{hint}`?" if hint else ".",
            f"\n\n{help_text(ctx.commands, ctx.docs_url)}",
        )
    sub, _, extra = rest.strip().partition(" ") if command.subcommands else ("", "", rest)
    if sub and command.subcommand(sub.casefold()) is None:
        names = [s.name for s in command.subcommands]
        hint = closest(sub.casefold(), names)
        return Reply.of(
            f"`{command.name}` has no subcommand ",
            code(sub[:30]),
            f"; it has {', '.join(names)}."
            + (f" Did you mean `help {command.name} {hint}`?" if hint else "")
            + "\n\n"
            + command_help(command),
        )
    shown = command_help(command, sub.casefold() or None)
    if extra.strip():  # `help schedule create "rotate x"`: the help asked for, and why not more
        words = f"{command.name} {sub.casefold()}" if sub else command.name
        return Reply.of(
            f"`help {words}` takes nothing after it, not ", code(extra.strip()[:30]), ".\n\n", shown
        )
    return Reply.of(shown)


def _name(command: str) -> Callable[[str], str]:
    return lambda rest: parser.parse_name(command, rest)


ROTATION_COMMANDS: list[Command] = [
    Command(
        "create",
        "creates a rotation; the first member is on duty first.",
        "<rotation name> <list of user mentions> <duties description>",
        f"{BOT_HANDLE} create backend-rota @alice @bob @carol Watch alerts and deploys.",
        lambda rest: parser.parse_name_members_description("create", rest),
        _create,
        creates_rotation=True,
        in_dm=always(InDm.NEEDS_CHANNEL),
    ),
    Command(
        "rotate",
        "hands the duty to the next member, round-robin.",
        "<rotation name>",
        f"{BOT_HANDLE} rotate backend-rota",
        _name("rotate"),
        _rotate,
    ),
    Command(
        "who",
        "shows who is on duty, with the duties description.",
        "<rotation name>",
        f"{BOT_HANDLE} who backend-rota",
        _name("who"),
        _who,
        reads_only=True,
    ),
    Command(
        "shout",
        "pings who is on duty, without the description.",
        "<rotation name>",
        f"{BOT_HANDLE} shout backend-rota",
        _name("shout"),
        _shout,
        reads_only=True,
    ),
    Command(
        "assign",
        "puts a member of the rotation on duty out of turn.",
        "<rotation name> <user mention>",
        f"{BOT_HANDLE} assign backend-rota @carol",
        lambda rest: parser.parse_name_member("assign", rest),
        _assign,
    ),
    Command(
        "about",
        "shows a rotation's members in order, who is on duty, and its description.",
        "<rotation name>",
        f"{BOT_HANDLE} about backend-rota",
        _name("about"),
        _about,
        reads_only=True,
    ),
    Command(
        "delete",
        "deletes a rotation.",
        "<rotation name>",
        f"{BOT_HANDLE} delete backend-rota",
        _name("delete"),
        _delete,
    ),
    Command(
        "update",
        "replaces a rotation's members and description; the duty starts over "
        "with the first member.",
        "<rotation name> <list of user mentions> <duties description>",
        f"{BOT_HANDLE} update backend-rota @bob @carol @dave Watch alerts, deploys and CI.",
        lambda rest: parser.parse_name_members_description("update", rest),
        _update,
    ),
    Command(
        "help",
        "shows this help, or how to use one command.",
        "[<command>]",
        f"{BOT_HANDLE} help create",
        parser.parse_topic,
        _help,
        names_rotation=False,
        reads_only=True,
        locate=no_channel,
        in_dm=always(InDm.HERE),
    ),
]
