"""The scheduler's tick with an injected clock: on time, once, catch-up, failures."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.dispatcher import Dispatcher
from bot.core.model import Member, Request
from bot.core.notifications import KIND_PREFIX
from bot.scheduler import MAX_SLEEP, Scheduler
from bot.storage.repository import PeeweeRepository
from tests.conftest import FakeClock, Run

pytestmark = pytest.mark.both_engines

MONDAY_9_BERLIN = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


class Posts:
    """What the scheduler queued for the sender, in commit order: (channel, text) per message;
    the notifications a run causes are tested with them (tests/core/test_notifications.py)."""

    def __init__(self, repo: PeeweeRepository) -> None:
        self.repo = repo
        self._sent: list[tuple[str, str]] = []

    @property
    def sent(self) -> list[tuple[str, str]]:
        far = datetime(2100, 1, 1, tzinfo=UTC)
        for row in self.repo.claim("test", far, far + timedelta(days=1), 1000):
            if not row.kind.startswith(KIND_PREFIX):
                self._sent.append((row.channel, row.reply.render(Member.plain)))
        return self._sent


@pytest.fixture
def posts(repo: PeeweeRepository) -> Posts:
    return Posts(repo)


def make_scheduler(
    repo: PeeweeRepository,
    dispatcher: Dispatcher,
    clock: FakeClock,
    catch_up: timedelta = timedelta(hours=1),
) -> Scheduler:
    return Scheduler(
        repo=repo,
        schedules=repo,
        dispatcher=dispatcher,
        clock=clock,
        default_tz="Europe/Berlin",
        catch_up=catch_up,
    )


@pytest.fixture
def scheduler(
    repo: PeeweeRepository, dispatcher: Dispatcher, clock: FakeClock, run: Run
) -> Scheduler:
    run("<@UBOT> create backend <@U1> <@U2> <@U3> Watch alerts")
    run('<@UBOT> schedule create "rotate backend" 0 9 * * Mon-Fri')
    return make_scheduler(repo, dispatcher, clock)


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
        ("C1", "Executing `rotate backend` on schedule `0 9 * * Mon-Fri`."),
        ("C1", "*backend*: the duty passes from @U1 to <@U2>."),
    ]
    clock.advance(seconds=30)
    scheduler.tick(clock())
    assert len(posts.sent) == 2
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
    scheduler = make_scheduler(repo, dispatcher, clock)
    clock.advance(minutes=42)  # eight runs were missed while the bot was down
    scheduler.tick(clock())
    assert len(posts.sent) == 2  # one notice, one reply
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
    scheduler = make_scheduler(repo, dispatcher, clock)
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
    assert len(posts.sent) == 2


def test_a_run_is_claimed_by_one_of_two_schedulers(
    scheduler: Scheduler,
    posts: Posts,
    clock: FakeClock,
    repo: PeeweeRepository,
    dispatcher: Dispatcher,
) -> None:
    other = make_scheduler(repo, dispatcher, clock)
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
    scheduler = make_scheduler(repo, dispatcher, clock, catch_up=timedelta(0))
    clock.now = MONDAY_9_BERLIN + timedelta(milliseconds=5)  # waking takes a moment
    scheduler.tick(clock())
    assert len(posts.sent) == 2
    clock.now = MONDAY_9_BERLIN + timedelta(days=1, minutes=5)  # missed while down
    scheduler.tick(clock())
    assert len(posts.sent) == 2


def _utc_dispatcher(repo: PeeweeRepository, clock: FakeClock) -> Run:
    """A process (the bot before a restart, or a console) configured with UTC."""
    utc = Dispatcher(
        repo=repo,
        schedules=repo,
        away=repo,
        notifications=repo,
        clock=clock,
        timezone=ZoneInfo("UTC"),
    )
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
    scheduler = make_scheduler(repo, dispatcher, clock)  # restarted with Berlin
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
    assert [text for _, text in posts.sent][0::2] == [
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
    scheduler = make_scheduler(repo, dispatcher, clock)
    scheduler.tick(clock())  # started before the console created the schedule
    _utc_dispatcher(repo, clock)('<@UBOT> schedule create "rotate backend" 0 9 * * *')
    clock.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 09:00 UTC, as the console showed
    with caplog.at_level(logging.INFO):
        scheduler.tick(clock())
    assert len(posts.sent) == 2
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
    assert "There is no rotation *backend*" in posts.sent[1][1]


def test_runs_due_together_queue_each_notice_then_its_reply_per_channel(
    repo: PeeweeRepository, dispatcher: Dispatcher, posts: Posts, clock: FakeClock, run: Run
) -> None:
    """The sender posts a channel's rows in this (commit) order: tests/slack/test_sender.py."""
    for channel in ("C1", "C2"):
        run("<@UBOT> create a <@U1> <@U2> x", channel=channel)
        for command in ("who a", "shout a", "rotate a"):
            run(f'<@UBOT> schedule create "{command}" 0 9 * * *', channel=channel)
    clock.now = MONDAY_9_BERLIN
    make_scheduler(repo, dispatcher, clock).tick(clock())
    expected = [
        "Executing `who a` on schedule `0 9 * * *`.",
        "<@U1> is on duty for *a*",
        "Executing `shout a` on schedule `0 9 * * *`.",
        "<@U1> is on duty for *a*.",
        "Executing `rotate a` on schedule `0 9 * * *`.",
        "*a*",
    ]
    sent = posts.sent
    for channel in ("C1", "C2"):
        assert [text.split(":")[0] for c, text in sent if c == channel] == expected
