"""Availability as people type it: away, back, and how rotate, assign, who, about and shifts
treat people who are away. The clock stands at Sun 22 Nov 2026 10:00 in Berlin."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

import pytest

from bot.core.dispatcher import Dispatcher
from bot.core.ports import Deactivated
from tests.conftest import FakeClock, Run

CREATE = "<@UBOT> create backend <@U1> <@U2> <@U3> Watch alerts"
USAGE = (
    "\n`@dienstplan away [<from> <to> | until <date> | today | tomorrow]`\n"
    "marks you away for whole days (in your time zone), so `rotate` skips you; without dates, "
    "lists your away periods.\nExample: `@dienstplan away 2026-12-21 2026-12-27`"
)


class Directory:
    """Time zones and user groups as Slack would answer them; everyone active."""

    def __init__(self) -> None:
        self.zones: dict[str, str] = {}
        self.groups: dict[str, set[str]] = {}

    def for_request(self) -> Deactivated:
        def check(user_ids: Collection[str]) -> frozenset[str]:
            return frozenset()

        return check

    def time_zone(self, user_id: str) -> str | None:
        return self.zones.get(user_id)

    def group_members(self, group_id: str) -> frozenset[str]:
        return frozenset(self.groups.get(group_id, set()))

    def is_admin(self, user_id: str) -> bool:
        return False


@pytest.fixture
def directory(dispatcher: Dispatcher) -> Directory:
    dispatcher.directory = found = Directory()
    return found


def test_away_back_and_the_list(run: Run) -> None:
    assert run("away", user="U2") == (
        "You have no away periods. `@dienstplan away <from> <to>` adds one, e.g. "
        "`@dienstplan away today friday`."
    )
    assert run("away today", user="U2") == (
        "You are away Sun 22 Nov (Europe/Berlin). `rotate` skips you on those days in all your "
        "rotations; `@dienstplan back` ends it early."
    )
    assert run("away fri mon", user="U2").startswith("You are away Fri 27 Nov to Mon 30 Nov ")
    assert run("away 2026-12-21 to 2026-12-27", user="U2").startswith(
        "You are away Mon 21 Dec to Sun 27 Dec "
    )
    assert run("away", user="U2") == (
        "Your away periods (Europe/Berlin, both days included):\n"
        "• Sun 22 Nov\n• Fri 27 Nov to Mon 30 Nov\n• Mon 21 Dec to Sun 27 Dec\n"
        "`@dienstplan back` ends the one of today."
    )
    assert run("back", user="U2") == (
        "Welcome back: you are no longer away (you were until Sun 22 Nov). `rotate` counts on "
        "you again from today.\nStill planned:\n• Fri 27 Nov to Mon 30 Nov\n• Mon 21 Dec to "
        "Sun 27 Dec"
    )
    assert run("back", user="U2").startswith("You are not away today, so there is nothing to end.")
    assert run("away", user="U1").startswith("You have no away periods.")


def test_back_takes_nothing_after_it(run: Run) -> None:
    run("away today")
    assert run("back now please").startswith(
        "That `back` needs fixing: `back` takes nothing after it, not `now please`."
    )
    assert run("away").startswith("Your away periods")  # nothing was ended


def test_back_ends_a_period_that_started_earlier_yesterday(run: Run, clock: FakeClock) -> None:
    run("away today tomorrow", user="U2")
    clock.advance(days=1)
    assert run("back", user="U2").startswith("Welcome back")
    assert run("away", user="U2").startswith("You have no away periods.")


def test_until_tomorrow_weekdays_and_joined_periods(run: Run) -> None:
    assert run("away until tuesday", user="U2").startswith("You are away Sun 22 Nov to Tue 24 Nov")
    assert run("away sunday", user="U3").startswith("You are away Sun 22 Nov ")  # today counts
    assert run("away tomorrow", user="U1").startswith("You are away Mon 23 Nov ")
    assert run("away wed thu", user="U2").startswith("You are away Sun 22 Nov to Thu 26 Nov")
    assert run("away", user="U2").count("•") == 1


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "away soon",
            "`soon` is not a date: write YYYY-MM-DD, `today`, `tomorrow` or a weekday "
            "name such as `friday`.",
        ),
        ("away untill friday", "`untill` is not a date. Did you mean `away until friday`?"),
        (
            "away 2026-12-10 9999-12-31",
            "9999-12-31 is too far ahead: at most 1,830 days from today to the last day away.",
        ),
        (
            "away 2026-02-30",
            "`2026-02-30` is not a day of the calendar: write YYYY-MM-DD, "
            "`today`, `tomorrow` or a weekday name such as `friday`.",
        ),
        (
            "away 2026-12-10 2026-12-01",
            "the last day (Tue 01 Dec) is before the first (Thu 10 Dec).",
        ),
        (
            "away until 2026-11-01",
            "Sun 01 Nov is in the past (today is Sun 22 Nov in Europe/Berlin).",
        ),
        ("away until", "`away until` takes one date, e.g. `away until friday`."),
        ("away mon tue wed", "give one date, or the first and the last day away."),
    ],
)
def test_bad_dates_get_the_usage(run: Run, text: str, problem: str) -> None:
    assert run(text) == f"That `away` needs fixing: {problem}{USAGE}"


def test_at_most_50_periods_per_person(run: Run) -> None:
    for week in range(50):
        run(f"away {date(2027, 1, 1) + timedelta(weeks=week)}", user="U2")
    assert run("away", user="U2").count("•") == 50
    assert run("away 2028-01-01", user="U2") == (
        "You have 50 away periods already; the limit is at most 50 away periods per person. "
        "`@dienstplan away` lists them; wait for one to end, or join it with the new one."
    )
    assert run("away 2027-01-02", user="U2").startswith("You are away Fri 01 Jan 2027 to Sat")


def test_dates_are_in_the_persons_own_zone(
    run: Run, directory: Directory, clock: FakeClock
) -> None:
    clock.advance(hours=12)  # Sun 22:00 in Berlin, Mon 10:00 in Auckland
    directory.zones["U2"] = "Pacific/Auckland"
    assert run("away today", user="U2").startswith("You are away Mon 23 Nov (Pacific/Auckland).")


def test_rotate_skips_members_away_and_says_why(run: Run) -> None:
    run(CREATE)
    run("away today friday", user="U2")
    assert run("rotate backend") == (
        "*backend*: the duty passes from @U1 to <@U3>. Skipped @U2 (away until Fri 27 Nov)."
    )


def test_when_everyone_else_is_away_rotate_keeps_the_duty(run: Run) -> None:
    run(CREATE)
    run("away today", user="U2")
    run("away until 2026-12-01", user="U3")
    assert run("rotate backend") == (
        "*backend*: every other member is away or deactivated (@U2 (away until Sun 22 Nov) and "
        "@U3 (away until Tue 01 Dec)), so <@U1> stays on duty."
    )


def test_assign_to_someone_away_warns_but_proceeds(run: Run) -> None:
    run(CREATE)
    run("away today", user="U3")
    assert run("assign backend <@U3>") == (
        "*backend*: <@U3> is on duty now (instead of @U1). The next `rotate` continues from "
        "them. Note: they are away until Sun 22 Nov."
    )


def test_who_and_about_show_the_duty_away_and_the_next_handoff(run: Run) -> None:
    run(CREATE)
    run("away today", user="U1")
    run("away until monday", user="U2")
    assert run("who backend") == (
        "<@U1> is on duty for *backend*, but is away until Sun 22 Nov:\nWatch alerts\n"
        "Next in line: @U3, skipping @U2 (away until Mon 23 Nov)."
    )
    run('schedule create "rotate backend" 0 9 * * Mon')
    assert run("who backend").endswith(
        "Next handoff: Mon 23 Nov 2026 09:00 CET, to @U3, skipping @U2 (away until Mon 23 Nov)."
    )
    assert run("about backend").split("\n")[1:6] == [
        "Members in duty order (3):",
        "1. @U1 (away until Sun 22 Nov)  ← on duty",
        "2. @U2 (away until Mon 23 Nov)",
        "3. @U3",
        "Next handoff: Mon 23 Nov 2026 09:00 CET, to @U3, skipping @U2 (away until Mon 23 Nov).",
    ]


def test_who_finds_the_next_available_member_past_the_members_read_at_once(run: Run) -> None:
    """`who` reads members MEMBERS_READ_AHEAD at a time from the duty, round the end of the
    rotation: the next one available may be further on, and everyone's absence counts."""
    people = [f"U{i:02d}" for i in range(12)]
    run("<@UBOT> create big " + " ".join(f"<@{p}>" for p in people) + " Watch")
    run(f"assign big <@{people[10]}>")
    for person in [people[11], *people[:9]]:
        run("away today", user=person)
    run("away today", user=people[10])
    reply = run("who big")
    assert reply.startswith(f"<@{people[10]}> is on duty for *big*, but is away until Sun 22 Nov")
    assert reply.endswith(
        f"Next in line: @{people[9]}, skipping "
        + ", ".join(f"@{p} (away until Sun 22 Nov)" for p in [people[11], *people[:8]])
        + f" and @{people[8]} (away until Sun 22 Nov)."
    )


