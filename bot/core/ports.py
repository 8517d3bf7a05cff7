"""What the domain needs from the outside world, as Protocols the storage layer implements."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.core.model import Member, Reply, Rotation, Schedule

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class PriorEvent:
    """An event already applied once; its stored reply lets a redelivery finish the job."""

    reply: Reply
    delivered: bool


class RotationRepository(Protocol):
    def transaction(self) -> AbstractContextManager[None]:
        """Outermost call opens a transaction; nested calls are savepoints."""

    def find(self, channel: str, name: str) -> Rotation | None: ...

    def names(self, channel: str) -> list[str]: ...

    def create(
        self,
        *,
        channel: str,
        name: str,
        description: str,
        members: Sequence[Member],
        created_by: str,
        now: datetime,
    ) -> Rotation: ...

    def replace(
        self, rotation: Rotation, *, members: Sequence[Member], description: str
    ) -> Rotation: ...

    def delete(self, rotation: Rotation) -> None: ...

    def list_rotations(self, channel: str, limit: int) -> tuple[list[Rotation], int]: ...

    def member_at(self, rotation: Rotation, position: int) -> Member: ...

    def members(self, rotation: Rotation) -> Iterator[Member]: ...

    def position_of(self, rotation: Rotation, ref: str) -> int | None: ...

    def set_duty(self, rotation: Rotation, position: int) -> None: ...

    def prior_event(self, event_id: str) -> PriorEvent | None:
        """What happened the first time this event was applied, if it was."""

    def record_event(
        self, event_id: str, now: datetime, reply: Reply, channel: str | None = None
    ) -> None:
        """Remember the event as applied, in the same transaction as its effect."""

    def mark_delivered(self, event_id: str, now: datetime) -> None: ...


@dataclass(frozen=True)
class PendingDelivery:
    """A committed scheduled run whose reply has not been posted yet."""

    event_id: str
    channel: str
    reply: Reply


class ScheduleRepository(Protocol):
    def find_schedule(self, channel: str, command_key: str) -> Schedule | None: ...

    def add_schedule(
        self,
        *,
        channel: str,
        command: str,
        command_key: str,
        rotation_key: str | None,
        crontab: str,
        timezone: str | None,
        zone: str,
        created_by: str,
        now: datetime,
        next_run_at: datetime,
    ) -> Schedule:
        """`zone` is the zone `next_run_at` was computed in."""

    def delete_schedule(self, schedule: Schedule) -> None: ...

    def delete_rotation_schedules(self, channel: str, rotation_key: str) -> list[Schedule]:
        """Remove the schedules whose command names the rotation; return what was removed."""

    def channel_schedules(self, channel: str) -> list[Schedule]: ...

    def all_schedules(self) -> list[Schedule]: ...

    def due_schedules(self, now: datetime, limit: int) -> list[Schedule]:
        """Oldest due first (then oldest schedule), via the next-run index: never a scan of
        every crontab."""

    def stale_zone_schedules(self, default_tz: str, after: datetime) -> list[Schedule]:
        """Schedules without CRON_TZ due after `after` whose next run was computed in another
        zone than `default_tz` (or in an unknown one)."""

    def next_due_at(self) -> datetime | None: ...

    def advance(
        self,
        schedule_id: int,
        expected: datetime,
        next_run_at: datetime | None,
        ran_at: datetime | None,
        *,
        zone: str,
    ) -> bool:
        """Compare-and-set the next run (computed in `zone`): True only for the one caller
        that claimed this run."""

    def undelivered_runs(self, older_than: datetime) -> list[PendingDelivery]: ...


Deactivated = Callable[[Collection[str]], frozenset[str]]
"""Which of these user ids the workspace has deactivated; one it cannot tell about is active."""


class UserDirectory(Protocol):
    """What the workspace knows about people, beyond the ids a rotation stores."""

    def for_request(self) -> Deactivated:
        """A check for one request. It may look users up (Slack rate-limits that), so each
        request gets its own limit; a user it cannot look up counts as active, because a
        command must not fail while Slack is down."""


class EveryoneActive:
    """The directory of a front end without Slack (the console, most tests): knows nobody."""

    def for_request(self) -> Deactivated:
        return nobody_deactivated


def nobody_deactivated(user_ids: Collection[str]) -> frozenset[str]:
    return frozenset()


EVERYONE_ACTIVE = EveryoneActive()
