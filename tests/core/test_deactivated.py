"""Members Slack has deactivated are never put on duty: refused by create/update/assign,
skipped by rotate. The directory is a fake that knows a set of deactivated ids."""

from __future__ import annotations

from collections.abc import Collection

import pytest

from bot.core.dispatcher import Dispatcher
from bot.core.ports import Deactivated
from bot.storage.repository import PeeweeRepository
from tests.conftest import Run

CREATE = "<@UBOT> create backend <@U1> <@U2> <@U3> <@U4> Watch alerts"


class FakeDirectory:
    """Answers from a set of deactivated ids; records each question and whether the
    database's write transaction was open while it was asked."""

    def __init__(self, repo: PeeweeRepository) -> None:
        self.gone: set[str] = set()
        self.down = False
        self.asked: list[tuple[frozenset[str], bool]] = []
        self._repo = repo

    def for_request(self) -> Deactivated:
        def check(user_ids: Collection[str]) -> frozenset[str]:
            self.asked.append((frozenset(user_ids), self._repo._db.in_transaction()))
            if self.down:
                raise OSError("Slack is down")
            return frozenset(user_ids) & self.gone

        return check

    def time_zone(self, user_id: str) -> str | None:
        return None

    def group_members(self, group_id: str) -> frozenset[str]:
        return frozenset()

    def is_admin(self, user_id: str) -> bool:
        return False


@pytest.fixture
def users(dispatcher: Dispatcher, repo: PeeweeRepository) -> FakeDirectory:
    directory = FakeDirectory(repo)
    dispatcher.directory = directory
    return directory


def test_create_refuses_deactivated_members_by_name(run: Run, users: FakeDirectory) -> None:
    users.gone = {"U2"}
    assert run(CREATE) == (
        "@U2 is deactivated in Slack, so they can't be on *backend*. Leave them out and try again."
    )
    users.gone = {"U2", "U3", "U4"}
    assert run(CREATE) == (
        "@U2, @U3 and @U4 are deactivated in Slack, so they can't be on *backend*. "
        "Leave them out and try again."
    )
    assert "There is no rotation *backend*" in run("<@UBOT> who backend")


def test_mentioned_users_are_looked_up_before_the_transaction(
    run: Run, users: FakeDirectory
) -> None:
    run(CREATE)
    first, in_transaction = users.asked[0]
    assert first == {"U1", "U2", "U3", "U4"} and not in_transaction


def test_update_refuses_deactivated_members_and_changes_nothing(
    run: Run, users: FakeDirectory
) -> None:
    run(CREATE)
    users.gone = {"U5"}
    assert run("<@UBOT> update backend <@U5> <@U6> New duties") == (
        "@U5 is deactivated in Slack, so they can't be on *backend*. Leave them out and try again."
    )
    assert run("<@UBOT> who backend") == (
        "<@U1> is on duty for *backend*:\nWatch alerts\nNext in line: @U2."
    )
    assert "Updated rotation" in run("<@UBOT> update backend <@U6> New duties")


def test_assign_refuses_a_deactivated_member(run: Run, users: FakeDirectory) -> None:
    run(CREATE)
    users.gone = {"U3"}
    assert run("<@UBOT> assign backend <@U3>") == (
        "@U3 is deactivated in Slack, so they can't be put on duty for *backend*. "
        "Assign someone else, or take them off the rotation with `@dienstplan update`."
    )
    assert run("<@UBOT> shout backend") == "<@U1> is on duty for *backend*."
    assert "not a member" in run("<@UBOT> assign backend <@U9>")


def test_rotate_skips_members_deactivated_since(run: Run, users: FakeDirectory) -> None:
    run(CREATE)
    users.gone = {"U2"}
    assert run("<@UBOT> rotate backend") == (
        "*backend*: the duty passes from @U1 to <@U3>. Skipped @U2 (deactivated in Slack)."
    )
    assert run("<@UBOT> rotate backend") == "*backend*: the duty passes from @U3 to <@U4>."
    users.gone = {"U1", "U2", "U3"}
    run("<@UBOT> assign backend <@U4>")
    users.gone = {"U1", "U2"}
    assert run("<@UBOT> rotate backend") == (
        "*backend*: the duty passes from @U4 to <@U3>. Skipped @U1 and @U2 (deactivated in Slack)."
    )


