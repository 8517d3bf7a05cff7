"""The Slack user directory against the emulator's users.info: one cached call per user
serves both the display name and the deactivated flag."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.core.model import Member
from bot.slack.client import make_web_client
from bot.slack.outbound import DisplayNames
from bot.slack.users import (
    ACTIVE_CHECK_SECONDS,
    FAILED_LOOKUP_TTL_SECONDS,
    GROUP_TTL_SECONDS,
    MAX_LOOKUPS,
    USER_TTL_SECONDS,
    SlackUsers,
)
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


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_user_change_event_updates_the_cache_without_a_call(
    emu: SlackEmulator, users: SlackUsers
) -> None:
    assert users.for_request()(["U0BOB"]) == frozenset()
    users.remember({"id": "U0BOB", "name": "bob", "deleted": True})  # as user_change sends it
    assert users.for_request()(["U0BOB"]) == {"U0BOB"}
    users.remember({"id": "U0BOB", "deleted": False, "profile": {"display_name": "Bobby"}})
    assert users.for_request()(["U0BOB"]) == frozenset()
    assert DisplayNames(users).for_reply()(Member("U0BOB")) == "Bobby"
    users.remember({"name": "no id"})  # ignored
    assert len(emu.calls_to("users.info")) == 1


def test_an_active_answer_puts_someone_on_duty_only_while_recent(emu: SlackEmulator) -> None:
    clock = Clock()
    users = SlackUsers(make_web_client(emu.bot_token, emu.api_url), clock=clock)
    assert users.for_request()(["U0BOB", "U0CAROL"]) == frozenset()
    emu.deactivate_user("U0BOB")
    emu.deactivate_user("U0CAROL")
    clock.now += ACTIVE_CHECK_SECONDS - 1
    assert users.for_request()(["U0BOB"]) == frozenset()  # cached, no event came
    clock.now += 2
    assert DisplayNames(users).for_reply()(Member("U0CAROL")) == "carol"  # names last longer
    assert len(emu.calls_to("users.info")) == 2
    assert users.for_request()(["U0BOB"]) == {"U0BOB"}
    assert len(emu.calls_to("users.info")) == 3
    clock.now += USER_TTL_SECONDS - 1
    assert users.for_request()(["U0BOB"]) == {"U0BOB"}  # a deactivation is kept an hour
    assert len(emu.calls_to("users.info")) == 3


def test_a_failed_refresh_keeps_the_previous_answer_for_a_while(emu: SlackEmulator) -> None:
    clock = Clock()
    users = SlackUsers(make_web_client(emu.bot_token, emu.api_url), clock=clock)
    names = DisplayNames(users)
    assert names.for_reply()(Member("U0BOB")) == "bob"
    clock.now += USER_TTL_SECONDS
    emu.fail_next("users.info", error="fatal_error", status=200)
    assert names.for_reply()(Member("U0BOB")) == "bob"
    assert names.for_reply()(Member("U0BOB")) == "bob"
    assert len(emu.calls_to("users.info")) == 2  # retried only after a minute
    clock.now += FAILED_LOOKUP_TTL_SECONDS
    assert names.for_reply()(Member("U0BOB")) == "bob"
    assert len(emu.calls_to("users.info")) == 3


def test_the_check_and_a_reply_each_look_up_at_most_the_budget(
    emu: SlackEmulator, users: SlackUsers
) -> None:
    """The check runs with the command and the reply is rendered later by the outbox sender,
    so each has its own budget; the reply finds what the check cached."""
    ids = [f"U{i:04d}" for i in range(MAX_LOOKUPS + 20)]
    assert users.for_request()(ids) == frozenset()
    assert len(emu.calls_to("users.info")) == MAX_LOOKUPS
    name_of = DisplayNames(users).for_reply()
    shown = [name_of(Member(user_id)) for user_id in ids]
    assert len(emu.calls_to("users.info")) == MAX_LOOKUPS + 20
    assert shown[MAX_LOOKUPS - 1] == "49"  # the emulator names U0049 "49"
    assert shown[-1] == str(MAX_LOOKUPS + 19)


def test_the_time_zone_comes_from_the_same_cached_answer(emu: SlackEmulator) -> None:
    users = SlackUsers(make_web_client(emu.bot_token, emu.api_url))
    emu.set_user("U0BOB", tz="America/New_York")
    assert users.time_zone("U0BOB") == "America/New_York"
    assert users.for_request()(["U0BOB"]) == frozenset()
    assert users.time_zone("U0ALICE") == "Europe/Berlin"
    assert len(emu.calls_to("users.info")) == 2


def test_user_groups_are_listed_once_per_ttl(emu: SlackEmulator) -> None:
    clock = Clock()
    users = SlackUsers(make_web_client(emu.bot_token, emu.api_url), clock=clock)
    emu.set_usergroup("S0OPS", ["U0ALICE", "U0BOB"])
    assert users.group_members("S0OPS") == {"U0ALICE", "U0BOB"}
    emu.set_usergroup("S0OPS", ["U0CAROL"])
    clock.now += GROUP_TTL_SECONDS - 1
    assert users.group_members("S0OPS") == {"U0ALICE", "U0BOB"}
    clock.now += 2
    assert users.group_members("S0OPS") == {"U0CAROL"}
    assert len(emu.calls_to("usergroups.users.list")) == 2


def test_a_group_slack_will_not_list_is_nobody_with_one_warning(
    emu: SlackEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    users = SlackUsers(make_web_client(emu.bot_token, emu.api_url), clock=clock)
    assert users.group_members("S0GONE") == frozenset()
    clock.now += FAILED_LOOKUP_TTL_SECONDS
    assert users.group_members("S0GONE") == frozenset()
    assert len(emu.calls_to("usergroups.users.list")) == 2
    assert caplog.text.count("usergroups.users.list failed for S0GONE") == 1


def test_admins_and_owners_from_users_info(emu: SlackEmulator, users: SlackUsers) -> None:
    emu.set_user("U0ALICE", is_admin=True)
    emu.set_user("U0BOB", is_owner=True)
    emu.set_user("U0DAVE", is_admin=True, deleted=True)
    assert [users.is_admin(u) for u in ("U0ALICE", "U0BOB", "U0CAROL", "U0DAVE")] == [
        True,
        True,
        False,
        False,
    ]
    assert users.is_admin("U0ALICE") and len(emu.calls_to("users.info")) == 4
