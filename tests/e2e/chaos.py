"""Mixed traffic with a model of what it must do, for the fault tests and bench/soak.py.

Each lane is one channel with one rotation and a seeded stream of commands (create, rotate,
assign, swap, away). A lane has at most one command unacknowledged, so the bot applies a
lane's commands in the order the model does, whatever the faults. A command not acknowledged
within `redeliver_after` seconds is delivered again, with the same event id, as Slack does
(Slack stops after three retries; the driver does not, since a command Slack gave up on never
reached the bot and proves nothing).

After the traffic, `verify` checks the replies against the model (each command answered, in
order; a message posted twice in a row counts as a duplicate) and `check_database` checks the
database against it (every command applied exactly once).
"""

from __future__ import annotations

import random
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.emulator import SlackEmulator
from tests.emulator.server import Envelope

MEMBERS = 5
MAX_AWAYS = 40  # the bot allows 50 away periods per person
EXPECTED = {
    "create": r"^Created rotation \*r\*",
    "rotate": r"^\*r\*: the duty passes from ",
    "assign": r"^\*r\*: <@U\w+> is on duty now \(instead of ",
    "swap": r"^Asked ",
    "away": r"^You are away ",
}


@dataclass
class Command:
    kind: str
    text: str
    user: str
    envelope: Envelope | None = None  # the latest delivery
    sent_at: float = 0.0  # time.monotonic() of the latest delivery
    deliveries: int = 0


@dataclass
class Lane:
    """One channel: its commands so far and what they must have done."""

    channel: str
    rng: random.Random
    members: list[str]
    away_user: str
    position: int = 0
    swaps: int = 0
    aways: int = 0
    swap_pending: bool = False
    commands: list[Command] = field(default_factory=list)
    next_at: float = 0.0

    def next_command(self, first_day: date) -> Command:
        """The next command of the stream, applied to the model."""
        if not self.commands:
            mentions = " ".join(f"<@{m}>" for m in self.members)
            return Command("create", f"create r {mentions} Watch {self.channel}", self.members[0])
        kinds = ["rotate"] * 4 + ["assign"] * 2
        if not self.swaps:  # a request for the shift held now stays pending for a day
            kinds.append("swap")
        if self.aways < MAX_AWAYS:
            kinds.append("away")
        kind = "rotate" if self.swap_pending else self.rng.choice(kinds)
        if kind == "rotate":
            self.position = (self.position + 1) % len(self.members)
            self.swap_pending = False
            return Command(kind, "rotate r", self.members[0])
        if kind == "assign":
            target = self.rng.choice([i for i in range(len(self.members)) if i != self.position])
            self.position = target
            return Command(kind, f"assign r <@{self.members[target]}>", self.members[0])
        if kind == "swap":
            holder = self.members[self.position]
            other = self.rng.choice([m for m in self.members if m != holder])
            self.swaps += 1
            self.swap_pending = True
            return Command(kind, f"swap r <@{other}>", holder)
        day = first_day + timedelta(days=2 * self.aways)  # never touching: one period each
        self.aways += 1
        return Command(kind, f"away {day} {day}", self.away_user)


