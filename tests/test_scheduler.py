"""The scheduler's tick with an injected clock: on time, once, catch-up, failures."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.core.dispatcher import Dispatcher
from bot.core.model import Member, Reply, Request
from bot.core.ports import Deactivated, nobody_deactivated
from bot.scheduler import MAX_SLEEP, ChannelOrder, Scheduler
from bot.storage.repository import PeeweeRepository
from tests.conftest import FakeClock, Run

MONDAY_9_BERLIN = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


class Inline(Executor):
    """Deliveries run at once, so a test sees them when tick() returns."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


class Posts:
    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.sent: list[tuple[str, str]] = []
        self.failing = False

    def __call__(self, event_id: str, channel: str, reply: Reply) -> None:
        if self.failing:
            return  # not delivered: stays pending
        self.sent.append((channel, reply.render(Member.plain)))
        self.dispatcher.mark_delivered(event_id)


@pytest.fixture
def posts(dispatcher: Dispatcher) -> Posts:
    return Posts(dispatcher)


def make_scheduler(
    repo: PeeweeRepository,
    dispatcher: Dispatcher,
    posts: Posts,
    clock: FakeClock,
    catch_up: timedelta = timedelta(hours=1),
) -> Scheduler:
    return Scheduler(
        repo=repo,
        schedules=repo,
        dispatcher=dispatcher,
        deliver=posts,
        delivery=Inline(),
        clock=clock,
        default_tz="Europe/Berlin",
        catch_up=catch_up,
    )


@pytest.fixture
def scheduler(
    repo: PeeweeRepository, dispatcher: Dispatcher, posts: Posts, clock: FakeClock, run: Run
) -> Scheduler:
    run("<@UBOT> create backend <@U1> <@U2> <@U3> Watch alerts")
    run('<@UBOT> schedule create "rotate backend" 0 9 * * Mon-Fri')
    return make_scheduler(repo, dispatcher, posts, clock)


def test_nothing_runs_early_and_the_sleep_is_bounded(
    scheduler: Scheduler, posts: Posts, clock: FakeClock
) -> None:
    assert scheduler.tick(clock()) == MAX_SLEEP.total_seconds()
    clock.now = MONDAY_9_BERLIN - timedelta(seconds=10)
    assert scheduler.tick(clock()) == 10.0
    assert posts.sent == []


def test_a_due_schedule_posts_the_notice_then_runs_once(
    scheduler: Scheduler, posts: Posts, clock: FakeClock, run: Run, repo: PeeweeRepository
) -> None:
    clock.now = MONDAY_9_BERLIN
    scheduler.tick(clock())
    assert posts.sent == [
        (
            "C1",
            "Executing `rotate backend` on schedule `0 9 * * Mon-Fri`.\f"
            "*backend*: the duty passes from @U1 to <@U2>.",
        )
    ]
    clock.advance(seconds=30)
    scheduler.tick(clock())
    assert len(posts.sent) == 1
    assert run("<@UBOT> shout backend").startswith("<@U2>")
    with repo.transaction():
        (schedule,) = repo.all_schedules()
    assert schedule.last_run_at == MONDAY_9_BERLIN
    assert schedule.next_run_at == MONDAY_9_BERLIN + timedelta(days=1)


def test_a_run_missed_inside_the_window_runs_once_and_is_not_replayed(
    repo: PeeweeRepository, dispatcher: Dispatcher, posts: Posts, clock: FakeClock, run: Run
) -> None:
    run("<@UBOT> create backend <@U1> <@U2> <@U3> Watch alerts")
    run('<@UBOT> schedule create "rotate backend" */5 * * * *')
    scheduler = make_scheduler(repo, dispatcher, posts, clock)
    clock.advance(minutes=42)  # eight runs were missed while the bot was down
    scheduler.tick(clock())
    assert len(posts.sent) == 1
    assert run("<@UBOT> shout backend").startswith("<@U2>")
    with repo.transaction():
        (schedule,) = repo.all_schedules()
    assert schedule.next_run_at == datetime(2026, 11, 22, 9, 45, tzinfo=UTC)


