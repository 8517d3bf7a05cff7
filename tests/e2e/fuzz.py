"""Generated messages through the real `dienstplan run` process: every one acknowledged and
answered, no live broadcast posted, the process alive, no internal error. Shared by the e2e
test (a few hundred messages) and bench/fuzz.py (ten thousand).

Each message is sent with its own thread_ts, and the bot answers in the thread, so every
reply names the message it answers."""

from __future__ import annotations

import random
import re
import time
from collections import Counter, deque
from dataclasses import dataclass, field

from bot.core.dispatcher import APOLOGY
from tests.e2e.harness import BotProcess
from tests.emulator import SlackEmulator
from tests.emulator.server import Envelope
from tests.strategies import USERS, random_message

BROADCAST = re.compile(r"<!(?:here|channel|everyone|group)\b")
CHANNELS = ["C0CHAN", "C1", "C2"]
PEOPLE = [user for user in USERS if user != "UBOT"]


@dataclass
class FuzzResult:
    sent: int = 0
    acked: int = 0
    answered: int = 0
    unanswered: list[str] = field(default_factory=list)  # the texts, for a report
    broadcasts: list[str] = field(default_factory=list)  # posted texts that would ping
    apologies: int = 0  # replies saying an internal error happened
    crashed: bool = False
    errors_logged: int = 0
    seconds: float = 0.0
    peak_rss_kib: int = 0
    kinds: Counter[str] = field(default_factory=Counter)  # first words of the replies

    @property
    def clean(self) -> bool:
        return (
            self.acked == self.sent == self.answered
            and not self.unanswered
            and not self.broadcasts
            and not self.apologies
            and not self.crashed
            and not self.errors_logged
        )


def fuzz(
    emu: SlackEmulator,
    bot: BotProcess,
    count: int,
    *,
    seed: int = 1,
    window: int = 32,
    timeout: float = 60.0,
) -> FuzzResult:
    """Send `count` generated messages (mentions in channels, 1 in 5 a DM), at most `window`
    unacknowledged at once, then wait for every answer."""
    rng = random.Random(seed)
    emu.set_usergroup("S1", ["U1", "U2"])
    emu.set_usergroup("S0OPS", ["U0BOB"])
    for channel in CHANNELS:
        emu.add_members(channel, *PEOPLE)
    result = FuzzResult()
    texts: dict[str, str] = {}
    pending: deque[Envelope] = deque()
    start = time.monotonic()
    for i in range(count):
        text, user = random_message(rng), rng.choice(PEOPLE)
        thread = f"1700000000.{i:06d}"
        texts[thread] = text
        if rng.randrange(5) == 0:
            pending.append(emu.dm(text, user=user, thread_ts=thread))
        else:
            pending.append(
                emu.mention(text, channel=rng.choice(CHANNELS), user=user, thread_ts=thread)
            )
        result.sent += 1
        while len(pending) > window:
            _wait_acked(emu, bot, pending.popleft(), timeout)
            result.acked += 1
        if i % 200 == 0:
            result.peak_rss_kib = max(result.peak_rss_kib, _rss_kib(bot))
    while pending:
        _wait_acked(emu, bot, pending.popleft(), timeout)
        result.acked += 1
    answered = _wait_answered(emu, set(texts), timeout)
    result.seconds = time.monotonic() - start
    result.peak_rss_kib = max(result.peak_rss_kib, _rss_kib(bot))
    result.answered = len(answered)
    result.unanswered = [texts[t] for t in sorted(set(texts) - answered)]
    for post in emu.posts():
        posted = str(post.params.get("text", "")) + str(post.params.get("blocks", ""))
        if BROADCAST.search(posted):
            result.broadcasts.append(posted)
        result.apologies += APOLOGY in posted
        words = posted.split()
        result.kinds[" ".join(words[:2])] += 1
    result.crashed = bot.process is None or bot.process.poll() is not None
    result.errors_logged = sum(
        1 for line in bot.log().splitlines() if " ERROR " in line or " CRITICAL " in line
    )
    return result


def _wait_acked(emu: SlackEmulator, bot: BotProcess, envelope: Envelope, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not emu.is_acked(envelope):
        if bot.process is not None and bot.process.poll() is not None:
            raise RuntimeError(f"the bot exited with {bot.process.returncode}:\n{bot.log()}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"envelope {envelope.envelope_id} not acked in {timeout}s")
        time.sleep(0.002)


def _wait_answered(emu: SlackEmulator, threads: set[str], timeout: float) -> set[str]:
    """The threads answered once the outbox is drained (or the timeout passes)."""
    deadline = time.monotonic() + timeout
    while True:
        answered = {str(p.params.get("thread_ts")) for p in emu.posts()} & threads
        if answered == threads or time.monotonic() > deadline:
            return answered
        time.sleep(0.2)


def _rss_kib(bot: BotProcess) -> int:
    if bot.process is None:
        return 0
    try:
        with open(f"/proc/{bot.process.pid}/status") as status:
            line = next(line for line in status if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return 0
    return int(line.split()[1])
