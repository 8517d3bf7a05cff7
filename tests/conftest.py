"""Shared fixtures: a real database per test (an SQLite file; a PostgreSQL database too for
tests marked `both_engines` when DIENSTPLAN_TEST_POSTGRES is set), a transcript-style `run`
helper, and a check that no test leaves a process running."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.dispatcher import Dispatcher
from bot.core.model import Member, Request
from bot.storage.db import migrate, open_database
from bot.storage.repository import PeeweeRepository
from tests import leaks
from tests.postgres import POSTGRES_VARIABLE, fresh_postgres


class FakeClock:
    """Time that moves only when a test says so."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "both_engines: run the test on SQLite and on PostgreSQL (when "
        f"{POSTGRES_VARIABLE} names a server)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_engines"):
        metafunc.parametrize("engine", ["sqlite", "postgres"], indirect=True)


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def database(engine: str, tmp_path: Path) -> Iterator[str | Path]:
    """Where the test's database is: an SQLite file, or a new PostgreSQL database (dropped
    after the test) on the server DIENSTPLAN_TEST_POSTGRES names."""
    if engine == "sqlite":
        yield tmp_path / "dienstplan.db"
        return
    server = os.environ.get(POSTGRES_VARIABLE)
    if not server:
        pytest.skip(
            f"PostgreSQL variant: set {POSTGRES_VARIABLE}=postgresql://user:pass@host:port/db "
            "(a server where that user may create databases) to run it"
        )
    with fresh_postgres(server) as url:
        yield url


@pytest.fixture
def repo(database: str | Path) -> Iterator[PeeweeRepository]:
    db = open_database(database)
    migrate(db)
    repository = PeeweeRepository(db)
    yield repository
    repository.detach()  # a test's sender: on PostgreSQL, its listener thread stops
    db.close_all()


@pytest.fixture
def dispatcher(repo: PeeweeRepository, clock: FakeClock) -> Dispatcher:
    return Dispatcher(
        repo=repo,
        schedules=repo,
        away=repo,
        notifications=repo,
        clock=clock,
        timezone=ZoneInfo("Europe/Berlin"),
    )


Run = Callable[..., str]


@pytest.fixture
def run(dispatcher: Dispatcher) -> Run:
    """`run("create x <@U1> duty")` -> the reply as a user would read it (quiet names as @id)."""

    def _run(text: str, *, channel: str = "C1", user: str = "U0ME") -> str:
        request = Request(text=text, channel=channel, user=user, bot_user_id="UBOT")
        return dispatcher.handle(request).reply.render(Member.plain)

    return _run


@pytest.fixture(scope="session", autouse=True)
def no_process_left_behind() -> Iterator[None]:
    """Fail the run if a process a test started is still alive at the end, and kill it.

    Finds the run's descendants, and by an environment marker the ones init adopted."""
    token = f"{os.getpid()}-{uuid.uuid4().hex}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(leaks.MARKER, token)
        yield
    left = leaks.leftovers(os.getpid(), token)
    leaks.kill(left)
    if left:
        listed = "\n".join(f"  {process}" for process in left)
        pytest.fail(f"processes started by the tests were still running:\n{listed}", pytrace=False)
