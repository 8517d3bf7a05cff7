"""What the domain needs from the outside world, as Protocols the storage layer implements."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from bot.core.model import (
    AwayPeriod,
    Member,
    Outgoing,
    Reply,
    Rotation,
    Schedule,
    Swap,
    SwapState,
)

Clock = Callable[[], datetime]


class RotationRepository(Protocol):
    def transaction(self) -> AbstractContextManager[None]:
        """Outermost call opens a transaction; nested calls are savepoints."""

    def reading(self) -> AbstractContextManager[None]:
        """A unit that only reads, without the write lock; inside a transaction, part of it."""

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

    def find_named(self, channels: Collection[str] | None, name: str) -> list[Rotation]:
        """The rotations of this name in these channels (None: in any channel)."""

    def list_rotations_in(
        self, channels: Collection[str] | None, limit: int
    ) -> tuple[list[Rotation], int]:
        """Like list_rotations, across these channels (None: every channel)."""

    def find_linked(self, channel: str, name: str) -> list[Rotation]:
        """The rotations of this name that other channels linked to this one."""

    def find_here(self, channel: str, name: str) -> tuple[Rotation | None, list[Rotation]]:
        """This channel's own rotation of this name, and find_linked's, read together."""

    def linked_rotations(self, channel: str, limit: int) -> tuple[list[Rotation], int]:
        """The rotations of other channels linked to this one, oldest link first, and how
        many there are."""

    def linked_channels(self, rotation: Rotation) -> list[str]:
        """Where the rotation's news goes: its own channel first, then those it is linked
        to, oldest link first."""

    def link(self, rotation: Rotation, channel: str, user: str, now: datetime) -> bool:
        """Link the rotation to another channel; False when it was linked already."""

    def unlink(self, rotation: Rotation, channel: str) -> bool:
        """False when it was not linked there."""

    def member_at(self, rotation: Rotation, position: int) -> Member: ...

    def members_from(self, rotation: Rotation, position: int, count: int) -> dict[int, Member]:
        """Up to `count` members by position, round-robin from `position`."""

    def members(self, rotation: Rotation) -> Iterator[Member]: ...

    def position_of(self, rotation: Rotation, ref: str) -> int | None: ...

    def set_duty(self, rotation: Rotation, position: int) -> None: ...

    def mark_duty_since(self, rotation_ids: Collection[int], now: datetime) -> None:
        """The duty of these rotations changed hands now (the App Home shows since when)."""

    def record_home_opened(self, user: str, now: datetime) -> None:
        """The user opened the App Home: from now on a change concerning them republishes it."""

    def home_users(self, users: Collection[str]) -> set[str]:
        """Which of these users have opened the App Home."""

    def rotations_with(self, refs: Collection[str]) -> list[Rotation]:
        """Every rotation, in any channel, with one of these user or group ids as a member."""

    def group_refs(self) -> list[str]:
        """The user group ids that are members of some rotation."""

    def rotation_by_id(self, rotation_id: int) -> Rotation | None: ...

    def stand_in(self, rotation: Rotation) -> Member | None:
        """Who holds the shift held now instead of the member the order put on duty (an
        accepted swap), until the duty next moves (set_duty and replace clear it)."""

    def overrides(self, rotation: Rotation) -> dict[datetime, Member]:
        """Future shifts given to another member, by the shift's start."""

    def add_override(self, rotation: Rotation, start: datetime | None, member: Member) -> None:
        """Give one shift (None: the one held now) to `member`, replacing an earlier one."""

    def start_override(self, rotation: Rotation, now: datetime) -> Member | None:
        """At a handoff: the override of the shift starting by `now` becomes the stand-in
        (returned); overrides of shifts that started by then are dropped."""

    def add_swap(
        self,
        rotation: Rotation,
        *,
        start: datetime | None,
        requester: str,
        target: str,
        stamp: str,
        now: datetime,
        expires_at: datetime,
    ) -> Swap: ...

    def get_swap(self, swap_id: int) -> Swap | None: ...

    def pending_swap(self, rotation: Rotation, start: datetime | None) -> Swap | None:
        """The pending request for that shift, if one was asked."""

    def pending_swaps_on(self, rotation: Rotation, *, held_now: bool) -> list[Swap]:
        """The rotation's pending requests; with `held_now`, only the one for the shift held
        now."""

    def pending_swaps_later(
        self, rotation_ids: Collection[int], members: Collection[str]
    ) -> list[Swap]:
        """The pending requests for a later shift (not the one held now) of these rotations,
        or of the rotations these refs are members of, oldest first."""

    def pending_swaps_of(self, user: str) -> list[Swap]:
        """Pending requests the user sent or received, oldest first."""

    def answer_swap(self, swap_id: int, state: SwapState, now: datetime) -> bool:
        """Move a pending swap to its outcome; False when it was no longer pending."""

    def expire_swaps(self, now: datetime) -> list[Swap]:
        """Mark the pending swaps whose shift started as expired; returns them."""

    def record_event(self, event_id: str, now: datetime) -> bool:
        """Remember the event as applied, in the same transaction as its effect; False if it
        was already (a redelivery)."""

    def enqueue(self, messages: Sequence[Outgoing], now: datetime) -> None:
        """Queue messages in the outbox, in the caller's transaction: they are sent if and
        only if it commits."""

    def welcomed_at(self, channel: str) -> datetime | None:
        """When the bot last posted its welcome in the channel."""

    def record_welcome(self, channel: str, now: datetime) -> None: ...


