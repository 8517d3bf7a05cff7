"""Reply text as Slack's chat.postMessage reads it, within Slack's message limits."""

from __future__ import annotations

import re

from bot.core.commands import BOT_HANDLE, BOT_NAME
from bot.core.model import NameLookup, Reply, Style, Verbatim
from bot.core.text import defuse_broadcasts, escape, to_wire

MAX_MESSAGE_CHARS = 39_000  # Slack truncates message text above 40,000 characters


def split_message(text: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Long replies (a huge rotation's `about`) go out in several messages, split at lines."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            candidate = line
        current = candidate
    if current or not chunks:
        chunks.append(current)
    return chunks


_MARKERS = re.compile(r"(:[a-z0-9_+'-]+:)|[*_~`]")


def _literal_marker(char: str) -> str:
    return f"<!date^00000000^{{_}}|{char}>"


def _plain(text: str) -> str:
    return _MARKERS.sub(lambda m: m.group(1) or _literal_marker(m.group()), escape(text))


def _code(text: str) -> str:
    """Backticks end a code span, so they go between spans; nothing else formats inside."""
    return _literal_marker("`").join(f"`{run}`" if run else "" for run in escape(text).split("`"))


def literal(part: Verbatim) -> str:
    """User text that shows exactly as typed in Slack, whatever characters it holds.

    `&`, `<` and `>` become entities, as Slack's formatting guide asks. For `*`, `_`, `~` and
    a backtick mrkdwn has no escape character, and a zero-width space beside a marker makes
    Slack apply the formatting rather than skip it. What Slack always shows verbatim is the
    fallback text of a date token whose format is invalid, so each marker is posted as
    `<!date^00000000^{_}|*>` (the technique jsx-slack's <Escape> uses). Look-alike characters
    (U+2217 for `*`) would avoid the token but change the text: a name copied from a reply
    into a command would no longer match. Emoji codes such as `:white_check_mark:` are kept
    so they still show as emoji.
    """
    if part.style is Style.CODE:
        return _code(part.text)
    if part.style is Style.BOLD:
        return f"*{_plain(part.text)}*"
    return _plain(part.text)


def to_slack(reply: Reply, name_of: NameLookup, name: str = BOT_NAME) -> str:
    """The reply as chat.postMessage text: mrkdwn with stray `&`, `<`, `>` escaped and
    broadcasts defused, user text and display names escaped as literal text, and the bot
    called by its app's `name`."""
    return reply.render(
        lambda member: _plain(name_of(member)),
        markup=lambda text: defuse_broadcasts(to_wire(as_named(text, name))),
        literal=literal,
    )


def as_named(text: str, name: str) -> str:
    """The bot's own text with its app's name (`@on-call`, `*on-call*`) where it says
    `@dienstplan` or `*dienstplan*`: hints to copy must mention the bot people see. Only the
    bot's text goes through here, never user text."""
    if name == BOT_NAME:
        return text
    return text.replace(BOT_HANDLE, f"@{name}").replace(f"*{BOT_NAME}*", f"*{name}*")
