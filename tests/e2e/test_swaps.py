"""Shift swaps through the real `dienstplan run` process: the request's DM with Accept and
Decline buttons, real `block_actions` payloads, and every click that must change nothing."""

from __future__ import annotations

from typing import Any

from tests.e2e.harness import BotProcess, Conversation
from tests.e2e.test_home import text_of, wait_for_publish
from tests.emulator import SlackEmulator
from tests.emulator.server import ApiCall

CREATE = "create ops <@U0ALICE> <@U0BOB> <@U0CAROL> Watch alerts"

NO_SUCH = (
    "There is no swap request #{} for you. `@dienstplan swaps` lists yours (deleting a "
    "rotation deletes its requests)."
)


def request_dm(emu: SlackEmulator, user: str, count: int = 1) -> ApiCall:
    """The newest swap request posted to the user's DM."""
    return emu.wait_for_posts(count, channel=emu.dm_channel_for(user))[count - 1]


def buttons(post: ApiCall) -> dict[str, str]:
    """action_id -> value of the message's buttons."""
    found: dict[str, str] = {}
    for block in post.params.get("blocks") or []:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            found[element["action_id"]] = element["value"]
    return found


def block_types(message: dict[str, Any]) -> list[str]:
    return [block["type"] for block in message.get("blocks") or []]


def click(emu: SlackEmulator, post: ApiCall, action: str, user: str, value: str) -> None:
    channel, ts = post.response["channel"], post.response["ts"]
    envelope = emu.block_action(action, value, user=user, channel=channel, message_ts=ts)
    emu.wait_for_ack(envelope)


def shown(emu: SlackEmulator, post: ApiCall) -> dict[str, Any]:
    message = emu.message(post.response["channel"], post.response["ts"])
    assert message is not None
    return message


def channel_news(emu: SlackEmulator, before: int, count: int) -> list[str]:
    """The notifications the rotation's channel got since `before` posts (it has `count`)."""
    posts = emu.wait_for_posts(before + count, channel="C0CHAN")
    return [p.params["text"] for p in posts[before:]]


def wait_for_text(emu: SlackEmulator, post: ApiCall, text: str) -> dict[str, Any]:
    emu.wait_for_call("chat.update", lambda c: text in str(c.params.get("text")))
    return shown(emu, post)


def test_accept_by_button_moves_the_duty_and_removes_the_buttons(
    chat: Conversation, emu: SlackEmulator
) -> None:
    chat.say(CREATE)
    assert chat.say("swap ops <@U0BOB>").startswith(
        "Asked <@U0BOB> to take your shift on *ops* held now (request #1)."
    )
    request = request_dm(emu, "U0BOB")
    assert "alice asks you to take their shift on *ops* held now" in request.params["text"]
    assert buttons(request) == {"swap_accept": "1", "swap_decline": "1"}
    # someone else's click (a forged payload: only bob sees his DM) changes nothing
    click(emu, request, "swap_accept", "U0CAROL", "1")
    carol = emu.wait_for_posts(1, channel=emu.dm_channel_for("U0CAROL"))[0]
    assert carol.params["text"] == NO_SUCH.format(1)
    assert "actions" in block_types(shown(emu, request))  # bob's buttons are still there
    before = len(emu.posts("C0CHAN"))
    click(emu, request, "swap_accept", "U0BOB", "1")
    message = wait_for_text(emu, request, "You accepted request #1")
    assert "actions" not in block_types(message)
    assert channel_news(emu, before, 2) == [
        "bob takes alice's shift on *ops* held now (request #1 accepted).",
        "*ops*: bob is on call now instead of alice (`swap` by bob).",
    ]
    told = emu.wait_for_posts(1, channel=emu.dm_channel_for("U0ALICE"))
    assert any("<@U0BOB> accepted your request" in p.params["text"] for p in told)
    assert chat.say("who ops").startswith("<@U0BOB> is on duty for *ops*")
    # a second click on a stale button: answered to the clicker, nothing changes
    before = len(emu.posts(emu.dm_channel_for("U0BOB")))
    click(emu, request, "swap_decline", "U0BOB", "1")
    again = emu.wait_for_posts(before + 1, channel=emu.dm_channel_for("U0BOB"))[before]
    assert again.params["text"] == "Request #1 is no longer valid: it was accepted."
    assert chat.say("who ops").startswith("<@U0BOB> is on duty for *ops*")


def test_decline_by_button_and_a_forged_value(chat: Conversation, emu: SlackEmulator) -> None:
    chat.say(CREATE)
    chat.say("swap ops <@U0CAROL>")
    request = request_dm(emu, "U0CAROL")
    before = len(emu.posts(emu.dm_channel_for("U0CAROL")))
    click(emu, request, "swap_accept", "U0CAROL", "1; drop table swap")
    forged = emu.wait_for_posts(before + 1, channel=emu.dm_channel_for("U0CAROL"))[before]
    assert "`swap accept` takes the request's number" in forged.params["text"]
    before = len(emu.posts("C0CHAN"))
    click(emu, request, "swap_decline", "U0CAROL", "1")
    wait_for_text(emu, request, "You declined request #1")
    assert channel_news(emu, before, 1) == [
        "carol declined to take alice's shift on *ops* held now (request #1)."
    ]
    told = emu.wait_for_posts(1, channel=emu.dm_channel_for("U0ALICE"))
    assert any("carol declined to take your shift" in p.params["text"] for p in told)
    assert chat.say("who ops").startswith("<@U0ALICE> is on duty for *ops*")


