"""kill -9 at 20 seeded random moments while mixed commands flow, Slack redelivering what was
not acknowledged (tests/e2e/chaos.py has the traffic and its model)."""

from __future__ import annotations

import random
import time
from pathlib import Path

from tests.e2e.chaos import Chaos
from tests.e2e.harness import BotProcess
from tests.emulator import SlackEmulator

KILLS = 20
SEED = 20261206


def crash_run(
    emu: SlackEmulator, workdir: Path, *, kills: int, lanes: int, seed: int
) -> tuple[Chaos, BotProcess, list[int]]:
    """Half the kills land at a moment after the restarted bot connected, half at a moment
    after it was started, which may be before it connected (migrations, the outbox take-over,
    the first claim). Returns the traffic, the stopped bot and each channel's duplicates."""
    rng = random.Random(seed)
    chaos = Chaos(emu, lanes, seed=seed, pace=0.05, redeliver_after=1.0)
    bot = BotProcess(emu, workdir).start()
    for _ in range(kills):
        until = time.monotonic() + rng.uniform(0.05, 1.2)
        while time.monotonic() < until:
            chaos.pump()
            time.sleep(0.005)
        bot.kill()
        if rng.random() < 0.5:
            bot.start()
        else:
            bot.launch()
    if (bot.process is not None and bot.process.poll() is not None) or emu.open_connections == 0:
        bot.kill()
        bot.start()
    chaos.run(0.0, settle=60)
    chaos.wait_answered()
    chaos.wait_sent(bot.database)
    duplicates = chaos.verify()
    assert bot.stop() == 0
    chaos.check_database(bot.database)
    return chaos, bot, duplicates


def test_kill_9_at_20_random_moments_loses_nothing_and_applies_each_command_once(
    emu: SlackEmulator, tmp_path: Path
) -> None:
    chaos, bot, duplicates = crash_run(emu, tmp_path, kills=KILLS, lanes=6, seed=SEED)
    assert chaos.commands > 6 * KILLS
    assert chaos.redeliveries > 0
    # the documented window: a crash may post a channel's last message once more
    assert max(duplicates) <= KILLS
    assert "Traceback" not in bot.log(), bot.log()[-3000:]
