"""PostgreSQL's LISTEN/NOTIFY for the outbox: a replica that commits a row another replica
must send (its channel is leased to that one) notifies, and every replica's sender wakes to
claim it now instead of at its next poll. A notification is delivered on commit only, so a
rolled-back row wakes nobody; a lost one (the connection dropped) costs one poll interval."""

from __future__ import annotations

import logging
import select
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

CHANNEL = "dienstplan_outbox"
RECONNECT_SECONDS = 2.0


class OutboxListener:
    """A thread with a connection of its own (not the pool's) that calls `wake` per batch of
    notifications."""

    def __init__(self, connect: Callable[[], Any], wake: Callable[[], None]) -> None:
        self._connect = connect
        self._wake = wake
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            connection = None
            try:
                connection = self._connect()
                connection.autocommit = True
                connection.cursor().execute(f"LISTEN {CHANNEL}")
                while not self._stop.is_set():
                    readable, _, _ = select.select([connection], [], [], 0.5)
                    if readable:
                        connection.poll()
                        if connection.notifies:
                            connection.notifies.clear()
                            self._wake()
            except Exception as error:  # the database went away: the sender's poll still runs
                log.warning("outbox listener: %s; listening again in %ss", error, RECONNECT_SECONDS)
                self._stop.wait(RECONNECT_SECONDS)
            finally:
                if connection is not None:
                    connection.close()
