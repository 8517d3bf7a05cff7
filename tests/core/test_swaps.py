"""Shift swaps as transcripts on a real SQLite file: asking, accepting, declining, and every
way an answer can be stale or not the answerer's."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.dispatcher import Dispatcher, Outcome
from bot.core.home import AwayForm
from bot.core.model import Member, Request
from bot.housekeeping import expire_swap_requests
from bot.storage.repository import PeeweeRepository
from tests.conftest import FakeClock, Run
from tests.core.test_home import model
from tests.core.test_notifications import taken

# The clock starts on Sun 22 Nov 2026 09:00 UTC; the bot's zone is Europe/Berlin.
CREATE = "<@UBOT> create ops <@U1> <@U2> <@U3> Watch alerts"
DAILY = '<@UBOT> schedule create "rotate ops" 0 9 * * *'

NO_SUCH = (
    "There is no swap request #{} for you. `@dienstplan swaps` lists yours (deleting a "
    "rotation deletes its requests)."
)


@pytest.fixture
def act(dispatcher: Dispatcher) -> object:
    def _act(text: str, *, user: str = "U1", channel: str = "C1") -> Outcome:
        request = Request(text=f"<@UBOT> {text}", channel=channel, user=user, bot_user_id="UBOT")
        return dispatcher.handle(request, event_id=f"Ev{text}{user}{id(request)}")

    return _act


def said(outcome: Outcome) -> str:
    return outcome.reply.render(Member.plain)


def test_the_holder_asks_and_the_asked_gets_a_direct_message(run: Run, act) -> None:  # type: ignore[no-untyped-def]
    run(CREATE)
    asked = act("swap ops <@U2>")
    assert said(asked).startswith("Asked <@U2> to take your shift on *ops* held now (request #1).")
    (dm,) = asked.effects.messages
    assert (dm.channel, dm.kind) == ("U2", "swap:1")
    text = dm.reply.render(Member.plain)
    assert "@U1 asks you to take their shift on *ops* held now in <#C1>" in text
    assert "`@dienstplan swap accept 1`" in text


def test_accepting_the_shift_held_now_moves_the_duty_and_keeps_the_order(run: Run, act) -> None:  # type: ignore[no-untyped-def]
    run(CREATE)
    act("swap ops <@U3>")
    accepted = act("swap accept 1", user="U3")
    assert said(accepted) == (
        "You accepted request #1: the shift on *ops* held now is yours now. The order is unchanged."
    )
    change = accepted.effects.duty_changes[0]
    assert (change.before.ref if change.before else None, change.after.ref, change.cause) == (
        "U1",
        "U3",
        "swap",
    )
    (note,) = accepted.effects.messages
    assert note.channel == "U1" and "<@U3> accepted your request" in note.reply.render(Member.plain)
    assert run("<@UBOT> who ops").startswith("<@U3> is on duty for *ops*")
    about = run("<@UBOT> about ops")
    assert "1. @U1  ← in turn" in about and "3. @U3  ← on duty (a swap)" in about
    # the order goes on from U1: U2 is next, then U3 in turn
    assert run("<@UBOT> rotate ops") == "*ops*: the duty passes from @U3 to <@U2>."
    assert run("<@UBOT> rotate ops") == "*ops*: the duty passes from @U2 to <@U3>."


def test_standing_in_just_before_your_own_turn_keeps_you_on_duty(run: Run, act) -> None:  # type: ignore[no-untyped-def]
    run(CREATE)
    act("swap ops <@U2>")
    act("swap accept 1", user="U2")
    assert run("<@UBOT> who ops").endswith("Next in line: @U2 (in turn, after standing in).")
    assert run("<@UBOT> rotate ops") == (
        "*ops*: the next shift is <@U2>'s in turn, so they stay on duty."
    )
    assert "2. @U2  ← on duty" in run("<@UBOT> about ops")


def test_a_second_click_the_wrong_user_and_a_forged_number_change_nothing(run: Run, act) -> None:  # type: ignore[no-untyped-def]
    run(CREATE)
    act("swap ops <@U2>")
    assert said(act("swap accept 1", user="U3")) == NO_SUCH.format(1)
    assert said(act("swap accept 1", user="U1")) == "Only @U2 can answer request #1."
    assert said(act("swap accept 99", user="U2")) == NO_SUCH.format(99)
    assert "You accepted" in said(act("swap accept 1", user="U2"))
    again = act("swap decline 1", user="U2")
    assert said(again) == "Request #1 is no longer valid: it was accepted."
    assert again.failed and not again.effects.messages
    assert run("<@UBOT> who ops").startswith("<@U2> is on duty")


def test_declining_tells_the_asker_and_changes_nothing(run: Run, act) -> None:  # type: ignore[no-untyped-def]
    run(CREATE)
    act("swap ops <@U2>")
    declined = act("swap decline 1", user="U2")
    assert said(declined) == "You declined request #1: the shift on *ops* held now stays theirs."
    (note,) = declined.effects.messages
    assert note.channel == "U1"
    assert note.reply.render(Member.plain) == ("@U2 declined to take your shift on *ops* held now.")
    assert not declined.effects.duty_changes
    assert run("<@UBOT> who ops").startswith("<@U1> is on duty")


def test_a_future_shift_is_overridden_and_starts_at_its_handoff(
    run: Run,
    act,  # type: ignore[no-untyped-def]
    clock: FakeClock,
    repo: PeeweeRepository,
) -> None:
    run(CREATE)
    run(DAILY)
    # Mon 23 Nov 09:00 Berlin is U2's shift; U2 gives it to U3
    asked = act("swap ops <@U3> tomorrow", user="U2")
    assert "your shift on *ops* from Mon 23 Nov 2026 09:00 CET (request #1)" in said(asked)
    assert "You accepted" in said(act("swap accept 1", user="U3"))
    shifts = run("<@UBOT> shifts <@U3>")
    assert "from Mon 23 Nov 2026 09:00 CET to Tue 24 Nov 2026 09:00 CET" in shifts
    assert "Mon 23 Nov" not in run("<@UBOT> shifts <@U2>").split("Tue 24 Nov")[0]
    handoff = "Next handoff: Mon 23 Nov 2026 09:00 CET, to @U3 (a swap: standing in for @U2)."
    assert run("<@UBOT> who ops").endswith(handoff)
    assert handoff in run("<@UBOT> about ops")
    assert f"    {handoff}" in run("<@UBOT> list schedules")
    [state] = model(repo, clock, "U1").rotations  # the Home says it too
    assert (state.next_holder, state.standing_in_for) == (Member("U3"), Member("U2"))
    clock.advance(hours=23)  # the handoff
    assert run("<@UBOT> rotate ops") == (
        "*ops*: the duty passes from @U1 to <@U3> (a swap: standing in for @U2)."
    )
    clock.advance(days=1)
    assert run("<@UBOT> rotate ops") == (
        "*ops*: the next shift is <@U3>'s in turn, so they stay on duty."
    )


def test_only_the_holder_may_ask_and_only_a_member_may_be_asked(run: Run, act) -> None:  # type: ignore[no-untyped-def]
    run(CREATE)
    assert said(act("swap ops <@U3>", user="U2")) == (
        "That shift on *ops* held now is @U1's, not yours: only the person holding a shift can "
        "ask to swap it."
    )
    assert said(act("swap ops <@U9>")).startswith("@U9 is not a member of *ops*")
    assert said(act("swap ops <@U1>")).startswith("You can't swap a shift with yourself")
    act("swap ops <@U2>")
    assert "pending request already (#1, to @U2)" in said(act("swap ops <@U3>"))


def test_a_request_lapses_when_the_rotation_changes_or_the_shift_starts(
    run: Run,
    act,  # type: ignore[no-untyped-def]
    repo: PeeweeRepository,
    clock: FakeClock,
) -> None:
    run(CREATE)
    act("swap ops <@U2>")
    run("<@UBOT> update ops <@U1> <@U2> Watch alerts")  # the duty starts over: #1 lapses
    assert said(act("swap accept 1", user="U2")) == (
        "Request #1 is no longer valid: it lapsed. Nothing changed."
    )
    assert run("<@UBOT> who ops").startswith("<@U1> is on duty")
    run(DAILY)
    act("swap ops <@U1> tomorrow", user="U2")  # request #2, for Mon 09:00 CET
    clock.advance(hours=23, minutes=1)
    assert expire_swap_requests(repo, clock()) == 1
    assert said(act("swap accept 2", user="U1")) == (
        "Request #2 is no longer valid: it lapsed. Nothing changed."
    )
    told = [e.channel for e in repo.undelivered() if e.kind == "swap_answer"]
    assert told == ["U2"]  # the asker is told (the update above came from the console)


def test_a_request_for_the_shift_held_now_lapses_when_the_duty_moves_or_is_deleted(
    run: Run,
    act,  # type: ignore[no-untyped-def]
    repo: PeeweeRepository,
    clock: FakeClock,
) -> None:
    run(CREATE)
    run(DAILY)
    assert "request #1" in said(act("swap ops <@U2>"))
    # U1's later shift starts on 25 Nov now; after the rotate it is the one of 24 Nov
    assert "request #2" in said(act("swap ops <@U3> 2026-11-25"))
    act("rotate ops", user="U3")

    def told() -> list[tuple[str, str]]:
        return [(c, text) for c, kind, text in taken(repo, clock) if kind == "swap_answer"]

    assert told() == [
        ("U1", "Your swap request #1 for *ops* lapsed: the duty moved on before it was answered."),
        ("U1", "Your swap request #2 for *ops* lapsed: that shift is no longer yours."),
    ]
    assert "#1" not in said(act("swaps", user="U2"))
    assert "#2" not in said(act("swaps", user="U3"))
    assert "request #3" in said(act("swap ops <@U3> 2026-11-24"))
    act("assign ops <@U2>", user="U2")  # no move: U2 is on duty already
    act("away 2026-11-30", user="U2")  # changes nobody's shift before it
    assert "#3" in said(act("swaps", user="U3"))  # still U1's: still asked
    act("delete ops", user="U2")
    assert told() == [("U1", "Your swap request #3 for *ops* lapsed: the rotation was deleted.")]


def test_a_later_shift_request_lapses_when_an_away_period_moves_that_shift(
    run: Run,
    act,  # type: ignore[no-untyped-def]
    repo: PeeweeRepository,
    clock: FakeClock,
) -> None:
    """U2 away on 23 Nov: U3 takes that handoff, U1 the next, so the shift of 25 Nov U1
    asked about is not U1's any more."""
    run(CREATE)
    run(DAILY)
    assert "request #1" in said(act("swap ops <@U3> 2026-11-25"))
    act("away 2026-11-23", user="U2")
    told = [(c, text) for c, kind, text in taken(repo, clock) if kind == "swap_answer"]
    assert told == [("U1", "Your swap request #1 for *ops* lapsed: that shift is no longer yours.")]
    assert said(act("swaps")).startswith("You have no pending swap requests.")


