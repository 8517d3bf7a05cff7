"""Three `dienstplan run` replicas on one PostgreSQL database behave as one bot: each schedule
runs once, each command is answered once, a redelivered envelope is applied once, and
SIGKILLing one replica mid-run loses nothing."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2
import pytest

from tests.e2e.harness import BotProcess, Conversation
from tests.emulator import SlackEmulator
from tests.emulator.server import ApiCall
from tests.postgres import execute
from tests.test_console import console

pytestmark = pytest.mark.parametrize("engine", ["postgres"], indirect=True)

CHANNELS = [f"C0REP{i}" for i in range(10)]
PER_CHANNEL = 30  # rotations and schedules per channel: 300 schedules in all
NOTICE = "Executing `rotate r{}` on schedule `0 9 * * *`."


def _fetch(database: str, sql: str) -> list[tuple[object, ...]]:
    connection = psycopg2.connect(database)
    try:
        cursor = connection.cursor()
        cursor.execute(sql)
        return list(cursor.fetchall())
    finally:
        connection.close()


def _wait(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.1)


def _duplicates(posts: list[ApiCall]) -> dict[tuple[str, str], list[ApiCall]]:
    seen: dict[tuple[str, str], list[ApiCall]] = {}
    for post in posts:
        seen.setdefault((post.params["channel"], post.params["text"]), []).append(post)
    return {key: copies for key, copies in seen.items() if len(copies) > 1}


def test_three_replicas_act_as_one_bot(emu: SlackEmulator, tmp_path: Path, database: str) -> None:
    for channel in CHANNELS:  # the rotations and schedules, made without Slack
        lines = [f"create r{k} <@U0A> <@U0B> <@U0C> duty {k}" for k in range(PER_CHANNEL)]
        lines += [f'schedule create "rotate r{k}" 0 9 * * *' for k in range(PER_CHANNEL)]
        console(database, "\n".join(lines) + "\n", "--channel", channel)
    due = datetime.now(UTC) + timedelta(seconds=25)  # all 300 in the same minute
    execute(  # in the bot's zone, so that it keeps them as they are at start
        database,
        "UPDATE schedule SET next_run_at = ?, zone = 'Europe/Berlin'",
        (due.replace(tzinfo=None),),
    )

    emu.spread_envelopes = True
    replicas = [BotProcess(emu, tmp_path / f"replica{i}", database) for i in range(3)]
    connects = emu.connects_total
    for replica in replicas:
        replica.workdir.mkdir()
        replica.log_path = replica.workdir / "bot.log"
        replica.launch()  # together: one migrates (nothing to do), the others wait their turn
    _wait(lambda: emu.connects_total >= connects + 3, 60, "three replicas connected")
    assert emu.open_connections == 3

    chat = Conversation(emu)
    burst = [chat.send(f"who r{k}", channel=CHANNELS[0]) for k in range(PER_CHANNEL)]
    for envelope, _ in burst:
        emu.wait_for_ack(envelope, timeout=30)
    assert len({envelope.connection_id for envelope, _ in burst}) == 3  # spread over all
    again = emu.redeliver(burst[1][0])  # Slack retries an event: another replica gets it
    emu.wait_for_ack(again, timeout=30)
    assert again.connection_id != burst[1][0].connection_id

    _wait(
        lambda: any(p.params["text"].startswith("Executing") for p in emu.posts()),
        60,
        "the first scheduled run",
    )
    victim = replicas[1]
    victim.kill()  # mid-run: no clean-up code runs
    killed_at = time.monotonic()

    def all_ran() -> bool:
        rows = _fetch(database, "SELECT count(*) FROM schedule WHERE last_run_at IS NOT NULL")
        return rows[0][0] == len(CHANNELS) * PER_CHANNEL

    _wait(all_ran, 120, "every schedule ran")
    notices = {(channel, NOTICE.format(k)) for channel in CHANNELS for k in range(PER_CHANNEL)}
    _wait(
        lambda: notices <= {(p.params["channel"], p.params["text"]) for p in emu.posts()},
        120,
        "every run's notice posted",
    )
    # Exactly once: three members, so a second run would have moved each duty on again.
    assert _fetch(database, "SELECT duty_position, count(*) FROM rotation GROUP BY 1") == [
        (1, len(CHANNELS) * PER_CHANNEL)
    ]

    after = [chat.send(f"who r{k}", channel=CHANNELS[1]) for k in range(30)]
    for envelope, _ in after:
        emu.wait_for_ack(envelope, timeout=30)
    assert len({envelope.connection_id for envelope, _ in after}) == 2  # the live ones

    def answers(channel: str) -> int:
        return sum("is on duty for" in p.params["text"] for p in emu.posts(channel))

    _wait(lambda: answers(CHANNELS[1]) >= PER_CHANNEL, 60, "the burst answered")
    time.sleep(1.0)  # anything doubled would be posted by now
    posts = emu.posts()
    # Each command answered once (and the redelivered one not again).
    assert [answers(channel) for channel in CHANNELS[:2]] == [PER_CHANNEL, PER_CHANNEL]
    # A message is posted twice only if the killed replica posted it and died before it
    # could record that: the first copy before the kill, the second after.
    for copies in _duplicates(posts).values():
        assert len(copies) == 2 and copies[0].at < killed_at < copies[1].at, copies
    for replica in replicas:
        if replica is not victim:
            assert replica.stop() == 0
        assert ":secret@" not in replica.log() and ":***@" in replica.log()  # the URL, redacted
