"""The Slack app manifest: exactly the scopes and events the bot uses, Socket Mode on."""

from __future__ import annotations

from typing import Any

BOT_SCOPES = [
    "app_mentions:read",  # @mentions in channels
    "chat:write",  # replies
    "im:history",  # commands typed in the bot's Messages tab
    "users:read",  # display names, so the person going off duty is not pinged
]
BOT_EVENTS = ["app_mention", "message.im"]


def manifest(name: str = "dienstplan") -> dict[str, Any]:
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": name,
            "description": "On-call duty rotations: who is on duty, rotate, assign, schedules.",
            "background_color": "#2c3e50",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": False,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": name, "always_online": True},
        },
        "oauth_config": {"scopes": {"bot": BOT_SCOPES}},
        "settings": {
            "event_subscriptions": {"bot_events": BOT_EVENTS},
            "interactivity": {"is_enabled": False},
            "org_deploy_enabled": False,
            "socket_mode_enabled": True,
            "token_rotation_enabled": False,
        },
    }
