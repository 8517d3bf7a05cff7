"""The keep-alive Web API client against a local HTTP/1.1 server that counts TCP connections."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.error import URLError

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.slack.client import (
    BudgetSpent,
    KeepAliveWebClient,
    before_web_calls,
    make_web_client,
    time_budget,
)


class FakeSlack(ThreadingHTTPServer):
    """Answers `{"ok": true}` unless `plan` says otherwise for the next request:
    "429", "503", "drop" (close without an answer), "close after" (answer, then close),
    "slow" (answer after a second)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.connections = 0
        self.requests: list[str] = []
        self.plan: deque[str] = deque()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api/"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeSlack

    def setup(self) -> None:
        super().setup()
        self.server.connections += 1

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append(self.path)
        action = self.server.plan.popleft() if self.server.plan else "ok"
        if action == "drop":
            self.close_connection = True
            return
        if action == "slow":
            time.sleep(1.0)
        status = {"429": 429, "503": 503}.get(action, 200)
        body = json.dumps({"ok": status == 200, "error": "ratelimited"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if status == 429:
            self.send_header("Retry-After", "0")
        with contextlib.suppress(ConnectionError):  # "slow": the client may have given up
            self.end_headers()
            self.wfile.write(body)
        self.close_connection = action == "close after"  # without telling the client

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    server = FakeSlack()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_one_connection_per_thread_carries_every_call(slack: FakeSlack) -> None:
    client = make_web_client("xoxb-1", slack.url)
    for _ in range(5):
        assert client.api_call("chat.postMessage", json={"channel": "C1", "text": "x"})["ok"]
    assert slack.connections == 1
    other = threading.Thread(target=lambda: client.api_call("chat.postMessage"))
    other.start()
    other.join()
    assert slack.connections == 2
    assert slack.requests == ["/api/chat.postMessage"] * 6


def test_connection_closed_by_the_server_is_replaced_without_a_retry(slack: FakeSlack) -> None:
    client = KeepAliveWebClient(token="xoxb-1", base_url=slack.url, retry_handlers=[])
    slack.plan.extend(["close after", "ok", "drop", "ok"])
    for _ in range(3):
        assert client.api_call("chat.postMessage")["ok"]
    # closed while idle: reconnected before sending; closed without an answer: sent again
    assert slack.connections == 3
    assert len(slack.requests) == 4


class CountingRetries(ConnectionErrorRetryHandler):
    def __init__(self) -> None:
        super().__init__(max_retry_count=1)
        self.retried = 0

    def prepare_for_next_attempt(self, **kwargs: Any) -> None:
        self.retried += 1
        super().prepare_for_next_attempt(**kwargs)


def test_retry_handlers_still_see_rate_limits_server_errors_and_refusals(
    slack: FakeSlack,
) -> None:
    client = make_web_client("xoxb-1", slack.url)
    slack.plan.extend(["429", "503"])
    assert client.api_call("chat.postMessage")["ok"]
    assert len(slack.requests) == 3 and slack.connections == 1
    url = slack.url
    slack.shutdown()
    slack.server_close()
    retries = CountingRetries()
    refused = KeepAliveWebClient(base_url=url, retry_handlers=[retries])
    with pytest.raises(URLError):
        refused.api_call("chat.postMessage")
    assert retries.retried == 1


def test_a_new_connection_that_is_dropped_is_left_to_the_retry_handlers(slack: FakeSlack) -> None:
    client = KeepAliveWebClient(
        base_url=slack.url,
        retry_handlers=[RateLimitErrorRetryHandler(), ServerErrorRetryHandler()],
    )
    slack.plan.append("drop")
    with pytest.raises(ConnectionError):
        client.api_call("chat.postMessage")
    assert len(slack.requests) == 1


def test_inside_a_time_budget_a_call_is_not_retried_and_times_out_with_the_budget(
    slack: FakeSlack,
) -> None:
    client = make_web_client("xoxb-1", slack.url)
    slack.plan.extend(["429", "slow"])
    with time_budget(0.3):
        with pytest.raises(SlackApiError):  # a 429: Retry-After would outlast the budget
            client.api_call("users.info")
        started = time.monotonic()
        with pytest.raises(TimeoutError):  # a second's latency: the budget's 0.3 s at most
            client.api_call("users.info")
        assert time.monotonic() - started < 0.5
        with pytest.raises(BudgetSpent):  # spent: no request at all
            client.api_call("users.info")
    assert len(slack.requests) == 2
    slack.plan.append("429")
    assert client.api_call("users.info")["ok"]  # outside a budget the handlers retry
    assert len(slack.requests) == 4


def test_a_hook_runs_before_each_call_of_its_thread_and_its_failure_fails_the_call(
    slack: FakeSlack,
) -> None:
    """The envelope worker commits its batch there, so no Slack call holds the write lock."""
    client = make_web_client("xoxb-1", slack.url)
    calls: list[int] = []

    def hook() -> None:
        calls.append(len(slack.requests))  # what had reached Slack before it ran
        if len(calls) == 3:
            raise RuntimeError("the commit failed")

    with before_web_calls(hook):
        client.api_call("users.info")
        other = threading.Thread(target=lambda: client.api_call("users.info"))
        other.start()  # another thread's calls are not its business
        other.join()
        client.api_call("users.info")
        with pytest.raises(RuntimeError, match="commit failed"):
            client.api_call("users.info")
    client.api_call("users.info")
    assert calls == [0, 2, 3] and len(slack.requests) == 4
