"""The Web API client every Slack call goes through, pointed at SLACK_API_URL.

slack_sdk's `WebClient` sends each call through `urllib.request.urlopen`, which opens a new
TCP connection (against Slack: a new TLS handshake) per call and closes it after the answer.
`KeepAliveWebClient` replaces only that innermost step: each thread keeps one HTTP/1.1
connection per host open and reuses it. Everything around it (request encoding, the retry
handlers for 429, 5xx and connection errors, response parsing) stays slack_sdk's.

`time_budget` bounds the time a thread's calls may take in all: an envelope is acknowledged
only after its command ran, and Slack wants the ack within 3 s, so the lookups a command makes
(users.info, users.conversations, ...) must not wait out a latency spike or sleep through a
rate limit's Retry-After. Inside a budget a call times out when the budget does and is not
retried; the caller treats it as failed (a lookup that fails never fails a command).
"""

from __future__ import annotations

import io
import logging
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.client import HTTPConnection, HTTPResponse, HTTPSConnection
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

log = logging.getLogger(__name__)

_budget = threading.local()


class BudgetSpent(TimeoutError):
    """The thread's time budget for Web API calls ran out before this call."""


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """The Web API calls this thread makes inside take at most `seconds` in all (see the
    module docstring)."""
    _budget.deadline = time.monotonic() + seconds
    try:
        yield
    finally:
        _budget.deadline = None


@contextmanager
def before_web_calls(hook: Callable[[], None]) -> Iterator[None]:
    """`hook` runs before each Web API call this thread makes inside: an envelope worker
    commits what its batch holds, so that no Slack call holds the database's write lock. If
    the hook raises, the call fails with its error."""
    _budget.before = hook
    try:
        yield
    finally:
        _budget.before = None


def _remaining() -> float | None:
    """Seconds left of this thread's budget; None outside one."""
    deadline: float | None = getattr(_budget, "deadline", None)
    return None if deadline is None else deadline - time.monotonic()


class _OutsideBudget(RetryHandler):
    """A retry handler that retries only outside a time budget: inside one, the wait (a
    Retry-After, a backoff) would outlast it."""

    def __init__(self, handler: RetryHandler) -> None:
        super().__init__(handler.max_retry_count, handler.interval_calculator)
        self._handler = handler

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if _remaining() is not None:
            return False
        return self._handler.can_retry(state=state, request=request, response=response, error=error)

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        self._handler.prepare_for_next_attempt(
            state=state, request=request, response=response, error=error
        )


def make_web_client(token: str, api_url: str, *, retries: bool = True) -> WebClient:
    """Without these handlers a 429 or a 5xx raises at once and the reply is lost.

    `retries=False` is for the start-up check, which retries on its own schedule and says
    so once per attempt."""
    handlers = [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=2),
        ServerErrorRetryHandler(max_retry_count=2),
    ]
    return KeepAliveWebClient(
        token=token,
        base_url=api_url,
        timeout=15,
        retry_handlers=[_OutsideBudget(h) for h in handlers] if retries else [],
    )


class KeepAliveWebClient(WebClient):
    """A `WebClient` that reuses one connection per thread and host.

    It answers like urllib does, so slack_sdk's retry handlers see the same errors: a status
    outside 2xx raises `HTTPError` (redirects are not followed; Slack's Web API does not
    redirect), an error while connecting or sending raises `URLError`, and one while reading
    the answer raises as it is. A reused connection that the server closed while it was idle
    is replaced before sending. If the server closes it in the moment the request is sent,
    with no answer at all, the request is sent once more on a new connection, as browsers do:
    a server closes an idle keep-alive connection between requests, so it did not process
    that one. With a proxy configured, calls go through slack_sdk's own urllib path.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._local = threading.local()

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        if self.proxy:
            return super()._perform_urllib_http_request_internal(url, req)
        parts = urlsplit(req.full_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return super()._perform_urllib_http_request_internal(url, req)
        target = f"{parts.path or '/'}?{parts.query}" if parts.query else parts.path or "/"
        before: Callable[[], None] | None = getattr(_budget, "before", None)
        if before is not None:
            before()
        remaining = _remaining()
        if remaining is not None and remaining <= 0:
            raise BudgetSpent(f"no time left for {parts.path.rsplit('/', 1)[-1]}")
        conn = self._connection(parts.scheme, parts.netloc, remaining)
        resp, body = self._exchange(conn, target, req)
        if not 200 <= resp.status < 300:
            raise HTTPError(req.full_url, resp.status, resp.reason, resp.headers, io.BytesIO(body))
        if resp.headers.get_content_type() == "application/gzip":
            return {"status": resp.status, "headers": resp.headers, "body": body}
        charset = resp.headers.get_content_charset() or "utf-8"
        return {"status": resp.status, "headers": resp.headers, "body": body.decode(charset)}

    def _connection(self, scheme: str, netloc: str, budget: float | None) -> HTTPConnection:
        """This thread's connection to `netloc`, created on first use; its time-out is the
        client's, or what is left of the thread's budget if that is less."""
        conns: dict[tuple[str, str], HTTPConnection] = self._local.__dict__.setdefault("conns", {})
        conn = conns.get((scheme, netloc))
        timeout = self.timeout if budget is None else min(self.timeout, budget)
        if conn is None:
            if scheme == "https":
                conn = HTTPSConnection(netloc, timeout=timeout, context=self.ssl)
            else:
                conn = HTTPConnection(netloc, timeout=timeout)
            conns[(scheme, netloc)] = conn
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
            if _closed_by_peer(conn.sock):
                conn.close()
        return conn

    def _exchange(
        self, conn: HTTPConnection, target: str, req: Request
    ) -> tuple[HTTPResponse, bytes]:
        """Send `req` and read the whole answer, so that the connection can carry the next.

        Only a reused connection is tried again, and only once: closing it makes the second
        call open a new one."""
        reused = conn.sock is not None
        try:
            conn.request("POST", target, body=req.data, headers=dict(req.header_items()))
        except OSError as error:
            conn.close()
            if reused:
                return self._exchange(conn, target, req)
            raise URLError(error) from error
        try:
            resp = conn.getresponse()
        except ConnectionError:  # includes RemoteDisconnected: closed without an answer
            conn.close()
            if reused:
                log.debug("the server closed a keep-alive connection; sending again")
                return self._exchange(conn, target, req)
            raise
        except BaseException:
            conn.close()
            raise
        try:
            return resp, resp.read()
        except BaseException:
            conn.close()
            raise


def _closed_by_peer(sock: socket.socket) -> bool:
    """An idle keep-alive socket is readable only when the server closed it (or broke the
    protocol): either way it cannot carry the next request."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([sock], [], [], 0)[0])
