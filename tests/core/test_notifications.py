"""Notifications: settings, who gets what, and each shift announced once. The clock stands at
Sun 22 Nov 2026 10:00 in Berlin; commands with an event id are answered through the outbox,
as in Slack, so what they notify is read back from it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.commands import Effects
from bot.core.dispatcher import Dispatcher
from bot.core.home import HOME_KINDS
from bot.core.model import Member, Outgoing, Reply, Request
from bot.core.notifications import (
    PERSONAL,
    TYPES,
    UpcomingShifts,
    after_command,
    forget_sent,
)
from bot.core.ports import EVERYONE_ACTIVE
from bot.storage.db import open_database
from bot.storage.repository import PeeweeRepository
from tests.conftest import FakeClock, Run
from tests.core.test_away import Directory

CREATE = "<@UBOT> create backend <@U1> <@U2> <@U3> Watch alerts"
HANDOFF = '<@UBOT> schedule create "rotate backend" 0 10 * * *'  # daily, next 24 hours away

Queued = list[tuple[str, str, str]]


def taken(repo: PeeweeRepository, clock: FakeClock) -> Queued:
    """The outbox rows queued since the last call: (channel, kind, text)."""
    rows = repo.claim("test", clock.now, clock.now + timedelta(minutes=1), 1000)
    for row in rows:
        repo.record_delivered(row.id, "test", clock.now)
    repo.flush_delivered()
    return [(r.channel, r.kind, r.reply.render(Member.plain)) for r in rows]


Slack = Callable[..., Queued]


@pytest.fixture
def slack(dispatcher: Dispatcher, repo: PeeweeRepository, clock: FakeClock) -> Slack:
    """A command as a Slack event: what it queued, reply first."""
    count = 0

    def _slack(text: str, *, channel: str = "C1", user: str = "U0ME") -> Queued:
        nonlocal count
        count += 1
        request = Request(text=text, channel=channel, user=user, bot_user_id="UBOT")
        dispatcher.handle(request, event_id=f"Ev{count}")
        return taken(repo, clock)

    return _slack


def notifications(queued: Queued) -> Queued:
    """Not the reply, nor the App Home republishes a change queues too."""
    return [q for q in queued if q[1] != "reply" and q[1] not in HOME_KINDS]


def test_a_duty_change_tells_the_new_duty_in_a_dm_and_not_the_channel_that_has_the_reply(
    slack: Slack,
) -> None:
    assert notifications(slack(CREATE, user="U1")) == []  # U1 put themselves on duty
    (reply, dm) = slack("<@UBOT> rotate backend")
    assert reply == ("C1", "reply", "*backend*: the duty passes from @U1 to <@U2>.")
    assert dm == (
        "U2",
        "notification:AssignmentConfirmed",
        "You are now on call for *backend* in <#C1> (`rotate` by @U0ME).",
    )


def test_a_command_from_elsewhere_notifies_the_rotation_s_channel(slack: Slack) -> None:
    slack(CREATE)
    queued = slack("<@UBOT> assign <#C1> backend <@U3>", channel="D1", user="U2")
    assert notifications(queued) == [
        (
            "C1",
            "notification:AssignmentConfirmed",
            "*backend*: @U3 is on call now instead of @U1 (`assign` by @U2).",
        ),
        (
            "U3",
            "notification:AssignmentConfirmed",
            "You are now on call for *backend* in <#C1> (`assign` by @U2).",
        ),
    ]


def test_no_dm_to_whoever_takes_the_duty_themselves_nor_for_a_duty_that_stays(
    slack: Slack,
) -> None:
    slack(CREATE)
    assert notifications(slack("<@UBOT> assign backend <@U2>", user="U2")) == []
    assert notifications(slack("<@UBOT> update backend <@U1> <@U3> New duties")) == [
        (
            "U1",
            "notification:AssignmentConfirmed",
            "You are now on call for *backend* in <#C1> (`update` by @U0ME).",
        )
    ]
    assert notifications(slack("<@UBOT> update backend <@U1> <@U2> Again")) == []


def test_a_failed_command_notifies_nobody(slack: Slack) -> None:
    slack(CREATE)
    assert slack("<@UBOT> assign backend <@U7>") == [
        (
            "C1",
            "reply",
            "@U7 is not a member of *backend*, so they can't be assigned. "
            "`@dienstplan about backend` lists the members; `@dienstplan update` changes them.",
        )
    ]


def test_the_console_notifies_nobody(run: Run, repo: PeeweeRepository, clock: FakeClock) -> None:
    run(CREATE)
    run("<@UBOT> rotate backend")
    assert taken(repo, clock) == []


def test_a_user_group_on_duty_is_told_as_each_of_its_users(
    slack: Slack, dispatcher: Dispatcher
) -> None:
    directory = Directory()
    directory.groups["S1"] = {"U5", "U6", "U0ME"}
    dispatcher.directory = directory
    slack("<@UBOT> create backend <@U1> <!subteam^S1|@ops> Watch alerts")
    assert [q[0] for q in notifications(slack("<@UBOT> rotate backend"))] == ["U5", "U6"]


def test_turned_off_notifications_are_not_sent(slack: Slack) -> None:
    slack(CREATE)
    assert slack("<@UBOT> notification disable AssignmentConfirmed", channel="D2", user="U2")[0][
        2
    ] == ("AssignmentConfirmed is off for you. `@dienstplan notification config` lists yours.")
    assert notifications(slack("<@UBOT> rotate backend")) == []
    slack("<@UBOT> notification disable assignmentconfirmed")
    queued = slack("<@UBOT> rotate <#C1> backend", channel="D1", user="U1")
    assert [q[0] for q in notifications(queued)] == ["U3"]  # not C1 any more
    slack("<@UBOT> notification enable AssignmentConfirmed backend")
    queued = slack("<@UBOT> rotate <#C1> backend", channel="D1", user="U1")
    assert [q[0] for q in notifications(queued)] == ["C1"]  # U1 moved it to themselves


def test_rotations_of_one_name_are_told_apart_by_their_channel(run: Run) -> None:
    """A channel's own `backend` and one linked from C2 (and one from C3): the config names
    each one's channel, and a `#channel` first picks one, as in `who #C2 backend`."""
    run(CREATE)
    for channel in ("C2", "C3"):
        run(CREATE, channel=channel)
        assert "Linked" in run(f"<@UBOT> link schedule <#{channel}> backend", channel="C1")
    config = run("<@UBOT> notification config")
    assert "\n*backend*: ✔" in config and "\n<#C2> *backend*: ✔" in config
    assert "\n<#C3> *backend*: ✔" in config
    assert run("<@UBOT> notification disable ShiftStarting backend") == (
        "*backend* fits 3 rotations; say which by writing its channel first, as in "
        "`@dienstplan notification disable ShiftStarting #channel backend`:\n"
        "• *backend*\n• <#C2> *backend*\n• <#C3> *backend*"
    )
    assert run("<@UBOT> notification disable ShiftStarting <#C2|team> backend") == (
        "ShiftStarting is off in this channel for <#C2> *backend*."
    )
    lines = run("<@UBOT> notification config").split("\n")
    assert [("✘ ShiftStarting" in line) for line in lines if "*backend*:" in line] == [
        False,
        True,
        False,
    ]
    assert run("<@UBOT> notification enable ShiftStarting <#C9>") == (
        "No rotation of <#C9> is linked to this channel. "
        "`@dienstplan notification config` lists them."
    )
    assert run("<@UBOT> notification enable ShiftStarting <#C9> backend") == (
        "No rotation of <#C9> linked to this channel has *backend* in its name. "
        "`@dienstplan notification config` lists them."
    )


