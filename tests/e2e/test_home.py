"""The App Home through the real `dienstplan run` process and the emulator: published on
opening, republished for the people a change concerns, the Set away form, Remove, `home`."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.views import View

from bot.core import cron
from bot.core.model import Member
from bot.core.shifts import short_date
from bot.storage.db import open_database
from bot.storage.repository import PeeweeRepository
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
    View(**view).to_dict()  # validates every block too
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
    assert "• *backend* in <#C0CHAN> since " in text
    assert f"until the handoff {cron.format_run(first, BERLIN)}" in text
    assert "Your rotations (1)" in text
    assert (
        f"• *backend* in <#C0CHAN>: <@U0ALICE> on duty. Next handoff "
        f"{cron.format_run(first, BERLIN)}, to <@U0BOB>."
    ) in text
    emu.app_home_opened("U0BOB")
    bob = text_of(wait_for_publish(emu, "U0BOB", 1))
    assert (
        f"• {cron.format_run(first, BERLIN)} to {cron.format_run(second, BERLIN)}: "
        "*backend* in <#C0CHAN>"
    ) in bob
    assert "You are not on call right now." in bob


def _today() -> datetime:
    return datetime.now(BERLIN)


def _day(offset: int) -> str:
    return (_today().date() + timedelta(days=offset)).isoformat()


def _form(start: str | None, end: str | None, note: str = "") -> dict[str, dict[str, Any]]:
    return {
        "start": {"date": {"type": "datepicker", "selected_date": start}},
        "end": {"date": {"type": "datepicker", "selected_date": end}},
        "note": {"text": {"type": "plain_text_input", "value": note or None}},
    }


def _remove_buttons(view: dict[str, Any]) -> list[str]:
    return [
        b["accessory"]["value"]
        for b in view["blocks"]
        if b.get("accessory", {}).get("action_id") == "home_remove_away"
    ]


def test_the_away_form_stores_availability_and_republishes(
    chat: Conversation, emu: SlackEmulator
) -> None:
    chat.say(CREATE)
    emu.app_home_opened("U0BOB")
    assert "You are not away on any day." in text_of(wait_for_publish(emu, "U0BOB", 1))
    click = emu.block_action("home_set_away", user="U0BOB", view_user="U0BOB")
    opened = emu.wait_for_call("views.open", lambda c: c.ok, timeout=10)
    emu.wait_for_ack(click)
    assert opened.params["trigger_id"] == click.payload["payload"]["trigger_id"]
    modal = emu.views_opened()[-1]
    fields = {"type", "blocks", "title", "submit", "close", "callback_id"}
    View(**{k: v for k, v in modal.items() if k in fields}).to_dict()

    wrong = emu.view_submission(modal["id"], _form(_day(3), _day(1)), user="U0BOB")
    answer = emu.wait_for_ack(wrong).payload
    assert answer is not None and answer["response_action"] == "errors"
    assert list(answer["errors"]) == ["end"]
    assert "before the first" in answer["errors"]["end"]
    assert len(publishes(emu, "U0BOB")) == 1  # nothing stored, nothing republished

    right = emu.view_submission(modal["id"], _form(_day(1), _day(3), "Ski <trip>"), user="U0BOB")
    assert not (emu.wait_for_ack(right).payload or {}).get("response_action")
    view = wait_for_publish(emu, "U0BOB", 2)
    today = _today().date()
    first, last = (today + timedelta(days=n) for n in (1, 3))
    assert (
        f"Away {short_date(first, today)} to {short_date(last, today)}: Ski &lt;trip&gt;"
        in text_of(view)
    )
    assert chat.say("away", user="U0BOB").startswith("Your away periods")
    [period] = _remove_buttons(view)

    # someone else's click on bob's period changes nothing (their own Home is republished)
    emu.app_home_opened("U0ALICE")
    wait_for_publish(emu, "U0ALICE", 1)
    emu.wait_for_ack(
        emu.block_action("home_remove_away", period, user="U0ALICE", view_user="U0ALICE")
    )
    wait_for_publish(emu, "U0ALICE", 2)
    assert _remove_buttons(publishes(emu, "U0BOB")[-1]) == [period]
    # a stale or forged id neither
    emu.wait_for_ack(emu.block_action("home_remove_away", "x1", user="U0BOB", view_user="U0BOB"))
    assert _remove_buttons(wait_for_publish(emu, "U0BOB", 3)) == [period]

    emu.wait_for_ack(emu.block_action("home_remove_away", period, user="U0BOB", view_user="U0BOB"))
    assert "You are not away on any day." in text_of(wait_for_publish(emu, "U0BOB", 4))
    assert chat.say("away", user="U0BOB").startswith("You have no away periods.")


def test_a_set_away_form_that_does_not_open_is_explained_in_the_dm(
    chat: Conversation, emu: SlackEmulator
) -> None:
    """Slack refuses views.open (a trigger older than 3 s) or does not answer in time: the
    click is not left doing nothing, the person's DM says so and gives the command."""
    chat.say(CREATE)
    emu.app_home_opened("U0BOB")
    wait_for_publish(emu, "U0BOB", 1)
    first = (_today().date() + timedelta(days=7)).isoformat()

    emu.fail_next("views.open", error="expired_trigger_id", status=200)
    emu.wait_for_ack(emu.block_action("home_set_away", user="U0BOB", view_user="U0BOB"))
    [told] = emu.wait_for_posts(1, channel="U0BOB", timeout=10)
    assert told.params["text"].startswith(
        "The *Set away* form did not open: Slack answered `expired_trigger_id`. Click *Set away* "
        "again, or type the days here"
    )
    assert f"`away {first} " in told.params["text"]

    emu.method_latency["views.open"] = 2.5  # beyond the listener's time budget
    click = emu.block_action("home_set_away", user="U0BOB", view_user="U0BOB")
    assert emu.wait_for_ack(click).at - click.sent_at < 2.0  # Slack wants it within 3 s
    told = emu.wait_for_posts(2, channel="U0BOB", timeout=10)[1]
    assert told.params["text"].startswith(
        "Slack did not answer in time, so the *Set away* form may not have opened. If it did "
        "not, click"
    )
    emu.method_latency.pop("views.open")

    # the command it names works in that DM
    emu.dm(f"away {first} {first}", user="U0BOB")
    answer = emu.wait_for_posts(3, channel=emu.dm_channel_for("U0BOB"), timeout=10)[2]
    assert answer.params["text"].startswith("You are away"), answer.params["text"]


