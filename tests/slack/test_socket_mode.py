"""Group commit in the Socket Mode transport: acks follow commits, Web calls find the write
lock free, and a failed commit acknowledges nothing it rolled back."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import bot.slack.socket_mode as socket_mode
from bot.slack.client import make_web_client
from bot.storage.repository import PeeweeRepository

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


class LockProbe(HTTPServer):
    """A Web API stub that records, for each call, whether the database's write lock was free."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.lock_free: list[bool] = []
        super().__init__(("127.0.0.1", 0), _Probe)


class _Probe(BaseHTTPRequestHandler):
    server: LockProbe

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        other = sqlite3.connect(self.server.database, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            self.server.lock_free.append(True)
        except sqlite3.OperationalError:
            self.server.lock_free.append(False)
        finally:
            other.close()
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class FakeSocket:
    def __init__(self) -> None:
        self.acked: list[str] = []

    def send(self, frame: str) -> None:
        self.acked.append(json.loads(frame)["envelope_id"])


@pytest.fixture
def probe(tmp_path: Path) -> Iterator[LockProbe]:
    server = LockProbe(tmp_path / "dienstplan.db")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _client(
    repo: PeeweeRepository, monkeypatch: pytest.MonkeyPatch, listener: Callable[[str], None]
) -> socket_mode.SocketModeClient:
    """A transport whose bolt app runs `listener(envelope id)` and answers 200."""

    def run_bolt_app(app: Any, request: Any) -> Any:
        listener(request.envelope_id)
        return SimpleNamespace(status=200, body="", headers={})

    monkeypatch.setattr(socket_mode, "run_bolt_app", run_bolt_app)
    return socket_mode.SocketModeClient(
        app=None,  # type: ignore[arg-type]
        app_token="xapp-1",
        api_url="http://127.0.0.1:1/api/",
        batched=repo.batched,
        workers=1,
    )


def _run(client: socket_mode.SocketModeClient, *envelopes: tuple[str, str]) -> FakeSocket:
    ws = FakeSocket()
    client._in_flight += len(envelopes)
    frames = [
        json.dumps({"envelope_id": envelope_id, "type": kind, "payload": {}}).encode()
        for envelope_id, kind in envelopes
    ]
    client._handle_run([(ws, frame) for frame in frames])  # type: ignore[misc]
    return ws


def _events(repo: PeeweeRepository) -> list[str]:
    path = repo._db.database
    with sqlite3.connect(path) as other:
        return [row[0] for row in other.execute("SELECT event_id FROM processed_event ORDER BY 1")]


def _write(repo: PeeweeRepository, event_id: str) -> None:
    with repo.transaction():
        repo.record_event(event_id, NOW)


def _fail_commits(repo: PeeweeRepository, monkeypatch: pytest.MonkeyPatch, count: int) -> None:
    end = repo._end
    left = [count]

    def failing(connection: Any, statement: str) -> None:
        if statement == "COMMIT" and left[0]:
            left[0] -= 1
            raise sqlite3.OperationalError("disk I/O error")
        end(connection, statement)

    monkeypatch.setattr(repo, "_end", failing)


def test_web_calls_find_the_write_lock_free_and_each_envelope_is_acked_once_committed(
    repo: PeeweeRepository, probe: LockProbe, monkeypatch: pytest.MonkeyPatch
) -> None:
    web = make_web_client("xoxb-1", f"http://127.0.0.1:{probe.server_port}/api/", retries=False)

    def listener(envelope_id: str) -> None:
        _write(repo, envelope_id)
        web.api_call("chat.postMessage", json={"channel": "C1", "text": "x"})
        if envelope_id == "E2":  # a read-only command asking Slack in the middle
            with repo.reading():
                web.api_call("users.info", params={"user": "U1"})

    client = _client(repo, monkeypatch, listener)
    ws = _run(client, ("E1", "events_api"), ("E2", "events_api"), ("S3", "slash_commands"))
    assert probe.lock_free == [True, True, True, True]
    assert ws.acked == ["E1", "E2", "S3"] and client._in_flight == 0
    assert _events(repo) == ["E1", "E2", "S3"]


def test_a_failed_commit_acknowledges_nothing_it_rolled_back(
    repo: PeeweeRepository, probe: LockProbe, monkeypatch: pytest.MonkeyPatch
) -> None:
    """E2's lookup commits E1's batch first; that fails, and the listener swallows the
    failed lookup: still nothing of the run is acknowledged, and Slack redelivers it all."""
    web = make_web_client("xoxb-1", f"http://127.0.0.1:{probe.server_port}/api/", retries=False)

    def listener(envelope_id: str) -> None:
        if envelope_id == "E2":  # a lookup that fails never fails a command
            with contextlib.suppress(Exception):
                web.api_call("users.info", params={"user": "U1"})
        _write(repo, envelope_id)

    _fail_commits(repo, monkeypatch, 1)
    client = _client(repo, monkeypatch, listener)
    ws = _run(client, ("E1", "events_api"), ("E2", "events_api"), ("E3", "events_api"))
    assert ws.acked == [] and _events(repo) == [] and client._in_flight == 0
    ws = _run(client, ("E1", "events_api"), ("E2", "events_api"))  # the redelivery
    assert ws.acked == ["E1", "E2"] and _events(repo) == ["E1", "E2"]


def test_a_failed_commit_before_an_interaction_leaves_nothing_in_flight(
    repo: PeeweeRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_commits(repo, monkeypatch, 5)
    client = _client(repo, monkeypatch, lambda envelope_id: _write(repo, envelope_id))
    ws = _run(client, ("E1", "events_api"), ("S2", "slash_commands"))
    assert ws.acked == [] and client._in_flight == 0
    assert client.stop(0.5)  # nothing left to wait for
    assert repo._writer.acquire(blocking=False)