def test_linked_channels_get_the_news_the_reply_did_not_carry(
    repo: PeeweeRepository, slack: Slack, clock: FakeClock, dispatcher: Dispatcher
) -> None:
    slack(CREATE)
    slack("<@UBOT> link schedule backend", channel="C9")
    slack("<@UBOT> link schedule backend", channel="C8")
    assert slack("<@UBOT> notification disable ScheduleExecuted", channel="C8")[0][2] == (
        "ScheduleExecuted is off in this channel for <#C1> *backend*."
    )
    request = Request("rotate backend", "C1", "U0ME", source="schedule")
    dispatcher.handle(request, event_id="schedule:1", notice=Reply.of("Executing `rotate`."))
    assert taken(repo, clock) == [
        ("C1", "notice", "Executing `rotate`."),
        ("C1", "reply", "*backend*: the duty passes from @U1 to <@U2>."),
        ("C9", "notification:ScheduleExecuted", "Executing `rotate`."),
        (
            "C8",
            "notification:AssignmentConfirmed",
            "*backend*: @U2 is on call now instead of @U1 (a scheduled `rotate`).",
        ),
        (
            "C9",
            "notification:AssignmentConfirmed",
            "*backend*: @U2 is on call now instead of @U1 (a scheduled `rotate`).",
        ),
        (
            "U2",
            "notification:AssignmentConfirmed",
            "You are now on call for *backend* in <#C1> (a scheduled `rotate`).",
        ),
    ]
    queued = slack("<@UBOT> rotate backend", channel="C9", user="U3")  # typed in a linked one
    assert [q[:2] for q in queued] == [
        ("C9", "reply"),
        ("C1", "notification:AssignmentConfirmed"),
        ("C8", "notification:AssignmentConfirmed"),
    ]  # U3 took the duty themselves: no DM


