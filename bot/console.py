"""`dienstplan console`: the dispatcher driven from a terminal, no Slack needed."""

from __future__ import annotations

from typing import TextIO

from bot.core.dispatcher import Dispatcher
from bot.core.model import MESSAGE_BREAK, Member, Reply, Request
from bot.core.parser import MEMBER_RE, member_from_match
from bot.core.text import defuse_broadcasts, escape, from_typed, unescape

BANNER = (
    "dienstplan console: type commands as you would after @dienstplan "
    "(end a line with \\ to continue it; Ctrl-D quits)."
)


def _readable(markup: str) -> str:
    """mrkdwn in the console's own syntax: pings as plain @names (a terminal has no
    mentions), entities as the characters they stand for; links stay `<url|label>`."""
    pings = defuse_broadcasts(markup)
    return unescape(MEMBER_RE.sub(lambda m: escape(member_from_match(m).plain()), pings))


def render(reply: Reply) -> str:
    """The reply as the console prints it: names and other user text exactly as typed."""
    return reply.render(Member.plain, markup=_readable).replace(MESSAGE_BREAK, "\n")


def run_console(
    dispatcher: Dispatcher,
    *,
    channel: str,
    user: str,
    stdin: TextIO,
    stdout: TextIO,
    interactive: bool,
) -> int:
    if interactive:
        print(BANNER, file=stdout)
    pending: list[str] = []
    while True:
        if interactive:
            print("dienstplan> " if not pending else "... ", end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            break
        line = line.rstrip("\n")
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        text = "\n".join([*pending, line])
        pending.clear()
        if not text.strip():
            continue
        request = Request(text=from_typed(text), channel=channel, user=user, source="console")
        outcome = dispatcher.handle(request)
        print(render(outcome.reply), file=stdout, flush=True)
    if interactive:
        print(file=stdout)
    return 0
