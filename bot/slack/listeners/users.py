"""Events API listeners for changes to the workspace's people: never commands.

Slack sends `user_change` when someone's profile or account changes, deactivation included,
and `team_join` when someone joins; both carry the full user object. The listener only
refreshes the users.info cache, so a member deactivated while the bot runs is skipped by the
next `rotate` instead of up to an hour later. Returning acknowledges the envelope.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.slack.users import SlackUsers

USER_EVENTS = ("user_change", "team_join")


def register(app: App, users: SlackUsers) -> None:
    def on_user(event: dict[str, Any]) -> None:
        user = event.get("user")
        if isinstance(user, dict):
            users.remember(user)

    for event_type in USER_EVENTS:
        app.event(event_type)(on_user)