def test_schedule_executed_off_in_the_schedules_own_channel_drops_its_notice(
    repo: PeeweeRepository, slack: Slack, clock: FakeClock, dispatcher: Dispatcher
) -> None:
    """The `Executing …` notice in the channel the schedule runs in is a ScheduleExecuted
    too; a run that fails keeps it, since it says what the error is about."""
    slack(CREATE)
    assert slack("<@UBOT> notification disable ScheduleExecuted backend")[0][2] == (
        "ScheduleExecuted is off in this channel for *backend*."
    )
    notice = Reply.of("Executing `who backend`.")
    dispatcher.handle(
        Request("who backend", "C1", "U0ME", source="schedule"), event_id="s:1", notice=notice
    )
    assert [q[:2] for q in taken(repo, clock)] == [("C1", "reply")]
    failing = Request("who nothing", "C1", "U0ME", source="schedule")
    dispatcher.handle(failing, event_id="s:2", notice=Reply.of("Executing `who nothing`."))
    assert [q[:2] for q in taken(repo, clock)] == [("C1", "notice"), ("C1", "reply")]
    slack("<@UBOT> notification enable ScheduleExecuted backend")
    dispatcher.handle(
        Request("who backend", "C1", "U0ME", source="schedule"), event_id="s:3", notice=notice
    )
    assert [q[:2] for q in taken(repo, clock)] == [("C1", "notice"), ("C1", "reply")]


def test_a_notice_about_no_rotation_goes_unless_every_rotation_has_it_off(
    repo: PeeweeRepository, slack: Slack, clock: FakeClock, dispatcher: Dispatcher
) -> None:
    """`list` acts on no rotation: `notification disable ScheduleExecuted` without a name
    (every rotation of the channel) silences its notice too."""
    slack(CREATE)
    slack("<@UBOT> create db <@U1> <@U2> Backups")
    notice = Reply.of("Executing `list`.")

    def run_list(n: int) -> list[tuple[str, str]]:
        request = Request("list", "C1", "U0ME", source="schedule")
        dispatcher.handle(request, event_id=f"list:{n}", notice=notice)
        return [q[:2] for q in taken(repo, clock)]

    slack("<@UBOT> notification disable ScheduleExecuted backend")
    assert run_list(1) == [("C1", "notice"), ("C1", "reply")]  # db still has it on
    slack("<@UBOT> notification disable ScheduleExecuted")
    assert run_list(2) == [("C1", "reply")]


