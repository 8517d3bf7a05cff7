"""Benchmark: the scheduler with 100,000 schedules in the database.

Starts the emulator and the real `dienstplan run` on a database holding 100,000 schedules,
and reports:

- idle CPU of the bot while nothing is due (goal: under 1% of one core), next to a bare
  slack-bolt app (bench/floor_app.py) measured over the same seconds as the floor;
- how late due schedules fire: 200 probes due at staggered instants, lateness = when the
  notice reached the emulator minus the due time (goal: p99 under 1 s);
- how long 1,000 schedules due in the same instant take until every reply is posted
  (goal: under 10 s).

Due times are written into the database before the bot starts (cron is minute-grained, the
scheduler is not), so the run takes about two minutes rather than many.

    python bench/bench_scheduler.py [--schedules 100000] [--idle 30]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.storage.db import migrate, open_database  # noqa: E402
from tests.e2e.harness import BotProcess  # noqa: E402
from tests.emulator import SlackEmulator  # noqa: E402

CRONTABS = ["0 9 * * Mon-Fri", "30 8 * * 1", "0 10 1 * *", "*/30 9-17 * * 1-5", "0 0 * * 0"]
PROBES = 200
BURST = 1000


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def db_time(moment: datetime) -> str:
    return str(moment.astimezone(UTC).replace(tzinfo=None))


def fill(path: Path, count: int, probes_at: datetime, burst_at: datetime) -> None:
    migrate(open_database(path))
    now = datetime.now(UTC)
    far = now + timedelta(days=2)
    rows = []
    for i in range(count):
        rows.append(
            (f"CX{i:06d}", "list", "list", CRONTABS[i % len(CRONTABS)], far + timedelta(seconds=i))
        )
    for i in range(PROBES):
        rows.append(
            (f"CP{i:04d}", "list", "list", "* * * * *", probes_at + timedelta(milliseconds=100 * i))
        )
    for i in range(BURST):
        rows.append((f"CB{i:04d}", "list", "list", "@yearly", burst_at))
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO schedule (channel, command, command_key, crontab, zone, created_by,"
            " created_at, next_run_at) VALUES (?, ?, ?, ?, 'Europe/Berlin', 'UBENCH', ?, ?)",
            [(c, cmd, key, cron, db_time(now), db_time(due)) for c, cmd, key, cron, due in rows],
        )


def notices(emu: SlackEmulator, prefix: str) -> dict[str, float]:
    """Channel -> wall-clock time its first notice arrived."""
    offset = time.time() - time.monotonic()
    first: dict[str, float] = {}
    for p in emu.posts():
        if p.params["channel"].startswith(prefix) and p.params["text"].startswith("Executing"):
            first.setdefault(p.params["channel"], p.at + offset)
    return first


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedules", type=int, default=100_000)
    parser.add_argument("--idle", type=float, default=30.0, help="seconds of idle measurement")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, SlackEmulator() as emu, SlackEmulator() as femu:
        start = datetime.now(UTC)
        probes_at = start + timedelta(seconds=args.idle + 25)
        burst_at = probes_at + timedelta(seconds=PROBES / 10 + 10)
        t0 = time.monotonic()
        fill(Path(tmp) / "dienstplan.db", args.schedules, probes_at, burst_at)
        print(f"wrote {args.schedules + PROBES + BURST} schedules in {time.monotonic() - t0:.1f} s")

        bot = BotProcess(emu, Path(tmp), DIENSTPLAN_LOG_LEVEL="WARNING").start()
        floor = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "floor_app.py")],
            env={
                **os.environ,
                "SLACK_BOT_TOKEN": femu.bot_token,
                "SLACK_APP_TOKEN": femu.app_token,
                "SLACK_API_URL": femu.api_url,
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            femu.wait_connected(timeout=30)
            assert bot.process is not None
            time.sleep(5)  # start-up work is not idle time
            bot_cpu, floor_cpu, began = (
                cpu_seconds(bot.process.pid),
                cpu_seconds(floor.pid),
                time.monotonic(),
            )
            time.sleep(args.idle)
            span = time.monotonic() - began
            bot_idle = (cpu_seconds(bot.process.pid) - bot_cpu) / span * 100
            floor_idle = (cpu_seconds(floor.pid) - floor_cpu) / span * 100

            wait = (burst_at - datetime.now(UTC)).total_seconds() + 30
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                replies = [p for p in emu.posts() if p.params["channel"].startswith("CB")]
                if len(replies) >= 2 * BURST:
                    break
                time.sleep(0.2)
            probe_times = notices(emu, "CP")
            lateness = sorted(
                probe_times[f"CP{i:04d}"]
                - (probes_at + timedelta(milliseconds=100 * i)).timestamp()
                for i in range(PROBES)
                if f"CP{i:04d}" in probe_times
            )
            offset = time.time() - time.monotonic()
            burst_posts = [p for p in emu.posts() if p.params["channel"].startswith("CB")]
            burst_done = max(p.at for p in burst_posts) + offset - burst_at.timestamp()
            burst_ran = len(notices(emu, "CB"))
        finally:
            floor.terminate()
            floor.wait(30)
            bot.stop()

    p99 = lateness[max(0, int(len(lateness) * 0.99) - 1)] if lateness else float("inf")
    print(f"schedules in the database     {args.schedules + PROBES + BURST:>10,}")
    print(f"idle CPU, bot                 {bot_idle:10.3f} % of one core   (goal < 1 %)")
    print(f"idle CPU, bare bolt app       {floor_idle:10.3f} % of one core   (floor)")
    print(f"probes fired                  {len(lateness):>10} of {PROBES}")
    print(
        f"lateness p50 / p99 / max      {statistics.median(lateness):.3f} / {p99:.3f} / "
        f"{lateness[-1]:.3f} s   (goal p99 < 1 s)"
    )
    print(
        f"{BURST} due at once: all replied {burst_done:10.2f} s after due   (goal < 10 s); "
        f"{burst_ran} ran, {len(burst_posts)} messages"
    )
    return 0 if len(lateness) == PROBES and burst_ran == BURST else 1


if __name__ == "__main__":
    sys.exit(main())
