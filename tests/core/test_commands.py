"""Every command as a transcript, on a real temporary SQLite file."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest

from bot.core.commands import LIST_LIMIT
from bot.core.dispatcher import Dispatcher
from bot.core.limits import MEMBERS_PER_ROTATION
from bot.core.model import Member, Request
from bot.core.registry import COMMANDS
from bot.core.text import from_typed
from bot.storage.repository import PeeweeRepository
from tests.conftest import FakeClock, Run

CREATE = "<@UBOT> create backend <@U1> <@U2> <@U3> Watch alerts"
NEXT_U2 = "\nNext in line: @U2."
HINT = ' No handoff schedule: `@dienstplan schedule create "rotate backend" 0 9 * * Mon` adds one.'


def test_create_puts_the_first_member_on_duty(run: Run) -> None:
    assert run(CREATE) == (
        "Created rotation *backend* with 3 members: @U1, @U2, @U3. <@U1> is on duty now."
    )
    assert run("<@UBOT> who backend") == "<@U1> is on duty for *backend*:\nWatch alerts" + NEXT_U2


def test_duplicate_name_is_refused_case_insensitively(run: Run) -> None:
    run(CREATE)
    assert "already exists" in run("<@UBOT> create Backend <@U4> other")
    assert "<@U1> is on duty" in run("<@UBOT> who backend")


def test_rotations_are_per_channel(run: Run) -> None:
    run(CREATE)
    assert "There is no rotation *backend*" in run("<@UBOT> who backend", channel="C2")
    assert "Created" in run(CREATE, channel="C2")


def test_rotate_is_round_robin_and_quiet_about_who_leaves(run: Run) -> None:
    run(CREATE)
    assert run("<@UBOT> rotate backend") == "*backend*: the duty passes from @U1 to <@U2>."
    assert run("<@UBOT> rotate backend") == "*backend*: the duty passes from @U2 to <@U3>."
    assert run("<@UBOT> rotate backend") == "*backend*: the duty passes from @U3 to <@U1>."


def test_rotate_single_member(run: Run) -> None:
    run("<@UBOT> create solo <@U1> all of it")
    assert "single member" in run("<@UBOT> rotate solo")


def test_a_single_members_next_handoff_is_shown_without_a_next_in_line(run: Run) -> None:
    run("<@UBOT> create solo <@U1> all of it")
    assert run("<@UBOT> who solo") == "<@U1> is on duty for *solo*:\nall of it"
    run('<@UBOT> schedule create "rotate solo" 0 9 * * Mon')
    handoff = "Next handoff: Mon 23 Nov 2026 09:00 CET, to @U1, the only member."
    assert run("<@UBOT> who solo") == f"<@U1> is on duty for *solo*:\nall of it\n{handoff}"
    assert f"← on duty\n{handoff}\nDuties:" in run("<@UBOT> about solo")


def test_a_name_in_slacks_wire_format_gets_the_plain_one_suggested(run: Run) -> None:
    """`R&amp;D` typed as such (in the console, or pasted from a payload) means `R&D`. Slack
    sends what was typed as `R&amp;amp;D`."""
    run("<@UBOT> create R&amp;D <@U1> all of it")
    assert run("<@UBOT> who R&amp;amp;D").startswith(
        "There is no rotation *R&amp;D* in this channel. Did you mean *R&D*?"
    )


def test_shout_omits_the_description(run: Run) -> None:
    run(CREATE)
    assert run("<@UBOT> shout backend") == "<@U1> is on duty for *backend*."


def test_assign_then_rotate_continues_from_the_assignee(run: Run) -> None:
    run(CREATE)
    assert run("<@UBOT> assign backend <@U3>") == (
        "*backend*: <@U3> is on duty now (instead of @U1). The next `rotate` continues from them."
    )
    assert run("<@UBOT> rotate backend") == "*backend*: the duty passes from @U3 to <@U1>."
    assert "already on duty" in run("<@UBOT> assign backend <@U1>")


def test_assign_outsider_is_refused(run: Run) -> None:
    run(CREATE)
    assert run("<@UBOT> assign backend <@U9>").startswith("@U9 is not a member of *backend*")
    assert run("<@UBOT> shout backend").startswith("<@U1>")


def test_about_lists_members_in_order_with_the_duty_marked(run: Run) -> None:
    run(CREATE)
    run("<@UBOT> rotate backend")
    assert run("<@UBOT> about backend") == (
        "*backend*, created 2026-11-22 by @U0ME\n"
        "Members in duty order (3):\n1. @U1\n2. @U2  ← on duty\n3. @U3\n"
        f"Next in line: @U3.{HINT}\nDuties:\nWatch alerts"
    )


def test_update_replaces_members_and_resets_duty(run: Run) -> None:
    run(CREATE)
    run("<@UBOT> rotate backend")
    assert run("<@UBOT> update backend <@U4> <@U5> New duties") == (
        "Updated rotation *backend*: @U4, @U5. The duty starts over: <@U4> is on duty now."
    )
    assert (
        run("<@UBOT> who backend")
        == "<@U4> is on duty for *backend*:\nNew duties\nNext in line: @U5."
    )
    assert "not a member" in run("<@UBOT> assign backend <@U1>")


def test_delete(run: Run) -> None:
    run(CREATE)
    assert run("<@UBOT> delete backend.") == "Deleted rotation *backend*."
    assert "There is no rotation" in run("<@UBOT> who backend")
    assert "Created" in run(CREATE)


def test_list_newest_first_with_dates(run: Run, clock: FakeClock) -> None:
    assert "no rotations in this channel yet" in run("<@UBOT> list")
    run(CREATE)
    clock.advance(days=2)
    run("<@UBOT> create frontend <@U1> UI")
    assert run("<@UBOT> list") == (
        "Rotations in this channel (2), newest first:\n"
        "• *frontend* (created 2026-11-24)\n"
        "• *backend* (created 2026-11-22)"
    )


def test_list_says_when_it_is_capped(repo: PeeweeRepository, run: Run, clock: FakeClock) -> None:
    with repo.transaction():
        for i in range(LIST_LIMIT + 3):
            repo.create(
                channel="C1",
                name=f"r{i}",
                description="d",
                members=[Member("U1")],
                created_by="U1",
                now=clock.now,
            )
    reply = run("<@UBOT> list")
    assert f"Showing the newest {LIST_LIMIT} of {LIST_LIMIT + 3}." in reply
    assert reply.count("• ") == LIST_LIMIT


def test_unknown_command_gets_a_suggestion_and_the_help(run: Run) -> None:
    reply = run("<@UBOT> rotat backend")
    assert reply.startswith("I don't know the command `rotat`. Did you mean `rotate`?")
    assert all(f"@dienstplan {name}" in reply for name in COMMANDS)


def test_only_a_mention_gets_the_help(run: Run) -> None:
    assert run("<@UBOT>").startswith("*dienstplan* keeps on-call rotations")


def test_usage_errors_name_the_problem_and_show_usage_and_example(run: Run) -> None:
    reply = run("<@UBOT> create backend <@U1>")
    assert reply.startswith("That `create` needs fixing: the duties description is missing.")
    assert "`@dienstplan create <rotation name> <list of user mentions> <duties description>`" in (
        reply
    )
    assert "Example: `@dienstplan create backend-rota" in reply


def test_misspelled_rotation_gets_a_suggestion(run: Run) -> None:
    run(CREATE)
    assert "Did you mean *backend*?" in run("<@UBOT> who backnd")


def test_help_for_each_command(run: Run) -> None:
    for name, command in COMMANDS.items():
        reply = run(f"<@UBOT> help {name}")
        assert command.usage_line() in reply and "Example: `@dienstplan" in reply
    assert "Did you mean `rotate`" in run("<@UBOT> help rotat")


def test_reminder_text_and_unicode_spaces(run: Run) -> None:
    run(CREATE)
    assert "passes from @U1 to <@U2>" in run("Reminder: <@UBOT|dienstplan> rotate\u00a0backend.")


def test_names_with_spaces(run: Run) -> None:
    assert "Created rotation *platform on call*" in run(
        "<@UBOT> create platform on call <@U1> <@U2> duty"
    )
    assert "<@U1> is on duty" in run("<@UBOT> who Platform  On Call.")


def test_broadcasts_are_stored_but_never_reposted_live(run: Run) -> None:
    """The domain keeps what was written; every renderer defuses broadcasts (tested there)."""
    run("<@UBOT> create x <@U1> ping <!here> and <!channel|channel>")
    assert "<!here>" in run("<@UBOT> who x")


def test_redelivered_event_is_applied_once_and_answered_once(
    dispatcher: Dispatcher, repo: PeeweeRepository, run: Run, clock: FakeClock
) -> None:
    run(CREATE)  # the console path: shown by the caller, nothing queued
    assert repo.undelivered() == []
    request = Request(
        text="<@UBOT> rotate backend",
        channel="C1",
        user="U0ME",
        thread_ts="1.2",
        bot_user_id="UBOT",
    )
    first = dispatcher.handle(request, event_id="Ev1")
    again = dispatcher.handle(request, event_id="Ev1")
    assert not first.duplicate and again.duplicate
    row, dm = repo.claim("me", clock.now, clock.now + timedelta(seconds=9), 10)
    assert (row.channel, row.kind, row.reply, row.thread_ts) == ("C1", "reply", first.reply, "1.2")
    assert (dm.channel, dm.kind) == ("U2", "notification:AssignmentConfirmed")  # the new duty
    assert run("<@UBOT> shout backend").startswith("<@U2>")


def test_a_failing_command_is_rolled_back_and_apologised_for(
    dispatcher: Dispatcher, repo: PeeweeRepository, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(CREATE)

    def broken(*args: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(repo, "member_at", broken)
    request = Request(text="rotate backend", channel="C1", user="U0ME")
    outcome = dispatcher.handle(request, event_id="Ev2")
    monkeypatch.undo()
    assert "went wrong on my side" in outcome.reply.render(str)
    assert run("<@UBOT> shout backend").startswith("<@U1>")


def test_who_reads_each_table_once(
    dispatcher: Dispatcher, repo: PeeweeRepository, run: Run
) -> None:
    """The rotation (own and linked in one query), its stand-in, the members from the duty
    on with their away periods, its schedules; then the event id and the reply: each
    statement costs as much as the Python around it, and on PostgreSQL a round trip."""
    run(CREATE)
    statements: list[str] = []
    connection = repo._connection()
    connection.set_trace_callback(statements.append)
    try:
        request = Request(text="<@UBOT> who backend", channel="C1", user="U0ME", bot_user_id="UBOT")
        outcome = dispatcher.handle(request, event_id="Ev1")
    finally:
        connection.set_trace_callback(None)
    assert outcome.reply.render(str).startswith("<@U1> is on duty")
    tables = [
        re.search(r"\b(?:FROM|INTO) \"?(\w+)", s).group(1)  # type: ignore[union-attr]
        for s in statements
        if not re.match(r"(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)", s)
    ]
    assert tables == [
        "rotation",
        "shift_override",
        "member",
        "away",
        "schedule",
        "processed_event",
        "outbox",
    ]


def test_rotate_and_assign_touch_one_row_whatever_the_size(
    repo: PeeweeRepository, run: Run
) -> None:
    """A rotation of the most members allowed keeps the duty on the rotation row, not a flag
    per member."""
    members = " ".join(f"<@U{i:04d}>" for i in range(MEMBERS_PER_ROTATION.value))
    run(f"<@UBOT> create big {members} huge")
    statements: list[str] = []
    connection = repo._connection()  # this thread's: the one the commands below run on
    connection.set_trace_callback(statements.append)
    try:
        assert "passes from @U0000 to <@U0001>" in run("<@UBOT> rotate big")
        rotate_writes = [s for s in statements if re.match(r"(UPDATE|INSERT|DELETE)", s)]
        statements.clear()
        last = f"<@U{MEMBERS_PER_ROTATION.value - 1:04d}>"
        assert f"{last} is on duty now" in run(f"<@UBOT> assign big {last}")
        assign_writes = [s for s in statements if re.match(r"(UPDATE|INSERT|DELETE)", s)]
    finally:
        connection.set_trace_callback(None)
    # one duty update per command, the stand-in of a swap cleared, and when the duty started:
    # never a member row
    for writes in (rotate_writes, assign_writes):
        assert [s.split()[:3] for s in writes] == [
            ["UPDATE", '"rotation"', "SET"],
            ["DELETE", "FROM", "shift_override"],
            ["UPDATE", '"rotation"', "SET"],
        ]
        assert '"duty_since"' in writes[2]


PLAIN_BOB = (
    "`@bob` is plain text, not a Slack mention: pick each person from Slack's @-autocomplete "
    "so it turns into a mention."
)


def test_a_plain_at_name_beside_mentions_is_refused_not_dropped(run: Run) -> None:
    reply = run("<@UBOT> create backend-rota <@U1> @bob Watch alerts")
    assert reply.startswith(f"That `create` needs fixing: {PLAIN_BOB}\n`@dienstplan create")
    assert "There is no rotation" in run("<@UBOT> who backend-rota")
    run("<@UBOT> create backend-rota <@U1> Watch alerts")
    assert run("<@UBOT> update backend-rota <@U1> @bob <@U2> new").startswith(
        f"That `update` needs fixing: {PLAIN_BOB}"
    )
    assert run("<@UBOT> update backend-rota @bob <@U1> new").startswith(
        f"That `update` needs fixing: {PLAIN_BOB}"
    )
    assert run(
        "<@UBOT> update backend-rota <@U1> Watch alerts. Page @oncall-lead if down"
    ).startswith("Updated rotation *backend-rota*")
    assert run("<@UBOT> who backend-rota").endswith("Watch alerts. Page @oncall-lead if down")


def test_repeated_bot_mentions_are_skipped(run: Run) -> None:
    run(CREATE)
    assert (
        run("<@UBOT> <@UBOT> who backend")
        == "<@U1> is on duty for *backend*:\nWatch alerts" + NEXT_U2
    )


def test_names_are_one_rotation_however_slack_or_the_console_wrote_them(run: Run) -> None:
    """Slack sends `R&amp;D`; the console's `R&D` reaches the core as the same wire text."""
    assert run("<@UBOT> create R&amp;D <@U1> a &lt; b &amp; c").startswith(
        "Created rotation *R&D* with 1 member"
    )
    assert run(from_typed("who R&D")) == "<@U1> is on duty for *R&D*:\na &lt; b &amp; c"
    assert "already exists" in run(from_typed("create r&d <@U2> other"))
    assert run(from_typed("create Caf\u00e9 & Co <@U2> x")).startswith("Created rotation *Caf")
    assert run("<@UBOT> shout CAFE\u0301 &amp; co") == "<@U2> is on duty for *Caf\u00e9 & Co*."
    assert "• *Caf\u00e9 & Co* (created" in run("<@UBOT> list")


