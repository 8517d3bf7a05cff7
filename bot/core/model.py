"""Domain values shared by the parser, the handlers and the storage port."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from bot.core.text import unescape


class MemberKind(StrEnum):
    USER = "user"
    USERGROUP = "usergroup"


@dataclass(frozen=True)
class Member:
    """A rotation member: a Slack user or a user group, kept by id so renames don't matter."""

    ref: str
    kind: MemberKind = MemberKind.USER
    label: str | None = None

    def mention(self) -> str:
        """The Slack token that pings this member."""
        if self.kind is MemberKind.USERGROUP:
            return f"<!subteam^{self.ref}|{self.label}>" if self.label else f"<!subteam^{self.ref}>"
        return f"<@{self.ref}>"

    def plain(self) -> str:
        """A non-pinging fallback name when no display name can be looked up, as plain text
        (the label comes from inside a Slack token, so in wire syntax)."""
        if self.label:
            label = unescape(self.label)
            return label if label.startswith("@") else f"@{label}"
        return f"@{self.ref}"


@dataclass(frozen=True)
class Rotation:
    """A rotation's header row; members are read separately so big rotations stay cheap."""

    id: int
    channel: str
    name: str
    description: str
    created_at: datetime
    created_by: str
    duty_position: int
    member_count: int
    # When the current duty started; None for a duty older than the column (not recorded).
    duty_since: datetime | None = None


@dataclass(frozen=True)
class Quiet:
    """A member shown by name without notifying them (e.g. the person going off duty)."""

    member: Member


class Style(StrEnum):
    """How a reply formats user text around it."""

    PLAIN = "plain"
    BOLD = "bold"  # a rotation name: *name*
    CODE = "code"  # a command as typed: `command`


@dataclass(frozen=True)
class Verbatim:
    """Text a person supplied (a rotation name, a command word), shown exactly as typed.

    Reply strings are mrkdwn; this is not. Each front end renders it: Slack escapes it so a
    name `*` or `<b>` cannot format or link, the console prints it as it is.
    """

    text: str
    style: Style = Style.PLAIN

    def as_typed(self) -> str:
        """The text with its formatting marks, the way a person would type it."""
        mark = {Style.PLAIN: "", Style.BOLD: "*", Style.CODE: "`"}[self.style]
        return f"{mark}{self.text}{mark}"


def bold(text: str) -> Verbatim:
    return Verbatim(text, Style.BOLD)


def code(text: str) -> Verbatim:
    return Verbatim(text, Style.CODE)


def typed(wire: str) -> Verbatim:
    """A word of the user's message quoted back: Slack's wire text (`R&amp;D`, `<@U1>`) as the
    user sees it, escaped once and never a live mention or link."""
    return code(unescape(wire))


ReplyPart = str | Quiet | Verbatim
NameLookup = Callable[[Member], str]


def _same(text: str) -> str:
    return text


@dataclass(frozen=True)
class Reply:
    """What the bot answers: mrkdwn text, quiet mentions the adapter resolves to display
    names, and user text each front end escapes in its own way."""

    parts: tuple[ReplyPart, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, *parts: ReplyPart) -> Reply:
        return cls(tuple(p for p in parts if p != ""))

    def render(
        self,
        name_of: NameLookup,
        *,
        markup: Callable[[str], str] = _same,
        literal: Callable[[Verbatim], str] = Verbatim.as_typed,
    ) -> str:
        """One front end's text: `markup` converts the mrkdwn parts, `literal` the user text;
        the defaults show both as written (what tests read)."""
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(markup(part))
            elif isinstance(part, Verbatim):
                out.append(literal(part))
            else:
                out.append(name_of(part.member))
        return "".join(out)

    def to_json(self) -> str:
        """Stored with the event id so a redelivered event can be answered without re-running.

        A string is mrkdwn, a list a quiet member, an object user text: replies stored before
        user text had its own part hold only the first two, and still load."""
        return json.dumps([_part_to_json(p) for p in self.parts])

    @classmethod
    def from_json(cls, data: str) -> Reply:
        return cls(tuple(_part_from_json(p) for p in json.loads(data)))


