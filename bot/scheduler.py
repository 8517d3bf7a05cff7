"""The scheduler thread: turns due schedules into the same requests a mention makes.

Each schedule's next run time lives in the database, indexed; the thread sleeps until the
earliest one (or until a schedule changes) and never evaluates every crontab. A run is
claimed by a compare-and-set on that next run time in the same transaction as the command's
effect and its outbox rows (the notice, then the reply), so it happens exactly once: a crash
before the commit leaves the run due, a crash after it leaves outbox rows that the sender
delivers, and a second process sharing the database loses the compare-and-set.

A schedule without CRON_TZ runs in DIENSTPLAN_TIMEZONE, which may have changed since its
next run was stored (or differ in the console that created it). Each stored next run keeps
the zone it was computed in, so displays show it as it will really happen; at start the
scheduler re-computes, from now, every such run not yet due whose zone differs from its own,
and a due one runs as stored, its following run computed in the configured zone.

The sender posts outbox rows in commit order per channel, so a notice is followed by its own
reply before the next run's notice; channels go in parallel.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import datetime, timedelta

from bot.core import cron
from bot.core.dispatcher import Dispatcher, Outcome
from bot.core.model import SCHEDULED_RUN_PREFIX, Member, Request, Schedule
from bot.core.ports import Clock, RotationRepository, ScheduleRepository
from bot.core.schedules import describe_run, run_zone

log = logging.getLogger(__name__)

BATCH = 200
MAX_SLEEP = timedelta(seconds=30)  # picks up schedules another process added
# A run this late is on time, whatever the catch-up window: waking takes a few milliseconds,
# and a window of 0 must only drop runs missed while the bot was down.
ON_TIME = timedelta(seconds=60)


def run_id(schedule: Schedule, run_at: datetime) -> str:
    return f"{SCHEDULED_RUN_PREFIX}{schedule.id}:{run_at:%Y%m%dT%H%M%SZ}"


class Scheduler:
    def __init__(
        self,
        *,
        repo: RotationRepository,
        schedules: ScheduleRepository,
        dispatcher: Dispatcher,
        clock: Clock,
        default_tz: str,
        catch_up: timedelta,
    ) -> None:
        self._repo = repo
        self._schedules = schedules
        self._dispatcher = dispatcher
        self._clock = clock
        self._default_tz = default_tz
        self._catch_up = catch_up
        self._wake = threading.Event()
        self._zones_checked = False

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

    def follow_zone_once(self, now: datetime) -> None:
        """At start, before the first tick: the bot calls it before it takes commands, so
        `schedule list` never shows a run the scheduler is about to move."""
        if not self._zones_checked:
            self._follow_zone(now)
            self._zones_checked = True

    def tick(self, now: datetime) -> float:
        """Run everything due at `now`; return the seconds to sleep until the next run."""
        self.follow_zone_once(now)
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

    def _next(self, schedule: Schedule, now: datetime) -> tuple[datetime | None, str]:
        """The next run after `now` in the zone the schedule runs in, and that zone."""
        try:
            spec = cron.parse(schedule.cron_text)
            zone = run_zone(spec, self._default_tz)
            return cron.next_run(spec, now, zone), zone
        except cron.CronError as error:
            log.error("schedule %s (`%s`) stops: %s", schedule.id, schedule.cron_text, error)
            return None, schedule.timezone or self._default_tz

    def _follow_zone(self, now: datetime) -> None:
        """Re-compute from now the runs not yet due that were computed in another zone."""
        with self._repo.transaction():
            stale = self._schedules.stale_zone_schedules(self._default_tz, now)
        moved: Counter[str] = Counter()
        for start in range(0, len(stale), BATCH):
            with self._repo.transaction():
                for schedule in stale[start : start + BATCH]:
                    stored = schedule.next_run_at
                    following, zone = self._next(schedule, now)
                    if stored and self._schedules.advance(
                        schedule.id, stored, following, None, zone=zone
                    ):
                        moved[schedule.zone or "an unknown zone"] += 1
                        log.debug(
                            "`%s` in %s: next run %s, was %s",
                            schedule.command,
                            schedule.channel,
                            following,
                            schedule.next_run_at,
                        )
        if moved:
            origins = ", ".join(f"{count} from {zone}" for zone, count in sorted(moved.items()))
            log.info(
                "%d schedule(s) without CRON_TZ now follow %s, the configured time zone: next "
                "runs re-computed from now (%s)",
                sum(moved.values()),
                self._default_tz,
                origins,
            )

    def _run_one(self, schedule: Schedule, now: datetime) -> None:
        run_at = schedule.next_run_at
        if run_at is None:
            return
        try:
            following, zone = self._next(schedule, now)
            if not schedule.follows(self._default_tz):
                log.info(
                    "`%s` in %s was due %s as computed in %s; its later runs follow %s",
                    schedule.command,
                    schedule.channel,
                    run_at.isoformat(),
                    schedule.zone or "an unknown zone",
                    zone,
                )
            late = now - run_at
            if late > max(self._catch_up, ON_TIME):
                with self._repo.transaction():
                    skipped = self._schedules.advance(
                        schedule.id, run_at, following, None, zone=zone
                    )
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
                if not self._schedules.advance(schedule.id, run_at, following, run_at, zone=zone):
                    return  # another process claimed this run
                outcome = self._dispatcher.handle(
                    request, event_id=event_id, notice=describe_run(schedule)
                )
            _log_run(schedule, run_at, outcome)
        except Exception:
            log.exception(
                "schedule %s (`%s`) failed; skipping this run", schedule.id, schedule.command
            )
            following, zone = self._next(schedule, now)
            with self._repo.transaction():
                self._schedules.advance(schedule.id, run_at, following, None, zone=zone)


def _log_run(schedule: Schedule, run_at: datetime, outcome: Outcome) -> None:
    """A run whose command failed is a warning with the reply that says why."""
    if not outcome.failed:
        log.info("ran `%s` in %s (due %s)", schedule.command, schedule.channel, run_at)
        return
    answer = outcome.reply.render(Member.plain)
    log.warning(
        "scheduled `%s` in %s (due %s) failed: %s",
        schedule.command,
        schedule.channel,
        run_at,
        " ".join(answer.split()),
    )