def test_a_button_of_a_deleted_rotations_request_says_so_in_place(
    run: Run,
    act,  # type: ignore[no-untyped-def]
    dispatcher: Dispatcher,
) -> None:
    """Requests go only with their rotation: a click on one's message replaces it (the
    buttons go); typed, the number is just unknown."""
    run(CREATE)
    act("swap ops <@U2>")
    act("delete ops")
    click = Request("swap accept 1", "D0U2", "U2", source="slack", replace_ts="1.2")
    outcome = dispatcher.handle(click, event_id="click1")
    assert not outcome.failed
    assert said(outcome) == (
        "Request #1 is no longer valid: its rotation was deleted. Nothing changed."
    )
    assert said(act("swap accept 1", user="U2")) == NO_SUCH.format(1)


def test_the_homes_away_form_lapses_the_requests_it_overtakes(
    run: Run,
    act,  # type: ignore[no-untyped-def]
    repo: PeeweeRepository,
    clock: FakeClock,
    dispatcher: Dispatcher,
) -> None:
    """The form does what `away` does: U2 away on 23 Nov moves U1's shift of 25 Nov."""
    run(CREATE)
    run(DAILY)
    act("swap ops <@U3> 2026-11-25")
    dispatcher.open_home("U3", event_id="home")
    taken(repo, clock)
    assert dispatcher.set_away("U2", AwayForm(date(2026, 11, 23), date(2026, 11, 23), "")) == {}
    queued = [(c, kind) for c, kind, _ in taken(repo, clock)]
    assert queued == [("U2", "home"), ("U1", "swap_answer"), ("U3", "home")]


