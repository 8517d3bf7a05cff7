"""Socket Mode transport: one reader thread on websocket-client's blocking WebSocket.

Why not slack_sdk's clients: the built-in one lost events on backlogs (recursive frame
parser) and needed up to a minute to reconnect after a TCP drop; the websocket-client one
opens two sessions at start-up, waits 0.5 s before reading from every new connection, never
notices a silently dead connection, and takes 10 s to stop. This transport reconnects as soon
as a read fails, pings to detect dead peers (after 5 s without a frame; no pong within 5 s
ends the connection, so a silently dead one is replaced within about 10 s), stops at once, and
leaves envelopes that arrive during shutdown unacknowledged so that Slack redelivers them to
the next process.

Envelopes are handed to bolt's `App.dispatch` on a thread pool, one channel's envelopes one
after another in the order they arrived (so `rotate x` then `who x` apply in that order, and a
redelivery waits for its original), different channels in parallel. The envelopes a channel
has queued while it was busy are applied as one run in one transaction (group commit, see
`_handle_run`). An envelope is acknowledged once what its listener did is committed: the
sender posts the reply afterwards, so a slow Web API never delays an ack. The lookups a
command makes share a time budget of LOOKUP_BUDGET_SECONDS (bot.slack.client.time_budget), so
a slow or rate limited Web API does not delay it past Slack's 3 s either.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import Any, Generic, Protocol, TypeVar

import websocket
from slack_bolt import App
from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.request import SocketModeRequest
from websocket import ABNF, WebSocketException, WebSocketTimeoutException

from bot.slack.client import before_web_calls, time_budget

log = logging.getLogger(__name__)

RECONNECT_MAX_SECONDS = 10.0
LOOKUP_BUDGET_SECONDS = 1.5  # of Slack's 3 s for the ack; the rest is for the command itself
RUN_MOST = 32  # envelopes of one channel applied in one batch, and acknowledged after it

T = TypeVar("T")

FATAL_AUTH_ERRORS = {
    "invalid_auth",
    "not_authed",
    "not_allowed_token_type",
    "token_revoked",
    "account_inactive",
    "token_expired",
}


def _retry_after(error: SlackApiError) -> float:
    """The seconds a 429 asks to wait; 0 for other errors or without the header."""
    response = error.response
    if response is None or response.status_code != 429:
        return 0.0
    for name, value in (response.headers or {}).items():
        if name.lower() == "retry-after":
            try:
                return max(0.0, float(value[0] if isinstance(value, list) else value))
            except (TypeError, ValueError):
                return 0.0
    return 0.0


class SocketModeError(Exception):
    """Connecting is impossible until someone fixes the app token."""


class InOrderPerKey(Generic[T]):
    """Runs one key's items one after another in submission order, keys in parallel on a pool.

    A key's queue is drained by at most one pool task at a time, which hands `run` the items
    waiting at that moment (at most `most`) as one run, in order. Items without a key are run
    alone at once. `run` handles its own errors."""

    def __init__(self, pool: Executor, run: Callable[[list[T]], None], most: int) -> None:
        self._pool = pool
        self._run = run
        self._most = most
        self._lock = threading.Lock()
        self._queues: dict[str, deque[T]] = {}

    def submit(self, key: str | None, item: T) -> None:
        if key is None:
            self._pool.submit(self._run, [item])
            return
        with self._lock:
            queue = self._queues.get(key)
            if queue is not None:  # its drainer is running and will get to it
                queue.append(item)
                return
            self._queues[key] = deque([item])
        self._pool.submit(self._drain, key)

    def _drain(self, key: str) -> None:
        while True:
            with self._lock:
                queue = self._queues[key]
                if not queue:
                    del self._queues[key]
                    return
                run = [queue.popleft() for _ in range(min(len(queue), self._most))]
            self._run(run)


class Batch(Protocol):
    """Group commit of a run of envelopes (see PeeweeRepository.batched)."""

    def due(self) -> bool:
        """Someone waits for what the batch holds: commit before the next envelope."""

    def commit(self) -> bool:
        """Commit what the batch did so far; False, nothing done, in the middle of a unit."""


Batching = Callable[[], AbstractContextManager[Batch]]


def channel_of(message: dict[str, Any]) -> str | None:
    """The channel an envelope is about: events, slash commands, interactions. None if none."""
    payload = message.get("payload")
    if not isinstance(payload, dict):
        return None
    event = payload.get("event")
    candidates = [
        event.get("channel") if isinstance(event, dict) else None,
        payload.get("channel_id"),
        payload.get("channel", {}).get("id") if isinstance(payload.get("channel"), dict) else None,
    ]
    return next((c for c in candidates if isinstance(c, str) and c), None)


class SocketModeClient:
    def __init__(
        self,
        app: App,
        *,
        app_token: str,
        api_url: str,
        batched: Batching,
        workers: int = 8,
        ping_interval: float = 5.0,
        ping_timeout: float = 5.0,
    ) -> None:
        self._app = app
        self._batched = batched
        self._app_token = app_token
        self._web = WebClient(base_url=api_url, timeout=15)
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="envelope")
        self._ordered = InOrderPerKey(self._pool, self._handle_run, RUN_MOST)
        self._stop = threading.Event()
        self._ws: websocket.WebSocket | None = None
        self._send_lock = threading.Lock()
        self._reader: threading.Thread | None = None
        self._in_flight = 0
        self._accepting = True
        self._idle = threading.Condition()

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> None:
        """Connect once in the caller's thread, so a bad token fails start-up loudly."""
        self._ws = self._connect()
        self._reader = threading.Thread(target=self._read_forever, name="socket-mode", daemon=True)
        self._reader.start()

    def stop(self, drain_timeout: float) -> bool:
        """Stop taking envelopes, finish the running ones, then close. False on time-out."""
        with self._idle:
            self._accepting = False
            drained = self._idle.wait_for(lambda: self._in_flight == 0, drain_timeout)
        self._stop.set()
        self._close(self._ws)
        if self._reader is not None:
            self._reader.join(5)
        self._pool.shutdown(wait=drained, cancel_futures=True)
        return drained

    # ---------------------------------------------------------------- connection
    def _connect(self) -> websocket.WebSocket:
        try:
            url = self._web.apps_connections_open(app_token=self._app_token)["url"]
        except SlackApiError as error:
            code = error.response.get("error", "") if error.response else ""
            if code in FATAL_AUTH_ERRORS:
                raise SocketModeError(code) from error
            raise
        ws = websocket.create_connection(
            url,
            timeout=self._ping_interval,
            enable_multithread=True,
            # validating UTF-8 in pure Python costs ~230 us per envelope; json.loads checks it
            skip_utf8_validation=True,
        )
        log.info("Socket Mode connection open")
        return ws

    def _reconnect(self) -> websocket.WebSocket | None:
        """Back off from 1 s to RECONNECT_MAX_SECONDS, or longer when Slack's 429 says so: after
        an outage the bot is back within seconds, not the minutes an uncapped backoff grows
        to."""
        backoff = 0.0
        wait = 0.0
        while not self._stop.wait(wait):
            retry_after = 0.0
            try:
                return self._connect()
            except SocketModeError as error:
                log.error("Slack refuses the app token (%s); still retrying", error)
            except SlackApiError as error:
                retry_after = _retry_after(error)
                log.warning("Socket Mode reconnect failed: %s", error)
            except Exception as error:
                log.warning("Socket Mode reconnect failed: %s", error)
            backoff = min(max(backoff * 2, 1.0), RECONNECT_MAX_SECONDS)
            wait = max(backoff * random.uniform(0.8, 1.2), retry_after)
        return None

    @staticmethod
    def _close(ws: websocket.WebSocket | None) -> None:
        if ws is None:
            return
        try:
            ws.close(timeout=1)
        except Exception:  # the peer may be gone already; closing is best effort
            ws.shutdown()

    def _read_forever(self) -> None:
        while not self._stop.is_set():
            ws = self._ws
            if ws is not None:
                reason = self._read(ws)
                self._close(ws)
                if self._stop.is_set():
                    return
                log.info("Socket Mode connection ended (%s); reconnecting", reason)
            self._ws = self._reconnect()

    def _read(self, ws: websocket.WebSocket) -> str:
        """Read frames until the connection ends; returns why it ended."""
        awaiting_pong = False
        while not self._stop.is_set():
            try:
                opcode, data = ws.recv_data(control_frame=True)
            except WebSocketTimeoutException:
                if awaiting_pong:
                    return f"no pong within {self._ping_timeout:.0f} s"
                try:
                    ws.ping()
                except (OSError, WebSocketException) as error:
                    return f"ping failed: {error}"
                ws.settimeout(self._ping_timeout)
                awaiting_pong = True
                continue
            except (OSError, WebSocketException) as error:
                return f"read failed: {error or type(error).__name__}"
            if awaiting_pong:
                ws.settimeout(self._ping_interval)
                awaiting_pong = False
            if opcode == ABNF.OPCODE_CLOSE:
                return "closed by Slack"
            if opcode != ABNF.OPCODE_TEXT:
                continue
            message = self._decode(data)
            if message is None:
                continue
            kind = message.get("type")
            if kind == "disconnect":
                return f"Slack asked to reconnect ({message.get('reason')})"
            if kind == "hello":
                log.debug("hello: %s connections", message.get("num_connections"))
            elif message.get("envelope_id"):
                self._submit(ws, channel_of(message), data)
        return "stopping"

    @staticmethod
    def _decode(data: bytes) -> dict[str, Any] | None:
        """The frame as a JSON object; None (logged) for invalid UTF-8 or JSON, which is dropped
        rather than ending the reader: Slack redelivers an envelope it sees unacknowledged."""
        try:
            message = json.loads(data)
        except ValueError as error:  # UnicodeDecodeError and JSONDecodeError alike
            log.warning("dropped an undecodable Socket Mode frame (%s): %.200r", error, data)
            return None
        if not isinstance(message, dict):
            log.warning("dropped a Socket Mode frame that is no JSON object: %.200r", data)
            return None
        return message

    # ---------------------------------------------------------------- envelopes
    def _submit(self, ws: websocket.WebSocket, key: str | None, data: bytes) -> None:
        """Queued as the frame's bytes, decoded again when its turn comes (~10 us): a burst of
        queued envelopes as parsed JSON is thousands of small objects, which leave the
        allocator's arenas fragmented and the process ~1.5 MiB bigger after it."""
        with self._idle:
            if not self._accepting:
                return  # left unacknowledged: Slack redelivers it after the restart
            self._in_flight += 1
        self._ordered.submit(key, (ws, data))

    def _handle_run(self, run: list[tuple[websocket.WebSocket, bytes]]) -> None:
        """Apply a run of one channel's envelopes in one batch (group commit) and acknowledge
        each once what it did is committed: between two envelopes when another thread waits
        for the write lock, before a Web API call (so no Slack call holds the lock), and at
        the end. Interactions and slash commands are committed on their own: their listeners
        may call Slack through bolt's client. If a commit fails, the envelopes it would have
        committed are not acknowledged, nor are the rest of the run: Slack redelivers them."""
        acks: list[tuple[websocket.WebSocket, str]] = []
        done = 0  # envelopes of the run acknowledged or given up
        failed: list[BaseException] = []

        def acknowledge() -> None:
            nonlocal done
            done += len(acks)
            self._acknowledge(acks)

        def settle() -> None:
            try:
                committed = batch.commit()
            except BaseException as error:
                failed.append(error)  # a listener may swallow it (a lookup that failed)
                raise
            if committed and acks:
                acknowledge()

        try:
            with self._batched() as batch, before_web_calls(settle):
                for ws, data in run:
                    message = json.loads(data)  # the reader decoded it once already
                    alone = message.get("type") != "events_api"
                    if alone:
                        settle()
                    ack = self._apply(message)
                    if failed:
                        raise failed[0]
                    if ack is None:
                        done += 1
                        self._finished(1)
                    else:
                        acks.append((ws, ack))
                    if alone or batch.due():
                        settle()
            acknowledge()
        except Exception:
            log.exception("could not commit; Slack will redeliver %d envelope(s)", len(run) - done)
            self._finished(len(run) - done)

    def _apply(self, message: dict[str, Any]) -> str | None:
        """Run the envelope's listener; the ack frame to send once its effects are committed,
        or None (logged) if it is not to be acknowledged."""
        try:
            request = SocketModeRequest.from_dict(message)
            if request is None:
                return None
            with time_budget(LOOKUP_BUDGET_SECONDS):
                response = run_bolt_app(self._app, request)
            if response.status != 200:
                log.warning(
                    "envelope %s not acknowledged (status %s); Slack will redeliver it",
                    request.envelope_id,
                    response.status,
                )
                return None
            ack: dict[str, Any] = {"envelope_id": request.envelope_id}
            if response.body:
                content_type = response.headers.get("content-type", [""])[0]
                ack["payload"] = (
                    json.loads(response.body)
                    if content_type.startswith("application/json")
                    else {"text": response.body}
                )
            return json.dumps(ack)
        except Exception:
            log.exception("envelope %s failed; Slack will redeliver it", message.get("envelope_id"))
            return None

    def _acknowledge(self, acks: list[tuple[websocket.WebSocket, str]]) -> None:
        count = len(acks)
        try:
            with self._send_lock:
                for ws, frame in acks:
                    try:
                        ws.send(frame)
                    except (OSError, WebSocketException) as error:
                        log.warning(
                            "could not acknowledge an envelope (%s); Slack redelivers it", error
                        )
        finally:
            acks.clear()
            self._finished(count)

    def _finished(self, count: int) -> None:
        with self._idle:
            self._in_flight -= count
            self._idle.notify_all()
