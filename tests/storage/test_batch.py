"""Group commit: a run of units in one transaction, committed together, rolled back one by one."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.model import Outgoing, Reply
from bot.storage.repository import PeeweeRepository

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=15)

pytestmark = pytest.mark.both_engines


def _command(repo: PeeweeRepository, event_id: str) -> bool:
    """What a command's unit does: record its event, queue its reply (to a channel named
    after the event, so that the rows tell which command queued them)."""
    with repo.transaction():
        if not repo.record_event(event_id, NOW):
            return False
        repo.enqueue([Outgoing(f"C-{event_id}", Reply.of("the reply"))], NOW)
        return True


def _in_thread(work: object) -> threading.Thread:
    thread = threading.Thread(target=work, daemon=True)  # type: ignore[arg-type]
    thread.start()
    return thread


def _visible(repo: PeeweeRepository) -> list[str]:
    """The replies another thread (another connection) sees committed: their events."""
    seen: list[str] = []
    _in_thread(lambda: seen.extend(e.channel[2:] for e in repo.undelivered())).join(10)
    return seen


def test_units_commit_together_and_their_rows_are_handed_over_in_order(
    repo: PeeweeRepository,
) -> None:
    accepted: list[list[str]] = []
    repo.attach("me", LEASE, lambda rows: accepted.append([r.channel[2:] for r in rows]), list)
    with repo.batched() as batch:
        assert _command(repo, "Ev1") and _command(repo, "Ev2")
        assert not _command(repo, "Ev1")  # a redelivery in the same batch finds its event
        with repo.reading():  # a read sees what the batch did
            assert [e.channel for e in repo.undelivered()] == ["C-Ev1", "C-Ev2"]
        assert _visible(repo) == [] and accepted == []  # nothing committed yet
        assert batch.commit()
        assert _visible(repo) == ["Ev1", "Ev2"]
        assert accepted == [["Ev1", "Ev2"]]
        assert _command(repo, "Ev3")
    # the rest is committed when the batch ends
    assert _visible(repo)[-1] == "Ev3"
    assert accepted[-1] == ["Ev3"]


def test_a_unit_that_fails_rolls_back_alone(repo: PeeweeRepository) -> None:
    accepted: list[str] = []
    repo.attach("me", LEASE, lambda rows: accepted.extend(r.channel[2:] for r in rows), list)
    with repo.batched():
        assert _command(repo, "Ev1")
        with pytest.raises(RuntimeError), repo.transaction():
            repo.record_event("Ev2", NOW)
            repo.enqueue([Outgoing("C1", Reply.of("lost"))], NOW)
            raise RuntimeError("the command failed")
        assert _command(repo, "Ev3")
    assert _visible(repo) == ["Ev1", "Ev3"]
    assert accepted == ["Ev1", "Ev3"]
    assert _command(repo, "Ev2")  # its event was rolled back with it


def test_the_first_unit_failing_rolls_back_alone(repo: PeeweeRepository) -> None:
    """The first unit begins the batch's transaction (no savepoint): failing, it ends it."""
    accepted: list[str] = []
    repo.attach("me", LEASE, lambda rows: accepted.extend(r.channel[2:] for r in rows), list)
    with repo.batched() as batch:
        with pytest.raises(RuntimeError), repo.transaction():
            repo.record_event("Ev1", NOW)
            raise RuntimeError("the command failed")
        assert not batch.due()
        assert _command(repo, "Ev2") and _command(repo, "Ev1")
    assert _visible(repo) == ["Ev2", "Ev1"] and accepted == ["Ev2", "Ev1"]


def test_a_batch_that_raises_is_rolled_back_and_frees_the_write_lock(
    repo: PeeweeRepository,
) -> None:
    accepted: list[str] = []
    repo.attach("me", LEASE, lambda rows: accepted.extend(r.channel[2:] for r in rows), list)
    with pytest.raises(RuntimeError), repo.batched():
        _command(repo, "Ev1")
        raise RuntimeError("the connection to Slack broke")
    other = _in_thread(lambda: _command(repo, "Ev2"))
    other.join(10)
    assert not other.is_alive()
    assert _visible(repo) == ["Ev2"] and accepted == ["Ev2"]


def test_it_is_due_when_another_thread_waits_and_commits_only_between_units(
    repo: PeeweeRepository,
) -> None:
    with repo.batched() as batch:
        assert batch.commit()  # nothing to commit yet
        _command(repo, "Ev1")
        assert not batch.due()
        other = _in_thread(lambda: _command(repo, "Ev2"))
        for _ in range(1000):  # the other thread reaches the write lock and waits
            if batch.due():
                break
            threading.Event().wait(0.01)
        assert batch.due() and other.is_alive()
        with repo.transaction():
            assert not batch.commit()  # inside a unit: not now
        assert batch.commit()
        other.join(10)
        assert not other.is_alive() and not batch.due()
    assert sorted(_visible(repo)) == ["Ev1", "Ev2"]


def test_delivered_marks_ride_on_the_batch_commit(repo: PeeweeRepository) -> None:
    accepted: list[int] = []
    repo.attach("me", LEASE, lambda rows: accepted.extend(r.id for r in rows), list)
    _command(repo, "Ev1")
    (row_id,) = accepted
    with repo.batched() as batch:
        _command(repo, "Ev2")
        repo.record_delivered(row_id, "me", NOW)
        assert repo.delivery_unrecorded(row_id)
        assert batch.commit()
    assert not repo.delivery_unrecorded(row_id)
    assert _visible(repo) == ["Ev2"]  # Ev1's row is delivered


def test_a_read_only_unit_in_a_batch_may_commit_it_and_reads_on_without_the_lock(
    repo: PeeweeRepository,
) -> None:
    """Before a Web API call inside a read-only command (a lookup), the batch commits; the
    command goes on reading on a snapshot of its own."""
    repo.attach("me", LEASE, list, list)
    with repo.batched() as batch:
        _command(repo, "Ev1")
        with repo.reading():
            assert [e.channel for e in repo.undelivered()] == ["C-Ev1"]
            with repo.transaction():
                assert not batch.commit()  # a unit that may write: not now
            assert batch.commit()
            other = _in_thread(lambda: _command(repo, "Ev2"))
            other.join(10)
            assert not other.is_alive()  # the write lock was free
            assert [e.channel for e in repo.undelivered()] in (["C-Ev1"], ["C-Ev1", "C-Ev2"])
        assert _command(repo, "Ev3")
    assert _visible(repo) == ["Ev1", "Ev2", "Ev3"]