def test_control_and_direction_characters_are_refused_in_names(run: Run) -> None:
    reply = run("<@UBOT> create evil\u202eetor <@U1> duty")
    assert reply.startswith(
        "That `create` needs fixing: the rotation name contains U+202E (right-to-left "
        "override). Names cannot contain control characters or invisible formatting characters "
        "(such as text-direction marks)."
    )
    assert "contains U+001B." in run("<@UBOT> create a\x1b[31mred <@U1> duty")


def test_names_that_look_like_formatting_are_shown_as_typed(run: Run) -> None:
    assert run("<@UBOT> create * <@U1> duty").startswith("Created rotation *** with 1 member")
    assert run("<@UBOT> who *") == "<@U1> is on duty for ***:\nduty"


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("rotat", "rotate"),
        ("roate", "rotate"),
        ("rotaet", "rotate"),
        ("hlep", "help"),
        ("crate", "create"),
        ("creat", "create"),
        ("lsit", "list"),
        ("abuot", "about"),
        ("delte", "delete"),
        ("updaet", "update"),
        ("asign", "assign"),
        ("shuot", "shout"),
        ("whoo", "who"),
    ],
)
def test_typos_suggest_the_command(run: Run, typed: str, command: str) -> None:
    assert run(f"<@UBOT> {typed} backend").startswith(
        f"I don't know the command `{typed}`. Did you mean `{command}`?\n\n"
    )


