"""From a Slack message event to a posted reply, exactly once per event id.

The dispatcher commits the command's effect together with the event id and the reply; the
reply is then posted and marked delivered, and only after that does the listener return and
bolt acknowledge the envelope. A crash anywhere before the ack makes Slack redeliver: the
stored event id stops a second application, and an undelivered stored reply is posted then.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from bot.core.dispatcher import Dispatcher
from bot.core.model import Request
from bot.slack.outbound import Sender
from bot.slack.users import SlackUsers


class Intake:
    def __init__(self, dispatcher: Dispatcher, sender: Sender, users: SlackUsers) -> None:
        self._dispatcher = dispatcher
        self._sender = sender
        self._users = users
        self._in_flight: set[str] = set()
        self._lock = threading.Lock()

    @contextmanager
    def _only_once(self, event_id: str) -> Iterator[bool]:
        with self._lock:
            first = event_id not in self._in_flight
            self._in_flight.add(event_id)
        try:
            yield first
        finally:
            if first:
                with self._lock:
                    self._in_flight.discard(event_id)

    def handle(self, event_id: str, request: Request) -> None:
        with self._only_once(event_id) as first:
            if not first:
                return  # a redelivery while the original is still running: it will answer
            with self._users.one_command():  # the check and the reply share the lookups
                outcome = self._dispatcher.handle(request, event_id=event_id)
                if outcome.duplicate and outcome.delivered:
                    return
                self._sender.post(request.channel, outcome.reply, request.thread_ts)
            self._dispatcher.mark_delivered(event_id)
