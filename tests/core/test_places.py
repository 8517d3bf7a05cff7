"""`#channel` names, commands in the bot's DM, and how far a command typed in one place reaches."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.core.dispatcher import Dispatcher
from bot.core.errors import MembershipUnknown
from bot.core.model import Member, Request
from bot.storage.repository import PeeweeRepository
from tests.conftest import FakeClock, Run

DM = "D0ME"


class FakeMembership:
    """Channels by user; a user it does not know is in no channel."""

    def __init__(self, channels: dict[str, set[str]]) -> None:
        self.channels = channels
        self.asked: list[str] = []
        self.down = False

    def channels_of(self, user: str) -> frozenset[str]:
        self.asked.append(user)
        if self.down:
            raise MembershipUnknown()
        return frozenset(self.channels.get(user, set()))


@pytest.fixture
def membership(dispatcher: Dispatcher) -> FakeMembership:
    fake = FakeMembership({"U0ME": {"C1", "C2"}})
    dispatcher.membership = fake
    return fake


@pytest.fixture
def dm(run: Run, membership: FakeMembership) -> Callable[[str], str]:
    return lambda text: run(text, channel=DM)


@pytest.fixture
def rotations(run: Run) -> None:
    """ops in C1 and C2, backend only in C1, db only in C3 (where U0ME is not a member)."""
    run("create ops <@U1> <@U2> ops duty", channel="C1")
    run("create backend <@U3> <@U4> backend duty", channel="C1")
    run("create ops <@U5> <@U6> other ops duty", channel="C2")
    run("create db <@U7> <@U8> db duty", channel="C3")


def test_a_channel_name_comes_first_in_every_label_form(
    run: Run, membership: FakeMembership, rotations: None
) -> None:
    assert run("who <#C1|general> backend") == (
        "<@U3> is on duty for *backend*:\nbackend duty\nNext in line: @U4."
    )
    assert run("who <#C1> backend") == (
        "<@U3> is on duty for *backend*:\nbackend duty\nNext in line: @U4."
    )
    assert run("who <#C1|> backend") == (
        "<@U3> is on duty for *backend*:\nbackend duty\nNext in line: @U4."
    )
    assert membership.asked == []  # the channel it was typed in needs no check


def test_a_channel_reaches_another_channel_its_user_is_in(
    run: Run, membership: FakeMembership, rotations: None
) -> None:
    assert (
        run("rotate <#C2|other> ops", channel="C1") == "*ops*: the duty passes from @U5 to <@U6>."
    )
    assert run("assign <#C2|other> ops <@U5>", channel="C1").startswith("*ops*: <@U5> is on duty")
    assert run("about <#C2> ops").startswith("*ops*, created")
    assert run("who <#C2> nope") == (
        "There is no rotation *nope* in <#C2>. `@dienstplan list <#C2>` shows <#C2>'s rotations."
    )
    assert run("list <#C2>").startswith("Rotations in <#C2> (1), newest first:\n• *ops*")


def test_a_channel_the_user_is_not_in_is_refused(
    run: Run, membership: FakeMembership, rotations: None
) -> None:
    refusal = (
        "You are not a member of <#C3>, so you can't use its rotations from here. Join the "
        "channel first, or ask someone in it."
    )
    assert run("who <#C3|secret> db") == refusal
    assert run("delete <#C3> db") == refusal
    assert run("create <#C3> new <@U1> duty") == refusal
    assert run("who db", channel="C3", user="U7").startswith("<@U7> is on duty")


def test_create_in_another_channel_of_the_user(run: Run, membership: FakeMembership) -> None:
    assert run("create <#C2|other> web <@U1> <@U2> duty", channel="C1") == (
        "Created rotation *web* in <#C2> with 2 members: @U1, @U2. <@U1> is on duty now."
    )
    assert run("list", channel="C2").startswith("Rotations in this channel (1)")
    assert run("create <#C2> web <@U1> duty", channel="C1").startswith(
        "A rotation named *web* already exists in <#C2>."
    )


def test_a_dm_acts_on_the_one_rotation_of_that_name(
    dm: Callable[[str], str], rotations: None
) -> None:
    assert dm("who backend") == "<@U3> is on duty for *backend*:\nbackend duty\nNext in line: @U4."
    assert dm("rotate backend.") == "*backend*: the duty passes from @U3 to <@U4>."
    assert dm("update backend <@U4> <@U9> new duty").startswith("Updated rotation *backend*")


def test_a_dm_lists_the_candidates_of_an_ambiguous_name(
    dm: Callable[[str], str], rotations: None
) -> None:
    assert dm("who ops") == (
        "*ops* is a rotation in 2 of your channels. Say which one by writing the channel "
        "first, as in `@dienstplan who #channel ops`:\n• <#C1> ops\n• <#C2> ops"
    )
    assert dm("who <#C2|other> ops") == (
        "<@U5> is on duty for *ops*:\nother ops duty\nNext in line: @U6."
    )


def test_a_dm_finds_no_rotation_outside_the_users_channels(
    dm: Callable[[str], str], rotations: None
) -> None:
    expected = (
        "There is no rotation *db* in the channels you are a member of. To name a channel's "
        "rotation, write the channel first: `@dienstplan rotate #channel db`. `@dienstplan "
        "list` shows the rotations of your channels."
    )
    assert dm("rotate db") == expected
    assert dm("rotate <#C3> db").startswith("You are not a member of <#C3>")


def test_a_dm_typo_is_matched_against_the_users_channels(
    dm: Callable[[str], str], run: Run, rotations: None
) -> None:
    """The suggested command has the name corrected, and each channel that has it; the db
    rotation of #C3, a channel the user is not in, is never suggested."""
    assert dm("who backnd") == (
        "There is no rotation *backnd* in the channels you are a member of. Did you mean "
        "*backend* (<#C1>)? To name a channel's rotation, write the channel first: "
        "`@dienstplan who #channel backend`. `@dienstplan list` shows the rotations of your "
        "channels."
    )
    assert "Did you mean *ops* (<#C1>, <#C2>)?" in dm("who opz")
    assert "Did you mean" not in dm("who dbb")


