"""Who holds a rotation's future shifts: the projection everything personal builds on.

A rotation's handoff times are the runs of its `rotate` schedules (several merge); shift k
runs from handoff k to handoff k+1, and the duty held now is shift 0, until the first
handoff. Each handoff passes the duty to the next member in order who is available then
(not away, not deactivated), exactly as `rotate` does; when nobody else is, the duty stays.
An override replaces who holds one shift, named by its start, without changing the order:
the shift after it continues from the member the order gave. Pure: no Slack, no storage.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core import cron
from bot.core.model import AwayPeriod, Member, MemberKind, Schedule
from bot.core.parser import split_command

HORIZON = timedelta(days=30)
MAX_HANDOFFS = 500  # a rotation rotated every minute must not cost 43,200 cron steps
HANDOFF_EXAMPLE = 'schedule create "rotate {name}" 0 9 * * Mon'

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Skip:
    """A member the order passed over at a handoff, and why (`away until Fri 27 Nov`)."""

    member: Member
    reason: str


@dataclass(frozen=True)
class Shift:
    """One stretch of duty. `start` is None for the duty held now (its start is not kept);
    `end` is None when no later handoff is known."""

    start: datetime | None
    end: datetime | None
    holder: Member
    position: int  # the holder's place in the order (an override's holder: the replaced one's)
    skipped: tuple[Skip, ...] = ()
    kept: bool = False  # nobody else was available, so the duty stayed where it was
    overridden: Member | None = None  # whom the order gave, when an override changed it


Unavailable = Callable[[Member, datetime], str | None]
"""Why a member cannot take the duty at that moment (a reason to show), or None."""


def always_available(member: Member, at: datetime) -> str | None:
    return None


def short_date(day: date, today: date | None = None) -> str:
    """`Fri 27 Nov`, with the year when it is not this year's."""
    text = f"{_WEEKDAYS[day.weekday()]} {day.day:02d} {_MONTHS[day.month - 1]}"
    return text if today is not None and day.year == today.year else f"{text} {day.year}"


@dataclass(frozen=True)
class Availability:
    """Away periods by user, read in each user's own zone: a period is whole local days."""

    periods_of: Callable[[str], Sequence[AwayPeriod]]
    zone_of: Callable[[str], ZoneInfo]

    def away_at(self, user: str, at: datetime) -> AwayPeriod | None:
        """The zone is asked only of people with periods: it may cost a users.info call."""
        periods = self.periods_of(user)
        if not periods:
            return None
        day = at.astimezone(self.zone_of(user)).date()
        return next((p for p in periods if p.covers(day)), None)

    def reason(self, member: Member, at: datetime) -> str | None:
        """A user group is never away: someone in it can answer."""
        if member.kind is not MemberKind.USER:
            return None
        period = self.away_at(member.ref, at)
        if period is None:
            return None
        today = at.astimezone(self.zone_of(member.ref)).date()
        return f"away until {short_date(period.end, today)}"


def either(*checks: Unavailable) -> Unavailable:
    """The first reason any check gives."""

    def check(member: Member, at: datetime) -> str | None:
        return next((r for c in checks if (r := c(member, at)) is not None), None)

    return check


@dataclass(frozen=True)
class Step:
    """The result of one handoff: the new position, whom it passed over, whether it stayed."""

    position: int
    skipped: tuple[Skip, ...] = ()
    kept: bool = False


def next_in_line(
    member_at: Callable[[int], Member],
    count: int,
    position: int,
    at: datetime,
    unavailable: Unavailable = always_available,
) -> Step:
    """The next available member after `position`, one candidate at a time, so a big
    rotation stored elsewhere costs only the members looked at. When every other member is
    unavailable the duty stays (`kept`), whether or not its holder is available."""
    skipped: list[Skip] = []
    for offset in range(1, count):
        candidate = (position + offset) % count
        member = member_at(candidate)
        reason = unavailable(member, at)
        if reason is None:
            return Step(candidate, tuple(skipped))
        skipped.append(Skip(member, reason))
    return Step(position, tuple(skipped), kept=count > 1)


