"""Builders for Socket Mode messages and event payloads shaped exactly like Slack's.

Kept free of emulator state (everything is passed in) so tests and the benchmark can build
payloads without a running server, and so the shapes live in one reviewable place.
Shapes follow Slack's docs for Socket Mode, the Events API and the individual event types.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import string
import time
import uuid
from typing import Any

VERIFICATION_TOKEN = "XXYYZZ"  # Slack's deprecated verification token; still present in payloads
_EVENT_ID_ALPHABET = string.ascii_uppercase + string.digits
_MENTION_RE = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>|<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")


def new_envelope_id() -> str:
    """Socket Mode envelope ids are random UUID4 strings."""
    return str(uuid.uuid4())


def new_event_id() -> str:
    """Event ids look like ``Ev08MFMKH6J9``: ``Ev0`` plus uppercase alphanumerics."""
    return "Ev0" + "".join(secrets.choice(_EVENT_ID_ALPHABET) for _ in range(9))


def new_block_id() -> str:
    """Slack generates short random block ids for user-authored rich text."""
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(5))


def new_trigger_id() -> str:
    """Trigger ids look like ``1234567890123.1234567890123.0123456789abcdef0123456789abcdef``."""
    return (
        f"{secrets.randbelow(10**13):013d}.{secrets.randbelow(10**13):013d}.{secrets.token_hex(16)}"
    )


def dm_channel_for(user: str) -> str:
    """Deterministic IM channel id for a user (``U0ALICE`` -> ``D0ALICE``)."""
    return "D" + user[1:]


def encode_cursor(position: str) -> str:
    """Slack's cursors are opaque base64 strings such as ``dXNlcjpVMDYxTkZUVDI=``."""
    return base64.b64encode(f"next:{position}".encode()).decode()


def decode_cursor(cursor: str) -> str:
    try:
        return base64.b64decode(cursor.encode()).decode().removeprefix("next:")
    except ValueError as error:
        raise ValueError(f"not a cursor: {cursor!r}") from error


def rich_text_blocks(text: str) -> list[dict[str, Any]]:
    """The ``rich_text`` block Slack attaches to user-typed messages.

    ``<@U..>`` and ``<#C..|name>`` become user/channel elements like in real payloads, so code
    that reads blocks instead of ``text`` sees the same structure as in production.
    """
    elements: list[dict[str, Any]] = []
    pos = 0
    for m in _MENTION_RE.finditer(text):
        if m.start() > pos:
            elements.append({"type": "text", "text": text[pos : m.start()]})
        if m.group(1):
            elements.append({"type": "user", "user_id": m.group(1)})
        else:
            elements.append({"type": "channel", "channel_id": m.group(2)})
        pos = m.end()
    if pos < len(text) or not elements:
        elements.append({"type": "text", "text": text[pos:]})
    return [
        {
            "type": "rich_text",
            "block_id": new_block_id(),
            "elements": [{"type": "rich_text_section", "elements": elements}],
        }
    ]


def event_context(event: dict[str, Any], *, team_id: str, app_id: str) -> str:
    """Opaque ``event_context`` string: Slack's is ``4-`` + base64 JSON, hence ``4-eyJ...``."""
    ctx = {"et": event.get("type", ""), "tid": team_id, "aid": app_id}
    if "channel" in event and isinstance(event["channel"], str):
        ctx["cid"] = event["channel"]
    raw = json.dumps(ctx, separators=(",", ":")).encode()
    return "4-" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


# --------------------------------------------------------------------------- events


