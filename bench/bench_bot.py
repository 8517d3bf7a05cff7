"""Benchmark: the dienstplan bot against the documented slack-bolt app (the floor), in one run.

The floor (`floor_app.py`) is what bolt's documentation shows: `App` plus its built-in Socket
Mode handler, answering every mention with a fixed `chat.postMessage`. Both run at once as
real processes, each against its own in-repo Slack emulator on 127.0.0.1, and are measured
interleaved (one request to each in turn, then one burst each) so that the shared machine's
noise hits both alike. For each: latency from envelope
sent to reply posted for `who` (p50/p99 over sequential requests); for a burst of 500 `who`
mentions sent at once, the rate of the replies that came, the process's CPU time per reply,
and the events lost (a loss is reported, with what the process logged, not hidden in the
rate); resident memory (RSS after the burst, and the peak). Figures are reported as ratios to
the floor, because the machines are shared and noisy: each round measures both side by side, and
the ratio reported is the median of the rounds' ratios, with their range.

With `--database postgresql://...` (a server where that user may create databases) the bot
runs on a fresh PostgreSQL database there instead of an SQLite file; `--replicas N` adds N bot
processes on one such database, Slack's envelopes spread across their connections, measured
beside the single bot (CPU is the replicas' sum; memory is one replica's).

With `--durable-floor` it also measures `durable_floor.py`, the floor made to commit each reply
to SQLite before acknowledging, against the floor: what durability alone costs. With
`--null-command` it also measures `null_command.py`, the bot with `who` answered by a fixed
reply, against the floor: what the bot's machinery costs without the command's own work.

    python bench/bench_bot.py [--samples 300] [--burst 500] [--rounds 5]
                              [--database URL [--replicas 3]] [--durable-floor]
                              [--null-command]
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
from abc import ABC, abstractmethod
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.harness import BotProcess  # noqa: E402
from tests.emulator import ApiCall, SlackEmulator  # noqa: E402
from tests.postgres import fresh_postgres  # noqa: E402

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


class Target(ABC):
    """One app under test, a real process connected to its own emulator."""

    def __init__(self, name: str, emu: SlackEmulator, workdir: Path) -> None:
        self.name = name
        self.emu = emu
        self.workdir = workdir
        self.log = workdir / f"{name}.log"
        self.pids: list[int] = []
        self.mention = f"<@{emu.bot_user_id}> who backend"

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    def request(self) -> float:
        """One `who` from envelope sent to reply posted, in ms; the ack is awaited too.

        The emulator's record of calls is cleared first: finding the reply in thousands of
        recorded calls (and the ack in thousands of acks) held the emulator's lock for
        milliseconds, which added about 4 ms to both apps' latency after a few rounds."""
        self.emu.clear_calls()
        envelope = self.emu.mention(self.mention, channel=CHANNEL)
        post = self.emu.wait_for_posts(1, channel=CHANNEL)[0]
        while not self.emu.is_acked(envelope):
            time.sleep(0.001)
        return (post.at - envelope.sent_at) * 1000

    def burst(self, size: int) -> tuple[float, float, int]:
        """Replies per second, process CPU per reply (us), and the events lost."""
        self.emu.clear_calls()
        cpu_before = sum(map(cpu_seconds, self.pids))
        started = time.monotonic()
        envelopes = [self.emu.mention(self.mention, channel=CHANNEL) for _ in range(size)]
        posts = wait_for_burst(self.emu, size)
        cpu = sum(map(cpu_seconds, self.pids)) - cpu_before
        time.sleep(0.5)
        answered = len(self.emu.posts(CHANNEL))
        lost = size - min(answered, sum(self.emu.is_acked(e) for e in envelopes))
        rate = len(posts) / (posts[-1].at - started) if posts else 0.0
        return rate, cpu / max(len(posts), 1) * 1e6, lost


class Floor(Target):
    script = "floor_app.py"

    def start(self) -> None:
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": self.emu.bot_token,
            "SLACK_APP_TOKEN": self.emu.app_token,
            "SLACK_API_URL": self.emu.api_url,
            "BENCH_WORKDIR": str(self.workdir),  # durable_floor.py's database goes there
        }
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "bench" / self.script)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.pids = [self.process.pid]
        self.emu.wait_connected(timeout=30)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


