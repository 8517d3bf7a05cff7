"""A database restored with `dienstplan import` serves Slack as the original did."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import BotProcess, Conversation
from tests.emulator import SlackEmulator
from tests.test_cli import dienstplan


def test_the_bot_serves_from_an_imported_database(emu: SlackEmulator, tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    original = BotProcess(emu, tmp_path / "old").start()
    chat = Conversation(emu)
    chat.say("create web <@U0ALICE> <@U0BOB> Wëb duty")
    chat.say('schedule create "rotate web" 0 9 * * 1')
    assert original.stop() == 0
    env = {"DIENSTPLAN_DATABASE": str(original.database)}
    backup = dienstplan("export", "backup.json", cwd=tmp_path, **env)
    assert backup.returncode == 0, backup.stderr
    restored = BotProcess(emu, tmp_path / "new")
    env = {"DIENSTPLAN_DATABASE": str(restored.database)}
    assert dienstplan("import", "backup.json", cwd=tmp_path, **env).returncode == 0
    restored.start()
    assert chat.say("who web").startswith("<@U0ALICE> is on duty for *web*:\nWëb duty")
    assert chat.say("rotate web") == "*web*: the duty passes from alice to <@U0BOB>."
    assert "`rotate web`" in chat.say("schedule list")
    assert restored.stop() == 0
