"""Notifications through the real `dienstplan run` process and the emulator: DMs on a duty
change, a channel notification with its type in the footer, ShiftReminder and ShiftStarting
once each across restarts, settings that survive a restart."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.e2e.harness import BotProcess, Conversation
from tests.e2e.test_dm import dm_say
from tests.e2e.test_outbox import dienstplan
from tests.e2e.test_schedules import _set_next_run
from tests.emulator import SlackEmulator

CREATE = "create backend <@U0ALICE> <@U0BOB> <@U0CAROL> Watch alerts"
BERLIN = ZoneInfo("Europe/Berlin")


def footer_of(post: Any) -> str:
    """The text of the message's context block: where a notification names its type."""
    (context,) = [b for b in post.params["blocks"] if b["type"] == "context"]
    return str(context["elements"][0]["text"])


def all_sent(bot: BotProcess) -> None:
    """Wait until the outbox has nothing pending: every queued message was posted."""
    deadline = time.monotonic() + 10
    while dienstplan(bot, "outbox") != "Nothing pending or failed.\n":
        assert time.monotonic() < deadline, dienstplan(bot, "outbox")
        time.sleep(0.1)


def test_a_duty_change_dms_the_new_duty_but_not_whoever_took_it(
    chat: Conversation, emu: SlackEmulator, bot: BotProcess
) -> None:
    chat.say(CREATE)
    assert chat.say("rotate backend") == "*backend*: the duty passes from alice to <@U0BOB>."
    (dm,) = emu.wait_for_posts(1, channel="U0BOB")
    assert dm.params["text"] == (
        "You are now on call for *backend* in <#C0CHAN> (`rotate` by alice)."
    )
    assert dm.response["channel"] == emu.dm_channel_for("U0BOB")
    assert footer_of(dm).startswith("AssignmentConfirmed · ")
    chat.say("assign backend <@U0ALICE>")
    chat.say("assign backend <@U0CAROL>", user="U0BOB")
    emu.wait_for_posts(1, channel="U0CAROL")
    all_sent(bot)
    assert emu.posts("U0ALICE") == []
    assert len(emu.posts("U0BOB")) == 1


def test_a_change_made_elsewhere_is_posted_in_the_rotation_s_channel_with_its_type(
    chat: Conversation, emu: SlackEmulator, bot: BotProcess
) -> None:
    emu.add_members("C0CHAN", "U0ALICE", "UBOT")
    chat.say(CREATE)
    before = len(emu.posts("C0CHAN"))
    assert dm_say(emu, "assign <#C0CHAN|backend> backend <@U0CAROL>").startswith(
        "*backend*: <@U0CAROL> is on duty now"
    )
    posts = emu.wait_for_posts(before + 1, channel="C0CHAN")
    (post,) = posts[before:]
    assert post.params["text"] == (
        "*backend*: carol is on call now instead of alice (`assign` by alice)."
    )
    assert footer_of(post) == (
        "AssignmentConfirmed · `@dienstplan notification disable AssignmentConfirmed` turns "
        "these off"
    )
    assert chat.say("notification disable AssignmentConfirmed") == (
        "AssignmentConfirmed is off in this channel for *backend*."
    )
    dm_say(emu, "assign <#C0CHAN|backend> backend <@U0BOB>")
    emu.wait_for_posts(1, channel="U0BOB")  # the DM to the new duty still goes
    all_sent(bot)
    assert len(emu.posts("C0CHAN")) == before + 2  # the setting's reply, nothing more


def _in_half_an_hour() -> str:
    """A daily crontab whose next run is about 30 minutes away."""
    at = datetime.now(BERLIN) + timedelta(minutes=30)
    return f"{at.minute} {at.hour} * * *"


def _ran_job(bot: BotProcess, since: int) -> bool:
    return "notify upcoming shifts: 0" in bot.log()[since:]


