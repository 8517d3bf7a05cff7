"""Benchmark: the cost of one next run, bot.core.cron on croniter against the engine it replaced.

The old engine (our own calendar walk) is read from git history, so both run in the same
process on the same crontabs, zones and instants. Reported per call, in microseconds:

- `parse`: the crontab text to a spec;
- `next_run`: one run after a random instant in 2026-2027 (the spec already parsed);
- `parse + next_run`: what the scheduler pays when a schedule fires.

    python bench/bench_cron.py [--calls 2000] [--old-rev 8010b3d]
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core import cron  # noqa: E402

CRONTABS = [
    "0 9 * * Mon-Fri",
    "*/30 9-17 * * 1-5",
    "0 10 1 * *",
    "30 2 * * *",
    "* * * * *",
    "0 0 1 * Mon",
    "0 0 29 2 *",
]
ZONES = ["UTC", "Europe/Berlin"]
# The last commit with the engine of our own.
OLD_REV = "8010b3d"


def old_engine(rev: str, folder: Path) -> ModuleType:
    source = subprocess.run(
        ["git", "show", f"{rev}:bot/core/cron.py"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    path = folder / "old_cron.py"
    path.write_bytes(source)
    spec = importlib.util.spec_from_file_location("old_cron", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_cron"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def per_call(action: Callable[[datetime], object], instants: list[datetime]) -> float:
    """Median of five rounds over all instants, in microseconds per call."""
    rounds = []
    for _ in range(5):
        began = time.perf_counter()
        for instant in instants:
            action(instant)
        rounds.append((time.perf_counter() - began) / len(instants) * 1e6)
    return statistics.median(rounds)


def measure(engine: ModuleType, text: str, zone: str, instants: list[datetime]) -> list[float]:
    spec = engine.parse(text)
    return [
        per_call(lambda _: engine.parse(text), instants),
        per_call(lambda at: engine.next_run(spec, at, zone), instants),
        per_call(lambda at: engine.next_run(engine.parse(text), at, zone), instants),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="instants per measurement")
    parser.add_argument("--old-rev", default=OLD_REV, help="git revision of the old engine")
    args = parser.parse_args()

    randomness = random.Random(7)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    instants = [
        start + timedelta(minutes=randomness.randrange(2 * 525_600)) for _ in range(args.calls)
    ]
    with tempfile.TemporaryDirectory() as folder:
        old = old_engine(args.old_rev, Path(folder))
        print(f"{'crontab':<20} {'zone':<14} {'parse':>15} {'next_run':>17} {'parse+next_run':>17}")
        print(f"{'':<20} {'':<14} {'old / new µs':>15} {'old / new µs':>17} {'old / new µs':>17}")
        totals: dict[str, list[float]] = {"old": [], "new": []}
        for text in CRONTABS:
            for zone in ZONES:
                before, after = (
                    measure(old, text, zone, instants),
                    measure(cron, text, zone, instants),
                )
                totals["old"].append(before[2])
                totals["new"].append(after[2])
                cells = [f"{a:6.1f} / {b:6.1f}" for a, b in zip(before, after, strict=True)]
                print(f"{text:<20} {zone:<14} {cells[0]:>15} {cells[1]:>17} {cells[2]:>17}")
    old_median, new_median = statistics.median(totals["old"]), statistics.median(totals["new"])
    print(
        f"median parse+next_run: old {old_median:.1f} µs, croniter {new_median:.1f} µs "
        f"({new_median / old_median:.1f}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