@pytest.mark.parametrize(
    "typed",
    ["frobnicate", "hello", "status", "deploy", "ping", "thanks", "remove", "x", "hi", "rota"],
)
def test_unrelated_words_get_no_suggestion(run: Run, typed: str) -> None:
    reply = run(f"<@UBOT> {typed} backend")
    assert reply.startswith(f"I don't know the command `{typed}`.\n\n*dienstplan* keeps")
    assert "Did you mean" not in run(f"<@UBOT> help {typed}")


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("backnd-rota", "backend-rota"),
        ("bakcend-rota", "backend-rota"),
        ("Backend-rot", "backend-rota"),
        ("frontent", "frontend"),
        ("platform on-call", "platform on call"),
        ("backend", None),
        ("database", None),
        ("ops", None),
        ("front", None),
    ],
)
def test_rotation_names_suggest_only_close_matches(run: Run, typed: str, hint: str | None) -> None:
    for name in ("backend-rota", "frontend", "platform on call"):
        run(f"<@UBOT> create {name} <@U1> duty")
    reply = run(f"<@UBOT> who {typed}")
    assert reply.startswith(f"There is no rotation *{typed}* in this channel.")
    assert (f"Did you mean *{hint}*?" in reply) if hint else ("Did you mean" not in reply)


def test_descriptions_and_names_keep_their_joiners(run: Run) -> None:
    description = (
        "\U0001f469\u200d\U0001f4bb on call, \U0001f3f3\ufe0f\u200d\U0001f308, "
        "\u0928\u092e\u0938\u094d\u200d\u0924\u0947, \u0645\u06cc\u200c\u062e\u0648\u0627\u0647"
        "\u0645\u200b\u00a0as typed"
    )
    run(f"<@UBOT> create backend <@U1> <@U2> {description}")
    assert run("<@UBOT> who backend") == f"<@U1> is on duty for *backend*:\n{description}{NEXT_U2}"
    assert run("<@UBOT> create \U0001f469\u200d\U0001f4bb devs <@U1> x").startswith(
        "Created rotation *\U0001f469\u200d\U0001f4bb devs*"
    )
    assert run("<@UBOT> shout \U0001f469\U0001f4bb devs") == (
        "<@U1> is on duty for *\U0001f469\u200d\U0001f4bb devs*."
    )


