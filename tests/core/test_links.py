"""`list schedules`, `link`, `unlink`, linked rotations used by name, and the grouped help."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.commands import DOCS_URL, Group, help_text
from bot.core.dispatcher import Dispatcher
from bot.core.model import Member, Request
from bot.core.registry import COMMANDS
from bot.storage.db import migrate, open_database
from bot.storage.repository import PeeweeRepository
from tests.conftest import FakeClock, Run
from tests.core.test_places import FakeMembership

FRONT, BACK, SECRET = "C1", "C2", "C3"


@pytest.fixture
def membership(dispatcher: Dispatcher) -> FakeMembership:
    """U0ME is in #frontend and #backend, not in #secret; U0OUT only in #frontend."""
    fake = FakeMembership({"U0ME": {FRONT, BACK}, "U0OUT": {FRONT}, "U0SEC": {SECRET}})
    dispatcher.membership = fake
    return fake


@pytest.fixture
def rotations(run: Run, membership: FakeMembership) -> None:
    run("create web <@U1> <@U2> web duty", channel=FRONT)
    run("create backend <@U3> <@U4> backend duty", channel=BACK)
    run("create db <@U5> <@U6> db duty", channel=BACK)
    run("create vault <@U7> <@U8> secrets", channel=SECRET, user="U0SEC")


def test_link_then_use_the_rotation_by_name(run: Run, rotations: None) -> None:
    assert "There is no rotation *backend*" in run("who backend", channel=FRONT)
    assert run("link schedule back", channel=FRONT) == (
        "Linked <#C2> backend to this channel. Use it here by name, as in "
        "`@dienstplan who backend`."
    )
    assert run("who backend", channel=FRONT) == (
        "<@U3> is on duty for *backend*:\nbackend duty\nNext in line: @U4."
    )
    assert run("rotate backend", channel=FRONT) == ("*backend*: the duty passes from @U3 to <@U4>.")
    # the rotation itself moved: its own channel sees the same duty
    assert run("shout backend", channel=BACK) == "<@U4> is on duty for *backend*."
    assert run("link rotation BACKEND", channel=FRONT) == (
        "<#C2> backend is linked to this channel already."
    )


def test_anyone_in_the_linked_channel_may_use_it(run: Run, rotations: None) -> None:
    run("link schedule backend", channel=FRONT)
    assert run("who backend", channel=FRONT, user="U0OUT").startswith("<@U3> is on duty")
    # and with the rotation's channel written out, though U0OUT is not in #backend
    assert run("who <#C2|backend> backend", channel=FRONT, user="U0OUT").startswith(
        "<@U3> is on duty"
    )
    assert run("who <#C2|backend> db", channel=FRONT, user="U0OUT").startswith(
        "You are not a member of <#C2>"
    )


def test_only_a_member_of_the_rotations_channel_may_link_it(run: Run, rotations: None) -> None:
    assert run("link schedule vault", channel=FRONT) == (
        "No rotation in the channels you are a member of matches `vault`. "
        "`@dienstplan list all schedules` shows the rotations you could link."
    )
    assert run("link schedule <#C3|secret> vault", channel=FRONT) == (
        "You are not a member of <#C3>, so you can't link its rotations: only its members "
        "can. Join the channel first, or ask someone in it."
    )
    assert run("link schedule backend", channel=FRONT, user="U0OUT").startswith(
        "No rotation in the channels you are a member of matches `backend`."
    )
    assert "There is no rotation *vault*" in run("who vault", channel=FRONT)


def test_an_ambiguous_fragment_lists_the_candidates(run: Run, rotations: None) -> None:
    run("create dbx <@U1> x", channel=FRONT)
    run("create ui <@U1> x", channel=BACK)
    assert run("link schedule b", channel=FRONT) == (
        "`b` matches 2 rotations. Say which one with more of its name, or with its channel "
        "first, as in `@dienstplan link schedule #channel name`:\n"
        "• <#C2> backend\n• <#C2> db"
    )
    # an exact name wins over the names that contain it
    run("create back <@U1> x", channel=BACK)
    assert run("link schedule back", channel=FRONT).startswith("Linked <#C2> back to")
    # the channel's own rotations are not candidates
    assert run("link schedule dbx", channel=FRONT) == (
        "*dbx* is this channel's own rotation, so it is linked already."
    )
    assert run("link schedule <#C2|backend> u", channel=FRONT).startswith("Linked <#C2> ui")