def test_rotate_keeps_the_duty_when_everyone_else_is_deactivated(
    run: Run, users: FakeDirectory
) -> None:
    run(CREATE)
    users.gone = {"U2", "U3", "U4"}
    assert run("<@UBOT> rotate backend") == (
        "*backend*: every other member is deactivated in Slack (@U2, @U3 and @U4), so <@U1> "
        "stays on duty. `@dienstplan update backend` can take them off the rotation."
    )
    assert run("<@UBOT> shout backend") == "<@U1> is on duty for *backend*."


def test_rotate_from_a_deactivated_member_passes_the_duty_on(
    run: Run, users: FakeDirectory
) -> None:
    run(CREATE)
    users.gone = {"U1"}
    assert run("<@UBOT> rotate backend") == "*backend*: the duty passes from @U1 to <@U2>."


def test_user_groups_are_never_deactivated(run: Run, users: FakeDirectory) -> None:
    users.gone = {"S1"}  # would be refused if a group were ever asked about
    assert run("<@UBOT> create ops <!subteam^S1|@sre> <@U1> x").startswith("Created rotation")
    assert run("<@UBOT> rotate ops") == "*ops*: the duty passes from @sre to <@U1>."
    assert run("<@UBOT> rotate ops") == "*ops*: the duty passes from @U1 to <!subteam^S1|@sre>."
    assert all("S1" not in ids for ids, _ in users.asked)


def test_a_failed_lookup_counts_as_active(
    run: Run, users: FakeDirectory, caplog: pytest.LogCaptureFixture
) -> None:
    users.gone = {"U2"}
    users.down = True
    assert run(CREATE).startswith("Created rotation *backend* with 4 members")
    assert run("<@UBOT> rotate backend") == "*backend*: the duty passes from @U1 to <@U2>."
    assert "could not tell whether" in caplog.text


def test_about_marks_deactivated_members(run: Run, users: FakeDirectory) -> None:
    run(CREATE)
    users.gone = {"U1", "U3"}
    assert run("<@UBOT> about backend") == (
        "*backend*, created 2026-11-22 by @U0ME\n"
        "Members in duty order (4):\n"
        "1. @U1 (deactivated in Slack)  ← on duty\n"
        "2. @U2\n"
        "3. @U3 (deactivated in Slack)\n"
        "4. @U4\n"
        "Next in line: @U2. No handoff schedule: "
        '`@dienstplan schedule create "rotate backend" 0 9 * * Mon` adds one.\n'
        "Duties:\nWatch alerts"
    )


def test_who_and_shout_say_when_the_one_on_duty_is_deactivated(
    run: Run, users: FakeDirectory
) -> None:
    run(CREATE)
    users.gone = {"U1"}
    deactivated = (
        "@U1 is on duty for *backend*, but is deactivated in Slack. `@dienstplan rotate backend` "
        "passes the duty to the next active member."
    )
    assert run("<@UBOT> who backend") == (
        deactivated + "\nDuties:\nWatch alerts\nNext in line: @U2."
    )
    assert run("<@UBOT> shout backend") == deactivated
    run("<@UBOT> rotate backend")
    assert run("<@UBOT> shout backend") == "<@U2> is on duty for *backend*."


def test_a_deactivated_only_member_is_named_and_update_suggested(
    run: Run, users: FakeDirectory
) -> None:
    """Rotating a rotation of one changes nothing: the way out is `update`."""
    run("<@UBOT> create lone <@U1> Watch")
    users.gone = {"U1"}
    assert run("<@UBOT> who lone") == (
        "@U1 is on duty for *lone*, but is deactivated in Slack. `@dienstplan update lone` can "
        "give it active members.\nDuties:\nWatch"
    )
    assert run("<@UBOT> rotate lone") == (
        "*lone* has a single member, @U1, who is deactivated in Slack. `@dienstplan update lone` "
        "can give it active members."
    )


def test_about_puts_all_of_a_members_reasons_in_one_bracket(run: Run, users: FakeDirectory) -> None:
    run(CREATE)
    run("<@UBOT> away today", user="U3")
    users.gone = {"U3"}
    assert "\n3. @U3 (deactivated in Slack; away until Sun 22 Nov)\n" in run(
        "<@UBOT> about backend"
    )
