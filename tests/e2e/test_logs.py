"""The service's log as an operator's collector reads it: one line per handled command."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.harness import BotProcess, Conversation
from tests.emulator import SlackEmulator


def test_json_lines_name_each_command_but_not_its_text(emu: SlackEmulator, tmp_path: Path) -> None:
    bot = BotProcess(emu, tmp_path, DIENSTPLAN_LOG_FORMAT="json").start()
    chat = Conversation(emu)
    chat.say("create web <@U0ALICE> top secret plans")
    chat.say("who nosuch", channel="C0OTHER")
    chat.say("flibbertigibbet top secret")
    assert bot.stop() == 0
    lines = [json.loads(line) for line in bot.log().splitlines()]
    handled = [line for line in lines if line["message"].startswith("handled ")]
    assert [(h["channel"], h["source"], h["command"], h["outcome"]) for h in handled] == [
        ("C0CHAN", "slack", "create", "ok"),
        ("C0OTHER", "slack", "who", "refused"),
        ("C0CHAN", "slack", "-", "unknown_command"),
    ]
    assert all(isinstance(h["ms"], float) and h["level"] == "INFO" for h in handled)
    assert any(line["message"].startswith("connected to Slack as dienstplan") for line in lines)
    text = bot.log()
    for secret in ("secret", "flibbertigibbet", emu.bot_token, emu.app_token):
        assert secret not in text


def test_text_lines_by_default(emu: SlackEmulator, bot: BotProcess, chat: Conversation) -> None:
    chat.say("list")
    assert bot.stop() == 0
    (line,) = [line for line in bot.log().splitlines() if " handled " in line]
    assert " INFO bot.core.dispatcher: handled list from slack in C0CHAN: ok in " in line
    assert line.endswith(" ms")