def test_after_command_adds_what_a_handler_queued_itself(repo: PeeweeRepository) -> None:
    effects = Effects(messages=[Outgoing("U1", Reply.of("swap?"), "notification:SwapRequested")])
    request = Request("swap", "C1", "U0ME")
    with repo.transaction():
        queued = after_command(repo, repo, EVERYONE_ACTIVE, request, effects, None)
    assert queued == effects.messages


def test_channel_settings_are_per_rotation_and_listed(run: Run) -> None:
    assert run("<@UBOT> notification config") == (
        "No rotation is linked to this channel, so it gets no notifications. "
        "`@dienstplan create <rotation name> <list of user mentions> <duties description>` "
        "makes one here; `@dienstplan link schedule <name or part of it>` links another "
        "channel's."
    )
    run(CREATE)
    run("<@UBOT> create backend-nightly <@U1> Nights")
    assert run("<@UBOT> notification disable ShiftStarting back") == (
        "*back* fits 2 rotations; say which:\n• *backend*\n• *backend-nightly*"
    )
    assert run("<@UBOT> notification disable ShiftStarting backend") == (
        "ShiftStarting is off in this channel for *backend*."
    )
    assert run("<@UBOT> notification disable SwapDeclined NIGHT") == (
        "SwapDeclined is off in this channel for *backend-nightly*."
    )
    assert run("<@UBOT> notification enable SwapDeclined NIGHT", user="U0OUT").startswith(
        "Sorry, you can't switch the notifications of *backend-nightly*: only its members"
    )
    lines = run("<@UBOT> notification config").split("\n")
    assert lines[:3] == [
        "Notifications in this channel (✔ on, ✘ off):",
        "*backend-nightly*: ✔ AssignmentConfirmed, ✔ SwapRequested, ✔ SwapAccepted, "
        "✘ SwapDeclined, ✔ ShiftStarting, ✔ ScheduleExecuted",
        "*backend*: ✔ AssignmentConfirmed, ✔ SwapRequested, ✔ SwapAccepted, ✔ SwapDeclined, "
        "✘ ShiftStarting, ✔ ScheduleExecuted",
    ]  # newest first, as `list` shows them
    assert run("<@UBOT> notification config", channel="C2").startswith("No rotation is linked")
    run("<@UBOT> delete backend")  # its settings go with it
    run(CREATE)
    assert (
        "*backend*: ✔ AssignmentConfirmed, ✔ SwapRequested, ✔ SwapAccepted, ✔ SwapDeclined, "
        "✔ ShiftStarting" in run("<@UBOT> notification config")
    )


def test_personal_settings_and_the_reminder_hours(run: Run) -> None:
    assert run("<@UBOT> notification config", channel="D1") == (
        "Your notifications, in this direct message (✔ on, ✘ off):\n"
        "✔ AssignmentConfirmed: you are put on call (create, rotate, assign, update, a schedule, "
        "a swap)\n"
        "✔ ShiftReminder: your shift starts in 24 hours (`notification remind <hours>` changes it)"
        "\n`@dienstplan notification disable <Name>` turns one off, `enable` on again. In a "
        "channel, the same commands set what the channel gets."
    )
    assert run("<@UBOT> notification remind 1 hour", channel="D1") == (
        "Your ShiftReminder comes 1 hour before each of your shifts, in a direct message."
    )
    run("<@UBOT> notification disable shiftreminder", channel="D1")
    assert run("<@UBOT> notification remind 12h", channel="C1").endswith(
        "It is off: `@dienstplan notification enable ShiftReminder` turns it on."
    )
    assert "✘ ShiftReminder: your shift starts in 12 hours" in run(
        "<@UBOT> notification config", channel="D1"
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("notification confg", "there is no `notification confg`; did you mean "),
        ("notification enable", "say which notification to enable: one of AssignmentConfirmed"),
        ("notification remind", "give the hours before a shift as a whole number from 1 to 168."),
        ("notification remind 0", "give the hours before a shift as a whole number"),
        ("notification remind 169", "give the hours before a shift as a whole number"),
        ("notification remind \uff12", "give the hours before a shift as a whole number"),
        ("notification config all", "`notification config` takes nothing after it."),
    ],
)
def test_bad_input_gets_the_usage(run: Run, text: str, problem: str) -> None:
    reply = run(f"<@UBOT> {text}", channel="D1")
    assert reply.startswith(f"That `notification` needs fixing: {problem}")
    assert "`@dienstplan notification" in reply.split("\n")[1]