class Chaos:
    """Drives the lanes against the emulator; `pump` does one round of sending."""

    def __init__(
        self,
        emu: SlackEmulator,
        lanes: int,
        *,
        seed: int = 1,
        pace: float = 0.0,
        redeliver_after: float = 2.0,
        duplicate: bool = False,
        prefix: str = "CX",
    ) -> None:
        self.emu = emu
        self.rng = random.Random(seed)
        self.pace = pace
        self.redeliver_after = redeliver_after
        self.duplicate = duplicate
        self.first_day = datetime.now(ZoneInfo("Europe/Berlin")).date() + timedelta(days=10)
        self.lanes = [
            Lane(
                channel=f"{prefix}{i:02d}",
                rng=random.Random(self.rng.random()),
                members=[f"U0L{i:02d}M{m}" for m in range(MEMBERS)],
                away_user=f"U0L{i:02d}AWAY",
            )
            for i in range(lanes)
        ]
        self.redeliveries = 0

    @property
    def commands(self) -> int:
        return sum(len(lane.commands) for lane in self.lanes)

    def acked(self, command: Command) -> bool:
        return command.envelope is not None and self.emu.is_event_acked(
            command.envelope.event_id or ""
        )

    def pump(self, *, more: bool = True) -> int:
        """Send each idle lane its next command (if `more`), deliver again what waits too long.
        Returns the number of commands not acknowledged yet."""
        now = time.monotonic()
        waiting = 0
        for lane in self.lanes:
            last = lane.commands[-1] if lane.commands else None
            if last is not None and not self.acked(last):
                waiting += 1
                if now - last.sent_at >= self.redeliver_after:
                    self._deliver(lane, last)
                continue
            if not more or now < lane.next_at:
                continue
            command = lane.next_command(self.first_day)
            lane.commands.append(command)
            lane.next_at = now + self.pace
            waiting += 1
            self._deliver(lane, command)
        return waiting

    def _deliver(self, lane: Lane, command: Command) -> None:
        if self.emu.offline or self.emu.open_connections == 0:
            return
        try:
            if command.envelope is None:
                command.envelope = self.emu.mention(
                    command.text, channel=lane.channel, user=command.user, wait_connected=False
                )
                if self.duplicate:
                    self.emu.redeliver(command.envelope, wait_connected=False)
            else:
                command.envelope = self.emu.redeliver(command.envelope, wait_connected=False)
                self.redeliveries += 1
        except ConnectionError:
            return  # no connection this moment; the next pump tries again
        command.deliveries += 1
        command.sent_at = time.monotonic()

    def run(
        self,
        seconds: float,
        *,
        during: Callable[[float], None] | None = None,
        settle: float = 60.0,
    ) -> None:
        """Send for `seconds` (calling `during` with the seconds elapsed on each round), then
        until every command is acknowledged (at most `settle` seconds more)."""
        start = time.monotonic()
        while (elapsed := time.monotonic() - start) < seconds:
            if during is not None:
                during(elapsed)
            self.pump()
            time.sleep(0.005)
        deadline = time.monotonic() + settle
        while self.pump(more=False):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.unacked()} command(s) never acknowledged")
            time.sleep(0.02)

    def unacked(self) -> list[str]:
        return [
            f"{lane.channel}: {c.text}"
            for lane in self.lanes
            for c in lane.commands
            if not self.acked(c)
        ]

    def wait_answered(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            short = [
                lane.channel
                for lane in self.lanes
                if len(collapse(self._texts(lane))[0]) < len(lane.commands)
            ]
            if not short:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"channels without all their answers: {short}")
            time.sleep(0.1)

    def answered(self) -> int:
        """Commands answered so far (a lane's answers come in its commands' order)."""
        return sum(
            min(len(collapse(self._texts(lane))[0]), len(lane.commands)) for lane in self.lanes
        )

    def _texts(self, lane: Lane) -> list[str]:
        return [post.params["text"] for post in self.emu.posts(lane.channel)]

    def verify(self) -> list[int]:
        """Every command answered, in order; returns each channel's number of messages
        posted twice."""
        duplicates = []
        for lane in self.lanes:
            answers, dups = collapse(self._texts(lane))
            duplicates.append(dups)
            kinds = [c.kind for c in lane.commands]
            assert len(answers) == len(kinds), (lane.channel, kinds, answers)
            for kind, answer in zip(kinds, answers, strict=True):
                assert re.search(EXPECTED[kind], answer), (lane.channel, kind, answer)
        return duplicates

    @staticmethod
    def wait_sent(database: Path, timeout: float = 60.0) -> None:
        """Until no outbox row is pending (direct messages included, which `wait_answered`
        does not look at)."""
        deadline = time.monotonic() + timeout
        while True:
            with sqlite3.connect(database) as db:
                rows = db.execute(
                    "SELECT id, channel, attempts, error FROM outbox WHERE state = 'pending'"
                ).fetchall()
            if not rows:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"outbox rows still pending: {rows[:10]}")
            time.sleep(0.1)

    def check_database(self, database: Path) -> None:
        """Integrity, one current duty per rotation, every command applied exactly once, every
        outbox row delivered or failed with a reason. Run with the bot stopped."""
        with sqlite3.connect(database) as db:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert db.execute("PRAGMA foreign_key_check").fetchall() == []
            for lane in self.lanes:
                row = db.execute(
                    "SELECT id, duty_position, member_count FROM rotation WHERE channel = ?",
                    (lane.channel,),
                ).fetchall()
                assert len(row) == 1, (lane.channel, row)
                rotation, position, count = row[0]
                members = db.execute(
                    "SELECT ref FROM member WHERE rotation_id = ? ORDER BY position", (rotation,)
                ).fetchall()
                assert [m for (m,) in members] == lane.members
                assert count == len(lane.members)
                assert position == lane.position, (lane.channel, position, lane.position)
                (swaps,) = db.execute(
                    "SELECT count(*) FROM swap WHERE rotation_id = ?", (rotation,)
                ).fetchone()
                assert swaps == lane.swaps, (lane.channel, swaps, lane.swaps)
                (aways,) = db.execute(
                    'SELECT count(*) FROM away WHERE "user" = ?', (lane.away_user,)
                ).fetchone()
                assert aways == lane.aways, (lane.channel, aways, lane.aways)
            stuck = db.execute(
                "SELECT id, channel, state, error FROM outbox "
                "WHERE state != 'delivered' AND NOT (state = 'failed' AND error IS NOT NULL)"
            ).fetchall()
            assert stuck == [], stuck


def collapse(texts: list[str]) -> tuple[list[str], int]:
    """The texts with each run of one message posted twice in a row counted once, and the
    number of such repeats: a crash may post a channel's last message again, nothing else."""
    answers: list[str] = []
    for text in texts:
        if answers and answers[-1] == text:
            continue
        answers.append(text)
    return answers, len(texts) - len(answers)
