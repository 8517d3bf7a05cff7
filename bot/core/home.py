"""The App Home as a view model: what one person sees, from current state, with no Slack in it.

The Slack adapter renders this model into blocks when it publishes (bot/slack/home.py), so a
republish always shows the state of that moment, never a stale copy. The Home's Set away form
is checked here too: the same rules as the `away` command, with the problems named per field
so the form can show them next to the date they concern.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.commands import BOT_HANDLE, Command, Context, InDm, about_you, always
from bot.core.limits import AWAY_NOTE_LENGTH, at_most
from bot.core.model import (
    AwayPeriod,
    Member,
    MemberKind,
    Outgoing,
    Reply,
    ReplyPart,
    Rotation,
    Swap,
    code,
)
from bot.core.parser import name_key, nothing_after
from bot.core.personal import rotations_of, too_far_ahead
from bot.core.ports import RotationRepository
from bot.core.shifts import (
    HORIZON,
    Holders,
    handoff_times,
    next_in_line,
    project,
    short_date,
)
from bot.core.text import forbidden_character

# Outbox kinds of a republish, built when sent: the channel (the ordering key) is the person,
# or a user group, whose users who opened the Home are found then.
HOME = "home"
HOME_GROUP = "home group"
HOME_KINDS = (HOME, HOME_GROUP)


def home_update(ref: str, *, group: bool = False) -> Outgoing:
    """Republish this person's Home, or each Home of a user group's users."""
    return Outgoing(ref, Reply(), HOME_GROUP if group else HOME)


def republishes(
    repo: RotationRepository, users: Collection[str], groups: Collection[str] = ()
) -> list[Outgoing]:
    """A republish for each of these people who has opened the Home, and one per user group:
    the sender finds a group's users when it publishes (no Slack call while the caller's
    transaction holds the write lock)."""
    opened = repo.home_users(users) if users else set()
    return [home_update(ref) for ref in sorted(opened)] + [
        home_update(ref, group=True) for ref in sorted(groups)
    ]


@dataclass(frozen=True)
class SwapLine:
    """A pending swap request the person sent (`incoming` False) or may answer."""

    swap: Swap
    rotation: Rotation
    incoming: bool


@dataclass(frozen=True)
class RotationState:
    """One of the person's rotations: who holds the duty, since when, and what comes next.

    `next_at` is the next handoff (None: no `rotate` schedule, or a single member);
    `next_holder` who takes over then, or who is next in line without a schedule (None:
    nobody else can: `nobody_else`, or a single member)."""

    rotation: Rotation
    holder: Member
    holder_note: str | None  # `away until Fri 27 Nov`, `deactivated in Slack`
    mine: bool  # the person holds the duty, in person or through a user group
    next_at: datetime | None
    next_holder: Member | None
    nobody_else: bool = False  # others are members, but none of them can take over
    in_turn: bool = False  # the holder stands in (a swap), and the next turn is their own
    standing_in_for: Member | None = None  # whose next shift next_holder took by a swap


@dataclass(frozen=True)
class UpcomingShift:
    rotation: Rotation
    start: datetime
    end: datetime | None


@dataclass(frozen=True)
class HomeModel:
    user: str
    zone: ZoneInfo
    now: datetime
    rotations: list[RotationState]  # by channel, then name
    upcoming: list[UpcomingShift]  # starting within HORIZON, soonest first
    upcoming_cut: bool  # a rotation had more handoffs than the projection computes
    away: list[AwayPeriod]  # not over yet, by start
    swaps: list[SwapLine] = field(default_factory=list)  # pending, sent or received

    @property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()

    @property
    def on_call(self) -> list[RotationState]:
        return [state for state in self.rotations if state.mine]

    @property
    def first_run(self) -> bool:
        """In no rotation: the Home explains the bot instead."""
        return not self.rotations


def home_model(ctx: Context, user: str) -> HomeModel:
    """Everything the person's Home shows, read once: the rotations they are in (in person or
    through a user group), their members' availability in one read, and their away periods."""
    zone = ctx.zone_of(user)
    rotations = rotations_of(ctx, user)
    members = {r.id: list(ctx.repo.members(r)) for r in rotations}
    people = {m.ref for ms in members.values() for m in ms if m.kind is MemberKind.USER}
    unavailable = ctx.unavailable(ctx.availability(people | {user}))
    holders = Holders(ctx.directory.group_members)
    horizon = ctx.now + HORIZON
    states: list[RotationState] = []
    upcoming: list[UpcomingShift] = []
    cut = False
    for rotation in rotations:
        order = members[rotation.id]
        if not order:
            continue
        schedules = ctx.schedules.rotation_schedules(rotation.channel, name_key(rotation.name))
        handoffs, each_cut = handoff_times(schedules, ctx.timezone.key, horizon)
        cut = cut or each_cut
        shifts = project(
            order,
            rotation.duty_position,
            handoffs,
            unavailable=unavailable,
            overrides=ctx.repo.overrides(rotation) if handoffs else None,
            stand_in=ctx.repo.stand_in(rotation),
        )
        holder = shifts[0].holder
        kept = False
        if len(order) < 2:  # the duty never changes hands
            next_at, next_holder = None, None
        elif handoffs:
            kept = shifts[1].kept
            next_at, next_holder = handoffs[0], None if kept else shifts[1].holder
        else:
            step = next_in_line(
                order.__getitem__, len(order), rotation.duty_position, ctx.now, unavailable
            )
            kept = step.kept
            next_at, next_holder = None, None if kept else order[step.position]
        swapped = shifts[1].overridden if handoffs and next_holder is not None else None
        in_turn = next_holder == holder and shifts[0].overridden is not None and swapped is None
        states.append(
            RotationState(
                rotation,
                holder,
                unavailable(holder, ctx.now),
                holders.includes(holder, user),
                next_at,
                next_holder,
                kept,
                in_turn,
                swapped,
            )
        )
        upcoming += [
            UpcomingShift(rotation, s.start, s.end)
            for s in shifts[1:]
            if s.start is not None and s.start <= horizon and holders.includes(s.holder, user)
        ]
    states.sort(key=lambda s: (s.rotation.channel, name_key(s.rotation.name)))
    upcoming.sort(key=lambda u: (u.start, name_key(u.rotation.name)))
    today = ctx.now.astimezone(zone).date()
    away = ctx.away.away_periods([user], today)
    swaps = [
        SwapLine(swap, asked_in, swap.target == user)
        for swap in ctx.repo.pending_swaps_of(user)
        if (asked_in := ctx.repo.rotation_by_id(swap.rotation_id)) is not None
    ]
    return HomeModel(user, zone, ctx.now, states, upcoming, cut, away, swaps)


