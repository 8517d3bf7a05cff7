"""The database is private to its owner, and no log line or traceback carries a token."""

from __future__ import annotations

import io
import logging
import stat
import sys
import threading
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import RedactingFormatter, redact, setup_logging
from bot.storage.db import migrate, open_database
from bot.storage.repository import PeeweeRepository

BOT_TOKEN = "xoxb-1234-5678-abcdef"
ODD_TOKEN = "emulator-secret-42"  # a configured value that does not look like Slack's


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_wal_and_shm_are_owner_only_in_a_new_private_directory(tmp_path: Path) -> None:
    file = tmp_path / "new" / "dienstplan.db"
    db = open_database(file)
    try:
        migrate(db)
        repo = PeeweeRepository(db)
        with repo.transaction():
            repo.record_event("Ev1", datetime(2026, 1, 1, tzinfo=UTC))
        wal, shm = Path(f"{file}-wal"), Path(f"{file}-shm")
        assert wal.exists() and shm.exists()
        assert [_mode(p) for p in (file, wal, shm)] == [0o600] * 3
        assert _mode(file.parent) == 0o700
    finally:
        db.close_all()


def test_an_existing_database_keeps_its_mode(tmp_path: Path) -> None:
    """An operator who chose a mode (a group that backs it up) keeps it."""
    file = tmp_path / "shared.db"
    file.touch(mode=0o640)
    file.chmod(0o640)
    open_database(file).close_all()
    assert _mode(file) == 0o640


def _formatted(record: logging.LogRecord) -> str:
    return RedactingFormatter("%(message)s", [ODD_TOKEN]).format(record)


def test_tokens_are_redacted_from_messages_arguments_and_tracebacks() -> None:
    try:
        raise RuntimeError(f"auth failed for {BOT_TOKEN} / {ODD_TOKEN}")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "slack_sdk.web.base_client",
        logging.DEBUG,
        "f",
        1,
        "Sending a request - headers: %s",
        ({"Authorization": f"Bearer {BOT_TOKEN}"},),
        exc_info,
    )
    line = _formatted(record)
    assert "Traceback" in line and "RuntimeError: auth failed for [redacted]" in line
    assert BOT_TOKEN not in line and ODD_TOKEN not in line
    assert redact("xapp-1-A1-2-ff and xoxe.xoxp-1-abc") == "[redacted] and xoxe.[redacted]"


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """setup_logging on a captured stderr; the logging state and hooks are put back after."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, sys.excepthook, threading.excepthook)
    stream = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "stderr", stream)
        setup_logging("DEBUG", secrets=(ODD_TOKEN, None))
        try:
            yield stream
        finally:
            logging.captureWarnings(False)
            root.handlers[:], _, sys.excepthook, threading.excepthook = saved
            root.setLevel(saved[1])


def test_library_debug_logs_warnings_and_uncaught_exceptions_are_redacted(
    log_stream: io.StringIO,
) -> None:
    logging.getLogger("slack_sdk.socket_mode").debug("connecting with %s", f"Bearer {ODD_TOKEN}")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn(f"token {BOT_TOKEN} is about to expire", UserWarning, stacklevel=1)
    try:
        raise ValueError(f"bad token {BOT_TOKEN}")
    except ValueError:
        sys.excepthook(*sys.exc_info())
    thread = threading.Thread(target=_fail, name="sender")
    thread.start()
    thread.join()
    logged = log_stream.getvalue()
    assert "connecting with Bearer [redacted]" in logged
    assert "token [redacted] is about to expire" in logged
    assert "ValueError: bad token [redacted]" in logged
    assert "uncaught exception in thread sender" in logged
    assert "KeyError: '[redacted] unknown'" in logged
    assert BOT_TOKEN not in logged and ODD_TOKEN not in logged


def _fail() -> None:
    raise KeyError(f"{ODD_TOKEN} unknown")
