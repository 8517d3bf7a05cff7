"""A few hundred generated messages through the real process (bench/fuzz.py runs 10,000)."""

from __future__ import annotations

from tests.e2e.fuzz import fuzz
from tests.e2e.harness import BotProcess
from tests.emulator import SlackEmulator


def test_generated_messages_are_all_answered_and_none_broadcasts(
    emu: SlackEmulator, bot: BotProcess
) -> None:
    result = fuzz(emu, bot, 300, seed=7)
    assert result.sent == result.acked == result.answered == 300, result.unanswered[:5]
    assert result.broadcasts == [] and result.apologies == 0
    assert not result.crashed and result.errors_logged == 0, bot.log()[-3000:]
    assert result.kinds["Created rotation"] > 0  # the traffic also changed state
