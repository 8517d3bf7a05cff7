"""The Slack user directory against the emulator's users.info: one cached call per user
serves both the display name and the deactivated flag."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.core.model import Member
from bot.slack.client import make_web_client
from bot.slack.outbound import DisplayNames
from bot.slack.users import MAX_LOOKUPS, SlackUsers
from tests.emulator import SlackEmulator


@pytest.fixture
def emu() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        yield emulator


@pytest.fixture
def users(emu: SlackEmulator) -> SlackUsers:
    return SlackUsers(make_web_client(emu.bot_token, emu.api_url))


def test_deactivated_users_are_reported(emu: SlackEmulator, users: SlackUsers) -> None:
    emu.deactivate_user("U0BOB")
    assert users.for_request()(["U0ALICE", "U0BOB", "U0CAROL"]) == {"U0BOB"}


def test_one_lookup_serves_the_check_and_the_name(emu: SlackEmulator, users: SlackUsers) -> None:
    emu.deactivate_user("U0BOB")
    assert users.for_request()(["U0BOB"]) == {"U0BOB"}
    assert DisplayNames(users).for_reply()(Member("U0BOB")) == "bob"
    assert users.for_request()(["U0BOB"]) == {"U0BOB"}
    assert len(emu.calls_to("users.info")) == 1


def test_lookups_per_request_are_bounded(emu: SlackEmulator, users: SlackUsers) -> None:
    ids = [f"U{i:04d}" for i in range(MAX_LOOKUPS + 5)]
    for user_id in ids:
        emu.deactivate_user(user_id)
    assert users.for_request()(ids) == set(ids[:MAX_LOOKUPS])
    assert len(emu.calls_to("users.info")) == MAX_LOOKUPS
    assert users.for_request()(ids) == set(ids)


def test_a_failed_lookup_counts_as_active(
    emu: SlackEmulator, users: SlackUsers, caplog: pytest.LogCaptureFixture
) -> None:
    emu.deactivate_user("U0BOB")
    emu.fail_next("users.info", error="fatal_error", status=200)
    assert users.for_request()(["U0BOB"]) == frozenset()
    assert "users.info failed for U0BOB" in caplog.text
