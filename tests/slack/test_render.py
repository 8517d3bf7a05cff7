import re
from collections.abc import Callable

import pytest

from bot.core.dispatcher import Dispatcher
from bot.core.model import Member, MemberKind, Quiet, Reply, Request, Verbatim, bold, code
from bot.core.text import defuse_broadcasts, from_typed
from bot.slack.manifest import BOT_EVENTS, manifest
from bot.slack.render import split_message, to_slack


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
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    assert "app_home_opened" in data["settings"]["event_subscriptions"]["bot_events"]
    assert data["settings"]["interactivity"] == {"is_enabled": True}


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


def _slack(reply: Reply, names: dict[str, str] | None = None) -> str:
    return to_slack(reply, lambda member: (names or {}).get(member.ref, member.plain()))


STAR = "<!date^00000000^{_}|*>"
UNDERSCORE = "<!date^00000000^{_}|_>"
BACKTICK = "<!date^00000000^{_}|`>"


def test_user_text_cannot_format_or_link_in_slack() -> None:
    assert _slack(Reply.of("Created rotation ", bold("*"), ".")) == f"Created rotation *{STAR}*."
    assert _slack(Reply.of(bold("R&D <b>"))) == "*R&amp;D &lt;b&gt;*"
    assert _slack(Reply.of(bold("on_call ~x~"))) == (
        f"*on{UNDERSCORE}call <!date^00000000^{{_}}|~>x<!date^00000000^{{_}}|~>*"
    )
    assert _slack(Reply.of(bold("on-call :fire: :white_check_mark:"))) == (
        "*on-call :fire: :white_check_mark:*"
    )
    assert _slack(Reply.of(code("a`b & <c>"))) == f"`a`{BACKTICK}`b &amp; &lt;c&gt;`"
    assert _slack(Reply.of(code("`"))) == BACKTICK
    assert _slack(Reply.of(Verbatim("<!here> *x*"))) == f"&lt;!here&gt; {STAR}x{STAR}"


def test_display_names_are_escaped() -> None:
    reply = Reply.of("from ", Quiet(Member("U1")), " to <@U2>.")
    assert _slack(reply, {"U1": "*bold* _it_ <@U3>"}) == (
        f"from {STAR}bold{STAR} {UNDERSCORE}it{UNDERSCORE} &lt;@U3&gt; to <@U2>."
    )


def test_group_labels_are_shown_as_plain_text() -> None:
    group = Member("S1", MemberKind.USERGROUP, "@r&amp;d")
    assert _slack(Reply.of("ask ", Quiet(group))) == "ask @r&amp;d"
    assert group.plain() == "@r&d"


def test_markup_keeps_tokens_and_entities_and_escapes_the_rest() -> None:
    slack_description = "see <https://x|link> &amp; <#C1|ops>, ask <!subteam^S1|@sre> <@U1>"
    assert _slack(Reply.of(slack_description)) == slack_description
    console_description = from_typed("a < b & c <https://x|docs>")
    assert _slack(Reply.of(console_description)) == "a &lt; b &amp; c <https://x|docs>"
    assert _slack(Reply.of("older console row: a < b & c")) == "older console row: a &lt; b &amp; c"
    assert _slack(Reply.of("`@dienstplan who <rotation name>`")) == (
        "`@dienstplan who &lt;rotation name&gt;`"
    )
    assert _slack(Reply.of("ping <!here>")) == "ping @\u200bhere"


def test_replies_stored_before_user_text_parts_still_load() -> None:
    stored = '["from ", ["U1", "user", null], " to <@U2>", ["S1", "usergroup", "@sre"]]'
    assert Reply.from_json(stored) == Reply.of(
        "from ",
        Quiet(Member("U1")),
        " to <@U2>",
        Quiet(Member("S1", MemberKind.USERGROUP, "@sre")),
    )
    reply = Reply.of("There is no rotation ", bold("R&D *"), ". ", code("x`"), Verbatim("p"))
    assert Reply.from_json(reply.to_json()) == reply