def project(
    members: Sequence[Member],
    duty_position: int,
    handoffs: Sequence[datetime],
    *,
    unavailable: Unavailable = always_available,
    overrides: Mapping[datetime, Member] | None = None,
    stand_in: Member | None = None,
) -> list[Shift]:
    """The shift held now (by the stand-in of an accepted swap, if any), then one shift per
    handoff. An override for a member no longer in the rotation (taken off by `update`) is
    ignored."""
    if not members:
        return []
    current_members = {m.ref for m in members}
    replaced = {
        start: member
        for start, member in (overrides or {}).items()
        if member.ref in current_members
    }
    ordered_now = members[duty_position]
    holder_now = stand_in if stand_in is not None and stand_in.ref in current_members else None
    shifts = [
        Shift(
            None,
            handoffs[0] if handoffs else None,
            holder_now or ordered_now,
            duty_position,
            overridden=ordered_now if holder_now else None,
        )
    ]
    position = duty_position
    for k, start in enumerate(handoffs):
        step = next_in_line(members.__getitem__, len(members), position, start, unavailable)
        position = step.position
        end = handoffs[k + 1] if k + 1 < len(handoffs) else None
        ordered = members[position]
        # nobody else available: `rotate` changes nothing, so the holder stays, swap or not
        holder = shifts[-1].holder if step.kept else replaced.get(start, ordered)
        shifts.append(
            Shift(
                start,
                end,
                holder,
                position,
                step.skipped,
                step.kept,
                overridden=ordered if holder != ordered else None,
            )
        )
    return shifts


def is_handoff(schedule: Schedule) -> bool:
    """A schedule of the rotation (found by its rotation key) whose command is `rotate`."""
    return split_command(schedule.command).command == "rotate"


def _runs(schedule: Schedule, default_tz: str) -> Iterator[datetime]:
    """The stored next run (when it really runs next), then the crontab's runs after it."""
    if schedule.next_run_at is None:
        return
    spec = cron.parse(schedule.cron_text)
    zone = schedule.timezone or default_tz
    run = schedule.next_run_at
    while True:
        yield run
        run = cron.next_run(spec, run, zone)


def handoff_times(
    schedules: Sequence[Schedule],
    default_tz: str,
    until: datetime,
    limit: int = MAX_HANDOFFS,
) -> tuple[list[datetime], bool]:
    """The merged runs of the rotate schedules up to `until` and the first one after it, so
    the last shift that starts in time has its end (at most `limit`; a time two schedules
    share counts once), and whether the limit cut them."""
    merged = heapq.merge(*(_runs(s, default_tz) for s in schedules if is_handoff(s)))
    times: list[datetime] = []
    for run in merged:
        if times and run == times[-1]:
            continue
        if times and times[-1] > until:
            return times, False
        if len(times) == limit:
            return times, True
        times.append(run)
    return times, False


def next_handoff(schedules: Sequence[Schedule]) -> tuple[datetime, Schedule] | None:
    """The earliest stored next run of the rotate schedules, and the schedule it belongs to."""
    best: tuple[datetime, Schedule] | None = None
    for schedule in schedules:
        run = schedule.next_run_at
        if run is not None and is_handoff(schedule) and (best is None or run < best[0]):
            best = (run, schedule)
    return best


@dataclass
class Holders:
    """Who a shift's holder stands for: a user, or each user of a user group."""

    expand: Callable[[str], Collection[str]]
    _cache: dict[str, frozenset[str]] = field(default_factory=dict)

    def includes(self, holder: Member, user: str) -> bool:
        if holder.kind is MemberKind.USER:
            return holder.ref == user
        if holder.ref not in self._cache:
            self._cache[holder.ref] = frozenset(self.expand(holder.ref))
        return user in self._cache[holder.ref]


def shifts_of(user: str, shifts: Sequence[Shift], holders: Holders) -> list[Shift]:
    """The shifts this user holds, in person or as one of a user group's users."""
    return [s for s in shifts if holders.includes(s.holder, user)]


def handoff_hint(name: str) -> str:
    """How to give a rotation handoff times, as a command to copy."""
    return HANDOFF_EXAMPLE.format(name=name)