def _part_to_json(part: ReplyPart) -> object:
    if isinstance(part, str):
        return part
    if isinstance(part, Verbatim):
        return {"text": part.text, "style": part.style.value}
    return [part.member.ref, part.member.kind.value, part.member.label]


def _part_from_json(data: Any) -> ReplyPart:
    if isinstance(data, str):
        return data
    if isinstance(data, dict):
        return Verbatim(data["text"], Style(data["style"]))
    return Quiet(Member(data[0], MemberKind(data[1]), data[2]))


@dataclass(frozen=True)
class Request:
    """One command to run, from Slack, the console or the scheduler."""

    text: str
    channel: str
    user: str
    source: str = "slack"
    thread_ts: str | None = None
    bot_user_id: str | None = None
    # The channel it was typed in, when it acts on another one (`who #backend ops`).
    origin: str | None = None
    # A button's message: the reply replaces it (chat.update) instead of following it.
    replace_ts: str | None = None

    @property
    def direct(self) -> bool:
        """Typed in a direct message with the bot: Slack's IM channel ids start with D."""
        return self.channel.startswith("D")

    @property
    def elsewhere(self) -> bool:
        """Acting on another channel than the one it was typed in."""
        return self.origin is not None and self.origin != self.channel


@dataclass(frozen=True)
class Outgoing:
    """A message a change makes the bot send, queued in the same transaction as the change.

    `channel` is the ordering key: one channel's messages go out in the order they were
    committed. `kind` tells operators what it is (`reply`, `notice`).
    """

    channel: str
    reply: Reply
    kind: str = "reply"
    thread_ts: str | None = None


# The kind of an outbox row that replaces an earlier message: its thread_ts is that message's ts.
UPDATE_KIND = "update"
# Separates messages within one reply: a scheduled run posts its notice, then the result.
MESSAGE_BREAK = "\f"
# Event ids of scheduled runs; Slack's own event ids start with "Ev".
SCHEDULED_RUN_PREFIX = "schedule:"


@dataclass(frozen=True)
class Schedule:
    """A bot command run in a channel on a crontab."""

    id: int
    channel: str
    command: str
    crontab: str
    timezone: str | None
    created_by: str
    created_at: datetime
    next_run_at: datetime | None
    last_run_at: datetime | None
    # The zone next_run_at was computed in: CRON_TZ, else the DIENSTPLAN_TIMEZONE of the
    # process that computed it. None for rows older than this column, until re-computed.
    zone: str | None = None

    def shown_zone(self, default_tz: str) -> str:
        """The zone to show the stored next run in, so the display matches the real run."""
        return self.zone or self.timezone or default_tz

    def follows(self, default_tz: str) -> bool:
        """Whether the stored next run was computed in the zone it runs in now."""
        return self.timezone is not None or self.zone == default_tz

    @property
    def cron_text(self) -> str:
        """The crontab as written, with its CRON_TZ= prefix if it has one."""
        return f"CRON_TZ={self.timezone} {self.crontab}" if self.timezone else self.crontab


@dataclass(frozen=True)
class AwayPeriod:
    """Whole days a person is away, both ends inclusive, as dates in that person's zone."""

    id: int
    user: str
    start: date
    end: date
    note: str | None = None

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


class SwapState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Swap:
    """A request that `target` take one shift of `requester`. `shift_start` None: the shift
    held now. `stamp` is the rotation's members when asked (see members_stamp)."""

    id: int
    rotation_id: int
    shift_start: datetime | None
    requester: str
    target: str
    state: SwapState
    stamp: str
    created_at: datetime
    expires_at: datetime


def members_stamp(members: Sequence[Member]) -> str:
    """The order of a rotation, to tell whether it changed since a swap was asked."""
    return " ".join(m.ref for m in members)