class AvailabilityRepository(Protocol):
    """Away periods: they belong to a person (a user id) and apply to all their rotations."""

    def away_periods(self, users: Collection[str], ending_from: date) -> list[AwayPeriod]:
        """The periods of these users that end on or after `ending_from`, by user and start."""

    def add_away(
        self, user: str, start: date, end: date, note: str | None = None
    ) -> AwayPeriod: ...

    def set_away_end(self, period_id: int, end: date) -> None: ...

    def delete_away(self, period_ids: Collection[int]) -> None: ...

    def forget_away_before(self, user: str, day: date) -> None:
        """Drop the user's periods that ended before `day`: nothing reads them again."""


class NotificationSettings(Protocol):
    """What people and channels turned off (everything is on by default), the hours ahead a
    person wants their shift reminder, and what the periodic notifications already sent."""

    def personal_off(self, users: Collection[str]) -> dict[str, set[str]]:
        """The notification types each of these users turned off (users with none left out)."""

    def set_personal(self, user: str, kind: str, enabled: bool) -> None: ...

    def remind_hours(self) -> dict[str, int]:
        """Every user who chose how long before a shift to be reminded."""

    def set_remind_hours(self, user: str, hours: int) -> None: ...

    def channel_off(self, rotation: Rotation) -> dict[str, set[str]]:
        """By channel, the types turned off for this rotation's notifications there."""

    def set_channel(self, channel: str, rotation: Rotation, kind: str, enabled: bool) -> None: ...

    def claim_sent(self, key: str, due_at: datetime) -> bool:
        """Record that the notification `key` went out; False if it already had."""

    def forget_sent_before(self, cutoff: datetime) -> int: ...


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

    def rotation_schedules(self, channel: str, rotation_key: str) -> list[Schedule]:
        """The channel's schedules whose command names the rotation (any command)."""

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


Deactivated = Callable[[Collection[str]], frozenset[str]]
"""Which of these user ids the workspace has deactivated; one it cannot tell about is active."""


class UserDirectory(Protocol):
    """What the workspace knows about people, beyond the ids a rotation stores."""

    def for_request(self) -> Deactivated:
        """A check for one request. It may look users up (Slack rate-limits that), so each
        request gets its own limit; a user it cannot look up counts as active, because a
        command must not fail while Slack is down."""

    def time_zone(self, user_id: str) -> str | None:
        """The IANA zone the person set in Slack; None when unknown (the bot's zone applies)."""

    def group_members(self, group_id: str) -> frozenset[str]:
        """The user ids of a user group; nobody when it cannot be asked."""

    def is_admin(self, user_id: str) -> bool:
        """A workspace admin or owner; False when it cannot be asked (they may retry)."""


