"""Properties over generated input: whatever arrives, the parser either parses it or says
what is wrong, and the dispatcher answers every message, never with the apology for an
internal error, and never with a live broadcast."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.dispatcher import APOLOGY, Dispatcher
from bot.core.errors import DomainError
from bot.core.home import HOME_KINDS
from bot.core.model import Request
from bot.core.parser import split_command
from bot.core.registry import COMMANDS
from bot.slack.render import to_slack
from bot.storage.repository import PeeweeRepository
from tests.strategies import messages

BROADCAST = re.compile(r"<!(?:here|channel|everyone|group)\b")
# State carries over between examples (rotations made by one are found by the next), so the
# function-scoped database fixture is what the test wants.
STATEFUL = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@settings(max_examples=300, deadline=None)
@given(text=messages(), command=st.sampled_from(sorted(COMMANDS)))
def test_every_parser_parses_or_explains(text: str, command: str) -> None:
    invocation = split_command(text, "UBOT")
    assert invocation.command == invocation.command.casefold()
    parser = COMMANDS[command]
    try:
        parser.parse(parser.locate(invocation.rest, False)[1])
    except DomainError as error:
        assert error.reply.render(str).strip()


@STATEFUL
@given(
    text=messages(),
    user=st.sampled_from(["U0ME", "U1", "U9"]),
    channel=st.sampled_from(["C1", "C2", "D1"]),
    source=st.sampled_from(["slack", "console"]),
)
def test_every_message_gets_a_reply_and_no_broadcast(
    dispatcher: Dispatcher,
    repo: PeeweeRepository,
    text: str,
    user: str,
    channel: str,
    source: str,
) -> None:
    request = Request(text=text, channel=channel, user=user, source=source, bot_user_id="UBOT")
    outcome = dispatcher.handle(request)
    posted = to_slack(outcome.reply, lambda member: member.ref)
    assert posted.strip()
    assert outcome.reply.render(str) != APOLOGY
    assert not BROADCAST.search(posted), posted


@STATEFUL
@given(texts=st.lists(messages(max_pieces=8), min_size=1, max_size=5))
def test_every_slack_event_queues_exactly_one_reply(
    dispatcher: Dispatcher, repo: PeeweeRepository, texts: list[str]
) -> None:
    before = len(repo.undelivered())
    for i, text in enumerate(texts):
        request = Request(text=text, channel="C1", user="U0ME", bot_user_id="UBOT")
        dispatcher.handle(request, event_id=f"Ev{before}-{i}")
    kinds = [row.kind for row in repo.undelivered()[before:]]
    assert kinds.count("reply") == len(texts)
    # besides: App Home republishes, and the notifications a change causes
    assert all(k in HOME_KINDS or k.startswith("notification:") for k in kinds if k != "reply")


@pytest.mark.parametrize(
    "text",
    [
        "<@UBOT> create <!channel> <@U1> x",
        "<@UBOT> create x <@U1> <!here|here> <!everyone>",
        "<@UBOT> who <!channel>",
        '<@UBOT> schedule create "who <!channel>" 0 9 * * *',
        "<@UBOT> help <!here>",
        "<@UBOT> <!channel>",
    ],
)
def test_known_broadcast_attempts(dispatcher: Dispatcher, text: str) -> None:
    request = Request(text=text, channel="C1", user="U0ME", bot_user_id="UBOT")
    posted = to_slack(dispatcher.handle(request).reply, lambda member: member.ref)
    assert posted.strip() and not BROADCAST.search(posted), posted
