"""The outbox table: rows commit with their change, one sender per channel, leases, upgrades."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.model import Outgoing, Reply
from bot.storage.db import migrate, open_database
from bot.storage.repository import PeeweeRepository

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=15)


pytestmark = pytest.mark.both_engines


def _queue(repo: PeeweeRepository, *channels: str) -> None:
    with repo.transaction():
        repo.enqueue([Outgoing(c, Reply.of(f"to {c}")) for c in channels], NOW)


def _claim(repo: PeeweeRepository, owner: str, now: datetime = NOW) -> list[tuple[int, str]]:
    return [(row.id, row.channel) for row in repo.claim(owner, now, now + LEASE, 100)]


def test_rows_commit_with_the_change_or_not_at_all(repo: PeeweeRepository) -> None:
    accepted: list[list[int]] = []
    woken: list[bool] = []
    repo.attach(
        "me", LEASE, lambda rows: accepted.append([r.id for r in rows]), lambda: woken.append(True)
    )
    with pytest.raises(RuntimeError), repo.transaction():
        repo.enqueue([Outgoing("C1", Reply.of("lost"))], NOW)
        raise RuntimeError("the command failed")
    assert repo.undelivered() == [] and accepted == []
    with repo.transaction():
        with pytest.raises(RuntimeError), repo.transaction():  # a savepoint rolls back
            repo.enqueue([Outgoing("C1", Reply.of("lost too"))], NOW)
            raise RuntimeError("the command failed")
        with repo.transaction():  # nested: handed over after the outermost commit
            repo.enqueue([Outgoing("C1", Reply.of("kept")), Outgoing("C2", Reply.of("x"))], NOW)
        assert accepted == []
    # Ids in commit order (PostgreSQL does not reuse the ids rolled back rows had).
    entries = repo.undelivered()
    assert [e.channel for e in entries] == ["C1", "C2"] and entries[0].id < entries[1].id
    assert accepted == [[e.id for e in entries]] and woken == []  # leased to "me" already
    assert repo.lease_owners() == {"me"}


def test_a_row_waits_its_turn_behind_a_row_that_is_not_ours(repo: PeeweeRepository) -> None:
    _queue(repo, "C1")  # queued by a process without a sender (no lease)
    accepted: list[int] = []
    woken: list[bool] = []
    repo.attach(
        "me", LEASE, lambda rows: accepted.extend(r.id for r in rows), lambda: woken.append(True)
    )
    _queue(repo, "C1", "C2")
    assert accepted == [3] and woken == [True]  # C1 is claimed in order, by a claim
    assert _claim(repo, "me") == [(1, "C1"), (2, "C1")]
    assert accepted == [3, 1, 2]
    repo.detach()
    _queue(repo, "C3")
    assert accepted == [3, 1, 2]


def test_one_sender_per_channel_in_commit_order(repo: PeeweeRepository) -> None:
    _queue(repo, "C1", "C2", "C1")
    assert _claim(repo, "a") == [(1, "C1"), (2, "C2"), (3, "C1")]
    _queue(repo, "C1", "C3")
    # b may not take C1 while a holds a pending row of it; C3 is free
    assert repo.has_claimable("b", NOW)
    assert _claim(repo, "b") == [(5, "C3")]
    assert _claim(repo, "a") == [(4, "C1")]
    repo.record_delivered(1, "a", NOW)
    assert repo.delivery_unrecorded(1)
    _queue(repo, "C4")  # the next transaction takes the mark along
    assert not repo.delivery_unrecorded(1)
    repo.record_delivered(5, "a", NOW)  # only the owner records a row: b still holds 5
    repo.record_delivered(3, "a", NOW)
    repo.record_delivered(4, "a", NOW)
    repo.flush_delivered()
    assert [(e.id, e.channel) for e in repo.undelivered()] == [(2, "C2"), (5, "C3"), (6, "C4")]
    _queue(repo, "C1")  # a is done with C1: b may take it now
    assert _claim(repo, "b") == [(6, "C4"), (7, "C1")]
    assert not repo.has_claimable("a", NOW)


def test_an_expired_lease_is_taken_over_and_a_renewed_one_is_not(
    repo: PeeweeRepository,
) -> None:
    _queue(repo, "C1", "C1", "C2")
    assert len(_claim(repo, "dead")) == 3
    assert repo.renew("dead", NOW + timedelta(seconds=30)) == {1, 2, 3}
    assert _claim(repo, "b", NOW + timedelta(seconds=20)) == []
    later = NOW + timedelta(seconds=31)
    assert repo.has_claimable("b", later)
    assert _claim(repo, "b", later) == [(1, "C1"), (2, "C1"), (3, "C2")]
    assert repo.renew("dead", later + LEASE) == set()
    assert repo.lease_owners() == {"b"}
    assert repo.release("b") == 3 and repo.lease_owners() == set()


def test_progress_failures_retry_and_pruning(repo: PeeweeRepository) -> None:
    _queue(repo, "C1", "C2", "C3")
    _claim(repo, "a")
    assert repo.record_progress(1, "a", 1)
    assert repo.record_attempt(1, "a", 1, "ratelimited")
    assert repo.record_failed(2, "a", 0, "channel_not_found")
    repo.record_delivered(3, "a", NOW)
    repo.flush_delivered()
    entries = repo.undelivered()
    assert [(e.id, e.state, e.attempts, e.error) for e in entries] == [
        (1, "pending", 1, "ratelimited"),
        (2, "failed", 1, "channel_not_found"),
    ]
    assert repo.prune_delivered(NOW) == 0
    assert repo.prune_delivered(NOW + timedelta(seconds=1)) == 1
    assert repo.retry_failed() == 1
    assert _claim(repo, "b") == [(2, "C2")]  # a failed row has no lease left
    (row,) = [r for r in repo.undelivered() if r.id == 2]
    assert (row.state, row.attempts, row.error) == ("pending", 0, None)


def test_upgrading_moves_unposted_scheduled_replies_into_the_outbox(tmp_path: Path) -> None:
    from playhouse.migrations import Runner

    from bot.storage.db import MIGRATIONS

    db = open_database(tmp_path / "old.db")
    with db.connection_context():
        Runner(db, str(MIGRATIONS)).up(target="0003_schedule_zone")
        rows = [
            (
                "schedule:1:x",
                "2026-01-01 00:00:01",
                Reply.of("notice\freply").to_json(),
                None,
                "C1",
            ),
            ("schedule:2:x", "2026-01-01 00:00:02", Reply.of("posted").to_json(), "x", "C1"),
            ("Ev1", "2026-01-01 00:00:03", Reply.of("slack redelivers").to_json(), None, "C1"),
        ]
        for row in rows:
            db.execute_sql(
                "INSERT INTO processed_event (event_id, received_at, reply, delivered_at, channel)"
                " VALUES (?, ?, ?, ?, ?)",
                row,
            )
    assert migrate(db)[:2] == ["0004_plain_names", "0005_outbox"]
    repo = PeeweeRepository(db)
    (row,) = repo.claim("a", NOW, NOW + LEASE, 10)
    assert (row.channel, row.reply) == ("C1", Reply.of("notice\freply"))
    with repo.transaction():
        assert not repo.record_event("schedule:1:x", NOW) and not repo.record_event("Ev1", NOW)
