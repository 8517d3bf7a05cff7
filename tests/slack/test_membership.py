"""Channel membership from the emulator's users.conversations: one cached answer per user."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.core.errors import MembershipUnknown
from bot.slack.client import make_web_client
from bot.slack.membership import MEMBERSHIP_TTL_SECONDS, SlackMembership
from tests.emulator import SlackEmulator


class Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def emu() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        yield emulator


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


@pytest.fixture
def membership(emu: SlackEmulator, ticker: Ticker) -> SlackMembership:
    return SlackMembership(make_web_client(emu.bot_token, emu.api_url), monotonic=ticker)


def test_public_channels_and_private_ones_the_bot_shares(
    emu: SlackEmulator, membership: SlackMembership
) -> None:
    emu.add_members("C0PUBLIC", "U0ALICE")
    emu.add_members("G0SHARED", "U0ALICE", "UBOT")
    emu.add_members("G0HIDDEN", "U0ALICE")
    emu.add_members("C0OTHER", "U0BOB")
    assert membership.channels_of("U0ALICE") == {"C0PUBLIC", "G0SHARED"}
    (call,) = emu.calls_to("users.conversations")
    assert call.params["types"] == "public_channel,private_channel"


def test_pages_are_followed(emu: SlackEmulator, membership: SlackMembership) -> None:
    channels = {f"C{i:04d}" for i in range(2500)}
    for channel in channels:
        emu.add_members(channel, "U0ALICE")
    assert membership.channels_of("U0ALICE") == channels
    assert len(emu.calls_to("users.conversations")) == 3


def test_answers_are_cached_for_a_minute(
    emu: SlackEmulator, membership: SlackMembership, ticker: Ticker
) -> None:
    emu.add_members("C1", "U0ALICE")
    assert membership.channels_of("U0ALICE") == {"C1"}
    emu.add_members("C2", "U0ALICE")
    ticker.now = MEMBERSHIP_TTL_SECONDS - 1
    assert membership.channels_of("U0ALICE") == {"C1"}
    ticker.now = MEMBERSHIP_TTL_SECONDS
    assert membership.channels_of("U0ALICE") == {"C1", "C2"}
    assert len(emu.calls_to("users.conversations")) == 2


def test_a_failure_is_unknown_not_empty(emu: SlackEmulator, membership: SlackMembership) -> None:
    emu.fail_next("users.conversations", error="internal_error", status=200, count=5)
    with pytest.raises(MembershipUnknown):
        membership.channels_of("U0ALICE")
