"""Crash run: the test suite's kill -9 test (tests/e2e/test_crash.py) with more kills, channels
and seeds. Kills the real `dienstplan run` process at seeded random moments during modelled
mixed traffic, restarts it, delivers again what was not acknowledged, then checks the replies
and the database (integrity, one duty per rotation, each command applied once, outbox
settled). Prints a JSON summary; exits 1 if a check failed.

    python bench/crash.py [--kills 100] [--lanes 8] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.harness import PROCESSES  # noqa: E402
from tests.e2e.test_crash import crash_run  # noqa: E402
from tests.emulator import SlackEmulator  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--lanes", type=int, default=8, help="channels with traffic")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as workdir, SlackEmulator() as emu:
        try:
            chaos, _, duplicates = crash_run(
                emu, Path(workdir), kills=args.kills, lanes=args.lanes, seed=args.seed
            )
        except (AssertionError, TimeoutError) as error:
            print(f"FAILED: {error}"[:2000], file=sys.stderr)
            return 1
        finally:
            PROCESSES.end_all()
    report = {
        "kills": args.kills,
        "channels": args.lanes,
        "commands": chaos.commands,
        "answered": chaos.answered(),
        "redeliveries_sent": chaos.redeliveries,
        "messages_posted_twice": sum(duplicates),
        "most_in_one_channel": max(duplicates),
        "seconds": round(time.monotonic() - started, 1),
        "checks_passed": True,
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
