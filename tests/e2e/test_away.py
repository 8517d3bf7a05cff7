"""Availability and shifts through the real `dienstplan run` process and the emulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core import cron
from bot.core.shifts import short_date
from tests.e2e.harness import Conversation
from tests.emulator import SlackEmulator

pytestmark = pytest.mark.both_engines

CREATE = "create backend <@U0ALICE> <@U0BOB> <@U0CAROL> Watch alerts"
BERLIN = ZoneInfo("Europe/Berlin")


def _today() -> str:
    today = datetime.now(BERLIN).date()
    return short_date(today, today)


def test_away_back_and_the_list(chat: Conversation) -> None:
    assert chat.say("away", user="U0BOB").startswith("You have no away periods.")
    assert chat.say("away today", user="U0BOB").startswith(
        f"You are away {_today()} (Europe/Berlin)."
    )
    assert chat.say("away", user="U0BOB") == (
        f"Your away periods (Europe/Berlin, both days included):\n• {_today()}\n"
        "`@dienstplan back` ends the one of today."
    )
    assert chat.say("back", user="U0BOB").startswith(
        f"Welcome back: you are no longer away (you were until {_today()})."
    )
    assert chat.say("away", user="U0BOB").startswith("You have no away periods.")


def test_a_scheduled_rotate_skips_a_member_who_is_away(
    chat: Conversation, emu: SlackEmulator
) -> None:
    chat.say(CREATE)
    chat.say("away today", user="U0BOB")
    chat.say("notification disable ShiftStarting")  # a handoff every minute: only the runs
    assert chat.say('schedule create "rotate backend" * * * * *').startswith("Scheduled")
    before = len(emu.posts("C0CHAN"))
    posts = emu.wait_for_posts(before + 2, channel="C0CHAN", timeout=75)
    assert posts[before + 1].params["text"] == (
        f"*backend*: the duty passes from alice to <@U0CAROL>. Skipped bob (away until {_today()})."
    )


def test_shifts_are_shown_in_the_persons_own_zone(chat: Conversation, emu: SlackEmulator) -> None:
    emu.set_user("U0BOB", tz="America/New_York")
    chat.say(CREATE)
    chat.say('schedule create "rotate backend" 0 9 * * Mon')
    spec = cron.parse("0 9 * * Mon")
    first, second = cron.next_runs(spec, datetime.now(UTC), "Europe/Berlin", 2)
    assert first - datetime.now(UTC) < timedelta(days=8)
    new_york = ZoneInfo("America/New_York")
    assert chat.say("shifts", user="U0BOB").split("\n")[:2] == [
        "Your shifts in the next 30 days (times in America/New_York):",
        f"• *backend* in <#C0CHAN>: from {cron.format_run(first, new_york)} to "
        f"{cron.format_run(second, new_york)}",
    ]
    assert chat.say("who backend").endswith(
        f"Next handoff: {cron.format_run(first, BERLIN)}, to bob."
    )
