"""The peewee implementation of the domain's RotationRepository port."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta

from peewee import SqliteDatabase, fn

from bot.core.model import Member, MemberKind, Reply, Rotation
from bot.core.parser import name_key
from bot.core.ports import PriorEvent
from bot.storage.models import MemberRow, ProcessedEventRow, RotationRow

_INSERT_BATCH = 200  # well below SQLite's bound-parameter limit with 5 columns per row


def to_db(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def from_db(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


def _rotation(row: RotationRow) -> Rotation:
    return Rotation(
        id=row.id,
        channel=row.channel,
        name=row.name,
        description=row.description,
        created_at=from_db(row.created_at),
        created_by=row.created_by,
        duty_position=row.duty_position,
        member_count=row.member_count,
    )


def _member(row: MemberRow) -> Member:
    return Member(row.ref, MemberKind(row.kind), row.label)


class PeeweeRepository:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    @contextmanager
    def _unit(self) -> Iterator[None]:
        with self._db.connection_context(), self._db.atomic():
            yield

    def transaction(self) -> AbstractContextManager[None]:
        return self._unit()

    def find(self, channel: str, name: str) -> Rotation | None:
        row = RotationRow.get_or_none(
            (RotationRow.channel == channel) & (RotationRow.name_key == name_key(name))
        )
        return _rotation(row) if row else None

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
        return _rotation(row)

    def replace(
        self, rotation: Rotation, *, members: Sequence[Member], description: str
    ) -> Rotation:
        MemberRow.delete().where(MemberRow.rotation == rotation.id).execute()
        self._insert_members(rotation.id, members)
        RotationRow.update(
            description=description, duty_position=0, member_count=len(members)
        ).where(RotationRow.id == rotation.id).execute()
        return _rotation(RotationRow.get_by_id(rotation.id))

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

    def list(self, channel: str, limit: int) -> tuple[list[Rotation], int]:
        query = RotationRow.select().where(RotationRow.channel == channel)
        total = query.count()
        rows = query.order_by(RotationRow.created_at.desc(), RotationRow.id.desc()).limit(limit)
        return [_rotation(r) for r in rows], total

    def member_at(self, rotation: Rotation, position: int) -> Member:
        return _member(
            MemberRow.get((MemberRow.rotation == rotation.id) & (MemberRow.position == position))
        )

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
        RotationRow.update(duty_position=position).where(RotationRow.id == rotation.id).execute()

    def claim_event(self, event_id: str, now: datetime) -> PriorEvent | None:
        insert = ProcessedEventRow.insert(
            event_id=event_id, received_at=to_db(now)
        ).on_conflict_ignore()
        if self._db.execute(insert).rowcount == 1:
            return None
        row = ProcessedEventRow.get_by_id(event_id)
        reply = Reply.from_json(row.reply) if row.reply else Reply()
        return PriorEvent(reply=reply, delivered=row.delivered_at is not None)

    def save_reply(self, event_id: str, reply: Reply) -> None:
        ProcessedEventRow.update(reply=reply.to_json()).where(
            ProcessedEventRow.event_id == event_id
        ).execute()

    def mark_delivered(self, event_id: str, now: datetime) -> None:
        ProcessedEventRow.update(delivered_at=to_db(now)).where(
            ProcessedEventRow.event_id == event_id
        ).execute()

    def forget_events_before(self, cutoff: datetime) -> int:
        """Slack stops redelivering after minutes; a day of ids is plenty."""
        with self._unit():
            return int(
                ProcessedEventRow.delete()
                .where(ProcessedEventRow.received_at < to_db(cutoff))
                .execute()
            )


EVENT_RETENTION = timedelta(days=1)
