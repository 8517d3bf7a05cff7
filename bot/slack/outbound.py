"""Posting replies: quiet mentions become display names (escaped, so a display name such as
`*bold*` shows as typed), broadcasts are defused, errors sorted.

`Sender.render` turns a reply into the messages it posts, at send time (names as they are
now). `Sender.post` posts one and sorts Slack's answer: a transient failure (429, 5xx, network
down) raises SlackDeliveryError with Slack's Retry-After if it gave one, so the outbox sender
tries again later; anything else (bot removed from the channel, archived channel, message too
long) raises UndeliverableError, since no retry can fix it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.core.commands import BOT_NAME
from bot.core.model import MESSAGE_BREAK, UPDATE_KIND, Member, MemberKind, NameLookup, Reply
from bot.core.notifications import footer
from bot.core.ports import OutboxRow
from bot.core.swaps import swap_request_id
from bot.slack.client import time_budget
from bot.slack.render import split_message, to_slack
from bot.slack.swaps import swap_buttons
from bot.slack.users import SlackUsers

MAX_SECTION_CHARS = 3000  # Slack's limit on a section block's text
LOOKUP_BUDGET_SECONDS = 2.0  # for the names of one message, or the lookups of one App Home

TRANSIENT_ERRORS = {
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
}


class SlackDeliveryError(Exception):
    """Posting failed in a way a later retry may fix; `retry_after` is Slack's wait, if any."""

    def __init__(self, code: str, retry_after: float | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.retry_after = retry_after


class UndeliverableError(Exception):
    """Slack refused the message for good (`code` is its error, e.g. channel_not_found)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class DisplayNames:
    """Quiet mentions as display names, from the shared users.info cache.

    A reply looks up at most MAX_LOOKUPS uncached users (its command's check has usually
    cached them already); beyond that, and when a lookup fails, members show as @id.
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
    def __init__(self, client: WebClient, users: SlackUsers, name: str = BOT_NAME) -> None:
        self._client = client
        self.names = DisplayNames(users)
        self.name = name  # the app's bot user, as auth.test names it

    def render(self, reply: Reply) -> list[str]:
        """The messages a reply posts, in order. Its names are looked up within a time
        budget: a rate limited users.info fails at once (the name shows as the user's id)
        instead of sleeping through Retry-After in the channel's sender thread."""
        chunks: list[str] = []
        with time_budget(LOOKUP_BUDGET_SECONDS):
            text = to_slack(reply, self.names.for_reply(), self.name)
        for message in text.split(MESSAGE_BREAK):
            for chunk in split_message(message):
                chunks.append(chunk)
        return chunks

    def post(self, row: OutboxRow, text: str, *, last: bool) -> None:
        with delivery_errors():
            if row.kind == UPDATE_KIND:  # a clicked message, replaced by the answer
                self._client.chat_update(
                    channel=row.channel,
                    ts=row.thread_ts or "",
                    text=text,
                    blocks=_section(text) or [],
                )
                return
            self._client.chat_postMessage(
                channel=row.channel,
                text=text,
                blocks=_decorated(row.kind, text) if last else None,
                thread_ts=row.thread_ts,
                unfurl_links=False,
                unfurl_media=False,
            )


@contextmanager
def delivery_errors() -> Iterator[None]:
    """A Web API call's failure sorted for the outbox sender: SlackDeliveryError (try again)
    or UndeliverableError (give up)."""
    try:
        yield
    except SlackApiError as error:
        response = error.response
        code = str(response.get("error", "")) if response else ""
        status = response.status_code if response else 0
        if status == 429 or code == "ratelimited":
            raise SlackDeliveryError("ratelimited", _retry_after(response.headers)) from error
        if code in TRANSIENT_ERRORS or status >= 500:
            raise SlackDeliveryError(code or f"http_{status}") from error
        raise UndeliverableError(code or f"http_{status}") from error
    except OSError as error:  # urllib's URLError wraps the socket error in `reason`
        raise SlackDeliveryError(str(getattr(error, "reason", error))) from error


def _decorated(kind: str, text: str) -> list[dict[str, Any]] | None:
    """A notification's text with its type in a context block under it, a swap request's with
    its Accept and Decline buttons; None (plain text) for the rest, and when the text is
    longer than a section holds (the request's text says how to answer by command)."""
    note = footer(kind)
    swap_id = swap_request_id(kind)
    if note is not None:
        extra = ContextBlock(elements=[MarkdownTextObject(text=note)]).to_dict()
    elif swap_id is not None:
        extra = swap_buttons(swap_id).to_dict()
    else:
        return None  # before building a section no one would send
    section = _section(text)
    return None if section is None else [*section, extra]


def _section(text: str) -> list[dict[str, Any]] | None:
    if len(text) > MAX_SECTION_CHARS:
        return None
    return [SectionBlock(text=MarkdownTextObject(text=text)).to_dict()]


def _retry_after(headers: Mapping[str, Any]) -> float | None:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            text = value[0] if isinstance(value, list) else value
            try:
                return max(0.0, float(text))
            except (TypeError, ValueError):
                return None
    return None
