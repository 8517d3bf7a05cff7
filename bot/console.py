"""`dienstplan console`: the dispatcher driven from a terminal, no Slack needed."""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TextIO

from bot.core.dispatcher import Dispatcher
from bot.core.model import MESSAGE_BREAK, Member, Reply, Request
from bot.core.parser import MEMBER_RE, member_from_match
from bot.core.text import defuse_broadcasts, escape, from_typed, unescape, unpaired_surrogate

BANNER = (
    "dienstplan console: type commands as you would after @dienstplan "
    "(end a line with \\ to continue it; Up recalls earlier lines; Ctrl-D quits)."
)
PROMPT = "dienstplan> "
CONTINUATION_PROMPT = "... "
CANCELLED = "(line cancelled; Ctrl-C again or Ctrl-D quits)"
UNFINISHED = "dienstplan: the last command was not run: it ended with \\ and no line followed."
INTERRUPTED = "dienstplan: interrupted."
NOT_UTF8 = (
    "That line is not valid UTF-8, so it was not run. Check the terminal's or the file's "
    "encoding, and type it again."
)
HISTORY_LENGTH = 1000
# Universal newlines: a file saved on Windows (CRLF) continues lines with `\` like any other.
LINE_BREAK = re.compile(r"\r\n|\r|\n")

Reader = Callable[[str], str | None]
"""Shows a prompt, returns what was typed (None at end of input); may raise KeyboardInterrupt."""


# A channel in a reply, `<#C123>`: the console shows it as it takes it, `#C123`.
_CHANNEL_TOKEN = re.compile(r"<#([A-Za-z0-9_.-]+)(?:\|[^>]*)?>")


def _readable(markup: str) -> str:
    """mrkdwn in the console's own syntax: pings as plain @names (a terminal has no
    mentions), channels as `#name`, entities as the characters they stand for; links stay
    `<url|label>`."""
    pings = defuse_broadcasts(markup)
    plain = MEMBER_RE.sub(lambda m: escape(member_from_match(m).plain()), pings)
    return unescape(_CHANNEL_TOKEN.sub(lambda m: f"#{m.group(1)}", plain))


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
    """Interactive means a terminal on sys.stdin: `input()` then gives line editing and history.

    Exit status: 0 at end of input, 1 when the input ended inside a `\\` continuation (that
    command is not run), 130 when Ctrl-C stopped a running command or piped input.
    """

    def execute(text: str) -> None:
        if unpaired_surrogate(text) is not None:
            print(NOT_UTF8, file=stdout, flush=True)
            return
        request = Request(text=from_typed(text), channel=channel, user=user, source="console")
        print(render(dispatcher.handle(request).reply), file=stdout, flush=True)

    _decode_leniently(stdin)
    try:
        if not interactive:
            return _read_commands(lambda _prompt: stdin.readline() or None, execute)
        print(BANNER, file=stdout)
        with _line_editing():
            return _read_commands(
                _terminal_reader(stdout),
                execute,
                on_cancel=lambda: print(CANCELLED, file=stdout, flush=True),
            )
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        return 130


def _decode_leniently(stream: TextIO) -> None:
    """Bytes that are not UTF-8 are read as lone surrogates (`surrogateescape`, which `input()`
    follows too) instead of raising mid-read, which would end the console: `execute` then
    answers that line and the console goes on."""
    if isinstance(stream, io.TextIOWrapper):
        stream.reconfigure(errors="surrogateescape")


def _read_commands(
    read: Reader, execute: Callable[[str], None], *, on_cancel: Callable[[], None] | None = None
) -> int:
    """Join `\\`-continued lines into commands and run each.

    With `on_cancel`, Ctrl-C drops the line being typed (continuation included) like a shell,
    and a second Ctrl-C in a row quits like Ctrl-D. Without it, Ctrl-C propagates.
    """
    pending: list[str] = []
    cancelled = False
    while True:
        try:
            chunk = read(CONTINUATION_PROMPT if pending else PROMPT)
        except KeyboardInterrupt:
            if on_cancel is None:
                raise
            if cancelled:
                break
            pending.clear()
            cancelled = True
            on_cancel()
            continue
        cancelled = False
        if chunk is None:
            break
        for line in _lines(chunk):
            if line.endswith("\\"):
                pending.append(line[:-1])
                continue
            text = "\n".join([*pending, line])
            pending.clear()
            if text.strip():
                execute(text)
    if pending:
        print(UNFINISHED, file=sys.stderr)
        return 1
    return 0


def _lines(chunk: str) -> list[str]:
    """What one read returned, as lines without their line ends (a paste may hold several)."""
    lines = LINE_BREAK.split(chunk)
    if len(lines) > 1 and not lines[-1]:
        lines.pop()
    return lines


def _terminal_reader(stdout: TextIO) -> Reader:
    def read(prompt: str) -> str | None:
        try:
            return input(prompt)
        except EOFError:
            print(file=stdout)
            return None
        except KeyboardInterrupt:
            print(file=stdout)  # past the ^C the terminal echoed
            raise

    return read


@contextlib.contextmanager
def _line_editing() -> Iterator[None]:
    """Arrow keys and a history file where the platform has readline; a history file that
    cannot be read or written never stops the console."""
    try:
        import readline
    except ImportError:
        yield
        return
    readline.set_history_length(HISTORY_LENGTH)
    with contextlib.suppress(OSError, RuntimeError):  # RuntimeError: no home directory
        path = history_path(os.environ)
        readline.read_history_file(path)
    try:
        yield
    finally:
        with contextlib.suppress(OSError, RuntimeError):
            path = history_path(os.environ)
            path.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(path)


def history_path(environ: Mapping[str, str]) -> Path:
    """$XDG_STATE_HOME/dienstplan/console_history, else the XDG default under ~/.local/state."""
    state = environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(state) / "dienstplan" / "console_history"
