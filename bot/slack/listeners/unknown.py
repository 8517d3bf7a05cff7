"""Interactions no listener knows, registered last: a button or form of an older version of
the bot (a message posted before an upgrade) is acknowledged and ignored, so Slack neither
shows the person an error nor redelivers it."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App

log = logging.getLogger(__name__)

ANY = re.compile(".*")


def register(app: App) -> None:
    @app.action(ANY)
    def on_action(ack: Ack, action: dict[str, Any]) -> None:
        ack()
        log.info("ignored a click on an unknown button %r", action.get("action_id"))

    @app.view(ANY)
    def on_view(ack: Ack, view: dict[str, Any]) -> None:
        ack()
        log.info("ignored a submitted form %r", view.get("callback_id"))
