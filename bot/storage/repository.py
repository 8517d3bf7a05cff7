"""The peewee implementation of the domain's RotationRepository port."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from peewee import Database, Query, fn

from bot.core.model import (
    AwayPeriod,
    Member,
    MemberKind,
    Outgoing,
    Reply,
    Rotation,
    Schedule,
    Swap,
    SwapState,
)
from bot.core.parser import name_key
from bot.core.ports import OutboxEntry, OutboxRow
from bot.storage.db import is_postgres
from bot.storage.listener import CHANNEL as OUTBOX_CHANNEL
from bot.storage.listener import OutboxListener
from bot.storage.models import (
    AwayRow,
    ChannelOffRow,
    HomeUserRow,
    LinkRow,
    MemberRow,
    OutboxMessageRow,
    PersonalOffRow,
    ProcessedEventRow,
    RemindRow,
    RotationRow,
    ScheduleRow,
    SentRow,
    WelcomeRow,
)

log = logging.getLogger(__name__)

_INSERT_BATCH = 200  # well below SQLite's bound-parameter limit with 5 columns per row

# On PostgreSQL every unit of work holds this advisory lock until it commits: replicas then
# write one at a time, as SQLite's BEGIN IMMEDIATE makes processes do, so the checks a
# command makes before it writes (the duty it moves, the event id it records, the channel
# an outbox row waits in) still hold when it commits.
WRITE_LOCK = 0x77726974  # "writ"

Cursor = Any  # sqlite3.Cursor or a psycopg2 cursor: the DB-API subset both provide


def _postgres_sql(sql: str) -> str:
    """SQL written for SQLite as PostgreSQL (psycopg2) takes it: `?N` becomes a named
    parameter (bound from a dict), `?` a positional one; `IS ?` compares NULLs as SQLite's
    `IS` does; index hints go (PostgreSQL's planner has no such thing)."""
    sql = sql.replace(" INDEXED BY outbox_pending", "").replace(" IS ?", " IS NOT DISTINCT FROM ?")
    sql = re.sub(r"\?(\d+)", r"%(p\1)s", sql)
    return sql.replace("?", "%s")


class ReadOnlyViolation(RuntimeError):
    """Code in a read-only unit (PeeweeRepository.reading) wrote."""


class _Compiled:
    """A query peewee renders once; later runs bind new parameters to the same SQL.

    Building SQL is ~60% of a command's CPU in peewee, so the per-message path (find the
    rotation, read the duty, log the event) skips it. Parameters follow the order in which
    the builder's placeholder values appear.
    """

    def __init__(self, build: Callable[[], Query]) -> None:
        self._build = build
        self._sql: dict[str, str] = {}  # by the engine's placeholder: one process may use both

    def sql(self, db: Database) -> str:
        sql = self._sql.get(db.param)
        if sql is None:
            sql = self._sql[db.param] = self._build().sql()[0]
        return sql


_FIND = _Compiled(
    lambda: RotationRow.select().where((RotationRow.channel == "") & (RotationRow.name_key == ""))
)
_MEMBER_AT = _Compiled(
    lambda: MemberRow.select(MemberRow.ref, MemberRow.kind, MemberRow.label).where(
        (MemberRow.rotation == 0) & (MemberRow.position == 0)
    )
)
_SET_DUTY = _Compiled(lambda: RotationRow.update(duty_position=0).where(RotationRow.id == 0))
_SET_DUTY_SINCE = _Compiled(
    lambda: RotationRow.update(duty_since=datetime(2000, 1, 1)).where(RotationRow.id == 0)
)
_HOME_USERS = 'SELECT "user" FROM home_user WHERE "user" IN ({})'
# The rotations of other channels linked to a channel, by name: asked by every command that
# names a rotation, so a seek on the link's primary key, then the rotation's.
_ROTATION_COLUMNS = (
    "r.id, r.channel, r.name, r.name_key, r.description, r.created_at, r.created_by,"
    " r.duty_position, r.member_count, r.duty_since"
)
_FIND_LINKED = (
    f"SELECT {_ROTATION_COLUMNS} FROM link AS l JOIN rotation AS r ON r.id = l.rotation_id"
    " WHERE l.channel = ? AND r.name_key = ? ORDER BY r.channel, r.id"
)
# The channel's own rotation (last column 1) and the linked ones (0), in one round trip.
_FIND_HERE = (
    f"SELECT {_ROTATION_COLUMNS}, 1 FROM rotation AS r WHERE r.channel = ?1 AND r.name_key = ?2"
    f" UNION ALL SELECT {_ROTATION_COLUMNS}, 0 FROM link AS l"
    " JOIN rotation AS r ON r.id = l.rotation_id WHERE l.channel = ?1 AND r.name_key = ?2"
    " ORDER BY 11 DESC, 2, 1"
)
# Positions [?2, ?3] and, round the end, below ?4.
_MEMBERS_FROM = (
    "SELECT position, ref, kind, label FROM member WHERE rotation_id = ?1"
    " AND (position BETWEEN ?2 AND ?3 OR position < ?4)"
)
_LINKED_ROTATIONS = (
    f"SELECT {_ROTATION_COLUMNS} FROM link AS l JOIN rotation AS r ON r.id = l.rotation_id"
    " WHERE l.channel = ? ORDER BY l.linked_at, r.id LIMIT ?"
)
# Checking for a redelivery and recording the event are one statement: the insert that
# finds the event already there changes nothing.
_RECORD_EVENT = (
    "INSERT INTO processed_event (event_id, received_at) VALUES (?, ?)"
    " ON CONFLICT (event_id) DO NOTHING"
)
# Pending rows of a channel held by another owner than ?1. `!=` is written as `<` and `>`,
# so that each is a seek in the outbox_pending index (channel, lease_owner), whatever the
# channel's backlog.
_OTHERS = [
    "SELECT 1 FROM outbox AS h INDEXED BY outbox_pending WHERE h.state = 'pending'"
    f" AND h.channel = {{channel}} AND h.lease_owner {op} ?1 {{live}}"
    for op in ("<", ">")
]
# A new row must wait its turn behind a pending row in its channel that is not ours.
_CHANNEL_TAKEN = " OR ".join(
    [
        "EXISTS (SELECT 1 FROM outbox INDEXED BY outbox_pending WHERE state = 'pending'"
        " AND channel = ?2 AND lease_owner IS NULL)",
        *(f"EXISTS ({q.format(channel='?2', live='')})" for q in _OTHERS),
    ]
)
_OUTBOX_COLUMNS = "channel, kind, reply, thread_ts, created_at, lease_owner, lease_until"
# Leased to owner ?1 (until ?7) unless the channel is taken: one statement, the check read
# before the row is inserted.
_ENQUEUE = f"""
    INSERT INTO outbox ({_OUTBOX_COLUMNS})
    SELECT ?2, ?3, ?4, ?5, ?6, CASE WHEN taken THEN NULL ELSE ?1 END,
        CASE WHEN taken THEN NULL ELSE ?7 END
    FROM (SELECT {_CHANNEL_TAKEN} AS taken) AS channel_taken
    RETURNING id, lease_owner
"""
_ENQUEUE_UNLEASED = f"INSERT INTO outbox ({_OUTBOX_COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL, NULL)"
# A row is claimable when it is pending, nobody holds it (or the lease ran out), and no other
# live lease holds a pending row of its channel: one sender per channel keeps commit order.
# Parameters: ?1 owner, ?2 now, then ?3 lease expiry and ?4 limit for the claim.
_CLAIMABLE = "o.state = 'pending' AND (o.lease_owner IS NULL OR o.lease_until <= ?2)" + "".join(
    f" AND NOT EXISTS ({q.format(channel='o.channel', live='AND h.lease_until > ?2')})"
    for q in _OTHERS
)
# PostgreSQL locks the rows it claims and passes over rows another transaction holds
# (SKIP LOCKED) instead of waiting for them.
_CLAIM = f"""
    UPDATE outbox SET lease_owner = ?1, lease_until = ?3
    WHERE id IN (
        SELECT o.id FROM outbox AS o INDEXED BY outbox_pending WHERE {_CLAIMABLE}
        ORDER BY o.id LIMIT ?4{{lock}})
    RETURNING id, channel, kind, reply, thread_ts, sent, attempts
"""
_HAS_CLAIMABLE = (
    f"SELECT EXISTS (SELECT 1 FROM outbox AS o INDEXED BY outbox_pending WHERE {_CLAIMABLE})"
)
_HELD = "id = ? AND lease_owner = ? AND state = 'pending'"
_ROTATION_SCHEDULES = _Compiled(
    lambda: (
        ScheduleRow.select()
        .where((ScheduleRow.channel == "") & (ScheduleRow.rotation_key == ""))
        .order_by(ScheduleRow.id)
    )
)
# Raw SQL with one placeholder per user: `who` and `rotate` ask for one person at a time.
_AWAY = (
    'SELECT id, "user", start_date, end_date, note FROM away WHERE end_date >= ?'
    ' AND "user" IN ({}) ORDER BY "user", start_date'
)
_PARAMETERS = 500  # users per query, well below SQLite's bound-parameter limit


_STAND_IN = (
    "SELECT ref, kind, label FROM shift_override WHERE rotation_id = ? AND shift_start IS NULL"
)
_CLEAR_STAND_IN = "DELETE FROM shift_override WHERE rotation_id = ? AND shift_start IS NULL"
_OVERRIDES = (
    "SELECT shift_start, ref, kind, label FROM shift_override"
    " WHERE rotation_id = ? AND shift_start IS NOT NULL ORDER BY shift_start"
)
_SWAP = (
    "SELECT id, rotation_id, shift_start, requester, target, state, stamp, created_at,"
    " expires_at FROM swap"
)


def _datetime(value: Any) -> datetime:
    """A DATETIME column read by raw SQL: sqlite3 returns the stored text."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _date(value: Any) -> date:
    """A DATE column read by raw SQL: text from sqlite3, a date from psycopg2."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def _swap(row: tuple[Any, ...]) -> Swap:
    id_, rotation_id, start, requester, target, state, stamp, created, expires = row
    return Swap(
        id=id_,
        rotation_id=rotation_id,
        shift_start=None if start is None else from_db(_datetime(start)),
        requester=requester,
        target=target,
        state=SwapState(state),
        stamp=stamp,
        created_at=from_db(_datetime(created)),
        expires_at=from_db(_datetime(expires)),
    )


def to_db(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def from_db(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


def _rotation_from_tuple(row: tuple[Any, ...]) -> Rotation:
    """A `rotation` row in column order (raw SQL and peewee `.tuples()` alike)."""
    id_, channel, name, _key, description, created_at, created_by, duty, count, since = row
    return Rotation(
        id=id_,
        channel=channel,
        name=name,
        description=description,
        created_at=from_db(_datetime(created_at)),
        created_by=created_by,
        duty_position=duty,
        member_count=count,
        duty_since=from_db(_datetime(since)) if since else None,
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


def _columns(cursor: Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
    """A raw row as model field values (dates converted as peewee would)."""
    names = [d[0] for d in cursor.description]
    fields = ScheduleRow._meta.columns  # type: ignore[attr-defined]
    return {name: fields[name].python_value(value) for name, value in zip(names, row, strict=True)}


def _member(row: MemberRow) -> Member:
    return Member(row.ref, MemberKind(row.kind), row.label)


@dataclass(frozen=True)
class _Sender:
    """This process's outbox sender, as PeeweeRepository.attach() describes it."""

    owner: str
    lease: timedelta
    accept: Callable[[list[OutboxRow]], None]
    wake: Callable[[], None]


@dataclass
class _Handover:
    """What a transaction passes to the sender once it commits."""

    sender: _Sender
    rows: list[tuple[int, OutboxRow]] = field(default_factory=list)  # (unit depth, row)
    unleased: bool = False

    def add(self, depth: int, row: OutboxRow) -> None:
        self.rows.append((depth, row))

    def forget_from(self, depth: int) -> None:
        self.rows = [(d, row) for d, row in self.rows if d < depth]

    def keep_from(self, depth: int) -> None:
        """The savepoint at `depth` was released: its rows are the enclosing unit's now."""
        self.rows = [(min(d, depth - 1), row) for d, row in self.rows]


class _Batch:
    """A thread's group commit (PeeweeRepository.batched)."""

    def __init__(self, repo: PeeweeRepository) -> None:
        self._repo = repo

    def due(self) -> bool:
        """Another thread waits for the write lock this batch holds."""
        return self._repo._others_waiting

    def commit(self) -> bool:
        """Commit what the batch's units did so far. False, and nothing done, while a unit
        that may write is running (a Web API call inside a command); in a read-only one, the
        rest of it reads a new snapshot. Raises if the commit failed, and then what was not
        committed is rolled back."""
        return self._repo._commit_batch()


class PeeweeRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._postgres = is_postgres(db)
        self._translated: dict[str, str] = {}
        # SQLite allows one writer; its busy handler waits by sleeping (1, 2, 5, 10 ms...),
        # which wrecks throughput when this process's own workers contend. Threads queue
        # here instead; busy_timeout still arbitrates between processes.
        self._writer = threading.RLock()
        self._waiting = 0  # threads waiting for self._writer: a batch commits for them
        self._waiting_lock = threading.Lock()
        self._local = threading.local()
        self._sender: _Sender | None = None
        self._listener: OutboxListener | None = None
        # Delivered marks not committed yet: row id -> (owner, when). See record_delivered.
        self._marks: dict[int, tuple[str, datetime]] = {}
        self._carried: dict[int, tuple[str, datetime]] = {}  # in a transaction not committed yet
        self._marks_lock = threading.Lock()

    def attach(
        self,
        owner: str,
        lease: timedelta,
        accept: Callable[[list[OutboxRow]], None],
        wake: Callable[[], None],
    ) -> None:
        self._sender = _Sender(owner, lease, accept, wake)
        if self._postgres:
            self._listener = OutboxListener(self._listen_connection, wake)
            self._listener.start()

    def detach(self) -> None:
        self._sender = None
        if self._listener is not None:
            self._listener.stop()
            self._listener = None

    def _listen_connection(self) -> Any:
        import psycopg2

        return psycopg2.connect(dbname=self._db.database, **self._db.connect_params)

    def _connection(self) -> Any:
        """This thread's connection: checked out of the pool on first use and kept, so a unit
        costs no check-out and check-in (the pool closes them all when the bot stops)."""
        if self._db.is_closed():
            self._db.connect()
        elif self._postgres and self._db.connection().closed:  # the server dropped it
            self._db.close()
            self._db.connect()
        return self._db.connection()

    def _sql(self, sql: str) -> str:
        """Raw SQL (written for SQLite) in this engine's dialect."""
        if not self._postgres:
            return sql
        translated = self._translated.get(sql)
        if translated is None:
            translated = self._translated[sql] = _postgres_sql(sql)
        return translated

    def _execute(self, sql: str, params: Sequence[object] = ()) -> Cursor:
        """Raw SQL with `?` placeholders, or `?N` ones (then numbered from 1), on either
        engine. On SQLite straight on the connection, as the unit's BEGIN and COMMIT are:
        peewee's layer (logging, its exception classes, a cursor per call) costs as much as
        running one of these statements."""
        if not self._postgres:
            return self._connection().execute(sql, params)
        if re.search(r"\?\d", sql):
            named = {f"p{i}": value for i, value in enumerate(params, start=1)}
            return self._db.execute_sql(self._sql(sql), named)
        return self._db.execute_sql(self._sql(sql), tuple(params))

    def _run(self, query: _Compiled, *params: object) -> Cursor:
        sql = query.sql(self._db)
        if self._postgres:
            return self._db.execute_sql(sql, params)
        return self._connection().execute(sql, params)

    def _begin(self, connection: Any) -> None:
        if self._postgres:
            # One round trip: each costs as much as a statement's work on a small database.
            connection.cursor().execute("BEGIN; SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
        else:
            connection.execute("BEGIN IMMEDIATE")

    def _open_unit(self) -> Any:
        """This thread's connection with a transaction begun. A PostgreSQL connection the
        server dropped (a restart, a failover) is replaced once, before anything was done."""
        connection = self._connection()
        try:
            self._begin(connection)
        except Exception:
            if not (self._postgres and connection.closed):
                raise
            self._db.close()  # the pool discards a closed connection
            connection = self._connection()
            self._begin(connection)
        return connection

    def _end(self, connection: Any, statement: str) -> None:
        """COMMIT or ROLLBACK; a failed COMMIT leaves sqlite3 in no transaction to roll back,
        and a dropped PostgreSQL connection has none either (it is given back to the pool,
        which discards it)."""
        if self._postgres:
            if statement == "ROLLBACK" and connection.closed:
                self._db.close()
                return
            connection.cursor().execute(statement)
        elif statement == "COMMIT" or connection.in_transaction:
            connection.execute(statement)

    def _plain(self, connection: Any, statement: str) -> None:
        if self._postgres:
            connection.cursor().execute(statement)
        else:
            connection.execute(statement)

    @contextmanager
    def _unit(self) -> Iterator[None]:
        """A transaction (BEGIN IMMEDIATE: the write lock up front), or inside one a savepoint,
        in plain SQL: peewee's atomic() costs ~3x the statements themselves per command (a
        uuid-named savepoint, its bookkeeping). The outermost unit hands the outbox rows it
        leased to the sender after the commit, still under the write lock, so they reach the
        sender's queues in commit order."""
        state = self._local.__dict__
        depth = state.get("depth", 0) + 1
        if state.get("reading"):  # nothing to roll back to: a read-only unit writes nothing
            yield
            return
        if depth > 1 or state.get("open") is not None:
            yield from self._savepoint(state, depth)
            return
        if state.get("batch") is not None:
            yield from self._first_of_batch(state)
            return
        self._acquire_writer()
        try:
            connection = self._open_unit()
            state["depth"] = depth
            try:
                yield
            except BaseException:
                state["depth"] = 0
                self._end(connection, "ROLLBACK")
                state.pop("handover", None)
                raise
            state["depth"] = 0
            self._commit(connection)
            self._hand_over(state)
        finally:
            self._writer.release()

    def _first_of_batch(self, state: dict[str, Any]) -> Iterator[None]:
        """Begins the batch's transaction; no savepoint: if this unit fails, rolling back
        the transaction rolls back just it."""
        self._acquire_writer()
        try:
            state["open"] = self._open_unit()
        except BaseException:
            self._writer.release()
            raise
        state["depth"] = 1
        try:
            yield
        except BaseException:
            state["depth"] = 0
            self._roll_back_batch()
            raise
        state["depth"] = 0
        if "handover" in state:
            state["handover"].keep_from(1)

    def _acquire_writer(self) -> None:
        with self._waiting_lock:
            self._waiting += 1
        self._writer.acquire()
        with self._waiting_lock:
            self._waiting -= 1

    def _commit(self, connection: Any) -> None:
        """COMMIT, taking along the delivered marks not committed yet; on failure the
        transaction is rolled back, and the marks wait for the next one."""
        marks: dict[int, tuple[str, datetime]] = {}
        try:
            marks = self._take_marks()
            self._write_marks(marks)
            self._end(connection, "COMMIT")
        except BaseException:
            self._end(connection, "ROLLBACK")
            with self._marks_lock:
                self._marks.update(marks)
            self._local.__dict__.pop("handover", None)
            raise
        finally:
            if marks:
                with self._marks_lock:
                    for row_id in marks:
                        self._carried.pop(row_id, None)

    @contextmanager
    def batched(self) -> Iterator[_Batch]:
        """Group commit for a run of this thread's units (a channel's queued envelopes): the
        first unit that writes begins a transaction, and it and the units after it are
        savepoints of that transaction until `commit()`. They share one BEGIN and COMMIT, and
        the pages they all touch (the outbox's, the event ids') are written to the WAL once
        instead of once each: a burst costs about a sixth less CPU per event. The units still
        roll back one by one. The caller commits between units when `due()` says another
        thread waits for the write lock (a sender's delivered mark, another channel), and at
        the end; what is not committed when the block ends is committed then, or rolled back
        if the block raised."""
        state = self._local.__dict__
        batch = state["batch"] = _Batch(self)
        try:
            yield batch
            batch.commit()
        finally:
            del state["batch"]
            self._roll_back_batch()

    def _commit_batch(self) -> bool:
        """Commit this thread's batch, if it began a transaction; False (nothing done) while
        one of its units is still running."""
        state = self._local.__dict__
        connection = state.get("open")
        if connection is None:
            return True
        reading = state.get("batch_reading", False) and state.get("depth") == 1
        if state.get("depth", 0) and not reading:
            return False
        try:
            self._commit(connection)
            self._hand_over(state)
        finally:
            del state["open"]
            self._writer.release()
        if reading:  # a read-only command goes on reading, on a snapshot of its own
            self._begin_reading(connection)
            state["reading"] = True
        return True

    def _roll_back_batch(self) -> None:
        """What a batch left uncommitted when it failed."""
        state = self._local.__dict__
        connection = state.pop("open", None)
        if connection is None:
            return
        try:
            self._end(connection, "ROLLBACK")
        finally:
            state.pop("handover", None)
            self._writer.release()

    @property
    def _others_waiting(self) -> bool:
        return self._waiting > 0

    def _savepoint(self, state: dict[str, Any], depth: int) -> Iterator[None]:
        name = f"unit{depth}"
        connection = self._connection()
        self._plain(connection, f"SAVEPOINT {name}")
        state["depth"] = depth
        try:
            yield
        except BaseException:
            self._plain(connection, f"ROLLBACK TO {name}")
            self._plain(connection, f"RELEASE {name}")
            if "handover" in state:  # the savepoint rolled back: so did its rows
                state["handover"].forget_from(depth)
            raise
        else:
            self._plain(connection, f"RELEASE {name}")
            if "handover" in state:
                state["handover"].keep_from(depth)
        finally:
            state["depth"] = depth - 1

    @staticmethod
    def _hand_over(state: dict[str, Any]) -> None:
        handover: _Handover | None = state.pop("handover", None)
        if handover is None:
            return
        if handover.rows:
            handover.sender.accept([row for _, row in handover.rows])
        if handover.unleased:
            handover.sender.wake()

    def _handover(self, sender: _Sender) -> _Handover:
        state = self._local.__dict__
        handover = state.get("handover")
        if handover is None or handover.sender is not sender:
            handover = state["handover"] = _Handover(sender)
        return cast(_Handover, handover)

    def transaction(self) -> AbstractContextManager[None]:
        return self._unit()

    @contextmanager
    def reading(self) -> Iterator[None]:
        """A unit that only reads: one snapshot and no write lock, so a command that answers
        (`who`) neither waits for the writers nor holds them up, and the outbox's delivered
        marks, which wait for the write lock, do not wait for it. Inside a unit it is part of
        that unit. A write inside is a bug: PostgreSQL refuses it (READ ONLY); on SQLite it is
        rolled back and raises ReadOnlyViolation (`PRAGMA query_only` would do it too, but
        switching it re-prepares every cached statement: 4x the cost of each)."""
        state = self._local.__dict__
        if state.get("depth", 0):
            yield
            return
        if state.get("open") is not None:
            yield from self._reading_in_batch(state)
            return
        connection = self._connection()
        changes = 0 if self._postgres else connection.total_changes
        self._begin_reading(connection)
        state["depth"] = 1
        state["reading"] = True
        try:
            yield
        finally:
            state["depth"] = 0
            state["reading"] = False
            self._end(connection, "ROLLBACK")
        if not self._postgres and connection.total_changes != changes:
            raise ReadOnlyViolation("a read-only unit wrote; what it wrote was rolled back")

    def _begin_reading(self, connection: Any) -> None:
        self._plain(
            connection,
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" if self._postgres else "BEGIN",
        )

    def _reading_in_batch(self, state: dict[str, Any]) -> Iterator[None]:
        """Reads the batch's transaction, what it did included. If the batch commits in the
        middle (before a Web API call), the rest reads a new snapshot, without the lock."""
        state["depth"] = 1
        state["batch_reading"] = True
        try:
            yield
        finally:
            state["depth"] = 0
            state["batch_reading"] = False
            if state.get("reading"):  # the snapshot begun after the batch committed
                state["reading"] = False
                self._end(self._connection(), "ROLLBACK")

    def _get_rotation(self, rotation_id: int) -> Rotation:
        query = RotationRow.select().where(RotationRow.id == rotation_id)
        return _rotation_from_tuple(cast(tuple[Any, ...], query.tuples().get()))

    def find(self, channel: str, name: str) -> Rotation | None:
        row = self._run(_FIND, channel, name_key(name)).fetchone()
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
        self._execute(_CLEAR_STAND_IN, (rotation.id,))
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

    def find_named(self, channels: Collection[str] | None, name: str) -> list[Rotation]:
        """By the name index, then the channels: few channels share a rotation name."""
        query = RotationRow.select().where(RotationRow.name_key == name_key(name))
        rotations = [_rotation_from_tuple(cast(tuple[Any, ...], r)) for r in query.tuples()]
        return [r for r in rotations if channels is None or r.channel in channels]

    def list_rotations_in(
        self, channels: Collection[str] | None, limit: int
    ) -> tuple[list[Rotation], int]:
        query = RotationRow.select()
        if channels is not None:
            query = query.where(RotationRow.channel.in_(sorted(channels)))
        total = query.count()
        rows = query.order_by(RotationRow.created_at.desc(), RotationRow.id.desc()).limit(limit)
        return [_rotation_from_tuple(cast(tuple[Any, ...], r)) for r in rows.tuples()], total

    def find_linked(self, channel: str, name: str) -> list[Rotation]:
        cursor = self._execute(_FIND_LINKED, (channel, name_key(name)))
        return [_rotation_from_tuple(row) for row in cursor.fetchall()]

    def find_here(self, channel: str, name: str) -> tuple[Rotation | None, list[Rotation]]:
        rows = self._execute(_FIND_HERE, (channel, name_key(name))).fetchall()
        own = [_rotation_from_tuple(row[:-1]) for row in rows if row[-1]]
        return (own[0] if own else None), [_rotation_from_tuple(r[:-1]) for r in rows if not r[-1]]

    def linked_rotations(self, channel: str, limit: int) -> tuple[list[Rotation], int]:
        cursor = self._execute(_LINKED_ROTATIONS, (channel, limit))
        total = LinkRow.select().where(LinkRow.channel == channel).count()
        return [_rotation_from_tuple(row) for row in cursor.fetchall()], total

    def linked_channels(self, rotation: Rotation) -> list[str]:
        query = (
            LinkRow.select(LinkRow.channel)
            .where(LinkRow.rotation == rotation.id)
            .order_by(LinkRow.linked_at, LinkRow.channel)
        )
        return [rotation.channel, *(row.channel for row in query)]

    def link(self, rotation: Rotation, channel: str, user: str, now: datetime) -> bool:
        cursor = self._execute(
            "INSERT INTO link (channel, rotation_id, linked_by, linked_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (channel, rotation.id, user, LinkRow.linked_at.db_value(to_db(now))),
        )
        return cursor.rowcount == 1

    def unlink(self, rotation: Rotation, channel: str) -> bool:
        query = LinkRow.delete().where(
            (LinkRow.channel == channel) & (LinkRow.rotation == rotation.id)
        )
        return bool(query.execute())

    def member_at(self, rotation: Rotation, position: int) -> Member:
        ref, kind, label = self._run(_MEMBER_AT, rotation.id, position).fetchone()
        return Member(ref, MemberKind(kind), label)

    def members_from(self, rotation: Rotation, position: int, count: int) -> dict[int, Member]:
        total = rotation.member_count
        last = min(position + count, total) - 1
        wrapped = min(position, max(0, position + count - total))
        rows = self._execute(_MEMBERS_FROM, (rotation.id, position, last, wrapped)).fetchall()
        return {at: Member(ref, MemberKind(kind), label) for at, ref, kind, label in rows}

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
        self._run(_SET_DUTY, position, rotation.id)
        self._execute(_CLEAR_STAND_IN, (rotation.id,))

    def mark_duty_since(self, rotation_ids: Collection[int], now: datetime) -> None:
        for rotation_id in rotation_ids:  # one, but for a swap's two
            self._run(_SET_DUTY_SINCE, to_db(now), rotation_id)

    # ------------------------------------------------------------------ App Home
    def record_home_opened(self, user: str, now: datetime) -> None:
        HomeUserRow.insert(user=user, opened_at=to_db(now)).on_conflict(
            conflict_target=[HomeUserRow.user], preserve=[HomeUserRow.opened_at]
        ).execute()

    def home_users(self, users: Collection[str]) -> set[str]:
        """In plain SQL: every rotate, assign and away asks it."""
        wanted = list(dict.fromkeys(users))
        found: set[str] = set()
        for start in range(0, len(wanted), _PARAMETERS):
            batch = wanted[start : start + _PARAMETERS]
            sql = _HOME_USERS.format(", ".join("?" * len(batch)))
            found.update(row[0] for row in self._execute(sql, batch).fetchall())
        return found

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """A read transaction (BEGIN DEFERRED: no write lock), so a view built from many
        reads sees one committed state; Slack calls inside it block no writer. (PostgreSQL:
        repeatable read, whose snapshot is the first read's, as SQLite's is.)"""
        connection = self._connection()
        self._plain(
            connection, "BEGIN ISOLATION LEVEL REPEATABLE READ" if self._postgres else "BEGIN"
        )
        try:
            yield
        finally:
            self._plain(connection, "COMMIT")

    def rotations_with(self, refs: Collection[str]) -> list[Rotation]:
        ids = MemberRow.select(MemberRow.rotation).where(MemberRow.ref.in_(list(refs))).distinct()
        query = RotationRow.select().where(RotationRow.id.in_(ids)).order_by(RotationRow.id)
        return [_rotation_from_tuple(cast(tuple[Any, ...], r)) for r in query.tuples()]

    def group_refs(self) -> list[str]:
        query = (
            MemberRow.select(MemberRow.ref)
            .where(MemberRow.kind == MemberKind.USERGROUP.value)
            .distinct()
        )
        return [row.ref for row in query]

    # ------------------------------------------------------------------ swaps and overrides

    def rotation_by_id(self, rotation_id: int) -> Rotation | None:
        query = RotationRow.select().where(RotationRow.id == rotation_id).tuples()
        row = query.first()
        return _rotation_from_tuple(cast(tuple[Any, ...], row)) if row else None

    def stand_in(self, rotation: Rotation) -> Member | None:
        row = self._execute(_STAND_IN, (rotation.id,)).fetchone()
        return Member(row[0], MemberKind(row[1]), row[2]) if row else None

    def overrides(self, rotation: Rotation) -> dict[datetime, Member]:
        rows = self._execute(_OVERRIDES, (rotation.id,)).fetchall()
        return {
            from_db(_datetime(start)): Member(ref, MemberKind(kind), label)
            for start, ref, kind, label in rows
        }

    def add_override(self, rotation: Rotation, start: datetime | None, member: Member) -> None:
        when = None if start is None else to_db(start)
        self._execute(
            "DELETE FROM shift_override WHERE rotation_id = ? AND shift_start IS ?",
            (rotation.id, when),
        )
        self._execute(
            "INSERT INTO shift_override (rotation_id, shift_start, ref, kind, label)"
            " VALUES (?, ?, ?, ?, ?)",
            (rotation.id, when, member.ref, member.kind.value, member.label),
        )

    def start_override(self, rotation: Rotation, now: datetime) -> Member | None:
        started = self._execute(
            "SELECT ref, kind, label FROM shift_override WHERE rotation_id = ?"
            " AND shift_start <= ? ORDER BY shift_start DESC LIMIT 1",
            (rotation.id, to_db(now)),
        ).fetchone()
        if started is None:
            return None
        self._execute(
            "DELETE FROM shift_override WHERE rotation_id = ? AND shift_start <= ?",
            (rotation.id, to_db(now)),
        )
        member = Member(started[0], MemberKind(started[1]), started[2])
        self.add_override(rotation, None, member)
        return member

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
    ) -> Swap:
        cursor = self._execute(
            "INSERT INTO swap (rotation_id, shift_start, requester, target, state, stamp,"
            " created_at, expires_at) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?) RETURNING id",
            (
                rotation.id,
                None if start is None else to_db(start),
                requester,
                target,
                stamp,
                to_db(now),
                to_db(expires_at),
            ),
        )
        swap = self.get_swap(cursor.fetchone()[0])
        assert swap is not None
        return swap

    def get_swap(self, swap_id: int) -> Swap | None:
        row = self._execute(f"{_SWAP} WHERE id = ?", (swap_id,)).fetchone()
        return _swap(row) if row else None

    def pending_swap(self, rotation: Rotation, start: datetime | None) -> Swap | None:
        row = self._execute(
            f"{_SWAP} WHERE rotation_id = ? AND shift_start IS ? AND state = 'pending'",
            (rotation.id, None if start is None else to_db(start)),
        ).fetchone()
        return _swap(row) if row else None

    def pending_swaps_on(self, rotation: Rotation, *, held_now: bool) -> list[Swap]:
        held = " AND shift_start IS NULL" if held_now else ""
        rows = self._execute(
            f"{_SWAP} WHERE rotation_id = ? AND state = 'pending'{held} ORDER BY id",
            (rotation.id,),
        ).fetchall()
        return [_swap(row) for row in rows]

    def pending_swaps_later(
        self, rotation_ids: Collection[int], members: Collection[str]
    ) -> list[Swap]:
        touched = []
        params: list[object] = []
        if rotation_ids:
            touched.append(f"rotation_id IN ({', '.join('?' * len(rotation_ids))})")
            params += sorted(rotation_ids)
        if members:
            touched.append(
                "rotation_id IN (SELECT rotation_id FROM member WHERE ref IN "
                f"({', '.join('?' * len(members))}))"
            )
            params += sorted(members)
        if not touched:
            return []
        rows = self._execute(
            f"{_SWAP} WHERE state = 'pending' AND shift_start IS NOT NULL"
            f" AND ({' OR '.join(touched)}) ORDER BY id",
            params,
        ).fetchall()
        return [_swap(row) for row in rows]

    def pending_swaps_of(self, user: str) -> list[Swap]:
        rows = self._execute(
            f"{_SWAP} WHERE state = 'pending' AND (requester = ? OR target = ?) ORDER BY id",
            (user, user),
        ).fetchall()
        return [_swap(row) for row in rows]

    def answer_swap(self, swap_id: int, state: SwapState, now: datetime) -> bool:
        return bool(
            self._execute(
                "UPDATE swap SET state = ?, answered_at = ? WHERE id = ? AND state = 'pending'",
                (state.value, to_db(now), swap_id),
            ).rowcount
        )

    def expire_swaps(self, now: datetime) -> list[Swap]:
        rows = self._execute(
            f"{_SWAP} WHERE state = 'pending' AND expires_at <= ? ORDER BY id", (to_db(now),)
        ).fetchall()
        self._execute(
            "UPDATE swap SET state = 'expired', answered_at = ?"
            " WHERE state = 'pending' AND expires_at <= ?",
            (to_db(now), to_db(now)),
        )
        return [replace(_swap(row), state=SwapState.EXPIRED) for row in rows]

    # ------------------------------------------------------------------ availability
    def away_periods(self, users: Collection[str], ending_from: date) -> list[AwayPeriod]:
        wanted = list(dict.fromkeys(users))
        periods: list[AwayPeriod] = []
        for start in range(0, len(wanted), _PARAMETERS):
            batch = wanted[start : start + _PARAMETERS]
            sql = _AWAY.format(", ".join("?" * len(batch)))
            rows = self._execute(sql, (ending_from.isoformat(), *batch)).fetchall()
            periods += [
                AwayPeriod(id_, user, _date(first), _date(last), note)
                for id_, user, first, last, note in rows
            ]
        return periods

    def add_away(self, user: str, start: date, end: date, note: str | None = None) -> AwayPeriod:
        row = AwayRow.create(user=user, start_date=start, end_date=end, note=note)
        return AwayPeriod(row.id, user, start, end, note)

    def set_away_end(self, period_id: int, end: date) -> None:
        AwayRow.update(end_date=end).where(AwayRow.id == period_id).execute()

    def delete_away(self, period_ids: Collection[int]) -> None:
        AwayRow.delete().where(AwayRow.id.in_(list(period_ids))).execute()

    def forget_away_before(self, user: str, day: date) -> None:
        AwayRow.delete().where((AwayRow.user == user) & (AwayRow.end_date < day)).execute()

    def record_event(self, event_id: str, now: datetime) -> bool:
        return bool(self._execute(_RECORD_EVENT, (event_id, to_db(now))).rowcount)

    def welcomed_at(self, channel: str) -> datetime | None:
        row = WelcomeRow.get_or_none(WelcomeRow.channel == channel)
        return from_db(row.welcomed_at) if row else None

    def record_welcome(self, channel: str, now: datetime) -> None:
        WelcomeRow.insert(channel=channel, welcomed_at=to_db(now)).on_conflict(
            conflict_target=[WelcomeRow.channel], preserve=[WelcomeRow.welcomed_at]
        ).execute()

    # ------------------------------------------------------------------ notifications
    def personal_off(self, users: Collection[str]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        wanted = list(dict.fromkeys(users))
        for start in range(0, len(wanted), _PARAMETERS):
            query = PersonalOffRow.select().where(
                PersonalOffRow.user.in_(wanted[start : start + _PARAMETERS])
            )
            for row in query:
                found.setdefault(row.user, set()).add(row.type)
        return found

    def set_personal(self, user: str, kind: str, enabled: bool) -> None:
        if enabled:
            PersonalOffRow.delete().where(
                (PersonalOffRow.user == user) & (PersonalOffRow.type == kind)
            ).execute()
        else:
            PersonalOffRow.insert(user=user, type=kind).on_conflict_ignore().execute()

    def remind_hours(self) -> dict[str, int]:
        return {row.user: row.hours for row in RemindRow.select()}

    def set_remind_hours(self, user: str, hours: int) -> None:
        RemindRow.insert(user=user, hours=hours).on_conflict(
            conflict_target=[RemindRow.user], preserve=[RemindRow.hours]
        ).execute()

    def channel_off(self, rotation: Rotation) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for row in ChannelOffRow.select().where(ChannelOffRow.rotation == rotation.id):
            found.setdefault(row.channel, set()).add(row.type)
        return found

    def set_channel(self, channel: str, rotation: Rotation, kind: str, enabled: bool) -> None:
        if enabled:
            ChannelOffRow.delete().where(
                (ChannelOffRow.channel == channel)
                & (ChannelOffRow.rotation == rotation.id)
                & (ChannelOffRow.type == kind)
            ).execute()
        else:
            ChannelOffRow.insert(
                channel=channel, rotation=rotation.id, type=kind
            ).on_conflict_ignore().execute()

    def claim_sent(self, key: str, due_at: datetime) -> bool:
        cursor = self._execute(
            "INSERT INTO notification_sent (key, due_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (key, to_db(due_at)),
        )
        return cursor.rowcount == 1

    def claim_period(self, job: str, every: timedelta, now: datetime) -> bool:
        """A periodic job's run in the period (of length `every`, counted from the epoch)
        that `now` falls in: recorded beside the sent notifications, whose pruning forgets
        it a day later."""
        period = int(now.timestamp() // every.total_seconds())
        with self._unit():
            return self.claim_sent(f"job:{job}:{period}", now)

    def forget_sent_before(self, cutoff: datetime) -> int:
        with self._unit():
            return int(SentRow.delete().where(SentRow.due_at < to_db(cutoff)).execute())

    def enqueue(self, messages: Sequence[Outgoing], now: datetime) -> None:
        """With a sender attached, a row is leased to it at once unless another pending row
        of its channel is not the sender's: then the sender claims the channel in order."""
        sender = self._sender
        unleased = False
        for message in messages:
            values = (message.channel, message.kind, message.reply.to_json(), message.thread_ts)
            if sender is None:
                self._execute(_ENQUEUE_UNLEASED, (*values, to_db(now)))
                unleased = True
                continue
            row_id, owner = self._execute(
                _ENQUEUE, (sender.owner, *values, to_db(now), to_db(now + sender.lease))
            ).fetchone()
            lease = owner is not None
            unleased = unleased or not lease
            handover = self._handover(sender)
            if lease:
                handover.add(
                    self._local.depth,
                    OutboxRow(
                        row_id,
                        message.channel,
                        message.kind,
                        message.reply,
                        message.thread_ts,
                        0,
                        0,
                    ),
                )
            else:
                handover.unleased = True
        if unleased and self._postgres:  # delivered on commit: other replicas' senders wake
            self._execute(f"NOTIFY {OUTBOX_CHANNEL}")

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

    def rotation_schedules(self, channel: str, rotation_key: str) -> list[Schedule]:
        cursor = self._run(_ROTATION_SCHEDULES, channel, rotation_key)
        return [_schedule(ScheduleRow(**_columns(cursor, row))) for row in cursor.fetchall()]

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

    def forget_events_before(self, cutoff: datetime) -> int:
        """Slack stops redelivering after minutes; a day of ids is plenty."""
        with self._unit():
            return int(
                ProcessedEventRow.delete()
                .where(ProcessedEventRow.received_at < to_db(cutoff))
                .execute()
            )

    # ------------------------------------------------------------------ outbox
    def _write(self, sql: str, *params: object) -> tuple[list[tuple[Any, ...]], int]:
        """Run one statement in its own unit; RETURNING rows are read before the commit."""
        with self._unit():
            cursor = self._execute(sql, params)
            rows = cursor.fetchall() if cursor.description else []  # psycopg2: none to fetch
            return rows, cursor.rowcount

    def _changed(self, sql: str, *params: object) -> int:
        return self._write(sql, *params)[1]

    def claim(self, owner: str, now: datetime, until: datetime, limit: int) -> list[OutboxRow]:
        with self._unit():
            lock = " FOR UPDATE OF o SKIP LOCKED" if self._postgres else ""
            claim = _CLAIM.format(lock=lock)
            cursor = self._execute(claim, (owner, to_db(now), to_db(until), limit))
            rows = sorted(
                (
                    OutboxRow(id_, channel, kind, Reply.from_json(reply), thread_ts, sent, tries)
                    for id_, channel, kind, reply, thread_ts, sent, tries in cursor.fetchall()
                ),
                key=lambda row: row.id,
            )
            sender = self._sender
            if sender is not None and sender.owner == owner:
                for row in rows:
                    self._handover(sender).add(self._local.depth, row)
        return rows

    def has_claimable(self, owner: str, now: datetime) -> bool:
        self._connection()
        return bool(self._execute(_HAS_CLAIMABLE, (owner, to_db(now))).fetchone()[0])

    def renew(self, owner: str, until: datetime) -> set[int]:
        rows, _ = self._write(
            "UPDATE outbox SET lease_until = ? WHERE lease_owner = ? AND state = 'pending' "
            "RETURNING id",
            to_db(until),
            owner,
        )
        return {row[0] for row in rows}

    def release(self, owner: str) -> int:
        return self._changed(
            "UPDATE outbox SET lease_owner = NULL, lease_until = NULL "
            "WHERE lease_owner = ? AND state = 'pending'",
            owner,
        )

    def lease_owners(self) -> set[str]:
        self._connection()
        cursor = self._execute(
            "SELECT DISTINCT lease_owner FROM outbox "
            "WHERE state = 'pending' AND lease_owner IS NOT NULL"
        )
        return {row[0] for row in cursor.fetchall()}

    def record_delivered(self, row_id: int, owner: str, now: datetime) -> None:
        """Slack accepted the row. The mark rides on the next transaction this process
        commits (a command's, usually), so it costs no transaction of its own and does not
        compete with the next command for the write lock; flush_delivered() commits it now."""
        with self._marks_lock:
            self._marks[row_id] = (owner, now)

    def delivery_unrecorded(self, row_id: int) -> bool:
        with self._marks_lock:
            return row_id in self._marks or row_id in self._carried

    def flush_delivered(self) -> None:
        """Commit the marks. One that another transaction carries is committed (or given
        back) by the time this one has the write lock: then there may be nothing left to do."""
        self._acquire_writer()
        try:
            with self._marks_lock:
                if not self._marks:
                    return
            with self._unit():
                pass  # the unit writes the marks
        finally:
            self._writer.release()

    def _take_marks(self) -> dict[int, tuple[str, datetime]]:
        """The marks the outermost unit takes along into its commit."""
        with self._marks_lock:
            marks, self._marks = self._marks, {}
            self._carried.update(marks)
        return marks

    def _write_marks(self, marks: dict[int, tuple[str, datetime]]) -> None:
        lost = [
            row_id
            for row_id, (owner, when) in marks.items()
            if not self._execute(
                "UPDATE outbox SET state = 'delivered', delivered_at = ?, lease_owner = NULL, "
                f"lease_until = NULL WHERE {_HELD}",
                (to_db(when), row_id, owner),
            ).rowcount
        ]
        if lost:
            log.warning(
                "outbox rows %s were taken over while they were posted; they may appear twice",
                lost,
            )

    def record_progress(self, row_id: int, owner: str, sent: int) -> bool:
        return bool(self._changed(f"UPDATE outbox SET sent = ? WHERE {_HELD}", sent, row_id, owner))

    def record_attempt(self, row_id: int, owner: str, sent: int, error: str) -> bool:
        return bool(
            self._changed(
                f"UPDATE outbox SET sent = ?, attempts = attempts + 1, error = ? WHERE {_HELD}",
                sent,
                error,
                row_id,
                owner,
            )
        )

    def record_failed(self, row_id: int, owner: str, sent: int, error: str) -> bool:
        return bool(
            self._changed(
                "UPDATE outbox SET state = 'failed', sent = ?, attempts = attempts + 1, "
                f"error = ?, lease_owner = NULL, lease_until = NULL WHERE {_HELD}",
                sent,
                error,
                row_id,
                owner,
            )
        )

    def prune_delivered(self, before: datetime) -> int:
        return self._changed(
            "DELETE FROM outbox WHERE state = 'delivered' AND delivered_at < ?", to_db(before)
        )

    def undelivered(self) -> list[OutboxEntry]:
        entries = []
        self._connection()
        for state in ("pending", "failed"):
            query = (
                OutboxMessageRow.select()
                .where(OutboxMessageRow.state == state)
                .order_by(OutboxMessageRow.id)
            )
            entries += [
                OutboxEntry(
                    row.id,
                    row.channel,
                    row.kind,
                    row.state,
                    from_db(row.created_at),
                    row.attempts,
                    row.error,
                )
                for row in query
            ]
        return sorted(entries, key=lambda entry: entry.id)

    def retry_failed(self) -> int:
        with self._unit():
            retried = self._changed(
                "UPDATE outbox SET state = 'pending', attempts = 0, error = NULL"
                " WHERE state = 'failed'"
            )
            if retried and self._postgres:
                self._execute(f"NOTIFY {OUTBOX_CHANNEL}")
        return retried


EVENT_RETENTION = timedelta(days=1)
OUTBOX_RETENTION = timedelta(days=7)
