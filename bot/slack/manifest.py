"""The Slack app manifest: exactly the scopes and events the bot uses, Socket Mode on, the
Home tab and interactivity (its buttons and form) on."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

BOT_SCOPES = [
    "app_mentions:read",  # @mentions in channels
    "channels:read",  # users.conversations: a DM reaches only its writer's public channels
    "chat:write",  # replies and notifications (to a user id: their DM with the bot)
    "groups:read",  # users.conversations for private channels; joins of private channels
    "im:history",  # commands typed in the bot's Messages tab
    "users:read",  # display names, so the person going off duty is not pinged; bots.info
    "usergroups:read",  # a user group's users, for `shifts`
]
# user_change and team_join keep the users.info cache current (bot/slack/listeners/users.py);
# member_joined_channel tells the bot it was added to a channel, so it posts its welcome;
# app_home_opened that someone opened its Home tab, so it publishes their view.
BOT_EVENTS = [
    "app_mention",
    "message.im",
    "member_joined_channel",
    "user_change",
    "team_join",
    "app_home_opened",
]

# Slack documents the app name as at most 35 characters and the bot's display name as at most
# 80 of a-z, 0-9, `-`, `_` and `.`; one name serves as both, so both rules apply.
NAME_LIMIT = 35
_NAME_CHARACTER = re.compile(r"[a-z0-9._-]")
_UNPRINTABLE = {" ": "a space", "\t": "a tab", "\n": "a line break", "\r": "a carriage return"}


def check_name(name: str) -> str:
    """The name without surrounding whitespace (a quoting slip in the shell), or ValueError
    saying why Slack would refuse the manifest."""
    name = name.strip()
    if not name:
        raise ValueError(f"the name must not be empty: give 1 to {NAME_LIMIT} characters")
    if len(name) > NAME_LIMIT:
        raise ValueError(
            f"the name has {len(name)} characters; Slack allows at most {NAME_LIMIT} for an "
            "app's name"
        )
    wrong = [c for c in dict.fromkeys(name) if not _NAME_CHARACTER.fullmatch(c)]
    if wrong:
        shown = ", ".join(
            _UNPRINTABLE.get(c) or (f"`{c}`" if c.isprintable() else f"U+{ord(c):04X}")
            for c in wrong
        )
        plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        suggestion = re.sub(r"[^a-z0-9._-]", "", re.sub(r"\s+", "-", plain.lower()))
        raise ValueError(
            f"the name contains {shown}; Slack allows only a-z, 0-9, `-`, `_` and `.` in a "
            "bot's display name" + (f": try {suggestion}" if suggestion else "")
        )
    return name


def manifest(name: str = "dienstplan") -> dict[str, Any]:
    name = check_name(name)
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": name,
            "description": "On-call duty rotations: who is on duty, rotate, assign, schedules.",
            "background_color": "#2c3e50",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": name, "always_online": True},
        },
        "oauth_config": {"scopes": {"bot": BOT_SCOPES}},
        "settings": {
            "event_subscriptions": {"bot_events": BOT_EVENTS},
            # the Home's buttons and its Set away form arrive over Socket Mode
            "interactivity": {"is_enabled": True},
            "org_deploy_enabled": False,
            "socket_mode_enabled": True,
            "token_rotation_enabled": False,
        },
    }
