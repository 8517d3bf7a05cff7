"""The App Home through the real `dienstplan run` process and the emulator: published on
opening, republished for the people a change concerns, the Set away form, Remove, `home`."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.views import View

from bot.core import cron
from bot.core.shifts import short_date
from bot.storage.db import open_database
from bot.storage.repository import PeeweeRepository
from bot.core.model import Member
from tests.e2e.harness import BotProcess, Conversation
from tests.emulator import SlackEmulator

BERLIN = ZoneInfo("Europe/Berlin")
CREATE = "create backend <@U0ALICE> <@U0BOB> <@U0CAROL> Watch alerts"


def publishes(emu: SlackEmulator, user: str) -> list[dict[str, Any]]:
    return [
        c.params["view"]
        for c in emu.calls_to("views.publish")
        if c.ok and c.params.get("user_id") == user
    ]


def wait_for_publish(emu: SlackEmulator, user: str, count: int) -> dict[str, Any]:
    """The user's `count`-th published view, validated as slack_sdk would build it."""
    call = emu.wait_for_call(
        "views.publish",
        lambda c: c.ok and c.params.get("user_id") == user and len(publishes(emu, user)) >= count,
        timeout=10,
    )
    assert call is not None
    view = publishes(emu, user)[count - 1]
    View(**view).validate_json()
    return view


def text_of(view: dict[str, Any]) -> str:
    parts: list[str] = []
    for block in view["blocks"]:
        for text in [block.get("text"), *(block.get("elements") or [])]:
            if isinstance(text, dict) and isinstance(text.get("text"), str):
                parts.append(text["text"])
    return "\n".join(parts)


def test_opening_the_home_publishes_duties_and_shifts(
    chat: Conversation, emu: SlackEmulator
) -> None:
    chat.say(CREATE)
    chat.say('schedule create "rotate backend" 0 9 * * Mon')
    envelope = emu.app_home_opened("U0ALICE")
    view = wait_for_publish(emu, "U0ALICE", 1)
    emu.wait_for_ack(envelope)
    first, second = cron.next_runs(cron.parse("0 9 * * Mon"), datetime.now(UTC), "Europe/Berlin", 2)
    text = text_of(view)
    assert "On call now" in text
    assert f"• *backend* in <#C0CHAN> since " in text
    assert f"until the handoff {cron.format_run(first, BERLIN)}" in text
    assert "Your rotations (1)" in text
    assert (
        f"• *backend* in <#C0CHAN>: <@U0ALICE> on duty. Next handoff "
        f"{cron.format_run(first, BERLIN)}, to <@U0BOB>."
    ) in text
    bob = text_of(wait_for_publish(emu, "U0BOB", 1) if emu.app_home_opened("U0BOB") else {})
    assert (
        f"• {cron.format_run(first, BERLIN)} to {cron.format_run(second, BERLIN)}: "
        "*backend* in <#C0CHAN>"
    ) in bob
    assert "You are not on call right now." in bob