def test_an_unknown_or_misplaced_name_lists_the_valid_ones(run: Run) -> None:
    run(CREATE)
    assert run("<@UBOT> notification disable ShiftStartng") == (
        "There is no notification `ShiftStartng`. Did you mean ShiftStarting? The ones in a "
        "channel are AssignmentConfirmed, SwapRequested, SwapAccepted, SwapDeclined, "
        "ShiftStarting, ScheduleExecuted."
    )
    assert run("<@UBOT> notification disable ShiftReminder").startswith(
        "ShiftReminder is personal: send it to me in a direct message."
    )
    assert run("<@UBOT> notification disable ShiftStarting", channel="D1") == (
        "ShiftStarting is a channel's: use it in the channel. The ones in a direct message "
        "are AssignmentConfirmed, ShiftReminder."
    )
    assert run("<@UBOT> notification disable AssignmentConfirmed backend", channel="D1") == (
        "Your notifications are for all your rotations, so name none: "
        "`@dienstplan notification disable AssignmentConfirmed`."
    )
    assert run("<@UBOT> notification disable AssignmentConfirmed nope") == (
        "No rotation linked to this channel has *nope* in its name. "
        "`@dienstplan notification config` lists them."
    )


def test_settings_survive_a_restart(run: Run, tmp_path: Path) -> None:
    run(CREATE)
    run("<@UBOT> notification disable ShiftStarting")
    run("<@UBOT> notification disable ShiftReminder", channel="D1", user="U1")
    run("<@UBOT> notification remind 3", channel="D1", user="U1")
    db = open_database(tmp_path / "dienstplan.db")
    again = PeeweeRepository(db)
    try:
        with again.transaction():
            rotation = again.find("C1", "backend")
            assert rotation is not None
            assert again.channel_off(rotation) == {"C1": {"ShiftStarting"}}
            assert again.personal_off(["U1", "U2"]) == {"U1": {"ShiftReminder"}}
            assert again.remind_hours() == {"U1": 3}
    finally:
        db.close_all()


def test_every_type_has_a_camel_case_name_and_says_where_it_goes() -> None:
    assert [t.name for t in TYPES] == [
        "AssignmentConfirmed",
        "ShiftReminder",
        "SwapRequested",
        "SwapAccepted",
        "SwapDeclined",
        "ShiftStarting",
        "ScheduleExecuted",
    ]
    assert [t.name for t in PERSONAL] == ["AssignmentConfirmed", "ShiftReminder"]


# ---------------------------------------------------------------------------- periodic


def upcoming(repo: PeeweeRepository, directory: Directory | None = None) -> UpcomingShifts:
    return UpcomingShifts(
        repo=repo,
        schedules=repo,
        away=repo,
        settings=repo,
        directory=directory or Directory(),
        timezone=ZoneInfo("Europe/Berlin"),
    )


def test_a_shift_reminder_goes_once_to_the_next_holder_in_their_zone(
    run: Run, repo: PeeweeRepository, clock: FakeClock
) -> None:
    run(CREATE)
    run(HANDOFF)  # U2 takes over
    directory = Directory()
    directory.zones["U2"] = "America/New_York"
    assert upcoming(repo, directory).run(clock.now) == 1
    assert taken(repo, clock) == [
        (
            "U2",
            "notification:ShiftReminder",
            "Your shift on *backend* in <#C1> starts in 24 hours, at Mon 23 Nov 2026 04:00 EST, "
            "until Tue 24 Nov 2026 04:00 EST.",
        )
    ]
    clock.advance(minutes=1)
    assert upcoming(repo, directory).run(clock.now) == 0  # a new job, as after a restart
    assert taken(repo, clock) == []


