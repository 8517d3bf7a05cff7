"""Faults injected while mixed commands flow (tests/e2e/chaos.py): each command is applied
exactly once and answered, whatever Slack does meanwhile."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.e2e.chaos import Chaos
from tests.e2e.harness import BotProcess, Conversation
from tests.emulator import SlackEmulator

# Every Web API method the running bot calls.
METHODS = [
    "chat.postMessage",
    "users.info",
    "users.conversations",
    "usergroups.users.list",
    "apps.connections.open",
    "views.publish",
]


def once(at: float, action: Callable[[], object]) -> Callable[[float], None]:
    """A `during` callback that runs `action` once, `at` seconds into the traffic."""
    done = False

    def during(elapsed: float) -> None:
        nonlocal done
        if not done and elapsed >= at:
            done = True
            action()

    return during


def run_chaos(
    emu: SlackEmulator,
    bot: BotProcess,
    during: Callable[[float], None],
    *,
    seconds: float = 4.0,
    duplicate: bool = False,
    chaos: Chaos | None = None,
) -> Chaos:
    chaos = chaos or Chaos(emu, lanes=4, pace=0.1, duplicate=duplicate)
    chaos.run(seconds, during=during)
    chaos.wait_answered()
    chaos.wait_sent(bot.database)
    assert sum(chaos.verify()) == 0  # no crash here: not one message twice
    assert bot.stop() == 0
    chaos.check_database(bot.database)
    envelopes = {e.envelope_id: e for e in emu.envelopes}
    for ack in emu.acks:  # Slack's deadline, whatever the Web API does
        envelope = envelopes[ack.envelope_id]
        assert ack.at - envelope.sent_at < 3.0, envelope.event
    assert " ERROR " not in bot.log() and "Traceback" not in bot.log(), bot.log()[-3000:]
    return chaos


def storm(emu: SlackEmulator, bot: BotProcess, status: int) -> None:
    """Every method fails from the start for 3 s, and a direct message asks for what needs
    users.conversations; the socket drops in the middle, so reconnecting meets the storm too.
    A member of each rotation has opened the App Home, so the commands publish it anew; in
    one more channel a rotation with a user group is created, whose Homes are published."""
    chaos = Chaos(emu, lanes=4, pace=0.1)
    emu.set_usergroup("S0GROUP", ["U0INGROUP"])
    for lane in chaos.lanes:
        emu.app_home_opened(lane.members[0])
    until = time.monotonic() + 10
    while len(emu.home_views) < len(chaos.lanes):
        assert time.monotonic() < until, emu.home_views.keys()
        time.sleep(0.02)
    emu.storm(METHODS, 3.0, status=status, retry_after=1)
    emu.add_members("C0OPS", "U0DMER")
    dm = emu.dm("list", user="U0DMER")
    group, _ = Conversation(emu).send("create g <!subteam^S0GROUP> <@U0GA> x", channel="C0GROUP")
    run_chaos(emu, bot, once(1.5, lambda: emu.drop_connections("reset")), chaos=chaos)
    assert emu.wait_for_ack(dm).at - dm.sent_at < 3.0
    answer = emu.wait_for_posts(1, channel=emu.dm_channel_for("U0DMER"), timeout=1)[0]
    assert "could not ask Slack which channels" in answer.params["text"]
    assert emu.wait_for_ack(group).at - group.sent_at < 3.0
    (created,) = emu.wait_for_posts(1, channel="C0GROUP", timeout=1)
    assert created.params["text"].startswith("Created rotation *g*")
    for method in METHODS:
        assert any(c.status == status for c in emu.calls_to(method)), method


def test_a_429_storm_on_every_method(emu: SlackEmulator, bot: BotProcess) -> None:
    storm(emu, bot, 429)


def test_a_burst_of_server_errors_on_every_method(emu: SlackEmulator, bot: BotProcess) -> None:
    storm(emu, bot, 503)


def test_latency_spikes_of_five_seconds(emu: SlackEmulator, bot: BotProcess) -> None:
    def spike() -> None:
        for method in ("chat.postMessage", "users.info", "users.conversations"):
            emu.method_latency[method] = 5.0

    def calm() -> None:
        emu.method_latency.clear()

    def during(elapsed: float) -> None:
        (spike if 1.0 <= elapsed < 5.0 else calm)()

    run_chaos(emu, bot, during, seconds=6.0)


@pytest.mark.parametrize("mode", ["close_frame", "eof", "reset", "half_open"])
def test_websocket_drops_mid_burst(emu: SlackEmulator, bot: BotProcess, mode: str) -> None:
    def drop() -> None:
        if mode == "half_open":
            emu.half_open()
        else:
            emu.drop_connections(mode)  # type: ignore[arg-type]

    chaos = run_chaos(emu, bot, once(1.0, drop), seconds=3.0)
    assert emu.connects_total >= 2
    if mode == "half_open":  # found by a ping after 5 s of silence, unanswered for 5 s
        assert "Socket Mode connection ended (no pong within 5 s)" in bot.log()
        assert chaos.redeliveries


def test_slack_unreachable_for_a_while(emu: SlackEmulator, bot: BotProcess) -> None:
    def during(elapsed: float) -> None:
        if 1.0 <= elapsed < 11.0 and not emu.offline:
            emu.go_offline()
        elif elapsed >= 11.0 and emu.offline:
            emu.go_online()

    run_chaos(emu, bot, during, seconds=13.0)
    assert "reconnect failed" in bot.log()


def test_redelivered_envelopes_and_disconnect_messages(emu: SlackEmulator, bot: BotProcess) -> None:
    asked = 0

    def during(elapsed: float) -> None:
        nonlocal asked
        if elapsed >= 0.5 * (asked + 1) and asked < 5:
            asked += 1
            emu.send_disconnect()

    run_chaos(emu, bot, during, duplicate=True)
    assert emu.connects_total >= 3


def test_reconnecting_waits_as_long_as_a_429_asks(emu: SlackEmulator, bot: BotProcess) -> None:
    connects = emu.connects_total
    emu.fail_next("apps.connections.open", status=429, retry_after=3)
    emu.drop_connections("reset")
    refused = emu.wait_for_call("apps.connections.open", lambda c: c.status == 429)
    emu.wait_connected(count=connects + 1, timeout=10)
    opened = emu.calls_to("apps.connections.open")[-1]
    assert opened.ok and opened.at - refused.at >= 2.9
