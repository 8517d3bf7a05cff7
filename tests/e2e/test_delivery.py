"""Exactly-once delivery: redeliveries, Slack errors, restarts, crashes and dropped sockets."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.harness import ROOT, BotProcess, Conversation
from tests.emulator import SlackEmulator

CREATE = "create backend <@U0ALICE> <@U0BOB> <@U0CAROL> Watch alerts"


def test_redelivered_envelope_is_not_applied_twice(chat: Conversation, emu: SlackEmulator) -> None:
    chat.say(CREATE)
    envelope, before = chat.send("rotate backend")
    chat.reply_to(envelope, before, channel="C0CHAN")
    again = emu.redeliver(envelope)
    emu.wait_for_ack(again)
    assert len(emu.posts("C0CHAN")) == before + 1  # no second reply either
    assert chat.say("shout backend") == "<@U0BOB> is on duty for *backend*."


def test_rate_limited_reply_is_retried(chat: Conversation, emu: SlackEmulator) -> None:
    chat.say(CREATE)
    emu.fail_next("chat.postMessage", status=429, retry_after=1)
    assert chat.say("shout backend") == "<@U0ALICE> is on duty for *backend*."


def test_server_errors_delay_the_reply_not_the_ack_and_a_redelivery_sends_nothing(
    chat: Conversation, emu: SlackEmulator
) -> None:
    """The committed outbox row is the promise: acked at once, posted once Slack recovers,
    even though Slack redelivered the event meanwhile (the redelivery finds its event id)."""
    chat.say(CREATE)
    emu.fail_next("chat.postMessage", status=503, count=2)
    envelope, before = chat.send("rotate backend")
    emu.wait_for_ack(envelope, timeout=2)
    emu.wait_for_call("chat.postMessage", lambda c: c.status == 503)
    again = emu.redeliver(envelope)
    emu.wait_for_ack(again, timeout=2)
    posts = emu.wait_for_posts(before + 1, channel="C0CHAN", timeout=10)
    assert posts[before].params["text"] == "*backend*: the duty passes from alice to <@U0BOB>."
    time.sleep(0.5)
    assert len(emu.posts("C0CHAN")) == before + 1
    assert chat.say("shout backend") == "<@U0BOB> is on duty for *backend*."


def test_restart_keeps_all_state(emu: SlackEmulator, tmp_path: Path) -> None:
    bot = BotProcess(emu, tmp_path).start()
    chat = Conversation(emu)
    chat.say(CREATE)
    chat.say("rotate backend")
    assert bot.stop() == 0
    assert "stopped cleanly" in bot.log()
    bot.start()
    assert chat.say("shout backend") == "<@U0BOB> is on duty for *backend*."
    assert chat.say("rotate backend") == "*backend*: the duty passes from bob to <@U0CAROL>."
    bot.stop()


def test_sigterm_finishes_the_command_in_flight(emu: SlackEmulator, tmp_path: Path) -> None:
    bot = BotProcess(emu, tmp_path).start()
    chat = Conversation(emu)
    chat.say(CREATE)
    emu.api_latency = 1.0
    envelope, before = chat.send("rotate backend")
    time.sleep(0.3)
    bot.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
    assert bot.process.wait(20) == 0  # type: ignore[union-attr]
    emu.api_latency = 0.0
    assert emu.is_acked(envelope)
    assert emu.posts("C0CHAN")[before].params["text"].endswith("to <@U0BOB>.")


def test_a_crash_while_the_reply_is_in_flight_posts_it_after_restart_without_rerunning(
    emu: SlackEmulator, tmp_path: Path
) -> None:
    """kill -9 between commit and post: the restarted bot posts the stored reply; a
    redelivery of the event changes nothing."""
    bot = BotProcess(emu, tmp_path).start()
    chat = Conversation(emu)
    chat.say(CREATE)
    emu.api_latency = 3.0  # the reply is stuck in flight...
    envelope, before = chat.send("rotate backend")
    emu.wait_for_call("chat.postMessage", lambda c: len(emu.calls_to("chat.postMessage")) > before)
    bot.kill()  # ...when the process dies
    emu.api_latency = 0.0
    bot.start()
    emu.wait_for_ack(emu.redeliver(envelope))
    posts = emu.wait_for_posts(before + 1, channel="C0CHAN", timeout=10)
    assert posts[-1].params["text"] == "*backend*: the duty passes from alice to <@U0BOB>."
    assert chat.say("shout backend") == "<@U0BOB> is on duty for *backend*."
    assert bot.stop() == 0


@pytest.mark.parametrize("mode", ["close_frame", "eof", "reset"])
def test_reconnects_after_a_dropped_websocket(
    chat: Conversation, emu: SlackEmulator, mode: str
) -> None:
    connects = emu.connects_total
    emu.drop_connections(mode)  # type: ignore[arg-type]
    emu.wait_connected(count=connects + 1, timeout=10)
    assert chat.say("help").startswith("*dienstplan*")


def test_reconnects_when_slack_asks(chat: Conversation, emu: SlackEmulator) -> None:
    connects = emu.connects_total
    emu.send_disconnect()
    emu.wait_connected(count=connects + 1, timeout=10)
    assert chat.say("help").startswith("*dienstplan*")


@pytest.mark.parametrize("frame", [b'{"type": "\xff\xfe"}', b"{not json", b"[1, 2]"])
def test_undecodable_frame_is_dropped_and_the_connection_kept(
    chat: Conversation, emu: SlackEmulator, bot: BotProcess, frame: bytes
) -> None:
    connects = emu.connects_total
    assert emu.send_raw_frame(frame) == 1
    assert chat.say("help").startswith("*dienstplan*")
    assert emu.connects_total == connects
    assert "dropped a" in bot.log()


def test_keeps_retrying_while_slack_refuses_connections(
    chat: Conversation, emu: SlackEmulator
) -> None:
    connects = emu.connects_total
    emu.reject_connections = True
    emu.drop_connections("reset")
    time.sleep(1.5)
    emu.reject_connections = False
    emu.wait_connected(count=connects + 1, timeout=15)
    assert chat.say("help").startswith("*dienstplan*")


def _run(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "dienstplan.py"), "run"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "DIENSTPLAN_DATABASE": str(tmp_path / "x.db"), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_token_exits_at_once_naming_it(tmp_path: Path) -> None:
    result = _run({"SLACK_APP_TOKEN": "xapp-1-abc"}, tmp_path)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN is not set" in result.stderr and "OAuth & Permissions" in result.stderr


def test_rejected_tokens_exit_without_leaking_them(emu: SlackEmulator, tmp_path: Path) -> None:
    env = {"SLACK_API_URL": emu.api_url, "SLACK_APP_TOKEN": emu.app_token}
    result = _run({**env, "SLACK_BOT_TOKEN": "xoxb-wrong-secret"}, tmp_path)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN was rejected by Slack (invalid_auth)" in result.stderr
    assert "wrong-secret" not in result.stdout + result.stderr
    env = {"SLACK_API_URL": emu.api_url, "SLACK_BOT_TOKEN": emu.bot_token}
    result = _run({**env, "SLACK_APP_TOKEN": "xapp-wrong-secret"}, tmp_path)
    assert result.returncode == 2
    assert "SLACK_APP_TOKEN was rejected by Slack" in result.stderr
    assert "wrong-secret" not in result.stdout + result.stderr
