"""Fuzz run: generated messages (tests/strategies.py) through the real `dienstplan run`
process against the in-repo Slack emulator. Reports crashes, unanswered messages, broadcasts
posted live, internal errors, the time taken and the bot's peak resident memory; exits 1
unless all of those are zero.

    python bench/fuzz.py [--messages 10000] [--seed 1] [--window 32]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.fuzz import fuzz  # noqa: E402
from tests.e2e.harness import PROCESSES, BotProcess  # noqa: E402
from tests.emulator import SlackEmulator  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--window", type=int, default=32, help="messages unacknowledged at once")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir, SlackEmulator() as emu:
        bot = BotProcess(emu, Path(workdir)).start()
        try:
            result = fuzz(emu, bot, args.messages, seed=args.seed, window=args.window)
            log = bot.log()
            bot.stop()
        finally:
            PROCESSES.end_all()
    report = {
        "messages": result.sent,
        "acked": result.acked,
        "answered": result.answered,
        "unanswered": len(result.unanswered),
        "broadcasts_posted": len(result.broadcasts),
        "internal_errors": result.apologies,
        "errors_logged": result.errors_logged,
        "crashed": result.crashed,
        "seconds": round(result.seconds, 1),
        "messages_per_second": round(result.sent / result.seconds, 1) if result.seconds else None,
        "peak_rss_mib": round(result.peak_rss_kib / 1024, 1),
        "replies_by_first_words": dict(result.kinds.most_common(12)),
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    if not result.clean:
        for text in result.unanswered[:5]:
            print(f"unanswered: {text[:200]!r}", file=sys.stderr)
        for text in result.broadcasts[:5]:
            print(f"broadcast: {text[:200]!r}", file=sys.stderr)
        print(log[-5000:], file=sys.stderr)
    return 0 if result.clean else 1


if __name__ == "__main__":
    sys.exit(main())
