"""The outbox sender on a real SQLite file, with a fake Slack: order, parallelism, errors."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.home import HOME_KINDS, home_update
from bot.core.model import Member, Outgoing, Reply
from bot.core.notifications import SHIFT_STARTING, footer, kind_of
from bot.core.ports import OutboxRow
from bot.slack.outbound import SlackDeliveryError, UndeliverableError
from bot.slack.sender import OutboxSender, gone
from bot.storage.db import migrate, open_database
from bot.storage.repository import PeeweeRepository


def utc_now() -> datetime:
    return datetime.now(UTC)


class FakeSlack:
    """Renders a reply as its \\f-separated parts; each post can be slowed down or fail."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, str]] = []
        self.footers: list[str | None] = []
        self.calls = 0
        self.failures: dict[str, list[Exception | None]] = {}  # None: that call succeeds
        self.latency: dict[str, float] = {}
        self.lock = threading.Lock()

    def render(self, reply: Reply) -> list[str]:
        return reply.render(Member.plain).split("\f")

    def post(self, row: OutboxRow, text: str, *, last: bool) -> None:
        channel = row.channel
        with self.lock:
            self.calls += 1
            queue = self.failures.get(channel)
            failure = queue.pop(0) if queue else None
        time.sleep(self.latency.get(channel, 0.0))
        if failure is not None:
            raise failure
        with self.lock:
            self.posts.append((channel, text))
            self.footers.append(footer(row.kind) if last else None)

    def texts(self, channel: str) -> list[str]:
        with self.lock:
            return [text for c, text in self.posts if c == channel]


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[PeeweeRepository]:
    db = open_database(tmp_path / "a.db")
    migrate(db)
    yield PeeweeRepository(db)
    db.close_all()


@pytest.fixture
def slack() -> FakeSlack:
    return FakeSlack()


@pytest.fixture
def start(repo: PeeweeRepository, slack: FakeSlack) -> Iterator[Callable[..., OutboxSender]]:
    senders: list[OutboxSender] = []

    def _start(**options: object) -> OutboxSender:
        sender = OutboxSender(
            store=repo,
            poster=options.pop("poster", slack),  # type: ignore[arg-type]
            clock=utc_now,
            poll=0.05,
            **options,  # type: ignore[arg-type]
        )
        sender.start()
        senders.append(sender)
        return sender

    yield _start
    for sender in senders:
        sender.stop()


def queue(repo: PeeweeRepository, channel: str, *texts: str) -> None:
    with repo.transaction():
        repo.enqueue([Outgoing(channel, Reply.of(text)) for text in texts], utc_now())


def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_channel_is_served_in_commit_order_and_a_slow_one_holds_up_no_other(
    repo: PeeweeRepository, slack: FakeSlack, start: Callable[..., OutboxSender]
) -> None:
    slack.latency["CSLOW"] = 0.3
    start()
    queue(repo, "CSLOW", "s1", "s2")
    for i in range(20):
        queue(repo, "CFAST", f"f{i}")
    until(lambda: len(slack.texts("CFAST")) == 20, timeout=2)
    assert slack.texts("CFAST") == [f"f{i}" for i in range(20)]
    assert len(slack.texts("CSLOW")) <= 1  # the fast channel did not wait for the slow one
    until(lambda: slack.texts("CSLOW") == ["s1", "s2"])
    until(lambda: repo.undelivered() == [])


def test_a_rate_limited_channel_waits_retry_after_and_others_keep_flowing(
    repo: PeeweeRepository, slack: FakeSlack, start: Callable[..., OutboxSender]
) -> None:
    slack.failures["C1"] = [SlackDeliveryError("ratelimited", retry_after=1.0)]
    start()
    started = time.monotonic()
    queue(repo, "C1", "first", "second")
    until(lambda: slack.calls == 1)
    for i in range(5):
        queue(repo, "C2", f"other {i}")
    until(lambda: len(slack.texts("C2")) == 5, timeout=0.8)
    assert slack.texts("C1") == []
    (pending, _) = repo.undelivered()[:2]
    assert (pending.attempts, pending.error) == (1, "ratelimited")
    until(lambda: slack.texts("C1") == ["first", "second"])
    assert time.monotonic() - started >= 1.0


def test_server_errors_back_off_then_the_message_goes_out_once(
    repo: PeeweeRepository, slack: FakeSlack, start: Callable[..., OutboxSender]
) -> None:
    slack.failures["C1"] = [SlackDeliveryError("internal_error"), SlackDeliveryError("http_503")]
    start()
    queue(repo, "C1", "hello")
    until(lambda: slack.texts("C1") == ["hello"], timeout=8)
    assert slack.calls == 3
    until(lambda: repo.undelivered() == [])


def test_a_permanent_error_fails_the_row_and_the_channel_moves_on(
    repo: PeeweeRepository,
    slack: FakeSlack,
    start: Callable[..., OutboxSender],
    caplog: pytest.LogCaptureFixture,
) -> None:
    slack.failures["C1"] = [UndeliverableError("msg_too_long")]
    start()
    queue(repo, "C1", "too long", "next")
    until(lambda: slack.texts("C1") == ["next"])
    until(lambda: len(repo.undelivered()) == 1)  # the delivered mark follows within 0.1 s
    (failed,) = repo.undelivered()
    assert (failed.state, failed.error, failed.attempts) == ("failed", "msg_too_long", 1)
    assert caplog.text.count("Slack answered msg_too_long") == 1
    assert repo.retry_failed() == 1
    until(lambda: slack.texts("C1") == ["next", "too long"])  # picked up by the poll


