"""Every size limit in one table: what one user can make the bot store or work through.

A team's bot is shared: one message, one channel or one person must not be able to make it
slow or its database huge for everyone. Each limit is refused with a reply that names it, and
the README's Limits section lists this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.errors import DomainError


@dataclass(frozen=True)
class Limit:
    value: int
    what: str  # `at most <value> <what>`, as replies and the README say it


MESSAGE_LENGTH = Limit(20_000, "characters in a message to the bot")
NAME_LENGTH = Limit(80, "characters in a rotation name")
DESCRIPTION_LENGTH = Limit(4000, "characters in a duties description")
MEMBERS_PER_ROTATION = Limit(500, "members in a rotation")
ROTATIONS_PER_CHANNEL = Limit(200, "rotations in a channel")
SCHEDULES_PER_CHANNEL = Limit(100, "schedules in a channel")
AWAY_PERIODS_PER_PERSON = Limit(50, "away periods per person")
AWAY_NOTE_LENGTH = Limit(150, "characters in an away note")
AWAY_DAYS_AHEAD = Limit(1830, "days from today to the last day away")

LIMITS = (
    MESSAGE_LENGTH,
    NAME_LENGTH,
    DESCRIPTION_LENGTH,
    MEMBERS_PER_ROTATION,
    ROTATIONS_PER_CHANNEL,
    SCHEDULES_PER_CHANNEL,
    AWAY_PERIODS_PER_PERSON,
    AWAY_NOTE_LENGTH,
    AWAY_DAYS_AHEAD,
)


def at_most(limit: Limit) -> str:
    """`at most 80 characters in a rotation name`: the phrase every refusal ends with."""
    return f"at most {limit.value:,} {limit.what}"


def refuse_more(limit: Limit, count: int, hint: str) -> None:
    """DomainError when `count` things exist already and one more would pass the limit."""
    if count >= limit.value:
        raise DomainError(f"That would be more than the limit: {at_most(limit)}. {hint}")
