"""Benchmark: the dienstplan bot against the documented slack-bolt app (the floor), in one run.

The floor (`floor_app.py`) is what bolt's documentation shows: `App` plus its built-in Socket
Mode handler, answering every mention with a fixed `chat.postMessage`. Both run as real
processes against the in-repo Slack emulator on 127.0.0.1. For each: latency from envelope
sent to reply posted for `who` (p50/p99 over sequential requests); for a burst of 500 `who`
mentions sent at once, the rate of the replies that came, the process's CPU time per reply,
and the events lost (a loss is reported, with what the process logged, not hidden in the
rate); resident memory (RSS after the burst, and the peak). Figures are reported as ratios to
the floor, because the machines are shared and noisy.

    python bench/bench_bot.py [--samples 300] [--burst 500] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.harness import BotProcess  # noqa: E402
from tests.emulator import ApiCall, SlackEmulator  # noqa: E402

CHANNEL = "CBENCH"


@dataclass
class Figures:
    p50_ms: float
    p99_ms: float
    burst_per_s: float
    cpu_us_per_event: float
    lost: int
    rss_mib: float
    peak_rss_mib: float


def rss_mib(pid: int) -> tuple[float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of the whole process (every thread), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for_burst(emu: SlackEmulator, expected: int, stall: float = 10.0) -> list[ApiCall]:
    """Posts to CHANNEL until `expected` arrived or none came for `stall` seconds."""
    count = -1
    while True:
        posts = emu.posts(CHANNEL)
        if len(posts) >= expected or len(posts) == count:
            return posts
        count = len(posts)
        try:
            return emu.wait_for_posts(expected, channel=CHANNEL, timeout=stall)
        except TimeoutError:
            continue


def measure(emu: SlackEmulator, pid: int, text: str, samples: int, burst: int) -> Figures:
    mention = f"<@{emu.bot_user_id}> {text}"
    latencies = []
    for i in range(samples + 20):
        before = len(emu.posts(CHANNEL))
        envelope = emu.mention(mention, channel=CHANNEL)
        post = emu.wait_for_posts(before + 1, channel=CHANNEL)[before]
        emu.wait_for_ack(envelope)
        if i >= 20:  # warm-up: imports, caches, first connections
            latencies.append((post.at - envelope.sent_at) * 1000)
    latencies.sort()
    before = len(emu.posts(CHANNEL))
    cpu_before = cpu_seconds(pid)
    started = time.monotonic()
    envelopes = [emu.mention(mention, channel=CHANNEL) for _ in range(burst)]
    posts = wait_for_burst(emu, before + burst)[before:]
    cpu = cpu_seconds(pid) - cpu_before
    time.sleep(0.5)
    answered = len(emu.posts(CHANNEL)) - before
    lost = burst - min(answered, sum(emu.is_acked(e) for e in envelopes))
    rss, peak = rss_mib(pid)
    return Figures(
        p50_ms=statistics.median(latencies),
        p99_ms=latencies[int(len(latencies) * 0.99) - 1],
        # the rate of the replies that came; the lost ones are counted, not timed
        burst_per_s=len(posts) / (posts[-1].at - started) if posts else 0.0,
        cpu_us_per_event=cpu / max(len(posts), 1) * 1e6,
        lost=lost,
        rss_mib=rss,
        peak_rss_mib=peak,
    )


def run_floor(samples: int, burst: int) -> Figures:
    with SlackEmulator() as emu, tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": emu.bot_token,
            "SLACK_APP_TOKEN": emu.app_token,
            "SLACK_API_URL": emu.api_url,
        }
        log = Path(tmp) / "floor.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, str(ROOT / "bench" / "floor_app.py")],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            emu.wait_connected(timeout=30)
            figures = measure(emu, proc.pid, "who backend", samples, burst)
        finally:
            proc.terminate()
            proc.wait(30)
        if figures.lost:
            report_errors("floor", log)
        return figures


def report_errors(name: str, log: Path) -> None:
    """A loss is the app's, not the benchmark's: show what it logged about it."""
    errors = [line for line in log.read_text(errors="replace").splitlines() if "rror" in line]
    print(f"{name} logged {len(errors)} error lines, e.g.:", *errors[:3], sep="\n  ")


def run_bot(samples: int, burst: int) -> Figures:
    with SlackEmulator() as emu, tempfile.TemporaryDirectory() as tmp:
        bot = BotProcess(emu, Path(tmp), DIENSTPLAN_LOG_LEVEL="WARNING").start()
        try:
            emu.mention(
                f"<@{emu.bot_user_id}> create backend <@U1> <@U2> <@U3> Watch alerts",
                channel=CHANNEL,
            )
            emu.wait_for_posts(1, channel=CHANNEL)
            assert bot.process is not None
            figures = measure(emu, bot.process.pid, "who backend", samples, burst)
        finally:
            bot.stop()
        if figures.lost:
            report_errors("bot", bot.log_path)
        return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3, help="alternating floor/bot rounds")
    args = parser.parse_args()

    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    floors, bots = [], []
    for _ in range(args.rounds):  # interleaved so machine noise hits both alike
        floors.append(run_floor(args.samples, args.burst))
        bots.append(run_bot(args.samples, args.burst))

    def med(items: list[Figures], key: str) -> float:
        """The median of the rounds; for losses the sum, so that no round's loss is hidden."""
        values = [getattr(f, key) for f in items]
        return sum(values) if key == "lost" else statistics.median(values)

    print("load average at end:   {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"{'':18}{'floor':>10}{'bot':>10}{'ratio':>8}   (median of {args.rounds} rounds)")
    for key in Figures.__dataclass_fields__:
        f, b = med(floors, key), med(bots, key)
        ratio = f"{b / f:.2f}" if f else "-"
        print(f"{key:18}{f:10.2f}{b:10.2f}{ratio:>8}")
    goals = {
        "p50 within 1.0x floor": med(bots, "p50_ms") <= med(floors, "p50_ms"),
        "burst >= 0.8x floor": med(bots, "burst_per_s") >= 0.8 * med(floors, "burst_per_s"),
        "RSS within 1.25x floor": med(bots, "rss_mib") <= 1.25 * med(floors, "rss_mib"),
        "no event lost (bot)": all(b.lost == 0 for b in bots),
    }
    for goal, met in goals.items():
        print(f"{'met ' if met else 'MISSED'}  {goal}")
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "bench_bot.json").write_text(
        json.dumps(
            {"floor": [asdict(f) for f in floors], "bot": [asdict(b) for b in bots]}, indent=2
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
