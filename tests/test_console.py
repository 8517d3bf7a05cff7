"""`dienstplan console` driven through stdin, on the same database file `run` uses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.console import render
from bot.core.model import Reply, bold

ROOT = Path(__file__).resolve().parents[1]


def console(db: Path, stdin: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "dienstplan.py"), "console", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "DIENSTPLAN_DATABASE": str(db)},
        timeout=60,
        check=True,
    )
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
        "override). Names cannot contain control characters or characters that change the text "
        "direction.",
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
