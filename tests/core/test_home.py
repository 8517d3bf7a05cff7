"""The App Home's view model, the Set away form and what a change queues for the Home.
The clock stands at Sun 22 Nov 2026 10:00 in Berlin."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.commands import Context
from bot.core.dispatcher import Dispatcher
from bot.core.home import AwayForm, HomeModel, check_away_form, home_model
from bot.core.limits import AWAY_PERIODS_PER_PERSON
from bot.core.model import Member, MemberKind, Request
from bot.core.registry import COMMANDS
from bot.storage.repository import PeeweeRepository
from tests.conftest import FakeClock, Run
from tests.core.test_away import Directory

CREATE = "<@UBOT> create backend <@U1> <@U2> <@U3> Watch alerts"
TODAY = date(2026, 11, 22)


@pytest.fixture
def directory(dispatcher: Dispatcher) -> Directory:
    dispatcher.directory = found = Directory()
    return found


def model(
    repo: PeeweeRepository, clock: FakeClock, user: str, directory: Directory | None = None
) -> HomeModel:
    ctx = Context(
        Request("", user, user),
        repo,
        repo,
        clock(),
        ZoneInfo("Europe/Berlin"),
        COMMANDS,
        repo,
        directory=directory or Directory(),
        notifications=repo,
    )
    with repo.snapshot():
        return home_model(ctx, user)


def test_a_person_in_no_rotation_gets_the_first_run_view(
    repo: PeeweeRepository, clock: FakeClock
) -> None:
    home = model(repo, clock, "U9")
    assert home.first_run and home.on_call == [] and home.upcoming == []


def test_the_duty_since_when_until_the_handoff_and_the_next_shifts(
    run: Run, repo: PeeweeRepository, clock: FakeClock
) -> None:
    run(CREATE)
    run('schedule create "rotate backend" 0 9 * * Mon')
    created = clock()
    clock.advance(hours=1)
    alice = model(repo, clock, "U1")
    [state] = alice.on_call
    assert state.rotation.duty_since == created
    assert state.next_at == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Mon 09:00 CET
    assert state.next_holder == Member("U2")
    assert [(u.start.day, u.end.day if u.end else None) for u in alice.upcoming] == [(7, 14)]

    run("rotate backend")
    bob = model(repo, clock, "U2")
    assert bob.on_call[0].rotation.duty_since == clock()
    assert model(repo, clock, "U1").on_call == []
    assert bob.today == TODAY


def test_a_user_groups_duty_is_its_users_and_an_away_holder_is_marked(
    run: Run, repo: PeeweeRepository, clock: FakeClock, directory: Directory
) -> None:
    directory.groups["S1"] = {"U7"}
    run("<@UBOT> create backend <!subteam^S1> <@U1> Watch alerts")
    run("<@UBOT> create db <@U1> <@U2> Databases", channel="C2")
    run("away today", user="U1")
    home = model(repo, clock, "U7", directory)
    assert [s.rotation.name for s in home.on_call] == ["backend"]
    assert home.on_call[0].holder.kind is MemberKind.USERGROUP
    alice = model(repo, clock, "U1", directory)
    assert [s.rotation.name for s in alice.rotations] == ["backend", "db"]
    db = alice.rotations[1]
    assert (db.mine, db.holder_note, db.next_at, db.next_holder) == (
        True,
        "away until Sun 22 Nov",
        None,
        Member("U2"),
    )
    assert [(p.start, p.end) for p in alice.away] == [(TODAY, TODAY)]


def test_the_away_form_names_each_problem_by_field() -> None:
    tomorrow = date(2026, 11, 23)
    assert check_away_form(AwayForm(TODAY, tomorrow, ""), TODAY) == {}
    assert check_away_form(AwayForm(None, None, ""), TODAY) == {
        "start": "Pick the first day away.",
        "end": "Pick the last day away.",
    }
    assert check_away_form(AwayForm(tomorrow, TODAY, ""), TODAY) == {
        "end": "The last day (Sun 22 Nov) is before the first (Mon 23 Nov)."
    }
    assert check_away_form(AwayForm(date(2026, 11, 1), date(2026, 11, 2), ""), TODAY) == {
        "end": "Mon 02 Nov is in the past (today is Sun 22 Nov)."
    }
    assert check_away_form(AwayForm(TODAY, TODAY, "x" * 151), TODAY) == {
        "note": "That is more than the limit: at most 150 characters in an away note."
    }
    assert check_away_form(AwayForm(TODAY, TODAY, "back \u202emon"), TODAY) == {
        "note": "The note contains U+202E (right-to-left override), an invisible or control "
        "character."
    }
    assert check_away_form(AwayForm(TODAY, TODAY, "Ferien 🏖️ in Köln"), TODAY) == {}
    assert check_away_form(AwayForm(date(9999, 12, 30), date(9999, 12, 31), ""), TODAY) == {
        "end": "9999-12-31 is too far ahead: at most 1,830 days from today to the last day away."
    }


def _home_rows(repo: PeeweeRepository) -> list[tuple[str, str]]:
    return [(e.kind, e.channel) for e in repo.undelivered() if e.kind.startswith("home")]


def test_the_form_saves_merges_and_refuses_one_period_too_many(
    dispatcher: Dispatcher, repo: PeeweeRepository
) -> None:
    form = AwayForm(date(2026, 11, 20), date(2026, 11, 24), "ski")
    assert dispatcher.set_away("U2", form) == {}
    assert dispatcher.set_away("U2", AwayForm(date(2026, 11, 25), date(2026, 11, 26), "")) == {}
    [period] = repo.away_periods(["U2"], TODAY)
    assert (period.start, period.end, period.note) == (TODAY, date(2026, 11, 26), "ski")
    assert _home_rows(repo) == [("home", "U2"), ("home", "U2")]
    with repo.transaction():
        for i in range(AWAY_PERIODS_PER_PERSON.value - 1):
            day = date(2027, 1 + i // 28, 1 + i % 28)
            repo.add_away("U2", day, day)
    errors = dispatcher.set_away("U2", AwayForm(date(2027, 6, 1), date(2027, 6, 2), ""))
    assert list(errors) == ["start"] and errors["start"].startswith("You have 50 away periods")
    assert len(repo.away_periods(["U2"], TODAY)) == AWAY_PERIODS_PER_PERSON.value


def test_remove_takes_only_the_actors_own_existing_period(
    dispatcher: Dispatcher, repo: PeeweeRepository
) -> None:
    with repo.transaction():
        period = repo.add_away("U2", TODAY, TODAY)
    assert dispatcher.remove_away("U1", period.id) is False
    assert dispatcher.remove_away("U2", period.id + 100) is False
    assert repo.away_periods(["U2"], TODAY) == [period]
    assert dispatcher.remove_away("U2", period.id) is True
    assert repo.away_periods(["U2"], TODAY) == []
    assert _home_rows(repo) == [("home", "U1"), ("home", "U2"), ("home", "U2")]


def test_a_change_queues_republishes_for_the_people_concerned_who_opened_the_home(
    dispatcher: Dispatcher, repo: PeeweeRepository, clock: FakeClock
) -> None:
    def slack(text: str, n: int) -> None:
        request = Request(text=text, channel="C1", user="U1", bot_user_id="UBOT")
        assert not dispatcher.handle(request, event_id=f"Ev{n}").failed

    assert dispatcher.open_home("U1", event_id="EvH1") is True
    assert dispatcher.open_home("U1", event_id="EvH1") is False  # a redelivery
    dispatcher.open_home("U2", event_id="EvH2")
    slack("<@UBOT> create backend <@U1> <@U2> <@U3> <!subteam^S1> Watch alerts", 1)
    assert _home_rows(repo) == [
        ("home", "U1"),
        ("home", "U2"),
        ("home", "U1"),
        ("home", "U2"),
        ("home group", "S1"),
    ]
    slack("<@UBOT> rotate backend", 2)  # U1 -> U2
    slack("<@UBOT> rotate backend", 3)  # U2 -> U3, who never opened the Home
    slack("<@UBOT> who backend", 4)  # changes nothing
    assert _home_rows(repo)[5:] == [("home", "U1"), ("home", "U2"), ("home", "U2")]


def test_home_links_to_the_app_home_or_says_where_it_has_none(
    run: Run, dispatcher: Dispatcher
) -> None:
    assert run("<@UBOT> home").startswith(
        "I have no link to my App Home right now (Slack did not tell me my app id). Meanwhile, "
        "click my name and open the *Home* tab"
    )
    dispatcher.home_link = "slack://app?team=T1&id=A1&tab=home"
    assert run("<@UBOT> home", channel="D1").startswith(
        "<slack://app?team=T1&id=A1&tab=home|Open your App Home>: where you are on call"
    )


def test_home_takes_no_arguments(run: Run) -> None:
    assert run("<@UBOT> home  sweet home").startswith(
        "That `home` needs fixing: `home` takes nothing after it, not `sweet home`.\n"
        "`@dienstplan home`\n"
    )


def test_a_single_member_or_everyone_else_away_has_nobody_next(
    run: Run, repo: PeeweeRepository, clock: FakeClock
) -> None:
    run("<@UBOT> create solo <@U1> Alone")
    run('schedule create "rotate solo" 0 9 * * Mon')
    run("<@UBOT> create pair <@U1> <@U2> Two")
    run('schedule create "rotate pair" 0 9 * * Mon')
    run("<@UBOT> create duo <@U1> <@U2> Two, no schedule")
    run("away today tomorrow", user="U2")
    duo, pair, solo = model(repo, clock, "U1").rotations
    assert (solo.rotation.name, solo.next_at, solo.next_holder) == ("solo", None, None)
    assert not solo.nobody_else
    assert (pair.rotation.name, pair.next_holder, pair.nobody_else) == ("pair", None, True)
    assert pair.next_at == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert (duo.rotation.name, duo.next_at, duo.next_holder, duo.nobody_else) == (
        "duo",
        None,
        None,
        True,
    )


def test_a_rotate_schedule_changes_its_members_homes(
    dispatcher: Dispatcher, repo: PeeweeRepository
) -> None:
    def slack(text: str, n: int) -> None:
        request = Request(text=text, channel="C1", user="U9", bot_user_id="UBOT")
        assert not dispatcher.handle(request, event_id=f"Ev{n}").failed

    slack("<@UBOT> create backend <@U1> <@U2> Watch alerts", 1)
    dispatcher.open_home("U1", event_id="EvH1")
    slack('<@UBOT> schedule create "who backend" 0 9 * * Mon', 2)
    assert _home_rows(repo) == [("home", "U1")]  # only the opening
    slack('<@UBOT> schedule create "rotate Backend" 0 9 * * Mon', 3)
    slack('<@UBOT> schedule delete "rotate backend"', 4)
    assert _home_rows(repo) == [("home", "U1")] * 3


def test_an_accepted_swap_puts_the_stand_in_on_call_and_republishes_both(
    dispatcher: Dispatcher, repo: PeeweeRepository, clock: FakeClock
) -> None:
    def slack(text: str, user: str, n: int) -> None:
        request = Request(text=f"<@UBOT> {text}", channel="C1", user=user, bot_user_id="UBOT")
        assert not dispatcher.handle(request, event_id=f"Ev{n}").failed

    slack("create ops <@U1> <@U2> <@U3> Watch alerts", "U1", 1)
    for user in ("U1", "U3"):
        dispatcher.open_home(user, event_id=f"EvH{user}")
    clock.advance(hours=1)
    slack("swap ops <@U3>", "U1", 2)
    slack("swap accept 1", "U3", 3)
    [state] = model(repo, clock, "U3").on_call
    assert (state.rotation.name, state.rotation.duty_since) == ("ops", clock())
    assert (state.next_holder, state.in_turn) == (Member("U2"), False)
    assert model(repo, clock, "U1").on_call == []
    assert _home_rows(repo)[-2:] == [("home", "U1"), ("home", "U3")]
    slack("swap ops <@U2>", "U3", 4)  # U3 hands the shift on to U2, whose turn is next
    slack("swap accept 2", "U2", 5)
    [state] = model(repo, clock, "U2").on_call
    assert (state.holder, state.next_holder, state.in_turn) == (Member("U2"), Member("U2"), True)
