"""A person's own side: availability (`away`, `back`) and their upcoming shifts (`shifts`).

Away periods belong to the person, not to a rotation: one `away` covers every rotation they
are in. Dates are whole days in the person's own Slack time zone, both ends inclusive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from bot.core import cron
from bot.core.commands import BOT_HANDLE, Command, Context, about_you
from bot.core.errors import DomainError, UsageError
from bot.core.limits import AWAY_DAYS_AHEAD, AWAY_PERIODS_PER_PERSON, at_most
from bot.core.model import (
    AwayPeriod,
    Member,
    MemberKind,
    Quiet,
    Reply,
    ReplyPart,
    Rotation,
    bold,
    typed,
)
from bot.core.parser import (
    MEMBER_RE,
    member_from_match,
    name_key,
    normalise_spaces,
    nothing_after,
)
from bot.core.ports import AvailabilityRepository
from bot.core.shifts import (
    HORIZON,
    Holders,
    Shift,
    handoff_hint,
    handoff_times,
    project,
    shifts_of,
    short_date,
)
from bot.core.suggest import closest

MAX_SHIFTS = 20
_WEEKDAYS = {
    name: number
    for number, names in enumerate(
        (
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        )
    )
    for name in names
}
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_BETWEEN = {"to", "until", "till", "-", "\u2013", "\u2014"}  # and the dashes Slack types
DATE_FORMS = "YYYY-MM-DD, `today`, `tomorrow` or a weekday name such as `friday`"


@dataclass(frozen=True)
class AwayArgs:
    """`away` as written: `list`, or a period whose ends are still words (`today`, `fri`),
    resolved when it runs, in the person's zone. `first` None means from today."""

    action: str  # list, add
    first: str | None = None
    last: str | None = None


def _away_usage(problem: str) -> UsageError:
    return UsageError("away", problem)


def is_date_word(word: str) -> bool:
    """A word `resolve` reads as a day: YYYY-MM-DD, today, tomorrow or a weekday."""
    word = word.casefold()
    return word in {"today", "tomorrow"} or word in _WEEKDAYS or bool(_ISO.fullmatch(word))


def _check_word(word: str) -> str:
    if is_date_word(word):
        return word.casefold()
    raise UsageError("away", typed(word[:30]), f" is not a date: write {DATE_FORMS}.")


def parse_away(rest: str) -> AwayArgs:
    words = normalise_spaces(rest).split()
    if not words:
        return AwayArgs("list")
    if words[0].casefold() == "until":
        if len(words) != 2:
            raise _away_usage("`away until` takes one date, e.g. `away until friday`.")
        return AwayArgs("add", None, _check_word(words[1]))
    if len(words) == 2 and not is_date_word(words[0]) and closest(words[0].casefold(), ["until"]):
        raise UsageError(
            "away",
            typed(words[0][:30]),
            " is not a date. Did you mean ",
            typed(f"away until {words[1][:30]}"),
            "?",
        )
    if len(words) == 3 and words[1].casefold() in _BETWEEN:
        words = [words[0], words[2]]
    if len(words) > 2:
        raise _away_usage("give one date, or the first and the last day away.")
    first = _check_word(words[0])
    return AwayArgs("add", first, _check_word(words[-1]))


def resolve(word: str, today: date, *, not_before: date | None = None) -> date:
    """A date word as the day it means: a weekday is the next such day on or after
    `not_before` (default today), so `away fri mon` runs from Friday to the Monday after."""
    if word == "today":
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    if word in _WEEKDAYS:
        start = max(today, not_before or today)
        return start + timedelta(days=(_WEEKDAYS[word] - start.weekday()) % 7)
    try:
        return date.fromisoformat(word)
    except ValueError as error:
        raise _away_usage(f"`{word}` is not a day of the calendar: write {DATE_FORMS}.") from error


def _period_text(period: AwayPeriod, today: date) -> str:
    if period.start == period.end:
        return short_date(period.start, today)
    return f"{short_date(period.start, today)} to {short_date(period.end, today)}"


def _today(ctx: Context, zone: ZoneInfo) -> date:
    return ctx.now.astimezone(zone).date()


def _periods(ctx: Context, user: str, today: date) -> list[AwayPeriod]:
    return ctx.away.away_periods([user], today)


def _listing(periods: list[AwayPeriod], today: date, zone: ZoneInfo) -> str:
    lines = [f"Your away periods ({zone.key}, both days included):"]
    lines += [f"• {_period_text(p, today)}" for p in periods]
    return "\n".join(lines)


def _list(ctx: Context, user: str, zone: ZoneInfo, today: date) -> Reply:
    periods = _periods(ctx, user, today)
    if not periods:
        return Reply.of(
            "You have no away periods. "
            f"`{BOT_HANDLE} away <from> <to>` adds one, e.g. `{BOT_HANDLE} away today friday`."
        )
    now = any(p.covers(today) for p in periods)
    return Reply.of(
        _listing(periods, today, zone),
        f"\n`{BOT_HANDLE} back` ends the one of today." if now else "",
    )


