"""The `schedule` meta-command as transcripts (clock: Sun 22 Nov 2026 09:00 UTC, Berlin)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.core.dispatcher import Dispatcher
from bot.core.model import Member, Request
from bot.core.schedules import describe_run, parse_schedule
from bot.operators import shown_command
from bot.slack.render import to_slack
from bot.storage.repository import PeeweeRepository
from tests.conftest import FakeClock, Run
from tests.core.test_deactivated import FakeDirectory

CREATE = "<@UBOT> create backend <@U1> <@U2> <@U3> Watch alerts"


@pytest.fixture
def rota(run: Run) -> Run:
    run(CREATE)
    return run


@pytest.mark.parametrize(
    "quoted",
    [
        '"rotate backend"',
        "\u201crotate backend\u201d",
        "\u00abrotate backend\u00bb",
        "\u201erotate backend\u201f",
        "\u201erotate backend\u201c",
        "\u2039rotate backend\u203a",
        "\u275drotate backend\u275e",
        '"rotate   backend "',
    ],
)
def test_every_kind_of_quote_delimits_the_command(quoted: str) -> None:
    args = parse_schedule(f"create {quoted} 0 9 * * Mon-Fri")
    assert (args.command, args.crontab) == ("rotate backend", "0 9 * * Mon-Fri")


def test_create_confirms_in_plain_english_with_the_next_run(rota: Run) -> None:
    assert rota('<@UBOT> schedule create "rotate backend" 0 9 * * Mon-Fri') == (
        "Scheduled `rotate backend` in this channel. Crontab `0 9 * * Mon-Fri` means the "
        "executable will be run at 09:00, Monday through Friday.\n"
        "Next run: Mon 23 Nov 2026 09:00 CET (Europe/Berlin)."
    )


def test_cron_tz_overrides_the_default_zone(rota: Run) -> None:
    reply = rota('<@UBOT> schedule create "who backend" CRON_TZ=America/New_York 0 9 * * *')
    assert "(time zone America/New_York)" in reply
    assert "Next run: Sun 22 Nov 2026 09:00 EST (America/New_York)." in reply
    assert "`0 9 * * *` (America/New_York)" in rota("<@UBOT> schedule list")


def test_macros(rota: Run) -> None:
    assert "Next run: Tue 01 Dec 2026 00:00 CET" in rota(
        '<@UBOT> schedule create "rotate backend" @monthly'
    )


def test_one_schedule_per_command_per_channel(rota: Run) -> None:
    rota('<@UBOT> schedule create "rotate backend" 0 9 * * Mon-Fri')
    reply = rota('<@UBOT> schedule create "rotate  Backend." 0 7 * * *')
    assert reply.startswith("This channel already has a schedule for `rotate backend`")
    assert '`@dienstplan schedule delete "rotate backend"`' in reply
    rota("<@UBOT> create backend <@U1> x", channel="C2")
    assert rota('<@UBOT> schedule create "rotate backend" 0 9 * * *', channel="C2").startswith(
        "Scheduled"
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('schedule create "rotate backend" 0 25 * * *', "hour `25` is out of range 0-23"),
        ('schedule create "rotate backend" 0 9 * *', "expected 5 fields"),
        ('schedule create "rotate backend" 0 9 * * Fri-Mon', "range start is after its end"),
        ('schedule create "rotate backend" 0 0 30 2 *', "never runs"),
        ('schedule create "rotate backend" @reboot', "`@reboot` is not supported"),
        ('schedule create "rotate backend" CRON_TZ=Mars/Base 0 9 * * *', "Mars/Base"),
        ('schedule create "rotate backend"', "the crontab is missing"),
        ("schedule create rotate backend 0 9 * * *", "must be in double quotes"),
        ('schedule create "rotate backend 0 9 * * *', "closing quote is missing"),
        ('schedule create "" 0 9 * * *', "command in quotes is empty"),
        ('schedule create "schedule list" 0 9 * * *', "cannot run `schedule` itself"),
        (
            'schedule create "rotat backend" 0 9 * * *',
            "`rotat` is not a command I know. Did you mean `rotate`?",
        ),
        ('schedule create "frobnicate" 0 9 * * *', "`frobnicate` is not a command I know.\n"),
        ('schedule create "assign backend" 0 9 * * *', "the person to assign is missing"),
        ("schedule", "say what to do"),
        ("schedule frobnicate", "`frobnicate` is not one of create, delete, list, explain."),
        (
            "schedule lsit",
            "is not one of create, delete, list, explain. Did you mean `schedule list`?",
        ),
        ("schedule Creat", "Did you mean `schedule create`?"),
    ],
)
def test_bad_schedules_are_refused_now_with_usage(rota: Run, text: str, problem: str) -> None:
    reply = rota(f"<@UBOT> {text}")
    assert reply.startswith("That `schedule` needs fixing:"), reply
    assert problem in reply
    assert 'Example: `@dienstplan schedule create "rotate backend-rota" 0 9 * * Mon-Fri`' in reply


def test_a_misspelled_rotation_is_refused_now(rota: Run) -> None:
    assert "Did you mean *backend*?" in rota('<@UBOT> schedule create "rotate backnd" 0 9 * * *')


def test_list_and_delete(rota: Run) -> None:
    assert "There are no schedules in this channel." in rota("<@UBOT> schedule list")
    rota('<@UBOT> schedule create "rotate backend" 0 9 * * Mon-Fri')
    rota('<@UBOT> schedule create "shout backend" */30 9-17 * * 1-5')
    assert rota("<@UBOT> schedule list") == (
        "Schedules in this channel (2):\n"
        "• `rotate backend`: `0 9 * * Mon-Fri` (Europe/Berlin), at 09:00, Monday through "
        "Friday. Next run: Mon 23 Nov 2026 09:00 CET\n"
        "• `shout backend`: `*/30 9-17 * * 1-5` (Europe/Berlin), every 30 minutes, between "
        "09:00 and 17:59, Monday through Friday. Next run: Mon 23 Nov 2026 09:00 CET"
    )
    assert rota('<@UBOT> schedule delete "rotate backend"') == (
        "Deleted the schedule for `rotate backend` (`0 9 * * Mon-Fri`)."
    )
    assert "There is no schedule for `rotate backend`" in rota(
        '<@UBOT> schedule delete "rotate backend"'
    )
    assert rota("<@UBOT> schedule delete shout backend").startswith("Deleted the schedule")


def test_explain_uses_the_reference_wording_and_lists_five_runs(rota: Run) -> None:
    assert rota("<@UBOT> schedule explain 0 22 * */2 Mon-Fri") == (
        "Crontab `0 22 * */2 Mon-Fri` means the executable will be run at 22:00, Monday through "
        "Friday, every 2 months\n"
        "The next 5 runs (Europe/Berlin):\n"
        "• Mon 23 Nov 2026 22:00 CET\n• Tue 24 Nov 2026 22:00 CET\n• Wed 25 Nov 2026 22:00 CET\n"
        "• Thu 26 Nov 2026 22:00 CET\n• Fri 27 Nov 2026 22:00 CET"
    )


def test_explain_or_rule_and_dst(rota: Run) -> None:
    assert "or on Monday" in rota("<@UBOT> schedule explain 0 9 1 * Mon")
    reply = rota("<@UBOT> schedule explain CRON_TZ=Europe/Berlin 30 2 28 3 *")
    assert "• Sun 28 Mar 2027 03:00 CEST" in reply  # skipped 02:30 runs at the first valid time


def test_deleting_a_rotation_deletes_its_schedules_and_says_so(rota: Run) -> None:
    rota("<@UBOT> create other <@U1> x")
    rota('<@UBOT> schedule create "rotate backend" 0 9 * * *')
    rota('<@UBOT> schedule create "who Backend" 0 10 * * *')
    rota('<@UBOT> schedule create "rotate other" 0 9 * * *')
    assert rota("<@UBOT> delete backend") == (
        "Deleted rotation *backend* and its 2 schedules: `rotate backend`, `who Backend`."
    )
    assert "`rotate other`" in rota("<@UBOT> schedule list")


def test_schedule_changes_wake_the_scheduler(
    dispatcher: Dispatcher, rota: Run, repo: PeeweeRepository
) -> None:
    woken: list[bool] = []
    dispatcher.on_schedules_changed = lambda: woken.append(True)
    rota('<@UBOT> schedule create "rotate backend" 0 9 * * *')
    rota("<@UBOT> schedule list")
    rota('<@UBOT> schedule create "rotate backend" 0 99 * * *')  # refused: no change
    rota('<@UBOT> schedule delete "rotate backend"')
    assert woken == [True, True]


def test_a_scheduled_create_does_not_need_the_rotation_to_exist(rota: Run) -> None:
    assert rota('<@UBOT> schedule create "create weekend <@U1> pager" @weekly').startswith(
        "Scheduled `create weekend` @U1 `pager`"
    )


def test_uneven_steps_are_explained_as_cron_runs_them(rota: Run) -> None:
    assert "at 00:00 and 15:00" in rota("<@UBOT> schedule explain 0 */15 * * *")
    assert "on day 1, 11, 21, and 31 of the month" in rota("<@UBOT> schedule explain 0 9 */10 * *")


def test_a_command_that_fails_now_is_not_scheduled(rota: Run) -> None:
    assert rota('<@UBOT> schedule create "assign backend <@U0ZED>" * * * * *') == (
        "Not scheduled: `assign backend` @U0ZED fails now. @U0ZED is not a member of "
        "*backend*, so they can't be assigned. `@dienstplan about backend` lists the members; "
        "`@dienstplan update` changes them."
    )
    assert "There are no schedules in this channel." in rota("<@UBOT> schedule list")


def test_the_dry_run_leaves_no_trace(rota: Run, dispatcher: Dispatcher) -> None:
    woken: list[bool] = []
    dispatcher.on_schedules_changed = lambda: woken.append(True)
    rota('<@UBOT> schedule create "rotate backend" 0 9 * * *')
    rota('<@UBOT> schedule create "delete backend" 0 9 1 1 *')
    rota('<@UBOT> schedule create "create weekend <@U1> pager" @weekly')
    assert rota("<@UBOT> shout backend") == "<@U1> is on duty for *backend*."
    assert "There is no rotation *weekend*" in rota("<@UBOT> who weekend")
    assert rota("<@UBOT> schedule list").startswith("Schedules in this channel (3):")
    assert woken == [True, True, True]


def test_a_scheduled_create_of_an_existing_rotation_is_refused(rota: Run) -> None:
    assert rota('<@UBOT> schedule create "create backend <@U1> x" @weekly').startswith(
        "Not scheduled: `create backend` @U1 `x` fails now. A rotation named *backend* "
        "already exists in this channel."
    )


def _other_zone(repo: PeeweeRepository, clock: FakeClock, zone: str) -> Run:
    """The same database seen by a process configured with another DIENSTPLAN_TIMEZONE."""
    other = Dispatcher(
        repo=repo,
        schedules=repo,
        away=repo,
        notifications=repo,
        clock=clock,
        timezone=ZoneInfo(zone),
    )

    def _run(text: str) -> str:
        request = Request(text=text, channel="C1", user="U0ME", bot_user_id="UBOT")
        return other.handle(request).reply.render(Member.plain)

    return _run


def test_list_shows_the_zone_the_next_run_was_computed_in(
    rota: Run, repo: PeeweeRepository, clock: FakeClock
) -> None:
    utc = _other_zone(repo, clock, "UTC")
    assert utc('<@UBOT> schedule create "rotate backend" 0 9 * * *').endswith(
        "Next run: Mon 23 Nov 2026 09:00 UTC."
    )
    for listing in (rota("<@UBOT> schedule list"), utc("<@UBOT> schedule list")):
        # a Berlin process shows it as stored, not as 09:00 Berlin
        assert "`0 9 * * *` (UTC), at 09:00" in listing
        assert listing.endswith("Next run: Mon 23 Nov 2026 09:00 UTC")


def test_help_schedule_shows_every_subcommand(rota: Run) -> None:
    assert rota("<@UBOT> help schedule") == (
        "`@dienstplan schedule <create|delete|list|explain> [<arguments>]`\n"
        "runs a command in this channel on a vixie-cron schedule: create, delete, list, "
        "explain.\n"
        '• `@dienstplan schedule create "<command>" <crontab>` runs the command (any command '
        "but `schedule`, in double quotes) in this channel on the crontab, in the bot's time "
        "zone unless the crontab starts with `CRON_TZ=<zone>`.\n"
        '  Example: `@dienstplan schedule create "rotate backend-rota" 0 9 * * Mon-Fri`\n'
        '• `@dienstplan schedule delete "<command>"` removes this channel\'s schedule for the '
        "command.\n"
        '  Example: `@dienstplan schedule delete "rotate backend-rota"`\n'
        "• `@dienstplan schedule list` shows this channel's schedules with their zones and next "
        "runs.\n"
        "  Example: `@dienstplan schedule list`\n"
        "• `@dienstplan schedule explain <crontab>` explains a crontab in plain English and "
        "shows its next five runs.\n"
        "  Example: `@dienstplan schedule explain 0 9 * * Mon-Fri`"
    )


def test_schedule_list_takes_nothing_after_it(rota: Run) -> None:
    assert rota("<@UBOT> schedule list extra") == (
        "That `schedule` needs fixing: `schedule list` takes nothing after it, not `extra`.\n"
        "`@dienstplan schedule list`\nshows this channel's schedules with their zones and next "
        "runs.\nExample: `@dienstplan schedule list`"
    )


def test_help_for_one_subcommand(rota: Run) -> None:
    assert rota("<@UBOT> help schedule create") == (
        '`@dienstplan schedule create "<command>" <crontab>`\n'
        "runs the command (any command but `schedule`, in double quotes) in this channel on "
        "the crontab, in the bot's time zone unless the crontab starts with `CRON_TZ=<zone>`.\n"
        'Example: `@dienstplan schedule create "rotate backend-rota" 0 9 * * Mon-Fri`'
    )
    assert rota("<@UBOT> help schedule frob").startswith(
        "`schedule` has no subcommand `frob`; it has create, delete, list, explain.\n\n"
        "`@dienstplan schedule <create|delete|list|explain> [<arguments>]`"
    )
    assert rota("<@UBOT> help schedule Create").startswith('`@dienstplan schedule create "')
    assert rota("<@UBOT> help schedule create extra words").startswith(
        "`help schedule create` takes nothing after it, not `extra words`.\n\n"
        '`@dienstplan schedule create "<command>" <crontab>`'
    )
    assert rota("<@UBOT> help who backend").startswith(
        "`help who` takes nothing after it, not `backend`.\n\n`@dienstplan who <rotation name>`"
    )
    assert rota("<@UBOT> help schedule lsit").startswith(
        "`schedule` has no subcommand `lsit`; it has create, delete, list, explain. "
        "Did you mean `help schedule list`?\n\n"
    )


@pytest.mark.parametrize(
    ("text", "usage", "example"),
    [
        (
            "schedule delete",
            '`@dienstplan schedule delete "<command>"`',
            '`@dienstplan schedule delete "rotate backend-rota"`',
        ),
        (
            "schedule explain",
            "`@dienstplan schedule explain <crontab>`",
            "`@dienstplan schedule explain 0 9 * * Mon-Fri`",
        ),
        (
            "schedule explain 0 9 * *",
            "`@dienstplan schedule explain <crontab>`",
            "`@dienstplan schedule explain 0 9 * * Mon-Fri`",
        ),
    ],
)
def test_a_subcommand_usage_error_shows_that_subcommand(
    rota: Run, text: str, usage: str, example: str
) -> None:
    reply = rota(f"<@UBOT> {text}")
    assert reply.startswith("That `schedule` needs fixing:"), reply
    assert f"\n{usage}\n" in reply and reply.endswith(f"Example: {example}")
    assert "schedule create" not in reply


def test_explain_with_a_quoted_command_points_at_the_quotes(rota: Run) -> None:
    assert rota('<@UBOT> schedule explain "rotate backend" 0 9 * * *') == (
        "That `schedule` needs fixing: `schedule explain` takes only a crontab, so leave out "
        "the command in quotes: `@dienstplan schedule explain 0 9 * * *`. To run a command on "
        'that crontab, use `@dienstplan schedule create "rotate backend" 0 9 * * *`.\n'
        "`@dienstplan schedule explain <crontab>`\n"
        "explains a crontab in plain English and shows its next five runs.\n"
        "Example: `@dienstplan schedule explain 0 9 * * Mon-Fri`"
    )


def test_explain_with_an_unquoted_command_says_how_to_schedule_it(rota: Run) -> None:
    assert rota("<@UBOT> schedule explain rotate backend 0 9 * * *").startswith(
        "That `schedule` needs fixing: `schedule explain` takes only a crontab, and it starts "
        "with the command `rotate`. To run a command on a crontab, use "
        '`@dienstplan schedule create "rotate backend-rota" 0 9 * * Mon-Fri`.'
    )


def test_the_create_that_explain_suggests_names_a_channel_in_a_dm(rota: Run) -> None:
    """In a DM `schedule create` needs a `#channel`: the suggestion has it."""
    quoted = rota('<@UBOT> schedule explain "rotate ops" 0 9 * * *', channel="D1")
    assert 'use `@dienstplan schedule create #channel "rotate ops" 0 9 * * *`.' in quoted
    unquoted = rota("<@UBOT> schedule explain rotate ops 0 9 * * *", channel="D1")
    assert 'use `@dienstplan schedule create #channel "rotate backend-rota"' in unquoted
    assert rota("<@UBOT> schedule list <#C2>", channel="D1") == (
        "There are no schedules in <#C2>. Create one with "
        '`@dienstplan schedule create <#C2> "rotate backend-rota" 0 9 * * Mon-Fri`.'
    )


def _slack(dispatcher: Dispatcher, text: str) -> str:
    """The reply as posted to Slack, with display names `name-<id>`."""
    request = Request(text=text, channel="C1", user="U0ME", bot_user_id="UBOT")
    return to_slack(dispatcher.handle(request).reply, lambda member: f"name-{member.ref}")


def test_a_refused_schedule_names_people_as_the_command_does(
    rota: Run, dispatcher: Dispatcher, repo: PeeweeRepository
) -> None:
    directory = FakeDirectory(repo)
    directory.gone = {"U0DAVE"}
    dispatcher.directory = directory
    direct = _slack(dispatcher, "<@UBOT> create other <@U0DAVE> x")
    assert direct.startswith("name-U0DAVE is deactivated in Slack")
    assert _slack(dispatcher, '<@UBOT> schedule create "create other <@U0DAVE> x" 0 9 * * *') == (
        f"Not scheduled: `create other` name-U0DAVE `x` fails now. {direct}"
    )
    assert _slack(dispatcher, '<@UBOT> schedule create "assign backend <@U9>" 0 9 * * *') == (
        "Not scheduled: `assign backend` name-U9 fails now. name-U9 is not a member of "
        "*backend*, so they can't be assigned. `@dienstplan about backend` lists the members; "
        "`@dienstplan update` changes them."
    )


def test_a_scheduled_command_is_shown_one_way_everywhere(
    rota: Run, dispatcher: Dispatcher, repo: PeeweeRepository
) -> None:
    """People in it by name without a ping (a mention pings even in a code span), the rest as
    escaped code."""
    slack = lambda text: _slack(dispatcher, f"<@UBOT> {text}")  # noqa: E731
    shown = "`assign backend` name-U2"
    assert slack('schedule create "assign backend <@U2>" 0 9 * * *').startswith(
        f"Scheduled {shown} in this channel."
    )
    assert slack('schedule create "assign backend <@U2>" 0 7 * * *').startswith(
        f"This channel already has a schedule for {shown} (`0 9 * * *`). Delete it first with "
        '`@dienstplan schedule delete "assign backend` name-U2 `"`.'
    )
    slack("create a&lt;b <@U1> x")
    slack('schedule create "who a&lt;b" 0 9 * * *')
    listing = slack("schedule list")
    assert f"\n• {shown}: `0 9 * * *`" in listing
    assert "\n• `who a&lt;b`: `0 9 * * *`" in listing
    with repo.transaction():
        schedule = repo.all_schedules()[0]
    notice = to_slack(describe_run(schedule), lambda member: f"name-{member.ref}")
    assert notice == f"Executing {shown} on schedule `0 9 * * *`."
    assert slack('schedule delete "who nothing"') == (
        "There is no schedule for `who nothing` in this channel. This channel's schedules: "
        f"{shown}, `who a&lt;b`."
    )
    assert slack("delete backend") == f"Deleted rotation *backend* and its 1 schedule: {shown}."
    assert slack("delete a&lt;b") == "Deleted rotation *a&lt;b* and its 1 schedule: `who a&lt;b`."


def test_the_operators_listing_shows_a_command_as_replies_do() -> None:
    assert shown_command("assign backend <@U2> a&lt;b &amp; c") == "assign backend @U2 a<b & c"


def test_a_mentions_label_makes_no_other_schedule(rota: Run) -> None:
    """Slack clients send `<@U1|name>` or `<@U1>`; a channel's label changes with its name."""
    assert rota('<@UBOT> schedule create "assign backend <@U2|bob>" 0 9 * * *').startswith(
        "Scheduled `assign backend` @bob"
    )
    assert rota('<@UBOT> schedule create "assign backend <@U2>" 0 10 * * *').startswith(
        "This channel already has a schedule for `assign backend` @bob"
    )
    assert rota('<@UBOT> schedule delete "assign backend <@U2|Bob>"').startswith(
        "Deleted the schedule for `assign backend` @bob"
    )


