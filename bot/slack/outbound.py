"""Posting replies: quiet mentions become display names (escaped, so a display name such as
`*bold*` shows as typed), broadcasts are defused, errors sorted.

A transient failure (rate limit or server error after the client's retries, network down)
raises SlackDeliveryError so the envelope is not acknowledged and Slack redelivers it; a
permanent one (bot removed from the channel, archived channel) is logged and dropped, since
redelivery cannot fix it.
"""

from __future__ import annotations

import logging
import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.model import MESSAGE_BREAK, Member, MemberKind, NameLookup, Reply
from bot.slack.render import split_message, to_slack

log = logging.getLogger(__name__)

TRANSIENT_ERRORS = {
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
}
NAME_TTL_SECONDS = 3600.0
FAILED_NAME_TTL_SECONDS = 60.0
MAX_LOOKUPS_PER_REPLY = 50


class SlackDeliveryError(Exception):
    """Posting failed in a way a later retry may fix."""


class DisplayNames:
    """users.info lookups with a cache, so naming someone without pinging them stays cheap.

    One reply makes at most MAX_LOOKUPS_PER_REPLY calls (users.info is rate limited to about
    100 a minute); beyond that, and when a lookup fails, members show as @id. Failures are
    remembered only briefly, so a Slack hiccup does not leave ids in replies for an hour.
    """

    def __init__(self, client: WebClient) -> None:
        self._client = client
        self._cache: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def for_reply(self) -> NameLookup:
        budget = MAX_LOOKUPS_PER_REPLY

        def name_of(member: Member) -> str:
            nonlocal budget
            if member.kind is MemberKind.USERGROUP:
                return member.plain()
            now = time.monotonic()
            with self._lock:
                cached = self._cache.get(member.ref)
            if cached and cached[1] > now:
                return cached[0]
            if budget <= 0:
                return member.plain()
            budget -= 1
            name, ttl = self._look_up(member)
            with self._lock:
                self._cache[member.ref] = (name, now + ttl)
            return name

        return name_of

    def _look_up(self, member: Member) -> tuple[str, float]:
        try:
            user = self._client.users_info(user=member.ref)["user"]
        except Exception as error:  # a name is cosmetic: never fail a reply over it
            log.warning("users.info failed for %s: %s", member.ref, error)
            return member.plain(), FAILED_NAME_TTL_SECONDS
        profile = user.get("profile") or {}
        name = (
            profile.get("display_name")
            or profile.get("real_name")
            or user.get("real_name")
            or user.get("name")
            or member.plain()
        )
        return name, NAME_TTL_SECONDS


class Sender:
    def __init__(self, client: WebClient) -> None:
        self._client = client
        self.names = DisplayNames(client)

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