def test_shifts_lists_the_next_shifts_in_the_persons_zone(run: Run, directory: Directory) -> None:
    run(CREATE)
    run('schedule create "rotate backend" 0 9 * * Mon')
    directory.zones["U2"] = "America/New_York"
    assert run("shifts", user="U2") == (
        "Your shifts in the next 30 days (times in America/New_York):\n"
        "• *backend* in <#C1>: from Mon 23 Nov 2026 03:00 EST to Mon 30 Nov 2026 03:00 EST\n"
        "• *backend* in <#C1>: from Mon 14 Dec 2026 03:00 EST to Mon 21 Dec 2026 03:00 EST"
    )
    assert run("shifts <@U1>", user="U2").startswith(
        "Shifts of @U1 in the next 30 days (times in Europe/Berlin):\n"
        "• *backend* in <#C1>: on duty now, until Mon 23 Nov 2026 09:00 CET\n"
    )
    assert run("shifts <@U9>") == "@U9 is in no rotation."


def test_shifts_without_a_handoff_schedule_say_how_to_add_one(run: Run) -> None:
    run(CREATE)
    run("create frontend <@U2> <@U1> UI", channel="C2")
    assert run("shifts", user="U1") == (
        "Your shifts in the next 30 days (times in Europe/Berlin):\nNo shifts with known times."
        "\n• *backend* in <#C1>: on duty now; no handoff schedule, so no times. "
        '`@dienstplan schedule create "rotate backend" 0 9 * * Mon` in that channel adds one.'
        "\n• *frontend* in <#C2>: next in line; no handoff schedule, so no times. "
        '`@dienstplan schedule create "rotate frontend" 0 9 * * Mon` in that channel adds one.'
    )