class EveryoneActive:
    """The directory of a front end without Slack (the console, most tests): knows nobody."""

    def for_request(self) -> Deactivated:
        return nobody_deactivated

    def time_zone(self, user_id: str) -> str | None:
        return None

    def group_members(self, group_id: str) -> frozenset[str]:
        return frozenset()

    def is_admin(self, user_id: str) -> bool:
        return False


def nobody_deactivated(user_ids: Collection[str]) -> frozenset[str]:
    return frozenset()


EVERYONE_ACTIVE = EveryoneActive()


class Membership(Protocol):
    """Which channels people are members of: a direct message reaches only their rotations."""

    def channels_of(self, user: str) -> frozenset[str] | None:
        """The user's channels; None when this front end has no channels to check (the
        console), so every channel counts. Raises MembershipUnknown when it cannot tell now:
        a command must not reach a channel nobody checked."""


class Everywhere:
    """The membership of a front end without Slack: everyone is in every channel."""

    def channels_of(self, user: str) -> frozenset[str] | None:
        return None


EVERYWHERE = Everywhere()


@dataclass(frozen=True)
class OutboxRow:
    """A queued message as the sender sees it."""

    id: int
    channel: str
    kind: str
    reply: Reply
    thread_ts: str | None
    sent: int  # messages of the rendered reply that Slack already accepted
    attempts: int


@dataclass(frozen=True)
class OutboxEntry:
    """A pending or failed message as an operator sees it."""

    id: int
    channel: str
    kind: str
    state: str
    created_at: datetime
    attempts: int
    error: str | None


class OutboxStore(Protocol):
    """The outbox as its senders use it. Each call is its own transaction.

    A sender claims rows with a lease (its owner id and an expiry). It may claim a channel's
    pending rows only while no other live lease holds a pending row of that channel, so one
    sender at a time delivers a channel, in id (commit) order; an expired lease is taken over.
    The record_* calls change a row only while its owner still holds it.
    """

    def attach(
        self,
        owner: str,
        lease: timedelta,
        accept: Callable[[list[OutboxRow]], None],
        wake: Callable[[], None],
    ) -> None:
        """Route this process's rows to its sender. A row a transaction here queues is leased
        to `owner` at once, unless another pending row of its channel is not the owner's.
        Leased rows, and those claim() takes for `owner`, go to `accept` after the commit,
        under the write lock, so they arrive in commit order; `wake` is called for the rows
        left for a claim."""

    def detach(self) -> None: ...

    def claim(self, owner: str, now: datetime, until: datetime, limit: int) -> list[OutboxRow]:
        """Lease up to `limit` pending rows nobody else holds, oldest first."""

    def has_claimable(self, owner: str, now: datetime) -> bool:
        """A cheap read: would claim() find anything?"""

    def renew(self, owner: str, until: datetime) -> set[int]:
        """Extend the owner's leases; returns the ids it still holds."""

    def release(self, owner: str) -> int:
        """Give up the owner's leases, so another sender (or the next start) takes over."""

    def lease_owners(self) -> set[str]:
        """Owners that hold pending rows."""

    def record_progress(self, row_id: int, owner: str, sent: int) -> bool: ...

    def record_attempt(self, row_id: int, owner: str, sent: int, error: str) -> bool:
        """A transient failure: one attempt more, and the error to show operators."""

    def record_delivered(self, row_id: int, owner: str, now: datetime) -> None:
        """Slack accepted the row. Recorded with the next transaction of this process, or by
        flush_delivered(); until then delivery_unrecorded(row_id) is true."""

    def delivery_unrecorded(self, row_id: int) -> bool: ...

    def flush_delivered(self) -> None: ...

    def record_failed(self, row_id: int, owner: str, sent: int, error: str) -> bool: ...

    def prune_delivered(self, before: datetime) -> int: ...

    def undelivered(self) -> list[OutboxEntry]:
        """Pending and failed rows, oldest first."""

    def retry_failed(self) -> int:
        """Queue failed rows again; returns how many."""
