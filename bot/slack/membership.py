"""Which channels a person is in, from Slack's users.conversations behind a short cache.

One call (a page per 1,000 channels) answers for every channel at once, where
conversations.members would need a call per channel that has a rotation. Public channels come
with `channels:read`; private ones with `groups:read`, and only those the bot is in too, which
are the only private channels that can have a rotation. Answers are kept MEMBERSHIP_TTL_SECONDS,
so someone who just joined or left a channel waits at most that long.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.errors import MembershipUnknown

log = logging.getLogger(__name__)

MEMBERSHIP_TTL_SECONDS = 60.0
PAGE_SIZE = 1000
TYPES = "public_channel,private_channel"


class SlackMembership:
    """The core's Membership port over the Web API; safe to share between threads."""

    def __init__(
        self,
        client: WebClient,
        *,
        ttl: float = MEMBERSHIP_TTL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = ttl
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}

    def channels_of(self, user: str) -> frozenset[str]:
        now = self._monotonic()
        with self._lock:
            cached = self._cache.get(user)
        if cached is not None and cached[0] > now:
            return cached[1]
        channels = self._ask(user)
        with self._lock:
            self._cache[user] = (now + self._ttl, channels)
        return channels

    def _ask(self, user: str) -> frozenset[str]:
        channels: set[str] = set()
        cursor: str | None = None
        try:
            while True:
                answer = self._client.users_conversations(
                    user=user, types=TYPES, exclude_archived=True, limit=PAGE_SIZE, cursor=cursor
                )
                channels.update(c["id"] for c in answer.get("channels") or [])
                cursor = (answer.get("response_metadata") or {}).get("next_cursor") or None
                if cursor is None:
                    return frozenset(channels)
        except (SlackApiError, OSError) as error:
            log.warning("users.conversations for %s failed: %s", user, error)
            raise MembershipUnknown() from error
