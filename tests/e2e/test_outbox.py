"""The outbox in the real bot: acks never wait for Slack's Web API, replies go out once each,
in order per channel, channels in parallel, across rate limits, failures and crashes."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.harness import ROOT, BotProcess, Conversation
from tests.emulator import SlackEmulator
from tests.emulator.server import Envelope

pytestmark = pytest.mark.both_engines

CREATE = "create backend <@U0ALICE> <@U0BOB> <@U0CAROL> Watch alerts"


def dienstplan(bot: BotProcess, *args: str) -> str:
    return subprocess.run(
        [sys.executable, str(ROOT / "dienstplan.py"), *args],
        env={"PATH": "/usr/bin:/bin", "DIENSTPLAN_DATABASE": str(bot.database)},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


def texts(emu: SlackEmulator, channel: str) -> list[str]:
    return [post.params["text"] for post in emu.posts(channel)]


def test_a_rate_limited_channel_waits_retry_after_while_others_flow(
    chat: Conversation, emu: SlackEmulator
) -> None:
    emu.fail_next("chat.postMessage", status=429, retry_after=2, channel="C1")
    limited, _ = chat.send("help", channel="C1")
    emu.wait_for_ack(limited, timeout=2)
    refused = emu.wait_for_call("chat.postMessage", lambda c: c.status == 429)
    for _ in range(3):
        assert chat.say("help", channel="C2", timeout=1.5).startswith("*dienstplan*")
    assert emu.posts("C1") == []
    (posted,) = emu.wait_for_posts(1, channel="C1", timeout=5)
    assert posted.at - refused.at >= 2.0
    assert [p.at < posted.at for p in emu.posts("C2")] == [True] * 3
    time.sleep(0.3)
    assert len(emu.posts("C1")) == 1


def test_a_permanent_error_is_listed_for_operators_and_retried_on_request(
    chat: Conversation, emu: SlackEmulator, bot: BotProcess
) -> None:
    emu.fail_next("chat.postMessage", status=200, error="not_in_channel", channel="C9")
    envelope, _ = chat.send("help", channel="C9")
    emu.wait_for_call("chat.postMessage", lambda c: c.response.get("error") == "not_in_channel")
    assert chat.say("help", channel="C2").startswith("*dienstplan*")  # the bot carries on
    listing = dienstplan(bot, "outbox").splitlines()
    assert listing[0].split() == ["ID", "CHANNEL", "KIND", "STATE", "AGE", "ATTEMPTS", "ERROR"]
    _, channel, kind, state, age, attempts, error = listing[1].split()
    assert (channel, kind, state, attempts, error) == (
        "C9",
        "reply",
        "failed",
        "1",
        "not_in_channel",
    )
    assert re.fullmatch(r"\d+s", age)
    assert listing[2:] == [
        "0 pending, 1 failed.",
        "`dienstplan outbox retry` queues the failed ones again.",
    ]
    assert bot.log().count("Slack answered not_in_channel") == 1
    assert "Queued 1 failed message(s) again" in dienstplan(bot, "outbox", "retry")
    emu.wait_for_posts(1, channel="C9", timeout=5)
    assert dienstplan(bot, "outbox") == "Nothing pending or failed.\n"
    assert emu.is_acked(envelope)


def test_a_bot_killed_with_undelivered_replies_sends_them_once_in_order_after_restart(
    emu: SlackEmulator, tmp_path: Path
) -> None:
    bot = BotProcess(emu, tmp_path).start()
    chat = Conversation(emu)
    chat.say(CREATE)
    before = len(emu.posts("C0CHAN"))
    emu.fail_next("chat.postMessage", status=503, count=1000)  # Slack is down
    commands = ["rotate backend", "who backend", "rotate backend", "shout backend"]
    for command in commands:
        envelope, _ = chat.send(command)
        emu.wait_for_ack(envelope, timeout=3)  # committed: the reply is promised
    bot.kill()
    emu.clear_faults()
    bot.start()
    emu.wait_for_posts(before + len(commands), channel="C0CHAN", timeout=10)
    time.sleep(0.5)
    assert texts(emu, "C0CHAN")[before:] == [
        "*backend*: the duty passes from alice to <@U0BOB>.",
        "<@U0BOB> is on duty for *backend*:\nWatch alerts\nNext in line: carol.",
        "*backend*: the duty passes from bob to <@U0CAROL>.",
        "<@U0CAROL> is on duty for *backend*.",
    ]
    bot.stop()


def test_acks_stay_within_three_seconds_while_each_post_takes_two(
    chat: Conversation, emu: SlackEmulator
) -> None:
    emu.method_latency["chat.postMessage"] = 2.0
    envelopes: list[Envelope] = []
    for _ in range(4):  # posted one after another in this channel: 8 s
        envelopes.append(chat.send("help")[0])
    for envelope in envelopes:
        ack = emu.wait_for_ack(envelope, timeout=3)
        assert ack.at - envelope.sent_at < 3.0
    emu.wait_for_posts(4, channel="C0CHAN", timeout=15)


def test_a_burst_of_200_commands_in_20_channels_is_answered_once_each_in_order(
    chat: Conversation, emu: SlackEmulator
) -> None:
    channels = [f"CB{i:02d}" for i in range(20)]
    for n in range(10):
        for channel in channels:
            chat.send(f"x{n:02d}", channel=channel)
    for channel in channels:
        emu.wait_for_posts(10, channel=channel, timeout=30)
    time.sleep(0.5)
    for channel in channels:
        answered = [re.search(r"`(x\d\d)`", text)[1] for text in texts(emu, channel)]  # type: ignore[index]
        assert answered == [f"x{n:02d}" for n in range(10)], channel


def test_a_burst_of_changes_and_questions_in_one_channel_applies_each_in_order(
    chat: Conversation, emu: SlackEmulator
) -> None:
    """A channel's queued envelopes are applied as one batch: each sees the ones before it,
    a redelivery among them is applied once, and every one is acknowledged."""
    envelopes = []
    for n in range(12):
        envelopes.append(emu.mention(f"create r{n} <@U0BOB> <@U0CAROL> Watch"))
        envelopes.append(emu.mention(f"who r{n}"))
    emu.redeliver(envelopes[5])
    for envelope in envelopes:
        emu.wait_for_ack(envelope)
    emu.wait_for_posts(24, channel="C0CHAN", timeout=30)
    time.sleep(0.5)
    answers = texts(emu, "C0CHAN")
    assert len(answers) == 24
    for n in range(12):
        assert answers[2 * n].startswith(f"Created rotation *r{n}*"), answers[2 * n]
        assert answers[2 * n + 1].startswith(f"<@U0BOB> is on duty for *r{n}*:"), answers[2 * n + 1]


def test_a_slow_lookup_does_not_hold_up_the_acks_before_it_nor_other_channels(
    chat: Conversation, emu: SlackEmulator
) -> None:
    """Before a command asks Slack something, what its channel's batch did so far is
    committed and acknowledged: the write lock is not held while Slack answers."""
    emu.method_latency["users.info"] = 1.0
    # While the first one waits for its lookup, the next two queue up: one batch.
    _, second, third = (emu.mention(f"who <@U0NEW{n}>", channel="C0SLOW") for n in range(3))
    emu.wait_for_ack(second, timeout=5)
    time.sleep(0.2)  # the third envelope's lookup is under way
    other = emu.mention("who", channel="C0FAST")
    assert emu.wait_for_ack(other, timeout=3).at - other.sent_at < 0.6
    emu.wait_for_ack(third, timeout=5)
    answered = {call.params["user"]: call.at for call in emu.calls_to("users.info")}
    # the second was acknowledged before the third's lookup, not after it
    assert emu.wait_for_ack(second).at < answered["U0NEW2"] - 0.5


def test_replies_after_a_restart_do_not_wait_out_a_rate_limit_on_their_names(
    emu: SlackEmulator, tmp_path: Path
) -> None:
    """After a restart the names are not cached; users.info answers 429 with a long
    Retry-After. The sender does not sleep through it: the reply goes out at once, the
    member shown by their id."""
    bot = BotProcess(emu, tmp_path).start()
    chat = Conversation(emu)
    chat.say(CREATE)
    before = len(emu.posts("C0CHAN"))
    emu.fail_next("chat.postMessage", status=503, count=1000)
    emu.wait_for_ack(chat.send("who backend")[0], timeout=3)
    bot.kill()
    emu.clear_faults()
    emu.storm("users.info", 60.0, status=429, retry_after=30)
    started = time.monotonic()
    bot.start()
    (post,) = emu.wait_for_posts(before + 1, channel="C0CHAN", timeout=10)[before:]
    assert time.monotonic() - started < 8.0
    assert post.params["text"].startswith("<@U0ALICE> is on duty for *backend*:\nWatch alerts")
    assert "Next in line: " in post.params["text"]
    bot.stop()
