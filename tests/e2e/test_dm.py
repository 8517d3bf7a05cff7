"""Commands in the bot's DM, `#channel` names, ignored messages and the welcome, through the
real `dienstplan run` process against the emulator."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import BotProcess, Conversation
from tests.emulator import SlackEmulator, payloads

DM = "D0ALICE"


def dm_say(emu: SlackEmulator, text: str, user: str = "U0ALICE") -> str:
    """Write in the user's DM with the bot; the reply, once the envelope is acknowledged."""
    channel = emu.dm_channel_for(user)
    before = len(emu.posts(channel))
    envelope = emu.dm(text, user=user)
    posts = emu.wait_for_posts(before + 1, channel=channel)
    emu.wait_for_ack(envelope)
    return str(posts[before].params["text"])


def setup_channels(chat: Conversation, emu: SlackEmulator) -> None:
    """alice is in #backend (C0BACK) and #web (C0WEB), not in #secret (C0SECRET); `ops` is in
    #backend and #web, `db` only in #backend."""
    emu.add_members("C0BACK", "U0ALICE", "UBOT")
    emu.add_members("C0WEB", "U0ALICE", "UBOT")
    emu.add_members("C0SECRET", "U0BOB", "UBOT")
    chat.say("create ops <@U0ALICE> <@U0BOB> backend ops", channel="C0BACK")
    chat.say("create db <@U0CAROL> <@U0DAVE> databases", channel="C0BACK")
    chat.say("create ops <@U0ERIN> <@U0BOB> web ops", channel="C0WEB")
    chat.say("create vault <@U0BOB> <@U0DAVE> secrets", channel="C0SECRET", user="U0BOB")


def test_a_dm_reaches_the_rotations_of_the_users_channels(
    chat: Conversation, emu: SlackEmulator
) -> None:
    setup_channels(chat, emu)
    assert dm_say(emu, "who db") == (
        "<@U0CAROL> is on duty for *db*:\ndatabases\nNext in line: dave."
    )
    assert dm_say(emu, "rotate db") == "*db*: the duty passes from carol to <@U0DAVE>."
    assert dm_say(emu, "who ops") == (
        "*ops* is a rotation in 2 of your channels. Say which one by writing the channel "
        "first, as in `@dienstplan who #channel ops`:\n• <#C0BACK> ops\n• <#C0WEB> ops"
    )
    assert dm_say(emu, "who <#C0WEB|web> ops") == (
        "<@U0ERIN> is on duty for *ops*:\nweb ops\nNext in line: bob."
    )
    assert dm_say(emu, "assign <#C0BACK|backend> ops <@U0BOB>").startswith(
        "*ops*: <@U0BOB> is on duty now"
    )
    assert dm_say(emu, "who vault").startswith(
        "There is no rotation *vault* in the channels you are a member of."
    )
    assert dm_say(emu, "who <#C0SECRET|> vault") == (
        "You are not a member of <#C0SECRET>, so you can't use its rotations from here. Join "
        "the channel first, or ask someone in it."
    )
    assert dm_say(emu, "list").startswith("Rotations in your channels (3), newest first:\n")
    # one users.conversations answer served all of these
    assert len(emu.calls_to("users.conversations")) == 1


def test_channel_names_in_a_channel(chat: Conversation, emu: SlackEmulator) -> None:
    setup_channels(chat, emu)
    assert chat.say("who <#C0WEB|web> ops", channel="C0BACK") == (
        "<@U0ERIN> is on duty for *ops*:\nweb ops\nNext in line: bob."
    )
    assert chat.say("who <#C0BACK|backend> ops", channel="C0BACK") == (
        "<@U0ALICE> is on duty for *ops*:\nbackend ops\nNext in line: bob."
    )
    assert chat.say("who <#C0SECRET|secret> vault", channel="C0BACK").startswith(
        "You are not a member of <#C0SECRET>"
    )
    assert chat.say("create <#C0SECRET> new <@U0ALICE> duty", channel="C0BACK").startswith(
        "You are not a member of <#C0SECRET>"
    )
    assert chat.say("create <#C0WEB|web> new <@U0ALICE> duty", channel="C0BACK") == (
        "Created rotation *new* in <#C0WEB> with 1 member: alice. <@U0ALICE> is on duty now."
    )