def test_linking_from_a_dm_names_the_channels_own_rotation_as_a_link(
    run: Run, rotations: None
) -> None:
    """`<#C…>'s own` keeps the id's case (a lowered one is no link), and names the channel's
    own rotation as it was created."""
    run("create DB <@U9> local db", channel=FRONT)
    assert run(f"link <#{FRONT}> schedule <#C2> db", channel="D1") == (
        f"Linked <#C2> db to <#{FRONT}>. <#{FRONT}>'s own *DB* keeps that name; write the "
        "channel first for the linked one: <#C2> db."
    )
    assert "\nThat is this channel's own *DB*." in run("who db", channel=FRONT)


def test_a_local_name_wins_and_the_reply_says_how_to_reach_the_linked_one(
    run: Run, rotations: None
) -> None:
    run("create db <@U9> local db", channel=FRONT)
    assert run("link schedule <#C2> db", channel=FRONT) == (
        "Linked <#C2> db to this channel. This channel's own *db* keeps that name; write the "
        "channel first for the linked one: <#C2> db."
    )
    assert run("who db", channel=FRONT) == (
        "<@U9> is on duty for *db*:\nlocal db\n"
        "That is this channel's own *db*. A rotation of that name is also linked to this "
        "channel; to use it, write its channel first, as in `@dienstplan who #channel db`:\n"
        "• <#C2> db"
    )
    assert run("who <#C2> db", channel=FRONT) == (
        "<@U5> is on duty for *db*:\ndb duty\nNext in line: @U6."
    )
    # a failed command gets no note
    assert "That is" not in run("assign db <@U1>", channel=FRONT)
    # named with its channel from elsewhere, the channel's own is meant, and who cannot see
    # the channels linking to it learns nothing of them
    run("create db <@U7> secret db", channel=SECRET, user="U0SEC")
    assert run("link schedule <#C3> db", channel=BACK, user="U0SEC").startswith("Linked")
    assert run("who <#C2> db", channel=FRONT, user="U0OUT") == (
        "<@U5> is on duty for *db*:\ndb duty\nNext in line: @U6."
    )


def test_one_name_linked_from_two_channels_must_be_told_apart(
    run: Run, membership: FakeMembership
) -> None:
    membership.channels["U0ME"] = {FRONT, BACK, SECRET}
    run("create ops <@U1> backend ops", channel=BACK)
    run("create ops <@U2> secret ops", channel=SECRET)
    assert run("link schedule <#C2> ops", channel=FRONT).startswith("Linked")
    assert run("link schedule <#C3> ops", channel=FRONT).startswith("Linked")
    assert run("who ops", channel=FRONT) == (
        "*ops* is a rotation of 2 channels linked to this channel. Say which one by writing "
        "the channel first, as in `@dienstplan who #channel ops`:\n• <#C2> ops\n• <#C3> ops"
    )
    assert (
        run("unlink schedule <#C3> ops", channel=FRONT) == "Unlinked <#C3> ops from this channel."
    )
    assert run("who ops", channel=FRONT).startswith("<@U1> is on duty for *ops*")


def test_unlink(run: Run, rotations: None) -> None:
    run("link schedule backend", channel=FRONT)
    assert run("unlink schedule web", channel=FRONT) == (
        "*web* is this channel's own rotation, so it cannot be unlinked; "
        "`@dienstplan delete web` deletes it."
    )
    assert run("unlink schedule db", channel=FRONT) == (
        "No rotation linked to this channel matches `db`. `@dienstplan list schedules` shows "
        "the ones that are."
    )
    assert run("unlink rotation Back", channel=FRONT, user="U0OUT").startswith(
        "Sorry, you can't unlink *backend*: only its members, the person who created it"
    )
    assert run("unlink rotation Back", channel=FRONT) == "Unlinked <#C2> backend from this channel."
    assert "There is no rotation *backend*" in run("who backend", channel=FRONT)
    assert run("unlink schedule backend", channel=FRONT).startswith("No rotation linked")