def test_a_channel_typed_as_plain_text_is_explained(
    dm: Callable[[str], str], run: Run, rotations: None
) -> None:
    """`#ops` not picked from Slack's list arrives as text, not as `<#C…|ops>`."""
    note = (
        "`#c1` is plain text, not a channel: pick the channel from the list Slack opens as you "
        "type `#`, so that it becomes a link."
    )
    assert dm("who #c1 backend") == (
        f"There is no rotation *#c1 backend* in the channels you are a member of. {note} "
        "Did you mean *backend* (<#C1>)? To name a channel's rotation, write the channel "
        "first: `@dienstplan who #channel backend`. `@dienstplan list` shows the rotations of "
        "your channels."
    )
    assert f"{note} To name" in dm("who #c1")
    assert "`@dienstplan who #channel <rotation name>`" in dm("who #c1")
    assert run("who #c1 backend") == (
        f"There is no rotation *#c1 backend* in this channel. {note} Did you mean *backend*? "
        "`@dienstplan list` shows this channel's rotations."
    )


def test_list_in_a_dm_shows_every_channel_of_the_user(
    dm: Callable[[str], str], rotations: None
) -> None:
    assert dm("list") == (
        "Rotations in your channels (3), newest first:\n"
        "• <#C2> ops (created 2026-11-22)\n"
        "• <#C1> backend (created 2026-11-22)\n"
        "• <#C1> ops (created 2026-11-22)"
    )


def test_list_in_a_dm_of_someone_in_no_channel(run: Run, membership: FakeMembership) -> None:
    assert run("list", channel="D0NEW", user="U0NEW").startswith(
        "There are no rotations in the channels you are a member of. Create one with "
        "`@dienstplan create #channel <rotation name>"
    )


