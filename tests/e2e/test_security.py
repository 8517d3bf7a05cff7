"""Permissions, the database's file modes and token-free logs, with the real process."""

from __future__ import annotations

import stat
from pathlib import Path

from tests.e2e.harness import BotProcess, Conversation
from tests.emulator import SlackEmulator

CREATE = "create backend <@U0ALICE> <@U0BOB> Watch alerts"


def test_only_the_rotations_people_and_admins_may_delete_it(
    chat: Conversation, emu: SlackEmulator
) -> None:
    chat.say(CREATE, user="U0CAROL")
    assert chat.say("delete backend", user="U0EVE") == (
        "Sorry, you can't delete *backend*: only its members, the person who created it "
        "(carol) and workspace admins and owners can. Ask one of them to do it, or to add you "
        "to the rotation."
    )
    assert chat.say("assign backend <@U0BOB>", user="U0EVE").startswith("Sorry, you can't")
    assert chat.say("assign backend <@U0BOB>", user="U0ALICE").startswith("*backend*: <@U0BOB>")
    emu.set_user("U0EVE", is_admin=True)
    emu.wait_for_ack(emu.user_change("U0EVE"))  # Slack tells the bot at once
    assert chat.say("delete backend", user="U0EVE") == "Deleted rotation *backend*."


def test_open_permissions_let_anyone_delete(emu: SlackEmulator, tmp_path: Path) -> None:
    BotProcess(emu, tmp_path, DIENSTPLAN_OPEN_PERMISSIONS="true").start()
    chat = Conversation(emu)
    chat.say(CREATE, user="U0CAROL")
    assert chat.say("delete backend", user="U0EVE") == "Deleted rotation *backend*."


def test_database_is_private_and_debug_logs_carry_no_token(
    emu: SlackEmulator, tmp_path: Path
) -> None:
    workdir = tmp_path / "state"
    workdir.mkdir()
    bot = BotProcess(emu, workdir, DIENSTPLAN_LOG_LEVEL="DEBUG")
    bot.database = workdir / "private" / "dienstplan.db"
    bot.env["DIENSTPLAN_DATABASE"] = str(bot.database)
    bot.start()
    chat = Conversation(emu)
    chat.say(CREATE)
    chat.say("rotate backend")
    bot.stop()
    files = [bot.database, Path(f"{bot.database}-wal"), Path(f"{bot.database}-shm")]
    modes = {f.name: stat.S_IMODE(f.stat().st_mode) for f in files if f.exists()}
    assert set(modes.values()) == {0o600}, modes
    assert stat.S_IMODE(bot.database.parent.stat().st_mode) == 0o700
    log = bot.log()
    assert "DEBUG" in log and "slack_sdk" in log  # the libraries' debug lines are there
    assert emu.bot_token not in log and emu.app_token not in log