def test_deleting_a_rotation_removes_its_links(
    run: Run, rotations: None, repo: PeeweeRepository
) -> None:
    run("link schedule backend", channel=FRONT)
    with repo.transaction():
        (backend,) = repo.find_linked(FRONT, "backend")
        assert repo.linked_channels(backend) == [BACK, FRONT]
    assert run("delete backend", channel=FRONT) == "Deleted rotation *backend*."
    with repo.transaction():
        assert repo.find_linked(FRONT, "backend") == []
        assert repo.linked_rotations(FRONT, 10) == ([], 0)
        assert repo._db.execute_sql("SELECT COUNT(*) FROM link").fetchone() == (0,)


def test_linked_channels_own_first_then_by_link_age(
    run: Run, rotations: None, repo: PeeweeRepository, clock: FakeClock
) -> None:
    run("link schedule db", channel=FRONT)
    clock.advance(minutes=1)
    run("link schedule db", channel="C9")  # the console-like default membership: C9 unknown
    with repo.transaction():
        db = repo.find(BACK, "db")
        assert db is not None
        assert repo.linked_channels(db)[:2] == [BACK, FRONT]
        web = repo.find(FRONT, "web")
        assert web is not None
        assert repo.linked_channels(web) == [FRONT]


def test_list_schedules_shows_own_and_linked_with_duty(run: Run, rotations: None) -> None:
    assert run("list schedules", channel=FRONT) == (
        "Rotations linked to this channel (1):\n• *web*: @U1 is on duty.\n    Next in line: @U2."
    )
    run("link schedule backend", channel=FRONT)
    run('schedule create <#C2> "rotate backend" 0 9 * * Mon', channel=FRONT)
    assert run("list rotations", channel=FRONT) == (
        "Rotations linked to this channel (2):\n• *web*: @U1 is on duty.\n"
        "    Next in line: @U2.\n"
        "• <#C2> backend: @U3 is on duty.\n"
        "    Next handoff: Mon 23 Nov 2026 09:00 CET, to @U4."
    )
    # plain `list` keeps its meaning
    assert run("list", channel=FRONT).startswith("Rotations in this channel (1), newest first:")
    assert run("list schedules", channel="C7") == (
        "No rotations are linked to this channel yet. Create one with `@dienstplan create "
        "<rotation name> <list of user mentions> <duties description>`, or link another "
        "channel's with `@dienstplan link schedule <name or part of it>`."
    )


def test_list_all_schedules_adds_what_the_user_could_link(run: Run, rotations: None) -> None:
    run("link schedule backend", channel=FRONT)
    reply = run("list all schedules", channel=FRONT)
    assert reply.startswith("Rotations linked to this channel (2):\n• *web*")
    assert reply.endswith(
        "\n\nOther rotations you could link (1):\n• <#C2> db\n"
        "`@dienstplan link schedule <name or part of it>` links one; a part of its name is "
        "enough."
    )
    assert "vault" not in reply  # #secret is not the user's
    assert run("list all", channel=FRONT) == reply
    run("link schedule db", channel=FRONT)
    assert run("list all rotations", channel=FRONT).endswith(
        "\n\nThere are no other rotations in the channels you are a member of to link."
    )


def test_list_schedules_in_a_dm_covers_the_users_channels(run: Run, rotations: None) -> None:
    reply = run("list schedules", channel="D0ME")
    assert reply.startswith("Rotations in your channels (3):")
    assert "• <#C2> backend: @U3 is on duty." in reply
    assert "vault" not in reply
    assert run("list", channel="D0ME").startswith("Rotations in your channels (3), newest first")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("link", "write `link schedule` (or `link rotation`), then part of the rotation's name."),
        ("link backend", "`backend` is not `schedule` or `rotation`: write `link schedule`"),
        ("unlink schedule", "the rotation name (or part of it) is missing."),
        ("link schedule !!!", "the rotation name is missing: `!!!` is only punctuation"),
        ("link schedule <@U1>", "`<@U1>` is not a rotation name"),
        ("list everything", "`everything` is not something `list` shows"),
        ("list all the things", "`all the things` is not something `list` shows"),
        ("list schedles", "Did you mean `list schedules`?"),
        ("list al schedules", "Did you mean `list all schedules`?"),
        (
            "link schedul backend",
            "`schedul` is not `schedule` or `rotation`. Did you mean `link schedule backend`?",
        ),
        ("unlink rotaton back", "Did you mean `unlink rotation back`?"),
    ],
)
def test_bad_input_gets_the_usage(run: Run, rotations: None, text: str, problem: str) -> None:
    reply = run(text, channel=FRONT)
    command = text.split()[0]
    assert reply.startswith(f"That `{command}` needs fixing: ")
    assert problem in reply
    assert COMMANDS[command].usage_line() in reply


