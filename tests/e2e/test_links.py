"""Linking rotations to channels and the grouped help, through the real `dienstplan run`
process against the emulator."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import BotProcess, Conversation
from tests.emulator import SlackEmulator

FRONT, BACK, SECRET = "C0FRONT", "C0BACK", "C0SECRET"


def setup_channels(chat: Conversation, emu: SlackEmulator) -> None:
    """alice is in #frontend and #backend; bob only in #frontend; carol only in #secret."""
    emu.add_members(FRONT, "U0ALICE", "U0BOB", "UBOT")
    emu.add_members(BACK, "U0ALICE", "UBOT")
    emu.add_members(SECRET, "U0CAROL", "UBOT")
    chat.say("create web <@U0ALICE> <@U0BOB> web duty", channel=FRONT)
    chat.say("create backend <@U0CAROL> <@U0DAVE> backend duty", channel=BACK)
    chat.say("create db <@U0DAVE> <@U0ERIN> databases", channel=BACK)
    chat.say("create vault <@U0CAROL> secrets", channel=SECRET, user="U0CAROL")


def test_link_use_by_name_and_unlink(chat: Conversation, emu: SlackEmulator) -> None:
    setup_channels(chat, emu)
    assert chat.say("list all schedules", channel=FRONT) == (
        "Rotations linked to this channel (1):\n• *web*: alice is on duty.\n"
        "    Next in line: bob.\n\n"
        "Other rotations you could link (2):\n• <#C0BACK> backend\n• <#C0BACK> db\n"
        "`@dienstplan link schedule &lt;name or part of it&gt;` links one; a part of its name "
        "is enough."
    )
    assert chat.say("link schedule back", channel=FRONT) == (
        "Linked <#C0BACK> backend to this channel. Use it here by name, as in "
        "`@dienstplan who backend`."
    )
    # bob is not in #backend, but #backend's rotation is linked to his channel
    assert chat.say("who backend", channel=FRONT, user="U0BOB") == (
        "<@U0CAROL> is on duty for *backend*:\nbackend duty\nNext in line: dave."
    )
    assert chat.say("rotate backend", channel=FRONT, user="U0BOB") == (
        "*backend*: the duty passes from carol to <@U0DAVE>."
    )
    assert chat.say("list schedules", channel=FRONT) == (
        "Rotations linked to this channel (2):\n• *web*: alice is on duty.\n"
        "    Next in line: bob.\n"
        "• <#C0BACK> backend: dave is on duty.\n    Next in line: carol."
    )
    assert chat.say("unlink schedule backend", channel=FRONT) == (
        "Unlinked <#C0BACK> backend from this channel."
    )
    assert chat.say("who backend", channel=FRONT, user="U0BOB").startswith(
        "There is no rotation *backend* in this channel."
    )


def test_ambiguity_permissions_and_the_local_name(chat: Conversation, emu: SlackEmulator) -> None:
    setup_channels(chat, emu)
    chat.say("create dbx <@U0DAVE> more databases", channel=BACK)
    assert chat.say("link schedule B", channel=FRONT) == (
        "`B` matches 3 rotations. Say which one with more of its name, or with its channel "
        "first, as in `@dienstplan link schedule #channel name`:\n"
        "• <#C0BACK> backend\n• <#C0BACK> db\n• <#C0BACK> dbx"
    )
    assert chat.say("link schedule vault", channel=FRONT).startswith(
        "No rotation in the channels you are a member of matches `vault`."
    )
    assert chat.say("link schedule <#C0SECRET|secret> vault", channel=FRONT) == (
        "You are not a member of <#C0SECRET>, so you can't link its rotations: only its "
        "members can. Join the channel first, or ask someone in it."
    )
    assert chat.say("link schedule backend", channel=FRONT, user="U0BOB").startswith(
        "No rotation in the channels you are a member of matches `backend`."
    )
    chat.say("create db <@U0BOB> front db", channel=FRONT)
    assert chat.say("link schedule <#C0BACK|backend> db", channel=FRONT).startswith(
        "Linked <#C0BACK> db to this channel."
    )
    assert chat.say("who db", channel=FRONT) == (
        "<@U0BOB> is on duty for *db*:\nfront db\n"
        "That is this channel's own *db*. A rotation of that name is also linked to this "
        "channel; to use it, write its channel first, as in `@dienstplan who #channel db`:\n"
        "• <#C0BACK> db"
    )
    assert chat.say("who <#C0BACK|backend> db", channel=FRONT, user="U0BOB") == (
        "<@U0DAVE> is on duty for *db*:\ndatabases\nNext in line: erin."
    )
    assert chat.say("link schedule db", channel="D0ALICE").startswith(
        "In a direct message, say which channel `link` is for"
    )


def test_links_survive_a_restart_and_go_with_their_rotation(
    emu: SlackEmulator, bot: BotProcess, chat: Conversation, tmp_path: Path
) -> None:
    setup_channels(chat, emu)
    assert chat.say("link rotation db", channel=FRONT).startswith("Linked <#C0BACK> db")
    bot.stop()
    BotProcess(emu, tmp_path).start()
    assert chat.say("who db", channel=FRONT, user="U0BOB").startswith(
        "<@U0DAVE> is on duty for *db*"
    )
    assert chat.say("delete db", channel=BACK) == "Deleted rotation *db*."
    assert chat.say("list schedules", channel=FRONT) == (
        "Rotations linked to this channel (1):\n• *web*: alice is on duty.\n    Next in line: bob."
    )


def test_help_is_grouped_and_links_the_configured_docs(emu: SlackEmulator, tmp_path: Path) -> None:
    BotProcess(emu, tmp_path, DIENSTPLAN_DOCS_URL="https://wiki.example.com/oncall").start()
    text = Conversation(emu).say("help")
    assert text.startswith("*dienstplan* keeps on-call rotations")
    for heading in ("*Rotations*", "*Schedules*", "*Availability and shifts*"):
        assert f"\n{heading}\n" in text
    assert "\n*Channels and notifications*\n• `@dienstplan link schedule" in text
    assert "Documentation: https://wiki.example.com/oncall\n" in text
    assert "App Home" in text