def test_a_request_made_stale_by_update_says_so_in_place(
    chat: Conversation, emu: SlackEmulator
) -> None:
    chat.say(CREATE)
    chat.say("swap ops <@U0BOB>")
    request = request_dm(emu, "U0BOB")
    chat.say("update ops <@U0ALICE> <@U0BOB> Watch alerts")
    click(emu, request, "swap_accept", "U0BOB", "1")
    message = wait_for_text(emu, request, "Request #1 is no longer valid")
    assert "it lapsed. Nothing changed." in message["text"]  # the update ended it at once
    assert chat.say("who ops").startswith("<@U0ALICE> is on duty for *ops*")


def test_a_redelivered_click_is_applied_once_and_swaps_survive_a_restart(
    chat: Conversation, emu: SlackEmulator, bot: BotProcess
) -> None:
    chat.say(CREATE)
    chat.say("swap ops <@U0BOB>")
    request = request_dm(emu, "U0BOB")
    bot.stop()
    bot.start()
    assert "#1 from alice" in chat.say("swaps", user="U0BOB")
    channel, ts = request.response["channel"], request.response["ts"]
    before = len(emu.posts("C0CHAN"))
    envelope = emu.block_action("swap_accept", "1", user="U0BOB", channel=channel, message_ts=ts)
    emu.wait_for_ack(envelope)
    emu.wait_for_ack(emu.redeliver(envelope))
    wait_for_text(emu, request, "You accepted request #1")
    assert len(channel_news(emu, before, 2)) == 2
    assert len(emu.calls_to("chat.update")) == 1
    assert chat.say("swaps", user="U0BOB").startswith("You have no pending swap requests.")


def test_the_home_shows_a_request_with_its_buttons_and_answers_from_there(
    chat: Conversation, emu: SlackEmulator
) -> None:
    chat.say(CREATE)
    emu.wait_for_ack(emu.app_home_opened("U0BOB"))
    emu.wait_for_ack(emu.app_home_opened("U0ALICE"))
    first = wait_for_publish(emu, "U0BOB", 1)
    assert "Swap requests" not in text_of(first)
    chat.say("swap ops <@U0BOB>")
    view = wait_for_publish(emu, "U0BOB", 2)
    assert "<@U0ALICE> asks you to take their shift on *ops* in <#C0CHAN> held now" in (
        text_of(view)
    )
    actions = [b for b in view["blocks"] if b["type"] == "actions" and "swap" in b["block_id"]]
    assert [(e["action_id"], e["value"]) for e in actions[0]["elements"]] == [
        ("swap_accept", "1"),
        ("swap_decline", "1"),
    ]
    alice = wait_for_publish(emu, "U0ALICE", 2)
    assert "You asked <@U0BOB> to take your shift on *ops*" in text_of(alice)
    before = len(emu.posts("C0CHAN"))
    emu.wait_for_ack(emu.block_action("swap_accept", "1", user="U0BOB", view_user="U0BOB"))
    channel_news(emu, before, 2)
    answer = emu.wait_for_posts(2, channel=emu.dm_channel_for("U0BOB"))[1]
    assert answer.params["text"].startswith("You accepted request #1")
    after = wait_for_publish(emu, "U0BOB", 3)
    assert "Swap requests" not in text_of(after)
    assert chat.say("who ops").startswith("<@U0BOB> is on duty for *ops*")


def test_a_click_after_the_shift_moved_on_changes_nothing(
    chat: Conversation, emu: SlackEmulator
) -> None:
    chat.say(CREATE)
    chat.say("swap ops <@U0CAROL>")
    request = request_dm(emu, "U0CAROL")
    chat.say("rotate ops")  # alice's shift is over: bob holds the duty now
    lapsed = emu.wait_for_posts(1, channel=emu.dm_channel_for("U0ALICE"))[0]
    assert lapsed.params["text"] == (
        "Your swap request #1 for *ops* lapsed: the duty moved on before it was answered."
    )
    click(emu, request, "swap_accept", "U0CAROL", "1")
    message = wait_for_text(emu, request, "Request #1 is no longer valid")
    assert message["text"] == "Request #1 is no longer valid: it lapsed. Nothing changed."
    assert chat.say("who ops").startswith("<@U0BOB> is on duty for *ops*")


def test_a_click_on_a_button_no_listener_knows_is_acknowledged_and_ignored(
    chat: Conversation, emu: SlackEmulator, bot: BotProcess
) -> None:
    chat.say(CREATE)
    envelope = emu.block_action("old_button_v0", "1", user="U0BOB", view_user="U0BOB")
    emu.wait_for_ack(envelope)
    assert "not acknowledged" not in bot.log()
    assert chat.say("who ops").startswith("<@U0ALICE> is on duty for *ops*")
