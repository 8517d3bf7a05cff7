"""In-process Slack emulator: Web API + Socket Mode over real HTTP/WebSocket on 127.0.0.1.

End-to-end tests run the real bot as a subprocess against this server, so it has to speak the
wire protocol exactly like Slack (same JSON shapes, error codes, auth rules, envelope/ack flow)
while recording everything and letting tests inject faults (rate limits, 5xx, dropped sockets).

Design: one aiohttp application serves ``/api/<method>`` and the ``/link/`` WebSocket on one
ephemeral port. It runs on its own asyncio loop in a daemon thread; the public API is
synchronous and thread-safe. Shared state is guarded by one ``threading.Condition`` so the
``wait_for_*`` helpers can block the test thread until the loop thread records something.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import logging
import re
import socket
import struct
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from aiohttp import WSCloseCode, WSMsgType, web

from bot.slack.manifest import BOT_SCOPES

from . import payloads

log = logging.getLogger("tests.emulator")

T = TypeVar("T")
DropMode = Literal["close_frame", "eof", "reset"]

MAX_CONNECTIONS = 10  # Slack allows up to 10 concurrent Socket Mode connections per app
MAX_AUTO_RETRIES = 3  # Slack retries an un-acked event at most 3 times
_TEXT_LIMITS = {"section": 3000, "header": 150}  # characters in a block's `text`: invalid_blocks
TRIGGER_SECONDS = 3.0  # a trigger id opens a modal only this soon after the interaction
# Params Slack accepts as JSON-encoded strings in form bodies; decoded so tests see dicts.
_JSON_PARAMS = frozenset(
    {"blocks", "attachments", "view", "metadata", "unfurls", "user_auth_blocks", "options"}
)


class ApiError(Exception):
    """Raised by method handlers to answer ``{"ok": false, "error": ...}`` (HTTP 200)."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass
class ApiCall:
    """One recorded Web API request (recorded whether it succeeded or not)."""

    method: str
    params: dict[str, Any]
    token: str | None
    at: float  # time.monotonic()
    status: int = 200  # HTTP status answered
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when Slack would have accepted the call."""
        return self.status == 200 and bool(self.response.get("ok"))

    @property
    def text(self) -> str | None:
        """Shortcut for the ``text`` param (most assertions are about it)."""
        value = self.params.get("text")
        return value if isinstance(value, str) else None


@dataclass
class Envelope:
    """A Socket Mode envelope as sent to the client."""

    envelope_id: str
    event_id: str | None  # None for non-events_api envelopes (slash commands, interactivity)
    payload: dict[str, Any]  # the full envelope dict sent over the socket
    sent_at: float  # time.monotonic()
    connection_id: int = 0

    @property
    def retry_attempt(self) -> int:
        return int(self.payload.get("retry_attempt", 0))

    @property
    def event(self) -> dict[str, Any] | None:
        """The inner Events API event, if this is an events_api envelope."""
        inner = self.payload.get("payload")
        return inner.get("event") if isinstance(inner, dict) else None


@dataclass
class Ack:
    """A client frame carrying an ``envelope_id`` (Socket Mode acknowledgement)."""

    envelope_id: str
    payload: dict[str, Any] | None
    at: float
    connection_id: int = 0


@dataclass
class Frame:
    """Any frame the client sent (acks included), for debugging and protocol assertions."""

    connection_id: int
    raw: str
    data: dict[str, Any] | None
    at: float


@dataclass
class _Fault:
    status: int
    error: str
    retry_after: int | None
    body: str | None
    channel: str | None = None  # only calls with this `channel` param; None: any call


@dataclass
class _Conn:
    id: int
    ws: web.WebSocketResponse
    request: web.Request
    opened_at: float
    open: bool = True
    done: asyncio.Event = field(default_factory=asyncio.Event)
    blackholed: bool = False  # half-open: nothing reaches the client, nothing is read from it


class SlackEmulator:
    """Fake Slack (Web API + Socket Mode) for end-to-end tests; see module docstring."""

    def __init__(
        self,
        bot_token: str = "xoxb-test-token",
        app_token: str = "xapp-1-test-token",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.host = host
        self.port = port
        self.bot_user_id = "UBOT"
        self.bot_id = "BBOT"
        self.team_id = "T0TEAM"
        self.app_id = "A0APP"
        self.bot_name = "dienstplan"
        self.team_name = "Emulator Team"
        # fault injection / behaviour knobs (plain attributes, read on each use)
        self.reject_connections = False
        self.reject_connections_error = "internal_error"
        self.auto_redeliver_after: float | None = None
        self.api_latency = 0.0  # seconds added before every Web API answer
        # Slack spreads envelopes across an app's connections; by default the emulator sends
        # each to the newest one (what a test of one process with reconnects wants).
        self.spread_envelopes = False
        self._spread_turn = 0
        self.method_latency: dict[str, float] = {}  # more seconds for one method's answers
        # The scopes the app was installed with: Slack names them in the x-oauth-scopes
        # header of every answer to a bot-token call. By default, what the manifest asks for;
        # None leaves the header out, as a proxy that drops headers would.
        self.granted_scopes: list[str] | None = list(BOT_SCOPES)

        self._cond = threading.Condition(threading.RLock())
        self._calls: list[ApiCall] = []
        self._faults: dict[str, deque[_Fault]] = {}
        self._storms: dict[str, tuple[float, _Fault]] = {}  # method -> (until, fault)
        self._offline = False
        self._frames: list[Frame] = []
        self._acks: list[Ack] = []
        self._acked_envelopes: set[str] = set()
        self._acked_events: set[str] = set()
        self._envelopes: list[Envelope] = []
        self._envelope_ids: dict[str, Envelope] = {}  # an ack finds its envelope in O(1)
        self._latest_envelope_for_event: dict[str, str] = {}
        self._tickets: set[str] = set()
        self._conns: list[_Conn] = []  # ordered by connect time
        self._connects_total = 0
        self._conn_ids = itertools.count(1)
        self._last_ts_us = 0
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._reactions: set[tuple[str, str, str]] = set()
        self._views: dict[str, dict[str, Any]] = {}
        self._triggers: dict[str, float] = {}  # trigger id -> when it was issued
        self._home_views: dict[str, dict[str, Any]] = {}
        self._user_overrides: dict[str, dict[str, Any]] = {}
        self._usergroups: dict[str, list[str]] = {}
        self._channel_overrides: dict[str, dict[str, Any]] = {}
        self._channel_members: dict[str, set[str]] = {}
        self._timers: set[asyncio.TimerHandle] = set()

        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._started = threading.Event()
        self._start_error: BaseException | None = None

        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "bots.info": self._bots_info,
            "views.publish": self._views_publish,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.update": self._views_update,
            "users.info": self._users_info,
            "usergroups.users.list": self._usergroups_users_list,
            "conversations.info": self._conversations_info,
            "conversations.open": self._conversations_open,
            "conversations.members": self._conversations_members,
            "users.conversations": self._users_conversations,
            "reactions.add": self._reactions_add,
            "reactions.remove": self._reactions_remove,
        }

    # ================================================================== lifecycle

    def start(self) -> SlackEmulator:
        """Bind the port and serve from a background thread; returns once listening."""
        if self._thread is not None:
            raise RuntimeError("emulator already started")
        self._started.clear()
        self._start_error = None
        self._thread = threading.Thread(
            target=self._thread_main, name="slack-emulator", daemon=True
        )
        self._thread.start()
        self._started.wait(10)
        if self._start_error is not None or not self._started.is_set():
            self._thread.join(2)
            self._thread = None
            raise RuntimeError("Slack emulator failed to start") from self._start_error
        log.info("Slack emulator listening on %s", self.api_url)
        return self

    def stop(self) -> None:
        """Close every socket and the loop; quick (well under a second) and idempotent."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        if loop.is_running():
            fut = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
            with contextlib.suppress(Exception):
                fut.result(5)
            loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        self._thread = None
        self._loop = None
        with self._cond:
            self._cond.notify_all()

    def __enter__(self) -> SlackEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """slack_sdk ``base_url`` (trailing slash matters: it is joined with the method)."""
        return f"{self.base_url}/api/"

    def _thread_main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._startup())
        except BaseException as e:  # surfaced to start()
            self._start_error = e
            loop.close()
            self._started.set()
            return
        self._started.set()
        try:
            loop.run_forever()
        finally:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for t in pending:
                t.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _startup(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_get("/link/", self._handle_ws)
        app.router.add_get("/link", self._handle_ws)
        app.router.add_post("/response_url/{rid}", self._handle_response_url)
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=0.1)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])  # the ephemeral port actually bound

    async def _shutdown(self) -> None:
        for handle in list(self._timers):
            handle.cancel()
        self._timers.clear()
        conns = [c for c in self._conns if c.open]
        if conns:
            await asyncio.gather(
                *(self._close_conn(c, "close_frame", timeout=0.2) for c in conns),
                return_exceptions=True,
            )
            await self._wait_conns_done(conns, 0.3)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ================================================================== sync helpers

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float = 15.0) -> T:
        """Run a coroutine on the emulator loop from the calling (test) thread."""
        loop = self._loop
        if loop is None or not loop.is_running():
            coro.close()
            raise RuntimeError("emulator is not running (call start())")
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("synchronous emulator API called from the emulator thread")
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)

    def _wait(
        self, predicate: Callable[[], T | None], timeout: float, describe: Callable[[], str]
    ) -> T:
        with self._cond:
            result = self._cond.wait_for(predicate, timeout)
            if not result:
                raise TimeoutError(describe())
            return result

    def next_ts(self) -> str:
        """A new message ts, for tests that build their own events (see ``payloads``)."""
        return self._next_ts()

    def _next_ts(self) -> str:
        """Unique, strictly increasing message ts in Slack's ``1700000000.000100`` format."""
        with self._cond:
            us = max(int(time.time() * 1_000_000), self._last_ts_us + 1)
            self._last_ts_us = us
        return f"{us // 1_000_000}.{us % 1_000_000:06d}"

    # ================================================================== Web API recording

    @property
    def calls(self) -> list[ApiCall]:
        with self._cond:
            return list(self._calls)

    def calls_to(self, method: str) -> list[ApiCall]:
        with self._cond:
            return [c for c in self._calls if c.method == method]

    def posts(self, channel: str | None = None) -> list[ApiCall]:
        """Accepted ``chat.postMessage`` calls in order (rejected attempts are in ``calls``).

        ``channel`` matches the requested channel or the one Slack resolved it to
        (posting to ``U0ALICE`` lands in ``D0ALICE``).
        """
        with self._cond:
            return [c for c in self._calls if self._is_post(c, channel)]

    @staticmethod
    def _is_post(call: ApiCall, channel: str | None) -> bool:
        if call.method != "chat.postMessage" or not call.ok:
            return False
        return channel is None or channel in (
            call.params.get("channel"),
            call.response.get("channel"),
        )

    def wait_for_call(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        timeout: float = 10.0,
    ) -> ApiCall:
        """First recorded call (already recorded or new) of ``method`` matching ``predicate``."""

        def find() -> ApiCall | None:
            for c in self._calls:
                if c.method == method and (predicate is None or predicate(c)):
                    return c
            return None

        return self._wait(
            find, timeout, lambda: f"no {method} call matched within {timeout}s; {self._recent()}"
        )

    def wait_for_posts(
        self, n: int, channel: str | None = None, timeout: float = 10.0
    ) -> list[ApiCall]:
        """Block until at least ``n`` accepted posts (to ``channel``) exist; returns them all.

        Each wake-up scans only the calls recorded since the last one: a full scan per
        recorded call would hold the lock the server records calls under for O(calls) time,
        slowing the server down in the benchmarks' bursts."""
        found: list[ApiCall] = []
        scanned = 0

        def enough() -> list[ApiCall] | None:
            nonlocal scanned
            if scanned > len(self._calls):  # cleared meanwhile
                found.clear()
                scanned = 0
            found.extend(c for c in self._calls[scanned:] if self._is_post(c, channel))
            scanned = len(self._calls)
            return list(found) if len(found) >= n else None

        where = f" to {channel}" if channel else ""
        return self._wait(
            enough,
            timeout,
            lambda: (
                f"expected {n} posts{where} within {timeout}s, got "
                f"{len([c for c in self._calls if self._is_post(c, channel)])}; {self._recent()}"
            ),
        )

    def clear_calls(self) -> None:
        with self._cond:
            self._calls.clear()

    def _recent(self, n: int = 15) -> str:
        with self._cond:
            recent = self._calls[-n:]
        if not recent:
            return "no Web API calls recorded"
        lines = []
        for c in recent:
            params = json.dumps(c.params, default=str)
            if len(params) > 160:
                params = params[:157] + "..."
            err = "" if c.ok else f" -> {c.status} {c.response.get('error')}"
            lines.append(f"  {c.method} {params}{err}")
        return "recent calls:\n" + "\n".join(lines)

    def fail_next(
        self,
        method: str,
        *,
        error: str = "ratelimited",
        status: int = 429,
        retry_after: int = 1,
        count: int = 1,
        body: str | None = None,
        channel: str | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` fail (with ``channel``: only calls
        whose ``channel`` param is that channel).

        429 -> HTTP 429 + ``Retry-After`` + ``{"ok":false,"error":"ratelimited"}``;
        200 -> ``{"ok":false,"error":error}``; other statuses -> that status with ``body``
        (default: a JSON error body; ``error`` defaults to ``internal_error`` there).
        """
        if status >= 500 and error == "ratelimited":
            error = "internal_error"
        fault = _Fault(status, error, retry_after if status == 429 else None, body, channel)
        with self._cond:
            self._faults.setdefault(method, deque()).extend(copy.copy(fault) for _ in range(count))

    def clear_faults(self) -> None:
        """Forget the failures ``fail_next`` queued and not yet served."""
        with self._cond:
            self._faults.clear()
            self._storms.clear()

    def storm(
        self,
        methods: str | list[str],
        seconds: float,
        *,
        status: int = 429,
        retry_after: int = 1,
        error: str = "ratelimited",
    ) -> None:
        """Every call of these methods fails for ``seconds`` from now, answered as by
        ``fail_next`` (429 with Retry-After, 5xx, or ``ok: false`` with ``error``)."""
        if status >= 500 and error == "ratelimited":
            error = "internal_error"
        fault = _Fault(status, error, retry_after if status == 429 else None, None)
        until = time.monotonic() + seconds
        with self._cond:
            for method in [methods] if isinstance(methods, str) else methods:
                self._storms[method] = (until, fault)

    def _take_fault(self, method: str, params: dict[str, Any]) -> _Fault | None:
        with self._cond:
            storm = self._storms.get(method)
            if storm is not None and time.monotonic() < storm[0]:
                return copy.copy(storm[1])
            queue = self._faults.get(method) or deque()
            for fault in queue:
                if fault.channel is None or fault.channel == params.get("channel"):
                    queue.remove(fault)
                    return fault
        return None

    # ================================================================== test data helpers

    def set_user(self, user_id: str, **fields: Any) -> None:
        """Override ``users.info`` fields for a user (e.g. ``tz="America/New_York"``)."""
        with self._cond:
            self._user_overrides.setdefault(user_id, {}).update(fields)

    def set_usergroup(self, group_id: str, users: list[str]) -> None:
        """The users ``usergroups.users.list`` answers for a group (``S...`` id)."""
        with self._cond:
            self._usergroups[group_id] = list(users)

    def deactivate_user(self, user_id: str) -> None:
        """The account is deactivated: ``users.info`` answers ``deleted: true``."""
        self.set_user(user_id, deleted=True)

    def set_channel(self, channel_id: str, **fields: Any) -> None:
        """Override ``conversations.info`` fields for a channel (e.g. ``name="oncall"``)."""
        with self._cond:
            self._channel_overrides.setdefault(channel_id, {}).update(fields)

    def add_members(self, channel: str, *users: str) -> None:
        """These users are members of the channel (``users.conversations``,
        ``conversations.members``); ``member_joined`` adds its user too."""
        with self._cond:
            self._channel_members.setdefault(channel, set()).update(users)

    def remove_member(self, channel: str, user: str) -> None:
        with self._cond:
            self._channel_members.get(channel, set()).discard(user)

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """Current state of a message (after chat.update), or None if unknown/deleted."""
        with self._cond:
            msg = self._messages.get((channel, ts))
            return copy.deepcopy(msg) if msg is not None else None

    @property
    def home_views(self) -> dict[str, dict[str, Any]]:
        """Last view published with views.publish, per user id."""
        with self._cond:
            return copy.deepcopy(self._home_views)

    @staticmethod
    def dm_channel_for(user: str) -> str:
        return payloads.dm_channel_for(user)

    # ================================================================== Web API server

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params, parse_error = await self._read_params(request)
        token = params.pop("token", None)
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip() or token
        token = token if isinstance(token, str) and token else None
        latency = self.api_latency + self.method_latency.get(method, 0.0)
        if latency:
            await asyncio.sleep(latency)

        headers: dict[str, str] = {}
        status = 200
        body_text: str | None = None
        fault = self._take_fault(method, params)
        if fault is not None:
            status = fault.status
            body = {"ok": False, "error": fault.error}
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            body_text = fault.body
        else:
            body = self._dispatch(method, params, token, parse_error)
            if token == self.bot_token and self.granted_scopes is not None:
                headers["x-oauth-scopes"] = ",".join(self.granted_scopes)

        call = ApiCall(method, params, token, time.monotonic(), status, body)
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()
        log.debug("api %s %s -> %s %s", method, params, status, body.get("error", "ok"))
        if body_text is not None:
            return web.Response(status=status, text=body_text, headers=headers)
        return web.json_response(body, status=status, headers=headers)

    def _dispatch(
        self, method: str, params: dict[str, Any], token: str | None, parse_error: str | None
    ) -> dict[str, Any]:
        handler = self._methods.get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        if parse_error is not None:
            return {"ok": False, "error": parse_error}
        if method != "api.test":
            needed = self.app_token if method == "apps.connections.open" else self.bot_token
            other = self.bot_token if needed == self.app_token else self.app_token
            if token is None:
                return {"ok": False, "error": "not_authed"}
            if token == other:
                return {"ok": False, "error": "not_allowed_token_type"}
            if token != needed:
                return {"ok": False, "error": "invalid_auth"}
        try:
            with self._cond:
                result = handler(params)
        except ApiError as e:
            return {"ok": False, "error": e.error, **e.extra}
        return {"ok": True, **result}

    @staticmethod
    async def _read_params(request: web.Request) -> tuple[dict[str, Any], str | None]:
        """Merge query string and form/JSON body like Slack does; decode JSON-string params."""
        params: dict[str, Any] = dict(request.query)
        error = None
        if request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                try:
                    data = json.loads(await request.text() or "{}")
                except ValueError:
                    data, error = {}, "invalid_json"
                if isinstance(data, dict):
                    params.update(data)
                else:
                    error = "invalid_json"
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key in dict.fromkeys(form.keys()):
                    values = [
                        v if isinstance(v, str) else {"filename": getattr(v, "filename", None)}
                        for v in form.getall(key)
                    ]
                    params[key] = values[0] if len(values) == 1 else values
        for key in _JSON_PARAMS & params.keys():
            value = params[key]
            if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(value)
        return params, error

    async def _handle_response_url(self, request: web.Request) -> web.StreamResponse:
        """``response_url`` of slash commands/actions: recorded as method ``response_url``."""
        params, _ = await self._read_params(request)
        params["response_url_id"] = request.match_info["rid"]
        call = ApiCall("response_url", params, None, time.monotonic(), 200, {"ok": True})
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()
        return web.json_response({"ok": True})

    # ------------------------------------------------------------------ method handlers
    # All run on the loop thread with self._cond held.

    def _api_test(self, p: dict[str, Any]) -> dict[str, Any]:
        if "error" in p:
            raise ApiError(str(p["error"]), args=p)
        return {"args": p}

    def _auth_test(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://emulator.slack.com/",
            "team": self.team_name,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _bots_info(self, p: dict[str, Any]) -> dict[str, Any]:
        if p.get("bot") != self.bot_id:
            raise ApiError("bot_not_found")
        return {
            "bot": {
                "id": self.bot_id,
                "deleted": False,
                "name": self.bot_name,
                "updated": 1700000000,
                "app_id": self.app_id,
                "user_id": self.bot_user_id,
                "icons": {},
            }
        }

    def _apps_connections_open(self, p: dict[str, Any]) -> dict[str, Any]:
        if self.reject_connections:
            raise ApiError(self.reject_connections_error)
        ticket = str(uuid.uuid4())
        self._tickets.add(ticket)
        return {"url": f"ws://{self.host}:{self.port}/link/?ticket={ticket}&app_id={self.app_id}"}

    def _resolve_channel(self, channel: Any) -> str:
        if not isinstance(channel, str) or not channel.strip():
            raise ApiError("channel_not_found")
        if channel[0] in "UW":  # posting to a user id lands in the IM with that user
            return payloads.dm_channel_for(channel)
        return channel

    @staticmethod
    def _check_message_content(p: dict[str, Any], max_blocks: int = 50) -> None:
        blocks = p.get("blocks")
        if blocks is not None:
            if not isinstance(blocks, list):
                raise ApiError("invalid_blocks_format")
            if len(blocks) > max_blocks or not all(
                isinstance(b, dict) and isinstance(b.get("type"), str) for b in blocks
            ):
                raise ApiError("invalid_blocks")
        text = p.get("text")
        if not text and not blocks and not p.get("attachments"):
            raise ApiError("no_text")
        if isinstance(text, str) and len(text) > 40_000:
            raise ApiError("msg_too_long")

    def _bot_message(self, ts: str, p: dict[str, Any]) -> dict[str, Any]:
        msg: dict[str, Any] = {
            "user": self.bot_user_id,
            "type": "message",
            "ts": ts,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "text": p.get("text") or "",
            "team": self.team_id,
            "bot_profile": {
                "id": self.bot_id,
                "app_id": self.app_id,
                "name": self.bot_name,
                "deleted": False,
                "team_id": self.team_id,
            },
        }
        for key in ("blocks", "attachments", "metadata"):
            if p.get(key):
                msg[key] = p[key]
        if p.get("thread_ts"):
            msg["thread_ts"] = str(p["thread_ts"])
        return msg

    def _chat_post_message(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(p.get("channel"))
        self._check_message_content(p)
        ts = self._next_ts()
        msg = self._bot_message(ts, p)
        self._messages[(channel, ts)] = msg
        return {"channel": channel, "ts": ts, "message": copy.deepcopy(msg)}

    def _chat_post_ephemeral(self, p: dict[str, Any]) -> dict[str, Any]:
        self._resolve_channel(p.get("channel"))
        if not p.get("user"):
            raise ApiError("user_not_in_channel")
        self._check_message_content(p)
        return {"message_ts": self._next_ts()}

    def _find_message(self, p: dict[str, Any], ts_key: str = "ts") -> tuple[str, str, dict]:
        channel = self._resolve_channel(p.get("channel"))
        ts = p.get(ts_key)
        msg = self._messages.get((channel, str(ts))) if ts else None
        if msg is None:
            raise ApiError("message_not_found")
        return channel, str(ts), msg

    def _chat_update(self, p: dict[str, Any]) -> dict[str, Any]:
        channel, ts, msg = self._find_message(p)
        if msg.get("user") != self.bot_user_id:
            raise ApiError("cant_update_message")
        self._check_message_content(p)
        updated = self._bot_message(ts, p)
        if msg.get("thread_ts"):
            updated["thread_ts"] = msg["thread_ts"]
        updated["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        self._messages[(channel, ts)] = updated
        return {"channel": channel, "ts": ts, "text": updated["text"], "message": updated}

    def _chat_delete(self, p: dict[str, Any]) -> dict[str, Any]:
        channel, ts, msg = self._find_message(p)
        if msg.get("user") != self.bot_user_id:
            raise ApiError("cant_delete_message")
        del self._messages[(channel, ts)]
        return {"channel": channel, "ts": ts}

    def _chat_get_permalink(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(p.get("channel"))
        ts = p.get("message_ts")
        if not ts:
            raise ApiError("message_not_found")
        link = f"https://emulator.slack.com/archives/{channel}/p{str(ts).replace('.', '')}"
        return {"channel": channel, "permalink": link}

    def _reaction_key(self, p: dict[str, Any]) -> tuple[str, str, str]:
        channel = self._resolve_channel(p.get("channel"))
        if not p.get("timestamp"):
            raise ApiError("no_item_specified")
        name = p.get("name")
        if not isinstance(name, str) or not name.strip(":"):
            raise ApiError("invalid_name")
        return channel, str(p["timestamp"]), name.strip(":")

    def _reactions_add(self, p: dict[str, Any]) -> dict[str, Any]:
        key = self._reaction_key(p)
        if key in self._reactions:
            raise ApiError("already_reacted")
        self._reactions.add(key)
        return {}

    def _reactions_remove(self, p: dict[str, Any]) -> dict[str, Any]:
        key = self._reaction_key(p)
        if key not in self._reactions:
            raise ApiError("no_reaction")
        self._reactions.discard(key)
        return {}

    def _view_object(self, view: dict[str, Any], view_id: str | None = None) -> dict[str, Any]:
        view_id = view_id or "V" + uuid.uuid4().hex[:10].upper()
        return {
            "id": view_id,
            "team_id": self.team_id,
            "type": view.get("type"),
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
            "title": view.get("title"),
            "close": view.get("close"),
            "submit": view.get("submit"),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": self.app_id,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }

    @staticmethod
    def _check_view(view: Any, types: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(view, dict) or view.get("type") not in types:
            raise ApiError("invalid_arguments")
        blocks = view.get("blocks", [])
        if not isinstance(blocks, list) or len(blocks) > 100:
            raise ApiError("invalid_arguments")
        if not all(isinstance(b, dict) and isinstance(b.get("type"), str) for b in blocks):
            raise ApiError("invalid_arguments")
        for block in blocks:
            text = block.get("text")
            limit = _TEXT_LIMITS.get(block["type"])
            if limit and isinstance(text, dict) and len(str(text.get("text", ""))) > limit:
                raise ApiError("invalid_blocks")
        return view

    def _views_publish(self, p: dict[str, Any]) -> dict[str, Any]:
        user = p.get("user_id")
        if not isinstance(user, str) or not user:
            raise ApiError("invalid_arguments")
        view = self._check_view(p.get("view"), ("home",))
        current = self._home_views.get(user)
        if p.get("hash") and current is not None and p["hash"] != current["hash"]:
            raise ApiError("hash_conflict")
        obj = self._view_object(view, current["id"] if current else None)
        self._home_views[user] = obj
        self._views[obj["id"]] = obj
        return {"view": copy.deepcopy(obj)}

    def _views_open(self, p: dict[str, Any]) -> dict[str, Any]:
        trigger = p.get("trigger_id") or p.get("interactivity_pointer")
        if not trigger:
            raise ApiError("invalid_arguments")
        issued = self._triggers.get(str(trigger))
        if issued is None:
            raise ApiError("invalid_trigger_id")
        if time.monotonic() - issued > TRIGGER_SECONDS:
            raise ApiError("expired_trigger_id")
        view = self._check_view(p.get("view"), ("modal",))
        obj = self._view_object(view)
        self._views[obj["id"]] = obj
        return {"view": copy.deepcopy(obj)}

    def _views_update(self, p: dict[str, Any]) -> dict[str, Any]:
        view = self._check_view(p.get("view"), ("modal", "home"))
        current = self._views.get(str(p.get("view_id") or ""))
        if current is None and p.get("external_id"):
            current = next(
                (v for v in self._views.values() if v["external_id"] == p["external_id"]), None
            )
        if current is None:
            raise ApiError("not_found")
        if p.get("hash") and p["hash"] != current["hash"]:
            raise ApiError("hash_conflict")
        obj = self._view_object(view, current["id"])
        self._views[obj["id"]] = obj
        for user, home in self._home_views.items():
            if home["id"] == obj["id"]:
                self._home_views[user] = obj
        return {"view": copy.deepcopy(obj)}

    @staticmethod
    def _name_from_id(object_id: str) -> str:
        """``U0ALICE`` -> ``alice``: readable, deterministic names for any id."""
        return object_id[1:].lstrip("0").lower() or object_id.lower()

    def _users_info(self, p: dict[str, Any]) -> dict[str, Any]:
        uid = p.get("user")
        if not isinstance(uid, str) or len(uid) < 2 or uid[0] not in "UW":
            raise ApiError("user_not_found")
        is_bot = uid == self.bot_user_id
        name = self.bot_name if is_bot else self._name_from_id(uid)
        overrides = copy.deepcopy(self._user_overrides.get(uid, {}))
        tz_name = overrides.get("tz", "Europe/Berlin")
        try:
            now = datetime.now(ZoneInfo(tz_name))
            offset = now.utcoffset()
            tz_offset = int(offset.total_seconds()) if offset else 0
            tz_label = now.tzname() or tz_name
        except (KeyError, ValueError):
            tz_offset, tz_label = 0, tz_name
        real_name = name.capitalize()
        profile: dict[str, Any] = {
            "real_name": real_name,
            "real_name_normalized": real_name,
            "display_name": name,
            "display_name_normalized": name,
            "first_name": real_name,
            "last_name": "",
            "title": "",
            "status_text": "",
            "status_emoji": "",
            "image_48": f"https://emulator.slack.com/avatars/{uid}_48.png",
            "team": self.team_id,
        }
        if is_bot:
            profile.update(bot_id=self.bot_id, always_active=True)
        else:
            profile["email"] = f"{name}@example.com"
        profile.update(overrides.pop("profile", {}))
        user: dict[str, Any] = {
            "id": uid,
            "team_id": self.team_id,
            "name": name,
            "deleted": False,
            "color": "9f69e7",
            "real_name": real_name,
            "tz": tz_name,
            "tz_label": tz_label,
            "tz_offset": tz_offset,
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": 1700000000,
            "is_email_confirmed": not is_bot,
        }
        user.update(overrides)
        return {"user": user}

    def _usergroups_users_list(self, p: dict[str, Any]) -> dict[str, Any]:
        group = p.get("usergroup")
        if not isinstance(group, str) or not group:
            raise ApiError("invalid_arguments")
        if group not in self._usergroups:
            raise ApiError("no_such_subteam")
        return {"users": list(self._usergroups[group])}

    def _conversations_info(self, p: dict[str, Any]) -> dict[str, Any]:
        cid = p.get("channel")
        if not isinstance(cid, str) or len(cid) < 2 or cid[0] not in "CGD":
            raise ApiError("channel_not_found")
        if cid[0] == "D":
            channel: dict[str, Any] = {
                "id": cid,
                "created": 1700000000,
                "is_im": True,
                "is_org_shared": False,
                "user": "U" + cid[1:],
                "is_user_deleted": False,
                "priority": 0,
            }
        else:
            name = self._name_from_id(cid)
            channel = {
                "id": cid,
                "name": name,
                "is_channel": True,
                "is_group": False,
                "is_im": False,
                "is_mpim": False,
                "is_private": cid[0] == "G",
                "created": 1700000000,
                "is_archived": False,
                "is_general": False,
                "unlinked": 0,
                "name_normalized": name,
                "is_shared": False,
                "is_org_shared": False,
                "is_ext_shared": False,
                "is_pending_ext_shared": False,
                "is_member": True,
                "creator": "U0CREATOR",
                "topic": {"value": "", "creator": "", "last_set": 0},
                "purpose": {"value": "", "creator": "", "last_set": 0},
            }
        channel.update(copy.deepcopy(self._channel_overrides.get(cid, {})))
        return {"channel": channel}

    def _conversations_open(self, p: dict[str, Any]) -> dict[str, Any]:
        if p.get("channel"):
            return {"no_op": True, "already_open": True, "channel": {"id": str(p["channel"])}}
        users = p.get("users")
        if isinstance(users, str):
            users = [u.strip() for u in users.split(",") if u.strip()]
        if not users:
            raise ApiError("users_list_not_supplied")
        if any(not isinstance(u, str) or u[:1] not in ("U", "W") for u in users):
            raise ApiError("user_not_found")
        if len(users) == 1:
            return {"channel": {"id": payloads.dm_channel_for(users[0])}}
        digest = uuid.uuid5(uuid.NAMESPACE_OID, ",".join(sorted(users))).hex[:10].upper()
        return {"channel": {"id": "G" + digest}}

    @staticmethod
    def _page(items: list[str], p: dict[str, Any], default: int) -> tuple[list[str], str]:
        """Cursor pagination like Slack's: an opaque ``next_cursor``, empty on the last page."""
        try:
            limit = int(p.get("limit") or default)
            start = int(payloads.decode_cursor(str(p["cursor"]))) if p.get("cursor") else 0
        except ValueError as error:
            raise ApiError("invalid_cursor") from error
        limit = min(max(limit, 1), 1000)
        end = start + limit
        return items[start:end], payloads.encode_cursor(str(end)) if end < len(items) else ""

    def _conversations_members(self, p: dict[str, Any]) -> dict[str, Any]:
        cid = p.get("channel")
        if not isinstance(cid, str) or len(cid) < 2 or cid[0] not in "CGD":
            raise ApiError("channel_not_found")
        members = sorted(self._channel_members.get(cid, set()))
        if cid[0] == "G" and self.bot_user_id not in members:
            raise ApiError("channel_not_found")  # a private channel the bot is not in
        page, cursor = self._page(members, p, 100)
        return {"members": page, "response_metadata": {"next_cursor": cursor}}

    def _users_conversations(self, p: dict[str, Any]) -> dict[str, Any]:
        """Channels the user is in; private ones only where the bot is too, as for a bot token
        (needs channels:read and groups:read)."""
        user = p.get("user") or self.bot_user_id
        if not isinstance(user, str) or user[:1] not in ("U", "W"):
            raise ApiError("user_not_found")
        types = set(str(p.get("types") or "public_channel").split(","))
        found = []
        for cid, members in sorted(self._channel_members.items()):
            kind = "private_channel" if cid.startswith("G") else "public_channel"
            if user not in members or kind not in types:
                continue
            if kind == "private_channel" and self.bot_user_id not in members:
                continue
            found.append(cid)
        page, cursor = self._page(found, p, 100)
        channels = [self._conversations_info({"channel": cid})["channel"] for cid in page]
        return {"channels": channels, "response_metadata": {"next_cursor": cursor}}

    # ================================================================== Socket Mode server

    async def _handle_ws(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        with self._cond:
            valid = ticket in self._tickets
            self._tickets.discard(ticket)  # tickets are single-use
        if not valid:
            return web.Response(status=401, text="invalid or already used ticket")
        ws = web.WebSocketResponse(autoping=True, timeout=2.0, max_msg_size=16 * 1024 * 1024)
        await ws.prepare(request)
        conn = _Conn(next(self._conn_ids), ws, request, time.monotonic())
        with self._cond:
            too_many = sum(c.open for c in self._conns) >= MAX_CONNECTIONS
            if not too_many:
                self._conns.append(conn)
        if too_many:
            await ws.send_str(json.dumps(payloads.disconnect_message("too_many_websockets")))
            await ws.close(code=WSCloseCode.POLICY_VIOLATION)
            return ws
        try:
            with self._cond:
                n_open = sum(c.open for c in self._conns)
            hello = payloads.hello_message(num_connections=n_open, app_id=self.app_id)
            await ws.send_str(json.dumps(hello))
            with self._cond:
                self._connects_total += 1
                dead = [c for c in self._conns if c.blackholed and c.open]
                self._cond.notify_all()
            for c in dead:
                await self._close_conn(c, "reset")
            log.debug("socket %d connected (%d open)", conn.id, n_open)
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_client_frame(conn, msg.data)
                elif msg.type == WSMsgType.BINARY:
                    self._on_client_frame(conn, msg.data.decode("utf-8", "replace"))
        finally:
            with self._cond:
                conn.open = False
                self._conns = [c for c in self._conns if c is not conn]
                self._cond.notify_all()
            conn.done.set()
            log.debug("socket %d closed", conn.id)
        return ws

    def _on_client_frame(self, conn: _Conn, raw: str) -> None:
        now = time.monotonic()
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            data = None
        with self._cond:
            self._frames.append(Frame(conn.id, raw, data, now))
            if data is not None and isinstance(data.get("envelope_id"), str):
                env_id = data["envelope_id"]
                payload = data.get("payload")
                ack = Ack(env_id, payload if isinstance(payload, dict) else None, now, conn.id)
                self._acks.append(ack)
                self._acked_envelopes.add(env_id)
                env = self._envelope_ids.get(env_id)
                if env is not None and env.event_id is not None:
                    self._acked_events.add(env.event_id)
            self._cond.notify_all()

    async def _deliver(self, envelope: dict[str, Any]) -> Envelope | None:
        """Send to the newest open connection (falling back to older ones), or with
        `spread_envelopes` to each open connection in turn; None if none is open."""
        text = json.dumps(envelope)
        event_id = (envelope.get("payload") or {}).get("event_id")
        with self._cond:
            candidates = [c for c in reversed(self._conns) if c.open]
            if self.spread_envelopes and candidates:
                turn = self._spread_turn % len(candidates)
                self._spread_turn += 1
                candidates = candidates[turn:] + candidates[:turn]
        for conn in candidates:
            if conn.ws.closed:
                continue
            if conn.blackholed:
                return await self._blackhole(conn, envelope)
            env = Envelope(envelope["envelope_id"], event_id, envelope, time.monotonic(), conn.id)
            with self._cond:  # recorded before sending so an instant ack finds it
                self._envelopes.append(env)
                self._envelope_ids[env.envelope_id] = env
                if event_id is not None:
                    self._latest_envelope_for_event[event_id] = env.envelope_id
            try:
                await conn.ws.send_str(text)
            except Exception:  # connection went away under us: try the next one
                with self._cond:
                    self._envelopes.remove(env)
                    self._envelope_ids.pop(env.envelope_id, None)
                continue
            env.sent_at = time.monotonic()
            self._schedule_redelivery(env)
            return env
        return None

    async def _blackhole(self, conn: _Conn, envelope: dict[str, Any]) -> Envelope:
        """A half-open connection swallows the envelope: recorded as sent, never received."""
        event_id = (envelope.get("payload") or {}).get("event_id")
        env = Envelope(envelope["envelope_id"], event_id, envelope, time.monotonic(), conn.id)
        with self._cond:
            self._envelopes.append(env)
            self._envelope_ids[env.envelope_id] = env
            if event_id is not None:
                self._latest_envelope_for_event[event_id] = env.envelope_id
        self._schedule_redelivery(env)
        return env

    def _send_envelope(self, envelope: dict[str, Any], wait_connected: bool) -> Envelope:
        deadline = time.monotonic() + (10.0 if wait_connected else 0.0)
        while True:
            env = self._run(self._deliver(envelope))
            if env is not None:
                return env
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ConnectionError(
                    "no open Socket Mode connection to deliver to"
                    + (" (waited 10s)" if wait_connected else "")
                )
            time.sleep(0.01)  # a dying connection may still look open for a moment
            with self._cond:
                self._cond.wait_for(lambda: any(c.open for c in self._conns), remaining)

    # ------------------------------------------------------------------ auto redelivery

    def _schedule_redelivery(self, env: Envelope) -> None:
        delay = self.auto_redeliver_after
        if delay is None or env.event_id is None or self._loop is None:
            return
        handle: asyncio.TimerHandle | None = None

        def fire() -> None:
            if handle is not None:
                self._timers.discard(handle)
            self._loop.create_task(self._auto_redeliver(env))  # type: ignore[union-attr]

        handle = self._loop.call_later(delay, fire)
        self._timers.add(handle)

    async def _auto_redeliver(self, env: Envelope) -> None:
        with self._cond:
            assert env.event_id is not None
            if env.event_id in self._acked_events:
                return
            if self._latest_envelope_for_event.get(env.event_id) != env.envelope_id:
                return  # a newer delivery of this event owns the retry chain
            if env.retry_attempt >= MAX_AUTO_RETRIES:
                return
        new = self._retry_envelope(env, "timeout")
        if await self._deliver(new) is None:
            self._schedule_redelivery(env)  # nobody connected: try again later

    @staticmethod
    def _retry_envelope(env: Envelope, reason: str) -> dict[str, Any]:
        new = copy.deepcopy(env.payload)
        new["envelope_id"] = payloads.new_envelope_id()
        new["retry_attempt"] = env.retry_attempt + 1
        new["retry_reason"] = reason
        return new

    # ================================================================== Socket Mode public API

    @property
    def connects_total(self) -> int:
        with self._cond:
            return self._connects_total

    @property
    def open_connections(self) -> int:
        with self._cond:
            return sum(c.open for c in self._conns)

    def wait_connected(self, timeout: float = 10.0, count: int = 1) -> None:
        """Until at least ``count`` hellos were sent since start (counts REconnects too)."""
        self._wait(
            lambda: self._connects_total >= count,
            timeout,
            lambda: (
                f"expected {count} Socket Mode connects within {timeout}s, "
                f"got {self._connects_total}; {self._recent()}"
            ),
        )

    def send_event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
        wait_connected: bool = True,
    ) -> Envelope:
        """Wrap ``event`` in an events_api envelope and deliver it to the newest connection."""
        payload = payloads.event_callback(
            event,
            team_id=self.team_id,
            app_id=self.app_id,
            bot_user_id=self.bot_user_id,
            event_id=event_id,
        )
        envelope = payloads.events_api_envelope(
            payload, retry_attempt=retry_attempt, retry_reason=retry_reason
        )
        return self._send_envelope(envelope, wait_connected)

    def send_envelope(self, envelope: dict[str, Any], *, wait_connected: bool = True) -> Envelope:
        """Deliver a prebuilt envelope (see ``payloads``) as-is."""
        return self._send_envelope(envelope, wait_connected)

    def _remember_user_message(self, event: dict[str, Any]) -> None:
        with self._cond:
            self._messages[(event["channel"], event["ts"])] = copy.deepcopy(event)

    def mention(
        self,
        text: str,
        *,
        channel: str = "C0CHAN",
        user: str = "U0ALICE",
        thread_ts: str | None = None,
        wait_connected: bool = True,
    ) -> Envelope:
        """A user @-mentions the bot. ``<@UBOT> `` is prepended if the text lacks it."""
        if not re.search(rf"<@{self.bot_user_id}(\|[^>]*)?>", text):
            text = f"<@{self.bot_user_id}> {text}"
        event = payloads.app_mention_event(
            text,
            user=user,
            channel=channel,
            ts=self._next_ts(),
            team_id=self.team_id,
            thread_ts=thread_ts,
        )
        self._remember_user_message(event)
        return self.send_event(event, wait_connected=wait_connected)

    def dm(
        self,
        text: str,
        *,
        user: str = "U0ALICE",
        channel: str | None = None,
        thread_ts: str | None = None,
    ) -> Envelope:
        """A user writes to the bot in its IM (default channel ``dm_channel_for(user)``)."""
        event = payloads.im_message_event(
            text,
            user=user,
            channel=channel or payloads.dm_channel_for(user),
            ts=self._next_ts(),
            team_id=self.team_id,
            thread_ts=thread_ts,
        )
        self._remember_user_message(event)
        return self.send_event(event)

    def member_joined(
        self, channel: str, user: str, *, inviter: str | None = "U0INVITER"
    ) -> Envelope:
        """``member_joined_channel`` (also sent when the bot itself is invited: user=UBOT);
        the user becomes a member of the channel."""
        self.add_members(channel, user)
        event = payloads.member_joined_channel_event(
            user=user,
            channel=channel,
            team_id=self.team_id,
            event_ts=self._next_ts(),
            inviter=inviter,
        )
        return self.send_event(event)

    def user_change(self, user: str) -> Envelope:
        """Slack tells the app that a user changed (after ``set_user``/``deactivate_user``):
        ``user_change`` with the user as ``users.info`` now answers."""
        return self._user_event("user_change", user)

    def team_join(self, user: str) -> Envelope:
        """Someone joined the workspace: ``team_join`` with the new user object."""
        return self._user_event("team_join", user)

    def _user_event(self, kind: str, user: str) -> Envelope:
        with self._cond:
            data = self._users_info({"user": user})["user"]
        return self.send_event(payloads.user_event(kind, data, event_ts=self._next_ts()))

    def app_home_opened(self, user: str, tab: str = "home") -> Envelope:
        """User opens the App Home; includes the last published home view like Slack."""
        with self._cond:
            view = copy.deepcopy(self._home_views.get(user))
        event = payloads.app_home_opened_event(
            user=user,
            channel=payloads.dm_channel_for(user),
            event_ts=self._next_ts(),
            tab=tab,
            view=view,
        )
        return self.send_event(event)

    def slash_command(
        self, command: str, text: str = "", *, user: str = "U0ALICE", channel: str = "C0CHAN"
    ) -> Envelope:
        """A slash command invocation; its ``response_url`` points back at the emulator."""
        payload = payloads.slash_command_payload(
            command,
            text,
            user=user,
            user_name=self._name_from_id(user),
            channel=channel,
            channel_name=self._name_from_id(channel),
            team_id=self.team_id,
            app_id=self.app_id,
            response_url=f"{self.base_url}/response_url/{uuid.uuid4().hex}",
        )
        with self._cond:
            self._triggers[payload["trigger_id"]] = time.monotonic()
        return self._send_envelope(payloads.slash_commands_envelope(payload), True)

    def block_action(
        self,
        action_id: str,
        value: str | None = None,
        *,
        user: str = "U0ALICE",
        block_id: str = "actions",
        channel: str | None = None,
        message_ts: str | None = None,
        view_user: str | None = None,
    ) -> Envelope:
        """A button click, either on a posted message (channel+message_ts) or on the home view
        published for ``view_user``."""
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id,
            "type": "button",
            "action_ts": self._next_ts(),
            "text": {"type": "plain_text", "text": action_id, "emoji": True},
        }
        if value is not None:
            action["value"] = value
        with self._cond:
            view = copy.deepcopy(self._home_views.get(view_user)) if view_user else None
            message = None
            if channel and message_ts:
                message = copy.deepcopy(self._messages.get((channel, message_ts)))
        payload = payloads.block_actions_payload(
            action,
            user=user,
            user_name=self._name_from_id(user),
            team_id=self.team_id,
            app_id=self.app_id,
            channel=channel,
            message=message,
            view=view,
            response_url=None if view else f"{self.base_url}/response_url/{uuid.uuid4().hex}",
        )
        return self._send_interaction(payload)

    def view_submission(
        self,
        view_id: str,
        values: dict[str, dict[str, dict[str, Any]]],
        *,
        user: str = "U0ALICE",
    ) -> Envelope:
        """The user submits an opened modal with these ``state.values``; the bot's answer
        (``response_action``) comes back in the ack's payload."""
        with self._cond:
            view = copy.deepcopy(self._views[view_id])
        payload = payloads.view_submission_payload(
            view,
            values,
            user=user,
            user_name=self._name_from_id(user),
            team_id=self.team_id,
            app_id=self.app_id,
        )
        return self._send_interaction(payload)

    def views_opened(self) -> list[dict[str, Any]]:
        """The modals opened with views.open, oldest first, as stored (with their ids)."""
        with self._cond:
            ids = [
                c.response["view"]["id"] for c in self._calls if c.method == "views.open" and c.ok
            ]
            return [copy.deepcopy(self._views[i]) for i in ids]

    def _send_interaction(self, payload: dict[str, Any]) -> Envelope:
        """Its trigger id may open a modal for TRIGGER_SECONDS, as on Slack."""
        with self._cond:
            self._triggers[payload["trigger_id"]] = time.monotonic()
        return self._send_envelope(payloads.interactive_envelope(payload), True)

    def redeliver(
        self, envelope: Envelope, reason: str = "timeout", *, wait_connected: bool = True
    ) -> Envelope:
        """Slack's retry: same payload and event_id, new envelope_id, retry_attempt + 1."""
        return self._send_envelope(self._retry_envelope(envelope, reason), wait_connected)

    @property
    def envelopes(self) -> list[Envelope]:
        with self._cond:
            return list(self._envelopes)

    @property
    def acks(self) -> list[Ack]:
        with self._cond:
            return list(self._acks)

    @property
    def frames(self) -> list[Frame]:
        with self._cond:
            return list(self._frames)

    def is_acked(self, envelope: Envelope) -> bool:
        with self._cond:
            return envelope.envelope_id in self._acked_envelopes

    def wait_for_ack(self, envelope: Envelope, timeout: float = 10.0) -> Ack:
        def find() -> Ack | None:
            return next((a for a in self._acks if a.envelope_id == envelope.envelope_id), None)

        return self._wait(
            find,
            timeout,
            lambda: (
                f"envelope {envelope.envelope_id} ({envelope.event_id}) not acked within "
                f"{timeout}s; {len(self._acks)} acks, {self.open_connections} open connections"
            ),
        )

    def drop_connections(self, mode: DropMode = "close_frame") -> int:
        """Kill every open socket: ``close_frame`` (WS close 1001), ``eof`` (TCP FIN, no close
        frame) or ``reset`` (RST). Returns once the server saw them closed; returns the count."""
        if mode not in ("close_frame", "eof", "reset"):
            raise ValueError(f"unknown drop mode {mode!r}")

        async def drop() -> int:
            with self._cond:
                conns = [c for c in self._conns if c.open]
            await asyncio.gather(
                *(self._close_conn(c, mode) for c in conns), return_exceptions=True
            )
            await self._wait_conns_done(conns, 3.0)
            return len(conns)

        return self._run(drop())

    def send_disconnect(
        self,
        reason: str = "refresh_requested",
        *,
        all_connections: bool = False,
        close_after: float | None = None,
    ) -> int:
        """Send Slack's ``disconnect`` message (newest connection, or all); optionally close the
        socket ``close_after`` seconds later like Slack does if the client lingers."""

        async def send() -> int:
            with self._cond:
                conns = [c for c in reversed(self._conns) if c.open]
            if not all_connections:
                conns = conns[:1]
            text = json.dumps(payloads.disconnect_message(reason))
            sent = 0
            for c in conns:
                with contextlib.suppress(Exception):
                    await c.ws.send_str(text)
                    sent += 1
                if close_after is not None and self._loop is not None:
                    conn = c

                    def later(conn: _Conn = conn) -> None:
                        if conn.open and self._loop is not None:
                            self._loop.create_task(self._close_conn(conn, "close_frame"))

                    self._timers.add(self._loop.call_later(close_after, later))
            return sent

        return self._run(send())

    def half_open(self) -> int:
        """Every open socket goes silently dead, as when a NAT or firewall forgets it: no close,
        no reset; nothing the server sends reaches the client (envelopes count as sent, so
        auto-redelivery retries them) and nothing the client sends (pings included) is read.
        Such a socket is aborted once the client has connected again. Returns the count."""

        async def cut() -> int:
            with self._cond:
                conns = [c for c in self._conns if c.open and not c.blackholed]
                for c in conns:
                    c.blackholed = True
            for c in conns:
                if c.request.transport is not None:
                    c.request.transport.pause_reading()
            return len(conns)

        return self._run(cut())

    @property
    def offline(self) -> bool:
        with self._cond:
            return self._offline

    def go_offline(self) -> None:
        """Slack becomes unreachable: the port stops listening (connections are refused) and
        every open connection, Web API keep-alive and Socket Mode alike, is reset."""

        async def off() -> None:
            assert self._runner is not None
            with self._cond:
                self._offline = True
                conns = [c for c in self._conns if c.open]
            for site in list(self._runner.sites):
                await site.stop()
            await asyncio.gather(
                *(self._close_conn(c, "reset") for c in conns), return_exceptions=True
            )
            server = self._runner.server
            for handler in list(server.connections if server is not None else []):
                transport = handler.transport
                if transport is not None:
                    _reset(transport)
            await self._wait_conns_done(conns, 3.0)

        self._run(off())

    def go_online(self) -> None:
        """Listen again on the same port."""

        async def on() -> None:
            assert self._runner is not None
            site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
            await site.start()
            with self._cond:
                self._offline = False

        self._run(on())

    def is_event_acked(self, event_id: str) -> bool:
        """Some delivery of the event (the first or a redelivery) was acknowledged."""
        with self._cond:
            return event_id in self._acked_events

    def send_raw_frame(self, data: bytes) -> int:
        """Send ``data`` as a TEXT frame to every open connection, unchecked (e.g. invalid
        UTF-8 or JSON, which real Slack never sends but a client must survive). Returns the
        number of connections it went to."""

        async def send() -> int:
            with self._cond:
                conns = [c for c in self._conns if c.open]
            for c in conns:
                await c.ws.send_frame(data, WSMsgType.TEXT)
            return len(conns)

        return self._run(send())

    async def _close_conn(self, conn: _Conn, mode: DropMode, timeout: float = 2.0) -> None:
        transport = conn.request.transport
        if mode == "close_frame":
            try:
                await asyncio.wait_for(
                    conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"going away"), timeout
                )
            except (TimeoutError, Exception):
                if transport is not None:
                    transport.abort()
        elif mode == "eof":
            if transport is not None:
                transport.close()  # flushes, then FIN; no WebSocket close frame
        elif mode == "reset" and transport is not None:
            _reset(transport)

    @staticmethod
    async def _wait_conns_done(conns: list[_Conn], timeout: float) -> None:
        if conns:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.gather(*(c.done.wait() for c in conns)), timeout)


def _reset(transport: asyncio.Transport) -> None:
    """Close with SO_LINGER 0: the peer gets a TCP RST."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