def test_create_in_a_dm_needs_a_channel(dm: Callable[[str], str]) -> None:
    assert dm("create ops <@U1> duty") == (
        "In a direct message, say which channel `create` is for: write the channel right after "
        "`create`, as in `@dienstplan create #channel <rotation name> <list of user mentions> "
        "<duties description>`."
    )
    assert dm("create <#C1|general> ops <@U1> <@U2> duty") == (
        "Created rotation *ops* in <#C1> with 2 members: @U1, @U2. <@U1> is on duty now."
    )
    assert dm("who ops") == "<@U1> is on duty for *ops*:\nduty\nNext in line: @U2."


def test_schedule_create_in_a_dm_needs_a_channel(
    dm: Callable[[str], str], run: Run, rotations: None
) -> None:
    assert dm('schedule create "rotate backend" 0 9 * * Mon') == (
        "In a direct message, say which channel `schedule create` is for: write the channel "
        'right after `schedule create`, as in `@dienstplan schedule create #channel "<command>" '
        "<crontab>`."
    )
    assert dm('schedule create <#C1|general> "rotate backend" 0 9 * * Mon').startswith(
        "Scheduled `rotate backend` in <#C1>. Crontab `0 9 * * Mon`"
    )
    assert run("schedule list", channel="C1").startswith("Schedules in this channel (1):")
    assert dm("schedule list <#C1>").startswith("Schedules in <#C1> (1):")
    assert dm("schedule explain 0 9 * * *").startswith("Crontab `0 9 * * *` means")


def test_a_schedule_runs_in_its_own_channel(run: Run, membership: FakeMembership) -> None:
    run("create ops <@U1> <@U2> duty", channel="C1")
    assert run('schedule create "rotate <#C1|general> ops" 0 9 * * *', channel="C1").startswith(
        "Scheduled `rotate ops` in this channel."
    )
    assert run('schedule create "who <#C2> ops" 0 9 * * *', channel="C1").startswith(
        "That `schedule` needs fixing: a schedule runs its command in the schedule's channel, "
        "so the command cannot name <#C2>."
    )


def test_a_dm_cannot_reach_rotations_when_slack_cannot_say(
    dm: Callable[[str], str], membership: FakeMembership, rotations: None
) -> None:
    membership.down = True
    assert dm("who backend") == (
        "I could not ask Slack which channels you are a member of, so I can't tell which "
        "rotations you may use from here. Try again in a minute."
    )


def test_rotations_made_in_the_dm_itself_stay_reachable(
    run: Run, dm: Callable[[str], str], repo: PeeweeRepository, clock: FakeClock
) -> None:
    """Before DMs named channels, `create` in a DM made a rotation of the DM."""
    with repo.transaction():
        repo.create(
            channel=DM,
            name="mine",
            description="duty",
            members=[Member("U1"), Member("U2")],
            created_by="U0ME",
            now=clock(),
        )
    run("create ops <@U1> <@U2> ops duty", channel="C1")
    assert dm("who mine") == "<@U1> is on duty for *mine*:\nduty\nNext in line: @U2."


def test_help_in_a_dm_needs_no_channel(dm: Callable[[str], str]) -> None:
    assert dm("help").startswith("*dienstplan* keeps on-call rotations")


def test_a_slackbot_reminder_runs_its_command(
    run: Run, dispatcher: Dispatcher, membership: FakeMembership
) -> None:
    run("create ops <@U1> <@U2> duty. With a full stop.")
    reminder = "Reminder: <@UBOT> rotate ops."
    assert run(reminder, user="USLACKBOT") == "*ops*: the duty passes from @U1 to <@U2>."
    assert run("Reminder: who ops.", channel="D0X", user="USLACKBOT").startswith(
        "There is no rotation *ops* in the channels"
    )
    request = Request("Reminder: rotate ops!", channel="C1", user="USLACKBOT", bot_user_id="UBOT")
    assert dispatcher.handle(request).reply.render(Member.plain) == (
        "*ops*: the duty passes from @U2 to <@U1>."
    )
    assert run("Reminder: rotate ops.", user="U0ME").startswith("I don't know the command")