def _add(ctx: Context, args: AwayArgs, user: str, zone: ZoneInfo, today: date) -> Reply:
    first = resolve(args.first, today) if args.first else today
    last = resolve(args.last or "", today, not_before=first)
    if last < today:
        raise _away_usage(
            f"{short_date(last, today)} is in the past "
            f"(today is {short_date(today, today)} in {zone.key})."
        )
    if last < first:
        raise _away_usage(
            f"the last day ({short_date(last, today)}) is before the first "
            f"({short_date(first, today)})."
        )
    if (too_far := too_far_ahead(last, today)) is not None:
        raise _away_usage(too_far)
    period = save_away(ctx.away, user, max(first, today), last, today)
    ctx.effects.concerned.add(user)
    return Reply.of(
        f"You are away {_period_text(period, today)} ({zone.key}). `rotate` skips you on those "
        f"days in all your rotations; `{BOT_HANDLE} back` ends it early."
    )


class TooManyPeriods(DomainError):
    """The person has the most away periods allowed already, none of which the new one
    touches."""


def too_far_ahead(last: date, today: date) -> str | None:
    """Why a last day is too far ahead to store, or None."""
    if (last - today).days <= AWAY_DAYS_AHEAD.value:
        return None
    return f"{last.isoformat()} is too far ahead: {at_most(AWAY_DAYS_AHEAD)}."


def save_away(
    away: AvailabilityRepository,
    user: str,
    first: date,
    last: date,
    today: date,
    note: str | None = None,
) -> AwayPeriod:
    """Store a period (checked: not in the past, first <= last); overlapping or adjacent
    periods merge into it, keeping the new note or else an old one. Raises TooManyPeriods."""
    away.forget_away_before(user, today)
    periods = away.away_periods([user], today)
    day = timedelta(days=1)
    touching = [p for p in periods if p.start <= last + day and first <= p.end + day]
    if len(periods) - len(touching) >= AWAY_PERIODS_PER_PERSON.value:
        raise TooManyPeriods(
            f"You have {AWAY_PERIODS_PER_PERSON.value} away periods already; the limit is "
            f"{at_most(AWAY_PERIODS_PER_PERSON)}. "
            f"`{BOT_HANDLE} away` lists them; wait for one to end, or join it with the new one."
        )
    if touching:
        first = min(first, *(p.start for p in touching))
        last = max(last, *(p.end for p in touching))
        note = note or next((p.note for p in touching if p.note), None)
        away.delete_away([p.id for p in touching])
    return away.add_away(user, first, last, note)


def _away(ctx: Context, args: AwayArgs) -> Reply:
    user = ctx.request.user
    zone = ctx.zone_of(user)
    today = _today(ctx, zone)
    if args.action == "list":
        return _list(ctx, user, zone, today)
    return _add(ctx, args, user, zone, today)


def _back(ctx: Context, _: None) -> Reply:
    """Ends being away now: the period covering today ends yesterday (or goes, if it started
    today). Later periods stay: they were planned on purpose."""
    user = ctx.request.user
    zone = ctx.zone_of(user)
    today = _today(ctx, zone)
    periods = _periods(ctx, user, today)
    current = next((p for p in periods if p.covers(today)), None)
    later = [p for p in periods if p.start > today]
    if current is None:
        parts = ["You are not away today, so there is nothing to end."]
    else:
        if current.start == today:
            ctx.away.delete_away([current.id])
        else:
            ctx.away.set_away_end(current.id, today - timedelta(days=1))
        ctx.effects.concerned.add(user)
        parts = [
            f"Welcome back: you are no longer away (you were until "
            f"{short_date(current.end, today)}). `rotate` counts on you again from today."
        ]
    if later:
        parts.append("\nStill planned:\n" + "\n".join(f"• {_period_text(p, today)}" for p in later))
    return Reply.of(*parts)


# ---------------------------------------------------------------------------- shifts


def parse_shifts(rest: str) -> Member | None:
    text = normalise_spaces(rest).strip()
    if not text:
        return None
    found = MEMBER_RE.fullmatch(text)
    if found is None or found["group"]:
        raise UsageError("shifts", "give one person as a mention (`@dana`), or nobody for you.")
    return member_from_match(found)


@dataclass(frozen=True)
class _Found:
    rotation: Rotation
    shifts: list[Shift]  # the person's, the duty held now included
    scheduled: bool
    next_in_line: bool = False


def rotations_of(ctx: Context, user: str) -> list[Rotation]:
    """Rotations the person is in, in person or through a user group."""
    groups = [g for g in ctx.repo.group_refs() if user in ctx.directory.group_members(g)]
    return ctx.repo.rotations_with([user, *groups])