def test_shifts_count_a_user_groups_shifts_as_its_users(run: Run, directory: Directory) -> None:
    directory.groups["S1"] = {"U7"}
    run("create backend <@U1> <!subteam^S1> Watch alerts")
    run('schedule create "rotate backend" 0 9 * * Mon')
    assert run("shifts", user="U7").split("\n")[1:] == [
        "• *backend* in <#C1>: from Mon 23 Nov 2026 09:00 CET to Mon 30 Nov 2026 09:00 CET",
        "• *backend* in <#C1>: from Mon 07 Dec 2026 09:00 CET to Mon 14 Dec 2026 09:00 CET",
        "• *backend* in <#C1>: from Mon 21 Dec 2026 09:00 CET to Mon 28 Dec 2026 09:00 CET",
    ]
    assert run("shifts", user="U8") == "You are in no rotation."


def test_shifts_says_when_it_cut_the_list(run: Run) -> None:
    run(CREATE)
    run('schedule create "rotate backend" 0 * * * *')
    reply = run("shifts", user="U1")
    assert reply.count("•") == 20
    assert reply.endswith("\nShowing the first 20; there are more.")


def test_shifts_usage(run: Run) -> None:
    assert run("shifts dana").startswith(
        "That `shifts` needs fixing: give one person as a mention (`@dana`), or nobody for you."
    )


def test_a_time_zone_this_machine_lacks_falls_back_to_the_bots(
    run: Run, dispatcher: Dispatcher, directory: Directory, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack may name a zone the local tz database does not have: the bot's zone is used, for
    the command and for the Home's Set away form alike, with one plain warning each."""
    directory.zones["U2"] = "Not/AZone"
    assert run("away today", user="U2").startswith("You are away Sun 22 Nov (Europe/Berlin).")
    assert dispatcher.zone_of("U2").key == "Europe/Berlin"
    assert caplog.records and all(r.exc_info is None for r in caplog.records)
    assert "unknown time zone 'Not/AZone' for U2" in caplog.text
