"""Posting replies: quiet mentions become display names (escaped, so a display name such as
`*bold*` shows as typed), broadcasts are defused, errors sorted.

A transient failure (rate limit or server error after the client's retries, network down)
raises SlackDeliveryError so the envelope is not acknowledged and Slack redelivers it; a
permanent one (bot removed from the channel, archived channel) is logged and dropped, since
redelivery cannot fix it.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.model import MESSAGE_BREAK, Member, MemberKind, NameLookup, Reply
from bot.slack.render import split_message, to_slack
from bot.slack.users import SlackUsers

log = logging.getLogger(__name__)

TRANSIENT_ERRORS = {
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
}


class SlackDeliveryError(Exception):
    """Posting failed in a way a later retry may fix."""


class DisplayNames:
    """Quiet mentions as display names, from the shared users.info cache.

    A reply looks up at most MAX_LOOKUPS uncached users, fewer if its command's check used
    some (SlackUsers.one_command); beyond that, and when a lookup fails, members show as @id.
    """

    def __init__(self, users: SlackUsers) -> None:
        self._users = users

    def for_reply(self) -> NameLookup:
        find = self._users.lookup()

        def name_of(member: Member) -> str:
            if member.kind is MemberKind.USERGROUP:
                return member.plain()
            user = find(member.ref)
            return user.name if user and user.name else member.plain()

        return name_of


class Sender:
    def __init__(self, client: WebClient, users: SlackUsers) -> None:
        self._client = client
        self.names = DisplayNames(users)

    def post(self, channel: str, reply: Reply, thread_ts: str | None = None) -> None:
        text = to_slack(reply, self.names.for_reply())
        for message in text.split(MESSAGE_BREAK):
            for chunk in split_message(message):
                self._post_chunk(channel, chunk, thread_ts)

    def _post_chunk(self, channel: str, text: str, thread_ts: str | None) -> None:
        try:
            self._client.chat_postMessage(
                channel=channel,
                text=text,
                thread_ts=thread_ts,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as error:
            code = error.response.get("error", "") if error.response else ""
            if code in TRANSIENT_ERRORS or (error.response and error.response.status_code >= 500):
                raise SlackDeliveryError(f"chat.postMessage failed: {code}") from error
            log.error("cannot post to %s: %s (not retried)", channel, code)
        except OSError as error:
            raise SlackDeliveryError(f"chat.postMessage failed: {error}") from error
