"""What the domain needs from the outside world, as Protocols the storage layer implements."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.core.model import Member, Reply, Rotation

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class PriorEvent:
    """An event already applied once; its stored reply lets a redelivery finish the job."""

    reply: Reply
    delivered: bool


class RotationRepository(Protocol):
    def transaction(self) -> AbstractContextManager[None]:
        """Outermost call opens a transaction; nested calls are savepoints."""

    def find(self, channel: str, name: str) -> Rotation | None: ...

    def names(self, channel: str) -> list[str]: ...

    def create(
        self,
        *,
        channel: str,
        name: str,
        description: str,
        members: Sequence[Member],
        created_by: str,
        now: datetime,
    ) -> Rotation: ...

    def replace(
        self, rotation: Rotation, *, members: Sequence[Member], description: str
    ) -> Rotation: ...

    def delete(self, rotation: Rotation) -> None: ...

    def list(self, channel: str, limit: int) -> tuple[list[Rotation], int]: ...

    def member_at(self, rotation: Rotation, position: int) -> Member: ...

    def members(self, rotation: Rotation) -> Iterator[Member]: ...

    def position_of(self, rotation: Rotation, ref: str) -> int | None: ...

    def set_duty(self, rotation: Rotation, position: int) -> None: ...

    def prior_event(self, event_id: str) -> PriorEvent | None:
        """What happened the first time this event was applied, if it was."""

    def record_event(self, event_id: str, now: datetime, reply: Reply) -> None:
        """Remember the event as applied, in the same transaction as its effect."""

    def mark_delivered(self, event_id: str, now: datetime) -> None: ...
