"""The dispatcher's one log line per handled request: what, where, how it went, how long;
never what the user typed."""

from __future__ import annotations

import dataclasses
import logging
from zoneinfo import ZoneInfo

import pytest

from bot.app import utc_now
from bot.core.dispatcher import Dispatcher
from bot.core.model import Reply, Request
from bot.core.registry import COMMANDS
from bot.storage.repository import PeeweeRepository
from tests.conftest import Run


def _handled(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith("handled ")]


@pytest.mark.parametrize(
    ("text", "command", "outcome"),
    [
        ("create web <@U1> secret plans", "create", "ok"),
        ("", "help", "ok"),
        ("who nosuchrotation", "who", "refused"),
        ("create", "create", "usage_error"),
        ("frobnicate secret plans", "-", "unknown_command"),
        ("rotate \ud800 secret plans", "-", "not_unicode"),
        ("create web <@U1> " + "secret " * 3000, "-", "too_long"),
    ],
)
def test_one_line_per_command_without_its_text(
    run: Run, caplog: pytest.LogCaptureFixture, text: str, command: str, outcome: str
) -> None:
    with caplog.at_level(logging.INFO, logger="bot.core.dispatcher"):
        run(text, channel="C7")
    (record,) = _handled(caplog)
    fields = {k: getattr(record, k) for k in ("channel", "source", "command", "outcome")}
    assert fields == {"channel": "C7", "source": "slack", "command": command, "outcome": outcome}
    assert isinstance(record.ms, float) and record.ms >= 0  # type: ignore[attr-defined]
    assert record.getMessage() == (
        f"handled {command} from slack in C7: {outcome} in {record.ms:.1f} ms"  # type: ignore[attr-defined]
    )
    assert "secret" not in record.getMessage() and "frobnicate" not in record.getMessage()


def test_a_redelivery_and_a_crash_are_named(
    dispatcher: Dispatcher, repo: PeeweeRepository, caplog: pytest.LogCaptureFixture
) -> None:
    broken = dict(COMMANDS, list=dataclasses.replace(COMMANDS["list"], run=_boom))
    crashing = Dispatcher(
        repo=repo,
        schedules=repo,
        away=repo,
        clock=utc_now,
        timezone=ZoneInfo("UTC"),
        commands=broken,
        notifications=repo,
    )
    request = Request(text="list", channel="C1", user="U1", bot_user_id="UBOT")
    with caplog.at_level(logging.INFO, logger="bot.core.dispatcher"):
        dispatcher.handle(request, event_id="Ev1")
        dispatcher.handle(request, event_id="Ev1")
        crashing.handle(request)
    assert [(r.command, r.outcome) for r in _handled(caplog)] == [  # type: ignore[attr-defined]
        ("list", "ok"),
        ("-", "duplicate"),
        ("list", "error"),
    ]


def _boom(*args: object) -> Reply:
    raise RuntimeError("a bug")