def test_manifest_has_the_welcome_event_and_the_membership_scopes() -> None:
    """member_joined_channel starts the welcome; users.conversations needs channels:read and
    groups:read (which member_joined_channel needs too, for public and private channels)."""
    data = manifest()
    assert "member_joined_channel" in data["settings"]["event_subscriptions"]["bot_events"]
    assert {"channels:read", "groups:read"} <= set(data["oauth_config"]["scopes"]["bot"])


def test_the_bot_is_called_by_its_app_s_name_in_its_own_text_only() -> None:
    reply = Reply.of(
        "*dienstplan* says: `@dienstplan who ", Verbatim("@dienstplan *dienstplan*"), "`"
    )
    named = to_slack(reply, Member.plain, "on-call")
    assert named.startswith("*on-call* says: `@on-call who @dienstplan ")  # user text kept
    assert "*on-call*" not in named.split("who ")[1]
    assert to_slack(reply, Member.plain).startswith("*dienstplan* says: `@dienstplan who ")


@pytest.fixture
def run_for_slack(dispatcher: Dispatcher) -> Callable[[str], str]:
    """The reply to `@dienstplan <text>` in C1 as chat.postMessage would post it."""
    dispatcher.handle(
        Request(
            text="<@UBOT> create ops <@U1> <@U2> x", channel="C1", user="U0ME", bot_user_id="UBOT"
        )
    )

    def run(text: str) -> str:
        request = Request(text=f"<@UBOT> {text}", channel="C1", user="U0ME", bot_user_id="UBOT")
        return to_slack(dispatcher.handle(request).reply, lambda member: member.ref)

    return run


LIVE_TOKENS = ["<@U0EVIL>", "<!subteam^S0X|@x>", "<https://evil.example|click>"]


@pytest.mark.parametrize("token", LIVE_TOKENS)
@pytest.mark.parametrize(
    "text",
    [
        "schedule {t}",
        "notification {t}",
        "away {t}",
        "away today {t}",
        "away until {t}",
        "link {t} ops",
        "unlink {t} ops",
        "schedule explain {t} * * * *",
        "schedule explain 0 9 * * {t}",
        'schedule create "who ops" {t} 9 * * *',
        "swap accept {t}",
        "help schedule {t}",
        "who {t}",
        "notification disable {t}",
    ],
)
def test_a_reply_quoting_what_was_typed_pings_nobody(
    run_for_slack: Callable[[str], str], text: str, token: str
) -> None:
    """A usage error shows the wrong word as typed: a mention or link in it stays text (some
    commands lower-case the word first, which must not make it live either)."""
    reply = run_for_slack(text.format(t=token))
    assert not re.search(r"<(@u0evil|!subteam|https://evil)", reply, re.IGNORECASE), reply


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("away R&amp;D", "`R&amp;D` is not a date"),  # as typed, case and all
        ("schedule a&amp;b", "`a&amp;b` is not one of"),
        ("schedule list a&lt;b", "not `a&lt;b`."),
        ("swaps a&amp;b", "not `a&amp;b`."),
        ("link a&amp;b ops", "`a&amp;b` is not `schedule` or `rotation`"),
        ("link schedul a&amp;b", "Did you mean `link schedule a&amp;b`?"),
        ("list a&amp;b", "`a&amp;b` is not something"),
        ("schedule explain 0 9 * * Mon&amp;Tue", "day-of-week `Mon&amp;Tue` is not"),
    ],
)
def test_a_quoted_word_shows_as_typed_once_escaped(
    run_for_slack: Callable[[str], str], text: str, shown: str
) -> None:
    """Slack sends `&` as `&amp;`: quoted back it is escaped once, and Slack shows `&`."""
    reply = run_for_slack(text)
    assert shown in reply and "&amp;amp;" not in reply and "&amp;lt;" not in reply, reply
