"""Periodic jobs, each called with an injected clock, and the thread that runs them."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.model import Outgoing, Reply
from bot.core.ports import EVERYONE_ACTIVE
from bot.housekeeping import (
    Housekeeping,
    Job,
    forget_processed_events,
    jobs,
    prune_delivered_messages,
)
from bot.storage.repository import PeeweeRepository
from tests.conftest import FakeClock

pytestmark = pytest.mark.both_engines


def test_processed_event_ids_are_forgotten_after_a_day(
    repo: PeeweeRepository, clock: FakeClock
) -> None:
    with repo.transaction():
        repo.record_event("Ev1", clock())
    clock.advance(hours=23)
    assert forget_processed_events(repo, clock()) == 0
    clock.advance(hours=2)
    assert forget_processed_events(repo, clock()) == 1
    with repo.transaction():
        assert repo.record_event("Ev1", clock())  # new again


def test_delivered_messages_are_pruned_after_a_week_and_failed_ones_stay(
    repo: PeeweeRepository, clock: FakeClock
) -> None:
    with repo.transaction():
        repo.enqueue([Outgoing(c, Reply.of("x")) for c in ("C1", "C2", "C3")], clock())
    repo.claim("me", clock(), clock() + timedelta(minutes=1), 10)
    repo.record_delivered(1, "me", clock())
    assert repo.record_failed(2, "me", 0, "is_archived")  # its transaction records 1 too
    clock.advance(days=6)
    assert prune_delivered_messages(repo, clock()) == 0
    clock.advance(days=2)
    assert prune_delivered_messages(repo, clock()) == 1
    assert [(e.id, e.state) for e in repo.undelivered()] == [(2, "failed"), (3, "pending")]


def test_a_failing_job_is_logged_and_the_others_still_run(
    repo: PeeweeRepository, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[object] = []

    def broken(now: object) -> int:
        raise RuntimeError("disk on fire")

    def working(now: object) -> int:
        seen.append(now)
        return 1

    housekeeping = Housekeeping(
        [Job("broken", timedelta(hours=1), broken), Job("working", timedelta(hours=1), working)],
        clock,
    )
    with caplog.at_level(logging.ERROR):
        housekeeping.start()
        deadline = time.monotonic() + 5
        while not seen and time.monotonic() < deadline:
            time.sleep(0.01)
        started = time.monotonic()
        housekeeping.stop()
    assert time.monotonic() - started < 1.0  # hourly jobs, yet it stops at once
    assert seen == [clock()]
    assert "periodic job 'broken' failed" in caplog.text


def test_replicas_run_a_job_once_per_period(repo: PeeweeRepository, clock: FakeClock) -> None:
    runs: list[tuple[str, object]] = []
    job = Job("prune", timedelta(minutes=10), lambda now: runs.append(("prune", now)) or 1)
    other = Job("other", timedelta(minutes=10), lambda now: runs.append(("other", now)) or 1)
    replicas = [Housekeeping([job, other], clock, repo.claim_period) for _ in range(3)]
    clock.advance(minutes=1)  # 09:01, in the period 09:00-09:10
    for replica in replicas:
        replica.run_job(job)
    clock.advance(minutes=8)  # 09:09: the same period
    replicas[2].run_job(job)
    replicas[1].run_job(other)  # each job has its own periods
    clock.advance(minutes=2)  # 09:11: the next one
    replicas[1].run_job(job)
    replicas[0].run_job(job)
    assert [(name, str(now)[11:16]) for name, now in runs] == [
        ("prune", "09:01"),
        ("other", "09:09"),
        ("prune", "09:11"),
    ]


def test_the_bot_prunes_and_notifies_of_upcoming_shifts(repo: PeeweeRepository) -> None:
    assert [job.name for job in jobs(repo, EVERYONE_ACTIVE, ZoneInfo("UTC"))] == [
        "forget processed event ids",
        "expire swap requests",
        "prune delivered messages",
        "notify upcoming shifts",
        "forget sent shift notifications",
    ]