@pytest.mark.parametrize("separator", [":", ",", " -", " \u2013"])
def test_a_comma_or_colon_after_the_mention_runs_the_command(run: Run, separator: str) -> None:
    run(CREATE)
    assert (
        run(f"<@UBOT>{separator} who backend")
        == "<@U1> is on duty for *backend*:\nWatch alerts" + NEXT_U2
    )
    assert run(f"<@UBOT>{separator} list").startswith("Rotations in this channel (1)")


@pytest.mark.parametrize(
    "text", ["<@UBOT> who \ud800", "\udcff\udcfe", "<@UBOT> create x <@U1> \udfff"]
)
def test_text_that_is_not_unicode_is_answered_not_run(run: Run, text: str) -> None:
    reply = run(text)
    assert reply.startswith("That message contains U+D"), reply
    assert "the text is not valid Unicode, so it was not run" in reply
    assert "no rotations in this channel yet" in run("<@UBOT> list")


def test_only_the_person_put_on_duty_is_pinged(run: Run) -> None:
    run(CREATE)
    assert run("<@UBOT> assign backend <@U1>") == "@U1 is already on duty for *backend*."
    assert "<@U9>" not in run("<@UBOT> assign backend <@U9>")
    assert "<@U1>" not in run("<@UBOT> create twice <@U1> <@U1> x")


