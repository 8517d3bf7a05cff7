"""The peewee implementation of the domain's RotationRepository port."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from sqlite3 import Cursor
from typing import Any, cast

from peewee import Query, SqliteDatabase, fn

from bot.core.model import SCHEDULED_RUN_PREFIX, Member, MemberKind, Reply, Rotation, Schedule
from bot.core.parser import name_key
from bot.core.ports import PendingDelivery, PriorEvent
from bot.storage.models import MemberRow, ProcessedEventRow, RotationRow, ScheduleRow

_INSERT_BATCH = 200  # well below SQLite's bound-parameter limit with 5 columns per row


class _Compiled:
    """A query peewee renders once; later runs bind new parameters to the same SQL.

    Building SQL is ~60% of a command's CPU in peewee, so the per-message path (find the
    rotation, read the duty, log the event) skips it. Parameters follow the order in which
    the builder's placeholder values appear.
    """

    def __init__(self, build: Callable[[], Query]) -> None:
        self._build = build
        self._sql: str | None = None

    def run(self, db: SqliteDatabase, *params: object) -> Cursor:
        if self._sql is None:
            self._sql = self._build().sql()[0]
        return db.execute_sql(self._sql, params)


_FIND = _Compiled(
    lambda: RotationRow.select().where((RotationRow.channel == "") & (RotationRow.name_key == ""))
)
_MEMBER_AT = _Compiled(
    lambda: MemberRow.select(MemberRow.ref, MemberRow.kind, MemberRow.label).where(
        (MemberRow.rotation == 0) & (MemberRow.position == 0)
    )
)
_SET_DUTY = _Compiled(lambda: RotationRow.update(duty_position=0).where(RotationRow.id == 0))
_PRIOR_EVENT = _Compiled(
    lambda: ProcessedEventRow.select(ProcessedEventRow.reply, ProcessedEventRow.delivered_at).where(
        ProcessedEventRow.event_id == ""
    )
)
_RECORD_EVENT = _Compiled(
    lambda: ProcessedEventRow.insert(event_id="", received_at="", reply="", channel="")
)
_MARK_DELIVERED = _Compiled(
    lambda: ProcessedEventRow.update(delivered_at="").where(ProcessedEventRow.event_id == "")
)


def to_db(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def from_db(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


def _rotation_from_tuple(row: tuple[Any, ...]) -> Rotation:
    """A `rotation` row in column order (raw SQL and peewee `.tuples()` alike)."""
    id_, channel, name, _key, description, created_at, created_by, duty, count = row
    return Rotation(
        id=id_,
        channel=channel,
        name=name,
        description=description,
        created_at=from_db(RotationRow.created_at.python_value(created_at)),
        created_by=created_by,
        duty_position=duty,
        member_count=count,
    )


def _schedule(row: ScheduleRow) -> Schedule:
    return Schedule(
        id=row.id,
        channel=row.channel,
        command=row.command,
        crontab=row.crontab,
        timezone=row.timezone,
        created_by=row.created_by,
        created_at=from_db(row.created_at),
        next_run_at=from_db(row.next_run_at) if row.next_run_at else None,
        last_run_at=from_db(row.last_run_at) if row.last_run_at else None,
        zone=row.zone,
    )


def _member(row: MemberRow) -> Member:
    return Member(row.ref, MemberKind(row.kind), row.label)


class PeeweeRepository:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db
        # SQLite allows one writer; its busy handler waits by sleeping (1, 2, 5, 10 ms...),
        # which wrecks throughput when this process's own workers contend. Threads queue
        # here instead; busy_timeout still arbitrates between processes.
        self._writer = threading.RLock()

    @contextmanager
    def _unit(self) -> Iterator[None]:
        with self._writer, self._db.connection_context(), self._db.atomic():
            yield

    def transaction(self) -> AbstractContextManager[None]:
        return self._unit()

    def _get_rotation(self, rotation_id: int) -> Rotation:
        query = RotationRow.select().where(RotationRow.id == rotation_id)
        return _rotation_from_tuple(cast(tuple[Any, ...], query.tuples().get()))

    def find(self, channel: str, name: str) -> Rotation | None:
        row = _FIND.run(self._db, channel, name_key(name)).fetchone()
        return _rotation_from_tuple(row) if row else None

    def names(self, channel: str) -> list[str]:
        query = RotationRow.select(RotationRow.name).where(RotationRow.channel == channel)
        return [row.name for row in query]

    def create(
        self,
        *,
        channel: str,
        name: str,
        description: str,
        members: Sequence[Member],
        created_by: str,
        now: datetime,
    ) -> Rotation:
        row = RotationRow.create(
            channel=channel,
            name=name,
            name_key=name_key(name),
            description=description,
            created_at=to_db(now),
            created_by=created_by,
            duty_position=0,
            member_count=len(members),
        )
        self._insert_members(row.id, members)
        return self._get_rotation(row.id)

    def replace(
        self, rotation: Rotation, *, members: Sequence[Member], description: str
    ) -> Rotation:
        MemberRow.delete().where(MemberRow.rotation == rotation.id).execute()
        self._insert_members(rotation.id, members)
        RotationRow.update(
            description=description, duty_position=0, member_count=len(members)
        ).where(RotationRow.id == rotation.id).execute()
        return self._get_rotation(rotation.id)

    def _insert_members(self, rotation_id: int, members: Sequence[Member]) -> None:
        rows = [
            {
                "rotation": rotation_id,
                "position": i,
                "ref": m.ref,
                "kind": m.kind.value,
                "label": m.label,
            }
            for i, m in enumerate(members)
        ]
        for start in range(0, len(rows), _INSERT_BATCH):
            MemberRow.insert_many(rows[start : start + _INSERT_BATCH]).execute()

    def delete(self, rotation: Rotation) -> None:
        RotationRow.delete().where(RotationRow.id == rotation.id).execute()

    def list_rotations(self, channel: str, limit: int) -> tuple[list[Rotation], int]:
        query = RotationRow.select().where(RotationRow.channel == channel)
        total = query.count()
        rows = query.order_by(RotationRow.created_at.desc(), RotationRow.id.desc()).limit(limit)
        return [_rotation_from_tuple(cast(tuple[Any, ...], r)) for r in rows.tuples()], total

    def member_at(self, rotation: Rotation, position: int) -> Member:
        ref, kind, label = _MEMBER_AT.run(self._db, rotation.id, position).fetchone()
        return Member(ref, MemberKind(kind), label)

    def members(self, rotation: Rotation) -> Iterator[Member]:
        query = (
            MemberRow.select().where(MemberRow.rotation == rotation.id).order_by(MemberRow.position)
        )
        return (_member(row) for row in query)

    def position_of(self, rotation: Rotation, ref: str) -> int | None:
        position = (
            MemberRow.select(fn.MIN(MemberRow.position))
            .where((MemberRow.rotation == rotation.id) & (MemberRow.ref == ref))
            .scalar()
        )
        return position

    def set_duty(self, rotation: Rotation, position: int) -> None:
        _SET_DUTY.run(self._db, position, rotation.id)

    def prior_event(self, event_id: str) -> PriorEvent | None:
        row = _PRIOR_EVENT.run(self._db, event_id).fetchone()
        if row is None:
            return None
        reply, delivered_at = row
        return PriorEvent(reply=Reply.from_json(reply), delivered=delivered_at is not None)

    def record_event(
        self, event_id: str, now: datetime, reply: Reply, channel: str | None = None
    ) -> None:
        _RECORD_EVENT.run(self._db, event_id, to_db(now), reply.to_json(), channel)

    def mark_delivered(self, event_id: str, now: datetime) -> None:
        _MARK_DELIVERED.run(self._db, to_db(now), event_id)

    # ------------------------------------------------------------------ schedules
    def find_schedule(self, channel: str, command_key: str) -> Schedule | None:
        row = ScheduleRow.get_or_none(
            (ScheduleRow.channel == channel) & (ScheduleRow.command_key == command_key)
        )
        return _schedule(row) if row else None

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
        row = ScheduleRow.create(
            channel=channel,
            command=command,
            command_key=command_key,
            rotation_key=rotation_key,
            crontab=crontab,
            timezone=timezone,
            zone=zone,
            created_by=created_by,
            created_at=to_db(now),
            next_run_at=to_db(next_run_at),
        )
        return _schedule(row)

    def delete_schedule(self, schedule: Schedule) -> None:
        ScheduleRow.delete().where(ScheduleRow.id == schedule.id).execute()

    def delete_rotation_schedules(self, channel: str, rotation_key: str) -> list[Schedule]:
        where = (ScheduleRow.channel == channel) & (ScheduleRow.rotation_key == rotation_key)
        removed = [_schedule(row) for row in ScheduleRow.select().where(where)]
        ScheduleRow.delete().where(where).execute()
        return removed

    def channel_schedules(self, channel: str) -> list[Schedule]:
        query = ScheduleRow.select().where(ScheduleRow.channel == channel)
        return [_schedule(row) for row in query.order_by(ScheduleRow.id)]

    def all_schedules(self) -> list[Schedule]:
        query = ScheduleRow.select().order_by(ScheduleRow.channel, ScheduleRow.id)
        return [_schedule(row) for row in query]

    def due_schedules(self, now: datetime, limit: int) -> list[Schedule]:
        query = (
            ScheduleRow.select()
            .where(ScheduleRow.next_run_at <= to_db(now))
            .order_by(ScheduleRow.next_run_at, ScheduleRow.id)
            .limit(limit)
        )
        return [_schedule(row) for row in query]

    def stale_zone_schedules(self, default_tz: str, after: datetime) -> list[Schedule]:
        query = ScheduleRow.select().where(
            ScheduleRow.timezone.is_null()
            & (ScheduleRow.zone.is_null() | (ScheduleRow.zone != default_tz))
            & (ScheduleRow.next_run_at > to_db(after))
        )
        return [_schedule(row) for row in query.order_by(ScheduleRow.id)]

    def next_due_at(self) -> datetime | None:
        value = ScheduleRow.select(fn.MIN(ScheduleRow.next_run_at)).scalar()
        return from_db(ScheduleRow.next_run_at.python_value(value)) if value else None

    def advance(
        self,
        schedule_id: int,
        expected: datetime,
        next_run_at: datetime | None,
        ran_at: datetime | None,
        *,
        zone: str,
    ) -> bool:
        changes: dict[Any, Any] = {
            ScheduleRow.next_run_at: to_db(next_run_at) if next_run_at else None,
            ScheduleRow.zone: zone,
        }
        if ran_at is not None:
            changes[ScheduleRow.last_run_at] = to_db(ran_at)
        query = ScheduleRow.update(changes).where(
            (ScheduleRow.id == schedule_id) & (ScheduleRow.next_run_at == to_db(expected))
        )
        return bool(query.execute())

    def undelivered_runs(self, older_than: datetime) -> list[PendingDelivery]:
        query = ProcessedEventRow.select().where(
            ProcessedEventRow.delivered_at.is_null()
            & ProcessedEventRow.event_id.startswith(SCHEDULED_RUN_PREFIX)
            & (ProcessedEventRow.received_at < to_db(older_than))
            & ProcessedEventRow.channel.is_null(False)
        )
        return [
            PendingDelivery(row.event_id, str(row.channel), Reply.from_json(str(row.reply)))
            for row in query.order_by(ProcessedEventRow.received_at)
        ]

    def forget_events_before(self, cutoff: datetime) -> int:
        """Slack stops redelivering after minutes; a day of ids is plenty."""
        with self._unit():
            return int(
                ProcessedEventRow.delete()
                .where(ProcessedEventRow.received_at < to_db(cutoff))
                .execute()
            )


EVENT_RETENTION = timedelta(days=1)
