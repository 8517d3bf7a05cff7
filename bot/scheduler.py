"""The scheduler thread: turns due schedules into the same requests a mention makes.

Each schedule's next run time lives in the database, indexed; the thread sleeps until the
earliest one (or until a schedule changes) and never evaluates every crontab. A run is
claimed by a compare-and-set on that next run time in the same transaction as the command's
effect and its stored reply, so it happens exactly once: a crash before the commit leaves the
run due, a crash after it leaves a stored reply that the next start posts, and a second
process sharing the database loses the compare-and-set.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import datetime, timedelta

from bot.core import cron
from bot.core.dispatcher import Dispatcher
from bot.core.model import SCHEDULED_RUN_PREFIX, Reply, Request, Schedule
from bot.core.ports import Clock, RotationRepository, ScheduleRepository
from bot.core.schedules import describe_run

log = logging.getLogger(__name__)

BATCH = 200
MAX_SLEEP = timedelta(seconds=30)  # picks up schedules another process added
# A run this late is on time, whatever the catch-up window: waking takes a few milliseconds,
# and a window of 0 must only drop runs missed while the bot was down.
ON_TIME = timedelta(seconds=60)
REDELIVERY_AFTER = timedelta(seconds=60)

Deliver = Callable[[str, str, Reply], None]


def run_id(schedule: Schedule, run_at: datetime) -> str:
    return f"{SCHEDULED_RUN_PREFIX}{schedule.id}:{run_at:%Y%m%dT%H%M%SZ}"


class Scheduler:
    def __init__(
        self,
        *,
        repo: RotationRepository,
        schedules: ScheduleRepository,
        dispatcher: Dispatcher,
        deliver: Deliver,
        delivery: Executor,
        clock: Clock,
        default_tz: str,
        catch_up: timedelta,
    ) -> None:
        self._repo = repo
        self._schedules = schedules
        self._dispatcher = dispatcher
        self._deliver = deliver
        self._delivery = delivery
        self._clock = clock
        self._default_tz = default_tz
        self._catch_up = catch_up
        self._wake = threading.Event()
        self._last_redelivery: datetime | None = None

    def wake(self) -> None:
        """Schedules changed: re-read the earliest next run now."""
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self._wake.clear()
            try:
                delay = self.tick(self._clock())
            except Exception:  # a broken database must not kill the thread for good
                log.exception("scheduler tick failed; retrying shortly")
                delay = 5.0
            if stop.is_set():
                return
            self._wake.wait(delay)

    def tick(self, now: datetime) -> float:
        """Run everything due at `now`; return the seconds to sleep until the next run."""
        self._redeliver(now)
        while True:
            with self._repo.transaction():
                due = self._schedules.due_schedules(now, BATCH)
            for schedule in due:
                self._run_one(schedule, now)
            if len(due) < BATCH:
                break
            now = self._clock()
        with self._repo.transaction():
            upcoming = self._schedules.next_due_at()
        current = self._clock()
        if upcoming is not None and upcoming <= now:
            return 1.0  # still due after a full pass: the database is failing; back off
        wake_at = min(upcoming, current + MAX_SLEEP) if upcoming else current + MAX_SLEEP
        return max(0.0, (wake_at - current).total_seconds())

    def _next(self, schedule: Schedule, now: datetime) -> datetime | None:
        try:
            return cron.next_run(cron.parse(schedule.cron_text), now, self._default_tz)
        except cron.CronError as error:
            log.error("schedule %s (`%s`) stops: %s", schedule.id, schedule.cron_text, error)
            return None

    def _run_one(self, schedule: Schedule, now: datetime) -> None:
        run_at = schedule.next_run_at
        if run_at is None:
            return
        try:
            following = self._next(schedule, now)
            late = now - run_at
            if late > max(self._catch_up, ON_TIME):
                with self._repo.transaction():
                    skipped = self._schedules.advance(schedule.id, run_at, following, None)
                if skipped:
                    log.warning(
                        "skipped `%s` in %s due %s: %s late, beyond the %s catch-up window",
                        schedule.command,
                        schedule.channel,
                        run_at.isoformat(),
                        late,
                        self._catch_up,
                    )
                return
            request = Request(
                text=schedule.command,
                channel=schedule.channel,
                user=schedule.created_by,
                source="schedule",
            )
            event_id = run_id(schedule, run_at)
            with self._repo.transaction():
                if not self._schedules.advance(schedule.id, run_at, following, run_at):
                    return  # another process claimed this run
                outcome = self._dispatcher.handle(
                    request, event_id=event_id, notice=describe_run(schedule)
                )
            log.info("ran `%s` in %s (due %s)", schedule.command, schedule.channel, run_at)
            self._delivery.submit(self._deliver, event_id, schedule.channel, outcome.reply)
        except Exception:
            log.exception(
                "schedule %s (`%s`) failed; skipping this run", schedule.id, schedule.command
            )
            with self._repo.transaction():
                self._schedules.advance(schedule.id, run_at, self._next(schedule, now), None)

    def _redeliver(self, now: datetime) -> None:
        """Post replies of runs committed before a crash or while Slack was failing."""
        if self._last_redelivery and now - self._last_redelivery < REDELIVERY_AFTER:
            return
        # At start-up nothing of ours is in flight, so every stored reply is overdue.
        cutoff = now - REDELIVERY_AFTER if self._last_redelivery else now
        self._last_redelivery = now
        with self._repo.transaction():
            pending_runs = self._schedules.undelivered_runs(cutoff)
        for pending in pending_runs:
            log.info("posting the stored reply of %s", pending.event_id)
            self._delivery.submit(self._deliver, pending.event_id, pending.channel, pending.reply)
