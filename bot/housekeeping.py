"""Periodic jobs in one thread, on the `schedule` package.

Each job is a function of `now` that does one thing and returns what it did, so a test calls
it with any clock. The thread runs each job in its own try/log (a failing job is logged and
runs again at its next time; the others are not held up) and stops as soon as the process
does. Schedules of bot commands are not periodic jobs: the scheduler thread runs them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import schedule

from bot.core.home import republishes
from bot.core.notifications import UpcomingShifts, forget_sent
from bot.core.ports import Clock, UserDirectory
from bot.core.swaps import expiry_notes
from bot.storage.repository import EVENT_RETENTION, OUTBOX_RETENTION, PeeweeRepository

log = logging.getLogger(__name__)

MAX_IDLE_SECONDS = 60.0
# ShiftReminder and ShiftStarting are due at most this long after their time.
UPCOMING_EVERY = timedelta(seconds=30)


def forget_processed_events(repo: PeeweeRepository, now: datetime) -> int:
    """Event ids are kept to spot Slack's redeliveries, which stop after minutes."""
    return repo.forget_events_before(now - EVENT_RETENTION)


def prune_delivered_messages(repo: PeeweeRepository, now: datetime) -> int:
    """Delivered outbox rows are kept a while for diagnosis; failed ones stay until retried."""
    return repo.prune_delivered(now - OUTBOX_RETENTION)


def expire_swap_requests(repo: PeeweeRepository, now: datetime) -> int:
    """A request nobody answered lapses when its shift starts; its asker is told, and the
    Homes that showed it are republished."""
    with repo.transaction():
        swaps = repo.expire_swaps(now)
        if swaps:
            rotations = {
                s.rotation_id: r for s in swaps if (r := repo.rotation_by_id(s.rotation_id))
            }
            people = {user for s in swaps for user in (s.requester, s.target)}
            repo.enqueue([*expiry_notes(swaps, rotations), *republishes(repo, people)], now)
    return len(swaps)


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[datetime], int]  # returns how many things it handled, for the log


def jobs(
    repo: PeeweeRepository,
    directory: UserDirectory,
    timezone: ZoneInfo,
) -> list[Job]:
    """`directory` gives people's time zones and user groups to the shift notifications;
    `timezone` is the bot's, for handoff times."""
    upcoming = UpcomingShifts(
        repo=repo,
        schedules=repo,
        away=repo,
        settings=repo,
        directory=directory,
        timezone=timezone,
    )
    return [
        Job(
            "forget processed event ids",
            timedelta(hours=1),
            lambda now: forget_processed_events(repo, now),
        ),
        Job(
            "expire swap requests",
            timedelta(minutes=1),
            lambda now: expire_swap_requests(repo, now),
        ),
        Job(
            "prune delivered messages",
            timedelta(hours=1),
            lambda now: prune_delivered_messages(repo, now),
        ),
        Job("notify upcoming shifts", UPCOMING_EVERY, upcoming.run),
        Job(
            "forget sent shift notifications",
            timedelta(hours=1),
            lambda now: forget_sent(repo, now),
        ),
    ]


# Claims a job's run for the period `now` falls in, across processes: True for the first
# process that asks. Replicas on one PostgreSQL database run each job once per period.
PeriodClaim = Callable[[str, timedelta, datetime], bool]


class Housekeeping:
    def __init__(self, jobs: list[Job], clock: Clock, claim: PeriodClaim | None = None) -> None:
        """Without `claim` (one process, SQLite) every scheduled run is this process's."""
        self._clock = clock
        self._claim = claim
        self._schedule = schedule.Scheduler()
        for job in jobs:
            self._schedule.every(int(job.every.total_seconds())).seconds.do(self.run_job, job)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_job(self, job: Job) -> None:
        """One job, its failure logged and contained."""
        try:
            now = self._clock()
            if self._claim is not None and not self._claim(job.name, job.every, now):
                log.debug("%s: another replica has run it in this period", job.name)
                return
            count = job.run(now)
        except Exception:
            log.exception("periodic job %r failed; it runs again in %s", job.name, job.every)
            return
        log.debug("%s: %d", job.name, count)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="housekeeping", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        self._schedule.run_all()  # once at start: the process may have been down for long
        while not self._stop.is_set():
            self._schedule.run_pending()
            idle = self._schedule.idle_seconds
            self._stop.wait(
                MAX_IDLE_SECONDS if idle is None else min(max(idle, 0.0), MAX_IDLE_SECONDS)
            )