def test_a_reminder_waits_for_the_hours_the_person_chose_and_skips_who_turned_it_off(
    run: Run, repo: PeeweeRepository, clock: FakeClock
) -> None:
    run(CREATE)
    run(HANDOFF)
    run("<@UBOT> notification remind 2", channel="D2", user="U2")
    job = upcoming(repo)
    assert job.run(clock.now) == 0
    clock.advance(hours=22, minutes=30)
    assert job.run(clock.now) == 1
    assert [q[2] for q in taken(repo, clock) if q[0] == "U2"] == [
        "Your shift on *backend* in <#C1> starts in 90 minutes, at Mon 23 Nov 2026 10:00 CET, "
        "until Tue 24 Nov 2026 10:00 CET."
    ]
    run("<@UBOT> notification disable ShiftReminder", channel="D3", user="U3")
    clock.advance(hours=24)  # U3's shift (Tue 10:00) is 1.5 hours away
    job.run(clock.now)
    assert [q for q in taken(repo, clock) if q[1] == "notification:ShiftReminder"] == []


def test_shift_starting_is_posted_once_an_hour_before_the_handoff(
    run: Run, repo: PeeweeRepository, clock: FakeClock
) -> None:
    run(CREATE)
    run(HANDOFF)
    run("<@UBOT> away 2026-11-23", user="U2")
    job = upcoming(repo)
    job.run(clock.now)
    assert [q[0] for q in taken(repo, clock)] == ["U3"]  # U2 is away: U3's shift
    clock.advance(hours=23, minutes=15)
    assert job.run(clock.now) == 1
    assert taken(repo, clock) == [
        (
            "C1",
            "notification:ShiftStarting",
            "The next shift on *backend* starts in 45 minutes, at Mon 23 Nov 2026 10:00 CET: "
            "<@U3> takes over from @U1.",
        )
    ]
    assert job.run(clock.now) == 0


def test_shift_starting_of_a_rotation_of_one_says_who_stays_without_a_ping(
    run: Run, repo: PeeweeRepository, clock: FakeClock
) -> None:
    run("<@UBOT> create solo <@U1> Watch alerts")
    run('<@UBOT> schedule create "rotate solo" 0 10 * * *')
    clock.advance(hours=23, minutes=15)
    upcoming(repo).run(clock.now)
    assert taken(repo, clock) == [  # no ShiftReminder: U1 is on call already
        (
            "C1",
            "notification:ShiftStarting",
            "The next shift on *solo* starts in 45 minutes, at Mon 23 Nov 2026 10:00 CET: "
            "@U1 stays on call.",
        )
    ]


def test_shift_starting_and_the_reminder_follow_an_accepted_swap(
    run: Run, repo: PeeweeRepository, clock: FakeClock, dispatcher: Dispatcher
) -> None:
    run(CREATE)
    run(HANDOFF)
    # Mon 23 Nov 10:00 is U2's shift; U2 gives it to U3
    for text, user in (("swap backend <@U3> 2026-11-23", "U2"), ("swap accept 1", "U3")):
        request = Request(text=f"<@UBOT> {text}", channel="C1", user=user, bot_user_id="UBOT")
        assert not dispatcher.handle(request).failed
    clock.advance(hours=23, minutes=15)
    upcoming(repo).run(clock.now)
    queued = taken(repo, clock)
    assert [q for q in queued if q[1] == "notification:ShiftStarting"] == [
        (
            "C1",
            "notification:ShiftStarting",
            "The next shift on *backend* starts in 45 minutes, at Mon 23 Nov 2026 10:00 CET: "
            "<@U3> takes over from @U1 (a swap: standing in for @U2).",
        )
    ]
    assert [q[0] for q in queued if q[1] == "notification:ShiftReminder"] == ["U3"]


