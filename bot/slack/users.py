"""What Slack says about a user, from users.info behind one cache.

One call answers both questions the bot asks about a person: the display name a quiet mention
shows, and whether the account is deactivated (`deleted`). users.info is rate limited (about
100 calls a minute), so answers are cached for an hour and each reply or request makes at most
MAX_LOOKUPS uncached calls; beyond that a user is unknown. A failed call is logged and
remembered only briefly, so a Slack hiccup neither blocks a command nor lingers for an hour.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

from slack_sdk import WebClient

from bot.core.ports import Deactivated

log = logging.getLogger(__name__)

USER_TTL_SECONDS = 3600.0
FAILED_LOOKUP_TTL_SECONDS = 60.0
MAX_LOOKUPS = 50


@dataclass(frozen=True)
class SlackUser:
    name: str | None
    deactivated: bool


UserLookup = Callable[[str], SlackUser | None]
"""A user by id, or None when unknown: lookup failed, or this reply's lookups are used up."""


class SlackUsers:
    """The workspace's users as the bot sees them; also the domain's UserDirectory."""

    def __init__(self, client: WebClient) -> None:
        self._client = client
        self._cache: dict[str, tuple[SlackUser | None, float]] = {}
        self._lock = threading.Lock()

    def lookup(self) -> UserLookup:
        """A lookup for one reply or request, with its own budget of uncached calls."""
        budget = MAX_LOOKUPS

        def find(user_id: str) -> SlackUser | None:
            nonlocal budget
            now = time.monotonic()
            with self._lock:
                cached = self._cache.get(user_id)
            if cached and cached[1] > now:
                return cached[0]
            if budget <= 0:
                return None
            budget -= 1
            user = self._fetch(user_id)
            ttl = USER_TTL_SECONDS if user else FAILED_LOOKUP_TTL_SECONDS
            with self._lock:
                self._cache[user_id] = (user, now + ttl)
            return user

        return find

    def for_request(self) -> Deactivated:
        find = self.lookup()

        def deactivated(user_ids: Collection[str]) -> frozenset[str]:
            return frozenset(
                user_id for user_id in user_ids if (user := find(user_id)) and user.deactivated
            )

        return deactivated

    def _fetch(self, user_id: str) -> SlackUser | None:
        try:
            user = self._client.users_info(user=user_id)["user"]
        except Exception as error:  # never fail a command or a reply over a lookup
            log.warning("users.info failed for %s: %s", user_id, error)
            return None
        profile = user.get("profile") or {}
        name = (
            profile.get("display_name")
            or profile.get("real_name")
            or user.get("real_name")
            or user.get("name")
        )
        return SlackUser(name=name or None, deactivated=bool(user.get("deleted")))