class DurableFloor(Floor):
    """Not the floor: a reference for what durability alone costs (see durable_floor.py)."""

    script = "durable_floor.py"


class _NullCommandProcess(BotProcess):
    def launch(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "bench" / "null_command.py")],
                cwd=self.workdir,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )


class Bot(Target):
    def __init__(
        self,
        name: str,
        emu: SlackEmulator,
        workdir: Path,
        database: str | None = None,
        replicas: int = 1,
        launcher: type[BotProcess] = BotProcess,
    ) -> None:
        super().__init__(name, emu, workdir)
        self.database = database
        self.replicas = replicas
        self.launcher = launcher

    def start(self) -> None:
        self.emu.spread_envelopes = self.replicas > 1
        self.bots = []
        for i in range(self.replicas):
            workdir = self.workdir / f"{self.name}-{i}"
            workdir.mkdir()
            self.bots.append(
                self.launcher(
                    self.emu, workdir, self.database, DIENSTPLAN_LOG_LEVEL="WARNING"
                ).start()
            )
        self.log = self.bots[0].log_path
        self.emu.mention(
            f"<@{self.emu.bot_user_id}> create backend <@U1> <@U2> <@U3> Watch alerts",
            channel=CHANNEL,
        )
        self.emu.wait_for_posts(1, channel=CHANNEL)
        self.pids = [bot.process.pid for bot in self.bots if bot.process is not None]

    def stop(self) -> None:
        for bot in self.bots:
            bot.stop()


def measure(targets: list[Target], samples: int, burst: int, rounds: int) -> list[list[Figures]]:
    """Interleaved: request by request for latency (who goes first alternates), burst by burst
    for throughput, so the machine's noise hits the floor and the bot alike."""
    for target in targets:
        for _ in range(20):  # warm-up: imports, caches, first connections
            target.request()
    figures: list[list[Figures]] = [[] for _ in targets]
    for round_ in range(rounds):
        latencies: list[list[float]] = [[] for _ in targets]
        for i in range(samples):
            order = list(enumerate(targets))
            for index, target in order if (i + round_) % 2 == 0 else reversed(order):
                latencies[index].append(target.request())
        bursts = {}
        order = list(enumerate(targets))
        for index, target in order if round_ % 2 == 0 else reversed(order):
            bursts[index] = target.burst(burst)
        for index, target in enumerate(targets):
            ms = sorted(latencies[index])
            rate, cpu, lost = bursts[index]
            rss, peak = rss_mib(target.pids[0])
            figures[index].append(
                Figures(
                    p50_ms=statistics.median(ms),
                    p99_ms=ms[int(len(ms) * 0.99) - 1],
                    burst_per_s=rate,  # the rate of the replies that came; losses are counted
                    cpu_us_per_event=cpu,
                    lost=lost,
                    rss_mib=rss,
                    peak_rss_mib=peak,
                )
            )
    return figures


def report_errors(target: Target) -> None:
    """A loss is the app's, not the benchmark's: show what it logged about it."""
    lines = target.log.read_text(errors="replace").splitlines()
    errors = [line for line in lines if "rror" in line]
    print(f"{target.name} logged {len(errors)} error lines, e.g.:", *errors[:3], sep="\n  ")


