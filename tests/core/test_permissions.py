"""Destructive commands are for a rotation's creator, its members (also through a user group)
and workspace admins; everyone else gets a refusal saying who may, and nothing changes."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.core.dispatcher import Dispatcher
from bot.core.model import Member, Request
from bot.core.ports import Deactivated, nobody_deactivated
from bot.storage.repository import PeeweeRepository
from tests.conftest import FakeClock, Run

# U0ME creates it; U1 and the group S1 (U5) are on it; U9 is nobody's.
CREATE = "<@UBOT> create backend <@U1> <!subteam^S1> <@U2> Watch alerts"


def refusal(doing: str) -> str:
    return (
        f"Sorry, you can't {doing} *backend*: only its members, the person who created it "
        "(@U0ME) and workspace admins and owners can. Ask one of them to do it, or to add you "
        "to the rotation."
    )


class Directory:
    """Admins and user groups as the test sets them; records whether each admin question
    came while the database's write transaction was open."""

    def __init__(self, repo: PeeweeRepository) -> None:
        self.admins: set[str] = set()
        self.groups: dict[str, set[str]] = {"S1": {"U5"}}
        self.asked_in_transaction: list[bool] = []
        self.down = False
        self._repo = repo

    def for_request(self) -> Deactivated:
        return nobody_deactivated

    def time_zone(self, user_id: str) -> str | None:
        return None

    def group_members(self, group_id: str) -> frozenset[str]:
        return frozenset(self.groups.get(group_id, set()))

    def is_admin(self, user_id: str) -> bool:
        self.asked_in_transaction.append(self._repo._db.in_transaction())
        if self.down:
            raise OSError("Slack is down")
        return user_id in self.admins


@pytest.fixture
def directory(dispatcher: Dispatcher, repo: PeeweeRepository, run: Run) -> Directory:
    dispatcher.directory = found = Directory(repo)
    run(CREATE)
    return found


@pytest.mark.parametrize(
    ("command", "doing"),
    [
        ("delete backend", "delete"),
        ("update backend <@U9> Mine now", "update"),
        ("assign backend <@U2>", "assign someone else to"),
        ('schedule create "rotate backend" 0 9 * * *', "schedule commands for"),
    ],
)
def test_others_are_refused_politely_and_nothing_changes(
    run: Run, directory: Directory, command: str, doing: str
) -> None:
    assert run(f"<@UBOT> {command}", user="U9") == refusal(doing)
    assert run("<@UBOT> about backend").count("\n") == 7  # members and duty unchanged
    assert "<@U1> is on duty" in run("<@UBOT> who backend")
    assert "There are no schedules" in run("<@UBOT> schedule list")


@pytest.mark.parametrize("user", ["U0ME", "U1", "U5", "UADMIN"])
def test_creator_members_group_members_and_admins_may(
    run: Run, directory: Directory, user: str
) -> None:
    directory.admins = {"UADMIN"}
    assert run("<@UBOT> assign backend <@U2>", user=user).startswith("*backend*: <@U2>")
    assert run('<@UBOT> schedule create "rotate backend" 0 9 * * *', user=user).startswith(
        "Scheduled"
    )
    assert run('<@UBOT> schedule delete "rotate backend"', user=user).startswith("Deleted")
    assert run("<@UBOT> update backend <!subteam^S1> <@U1> New", user=user).startswith("Updated")
    assert run("<@UBOT> delete backend", user=user) == "Deleted rotation *backend*."


def test_slack_is_asked_about_admins_before_the_transaction_and_only_for_guarded_commands(
    run: Run, directory: Directory
) -> None:
    run("<@UBOT> who backend", user="U9")
    run("<@UBOT> rotate backend", user="U9")
    assert directory.asked_in_transaction == []
    run("<@UBOT> delete backend", user="U9")
    assert directory.asked_in_transaction[0] is False


def test_anyone_may_take_the_duty_themselves_and_read(run: Run, directory: Directory) -> None:
    run("<@UBOT> update backend <@U1> <@U9> Watch", user="U0ME")
    assert run("<@UBOT> rotate backend", user="U8").startswith("*backend*: the duty passes")
    assert "is not a member of *backend*" in run("<@UBOT> assign backend <@U8>", user="U8")
    assert run("<@UBOT> who backend", user="U8").startswith("<@U9> is on duty")


def test_a_schedule_of_someone_elses_command_is_refused_even_when_the_command_is_not(
    run: Run, directory: Directory
) -> None:
    run('<@UBOT> schedule create "who backend" 0 9 * * *', user="U1")
    assert run('<@UBOT> schedule delete "who backend"', user="U9") == refusal(
        "delete the schedules of"
    )
    assert run('<@UBOT> schedule create "list" 0 9 * * *', user="U9").startswith("Scheduled")
    assert run('<@UBOT> schedule delete "list"', user="U9").startswith("Deleted")


def test_when_slack_cannot_say_who_is_admin_the_answer_is_no(
    run: Run, directory: Directory
) -> None:
    directory.admins = {"U9"}
    directory.down = True
    assert run("<@UBOT> delete backend", user="U9") == refusal("delete")
    directory.down = False
    assert run("<@UBOT> delete backend", user="U9") == "Deleted rotation *backend*."


def test_open_permissions_let_everyone(
    repo: PeeweeRepository, clock: FakeClock, run: Run, directory: Directory
) -> None:
    open_to_all = Dispatcher(
        repo=repo,
        schedules=repo,
        away=repo,
        clock=clock,
        timezone=ZoneInfo("UTC"),
        directory=directory,
        open_permissions=True,
    )
    request = Request(text="<@UBOT> delete backend", channel="C1", user="U9", bot_user_id="UBOT")
    assert open_to_all.handle(request).reply.render(Member.plain) == "Deleted rotation *backend*."


def test_the_console_acts_as_an_admin(dispatcher: Dispatcher, directory: Directory) -> None:
    request = Request(text="delete backend", channel="C1", user="U9", source="console")
    assert dispatcher.handle(request).reply.render(Member.plain) == "Deleted rotation *backend*."


def test_a_command_from_a_dm_is_refused_alike(run: Run, directory: Directory) -> None:
    assert run("delete backend", channel="D9", user="U9") == refusal("delete")
    assert run("<@UBOT> who backend").startswith("<@U1> is on duty")


def test_a_slackbot_reminder_of_a_guarded_command_is_refused(
    run: Run, directory: Directory
) -> None:
    assert run("Reminder: <@UBOT> delete backend.", user="USLACKBOT").startswith(
        "Sorry, you can't delete *backend*"
    )
    assert run("Reminder: <@UBOT> rotate backend.", user="USLACKBOT").startswith("*backend*: ")
