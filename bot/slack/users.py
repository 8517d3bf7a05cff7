"""What Slack says about a user, from users.info behind one cache.

One call answers both questions the bot asks about a person: the display name a quiet mention
shows, and whether the account is deactivated (`deleted`). users.info is rate limited (Tier 4,
about 100 calls a minute), so answers are cached, a command's deactivation check makes at
most MAX_LOOKUPS uncached calls and so does the rendering of a reply's names (the outbox
sender renders it later, on its own thread); beyond that a user is known only from an older
answer, if any.

Slack's `user_change` and `team_join` events bring a user's new data as it changes, so a
deactivation reaches the cache at once. In case an event is lost (the bot was reconnecting),
an "active" answer puts someone on duty only while it is ACTIVE_CHECK_SECONDS old; a name or
a "deactivated" answer is kept for USER_TTL_SECONDS. A failed call is logged and retried only
after FAILED_LOOKUP_TTL_SECONDS, so a Slack hiccup neither blocks a command nor lingers.

The same answer carries the person's time zone (`tz`). A user group's users come from
usergroups.users.list, cached for GROUP_TTL_SECONDS; a group Slack will not list counts as
nobody, with one warning until it can be listed again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from bot.core.ports import Deactivated

log = logging.getLogger(__name__)

USER_TTL_SECONDS = 3600.0
ACTIVE_CHECK_SECONDS = 300.0
FAILED_LOOKUP_TTL_SECONDS = 60.0
MAX_LOOKUPS = 50
GROUP_TTL_SECONDS = 300.0


@dataclass(frozen=True)
class SlackUser:
    name: str | None
    deactivated: bool
    tz: str | None = None
    admin: bool = False  # a workspace admin or owner

    @classmethod
    def from_api(cls, user: Mapping[str, Any]) -> SlackUser:
        """From a users.info answer's or an event's `user` object."""
        profile = user.get("profile") or {}
        name = (
            profile.get("display_name")
            or profile.get("real_name")
            or user.get("real_name")
            or user.get("name")
        )
        tz = user.get("tz")
        return cls(
            name=name or None,
            deactivated=bool(user.get("deleted")),
            tz=tz if isinstance(tz, str) and tz else None,
            admin=any(user.get(flag) is True for flag in ("is_admin", "is_owner")),
        )


UserLookup = Callable[[str], SlackUser | None]
"""A user by id, or None when unknown: lookup failed, or this command's lookups are used up."""


@dataclass(frozen=True)
class _Entry:
    """A cached answer (None: none yet) and until when it serves names and the duty check."""

    user: SlackUser | None
    fresh_until: float
    checked_until: float

    @classmethod
    def answer(cls, user: SlackUser, now: float) -> _Entry:
        check = USER_TTL_SECONDS if user.deactivated else ACTIVE_CHECK_SECONDS
        return cls(user, now + USER_TTL_SECONDS, now + check)

    @classmethod
    def failure(cls, previous: _Entry | None, now: float) -> _Entry:
        """Keep serving the previous answer, if any, until the next try."""
        retry = now + FAILED_LOOKUP_TTL_SECONDS
        return cls(previous.user if previous else None, retry, retry)


class _Budget:
    """Uncached users.info calls one command may still make."""

    def __init__(self) -> None:
        self.left = MAX_LOOKUPS


class SlackUsers:
    """The workspace's users as the bot sees them; also the domain's UserDirectory."""

    def __init__(self, client: WebClient, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._clock = clock
        self._cache: dict[str, _Entry] = {}
        self._groups: dict[str, tuple[frozenset[str], float]] = {}
        self._failing_groups: set[str] = set()
        self._lock = threading.Lock()

    def lookup(self) -> UserLookup:
        """Users for a reply's names: an answer up to USER_TTL_SECONDS old will do."""
        budget = _Budget()
        return lambda user_id: self._find(user_id, budget, checking=False)

    def for_request(self) -> Deactivated:
        """The deactivation check: an "active" answer must be recent, as it puts someone on
        duty."""
        budget = _Budget()

        def deactivated(user_ids: Collection[str]) -> frozenset[str]:
            return frozenset(
                user_id
                for user_id in user_ids
                if (user := self._find(user_id, budget, checking=True)) and user.deactivated
            )

        return deactivated

    def time_zone(self, user_id: str) -> str | None:
        """From the cached users.info answer (one call if there is none)."""
        user = self._find(user_id, _Budget(), checking=False)
        return user.tz if user else None

    def is_admin(self, user_id: str) -> bool:
        """From the users.info answer the deactivation check keeps fresh: a demoted admin
        keeps their rights at most ACTIVE_CHECK_SECONDS."""
        user = self._find(user_id, _Budget(), checking=True)
        return user is not None and user.admin and not user.deactivated

    def group_members(self, group_id: str) -> frozenset[str]:
        now = self._clock()
        with self._lock:
            cached = self._groups.get(group_id)
        if cached and now < cached[1]:
            return cached[0]
        try:
            answer = self._client.usergroups_users_list(usergroup=group_id)
            users = frozenset(u for u in answer.get("users") or [] if isinstance(u, str))
        except Exception as error:  # a group that cannot be listed is nobody, not a failure
            with self._lock:
                first = group_id not in self._failing_groups
                self._failing_groups.add(group_id)
                self._groups[group_id] = (frozenset(), now + FAILED_LOOKUP_TTL_SECONDS)
            if first:
                log.warning("usergroups.users.list failed for %s: %s", group_id, error)
            return frozenset()
        with self._lock:
            self._failing_groups.discard(group_id)
            self._groups[group_id] = (users, now + GROUP_TTL_SECONDS)
        return users

    def remember(self, user: Mapping[str, Any]) -> None:
        """A user object Slack sent in an event: the newest word on them, cached as such."""
        user_id = user.get("id")
        if not isinstance(user_id, str):
            return
        known = SlackUser.from_api(user)
        with self._lock:
            self._cache[user_id] = _Entry.answer(known, self._clock())
        log.debug("user %s changed in Slack (deactivated: %s)", user_id, known.deactivated)

    def _find(self, user_id: str, budget: _Budget, *, checking: bool) -> SlackUser | None:
        now = self._clock()
        with self._lock:
            entry = self._cache.get(user_id)
        if entry and now < (entry.checked_until if checking else entry.fresh_until):
            return entry.user
        if budget.left <= 0:
            return entry.user if entry else None
        budget.left -= 1
        user = self._fetch(user_id)
        entry = _Entry.answer(user, now) if user else _Entry.failure(entry, now)
        with self._lock:
            self._cache[user_id] = entry
        return entry.user

    def _fetch(self, user_id: str) -> SlackUser | None:
        try:
            return SlackUser.from_api(self._client.users_info(user=user_id)["user"])
        except Exception as error:  # never fail a command or a reply over a lookup
            log.warning("users.info failed for %s: %s", user_id, error)
            return None