def test_a_shift_a_user_group_holds_is_left_to_the_click(
    act,  # type: ignore[no-untyped-def]
    run: Run,
    repo: PeeweeRepository,
    clock: FakeClock,
) -> None:
    """Whether the asker is still one of the group's users takes Slack's word, which the
    automatic check does not ask for: the request stays."""
    run("<@UBOT> create ops <@U1> <!subteam^S1> <@U3> Watch alerts")
    run(DAILY)
    act("swap ops <@U3> 2026-11-25")  # U1's shift then
    act("away 2026-11-23", user="U3")  # now S1's, whose users the check does not know
    assert "#1" in said(act("swaps"))


def test_only_the_rotations_a_change_touches_are_checked(
    run: Run,
    act,  # type: ignore[no-untyped-def]
    repo: PeeweeRepository,
    dispatcher: Dispatcher,
) -> None:
    """An away period of someone in no rotation reads no swap request, however many are
    pending elsewhere."""
    run(CREATE)
    run(DAILY)
    statements: list[str] = []
    events = iter(range(100))

    def away_statements() -> int:
        connection = repo._connection()
        statements.clear()
        away = Request("away tomorrow", "C1", "U9", source="slack")
        connection.set_trace_callback(statements.append)
        try:
            assert not dispatcher.handle(away, event_id=f"away{next(events)}").failed
        finally:
            connection.set_trace_callback(None)
        back = Request("back", "C1", "U9", source="slack")
        dispatcher.handle(back, event_id=f"back{next(events)}")
        return len(statements)

    away_statements()
    before = away_statements()  # the same state as the next: U9 was away before, and back
    for day in ("2026-11-25", "2026-11-28"):
        act(f"swap ops <@U3> {day}")
    assert away_statements() == before


