"""Deactivated Slack users, through the real `dienstplan run` process and the emulator."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import BotProcess, Conversation
from tests.emulator import SlackEmulator

CREATE = "create backend <@U0ALICE> <@U0BOB> <@U0CAROL> Watch alerts"


def test_deactivated_users_are_refused_and_skipped(
    chat: Conversation, emu: SlackEmulator, bot: BotProcess, tmp_path: Path
) -> None:
    emu.deactivate_user("U0DAVE")
    assert chat.say("create backend <@U0ALICE> <@U0DAVE> Watch alerts") == (
        "dave is deactivated in Slack, so they can't be on *backend*. Leave them out and try again."
    )
    assert chat.say(CREATE).startswith("Created rotation *backend* with 3 members")
    looked_up = [call.params["user"] for call in emu.calls_to("users.info")]
    assert sorted(looked_up) == ["U0ALICE", "U0BOB", "U0CAROL", "U0DAVE"]  # once each

    # Bob leaves the company after the rotation was made; a fresh process has no cache.
    bot.stop()
    emu.deactivate_user("U0BOB")
    restarted = BotProcess(emu, tmp_path).start()
    try:
        assert chat.say("rotate backend") == (
            "*backend*: the duty passes from alice to <@U0CAROL>. "
            "Skipped bob (deactivated in Slack)."
        )
        assert chat.say("assign backend <@U0BOB>").startswith(
            "bob is deactivated in Slack, so they can't be put on duty for *backend*."
        )
        assert chat.say("shout backend") == "<@U0CAROL> is on duty for *backend*."
    finally:
        restarted.stop()


def test_a_user_deactivated_while_the_bot_runs_is_skipped_at_once(
    chat: Conversation, emu: SlackEmulator
) -> None:
    assert chat.say(CREATE).startswith("Created rotation *backend* with 3 members")
    calls = len(emu.calls_to("users.info"))
    emu.deactivate_user("U0BOB")
    emu.wait_for_ack(emu.user_change("U0BOB"))
    assert chat.say("rotate backend") == (
        "*backend*: the duty passes from alice to <@U0CAROL>. Skipped bob (deactivated in Slack)."
    )
    assert chat.say("about backend").split("\n")[1:5] == [
        "Members in duty order (3):",
        "1. alice",
        "2. bob (deactivated in Slack)",
        "3. carol  ← on duty",
    ]
    emu.deactivate_user("U0CAROL")
    emu.wait_for_ack(emu.user_change("U0CAROL"))
    assert chat.say("shout backend") == (
        "carol is on duty for *backend*, but is deactivated in Slack. "
        "`@dienstplan rotate backend` passes the duty to the next active member."
    )
    assert chat.say("rotate backend") == "*backend*: the duty passes from carol to <@U0ALICE>."
    assert chat.say("rotate backend") == (
        "*backend*: every other member is deactivated in Slack (bob and carol), so <@U0ALICE> "
        "stays on duty. `@dienstplan update backend` can take them off the rotation."
    )
    assert len(emu.calls_to("users.info")) == calls  # the events told the bot; no lookups
    emu.wait_for_ack(emu.team_join("U0NEW"))
    assert chat.say("create newbies <@U0NEW> Welcome").startswith("Created rotation *newbies*")
    assert len(emu.calls_to("users.info")) == calls


def test_the_check_and_the_reply_make_at_most_50_lookups_each(
    chat: Conversation, emu: SlackEmulator
) -> None:
    members = " ".join(f"<@U0M{i:03d}>" for i in range(120))
    reply = chat.say(f"create many {members} Watch alerts")
    assert reply.startswith("Created rotation *many* with 120 members: m000, m001,")
    # the check looks up the first 50; the reply, rendered by the outbox sender, 50 more
    # (the DM telling m000 they are on call names alice: one lookup of its own)
    members_looked_up = [c for c in emu.calls_to("users.info") if c.params["user"] != "U0ALICE"]
    assert len(members_looked_up) == 100
    assert "m099, @U0M100," in reply
