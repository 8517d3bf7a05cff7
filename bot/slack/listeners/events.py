"""Events API listeners: @mentions in channels, direct messages to the bot, and the bot being
added to a channel.

Every event is acknowledged, also when it is not a command: the bot's own messages (bolt's
IgnoringSelfEvents middleware acks those before any listener runs), other bots' messages,
edits and deletions (`message_changed`, `message_deleted`), join and leave messages, and other
people joining a channel. Slackbot is the exception: a `/remind` reminder arrives as its
message `Reminder: <text>.`, which is how people run a command on a timer.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.core.dispatcher import Dispatcher
from bot.core.model import Request
from bot.core.parser import SLACKBOT, is_reminder


def _request(event: dict[str, Any], bot_user_id: str | None) -> Request:
    return Request(
        text=event.get("text") or "",
        channel=event["channel"],
        user=event.get("user") or "",
        source="slack",
        thread_ts=event.get("thread_ts"),
        bot_user_id=bot_user_id,
    )


def is_command(event: dict[str, Any]) -> bool:
    """A person's new message, or a Slackbot reminder; not an edit, a deletion, a join or
    leave message (each has a `subtype`), nor another bot's post (`bot_id`)."""
    if event.get("user") == SLACKBOT:
        return is_reminder(event.get("text") or "")
    return not event.get("subtype") and not event.get("bot_id")


def register(app: App, dispatcher: Dispatcher) -> None:
    """Commit the command, its event id and its outbox rows; bolt acks when this returns."""

    @app.event("app_mention")
    def on_mention(body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        if is_command(event):
            dispatcher.handle(_request(event, context.bot_user_id), event_id=body["event_id"])

    @app.event("message")
    def on_message(body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        """Only messages in the bot's DM are commands; channel messages come as mentions."""
        if event.get("channel_type") == "im" and is_command(event):
            dispatcher.handle(_request(event, context.bot_user_id), event_id=body["event_id"])

    @app.event("member_joined_channel")
    def on_join(body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        """The bot itself was added: welcome the channel. Anyone else joining is no command."""
        if event.get("user") == context.bot_user_id:
            dispatcher.welcome(event["channel"], event_id=body["event_id"])
