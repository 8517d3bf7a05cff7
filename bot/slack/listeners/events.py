"""Events API listeners: @mentions in channels and direct messages to the bot."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.core.dispatcher import Dispatcher
from bot.core.model import Request

# Message subtypes that are edits, deletions, joins and the like: not commands.
_IGNORED = "subtype"


def _request(event: dict[str, Any], bot_user_id: str | None) -> Request:
    return Request(
        text=event.get("text") or "",
        channel=event["channel"],
        user=event.get("user") or "",
        source="slack",
        thread_ts=event.get("thread_ts"),
        bot_user_id=bot_user_id,
    )


def register(app: App, dispatcher: Dispatcher) -> None:
    """Commit the command, its event id and its outbox rows; bolt acks when this returns."""

    @app.event("app_mention")
    def on_mention(body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        dispatcher.handle(_request(event, context.bot_user_id), event_id=body["event_id"])

    @app.event("message")
    def on_message(body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        """Only plain messages in the bot's DM are commands; edits and bot posts are acked."""
        if event.get("channel_type") != "im" or event.get(_IGNORED) or event.get("bot_id"):
            return
        dispatcher.handle(_request(event, context.bot_user_id), event_id=body["event_id"])