def test_create_in_a_dm_needs_a_channel(chat: Conversation, emu: SlackEmulator) -> None:
    emu.add_members("C0BACK", "U0ALICE", "UBOT")
    assert dm_say(emu, "create ops <@U0ALICE> <@U0BOB> duty").startswith(
        "In a direct message, say which channel `create` is for"
    )
    assert dm_say(emu, "create <#C0BACK|backend> ops <@U0ALICE> <@U0BOB> duty") == (
        "Created rotation *ops* in <#C0BACK> with 2 members: alice, bob. <@U0ALICE> is on duty now."
    )
    assert dm_say(emu, 'schedule create "rotate ops" 0 9 * * Mon').startswith(
        "In a direct message, say which channel `schedule create` is for"
    )
    assert dm_say(emu, 'schedule create <#C0BACK|backend> "rotate ops" 0 9 * * Mon').startswith(
        "Scheduled `rotate ops` in <#C0BACK>."
    )
    assert chat.say("schedule list", channel="C0BACK").startswith("Schedules in this channel (1)")


def test_ignored_messages_are_acknowledged_without_a_reply(
    chat: Conversation, emu: SlackEmulator
) -> None:
    mine = payloads.im_message_event(
        "who ops", user="U0ALICE", channel=DM, ts=emu.next_ts(), team_id=emu.team_id
    )
    ignored = [
        # the bot's own reply in the DM (Slack echoes it to message.im)
        payloads.bot_message_event("hi", bot_id=emu.bot_id, user="UBOT", channel=DM, ts="1.1"),
        # another app's message, and a legacy integration's bot_message
        payloads.bot_message_event("list", bot_id="B0OTHER", user="U0OTHER", channel=DM, ts="1.2"),
        payloads.bot_message_event("list", bot_id="B0HOOK", channel=DM, ts="1.3"),
        payloads.message_changed_event(mine, "list", ts=emu.next_ts()),
        payloads.message_deleted_event(mine, ts=emu.next_ts()),
        payloads.channel_join_message_event(user="U0ALICE", channel="C0CHAN", ts="1.4"),
        payloads.channel_join_message_event(
            user="U0ALICE", channel="C0CHAN", ts="1.5", subtype="channel_leave"
        ),
        # Slackbot's other notices are not reminders
        {
            **payloads.slackbot_reminder_event("x", channel=DM, ts="1.6", team_id=emu.team_id),
            "text": "You have been removed from #old.",
        },
        # someone else joining a channel
        payloads.member_joined_channel_event(
            user="U0BOB", channel="C0CHAN", team_id=emu.team_id, event_ts="1.7"
        ),
    ]
    for event in ignored:
        emu.wait_for_ack(emu.send_event(event))
    # commands are answered in commit order per channel: nothing was queued before this one
    assert dm_say(emu, "help").startswith("*dienstplan* keeps on-call rotations")
    assert len(emu.posts(DM)) == 1
    assert emu.posts("C0CHAN") == []


def test_a_slackbot_reminder_runs_a_command(chat: Conversation, emu: SlackEmulator) -> None:
    chat.say("create ops <@U0ALICE> <@U0BOB> duty")
    # `/remind #chan "@dienstplan rotate ops" every Monday at 9am`, going off
    before = len(emu.posts("C0CHAN"))
    envelope = emu.mention("Reminder: <@UBOT|dienstplan> rotate ops.", user="USLACKBOT")
    assert chat.reply_to(envelope, before, channel="C0CHAN").params["text"] == (
        "*ops*: the duty passes from alice to <@U0BOB>."
    )
    event = payloads.slackbot_reminder_event("help", channel=DM, ts=emu.next_ts(), team_id="T")
    emu.wait_for_ack(emu.send_event(event))
    post = emu.wait_for_posts(1, channel=DM)[0]
    assert post.params["text"].startswith("*dienstplan* keeps on-call rotations")


def test_welcome_once_also_across_a_restart(
    emu: SlackEmulator, bot: BotProcess, chat: Conversation, tmp_path: Path
) -> None:
    emu.wait_for_ack(emu.member_joined("C0NEW", "UBOT"))
    (welcome,) = emu.wait_for_posts(1, channel="C0NEW")
    assert welcome.params["text"].startswith("Hello! I'm *dienstplan*.")
    assert "`@dienstplan help` lists every command" in welcome.params["text"]
    emu.wait_for_ack(emu.member_joined("C0NEW", "UBOT"))  # removed and invited again
    emu.wait_for_ack(emu.member_joined("C0NEW", "U0ALICE"))
    assert chat.say("list", channel="C0NEW").startswith("There are no rotations")
    assert len(emu.posts("C0NEW")) == 2
    bot.stop()
    BotProcess(emu, tmp_path).start()
    emu.wait_for_ack(emu.member_joined("C0NEW", "UBOT"))
    assert chat.say("list", channel="C0NEW").startswith("There are no rotations")
    assert len(emu.posts("C0NEW")) == 3
