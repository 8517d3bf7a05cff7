"""Soak run: the real `dienstplan run` process against the Slack emulator for N minutes of mixed
traffic (tests/e2e/chaos.py: create, rotate, assign, swap, away in several channels) with a
fault injected every --fault-every seconds, in turn: a 429 storm and a 5xx burst on every Web
API method, a latency spike of 5 s, the socket dropped (close frame, TCP reset, silently
half-open), a `disconnect` message, redelivered envelopes and Slack unreachable for a while.

Every --sample seconds it prints the bot's resident memory, the commands sent, acknowledged and
answered, and the outbox backlog. At the end it waits for every command to be acknowledged and
answered, checks replies and database against the traffic's model, and prints a JSON summary:
memory at the end of the warm-up and at the end, its growth per hour after the warm-up, the
largest backlog, and the answered, lost and duplicated counts. Exits 1 if a command was lost
or a check failed.

    python bench/soak.py [--minutes 30] [--lanes 8] [--pace 0.2] [--fault-every 30] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.chaos import Chaos  # noqa: E402
from tests.e2e.harness import PROCESSES, BotProcess  # noqa: E402
from tests.emulator import SlackEmulator  # noqa: E402

METHODS = [
    "chat.postMessage",
    "users.info",
    "users.conversations",
    "usergroups.users.list",
    "apps.connections.open",
]
OUTAGE_SECONDS = 15.0


@dataclass
class Faults:
    """The fault injected last: its index in the cycle, until when it lasts, its name."""

    index: int = -1
    until: float = 0.0
    name: str = "-"


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def backlog(database: Path) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        (pending,) = db.execute("SELECT count(*) FROM outbox WHERE state = 'pending'").fetchone()
    return int(pending)


def faults(emu: SlackEmulator, chaos: Chaos) -> list[tuple[str, Callable[[], object]]]:
    def latency() -> None:
        for method in ("chat.postMessage", "users.info", "users.conversations"):
            emu.method_latency[method] = 5.0

    def redeliveries() -> None:
        chaos.duplicate = True

    return [
        ("429 storm", lambda: emu.storm(METHODS, 5.0, status=429, retry_after=1)),
        ("5xx burst", lambda: emu.storm(METHODS, 5.0, status=503)),
        ("latency 5 s", latency),
        ("drop: close frame", lambda: emu.drop_connections("close_frame")),
        ("drop: reset", lambda: emu.drop_connections("reset")),
        ("half-open", lambda: emu.half_open()),
        ("disconnect message", lambda: emu.send_disconnect()),
        ("redeliveries", redeliveries),
        ("unreachable", emu.go_offline),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--lanes", type=int, default=8, help="channels with traffic")
    parser.add_argument("--pace", type=float, default=0.2, help="seconds between a lane's sends")
    parser.add_argument("--fault-every", type=float, default=30.0)
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--warm-up", type=float, default=0.2, help="share of the run")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    seconds = args.minutes * 60
    with tempfile.TemporaryDirectory() as workdir, SlackEmulator() as emu:
        bot = BotProcess(emu, Path(workdir), DIENSTPLAN_LOG_LEVEL="WARNING").start()
        assert bot.process is not None
        chaos = Chaos(emu, args.lanes, seed=args.seed, pace=args.pace)
        kinds = faults(emu, chaos)
        samples: list[tuple[float, float]] = []
        backlogs: list[int] = []
        state = Faults()

        def heal() -> None:
            emu.clear_faults()
            emu.method_latency.clear()
            chaos.duplicate = False
            if emu.offline:
                emu.go_online()
            state.name = "-"

        def inject(elapsed: float) -> None:
            if state.name != "-" and elapsed >= state.until:
                heal()
            index = int(elapsed // args.fault_every) - 1  # the first period runs clean
            if index > state.index:
                heal()
                state.index = index
                name, start = kinds[index % len(kinds)]
                start()
                state.name = name
                duration = OUTAGE_SECONDS if name == "unreachable" else 5.0
                state.until = elapsed + duration
            if elapsed >= len(samples) * args.sample:
                sample(elapsed)

        def sample(elapsed: float) -> None:
            assert bot.process is not None
            rss = rss_mib(bot.process.pid)
            samples.append((elapsed, rss))
            backlogs.append(backlog(bot.database))
            answered = chaos.answered()
            print(
                f"{elapsed:7.0f} s  rss {rss:6.1f} MiB  sent {chaos.commands:6d}  "
                f"unacked {len(chaos.unacked()):3d}  answered {answered:6d}  "
                f"backlog {backlogs[-1]:4d}  fault {state.name}",
                flush=True,
            )

        try:
            chaos.run(seconds, during=inject)
            heal()
            chaos.wait_answered(timeout=120)
            chaos.wait_sent(bot.database, timeout=120)
            sample(seconds)
            duplicates = chaos.verify()
            stopped = bot.stop()
            chaos.check_database(bot.database)
            ok = stopped == 0
        except (AssertionError, TimeoutError) as error:
            print(f"FAILED: {error}"[:2000], file=sys.stderr)
            duplicates, ok = [], False
        finally:
            PROCESSES.end_all()
    warm = [rss for t, rss in samples if t >= seconds * args.warm_up]
    times = [t for t, _ in samples if t >= seconds * args.warm_up]
    slope = statistics.linear_regression(times, warm).slope * 3600 if len(warm) > 2 else 0.0
    answered = chaos.answered()
    report = {
        "minutes": args.minutes,
        "commands": chaos.commands,
        "answered": answered,
        "lost": chaos.commands - answered,
        "duplicates": sum(duplicates),
        "redeliveries_sent": chaos.redeliveries,
        "faults_injected": state.index + 1,
        "rss_mib_start": round(samples[0][1], 1) if samples else None,
        "rss_mib_after_warm_up": round(warm[0], 1) if warm else None,
        "rss_mib_end": round(samples[-1][1], 1) if samples else None,
        "rss_mib_max": round(max(r for _, r in samples), 1) if samples else None,
        "rss_growth_mib_per_hour_after_warm_up": round(slope, 2),
        "outbox_backlog_max": max(backlogs, default=0),
        "outbox_backlog_end": backlogs[-1] if backlogs else None,
        "checks_passed": ok,
    }
    print(json.dumps(report, indent=2))
    return 0 if ok and report["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