def test_a_swapped_shift_nobody_else_can_take_stays_with_the_holder(
    run: Run, repo: PeeweeRepository, clock: FakeClock, dispatcher: Dispatcher
) -> None:
    """U2 gave Monday's shift to U3, then both went away: the handoff keeps U1 on duty, as
    `rotate` will, so the notice says so."""
    run(CREATE)
    run(HANDOFF)
    for text, user in (("swap backend <@U3> 2026-11-23", "U2"), ("swap accept 1", "U3")):
        request = Request(text=f"<@UBOT> {text}", channel="C1", user=user, bot_user_id="UBOT")
        assert not dispatcher.handle(request).failed
    run("<@UBOT> away until 2026-11-24", user="U2")
    run("<@UBOT> away until 2026-11-24", user="U3")
    clock.advance(hours=23, minutes=15)
    upcoming(repo).run(clock.now)
    assert [q[2] for q in taken(repo, clock) if q[1] == "notification:ShiftStarting"] == [
        "The next shift on *backend* starts in 45 minutes, at Mon 23 Nov 2026 10:00 CET: "
        "nobody else is available, so @U1 stays on call."
    ]
    clock.advance(minutes=45)
    assert run("<@UBOT> rotate backend").endswith("so <@U1> stays on duty.")


def test_shift_starting_respects_the_channel_s_setting(
    run: Run, repo: PeeweeRepository, clock: FakeClock
) -> None:
    run(CREATE)
    run(HANDOFF)
    run("<@UBOT> notification disable ShiftStarting")
    clock.advance(hours=23, minutes=15)
    upcoming(repo).run(clock.now)
    assert [q[1] for q in taken(repo, clock)] == ["notification:ShiftReminder"]


def test_sent_records_are_forgotten_a_day_after_their_shift(
    run: Run, repo: PeeweeRepository, clock: FakeClock
) -> None:
    run(CREATE)
    run(HANDOFF)
    upcoming(repo).run(clock.now)
    assert forget_sent(repo, clock.now) == 0
    clock.advance(hours=24 + 25)
    assert forget_sent(repo, clock.now) == 1


def test_a_rotation_handed_over_every_ten_minutes_announces_only_what_comes_next(
    run: Run, repo: PeeweeRepository, clock: FakeClock
) -> None:
    run(CREATE)
    run('<@UBOT> schedule create "rotate backend" */10 * * * *')
    job = upcoming(repo)
    job.run(clock.now)
    queued = taken(repo, clock)
    assert [q[:2] for q in queued] == [
        ("C1", "notification:ShiftStarting"),
        ("U2", "notification:ShiftReminder"),
        ("U3", "notification:ShiftReminder"),
        ("U1", "notification:ShiftReminder"),
    ]
    assert queued[3][2].startswith("Your shift on *backend* in <#C1> starts in 30 minutes")
    clock.advance(minutes=11)  # U2's shift started
    job.run(clock.now)
    assert [q[:2] for q in taken(repo, clock)] == [
        ("C1", "notification:ShiftStarting"),
        ("U2", "notification:ShiftReminder"),  # U2's next one, 30 minutes on
    ]


def test_swaps_are_told_to_the_rotation_s_channels(slack: Slack) -> None:
    slack(CREATE)
    queued = slack("<@UBOT> swap <#C1> backend <@U2>", channel="D1", user="U1")
    assert [q[:2] for q in queued] == [
        ("D1", "reply"),
        ("U2", "swap:1"),
        ("C1", "notification:SwapRequested"),
    ]
    assert queued[2][2] == "@U1 asked @U2 to take their shift on *backend* held now (request #1)."
    queued = slack("<@UBOT> swap accept 1", channel="D2", user="U2")
    assert [(q[0], q[1]) for q in queued] == [
        ("D2", "reply"),
        ("U1", "swap_answer"),
        ("C1", "notification:SwapAccepted"),
        ("C1", "notification:AssignmentConfirmed"),
    ]
    assert queued[2][2] == ("@U2 takes @U1's shift on *backend* held now (request #1 accepted).")
    slack("<@UBOT> swap <#C1> backend <@U3>", channel="D2", user="U2")
    queued = slack("<@UBOT> swap decline 2", channel="D3", user="U3")
    assert queued[2] == (
        "C1",
        "notification:SwapDeclined",
        "@U3 declined to take @U2's shift on *backend* held now (request #2).",
    )