def app_mention_event(
    text: str, *, user: str, channel: str, ts: str, team_id: str, thread_ts: str | None = None
) -> dict[str, Any]:
    """``app_mention`` as delivered when someone @-mentions the bot in a channel."""
    event: dict[str, Any] = {
        "client_msg_id": str(uuid.uuid4()),
        "type": "app_mention",
        "text": text,
        "user": user,
        "ts": ts,
        "blocks": rich_text_blocks(text),
        "team": team_id,
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    event["channel"] = channel
    event["event_ts"] = ts
    return event


def im_message_event(
    text: str, *, user: str, channel: str, ts: str, team_id: str, thread_ts: str | None = None
) -> dict[str, Any]:
    """``message`` event (subscription ``message.im``) for a user writing to the bot's DM."""
    event: dict[str, Any] = {
        "client_msg_id": str(uuid.uuid4()),
        "type": "message",
        "text": text,
        "user": user,
        "ts": ts,
        "blocks": rich_text_blocks(text),
        "team": team_id,
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    event["channel"] = channel
    event["event_ts"] = ts
    event["channel_type"] = "im"
    return event


def bot_message_event(
    text: str, *, bot_id: str, channel: str, ts: str, user: str | None = None
) -> dict[str, Any]:
    """A message an app posted. Posted with a bot token it carries ``user`` (the bot user) and
    ``bot_id`` without a subtype; legacy integrations and webhooks post ``bot_message``."""
    event: dict[str, Any] = {"type": "message", "text": text, "ts": ts, "bot_id": bot_id}
    if user is None:
        event["subtype"] = "bot_message"
        event["username"] = "deploy-bot"
    else:
        event["user"] = user
        event["app_id"] = "A0OTHER"
    event["channel"] = channel
    event["event_ts"] = ts
    event["channel_type"] = "im" if channel.startswith("D") else "channel"
    return event


def slackbot_reminder_event(text: str, *, channel: str, ts: str, team_id: str) -> dict[str, Any]:
    """A ``/remind`` reminder going off: Slackbot (``USLACKBOT``, no ``bot_id``) posts
    ``Reminder: <text>`` and adds a ``.`` unless the text ends in ``.``, ``!`` or ``?``."""
    body = text if text.endswith((".", "!", "?")) else f"{text}."
    event: dict[str, Any] = {
        "type": "message",
        "user": "USLACKBOT",
        "text": f"Reminder: {body}",
        "ts": ts,
        "team": team_id,
        "channel": channel,
        "event_ts": ts,
        "channel_type": "im" if channel.startswith("D") else "channel",
    }
    return event


def message_changed_event(
    previous: dict[str, Any], text: str, *, ts: str, channel_type: str = "im"
) -> dict[str, Any]:
    """An edit: ``message_changed`` with the new ``message`` and the ``previous_message``; the
    author is only inside them."""
    edited = {**previous, "text": text, "edited": {"user": previous.get("user"), "ts": ts}}
    return {
        "type": "message",
        "subtype": "message_changed",
        "message": edited,
        "previous_message": previous,
        "channel": previous["channel"],
        "hidden": True,
        "ts": ts,
        "event_ts": ts,
        "channel_type": channel_type,
    }


def message_deleted_event(
    previous: dict[str, Any], *, ts: str, channel_type: str = "im"
) -> dict[str, Any]:
    """A deletion: ``message_deleted`` naming the deleted message's ``ts``."""
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "deleted_ts": previous["ts"],
        "channel": previous["channel"],
        "previous_message": previous,
        "ts": ts,
        "event_ts": ts,
        "channel_type": channel_type,
    }


def channel_join_message_event(
    *, user: str, channel: str, ts: str, subtype: str = "channel_join"
) -> dict[str, Any]:
    """The "<@U…> has joined the channel" message (``channel_join``; ``channel_leave`` on
    leaving), sent beside ``member_joined_channel`` to apps that read the channel's messages."""
    verb = "joined" if subtype.endswith("join") else "left"
    return {
        "type": "message",
        "subtype": subtype,
        "ts": ts,
        "user": user,
        "text": f"<@{user}> has {verb} the channel",
        "channel": channel,
        "event_ts": ts,
        "channel_type": "group" if channel.startswith("G") else "channel",
    }


def member_joined_channel_event(
    *, user: str, channel: str, team_id: str, event_ts: str, inviter: str | None = "U0INVITER"
) -> dict[str, Any]:
    """``member_joined_channel``; ``channel_type`` is ``C`` (public) or ``G`` (private)."""
    event: dict[str, Any] = {
        "type": "member_joined_channel",
        "user": user,
        "channel": channel,
        "channel_type": "G" if channel.startswith("G") else "C",
        "team": team_id,
    }
    if inviter is not None:
        event["inviter"] = inviter
    event["event_ts"] = event_ts
    return event


def app_home_opened_event(
    *, user: str, channel: str, event_ts: str, tab: str = "home", view: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``app_home_opened``; Slack adds ``view`` for the home tab once one was published."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user,
        "channel": channel,
        "tab": tab,
        "event_ts": event_ts,
    }
    if tab == "home" and view is not None:
        event["view"] = view
    return event


def user_event(kind: str, user: dict[str, Any], *, event_ts: str) -> dict[str, Any]:
    """``user_change`` (profile or account changed, deactivation included) or ``team_join``
    (someone joined the workspace): both carry the full user object, as ``users.info`` has it.
    """
    event: dict[str, Any] = {"type": kind, "user": user, "event_ts": event_ts}
    if kind == "user_change":
        event["cache_ts"] = int(float(event_ts))
    return event


# --------------------------------------------------------------------------- envelopes


def event_callback(
    event: dict[str, Any],
    *,
    team_id: str,
    app_id: str,
    bot_user_id: str,
    event_id: str | None = None,
    event_time: int | None = None,
) -> dict[str, Any]:
    """The Events API ``event_callback`` body (the ``payload`` of an events_api envelope)."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or new_event_id(),
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": event_context(event, team_id=team_id, app_id=app_id),
    }


def events_api_envelope(
    payload: dict[str, Any],
    *,
    envelope_id: str | None = None,
    retry_attempt: int = 0,
    retry_reason: str = "",
) -> dict[str, Any]:
    """Socket Mode envelope for an Events API payload (must be acked by ``envelope_id``)."""
    return {
        "envelope_id": envelope_id or new_envelope_id(),
        "payload": payload,
        "type": "events_api",
        "accepts_response_payload": False,
        "retry_attempt": retry_attempt,
        "retry_reason": retry_reason,
    }


def slash_command_payload(
    command: str,
    text: str,
    *,
    user: str,
    user_name: str,
    channel: str,
    channel_name: str,
    team_id: str,
    app_id: str,
    response_url: str,
) -> dict[str, Any]:
    """Slash command payload; in Socket Mode all values stay strings, as over HTTP."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": "emulator",
        "channel_id": channel,
        "channel_name": channel_name,
        "user_id": user,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": new_trigger_id(),
    }


