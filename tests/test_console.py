"""`dienstplan console` driven through stdin and through a pseudo-terminal, on the same
database file `run` uses."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.console import render
from bot.core.model import Reply, bold

ROOT = Path(__file__).resolve().parents[1]
CONSOLE = [sys.executable, str(ROOT / "dienstplan.py"), "console"]
UP, CTRL_C, CTRL_D = "\x1b[A", "\x03", "\x04"
PROMPT = "dienstplan> "


def piped(db: str | Path, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Runs the console on `stdin`, its line ends sent exactly as written."""
    result = subprocess.run(
        [*CONSOLE, *args],
        input=stdin.encode(),
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "DIENSTPLAN_DATABASE": str(db)},
        timeout=60,
    )
    out, err = result.stdout.decode(), result.stderr.decode()
    return subprocess.CompletedProcess(result.args, result.returncode, out, err)


def console(db: str | Path, stdin: str, *args: str) -> str:
    result = piped(db, stdin, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_console_runs_commands_like_mentions(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    out = console(
        db,
        "create backend <@U1> <@U2> Watch <!here> \\\n"
        "and the second line\n"
        "\n"
        "rotate backend\n"
        "who backend\n"
        "frobnicate\n",
    )
    assert out.splitlines()[:5] == [
        "Created rotation *backend* with 2 members: @U1, @U2. @U1 is on duty now.",
        "*backend*: the duty passes from @U1 to @U2.",
        "@U2 is on duty for *backend*:",
        "Watch @\u200bhere ",
        "and the second line",
    ]
    assert "I don't know the command `frobnicate`" in out


def test_console_state_persists_and_is_per_channel(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    console(db, "create x <@U1> duty\n", "--channel", "C1", "--user", "U7")
    assert "@U1 is on duty for *x*." in console(db, "shout x\n", "--channel", "C1")
    assert "There is no rotation *x*" in console(db, "shout x\n", "--channel", "C2")
    assert "created 20" in console(db, "about x\n", "--channel", "C1")


def test_an_unusable_database_path_is_a_clear_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "dienstplan.py"), "console"],
        input="",
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "DIENSTPLAN_DATABASE": str(tmp_path)},
        timeout=60,
    )
    assert result.returncode == 2
    assert "DIENSTPLAN_DATABASE" in result.stderr and "Traceback" not in result.stderr