def _find(ctx: Context, rotation: Rotation, user: str, holders: Holders) -> tuple[_Found, bool]:
    """The person's shifts in one rotation over the horizon, and whether a limit cut them."""
    members = list(ctx.repo.members(rotation))
    schedules = ctx.schedules.rotation_schedules(rotation.channel, name_key(rotation.name))
    handoffs, cut = handoff_times(schedules, ctx.timezone.key, ctx.now + HORIZON)
    users = [m.ref for m in members if m.kind is MemberKind.USER]
    unavailable = ctx.unavailable(ctx.availability(users))
    stand_in = ctx.repo.stand_in(rotation)
    if not handoffs:
        shifts = project(
            members, rotation.duty_position, [ctx.now], unavailable=unavailable, stand_in=stand_in
        )
        mine = shifts_of(user, shifts, holders)
        now = [s for s in mine if s.start is None]
        after = len(members) > 1 and any(s.start is not None for s in mine)
        return _Found(rotation, now, scheduled=False, next_in_line=after), False
    shifts = project(
        members,
        rotation.duty_position,
        handoffs,
        unavailable=unavailable,
        overrides=ctx.repo.overrides(rotation),
        stand_in=stand_in,
    )
    horizon = ctx.now + HORIZON
    mine = [s for s in shifts_of(user, shifts, holders) if s.start is None or s.start <= horizon]
    return _Found(rotation, mine, scheduled=True), cut


def _when(shift: Shift, zone: ZoneInfo) -> str:
    if shift.start is None:
        until = f", until {cron.format_run(shift.end, zone)}" if shift.end else ""
        return f"on duty now{until}"
    end = f" to {cron.format_run(shift.end, zone)}" if shift.end else " on"
    return f"from {cron.format_run(shift.start, zone)}{end}"


def _where(rotation: Rotation) -> list[ReplyPart]:
    return ["• ", bold(rotation.name), f" in <#{rotation.channel}>: "]


def _shifts(ctx: Context, member: Member | None) -> Reply:
    user = member.ref if member else ctx.request.user
    who: ReplyPart = "you" if member is None or user == ctx.request.user else Quiet(Member(user))
    zone = ctx.zone_of(user)
    holders = Holders(ctx.directory.group_members)
    rotations = rotations_of(ctx, user)
    if not rotations:
        return Reply.of(*(["You are"] if who == "you" else [who, " is"]), " in no rotation.")
    found: list[_Found] = []
    cut = False
    for rotation in rotations:
        each, each_cut = _find(ctx, rotation, user, holders)
        found.append(each)
        cut = cut or each_cut
    timed = sorted(
        ((f.rotation, s) for f in found if f.scheduled for s in f.shifts),
        key=lambda pair: (pair[1].start or ctx.now, pair[0].name),
    )
    shown = timed[:MAX_SHIFTS]
    parts: list[ReplyPart] = [
        *(["Your shifts"] if who == "you" else ["Shifts of ", who]),
        f" in the next {HORIZON.days} days (times in {zone.key}):",
    ]
    for rotation, shift in shown:
        parts += ["\n", *_where(rotation), _when(shift, zone)]
    if not timed:
        parts.append("\nNo shifts with known times.")
    if len(timed) > len(shown) or cut:
        parts.append(f"\nShowing the first {len(shown)}; there are more.")
    for each in found:
        if each.scheduled:
            continue
        state = "on duty now" if each.shifts else "next in line" if each.next_in_line else ""
        parts += [
            "\n",
            *_where(each.rotation),
            f"{state}; " if state else "",
            "no handoff schedule, so no times. ",
            f"`{BOT_HANDLE} {handoff_hint(each.rotation.name)}` in that channel adds one.",
        ]
    return Reply.of(*parts)


AVAILABILITY_COMMANDS: list[Command] = [
    Command(
        "away",
        "marks you away for whole days (in your time zone), so `rotate` skips you; "
        "without dates, lists your away periods.",
        "[<from> <to> | until <date> | today | tomorrow]",
        f"{BOT_HANDLE} away 2026-12-21 2026-12-27",
        parse_away,
        _away,
        names_rotation=False,
        locate=about_you("away"),
    ),
    Command(
        "back",
        "ends your away period of today; later ones stay.",
        "",
        f"{BOT_HANDLE} back",
        lambda rest: nothing_after("back", rest),
        _back,
        names_rotation=False,
        locate=about_you("back"),
    ),
    Command(
        "shifts",
        "lists your next shifts (or someone else's) across all your rotations, in your time zone.",
        "[<user mention>]",
        f"{BOT_HANDLE} shifts @dana",
        parse_shifts,
        _shifts,
        names_rotation=False,
        reads_only=True,
        locate=about_you("shifts"),
    ),
]
