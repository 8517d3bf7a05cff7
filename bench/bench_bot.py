"""Benchmark: the dienstplan bot against a bare slack-bolt app (the floor), in one run.

Both run as real processes against the in-repo Slack emulator on 127.0.0.1. For each:
latency from envelope sent to reply posted for `who` (p50/p99 over sequential requests),
replies per second for a burst of 500 `who` mentions sent at once, lost events in the burst,
and resident memory (RSS after the burst, and the peak). Figures are reported as ratios to
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
from tests.emulator import SlackEmulator  # noqa: E402

CHANNEL = "CBENCH"


@dataclass
class Figures:
    p50_ms: float
    p99_ms: float
    burst_per_s: float
    lost: int
    rss_mib: float
    peak_rss_mib: float


def rss_mib(pid: int) -> tuple[float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


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
    started = time.monotonic()
    envelopes = [emu.mention(mention, channel=CHANNEL) for _ in range(burst)]
    try:
        posts = emu.wait_for_posts(before + burst, channel=CHANNEL, timeout=120)
        finished = posts[before + burst - 1].at
    except TimeoutError:
        finished = time.monotonic()
    time.sleep(0.5)
    answered = len(emu.posts(CHANNEL)) - before
    lost = burst - min(answered, sum(emu.is_acked(e) for e in envelopes))
    rss, peak = rss_mib(pid)
    return Figures(
        p50_ms=statistics.median(latencies),
        p99_ms=latencies[int(len(latencies) * 0.99) - 1],
        burst_per_s=burst / (finished - started),
        lost=lost,
        rss_mib=rss,
        peak_rss_mib=peak,
    )


def run_floor(samples: int, burst: int) -> Figures:
    with SlackEmulator() as emu:
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": emu.bot_token,
            "SLACK_APP_TOKEN": emu.app_token,
            "SLACK_API_URL": emu.api_url,
        }
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "floor_app.py")],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            emu.wait_connected(timeout=30)
            time.sleep(1.0)  # its first session is replaced once right after start
            return measure(emu, proc.pid, "who backend", samples, burst)
        finally:
            proc.terminate()
            proc.wait(30)


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
            return measure(emu, bot.process.pid, "who backend", samples, burst)
        finally:
            bot.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3, help="alternating floor/bot rounds")
    args = parser.parse_args()

    floors, bots = [], []
    for _ in range(args.rounds):  # interleaved so machine noise hits both alike
        floors.append(run_floor(args.samples, args.burst))
        bots.append(run_bot(args.samples, args.burst))

    def med(items: list[Figures], key: str) -> float:
        return statistics.median(getattr(f, key) for f in items)

    keys = list(Figures.__dataclass_fields__)
    print(f"{'':14}{'floor':>10}{'bot':>10}{'ratio':>8}   (median of {args.rounds} rounds)")
    for key in keys:
        f, b = med(floors, key), med(bots, key)
        ratio = f"{b / f:.2f}" if f else "-"
        print(f"{key:14}{f:10.2f}{b:10.2f}{ratio:>8}")
    goals = {
        "p50 within 1.4x floor": med(bots, "p50_ms") <= 1.4 * med(floors, "p50_ms"),
        "burst >= 0.75x floor": med(bots, "burst_per_s") >= 0.75 * med(floors, "burst_per_s"),
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
