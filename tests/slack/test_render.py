from bot.core.model import Member, Quiet, Reply
from bot.core.text import defuse_broadcasts
from bot.slack.manifest import BOT_EVENTS, manifest
from bot.slack.render import split_message


def test_broadcasts_are_defused() -> None:
    text = defuse_broadcasts(
        "a <!here> b <!channel|channel> c <!everyone> <!group> <!subteam^S1|@sre>"
    )
    assert "<!here" not in text and "<!channel" not in text and "<!everyone" not in text
    assert "<!group" not in text
    assert "<!subteam^S1|@sre>" in text


def test_split_message_keeps_every_line() -> None:
    lines = [f"{i}. <@U{i:05d}>" for i in range(5000)]
    chunks = split_message("\n".join(lines), limit=1000)
    assert all(len(c) <= 1000 for c in chunks)
    assert "\n".join(chunks).split("\n") == lines
    assert split_message("short") == ["short"]
    assert split_message("x" * 2500, limit=1000) == ["x" * 1000, "x" * 1000, "x" * 500]


def test_reply_round_trips_through_json() -> None:
    reply = Reply.of("from ", Quiet(Member("U1", label="alice")), " to <@U2>")
    assert Reply.from_json(reply.to_json()) == reply


def test_manifest_is_socket_mode_with_messages_tab() -> None:
    data = manifest()
    assert data["settings"]["socket_mode_enabled"] is True
    assert data["features"]["app_home"]["messages_tab_enabled"] is True
    assert data["settings"]["event_subscriptions"]["bot_events"] == BOT_EVENTS
    assert "app_mentions:read" in data["oauth_config"]["scopes"]["bot"]


class CountingClient:
    def __init__(self, fail: bool = False) -> None:
        self.calls = 0
        self.fail = fail

    def users_info(self, user: str) -> dict[str, dict[str, object]]:
        self.calls += 1
        if self.fail:
            raise OSError("Slack is down")
        return {"user": {"profile": {"display_name": user.lower()}}}


def test_display_names_are_cached_and_bounded_per_reply() -> None:
    from bot.slack.outbound import DisplayNames
    from bot.slack.users import MAX_LOOKUPS as MAX_LOOKUPS_PER_REPLY
    from bot.slack.users import SlackUsers

    client = CountingClient()
    names = DisplayNames(SlackUsers(client))  # type: ignore[arg-type]
    members = [Member(f"U{i:04d}") for i in range(200)]
    lookup = names.for_reply()
    shown = [lookup(m) for m in members]
    assert client.calls == MAX_LOOKUPS_PER_REPLY
    assert shown[0] == "u0000" and shown[-1] == "@U0199"
    again = names.for_reply()
    assert again(members[0]) == "u0000" and client.calls == MAX_LOOKUPS_PER_REPLY


def test_a_failed_name_lookup_falls_back_to_the_id() -> None:
    from bot.slack.outbound import DisplayNames
    from bot.slack.users import SlackUsers

    names = DisplayNames(SlackUsers(CountingClient(fail=True)))  # type: ignore[arg-type]
    assert names.for_reply()(Member("U1")) == "@U1"