def test_swaps_lists_requests_sent_and_received(run: Run, act) -> None:  # type: ignore[no-untyped-def]
    run(CREATE)
    run("<@UBOT> create db <@U2> <@U1> Backups")
    act("swap ops <@U2>")
    act("swap db <@U1>", user="U2")
    listing = said(act("swaps"))
    assert "• #1 to @U2: your shift on *ops* held now in <#C1>, waiting for their answer" in listing
    assert "• #2 from @U2: the shift on *db* held now in <#C1>. `@dienstplan swap accept 2`" in (
        listing
    )
    assert said(act("swaps", user="U3")).startswith("You have no pending swap requests.")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("swap ops", "the person to ask is missing"),
        ("swap", "the rotation's name and the person to ask are missing"),
        ("swap <@U2>", "the rotation's name is missing"),
        ("swap ops <@U2> <@U3>", "ask one person at a time"),
        ("swap ops <!subteam^S1|@sre>", "not a user group"),
        ("swap ops <@U2> next week", "give the day the shift starts"),
        ("swap ops <@U2> someday", "give the day the shift starts"),
        ("swap ops @bob", "`@bob` is plain text"),
        ("swap accept", "`swap accept` takes the request's number"),
        ("swap acept 1", "`acept` is not `accept` or `decline`. Did you mean `swap accept 1`?"),
        ("swap Declin 12", "Did you mean `swap decline 12`?"),
        ("swap decline abc", "`swap decline` takes the request's number"),
    ],
)
def test_bad_requests_get_the_usage(run: Run, text: str, problem: str) -> None:
    run(CREATE)
    reply = run(f"<@UBOT> {text}")
    assert reply.startswith("That `swap` needs fixing:") and problem in reply
    assert "`@dienstplan swap <rotation name> <user mention> [<day>]" in reply


def test_swaps_takes_nothing_after_it(run: Run) -> None:
    assert run("<@UBOT> swaps extra").startswith(
        "That `swaps` needs fixing: `swaps` takes nothing after it, not `extra`."
    )


def test_a_day_without_a_shift_or_with_someone_elses_says_so(run: Run) -> None:
    run(CREATE)
    run(DAILY)
    assert run("<@UBOT> swap ops <@U2> 2025-01-01", user="U1") == (
        "No shift of *ops* starts on 2025-01-01 (Europe/Berlin). "
        "`@dienstplan shifts` lists yours, with their days."
    )
    assert run("<@UBOT> swap ops <@U2> 2026-11-30", user="U1").startswith(
        "That shift on *ops* from Mon 30 Nov 2026 09:00 CET is @U3's, not yours"
    )
    assert "(request #1)" in run("<@UBOT> swap ops <@U2> 2026-11-28", user="U1")


def test_list_schedules_shows_who_stands_in_after_a_swap(run: Run, act) -> None:  # type: ignore[no-untyped-def]
    run(CREATE)
    act("swap ops <@U2>")
    act("swap accept 1", user="U2")
    assert "• *ops*: @U2 is on duty." in run("<@UBOT> list schedules")
