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