def run(
    samples: int,
    burst: int,
    rounds: int,
    database: str | None,
    replicas: int,
    durable: bool,
    null: bool,
) -> dict[str, list[Figures]]:
    """Figures by target: `floor`, `bot`, with replicas `replicas`, `durable` and `null`."""
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))

        def emulator() -> SlackEmulator:
            return stack.enter_context(SlackEmulator())

        def fresh() -> str | None:
            return stack.enter_context(fresh_postgres(database)) if database else None

        targets: list[Target] = [
            Floor("floor", emulator(), tmp),
            Bot("bot", emulator(), tmp, fresh()),
        ]
        if replicas > 1:
            targets.append(Bot("replicas", emulator(), tmp, fresh(), replicas))
        if durable:
            targets.append(DurableFloor("durable", emulator(), tmp))
        if null:
            targets.append(Bot("null", emulator(), tmp, fresh(), launcher=_NullCommandProcess))
        started: list[Target] = []
        try:
            for target in targets:
                target.start()
                started.append(target)
            figures = measure(targets, samples, burst, rounds)
        finally:
            for target in started:
                target.stop()
        for target, found in zip(targets, figures, strict=True):
            if any(f.lost for f in found):
                report_errors(target)
        return {target.name: found for target, found in zip(targets, figures, strict=True)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5, help="rounds of latency and burst")
    parser.add_argument("--database", help="a PostgreSQL server's URL: the bot runs on it")
    parser.add_argument("--replicas", type=int, default=1, help="also N bots on one database")
    parser.add_argument(
        "--durable-floor",
        action="store_true",
        help="also the floor made durable (durable_floor.py), against the floor",
    )
    parser.add_argument(
        "--null-command",
        action="store_true",
        help="also the bot with a null `who` (null_command.py), against the floor",
    )
    args = parser.parse_args()
    if args.replicas > 1 and not args.database:
        parser.error("--replicas needs --database: replicas share a PostgreSQL database")

    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    results = run(
        args.samples,
        args.burst,
        args.rounds,
        args.database,
        args.replicas,
        args.durable_floor,
        args.null_command,
    )
    floors, bots = results["floor"], results["bot"]

    def med(items: list[Figures], key: str) -> float:
        """The median of the rounds; for losses the sum, so that no round's loss is hidden."""
        values = [getattr(f, key) for f in items]
        return sum(values) if key == "lost" else statistics.median(values)

    print("load average at end:   {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))

    def ratios(of: list[Figures], to: list[Figures], key: str) -> list[float]:
        """Round by round: each round's two figures were measured side by side, so the
        machine's drift between rounds cancels out of the ratio."""
        return sorted(getattr(a, key) / getattr(b, key) for a, b in zip(of, to, strict=True))

    def show(of: list[Figures], to: list[Figures], names: tuple[str, str]) -> dict[str, float]:
        print(f"{'':18}{names[0]:>10}{names[1]:>10}{'ratio':>8}   range of the rounds' ratios")
        medians = {}
        for key in Figures.__dataclass_fields__:
            b, n = med(to, key), med(of, key)
            if key == "lost" or not b:
                print(f"{key:18}{b:10.2f}{n:10.2f}{'-':>8}")
                continue
            each = ratios(of, to, key)
            medians[key] = statistics.median(each)
            print(
                f"{key:18}{b:10.2f}{n:10.2f}{medians[key]:8.2f}   {each[0]:.2f} to {each[-1]:.2f}"
            )
        return medians

    print(f"Medians of {args.rounds} rounds; the ratio is the median of the rounds' ratios.")
    ratio = show(bots, floors, ("floor", "bot"))
    if "replicas" in results:
        print(f"{args.replicas} replicas on one database, against the single bot:")
        show(results["replicas"], bots, ("one", "replicas"))
    if "durable" in results:
        print("The floor made durable (a reference, not the floor), against the floor:")
        show(results["durable"], floors, ("floor", "durable"))
    if "null" in results:
        print("The bot with a null `who` (a reference, not the bot), against the floor:")
        show(results["null"], floors, ("floor", "null"))
    goals = {
        "p50 within 1.0x floor": ratio["p50_ms"] <= 1.0,
        "burst >= 0.8x floor": ratio["burst_per_s"] >= 0.8,
        "RSS within 1.25x floor": ratio["rss_mib"] <= 1.25,
        "no event lost (bot)": all(b.lost == 0 for b in bots),
    }
    for goal, met in goals.items():
        print(f"{'met ' if met else 'MISSED'}  {goal}")
    directory = ROOT / "bench" / "results"
    directory.mkdir(exist_ok=True)
    (directory / "bench_bot.json").write_text(
        json.dumps({name: [asdict(f) for f in found] for name, found in results.items()}, indent=2)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