def test_shift_reminder_and_shift_starting_go_once_across_restarts(
    emu: SlackEmulator, tmp_path: Path
) -> None:
    bot = BotProcess(emu, tmp_path, DIENSTPLAN_LOG_LEVEL="DEBUG").start()
    chat = Conversation(emu)
    chat.say(CREATE)
    chat.say(f'schedule create "rotate backend" {_in_half_an_hour()}')
    bot.stop()
    bot.start()  # the job runs at start, then every 30 seconds
    (reminder,) = emu.wait_for_posts(1, channel="U0BOB", timeout=40)
    assert reminder.params["text"].startswith("Your shift on *backend* in <#C0CHAN> starts in ")
    assert footer_of(reminder).startswith("ShiftReminder · ")

    def starting() -> list[Any]:
        return [p for p in emu.posts("C0CHAN") if p.params["text"].startswith("The next shift")]

    deadline = time.monotonic() + 10
    while not starting():
        assert time.monotonic() < deadline, "no ShiftStarting"
        time.sleep(0.05)
    (post,) = starting()
    assert post.params["text"].endswith(": <@U0BOB> takes over from alice.")
    assert footer_of(post).startswith("ShiftStarting · ")
    bot.stop()
    since = len(bot.log())
    bot.start()
    deadline = time.monotonic() + 20
    while not _ran_job(bot, since):
        assert time.monotonic() < deadline, "the job did not run after the restart"
        time.sleep(0.05)
    all_sent(bot)
    assert len(emu.posts("U0BOB")) == 1
    assert len(starting()) == 1
    bot.stop()


def test_settings_survive_a_restart(
    chat: Conversation, emu: SlackEmulator, bot: BotProcess
) -> None:
    chat.say(CREATE)
    chat.say("notification disable ShiftStarting")
    dm_say(emu, "notification disable ShiftReminder", user="U0BOB")
    dm_say(emu, "notification remind 3", user="U0BOB")
    bot.stop()
    bot.start()
    assert (
        "*backend*: ✔ AssignmentConfirmed, ✔ SwapRequested, ✔ SwapAccepted, ✔ SwapDeclined, "
        "✘ ShiftStarting, ✔ ScheduleExecuted" in chat.say("notification config")
    )
    assert "✘ ShiftReminder: your shift starts in 3 hours" in dm_say(
        emu, "notification config", user="U0BOB"
    )


def test_a_linked_channel_gets_the_news_and_its_own_settings(
    chat: Conversation, emu: SlackEmulator, bot: BotProcess
) -> None:
    emu.add_members("C0FRONT", "U0ALICE", "UBOT")
    emu.add_members("C0CHAN", "U0ALICE", "UBOT")
    chat.say(CREATE)
    assert chat.say("link schedule backend", channel="C0FRONT").startswith("Linked")
    before = len(emu.posts("C0FRONT"))
    chat.say("rotate backend")
    (post,) = emu.wait_for_posts(before + 1, channel="C0FRONT")[before:]
    assert (
        post.params["text"] == "*backend*: bob is on call now instead of alice (`rotate` by alice)."
    )
    assert footer_of(post).startswith("AssignmentConfirmed · ")
    chat.say("notification disable AssignmentConfirmed", channel="C0FRONT")
    config = chat.say("notification config", channel="C0FRONT")
    assert "*backend*: ✘ AssignmentConfirmed" in config
    chat.say("rotate backend")
    emu.wait_for_posts(1, channel="U0CAROL")
    all_sent(bot)
    assert len(emu.posts("C0FRONT")) == before + 3  # the news once, then two replies


def test_a_scheduled_run_and_a_swap_request_are_told_to_a_linked_channel(
    chat: Conversation, emu: SlackEmulator, bot: BotProcess
) -> None:
    emu.add_members("C0FRONT", "U0ALICE", "UBOT")
    emu.add_members("C0CHAN", "U0ALICE", "UBOT")
    chat.say(CREATE)
    chat.say("link schedule backend", channel="C0FRONT")
    before = len(emu.posts("C0FRONT"))
    chat.say("swap backend <@U0BOB>")
    (asked,) = emu.wait_for_posts(before + 1, channel="C0FRONT")[before:]
    assert asked.params["text"] == (
        "alice asked bob to take their shift on *backend* held now (request #1)."
    )
    assert footer_of(asked).startswith("SwapRequested · ")
    chat.say('schedule create "rotate backend" 0 9 * * *')
    # between 08:00 and 09:00 the handoff is within the hour: only the run's news in C0FRONT
    chat.say("notification disable ShiftStarting", channel="C0FRONT")
    bot.stop()
    _set_next_run(bot, datetime.now(BERLIN) - timedelta(minutes=1))
    before = len(emu.posts("C0FRONT"))
    bot.start()
    posts = emu.wait_for_posts(before + 2, channel="C0FRONT", timeout=15)[before:]
    assert [footer_of(p).split(" · ")[0] for p in posts] == [
        "ScheduleExecuted",
        "AssignmentConfirmed",
    ]
    assert posts[0].params["text"] == "Executing `rotate backend` on schedule `0 9 * * *`."
