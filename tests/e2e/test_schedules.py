"""Schedules in the real bot process: on time, once across restarts and crashes."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.harness import ROOT, BotProcess, Conversation
from tests.emulator import SlackEmulator
from tests.postgres import execute

pytestmark = pytest.mark.both_engines

CREATE = "create backend <@U0ALICE> <@U0BOB> <@U0CAROL> Watch alerts"
NOTICE = "Executing `rotate backend` on schedule `0 9 * * *`."


def _set_next_run(bot: BotProcess, when: datetime) -> None:
    """What the clock would have done while the bot was down."""
    execute(
        bot.database,
        "UPDATE schedule SET next_run_at = ?",
        (str(when.astimezone(UTC).replace(tzinfo=None, microsecond=0)),),
    )


def _scheduled_then_stopped(
    emu: SlackEmulator, tmp_path: Path, database: str | Path, **env: str
) -> tuple[BotProcess, Conversation]:
    """A bot with rotation `backend` rotated daily at 09:00, stopped (as if for a while)."""
    bot = BotProcess(emu, tmp_path, database, **env).start()
    chat = Conversation(emu)
    chat.say(CREATE)
    chat.say('schedule create "rotate backend" 0 9 * * *')
    # between 08:00 and 09:00 the handoff is within the hour: only the runs in the channel
    chat.say("notification disable ShiftStarting")
    bot.stop()
    return bot, chat


def _texts(emu: SlackEmulator, start: int = 0) -> list[str]:
    return [p.params["text"] for p in emu.posts("C0CHAN")[start:]]


def test_a_schedule_fires_on_time_with_notice_and_reply(
    chat: Conversation, emu: SlackEmulator
) -> None:
    chat.say(CREATE)
    assert chat.say('schedule create "shout backend" * * * * *').startswith("Scheduled")
    before = len(emu.posts("C0CHAN"))
    posts = emu.wait_for_posts(before + 2, channel="C0CHAN", timeout=75)
    notice, reply = posts[before], posts[before + 1]
    assert notice.params["text"] == "Executing `shout backend` on schedule `* * * * *`."
    assert reply.params["text"] == "<@U0ALICE> is on duty for *backend*."
    fired = time.time() - (time.monotonic() - notice.at)
    assert fired % 60 < 2.0, f"fired {fired % 60:.2f} s after the minute"


def test_a_run_missed_while_down_runs_once_at_start_up(
    emu: SlackEmulator, tmp_path: Path, database: str | Path
) -> None:
    bot, chat = _scheduled_then_stopped(emu, tmp_path, database)
    _set_next_run(bot, datetime.now(UTC) - timedelta(minutes=5))
    before = len(emu.posts("C0CHAN"))
    bot.start()
    emu.wait_for_posts(before + 2, channel="C0CHAN", timeout=15)
    assert _texts(emu, before) == [NOTICE, "*backend*: the duty passes from alice to <@U0BOB>."]
    bot.stop()
    bot.start()  # a restart does not run it again
    time.sleep(1.0)
    assert chat.say("shout backend") == "<@U0BOB> is on duty for *backend*."
    assert NOTICE not in _texts(emu, before + 2)
    bot.stop()


def test_a_run_missed_beyond_the_window_is_skipped(
    emu: SlackEmulator, tmp_path: Path, database: str | Path
) -> None:
    bot, chat = _scheduled_then_stopped(emu, tmp_path, database, DIENSTPLAN_CATCH_UP_WINDOW="30m")
    _set_next_run(bot, datetime.now(UTC) - timedelta(hours=1))
    bot.start()
    assert chat.say("shout backend") == "<@U0ALICE> is on duty for *backend*."
    assert NOTICE not in _texts(emu)
    bot.stop()
    assert "skipped `rotate backend`" in bot.log()


def test_a_crash_after_the_run_posts_its_reply_on_restart_without_rerunning(
    emu: SlackEmulator, tmp_path: Path, database: str | Path
) -> None:
    bot, chat = _scheduled_then_stopped(emu, tmp_path, database)
    _set_next_run(bot, datetime.now(UTC) - timedelta(minutes=1))
    emu.fail_next("chat.postMessage", status=503, count=3)  # the client's try and 2 retries
    bot.start()
    emu.wait_for_call(
        "chat.postMessage",
        lambda _: sum(c.status == 503 for c in emu.calls_to("chat.postMessage")) == 3,
    )
    bot.kill()  # the run is committed, its reply not posted, and the process dies
    before = len(emu.posts("C0CHAN"))
    bot.start()
    emu.wait_for_posts(before + 2, channel="C0CHAN", timeout=15)
    assert _texts(emu, before)[:2] == [
        NOTICE,
        "*backend*: the duty passes from alice to <@U0BOB>.",
    ]
    assert chat.say("shout backend") == "<@U0BOB> is on duty for *backend*."  # rotated once
    assert _texts(emu, before).count(NOTICE) == 1
    bot.stop()


def test_operators_list_every_schedule(
    chat: Conversation, emu: SlackEmulator, bot: BotProcess
) -> None:
    chat.say(CREATE)
    chat.say('schedule create "rotate backend" 0 9 * * Mon-Fri')
    chat.say(CREATE, channel="C2")
    chat.say('schedule create "who backend" CRON_TZ=America/New_York 30 8 * * *', channel="C2")
    out = subprocess.run(
        [sys.executable, str(ROOT / "dienstplan.py"), "schedules"],
        env={
            "PATH": "/usr/bin:/bin",
            "DIENSTPLAN_DATABASE": str(bot.database),
            "DIENSTPLAN_TIMEZONE": "Europe/Berlin",
        },
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    lines = out.splitlines()
    assert lines[0].split() == [
        "CHANNEL",
        "COMMAND",
        "CRONTAB",
        "ZONE",
        "NEXT",
        "RUN",
        "LAST",
        "RUN",
    ]
    assert "rotate backend" in lines[1] and "Europe/Berlin" in lines[1] and "09:00 CE" in lines[1]
    assert "who backend" in lines[2] and "America/New_York" in lines[2] and "08:30 E" in lines[2]
    assert lines[-1] == "2 schedule(s)."


def test_runs_due_in_the_same_minute_post_each_notice_then_its_reply(
    emu: SlackEmulator, tmp_path: Path, database: str | Path
) -> None:
    bot = BotProcess(emu, tmp_path, database).start()
    chat = Conversation(emu)
    chat.say(CREATE)
    chat.say("notification disable ShiftStarting")  # the handoff is 2 s away: only the runs
    commands = ["who backend", "rotate backend", "shout backend", "about backend"]
    for command in commands:
        assert chat.say(f'schedule create "{command}" 0 9 * * *').startswith("Scheduled")
    bot.stop()
    _set_next_run(bot, datetime.now(UTC) + timedelta(seconds=2))
    emu.api_latency = 0.05  # slow posts: parallel deliveries would interleave
    before = len(emu.posts("C0CHAN"))
    bot.start()
    emu.wait_for_posts(before + 2 * len(commands), channel="C0CHAN", timeout=30)
    texts = _texts(emu, before)
    assert texts[0::2] == [f"Executing `{c}` on schedule `0 9 * * *`." for c in commands]
    assert texts[1::2] == [
        texts[1],  # the rotate schedule's handoff is due: who names it and bob
        "*backend*: the duty passes from alice to <@U0BOB>.",
        "<@U0BOB> is on duty for *backend*.",
        texts[7],
    ]
    assert texts[1].startswith("<@U0ALICE> is on duty for *backend*:\nWatch alerts\nNext handoff: ")
    assert texts[1].endswith(", to bob.")
    assert texts[7].startswith("*backend*, created ")
    bot.stop()


def test_a_changed_default_zone_moves_the_next_run_and_every_display_agrees(
    emu: SlackEmulator, tmp_path: Path, database: str | Path
) -> None:
    bot, chat = _scheduled_then_stopped(emu, tmp_path, database, DIENSTPLAN_TIMEZONE="UTC")
    bot.env["DIENSTPLAN_TIMEZONE"] = "Europe/Berlin"
    bot.start()
    listing = chat.say("schedule list")
    assert "`0 9 * * *` (Europe/Berlin), at 09:00" in listing
    assert listing.endswith(" 09:00 CET") or listing.endswith(" 09:00 CEST")
    bot.stop()
    assert "1 schedule(s) without CRON_TZ now follow Europe/Berlin" in bot.log()
    out = subprocess.run(
        [sys.executable, str(ROOT / "dienstplan.py"), "schedules"],
        env={
            "PATH": "/usr/bin:/bin",
            "DIENSTPLAN_DATABASE": str(bot.database),
            "DIENSTPLAN_TIMEZONE": "UTC",  # the operator's shell has another zone
        },
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    row = out.splitlines()[1]
    assert "Europe/Berlin" in row and " 09:00 CE" in row
