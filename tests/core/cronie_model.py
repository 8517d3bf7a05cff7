"""A model of cronie's main loop (cron.c) for one job: the referee for DST corner cases."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.cron import CronSpec

MIN = timedelta(minutes=1)


def cronie_runs(spec: CronSpec, zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """Model of cronie's main loop (cron.c) waking every real minute, for one job.

    Wall-clock minutes of the zone play cron's `clockTime`; the four wake-up kinds follow
    cron.c: normal, small jump (catch up everything), medium jump forward (wildcard now,
    fixed-time for each skipped minute) and backward (wildcard only until caught up).
    """

    def wall(instant: datetime) -> datetime:
        return instant.astimezone(zone).replace(tzinfo=None, fold=0)

    def minutes(naive: datetime) -> int:
        return int((naive - datetime(1970, 1, 1)) / MIN)

    runs: list[datetime] = []
    now = start
    virtual = minutes(wall(now))
    while now < end:
        now += MIN
        running = minutes(wall(now))
        diff = running - virtual
        fired = False

        def find(vtime: int, wild: bool, fixed: bool) -> None:
            nonlocal fired
            if spec.matches(datetime(1970, 1, 1) + vtime * MIN) and (
                (fixed and spec.fixed_time) or (wild and not spec.fixed_time)
            ):
                fired = True  # job_add() dedups within one wake-up

        if diff == 1:
            virtual = running
            find(virtual, True, True)
        elif abs(diff) > 180:
            virtual = running
            find(running, True, True)
        elif diff > 5:
            find(running, True, False)
            while virtual < running:
                virtual += 1
                find(virtual, False, True)
        elif diff > 0:
            while virtual < running:
                virtual += 1
                find(virtual, True, True)
        else:
            find(running, True, False)
        if fired:
            runs.append(now)
    return runs
