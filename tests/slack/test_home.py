"""The App Home rendered with slack_sdk's blocks: valid (to_dict validates), within Slack's
limits whatever the person's numbers, user text shown as typed; the Set away form."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.home import HOME_GROUP, AwayForm, HomeModel, RotationState, UpcomingShift
from bot.core.model import AwayPeriod, Member, MemberKind, Rotation
from bot.core.ports import EveryoneActive
from bot.slack.home import HomePublisher, away_form, away_modal, home_view
from bot.storage.db import migrate, open_database
from bot.storage.repository import PeeweeRepository

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def rotation(i: int, name: str | None = None) -> Rotation:
    return Rotation(i, f"C{i:04d}", name or f"rota-{i}", "duties", NOW, "U1", 0, 2, NOW)


def state(i: int, *, mine: bool, name: str | None = None) -> RotationState:
    holder = Member("U1") if mine else Member("U2")
    return RotationState(
        rotation(i, name),
        holder,
        None,
        mine,
        NOW + timedelta(days=1),
        Member("S1", MemberKind.USERGROUP, "ops"),
    )


def texts(view: dict[str, Any]) -> str:
    out = []
    for block in view["blocks"]:
        for item in [block.get("text"), *(block.get("elements") or [])]:
            if isinstance(item, dict) and "text" in item:
                out.append(str(item["text"]))
    return "\n".join(out)


def home(**fields: Any) -> HomeModel:
    values: dict[str, Any] = {
        "user": "U1",
        "zone": BERLIN,
        "now": NOW,
        "rotations": [],
        "upcoming": [],
        "upcoming_cut": False,
        "away": [],
    }
    values.update(fields)
    return HomeModel(**values)


def test_first_run_explains_the_bot_and_offers_set_away() -> None:
    view = home_view(home()).to_dict()
    text = texts(view)
    assert "Welcome to dienstplan" in text and "You are in no rotation yet." in text
    assert "`/invite @dienstplan`" in text and "`@dienstplan help`" in text
    assert any(
        e.get("action_id") == "home_set_away"
        for b in view["blocks"]
        for e in b.get("elements") or []
    )


def test_the_home_shows_duties_shifts_away_days_and_rotations() -> None:
    states = [state(1, mine=True, name="*bold* <b>"), state(2, mine=False)]
    upcoming = [UpcomingShift(states[1].rotation, NOW + timedelta(days=7), None)]
    away = [AwayPeriod(5, "U1", date(2026, 11, 22), date(2026, 11, 24), "ski & <fun>")]
    view = home_view(home(rotations=states, upcoming=upcoming, away=away)).to_dict()
    text = texts(view)
    star = "<!date^00000000^{_}|*>"
    assert (
        f"• *{star}bold{star} &lt;b&gt;* in <#C0001> since Sun 22 Nov 2026 10:00 CET, "
        "until the handoff Mon 23 Nov 2026 10:00 CET"
    ) in text
    assert "• Sun 29 Nov 2026 10:00 CET: *rota-2* in <#C0002>" in text
    assert "Away Sun 22 Nov to Tue 24 Nov (now): ski &amp; &lt;fun&gt;" in text
    assert (
        "• *rota-2* in <#C0002>: <@U2> on duty. Next handoff Mon 23 Nov 2026 10:00 CET, "
        "to <!subteam^S1|ops>." in text
    )
    [remove] = [b["accessory"] for b in view["blocks"] if "accessory" in b]
    assert (remove["action_id"], remove["value"]) == ("home_remove_away", "5")


def test_the_next_line_says_what_who_says() -> None:
    """Nobody else available, without a schedule; a stand-in whose own turn is next."""
    bob = Member("U2")
    stuck = RotationState(rotation(1), bob, None, False, None, None, nobody_else=True)
    standing = RotationState(rotation(2), bob, None, False, None, bob, in_turn=True)
    carol = Member("U3")
    at = datetime(2026, 11, 23, 8, tzinfo=UTC)
    swapped = RotationState(rotation(3), bob, None, False, at, carol, standing_in_for=Member("U4"))
    text = texts(home_view(home(rotations=[stuck, standing, swapped])).to_dict())
    assert "• *rota-3* in <#C0003>: <@U2> on duty. Next handoff " in text
    assert ", to <@U3> (a swap: standing in for <@U4>)." in text
    assert (
        "• *rota-1* in <#C0001>: <@U2> on duty. Nobody else is available to take over; "
        "no handoff schedule." in text
    )
    assert (
        "• *rota-2* in <#C0002>: <@U2> on duty. Next in line: <@U2> (in turn, after standing "
        "in); no handoff schedule." in text
    )


def test_big_numbers_stay_within_slacks_limits_and_say_what_was_left_out() -> None:
    states = [state(i, mine=i % 2 == 0, name=f"r{i:03d}-" + "n" * 200) for i in range(300)]
    upcoming = [
        UpcomingShift(s.rotation, NOW + timedelta(hours=i), None) for i, s in enumerate(states)
    ]
    away = [AwayPeriod(i, "U1", date(2027, 1, 1), date(2027, 1, 1), "x" * 150) for i in range(50)]
    view = home_view(
        home(rotations=states, upcoming=upcoming, away=away, upcoming_cut=True)
    ).to_dict()
    assert len(view["blocks"]) <= 100
    text = texts(view)
    assert "…and 130 more duties" in text
    assert "more shifts: `@dienstplan shifts` lists them." in text
    assert "40 more away periods: `@dienstplan away` lists them all." in text
    assert "250 more rotations are not shown here" in text
    assert "only its next 500 handoffs were worked out" in text
    assert "Your rotations (300)" in text


def test_the_set_away_form_and_what_it_submits() -> None:
    modal = away_modal(date(2026, 11, 22), BERLIN).to_dict()
    assert modal["callback_id"] == "home_away_form"
    assert [b.get("block_id") for b in modal["blocks"][:3]] == ["start", "end", "note"]
    assert modal["blocks"][0]["element"]["initial_date"] == "2026-11-22"
    values = {
        "start": {"date": {"type": "datepicker", "selected_date": "2026-12-01"}},
        "end": {"date": {"type": "datepicker", "selected_date": None}},
        "note": {"text": {"type": "plain_text_input", "value": "  ski  "}},
    }
    assert away_form(values) == AwayForm(date(2026, 12, 1), None, "ski")
    values["start"]["date"]["selected_date"] = "2026-02-30"
    assert away_form(values) == AwayForm(None, None, "ski")
    assert away_form({}) == AwayForm(None, None, "")


class Views:
    def __init__(self) -> None:
        self.published: list[str] = []

    def views_publish(self, *, user_id: str, view: dict[str, Any]) -> None:
        self.published.append(user_id)


class Group(EveryoneActive):
    def group_members(self, group_id: str) -> frozenset[str]:
        return frozenset({"U1", "U2", "U3"})


def test_a_group_s_homes_are_published_from_a_thread_that_never_used_the_database(
    tmp_path: Path,
) -> None:
    """The outbox sender's workers are such threads: the read of who opened the Home must
    open its own connection."""
    db = open_database(tmp_path / "a.db")
    migrate(db)
    repo = PeeweeRepository(db)
    with repo.transaction():
        repo.record_home_opened("U1", NOW)
        repo.record_home_opened("U3", NOW)
    views = Views()
    publisher = HomePublisher(views, repo, Group(), BERLIN, lambda: NOW)  # type: ignore[arg-type]
    errors: list[BaseException] = []

    def publish() -> None:
        try:
            publisher.publish(HOME_GROUP, "S1")
        except BaseException as error:
            errors.append(error)

    worker = threading.Thread(target=publish)
    worker.start()
    worker.join(10)
    db.close_all()
    assert errors == []
    assert sorted(views.published) == ["U1", "U3"]