def test_effects_name_each_duty_change_and_the_people_concerned(dispatcher: Dispatcher) -> None:
    def effects(text: str) -> tuple[list[tuple[str | None, str, str]], set[str]]:
        request = Request(text=f"<@UBOT> {text}", channel="C1", user="U0ME", bot_user_id="UBOT")
        done = dispatcher.handle(request).effects
        changes = [
            (c.before.ref if c.before else None, c.after.ref, c.cause) for c in done.duty_changes
        ]
        return changes, done.concerned

    assert effects("create backend <@U1> <@U2> <@U3> Watch") == (
        [(None, "U1", "create")],
        {"U1", "U2", "U3"},
    )
    assert effects("rotate backend") == ([("U1", "U2", "rotate")], {"U1", "U2"})
    assert effects("assign backend <@U1>") == ([("U2", "U1", "assign")], {"U1", "U2"})
    assert effects("update backend <@U3> <@U4> Watch") == (
        [("U1", "U3", "update")],
        {"U1", "U2", "U3", "U4"},
    )
    assert effects("who backend") == ([], set())
    assert effects("assign backend <@U9>") == ([], set())  # refused: nothing changed
    assert effects("away today") == ([], {"U0ME"})
    assert effects("delete backend") == ([], {"U3", "U4"})


