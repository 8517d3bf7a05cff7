"""The Accept and Decline buttons of a swap request's direct message.

A click becomes the same command as typing `swap accept <number>`, run as the person who
clicked, so the core checks the request against stored state and that person: a forged or
stale value changes nothing and says why. Clicked in the request's message, the answer
replaces it (chat.update through the outbox), so its buttons disappear once it is answered;
clicked in the App Home, it is answered in the person's DM and their Home is republished.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.core.dispatcher import Dispatcher
from bot.core.model import Request
from bot.slack.swaps import ACCEPT, DECLINE


def register(app: App, dispatcher: Dispatcher) -> None:
    @app.action(ACCEPT)
    @app.action(DECLINE)
    def on_answer(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        verb = "accept" if action.get("action_id") == ACCEPT else "decline"
        value = str(action.get("value") or "")[:40]
        user = (body.get("user") or {}).get("id") or ""
        container = body.get("container") or {}
        if container.get("type") == "view":  # the App Home: answered in the person's DM,
            channel, message_ts = user, None  # and the Home is republished
        else:
            channel = container.get("channel_id") or (body.get("channel") or {}).get("id") or ""
            message_ts = container.get("message_ts")
        request = Request(
            text=f"swap {verb} {value}",
            channel=channel,
            user=user,
            source="slack",
            replace_ts=message_ts,
        )
        # A redelivered envelope carries the same click (action_ts): applied once.
        event_id = f"action:{channel}:{message_ts}:{action.get('action_ts')}"
        dispatcher.handle(request, event_id=event_id)
