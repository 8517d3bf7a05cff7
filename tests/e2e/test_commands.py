"""Every command through the real `dienstplan run` process, over Socket Mode and the Web API."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import BotProcess, Conversation
from tests.emulator import SlackEmulator
from tests.test_console import console

pytestmark = pytest.mark.both_engines

CREATE = "create backend <@U0ALICE> <@U0BOB> <@U0CAROL> Watch alerts\n• <https://runbook|runbook>"


def test_full_rotation_lifecycle(chat: Conversation) -> None:
    assert chat.say(CREATE) == (
        "Created rotation *backend* with 3 members: alice, bob, carol. <@U0ALICE> is on duty now."
    )
    assert chat.say("who backend") == (
        "<@U0ALICE> is on duty for *backend*:\nWatch alerts\n• <https://runbook|runbook>"
        "\nNext in line: bob."
    )
    assert chat.say("shout backend") == "<@U0ALICE> is on duty for *backend*."
    # the person going off duty is named, not pinged
    assert chat.say("rotate backend") == "*backend*: the duty passes from alice to <@U0BOB>."
    assert chat.say("assign backend <@U0ALICE>") == (
        "*backend*: <@U0ALICE> is on duty now (instead of bob). "
        "The next `rotate` continues from them."
    )
    about = chat.say("about backend")
    assert about.startswith("*backend*, created ")
    assert "1. alice  ← on duty\n2. bob\n3. carol" in about
    assert chat.say("update backend <@U0DAVE> <@U0ERIN> New duties") == (
        "Updated rotation *backend*: dave, erin. The duty starts over: <@U0DAVE> is on duty now."
    )
    assert chat.say("list").startswith("Rotations in this channel (1), newest first:\n• *backend*")
    assert chat.say("delete backend") == "Deleted rotation *backend*."
    assert "no rotations in this channel yet" in chat.say("list")


def test_help_unknown_and_bad_arguments(chat: Conversation) -> None:
    assert chat.say("help").startswith("*dienstplan* keeps on-call rotations")
    assert chat.say("").startswith("*dienstplan* keeps on-call rotations")
    assert chat.say("rotat backend").startswith("I don't know the command `rotat`. Did you mean")
    reply = chat.say("create backend <@U0ALICE>")
    assert "the duties description is missing" in reply and "Example:" in reply
    assert "There is no rotation *nope*" in chat.say("who nope")


def test_channels_are_separate(chat: Conversation) -> None:
    chat.say(CREATE, channel="C1")
    assert "There is no rotation" in chat.say("who backend", channel="C2")


def test_reply_goes_to_the_thread(chat: Conversation, emu: SlackEmulator) -> None:
    envelope, before = chat.send("help", channel="C1", thread_ts="1700000000.000100")
    post = chat.reply_to(envelope, before, channel="C1")
    assert post.params["thread_ts"] == "1700000000.000100"
    envelope, before = chat.send("help", channel="C1")
    assert "thread_ts" not in chat.reply_to(envelope, before, channel="C1").params


def test_reminder_text_and_odd_spaces(chat: Conversation, emu: SlackEmulator) -> None:
    chat.say(CREATE)
    before = len(emu.posts("C0CHAN"))
    envelope = emu.mention("Reminder: <@UBOT|dienstplan> rotate\u00a0backend.", channel="C0CHAN")
    post = chat.reply_to(envelope, before, channel="C0CHAN")
    assert post.params["text"] == "*backend*: the duty passes from alice to <@U0BOB>."


def test_direct_message_without_mention(chat: Conversation, emu: SlackEmulator) -> None:
    envelope = emu.dm("help", user="U0ALICE")
    emu.wait_for_ack(envelope)
    post = emu.wait_for_posts(1, channel="D0ALICE")[0]
    assert post.params["text"].startswith("*dienstplan* keeps on-call rotations")


def test_broadcasts_are_never_reposted(chat: Conversation) -> None:
    chat.say("create x <@U0ALICE> ping <!here> and <!channel> and <!everyone|everyone>")
    reply = chat.say("who x")
    assert "<!here>" not in reply and "<!channel>" not in reply and "<!everyone" not in reply
    assert "@\u200bhere" in reply


def test_every_envelope_is_acknowledged_once_answered(
    chat: Conversation, emu: SlackEmulator
) -> None:
    chat.say(CREATE)
    for envelope in emu.envelopes:
        assert emu.is_acked(envelope)


STAR = "<!date^00000000^{_}|*>"
UNDERSCORE = "<!date^00000000^{_}|_>"


def test_names_and_text_round_trip_between_slack_and_the_console(
    chat: Conversation, emu: SlackEmulator, bot: BotProcess
) -> None:
    """Slack escapes `&`, `<`, `>` as entities and the console takes them raw: a rotation
    made in one is found from the other, and text shows as typed on both."""
    emu.set_user("U0BOB", profile={"display_name": "*bold* _it_"})
    assert chat.say("create R&amp;D <@U0ALICE> <@U0BOB> a &lt; b &amp; c <https://x|link>") == (
        f"Created rotation *R&amp;D* with 2 members: alice, {STAR}bold{STAR} {UNDERSCORE}it"
        f"{UNDERSCORE}. <@U0ALICE> is on duty now."
    )
    assert console(bot.database, "who R&D\n", "--channel", "C0CHAN").splitlines() == [
        "@U0ALICE is on duty for *R&D*:",
        "a < b & c <https://x|link>",
        "Next in line: @U0BOB.",
    ]
    chat.say("rotate R&amp;D")
    assert chat.say("rotate r&amp;d") == (
        f"*R&amp;D*: the duty passes from {STAR}bold{STAR} {UNDERSCORE}it{UNDERSCORE} "
        "to <@U0ALICE>."
    )
    console(bot.database, "create * & Co <@U0BOB> x < y\n", "--channel", "C0CHAN")
    assert chat.say("who * &amp; co") == (f"<@U0BOB> is on duty for *{STAR} &amp; Co*:\nx &lt; y")
    assert chat.say("create back`end <@U0ALICE> @bob x").startswith(
        "That `create` needs fixing: `@bob` is plain text, not a Slack mention"
    )


def test_text_slack_escaped_as_a_lone_surrogate_is_answered_not_run(
    chat: Conversation, bot: BotProcess
) -> None:
    """Slack's JSON may carry a `\\ud800` escape, which decodes to no character at all."""
    reply = chat.say("create x <@U0ALICE> duty \ud800")
    assert reply.startswith("That message contains U+D800, half of a UTF-16 surrogate pair")
    assert "no rotations in this channel yet" in chat.say("list")
    assert "Traceback" not in bot.log()


def test_a_bot_on_sqlite_does_not_load_a_postgresql_driver(bot: BotProcess) -> None:
    """The `postgres` extra may share the environment (it does in the tests): peewee would
    import the driver, 5 MiB of memory a bot on SQLite never uses."""
    assert bot.process is not None
    if bot.env["DIENSTPLAN_DATABASE"].startswith("postgres"):
        pytest.skip("this bot runs on PostgreSQL: it needs the driver")
    maps = Path(f"/proc/{bot.process.pid}/maps")
    if not maps.exists():
        pytest.skip("no /proc on this system")
    assert "psycopg" not in maps.read_text()
