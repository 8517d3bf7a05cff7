"""The outbox sender: committed outbox rows become Web API calls, once each, in order per channel.

- **Claiming.** Rows are taken with a lease: the sender's owner id and an expiry, set by an
  UPDATE under SQLite's write lock. A sender may take a channel's pending rows only while no
  other live lease holds one of them, so one sender (one process) at a time delivers a
  channel, in commit (id) order, and no row is posted by two processes. The sender renews its
  leases while it holds rows; a lease that ran out (its process died or hung) is taken over.
  At start, leases held by processes of this host that no longer run are released at once, so
  a restarted bot does not wait for them to run out.
- **Channels in parallel.** Each channel is a queue served by one pool worker at a time. On a
  429 only that channel (the ordering key, and Slack's chat.postMessage limit is per channel)
  waits Slack's Retry-After, and the worker is freed: slack_sdk's RateLimitErrorRetryHandler
  would sleep inside the call and hold its worker, so the client given to the sender has no
  retry handlers and the sender reschedules the channel instead. 5xx and connection errors
  wait slack_sdk's exponential backoff with jitter (BackoffRetryIntervalCalculator), at most
  MAX_BACKOFF_SECONDS. A permanent error marks the row failed with Slack's code, is logged
  once, and the channel moves on.
- **Progress.** A reply is rendered when it is sent and may be several messages; the row
  records how many Slack accepted. Its delivered mark rides on the next transaction the
  process commits (no transaction of its own, none competing with the next command), or is
  flushed after FLUSH_SECONDS, and always before the channel's next message goes out. So a
  crash can duplicate at most one message per channel: the last one Slack accepted.
- **Handing over.** A transaction in this process that queues a row leases it to this sender
  at once, unless another pending row of its channel is not ours, and hands it over after
  the commit: no claim and no extra thread between the commit and the post. Claimed rows come
  through the same door, under the repository's write lock, so they queue in commit order.
  Rows the transaction could not lease wake the sender to claim them; rows from elsewhere
  (another process, `dienstplan outbox retry`) are found by a poll every POLL_SECONDS: a
  cheap read, and the claim (a write) only when there is something to take.
- **App Home.** A `home` row publishes a Home instead of posting (`publish`, built from the
  state at that moment). Its channel is the person, so when the next row of that channel is
  a republish too, this one is skipped and only the newer one publishes.
- **Stopping.** Workers finish the message in hand; the leases on the rest are released, so
  it stays pending for the next start or another process.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Protocol

from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator

from bot.core.home import HOME_KINDS
from bot.core.model import Reply
from bot.core.ports import Clock, OutboxRow, OutboxStore
from bot.slack.outbound import SlackDeliveryError, UndeliverableError

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0
LEASE = timedelta(seconds=15)
LEASE_MARGIN_SECONDS = 2.0  # a lease counts as lost this long before it runs out
BATCH = 200
MAX_BACKOFF_SECONDS = 60.0
STALLED_SECONDS = 5.0  # after an unexpected error (the database failing)
FLUSH_SECONDS = 0.1  # an idle channel's last delivered mark waits at most this long


class Poster(Protocol):
    def render(self, reply: Reply) -> list[str]:
        """The messages a reply posts, in order."""

    def post(self, row: OutboxRow, text: str, *, last: bool) -> None:
        """Post one message of the row (`last`: its last one). The row's kind says what
        goes with it: a notification's footer, a swap request's buttons, or that it
        replaces an earlier message. Raises SlackDeliveryError (try again) or
        UndeliverableError (give up)."""


@dataclass
class _Channel:
    rows: deque[OutboxRow] = field(default_factory=deque)
    not_before: float = 0.0  # time.monotonic() before which nothing is posted here
    busy: bool = False  # a worker is serving it


def new_owner() -> str:
    """host:pid:random, so a restart can tell that a lease's process is gone."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def gone(owner: str) -> bool:
    """The owner was a process of this host that no longer runs. When in doubt, not gone."""
    host, _, rest = owner.partition(":")
    if os.name != "posix" or host != socket.gethostname():
        return False
    try:
        os.kill(int(rest.partition(":")[0]), 0)
    except ProcessLookupError:
        return True
    except (OSError, ValueError):
        return False
    return False


