"""Building the bolt App and its Socket Mode connection."""

from __future__ import annotations

import logging
import threading

from slack_bolt import App
from slack_bolt.adapter.socket_mode.websocket_client import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.websocket_client import SocketModeClient

from bot.slack.intake import Intake
from bot.slack.listeners import events

log = logging.getLogger(__name__)


def create_app(client: WebClient, intake: Intake) -> App:
    """process_before_response: the listener (commit, then post) runs before the ack is sent."""
    app = App(client=client, process_before_response=True, logger=logging.getLogger("bolt"))
    events.register(app, intake)
    return app


class DrainingSocketModeHandler(SocketModeHandler):
    """The websocket-client Socket Mode handler, plus a drain for clean shutdowns.

    The websocket-client transport is used instead of slack_sdk's built-in one: the built-in
    client's recursive frame parser lost events on backlogs and took up to a minute to
    reconnect after a TCP drop. While draining, new envelopes are left unacknowledged, so
    Slack redelivers them to the next connection instead of them being lost mid-shutdown.
    """

    def __init__(self, app: App, app_token: str, api_url: str) -> None:
        super().__init__(
            app,
            app_token,
            web_client=WebClient(base_url=api_url, timeout=15),
            concurrency=8,
        )
        self._draining = False
        self._in_flight = 0
        self._idle = threading.Condition()

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        with self._idle:
            if self._draining:
                return
            self._in_flight += 1
        try:
            super().handle(client, req)
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def drain(self, timeout: float) -> bool:
        """Stop taking envelopes and wait for the running ones; False if time ran out."""
        with self._idle:
            self._draining = True
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)
