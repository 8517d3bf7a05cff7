"""Each limit of bot.core.limits is refused with a reply naming it; hostile names and
descriptions are stored as the text they are and never interpreted."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.core.dispatcher import Dispatcher
from bot.core.limits import (
    LIMITS,
    MESSAGE_LENGTH,
    ROTATIONS_PER_CHANNEL,
    SCHEDULES_PER_CHANNEL,
    at_most,
)
from bot.core.model import Request
from bot.slack.render import to_slack
from bot.storage.repository import PeeweeRepository
from tests.conftest import Run


def test_every_limit_reads_as_a_phrase() -> None:
    assert at_most(MESSAGE_LENGTH) == "at most 20,000 characters in a message to the bot"
    assert len({limit.what for limit in LIMITS}) == len(LIMITS)


def test_a_message_over_the_length_limit_is_refused_and_not_run(run: Run) -> None:
    text = "<@UBOT> create x <@U1> " + "d" * MESSAGE_LENGTH.value
    assert run(text) == (
        f"That message is {len(text):,} characters long; the limit is at most 20,000 "
        "characters in a message to the bot. Nothing was run."
    )
    assert run("<@UBOT> list").startswith("There are no rotations")


def test_rotations_per_channel(run: Run) -> None:
    for i in range(ROTATIONS_PER_CHANNEL.value):
        assert run(f"<@UBOT> create r{i} <@U1> d").startswith("Created")
    assert run("<@UBOT> create one-more <@U1> d") == (
        "That would be more than the limit: at most 200 rotations in a channel. "
        "Delete one first with `@dienstplan delete <rotation name>`."
    )
    assert run("<@UBOT> create one-more <@U1> d", channel="C2").startswith("Created")
    run("<@UBOT> delete r0")
    assert run("<@UBOT> create one-more <@U1> d").startswith("Created")


def test_schedules_per_channel(run: Run) -> None:
    run("<@UBOT> create x <@U1> <@U2> d")
    for i in range(SCHEDULES_PER_CHANNEL.value):
        run(f"<@UBOT> create r{i} <@U1> <@U2> d")
        reply = run(f'<@UBOT> schedule create "rotate r{i}" 0 9 * * *')
        assert reply.startswith("Scheduled"), reply
    assert run('<@UBOT> schedule create "who x" 0 9 * * *') == (
        "That would be more than the limit: at most 100 schedules in a channel. "
        "`@dienstplan schedule list` shows them; `@dienstplan schedule delete` removes one."
    )
    assert run('<@UBOT> schedule create "list" 0 9 * * *', channel="C2").startswith("Scheduled")


def test_sql_in_names_and_descriptions_is_only_text(
    run: Run, repo: PeeweeRepository, tmp_path: Path
) -> None:
    name = "x'); DROP TABLE rotation;--"
    description = "'; DELETE FROM member WHERE 1=1; --"
    assert run(f"<@UBOT> create {name} <@U1> <@U2> {description}").startswith("Created")
    assert run(f"<@UBOT> who {name}") == (
        f"<@U1> is on duty for *{name}*:\n{description}\nNext in line: @U2."
    )
    with sqlite3.connect(tmp_path / "dienstplan.db") as db:
        stored = db.execute("SELECT name, description FROM rotation").fetchall()
        members = db.execute("SELECT COUNT(*) FROM member").fetchone()
    assert stored == [(name, description)] and members == (2,)


def test_tokens_in_a_name_are_refused_and_in_a_description_shown_defused(
    run: Run, dispatcher: Dispatcher
) -> None:
    assert "names are plain words, not mentions or links" in run(
        "<@UBOT> create ops <!channel> <@U1> d"
    )
    assert "names are plain words" in run("<@UBOT> create a<https://x.test|y> <@U1> d")
    assert "names are plain words" in run("<@UBOT> who <@U1>")
    assert "names are plain words" in run("<@UBOT> delete x<!subteam^S1>")
    run("<@UBOT> create ops <@U1> call <!channel> or <!here|here> <@U2> <!subteam^S1>")
    request = Request(text="<@UBOT> who ops", channel="C1", user="U0ME", bot_user_id="UBOT")
    posted = to_slack(dispatcher.handle(request).reply, lambda member: member.ref)
    assert "<!channel>" not in posted and "<!here" not in posted
    assert "@\u200bchannel" in posted and "@\u200bhere" in posted


def test_control_characters_in_a_name_are_refused_and_a_description_keeps_them(run: Run) -> None:
    refusal = run("<@UBOT> create a\x07b <@U1> d")
    assert "contains U+0007. Names cannot contain control characters" in refusal
    assert "contains U+202E (right-to-left override)" in run("<@UBOT> create abc\u202edef <@U1> d")
    run("<@UBOT> create tabs <@U1> line one\n\tline\x0btwo")
    assert run("<@UBOT> who tabs").endswith("line one\n\tline\x0btwo")
