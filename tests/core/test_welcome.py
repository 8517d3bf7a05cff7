"""The welcome the bot posts when it is added to a channel: once, and not again within a day."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.core.commands import ROTATION_COMMANDS
from bot.core.dispatcher import Dispatcher
from bot.core.model import Member
from bot.core.registry import COMMANDS
from bot.core.welcome import welcome_message
from bot.storage.repository import PeeweeRepository
from tests.conftest import FakeClock


def _queued(repo: PeeweeRepository, clock: FakeClock) -> list[tuple[str, str, str]]:
    rows = repo.claim("test", clock(), clock() + timedelta(days=7), 100)
    return [(r.channel, r.kind, r.reply.render(Member.plain)) for r in rows]


def test_the_welcome_says_what_the_bot_does_and_what_to_do_next() -> None:
    text = welcome_message(COMMANDS).render(Member.plain)
    assert text.startswith("Hello! I'm *dienstplan*. I keep this channel's on-call rotations")
    assert (
        "• Create a rotation: `@dienstplan create <rotation name> <list of user mentions> "
        "<duties description>`, e.g. `@dienstplan create backend-rota @alice @bob @carol Watch "
        "alerts and deploys.`"
    ) in text
    assert "`@dienstplan help` lists every command" in text
    assert (
        "• `@dienstplan link schedule <name or part of it>` links another channel's rotation "
        "to this channel"
    ) in text


def test_the_welcome_offers_linking_once_the_command_exists() -> None:
    link = replace(
        ROTATION_COMMANDS[0],
        name="link",
        summary="makes an existing rotation this channel's.",
        usage="schedule <name>",
    )
    text = welcome_message({**COMMANDS, "link": link}).render(Member.plain)
    assert "• `@dienstplan link schedule <name>` makes an existing rotation this channel's." in text


def test_welcomed_once_and_not_again_within_a_day(
    dispatcher: Dispatcher, repo: PeeweeRepository, clock: FakeClock
) -> None:
    assert dispatcher.welcome("C1", event_id="Ev1")
    assert not dispatcher.welcome("C1", event_id="Ev1")  # a redelivery
    clock.advance(hours=23, minutes=59)
    assert not dispatcher.welcome("C1", event_id="Ev2")  # a rejoin
    assert dispatcher.welcome("C2", event_id="Ev3")  # another channel
    ((channel, kind, text), (other, _, _)) = _queued(repo, clock)
    assert (channel, kind, other) == ("C1", "welcome", "C2")
    assert text == welcome_message(COMMANDS).render(Member.plain)
    clock.advance(minutes=1)
    assert dispatcher.welcome("C1", event_id="Ev4")  # a day after the welcome
    assert [(c, k) for c, k, _ in _queued(repo, clock)] == [("C1", "welcome")]