@pytest.mark.parametrize("command", ["away today", "back", "shifts", "swaps", "home"])
def test_a_command_about_you_refuses_a_channel_rather_than_ignoring_it(
    dm: Callable[[str], str], run: Run, command: str
) -> None:
    name, _, rest = command.partition(" ")
    expected = (
        f"That `{name}` needs fixing: `{name}` covers all your rotations, in every channel, so "
        "it takes no channel: leave out <#C1>."
    )
    assert dm(f"{name} <#C1|ops> {rest}".strip()).startswith(expected)
    assert run(f"{name} <#C1> {rest}".strip()).startswith(expected)


def test_list_takes_the_channel_last_too(dm: Callable[[str], str], rotations: None) -> None:
    first = dm("list <#C2|ops> schedules")
    assert first.startswith("Rotations linked to <#C2> (1):")
    assert dm("list schedules <#C2|ops>") == first
    assert dm("list All Schedules <#C2>").startswith("Rotations linked to <#C2> (1):")
    assert dm("list <#C2>").startswith("Rotations in <#C2> (1), newest first:")
    assert "`schedules <#C2> extra` is not something `list` shows" in dm(
        "list schedules <#C2> extra"
    )


def test_words_quoted_back_keep_their_case(run: Run) -> None:
    assert run("help <#C1|Ops>").startswith("There is no command `<#C1|Ops>`.")
    assert run("help Creat").startswith("There is no command `Creat`. Did you mean `create`?")
    assert "`Lsit` is not one of create, delete, list, explain." in run("schedule Lsit")
    assert "`Schedles` is not something `list` shows" in run("list Schedles")
    assert run("schedule <#C1|ops> list").startswith(
        "That `schedule` needs fixing: the channel goes after the subcommand, as in "
        "`@dienstplan schedule list <#C1>`."
    )
    assert '`@dienstplan schedule create <#C1> "who x" 0 9 * * *`.' in run(
        'schedule <#C1> create "who x" 0 9 * * *'
    )
    assert run("schedule #ops list").startswith(
        "That `schedule` needs fixing: the channel goes after the subcommand, as in "
        "`@dienstplan schedule list #ops`, with the channel picked from the list Slack opens "
        "as you type `#`."
    )
    assert "takes no channel: `@dienstplan schedule explain 0 9 * * *`." in run(
        "schedule <#C1> explain 0 9 * * *"
    )
    assert "not `#ops` (plain text, not a channel" in run("schedule list #ops")
    assert run("Rotat x").startswith("I don't know the command `Rotat`.")
    assert "`Rotat` is not a command I know." in run('schedule create "Rotat x" 0 9 * * *')
    assert "`sheduel` is not a command I know.\n" in run('schedule create "sheduel list" 0 9 * * *')


def test_a_name_that_starts_with_a_hash_gets_no_plain_channel_note(
    dm: Callable[[str], str], run: Run
) -> None:
    run('create "#1 support" <@U1> <@U2> first line', channel="C1")
    reply = run("who #1 suport")
    assert "Did you mean *#1 support*?" in reply and "plain text" not in reply
    assert "plain text" not in dm("who #1 suport")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("away today <#C1|ops>", "<#C1>"),
        ("away #ops", "#ops"),
        ("shifts <@U2> #ops", "#ops"),
        ("swaps <#C2>", "<#C2>"),
    ],
)
def test_a_channel_anywhere_in_a_command_about_you_is_refused(
    run: Run, text: str, shown: str
) -> None:
    name = text.split()[0]
    assert run(text).startswith(
        f"That `{name}` needs fixing: `{name}` covers all your rotations, in every channel, so "
        f"it takes no channel: leave out {shown}."
    )


def test_linking_two_matches_from_a_dm_names_the_target_channel(
    dm: Callable[[str], str], run: Run, rotations: None
) -> None:
    """`op` matches C1's ops and ops2; from the DM, linking into C2 names C2 in the example."""
    run("create ops2 <@U1> <@U2> more ops", channel="C1")
    assert "`@dienstplan link <#C2> schedule #channel name`" in dm("link <#C2> schedule op")
    assert dm("link #c1 schedule ops").startswith(
        "That `link` needs fixing: `#c1` is plain text, not a channel: pick the channel from "
        "the list Slack opens as you type `#`. Then write `link schedule`"
    )