def test_an_unknown_command_is_shown_back_with_its_invisible_characters(run: Run) -> None:
    assert run("<@UBOT> \x00who x").startswith("I don't know the command `U+0000who`.")


READS_ONLY_INVOCATIONS = {
    "who": ["who backend", "who nosuch"],
    "shout": ["shout backend"],
    "about": ["about backend"],
    "help": ["help", "help who"],
    "list": ["list", "list schedules", "list all schedules"],
    "shifts": ["shifts", "shifts <@U2>"],
    "home": ["home"],
}


@pytest.mark.both_engines
def test_commands_that_only_read_answer_through_a_unit_that_cannot_write(
    dispatcher: Dispatcher, repo: PeeweeRepository, run: Run, clock: FakeClock
) -> None:
    """Each command flagged reads_only runs on a read-only snapshot (a write there fails
    and would be answered with an apology), then commits its reply with the event id."""
    assert {name for name, c in COMMANDS.items() if c.reads_only} == set(READS_ONLY_INVOCATIONS)
    run(CREATE)
    run("<@UBOT> away 2030-01-01 2030-01-02", user="U2")
    texts = [t for ts in READS_ONLY_INVOCATIONS.values() for t in ts] + ["", "whoo backend"]
    for n, text in enumerate(texts):
        request = Request(text=f"<@UBOT> {text}", channel="C1", user="U1", bot_user_id="UBOT")
        outcome = dispatcher.handle(request, event_id=f"Ev{n}")
        assert "went wrong" not in outcome.reply.render(str), text
        assert dispatcher.handle(request, event_id=f"Ev{n}").duplicate, text
    rows = repo.claim("me", clock.now, clock.now + timedelta(seconds=9), 100)
    assert len(rows) == len(texts)  # one reply each, none twice


@pytest.mark.both_engines
def test_a_read_only_unit_refuses_to_write(repo: PeeweeRepository, clock: FakeClock) -> None:
    with pytest.raises(Exception, match=r"(?i)read.?only"), repo.reading():
        repo.record_event("Ev1", clock.now)
    with repo.transaction():  # the connection writes again afterwards
        assert repo.record_event("Ev1", clock.now)


@pytest.mark.both_engines
def test_a_read_only_command_does_not_wait_for_the_write_lock(
    dispatcher: Dispatcher, repo: PeeweeRepository, run: Run
) -> None:
    """`who` reads while another worker holds the write lock; only its short commit waits."""
    run(CREATE)
    holding, release = threading.Event(), threading.Event()

    def writer() -> None:
        with repo.transaction():
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    holding.wait(10)
    try:
        with repo.reading():
            assert repo.find("C1", "backend") is not None
        assert thread.is_alive()  # the writer still holds the lock: the read did not wait
    finally:
        release.set()
        thread.join()


@pytest.mark.parametrize("text", ["create", "create   ", "update", "create <#C2|ops>"])
def test_an_empty_create_or_update_says_everything_is_missing(run: Run, text: str) -> None:
    name = text.split()[0]
    assert run(text, channel="D1").startswith(
        f"That `{name}` needs fixing: the rotation name and the list of members are missing."
    )