def slash_commands_envelope(
    payload: dict[str, Any], *, envelope_id: str | None = None
) -> dict[str, Any]:
    """Socket Mode envelope for slash commands (acks may carry a response payload)."""
    return {
        "envelope_id": envelope_id or new_envelope_id(),
        "payload": payload,
        "type": "slash_commands",
        "accepts_response_payload": True,
    }


def block_actions_payload(
    action: dict[str, Any],
    *,
    user: str,
    user_name: str,
    team_id: str,
    app_id: str,
    channel: str | None = None,
    message: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    response_url: str | None = None,
) -> dict[str, Any]:
    """``block_actions`` interactivity payload for a click in a message or a view."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": new_trigger_id(),
        "team": {"id": team_id, "domain": "emulator"},
        "enterprise": None,
        "is_enterprise_install": False,
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id", "")}
        payload["view"] = view
    else:
        ts = (message or {}).get("ts", "")
        payload["container"] = {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel,
            "is_ephemeral": False,
        }
        payload["channel"] = {"id": channel, "name": "channel"}
        if message is not None:
            payload["message"] = message
        payload["state"] = {"values": {}}
    if response_url is not None:
        payload["response_url"] = response_url
    payload["actions"] = [action]
    return payload


def view_submission_payload(
    view: dict[str, Any],
    values: dict[str, dict[str, dict[str, Any]]],
    *,
    user: str,
    user_name: str,
    team_id: str,
    app_id: str,
) -> dict[str, Any]:
    """``view_submission``: the modal as opened, with the inputs' ``state.values`` (block id ->
    action id -> the element's value, e.g. ``{"type": "datepicker", "selected_date": ...}``)."""
    submitted = dict(view)
    submitted["state"] = {"values": values}
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": "emulator"},
        "user": {"id": user, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": new_trigger_id(),
        "view": submitted,
        "response_urls": [],
        "enterprise": None,
        "is_enterprise_install": False,
    }


def interactive_envelope(
    payload: dict[str, Any], *, envelope_id: str | None = None
) -> dict[str, Any]:
    """Socket Mode envelope for interactivity (buttons, view submissions)."""
    return {
        "envelope_id": envelope_id or new_envelope_id(),
        "payload": payload,
        "type": "interactive",
        "accepts_response_payload": payload.get("type") == "view_submission",
    }


# --------------------------------------------------------------------------- control messages


def hello_message(*, num_connections: int, app_id: str, host: str = "applink-emulator") -> dict:
    """First frame on every Socket Mode connection."""
    return {
        "type": "hello",
        "num_connections": num_connections,
        "debug_info": {"host": host, "build_number": 1, "approximate_connection_time": 18060},
        "connection_info": {"app_id": app_id},
    }


def disconnect_message(
    reason: str = "refresh_requested", *, host: str = "applink-emulator"
) -> dict:
    """Slack's request to reconnect (``refresh_requested``, ``warning``, ``link_disabled``...)."""
    return {"type": "disconnect", "reason": reason, "debug_info": {"host": host}}