def test_a_reply_interrupted_midway_resends_no_message_slack_accepted(
    repo: PeeweeRepository, slack: FakeSlack, start: Callable[..., OutboxSender]
) -> None:
    slack.failures["C1"] = [None, SlackDeliveryError("internal_error")]
    sender = start()
    queue(repo, "C1", "part 1\fpart 2\fpart 3")
    until(lambda: slack.calls == 2)
    sender.stop()  # while it waits to try part 2 again
    assert slack.texts("C1") == ["part 1"]
    start()
    until(lambda: slack.texts("C1") == ["part 1", "part 2", "part 3"])


def test_stop_leaves_unsent_rows_pending_for_the_next_start(
    repo: PeeweeRepository, slack: FakeSlack, start: Callable[..., OutboxSender]
) -> None:
    slack.latency["C1"] = 0.2
    sender = start()
    queue(repo, "C1", "a", "b", "c")
    until(lambda: slack.calls == 1)
    sender.stop()
    assert slack.texts("C1") == ["a"]
    assert [e.state for e in repo.undelivered()] == ["pending", "pending"]
    assert repo.lease_owners() == set()  # released: the next start need not wait
    slack.latency.clear()
    start()
    until(lambda: slack.texts("C1") == ["a", "b", "c"])


def test_a_stopped_process_lease_is_taken_over_at_start(
    repo: PeeweeRepository, slack: FakeSlack, start: Callable[..., OutboxSender]
) -> None:
    child = os.fork()
    if child == 0:
        os._exit(0)
    os.waitpid(child, 0)  # a pid that surely runs no more
    dead = f"{socket.gethostname()}:{child}:cafe"
    assert gone(dead) and not gone(f"{socket.gethostname()}:{os.getpid()}:x")
    assert not gone(f"another-host:{child}:cafe")
    queue(repo, "C1", "left behind")
    repo.claim(dead, utc_now(), utc_now() + timedelta(hours=1), 10)
    start()
    until(lambda: slack.texts("C1") == ["left behind"], timeout=2)


def test_two_processes_deliver_every_row_once_in_order_per_channel(
    repo: PeeweeRepository, slack: FakeSlack, tmp_path: Path
) -> None:
    """Two processes on one database, each with its repository and sender, commit rows in the
    same channels: each row is posted once, each channel in commit order."""
    other = PeeweeRepository(open_database(tmp_path / "a.db"))
    senders = [
        OutboxSender(store=store, poster=slack, clock=utc_now, poll=0.05) for store in (repo, other)
    ]
    for sender in senders:
        sender.start()
    channels = [f"C{i}" for i in range(10)]
    for n in range(20):
        for i, channel in enumerate(channels):
            queue((repo, other)[(n + i) % 2], channel, f"{channel}-{n}")
    until(lambda: len(slack.posts) == 200, timeout=15)
    time.sleep(0.2)
    for sender in senders:
        sender.stop()
    assert len(slack.posts) == 200
    for channel in channels:
        assert slack.texts(channel) == [f"{channel}-{n}" for n in range(20)]


def test_a_channel_s_next_message_waits_until_the_previous_one_is_recorded(
    repo: PeeweeRepository, start: Callable[..., OutboxSender]
) -> None:
    """So a crash can duplicate at most one message per channel."""
    checked: list[bool] = []

    class Checking(FakeSlack):
        def post(self, row: OutboxRow, text: str, *, last: bool) -> None:
            channel = row.channel
            with repo._db.connection_context():
                (oldest,) = repo._db.execute_sql(
                    "SELECT reply FROM outbox WHERE channel = ? AND state = 'pending' "
                    "ORDER BY id LIMIT 1",
                    (channel,),
                ).fetchone()
            checked.append(Reply.from_json(oldest) == Reply.of(text))
            super().post(row, text, last=last)

    slack = Checking()
    start(poster=slack)
    for n in range(10):
        for channel in ("C1", "C2"):
            queue(repo, channel, f"{channel}-{n}")
    until(lambda: len(slack.posts) == 20)
    assert checked == [True] * 20


def test_a_notification_s_footer_goes_under_its_last_message_only(
    repo: PeeweeRepository, slack: FakeSlack, start: Callable[..., OutboxSender]
) -> None:
    start()
    with repo.transaction():
        repo.enqueue(
            [
                Outgoing("C1", Reply.of("one\ftwo"), kind_of(SHIFT_STARTING)),
                Outgoing("C1", Reply.of("reply")),
            ],
            utc_now(),
        )
    until(lambda: len(slack.texts("C1")) == 3)
    assert slack.footers == [None, footer(kind_of(SHIFT_STARTING)), None]
    assert footer(kind_of(SHIFT_STARTING)) == (
        "ShiftStarting · `@dienstplan notification disable ShiftStarting` turns these off"
    )


def test_pending_republishes_of_one_home_coalesce_into_one_publish(
    repo: PeeweeRepository, start: Callable[..., OutboxSender]
) -> None:
    published: list[tuple[str, str]] = []
    failures = [SlackDeliveryError("ratelimited", retry_after=0.1)]

    def publish(kind: str, ref: str) -> None:
        if ref == "S1" and failures:
            raise failures.pop()
        published.append((kind, ref))

    with repo.transaction():  # queued before the sender starts: claimed at once
        repo.enqueue([home_update("U1"), home_update("U2")], utc_now())
    for _ in range(3):
        with repo.transaction():
            repo.enqueue([home_update("U1"), home_update("S1", group=True)], utc_now())
    start(publish=publish)
    until(lambda: repo.undelivered() == [])
    assert sorted(published) == [("home", "U1"), ("home", "U2"), ("home group", "S1")]
    assert all(kind in HOME_KINDS for kind, _ in published)