class OutboxSender:
    def __init__(
        self,
        *,
        store: OutboxStore,
        poster: Poster,
        clock: Clock,
        workers: int = 8,
        poll: float = POLL_SECONDS,
        lease: timedelta = LEASE,
        owner: str | None = None,
        publish: Callable[[str, str], None] | None = None,
    ) -> None:
        self._store = store
        self._poster = poster
        self._publish = publish  # (kind, channel) of a `home` row
        self._clock = clock
        self._poll = poll
        self._lease = lease
        self.owner = owner or new_owner()
        self._backoff = BackoffRetryIntervalCalculator(backoff_factor=0.5)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="outbox")
        self._lock = threading.Lock()
        self._channels: dict[str, _Channel] = {}
        self._known: set[int] = set()  # ids of the rows in the channel queues
        self._posting: set[int] = set()  # ids a worker is delivering right now
        self._held_until = 0.0  # time.monotonic() until which all our leases are valid
        self._last_posted: dict[str, int] = {}  # channel -> its last row Slack accepted
        self._flush_at: float | None = None  # time.monotonic() to flush delivered marks
        self._new_rows = threading.Event()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle
    def wake(self) -> None:
        """Rows were committed that this sender has to claim (they could not be leased to it
        in their transaction): claim them now."""
        self._new_rows.set()
        self._wake.set()

    def start(self) -> None:
        self._store.attach(self.owner, self._lease, self._accept, self.wake)
        self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Finish the messages in hand; leave the rest pending for the next start."""
        self._store.detach()
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        self._pool.shutdown(wait=True)
        try:
            self._store.flush_delivered()
            left = self._store.release(self.owner)
        except Exception:
            log.exception("could not release the outbox leases; they run out in %s", self._lease)
            return
        if left:
            log.info("%d outbox message(s) left pending for the next start", left)

    def _run(self) -> None:
        try:
            self._take_over_from_gone_processes()
        except Exception:
            log.exception("could not check the outbox for leases of stopped processes")
        next_poll = 0.0
        while not self._stop.is_set():
            self._wake.clear()
            try:
                woken = self._new_rows.is_set()
                if woken or time.monotonic() >= next_poll:
                    self._new_rows.clear()
                    next_poll = time.monotonic() + self._poll
                    self._renew_if_due()
                    self._claim(check_first=not woken)
                if self._flush_at is not None and time.monotonic() >= self._flush_at:
                    self._flush_at = None
                    self._store.flush_delivered()
                self._dispatch()
            except Exception:
                log.exception("outbox pass failed; trying again in %g s", STALLED_SECONDS)
                next_poll = time.monotonic() + STALLED_SECONDS
            self._wake.wait(self._sleep(next_poll))

    # ---------------------------------------------------------------- leases
    def _take_over_from_gone_processes(self) -> None:
        for owner in self._store.lease_owners():
            if owner != self.owner and gone(owner):
                count = self._store.release(owner)
                log.info("taking over %d outbox message(s) of %s, which has stopped", count, owner)

    def _claim(self, *, check_first: bool) -> None:
        now = self._clock()
        if check_first and not self._store.has_claimable(self.owner, now):
            return
        if len(self._store.claim(self.owner, now, now + self._lease, BATCH)) == BATCH:
            self._new_rows.set()  # there may be more

    def _accept(self, rows: list[OutboxRow]) -> None:
        """Rows just leased to us, handed over by the repository after the commit, in commit
        order: queue them and start their channels."""
        with self._lock:
            if not self._known:
                self._held_until = (
                    time.monotonic() + self._lease.total_seconds() - LEASE_MARGIN_SECONDS
                )
            for row in rows:
                if row.id not in self._known:
                    self._known.add(row.id)
                    self._channels.setdefault(row.channel, _Channel()).rows.append(row)
        self._dispatch()

    def _renew_if_due(self) -> None:
        with self._lock:
            due = self._known and self._held_until - time.monotonic() < self._half_lease
        if not due:
            return
        started = time.monotonic()
        held = self._store.renew(self.owner, self._clock() + self._lease)
        with self._lock:
            self._held_until = started + self._lease.total_seconds() - LEASE_MARGIN_SECONDS
            lost = self._known - held - self._posting
            if not lost:
                return
            self._known -= lost
            for channel in self._channels.values():
                channel.rows = deque(row for row in channel.rows if row.id not in lost)
        log.warning("another sender took over %d outbox message(s) from this one", len(lost))

    @property
    def _half_lease(self) -> float:
        return self._lease.total_seconds() / 2

    # ---------------------------------------------------------------- channels
    def _dispatch(self) -> None:
        if self._stop.is_set():
            return  # what is left is released by stop()
        now = time.monotonic()
        with self._lock:
            ready = [
                key
                for key, channel in self._channels.items()
                if channel.rows and not channel.busy and channel.not_before <= now
            ]
            for key in ready:
                self._channels[key].busy = True
        for key in ready:
            self._pool.submit(self._serve, key)

    def _sleep(self, next_poll: float) -> float:
        now = time.monotonic()
        with self._lock:
            waits = [
                channel.not_before
                for channel in self._channels.values()
                if channel.rows and not channel.busy and channel.not_before > now
            ]
        if self._flush_at is not None:
            waits.append(self._flush_at)
        return max(0.0, min([next_poll, *waits]) - now)

    def _serve(self, key: str) -> None:
        """Deliver a channel's rows in order until it is empty, has to wait, or we stop."""
        with self._lock:
            channel = self._channels[key]
        wait = 0.0
        try:
            while not self._stop.is_set():
                with self._lock:
                    if not channel.rows:
                        break
                    if time.monotonic() >= self._held_until:
                        wait = 1.0  # the loop renews the leases first
                        break
                    row = channel.rows[0]
                    superseded = (
                        row.kind in HOME_KINDS
                        and len(channel.rows) > 1
                        and channel.rows[1].kind == row.kind
                    )
                    self._posting.add(row.id)
                    previous = self._last_posted.pop(key, None)
                if previous is not None and self._store.delivery_unrecorded(previous):
                    self._store.flush_delivered()  # one unrecorded message per channel at most
                try:
                    if superseded:  # the next row publishes the same Home, newer
                        self._store.record_delivered(row.id, self.owner, self._clock())
                        retry_in = None
                    else:
                        retry_in = self._deliver(row)
                finally:
                    with self._lock:
                        self._posting.discard(row.id)
                if retry_in is not None:
                    wait = retry_in
                    break
                with self._lock:
                    if channel.rows and channel.rows[0].id == row.id:
                        channel.rows.popleft()
                    self._known.discard(row.id)
                    self._last_posted[key] = row.id
        except Exception:
            log.exception("sending to %s failed; trying again in %g s", key, STALLED_SECONDS)
            wait = STALLED_SECONDS
        finally:
            with self._lock:
                channel.busy = False
                channel.not_before = time.monotonic() + wait
                if not channel.rows and self._channels.get(key) is channel:
                    del self._channels[key]
                if self._flush_at is None:
                    self._flush_at = time.monotonic() + FLUSH_SECONDS
            self._wake.set()

    def _deliver(self, row: OutboxRow) -> float | None:
        """Post the row's remaining messages (or publish its Home); None when it is done
        (delivered or failed), else the seconds to wait before trying again."""
        try:
            # a Home is one publish, built when it is sent
            messages = [""] if row.kind in HOME_KINDS else self._poster.render(row.reply)
        except Exception:
            log.exception("cannot render outbox row %d for %s", row.id, row.channel)
            self._store.record_failed(row.id, self.owner, row.sent, "render_failed")
            return None
        for index in range(row.sent, len(messages)):
            try:
                self._send(row, messages[index], last=index + 1 == len(messages))
            except SlackDeliveryError as error:
                return self._postpone(row, index, error)
            except UndeliverableError as error:
                self._store.record_failed(row.id, self.owner, index, error.code)
                log.error(
                    "%s to %s not delivered: Slack answered %s; `dienstplan outbox` lists it, "
                    "`dienstplan outbox retry` sends it again",
                    row.kind,
                    row.channel,
                    error.code,
                )
                return None
            if index + 1 < len(messages):
                self._store.record_progress(row.id, self.owner, index + 1)
        self._store.record_delivered(row.id, self.owner, self._clock())
        return None

    def _send(self, row: OutboxRow, message: str, *, last: bool) -> None:
        if row.kind not in HOME_KINDS:
            self._poster.post(row, message, last=last)
        elif self._publish is not None:
            self._publish(row.kind, row.channel)
        else:
            raise UndeliverableError("no_app_home")

    def _postpone(self, row: OutboxRow, sent: int, error: SlackDeliveryError) -> float:
        attempts = row.attempts + 1
        self._store.record_attempt(row.id, self.owner, sent, error.code)
        if error.retry_after is not None:
            wait = error.retry_after
        else:
            wait = min(self._backoff.calculate_sleep_duration(attempts - 1), MAX_BACKOFF_SECONDS)
        with self._lock:
            channel = self._channels.get(row.channel)
            if channel and channel.rows and channel.rows[0].id == row.id:
                channel.rows[0] = replace(row, sent=sent, attempts=attempts)
        log.warning(
            "%s to %s not sent yet (%s, attempt %d); trying again in %.1f s",
            row.kind,
            row.channel,
            error.code,
            attempts,
            wait,
        )
        return wait
