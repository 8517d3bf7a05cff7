"""Building the bolt App: listeners registered, listener runs before the ack."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient

from bot.core.dispatcher import Dispatcher
from bot.slack.listeners import events, home, swaps, unknown, users
from bot.slack.users import SlackUsers


class _TokenFromClient(logging.Filter):
    """bolt reads SLACK_BOT_TOKEN itself and warns that the client's token wins; it is the same."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def create_app(client: WebClient, dispatcher: Dispatcher, directory: SlackUsers) -> App:
    """process_before_response: the listener (the command and its outbox rows committed)
    runs before the ack is sent."""
    logger = logging.getLogger("bolt")
    logger.addFilter(_TokenFromClient())
    app = App(client=client, process_before_response=True, logger=logger)
    events.register(app, dispatcher)
    home.register(app, dispatcher)
    swaps.register(app, dispatcher)
    users.register(app, directory)
    unknown.register(app)  # last: what no listener above takes
    return app