def test_back_republishes_the_home(chat: Conversation, emu: SlackEmulator) -> None:
    chat.say(CREATE)
    emu.app_home_opened("U0BOB")
    wait_for_publish(emu, "U0BOB", 1)
    chat.say("away today", user="U0BOB")
    away = text_of(wait_for_publish(emu, "U0BOB", 2))
    today = _today().date()
    assert f"Away {short_date(today, today)} (now)" in away
    chat.say("back", user="U0BOB")
    assert "You are not away on any day." in text_of(wait_for_publish(emu, "U0BOB", 3))


def _home_rows(bot: BotProcess) -> dict[str, int]:
    with sqlite3.connect(bot.database) as db:
        rows = db.execute(
            "SELECT channel, COUNT(*) FROM outbox WHERE kind = 'home' GROUP BY channel"
        ).fetchall()
    return dict(rows)


def test_a_rotate_republishes_the_two_people_concerned_only(
    chat: Conversation, emu: SlackEmulator, bot: BotProcess
) -> None:
    chat.say(CREATE)
    for user in ("U0ALICE", "U0BOB", "U0CAROL"):
        emu.wait_for_ack(emu.app_home_opened(user))
        wait_for_publish(emu, user, 1)
    assert _home_rows(bot) == {"U0ALICE": 1, "U0BOB": 1, "U0CAROL": 1}
    assert chat.say("rotate backend") == "*backend*: the duty passes from alice to <@U0BOB>."
    assert _home_rows(bot) == {"U0ALICE": 2, "U0BOB": 2, "U0CAROL": 1}
    assert "You are not on call right now." in text_of(wait_for_publish(emu, "U0ALICE", 2))
    assert "• *backend* in <#C0CHAN> since " in text_of(wait_for_publish(emu, "U0BOB", 2))
    assert len(publishes(emu, "U0CAROL")) == 1
    # dave never opened the Home: nothing is queued for him
    chat.say("update backend <@U0DAVE> <@U0CAROL> Watch alerts")
    assert _home_rows(bot) == {"U0ALICE": 3, "U0BOB": 3, "U0CAROL": 2}


def test_a_person_in_300_rotations_gets_a_valid_view(
    chat: Conversation, emu: SlackEmulator, bot: BotProcess
) -> None:
    db = open_database(bot.database, create=False)
    try:
        repo = PeeweeRepository(db)
        with repo.transaction():
            for i in range(300):
                repo.create(
                    channel=f"C{i:04d}",
                    name=f"rotation-{i:03d}-" + "x" * 60,
                    description="duties",
                    members=[Member("U0BOB"), Member("U0ALICE")],
                    created_by="U0BOB",
                    now=datetime.now(UTC),
                )
    finally:
        db.close_all()
    emu.wait_for_ack(emu.app_home_opened("U0ALICE"))
    view = wait_for_publish(emu, "U0ALICE", 1)
    assert len(view["blocks"]) <= 100
    text = text_of(view)
    assert "Your rotations (300)" in text
    shown = text.count("on duty. Next in line")
    assert 0 < shown < 300
    assert f"{300 - shown} more rotations are not shown here" in text
    emu.wait_for_ack(emu.app_home_opened("U0BOB"))  # on call in all 300
    view = wait_for_publish(emu, "U0BOB", 1)
    assert len(view["blocks"]) <= 100
    assert "…and 280 more duties: `@dienstplan shifts` lists them." in text_of(view)


def test_home_links_to_the_app_home(chat: Conversation) -> None:
    assert chat.say("home") == (
        "<slack://app?team=T0TEAM&id=A0APP&tab=home|Open your App Home>: where you are on call, "
        "your shifts of the next 30 days, your away days (with *Set away*) and your rotations."
    )


def test_a_renamed_app_is_mentioned_by_its_name_in_replies_and_the_home(
    tmp_path: Path,
) -> None:
    with SlackEmulator() as emu:
        emu.bot_name = "on-call"
        BotProcess(emu, tmp_path).start()
        chat = Conversation(emu)
        help_text = chat.say("help")
        assert help_text.startswith("*on-call* keeps on-call rotations")
        assert "`@on-call rotate &lt;rotation name&gt;`" in help_text
        assert "@dienstplan" not in help_text
        emu.wait_for_ack(emu.app_home_opened("U0ALICE"))
        view = wait_for_publish(emu, "U0ALICE", 1)
        assert "`@on-call help`" in text_of(view) and "@dienstplan" not in text_of(view)