@dataclass(frozen=True)
class AwayForm:
    """The Set away form as submitted: a date picker may be left empty."""

    start: date | None
    end: date | None
    note: str


def check_away_form(form: AwayForm, today: date) -> dict[str, str]:
    """The form's problems by field (`start`, `end`, `note`); empty when it can be saved (a
    start in the past means from today, as with the `away` command)."""
    errors: dict[str, str] = {}
    if form.start is None:
        errors["start"] = "Pick the first day away."
    if form.end is None:
        errors["end"] = "Pick the last day away."
    elif form.end < today:
        errors["end"] = f"{short_date(form.end, today)} is in the past (today is " + (
            f"{short_date(today, today)})."
        )
    elif (too_far := too_far_ahead(form.end, today)) is not None:
        errors["end"] = too_far[0].upper() + too_far[1:]
    elif form.start is not None and form.end < form.start:
        errors["end"] = (
            f"The last day ({short_date(form.end, today)}) is before the first "
            f"({short_date(form.start, today)})."
        )
    if len(form.note) > AWAY_NOTE_LENGTH.value:
        errors["note"] = f"That is more than the limit: {at_most(AWAY_NOTE_LENGTH)}."
    elif (bad := forbidden_character(form.note)) is not None:
        errors["note"] = f"The note contains {bad}, an invisible or control character."
    return errors


def form_not_opened(slack_error: str | None, today: date) -> Reply:
    """Why the Set away form did not open (Slack's error code; None: no answer in time, when
    it may have opened after all), and the command that does the same: the form cannot be
    opened from here, as Slack's trigger for it lasts 3 seconds."""
    first, last = (today + timedelta(days=n) for n in (7, 11))
    why: tuple[ReplyPart, ...] = (
        ("The *Set away* form did not open: Slack answered ", code(slack_error), ". Click")
        if slack_error
        else (
            "Slack did not answer in time, so the *Set away* form may not have opened. If it "
            "did not, click",
        )
    )
    return Reply.of(
        *why,
        " *Set away* again, or type the days here, e.g. ",
        code(f"away {first.isoformat()} {last.isoformat()}"),
        " (the first and the last day away) or ",
        code("away until friday"),
        ".",
    )


def _home(ctx: Context, _: None) -> Reply:
    if ctx.home_link is None:
        where = (
            "The console has no App Home. In Slack"
            if ctx.request.source == "console"
            else "I have no link to my App Home right now (Slack did not tell me my app id). "
            "Meanwhile"
        )
        return Reply.of(
            f"{where}, click my name and open the *Home* tab: where you are on call, your "
            "next shifts and your away days, with buttons to change them."
        )
    return Reply.of(
        f"<{ctx.home_link}|Open your App Home>: where you are on call, your shifts of the next "
        f"{HORIZON.days} days, your away days (with *Set away*) and your rotations."
    )


def _parse_home(rest: str) -> None:
    nothing_after("home", rest)


HOME_COMMAND = Command(
    "home",
    "links to your App Home: your duties, next shifts, away days and rotations.",
    "",
    f"{BOT_HANDLE} home",
    _parse_home,
    _home,
    names_rotation=False,
    reads_only=True,
    locate=about_you("home"),
    in_dm=always(InDm.HERE),
)