def test_console_text_is_taken_as_typed(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    out = console(
        db,
        "create R&D <@U1> a < b & c, see <https://x|docs> &amp; *bold*\n"
        "who r&d\n"
        "create * <@U1> x\n"
        "create evil\u202e <@U1> x\n",
    )
    assert out.splitlines() == [
        "Created rotation *R&D* with 1 member: @U1. @U1 is on duty now.",
        "@U1 is on duty for *R&D*:",
        "a < b & c, see <https://x|docs> &amp; *bold*",
        "Created rotation *** with 1 member: @U1. @U1 is on duty now.",
        "That `create` needs fixing: the rotation name contains U+202E (right-to-left "
        "override). Names cannot contain control characters or invisible formatting characters "
        "(such as text-direction marks).",
        "`@dienstplan create <rotation name> <list of user mentions> <duties description>`",
        "creates a rotation; the first member is on duty first.",
        "Example: `@dienstplan create backend-rota @alice @bob @carol Watch alerts and deploys.`",
    ]


def test_slack_text_reads_naturally_in_the_console() -> None:
    description = "a &lt; b &amp; c <https://x|link> <@U1> <!subteam^S1|@r&amp;d> &amp;lt; <!here>"
    reply = Reply.of("<@U2> is on duty for ", bold("R&D"), f":\n{description}")
    assert render(reply) == (
        "@U2 is on duty for *R&D*:\na < b & c <https://x|link> @U1 @r&d &lt; @\u200bhere"
    )


def test_crlf_input_continues_lines_like_lf(tmp_path: Path) -> None:
    out = console(tmp_path / "d.db", "create x <@U1> Watch \\\r\nand more\r\nwho x\r\n")
    assert out.splitlines()[1:] == ["@U1 is on duty for *x*:", "Watch ", "and more"]


def test_an_unfinished_continuation_is_reported_not_dropped(tmp_path: Path) -> None:
    result = piped(tmp_path / "d.db", "create x <@U1> duty\nrotate x \\\n")
    assert result.returncode == 1
    assert result.stdout.startswith("Created rotation *x*") and "rotate" not in result.stdout
    assert "the last command was not run: it ended with \\" in result.stderr


def test_ctrl_c_stops_piped_input_without_a_traceback(tmp_path: Path) -> None:
    with subprocess.Popen(
        CONSOLE,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin", "DIENSTPLAN_DATABASE": str(tmp_path / "d.db")},
    ) as process:
        try:
            assert process.stdin and process.stdout and process.stderr
            process.stdin.write(b"create x <@U1> duty\n")
            process.stdin.flush()
            assert process.stdout.readline().startswith(b"Created rotation *x*")
            process.send_signal(signal.SIGINT)
            assert process.wait(20) == 130
            stderr = process.stderr.read().decode()
            assert "dienstplan: interrupted." in stderr and "Traceback" not in stderr
        finally:
            process.kill()


class Terminal:
    """`dienstplan console` in a pseudo-terminal: keys go in, the screen is what came out."""

    # Make the terminal the console's controlling terminal, so Ctrl-C sends it SIGINT.
    TAKE_TERMINAL = (
        "import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
        "os.execv(sys.argv[1], sys.argv[1:])"
    )

    # A person's pause between keys. CPython's readline misses a SIGINT that lands between
    # echoing a key and waiting for the next one, which a script typing at once can hit.
    SETTLE = 0.3

    def __init__(self, db: Path, home: Path, **env: str) -> None:
        self.master, slave = pty.openpty()
        self.output = b""
        self.process = subprocess.Popen(
            [sys.executable, "-c", self.TAKE_TERMINAL, *CONSOLE],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
            env={
                "PATH": "/usr/bin:/bin",
                "HOME": str(home),
                "TERM": "xterm",
                "INPUTRC": "/dev/null",
                "DIENSTPLAN_DATABASE": str(db),
                **env,
            },
        )
        os.close(slave)

    @property
    def screen(self) -> str:
        """The output as text, without terminal control sequences and carriage returns."""
        text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", self.output.decode(errors="replace"))
        return text.replace("\r", "")

    def type(self, keys: str, *, until: str) -> None:
        """Press `keys`, then wait until what the screen shows after them includes `until`."""
        start = len(self.screen)
        self.press(keys)
        deadline = time.monotonic() + 20
        while until not in self.screen[start:]:
            assert time.monotonic() < deadline, f"no {until!r} on the screen:\n{self.screen}"
            self._read(timeout=deadline - time.monotonic())

    def press(self, keys: str) -> None:
        time.sleep(self.SETTLE)
        os.write(self.master, keys.encode())

    def exit_status(self) -> int:
        """Wait for the console to exit, collecting the rest of its output."""
        status = self.process.wait(20)
        while self._read(timeout=0.1):
            pass
        return status

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        os.close(self.master)

    def _read(self, timeout: float) -> bool:
        if not select.select([self.master], [], [], max(timeout, 0))[0]:
            return False
        try:
            chunk = os.read(self.master, 4096)
        except OSError:  # EIO: the console has exited and closed the terminal
            return False
        self.output += chunk
        return bool(chunk)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    term = Terminal(tmp_path / "d.db", tmp_path / "home")
    yield term
    term.close()


def test_up_recalls_a_command_and_ctrl_c_cancels_then_quits(
    terminal: Terminal, tmp_path: Path
) -> None:
    terminal.type("", until=PROMPT)
    terminal.type("create x <@U1> <@U2> duty\r", until="@U1 is on duty now.\n" + PROMPT)
    terminal.type("rotate x\r", until="passes from @U1 to @U2.\n" + PROMPT)
    terminal.type(UP + "\r", until="passes from @U2 to @U1.\n" + PROMPT)
    assert terminal.screen.count(PROMPT + "rotate x\n") == 2
    terminal.type("who x", until="who x")
    terminal.type(CTRL_C, until="(line cancelled; Ctrl-C again or Ctrl-D quits)\n" + PROMPT)
    terminal.press(CTRL_C)
    assert terminal.exit_status() == 0
    assert "Traceback" not in terminal.screen and "KeyboardInterrupt" not in terminal.screen
    assert "on duty for" not in terminal.screen  # the cancelled `who x` did not run
    history = tmp_path / "home" / ".local" / "state" / "dienstplan" / "console_history"
    assert history.read_text().splitlines() == ["create x <@U1> <@U2> duty", "rotate x"]


def test_history_survives_a_restart(tmp_path: Path) -> None:
    sessions = [
        ("create x <@U1> duty\r", "@U1 is on duty now.\n"),
        (UP + "\r", "create x <@U1> duty\nA rotation named *x* already exists"),
    ]
    for keys, shown in sessions:
        term = Terminal(tmp_path / "d.db", tmp_path / "home")
        try:
            term.type("", until=PROMPT)
            term.type(keys, until=shown)
            term.press(CTRL_D)
            assert term.exit_status() == 0
        finally:
            term.close()


def test_an_unusable_history_file_does_not_stop_the_console(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("a file where the state directory should be")
    term = Terminal(tmp_path / "d.db", tmp_path / "home", XDG_STATE_HOME=str(tmp_path / "state"))
    try:
        term.type("", until=PROMPT)
        term.type("create x <@U1> duty\r", until="@U1 is on duty now.\n" + PROMPT)
        term.press(CTRL_D)
        assert term.exit_status() == 0
        assert "Traceback" not in term.screen
    finally:
        term.close()


def test_ctrl_d_inside_a_continuation_says_it_was_not_run(terminal: Terminal) -> None:
    terminal.type("", until=PROMPT)
    terminal.type("create x <@U1> duty \\\r", until="... ")
    terminal.type(CTRL_D, until="was not run")
    assert terminal.exit_status() == 1
    assert "Created" not in terminal.screen


@pytest.mark.parametrize("locale", [{}, {"LC_ALL": "C.UTF-8", "PYTHONUTF8": "0"}])
def test_a_line_that_is_not_utf8_is_answered_and_the_console_goes_on(
    tmp_path: Path, locale: dict[str, str]
) -> None:
    """Decoded strictly (a UTF-8 locale) or with surrogateescape (the C locale) alike."""
    result = subprocess.run(
        CONSOLE,
        input=b"create x <@U1> d\nwho \xff\xfe\nwho x\n",
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "DIENSTPLAN_DATABASE": str(tmp_path / "d.db"), **locale},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().splitlines()[1:] == [
        "That line is not valid UTF-8, so it was not run. Check the terminal's or the file's "
        "encoding, and type it again.",
        "@U1 is on duty for *x*:",
        "d",
    ]
    assert result.stderr.decode().splitlines() == [
        f"dienstplan: creating a new database at {tmp_path / 'd.db'}"
    ]


def test_console_names_a_channel_with_a_plain_hash(tmp_path: Path) -> None:
    """`#backend` is the channel `--channel backend` acts in; replies show channels so too."""
    db = tmp_path / "d.db"
    console(db, "create ops <@U1> <@U2> backend duty\n", "--channel", "backend")
    out = console(
        db,
        "who #backend ops\ncreate #backend ops <@U3> duty\ncreate ops <@U3> duty\nlist\n",
        "--channel",
        "D1",
    )
    assert out.splitlines() == [
        "@U1 is on duty for *ops*:",
        "backend duty",
        "Next in line: @U2.",
        "A rotation named *ops* already exists in #backend. Pick another name, or change it "
        "with `@dienstplan update ops <members> <description>`.",
        "In a direct message, say which channel `create` is for: write the channel right after "
        "`create`, as in `@dienstplan create #channel <rotation name> <list of user mentions> "
        "<duties description>`.",
        "Rotations in your channels (1), newest first:",
        "• #backend ops (created " + out.split("(created ")[1].split(")")[0] + ")",
    ]