def test_a_run_missed_beyond_the_window_is_skipped_with_a_log_line(
    scheduler: Scheduler,
    posts: Posts,
    clock: FakeClock,
    repo: PeeweeRepository,
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock.now = MONDAY_9_BERLIN + timedelta(hours=2)
    with caplog.at_level(logging.WARNING):
        scheduler.tick(clock())
    assert posts.sent == []
    assert "skipped `rotate backend`" in caplog.text
    with repo.transaction():
        (schedule,) = repo.all_schedules()
    assert schedule.next_run_at == MONDAY_9_BERLIN + timedelta(days=1)


def test_a_failing_command_is_reported_and_the_others_still_run(
    repo: PeeweeRepository,
    dispatcher: Dispatcher,
    posts: Posts,
    clock: FakeClock,
    run: Run,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run("<@UBOT> create a <@U1> <@U2> x")
    run("<@UBOT> create b <@U1> <@U2> x")
    run('<@UBOT> schedule create "rotate a" 0 9 * * *')
    run('<@UBOT> schedule create "rotate b" 0 9 * * *')
    with repo.transaction():  # the rotation vanishes behind the schedule's back
        repo.delete(repo.find("C1", "a"))  # type: ignore[arg-type]
    scheduler = make_scheduler(repo, dispatcher, posts, clock)
    clock.now = MONDAY_9_BERLIN
    scheduler.tick(clock())
    texts = [text for _, text in posts.sent]
    assert any("There is no rotation *a* in this channel." in t for t in texts)
    assert any("the duty passes from @U1 to <@U2>" in t for t in texts)


def test_an_exception_skips_that_run_without_stopping_the_scheduler(
    scheduler: Scheduler,
    posts: Posts,
    clock: FakeClock,
    repo: PeeweeRepository,
    dispatcher: Dispatcher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    clock.now = MONDAY_9_BERLIN
    monkeypatch.setattr(dispatcher, "handle", boom)
    assert scheduler.tick(clock()) > 0
    monkeypatch.undo()
    with repo.transaction():
        (schedule,) = repo.all_schedules()
    assert schedule.next_run_at == MONDAY_9_BERLIN + timedelta(days=1)
    clock.now = MONDAY_9_BERLIN + timedelta(days=1)
    scheduler.tick(clock())
    assert len(posts.sent) == 1


def test_an_undelivered_reply_is_posted_later_not_rerun(
    scheduler: Scheduler,
    posts: Posts,
    clock: FakeClock,
    repo: PeeweeRepository,
    dispatcher: Dispatcher,
    run: Run,
) -> None:
    clock.now = MONDAY_9_BERLIN
    posts.failing = True  # Slack is down when the run happens
    scheduler.tick(clock())
    posts.failing = False
    clock.advance(minutes=2)
    scheduler.tick(clock())
    assert len(posts.sent) == 1 and posts.sent[0][1].startswith("Executing `rotate backend`")
    assert run("<@UBOT> shout backend").startswith("<@U2>")  # rotated once, not twice


def test_a_run_is_claimed_by_one_of_two_schedulers(
    scheduler: Scheduler,
    posts: Posts,
    clock: FakeClock,
    repo: PeeweeRepository,
    dispatcher: Dispatcher,
) -> None:
    other = make_scheduler(repo, dispatcher, posts, clock)
    clock.now = MONDAY_9_BERLIN
    with repo.transaction():
        (schedule,) = repo.all_schedules()
    # the other process already advanced it: this one's compare-and-set fails
    with repo.transaction():
        assert repo.advance(
            schedule.id,
            MONDAY_9_BERLIN,
            MONDAY_9_BERLIN + timedelta(days=1),
            MONDAY_9_BERLIN,
            zone="Europe/Berlin",
        )
        assert not repo.advance(schedule.id, MONDAY_9_BERLIN, None, None, zone="Europe/Berlin")
    other.tick(clock())
    scheduler.tick(clock())
    assert posts.sent == []


def test_a_zero_catch_up_window_still_runs_on_time_schedules(
    repo: PeeweeRepository, dispatcher: Dispatcher, posts: Posts, clock: FakeClock, run: Run
) -> None:
    run("<@UBOT> create backend <@U1> <@U2> x")
    run('<@UBOT> schedule create "rotate backend" 0 9 * * *')
    scheduler = make_scheduler(repo, dispatcher, posts, clock, catch_up=timedelta(0))
    clock.now = MONDAY_9_BERLIN + timedelta(milliseconds=5)  # waking takes a moment
    scheduler.tick(clock())
    assert len(posts.sent) == 1
    clock.now = MONDAY_9_BERLIN + timedelta(days=1, minutes=5)  # missed while down
    scheduler.tick(clock())
    assert len(posts.sent) == 1


def _utc_dispatcher(repo: PeeweeRepository, clock: FakeClock) -> Run:
    """A process (the bot before a restart, or a console) configured with UTC."""
    utc = Dispatcher(repo=repo, schedules=repo, clock=clock, timezone=ZoneInfo("UTC"))
    return lambda text: utc.handle(Request(text, "C1", "U0ME", bot_user_id="UBOT")).reply.render(
        Member.plain
    )


def test_at_start_runs_computed_in_another_zone_follow_the_configured_one(
    repo: PeeweeRepository,
    dispatcher: Dispatcher,
    posts: Posts,
    clock: FakeClock,
    run: Run,
    caplog: pytest.LogCaptureFixture,
) -> None:
    run("<@UBOT> create backend <@U1> <@U2> x")
    utc = _utc_dispatcher(repo, clock)
    utc('<@UBOT> schedule create "rotate backend" 0 9 * * *')
    utc('<@UBOT> schedule create "who backend" CRON_TZ=UTC 0 9 * * *')
    assert "(UTC), at 09:00" in run("<@UBOT> schedule list")
    scheduler = make_scheduler(repo, dispatcher, posts, clock)  # restarted with Berlin
    with caplog.at_level(logging.INFO):
        scheduler.tick(clock())
        scheduler.tick(clock())
    assert caplog.text.count("now follow Europe/Berlin") == 1
    assert "1 schedule(s) without CRON_TZ now follow Europe/Berlin" in caplog.text
    listing = run("<@UBOT> schedule list")
    assert "`0 9 * * *` (Europe/Berlin), at 09:00" in listing
    assert "Next run: Mon 23 Nov 2026 09:00 CET" in listing
    assert "`CRON_TZ=UTC 0 9 * * *`" not in listing  # CRON_TZ schedules keep their zone
    assert "`0 9 * * *` (UTC)" in listing and "Next run: Mon 23 Nov 2026 09:00 UTC" in listing
    clock.now = MONDAY_9_BERLIN
    scheduler.tick(clock())
    assert [text.split("\f")[0] for _, text in posts.sent] == [
        "Executing `rotate backend` on schedule `0 9 * * *`."
    ]


def test_a_due_run_computed_in_another_zone_runs_as_shown_then_follows(
    repo: PeeweeRepository,
    dispatcher: Dispatcher,
    posts: Posts,
    clock: FakeClock,
    run: Run,
    caplog: pytest.LogCaptureFixture,
) -> None:
    run("<@UBOT> create backend <@U1> <@U2> x")
    scheduler = make_scheduler(repo, dispatcher, posts, clock)
    scheduler.tick(clock())  # started before the console created the schedule
    _utc_dispatcher(repo, clock)('<@UBOT> schedule create "rotate backend" 0 9 * * *')
    clock.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 09:00 UTC, as the console showed
    with caplog.at_level(logging.INFO):
        scheduler.tick(clock())
    assert len(posts.sent) == 1
    assert "as computed in UTC; its later runs follow Europe/Berlin" in caplog.text
    with repo.transaction():
        (schedule,) = repo.all_schedules()
    assert (schedule.next_run_at, schedule.zone) == (
        MONDAY_9_BERLIN + timedelta(days=1),
        "Europe/Berlin",
    )


def test_a_failed_scheduled_run_is_logged_as_a_warning_with_its_reply(
    scheduler: Scheduler,
    posts: Posts,
    clock: FakeClock,
    repo: PeeweeRepository,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with repo.transaction():
        repo.delete(repo.find("C1", "backend"))  # type: ignore[arg-type]
    clock.now = MONDAY_9_BERLIN
    with caplog.at_level(logging.INFO):
        scheduler.tick(clock())
    (record,) = [r for r in caplog.records if "rotate backend" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        "scheduled `rotate backend` in C1 (due 2026-11-23 08:00:00+00:00) failed: "
        "There is no rotation *backend* in this channel. `@dienstplan list` shows this "
        "channel's rotations."
    )
    assert "There is no rotation *backend*" in posts.sent[0][1]


class SlowMessages:
    """Posts a reply's messages one by one, slowly, from several threads at once."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def __call__(self, event_id: str, channel: str, reply: Reply) -> None:
        for message in reply.render(Member.plain).split("\f"):
            time.sleep(0.02)
            with self.lock:
                self.messages.append((channel, message.split(":")[0]))


def test_runs_due_together_post_each_notice_then_its_reply_per_channel(
    repo: PeeweeRepository, dispatcher: Dispatcher, clock: FakeClock, run: Run
) -> None:
    for channel in ("C1", "C2"):
        run("<@UBOT> create a <@U1> <@U2> x", channel=channel)
        for command in ("who a", "shout a", "rotate a"):
            run(f'<@UBOT> schedule create "{command}" 0 9 * * *', channel=channel)
    slow = SlowMessages()
    pool = ThreadPoolExecutor(max_workers=4)
    scheduler = Scheduler(
        repo=repo,
        schedules=repo,
        dispatcher=dispatcher,
        deliver=slow,
        delivery=pool,
        clock=clock,
        default_tz="Europe/Berlin",
        catch_up=timedelta(hours=1),
    )
    clock.now = MONDAY_9_BERLIN
    started = time.monotonic()
    scheduler.tick(clock())
    pool.shutdown(wait=True)
    expected = [
        "Executing `who a` on schedule `0 9 * * *`.",
        "<@U1> is on duty for *a*",
        "Executing `shout a` on schedule `0 9 * * *`.",
        "<@U1> is on duty for *a*.",
        "Executing `rotate a` on schedule `0 9 * * *`.",
        "*a*",
    ]
    for channel in ("C1", "C2"):
        assert [m for c, m in slow.messages if c == channel] == expected
    assert time.monotonic() - started < 0.02 * 12  # the two channels went in parallel


def test_a_reply_waiting_in_its_channel_queue_is_not_queued_twice() -> None:
    posted: list[str] = []
    release = threading.Event()

    def deliver(event_id: str, channel: str, reply: Reply) -> None:
        release.wait(5)
        posted.append(event_id)

    pool = ThreadPoolExecutor(max_workers=2)
    order = ChannelOrder(deliver, pool)
    for event_id in ("e1", "e2", "e1", "e2"):  # a redelivery pass meets them again
        order.submit(event_id, "C1", Reply.of("x"))
    release.set()
    deadline = time.monotonic() + 5
    while len(posted) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)  # the drainer has finished with e2
    order.submit("e1", "C1", Reply.of("x"))  # once it is done, a later pass may retry it
    pool.shutdown(wait=True)
    assert posted == ["e1", "e2", "e1"]


SCOPE: ContextVar[str | None] = ContextVar("scope", default=None)


def test_a_run_and_the_posting_of_its_reply_share_one_command_scope(
    repo: PeeweeRepository, dispatcher: Dispatcher, clock: FakeClock, run: Run
) -> None:
    """The Slack front end's scope is its budget of user lookups: the run's deactivation check
    and its reply's names, posted from the delivery pool, must count against the same one."""
    run("<@UBOT> create a <@U1> <@U2> x")
    run('<@UBOT> schedule create "rotate a" 0 9 * * *')
    scopes = iter(["first run", "second run"])
    checked: list[str | None] = []
    posted: list[str | None] = []

    @contextmanager
    def command_scope() -> Iterator[None]:
        token = SCOPE.set(next(scopes))
        try:
            yield
        finally:
            SCOPE.reset(token)

    class Directory:
        def for_request(self) -> Deactivated:
            checked.append(SCOPE.get())
            return nobody_deactivated

    def deliver(event_id: str, channel: str, reply: Reply) -> None:
        posted.append(SCOPE.get())
        dispatcher.mark_delivered(event_id)

    dispatcher.directory = Directory()
    pool = ThreadPoolExecutor(max_workers=1)
    scheduler = Scheduler(
        repo=repo,
        schedules=repo,
        dispatcher=dispatcher,
        deliver=deliver,
        delivery=pool,
        clock=clock,
        default_tz="Europe/Berlin",
        catch_up=timedelta(hours=1),
        command_scope=command_scope,
    )
    clock.now = MONDAY_9_BERLIN
    scheduler.tick(clock())
    pool.shutdown(wait=True)
    assert checked == posted == ["first run"]