def test_delete_takes_the_command_as_create_did(rota: Run) -> None:
    """`who <#C1> backend` typed in C1 was stored as `who backend`."""
    rota('<@UBOT> schedule create "who <#C1|team> backend" 0 9 * * *')
    assert rota('<@UBOT> schedule delete "who <#C1|team> backend"') == (
        "Deleted the schedule for `who backend` (`0 9 * * *`)."
    )


def test_a_crontab_in_quotes_is_read_as_one(rota: Run) -> None:
    """People quote arguments: a crontab in quotes of its own is still the crontab."""
    assert rota('<@UBOT> schedule create "rotate backend" "0 9 * * *"').startswith(
        "Scheduled `rotate backend` in this channel."
    )
    assert rota('<@UBOT> schedule explain "0 9 * * Mon"') == rota(
        "<@UBOT> schedule explain 0 9 * * Mon"
    )
    assert "leave out the command in quotes" in rota('<@UBOT> schedule explain "who x"')


def test_a_schedule_stored_with_a_label_in_its_key_is_still_found(
    rota: Run, repo: PeeweeRepository, clock: FakeClock
) -> None:
    """Before labels stopped counting, `<@U2|bob>` was part of the key: such a schedule
    still refuses its twin and is deleted by the command without the label."""
    with repo.transaction():
        repo.add_schedule(
            channel="C1",
            command="assign backend <@U2|bob>",
            command_key="assign backend <@u2|bob>",
            rotation_key="backend",
            crontab="0 9 * * *",
            timezone=None,
            zone="Europe/Berlin",
            created_by="U0ME",
            now=clock(),
            next_run_at=clock(),
        )
    assert rota('<@UBOT> schedule create "assign backend <@U2>" 0 10 * * *').startswith(
        "This channel already has a schedule for `assign backend` @bob"
    )
    assert rota('<@UBOT> schedule delete "assign backend <@U2>"').startswith(
        "Deleted the schedule for `assign backend` @bob"
    )


def test_deleting_a_schedule_of_a_command_that_takes_no_channel(rota: Run) -> None:
    assert rota('<@UBOT> schedule delete "away <#C1>"').startswith(
        "There is no schedule for `away <#C1>` in this channel."
    )
