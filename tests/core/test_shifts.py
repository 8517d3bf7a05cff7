"""The shift projection, pure: handoff times, skips, everyone away, overrides, user groups."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.core import cron
from bot.core.model import AwayPeriod, Member, MemberKind, Schedule
from bot.core.shifts import (
    Availability,
    Holders,
    Shift,
    handoff_times,
    next_handoff,
    project,
    shifts_of,
)

BERLIN = ZoneInfo("Europe/Berlin")
A, B, C = Member("UA"), Member("UB"), Member("UC")
TEAM = Member("S1", MemberKind.USERGROUP)
NOW = datetime(2027, 3, 20, 12, 0, tzinfo=UTC)  # a Saturday; Berlin goes to CEST on 28 Mar


def _schedule(crontab: str, command: str = "rotate backend", sid: int = 1) -> Schedule:
    spec = cron.parse(crontab)
    return Schedule(
        id=sid,
        channel="C1",
        command=command,
        crontab=spec.expression,
        timezone=spec.timezone,
        created_by="U0",
        created_at=NOW,
        next_run_at=cron.next_run(spec, NOW, "Europe/Berlin"),
        last_run_at=None,
        zone="Europe/Berlin",
    )


def _away(periods: dict[str, list[tuple[date, date]]], zones: dict[str, str] | None = None):
    stored = {
        user: [AwayPeriod(i, user, start, end) for i, (start, end) in enumerate(spans)]
        for user, spans in periods.items()
    }
    return Availability(
        lambda user: stored.get(user, []), lambda user: ZoneInfo((zones or {}).get(user, "UTC"))
    )


def _holders(shifts: list[Shift]) -> list[str]:
    return [s.holder.ref for s in shifts]


def test_a_0900_berlin_handoff_stays_0900_local_across_the_dst_change() -> None:
    times, cut = handoff_times(
        [_schedule("0 9 * * *")], "Europe/Berlin", datetime(2027, 3, 31, tzinfo=UTC)
    )
    assert not cut
    local = [t.astimezone(BERLIN) for t in times]
    assert {t.hour for t in local} == {9}
    assert [t.astimezone(UTC).hour for t in times[:2]] == [8, 8]  # CET
    assert times[-1].astimezone(UTC).hour == 7  # CEST after 28 Mar
    assert [t.day for t in local] == list(range(21, 32))  # the first after `until` ends a shift


def test_several_rotate_schedules_merge_and_others_do_not_count() -> None:
    schedules = [
        _schedule("0 9 * * Mon", sid=1),
        _schedule("0 18 * * Fri", sid=2),
        _schedule("0 9 * * Mon", command="who backend", sid=3),
    ]
    times, _ = handoff_times(schedules, "Europe/Berlin", datetime(2027, 4, 3, tzinfo=UTC))
    assert [(t.astimezone(BERLIN).strftime("%a %d %H")) for t in times] == [
        "Mon 22 09",
        "Fri 26 18",
        "Mon 29 09",
        "Fri 02 18",
        "Mon 05 09",
    ]
    run, schedule = next_handoff(schedules) or (None, None)
    assert run == times[0] and schedule is not None and schedule.id == 1


def test_handoffs_are_cut_at_the_limit() -> None:
    times, cut = handoff_times(
        [_schedule("* * * * *")], "UTC", datetime(2027, 4, 30, tzinfo=UTC), limit=10
    )
    assert len(times) == 10 and cut


def test_shift_k_runs_from_handoff_k_to_k_plus_1_round_robin() -> None:
    handoffs = [datetime(2027, 3, d, 8, tzinfo=UTC) for d in (22, 29)]
    shifts = project([A, B, C], 1, handoffs)
    assert _holders(shifts) == ["UB", "UC", "UA"]
    assert shifts[0].start is None and shifts[0].end == handoffs[0]
    assert (shifts[1].start, shifts[1].end) == (handoffs[0], handoffs[1])
    assert shifts[2].end is None


def test_members_away_at_a_handoff_are_skipped_in_their_own_zone() -> None:
    handoff = datetime(2027, 3, 22, 23, 30, tzinfo=UTC)  # Mon in UTC, already Tue in Berlin
    away = _away({"UB": [(date(2027, 3, 23), date(2027, 3, 23))]}, {"UB": "Europe/Berlin"})
    shifts = project([A, B, C], 0, [handoff], unavailable=away.reason)
    assert _holders(shifts) == ["UA", "UC"]
    assert [(s.member.ref, s.reason) for s in shifts[1].skipped] == [
        ("UB", "away until Tue 23 Mar")
    ]
    utc = _away({"UB": [(date(2027, 3, 23), date(2027, 3, 23))]})
    assert _holders(project([A, B, C], 0, [handoff], unavailable=utc.reason)) == ["UA", "UB"]


def test_when_everyone_else_is_away_the_duty_stays() -> None:
    away = _away({u: [(date(2027, 3, 1), date(2027, 3, 31))] for u in ("UA", "UB", "UC")})
    shifts = project([A, B, C], 0, [datetime(2027, 3, 22, 8, tzinfo=UTC)], unavailable=away.reason)
    assert _holders(shifts) == ["UA", "UA"]
    assert shifts[1].kept and [s.member.ref for s in shifts[1].skipped] == ["UB", "UC"]


def test_an_override_replaces_one_shift_without_changing_the_order() -> None:
    handoffs = [datetime(2027, 3, d, 8, tzinfo=UTC) for d in (22, 29, 5)]
    handoffs[2] = datetime(2027, 4, 5, 8, tzinfo=UTC)
    shifts = project([A, B, C], 0, handoffs, overrides={handoffs[0]: C})
    assert _holders(shifts) == ["UA", "UC", "UC", "UA"]
    assert shifts[1].overridden == B and shifts[2].overridden is None


def test_a_member_removed_by_update_is_gone_and_their_override_ignored() -> None:
    handoffs = [datetime(2027, 3, 22, 8, tzinfo=UTC), datetime(2027, 3, 29, 8, tzinfo=UTC)]
    before = project([A, B, C], 2, handoffs)
    assert _holders(before) == ["UC", "UA", "UB"]
    after = project([A, C], 0, handoffs, overrides={handoffs[1]: B})  # update: B left
    assert _holders(after) == ["UA", "UC", "UA"]


def test_without_handoff_times_only_the_duty_now_is_known() -> None:
    shifts = project([A, B, C], 2, [])
    assert len(shifts) == 1 and shifts[0].holder == C and shifts[0].end is None
    now = project([A, B, C], 2, [NOW])  # `who`: next in line, asked now
    assert _holders(now) == ["UC", "UA"]


def test_a_user_group_counts_as_each_of_its_users() -> None:
    handoffs = [datetime(2027, 3, d, 8, tzinfo=UTC) for d in (22, 29)]
    shifts = project([A, TEAM], 0, handoffs)
    holders = Holders(lambda group: {"UX", "UY"} if group == "S1" else set())
    assert [s.start for s in shifts_of("UX", shifts, holders)] == [handoffs[0]]
    assert [s.start for s in shifts_of("UA", shifts, holders)] == [None, handoffs[1]]
    assert shifts_of("UZ", shifts, holders) == []


def test_a_user_group_is_never_away() -> None:
    away = _away({"S1": [(date(2027, 3, 1), date(2027, 3, 31))]})
    shifts = project([A, TEAM], 0, [datetime(2027, 3, 22, tzinfo=UTC)], unavailable=away.reason)
    assert _holders(shifts) == ["UA", "S1"]