def test_link_in_a_dm_needs_a_channel(run: Run, rotations: None) -> None:
    assert run("link schedule backend", channel="D0ME") == (
        "In a direct message, say which channel `link` is for: write the channel right after "
        "`link`, as in `@dienstplan link #channel schedule <name or part of it>`."
    )
    assert run("link <#C1> schedule backend", channel="D0ME") == (
        "Linked <#C2> backend to <#C1>. Use it there by name, as in `@dienstplan who backend`."
    )
    assert run("link <#C3> schedule backend", channel="D0ME").startswith(
        "You are not a member of <#C3>"
    )


def test_links_survive_a_new_database_connection(tmp_path: Path, clock: FakeClock) -> None:
    def say(text: str, channel: str) -> str:
        db = open_database(tmp_path / "d.db")
        migrate(db)
        repo = PeeweeRepository(db)
        utc = ZoneInfo("UTC")
        d = Dispatcher(
            repo=repo, schedules=repo, away=repo, notifications=repo, clock=clock, timezone=utc
        )
        try:
            return d.handle(Request(text, channel, "U0ME")).reply.render(Member.plain)
        finally:
            db.close_all()

    say("create backend <@U3> x", BACK)
    assert say("link schedule backend", FRONT).startswith("Linked")
    assert say("who backend", FRONT).startswith("<@U3> is on duty for *backend*")


def test_help_groups_every_command_and_links_the_docs(dispatcher: Dispatcher) -> None:
    text = help_text(COMMANDS)
    headings = [line for line in text.splitlines() if line.startswith("*") and line.endswith("*")]
    assert headings == [
        "*Rotations*",
        "*Schedules*",
        "*Availability and shifts*",
        "*Channels and notifications*",
        "*Swaps*",
        "*Help*",
    ]
    for command in COMMANDS.values():
        assert f"• {command.usage_line()} {command.summary}" in text
    assert COMMANDS["link"].group is Group.CHANNELS
    assert f"Documentation: {DOCS_URL}" in text
    assert "App Home" in text
    custom = Dispatcher(
        repo=dispatcher._repo,
        schedules=dispatcher._repo,
        away=dispatcher._repo,
        notifications=dispatcher._repo,
        clock=dispatcher._clock,
        timezone=ZoneInfo("UTC"),
        docs_url="https://wiki.example.com/oncall",
    )
    reply = custom.handle(Request("help", "C1", "U1")).reply.render(Member.plain)
    assert "Documentation: https://wiki.example.com/oncall\n" in reply
    assert "Documentation: https://wiki.example.com/oncall\n" in (
        custom.handle(Request("hlep", "C1", "U1")).reply.render(Member.plain)
    )


def test_a_linked_rotations_schedules_stay_in_its_own_channel(run: Run, rotations: None) -> None:
    run("link schedule backend", channel=FRONT)
    assert run('schedule create "rotate backend" 0 9 * * Mon', channel=FRONT) == (
        "Not scheduled: `rotate backend` fails now. *backend* is a rotation of <#C2>, linked "
        "to this channel. Its schedules belong in <#C2>: name that channel after `schedule "
        'create`, as in `@dienstplan schedule create #channel "rotate backend" 0 9 * * Mon`.'
    )
    assert run('schedule create <#C2> "rotate backend" 0 9 * * Mon', channel=FRONT).startswith(
        "Scheduled `rotate backend` in <#C2>."
    )
    assert run('schedule create "who   backend" 0 9 * * Mon', channel=FRONT).endswith(
        'as in `@dienstplan schedule create #channel "who backend" 0 9 * * Mon`.'
    )
    run("create backend <@U7> secret backend", channel=SECRET, user="U0SEC")
    run("link schedule <#C3> backend", channel=FRONT, user="U0SEC")
    assert run('schedule create "shout backend" 0 9 * * Mon', channel=FRONT) == (
        "Not scheduled: `shout backend` fails now. *backend* is a rotation of 2 channels "
        "linked to this channel. Its schedules belong in its own channel: name that channel "
        'after `schedule create`, as in `@dienstplan schedule create #channel "shout backend" '
        "0 9 * * Mon`:\n• <#C2> backend\n• <#C3> backend"
    )
