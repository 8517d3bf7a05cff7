"""The `schedule` meta-command: run bot commands in a channel on a vixie-cron crontab."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from bot.core import cron
from bot.core.commands import (
    BOT_HANDLE,
    Command,
    Context,
    Effects,
    InDm,
    Subcommand,
    rotation_named,
)
from bot.core.errors import DomainError, UsageError
from bot.core.limits import SCHEDULES_PER_CHANNEL, refuse_more
from bot.core.model import Reply, ReplyPart, Rotation, Schedule, code, typed
from bot.core.parser import (
    channel_mention,
    clean_name,
    command_list,
    command_parts,
    name_key,
    normalise_spaces,
    nothing_after,
    split_channel,
    split_command,
    split_word,
    without_labels,
)
from bot.core.permissions import require_may_change
from bot.core.shifts import is_handoff
from bot.core.suggest import closest
from bot.core.text import inert

# Opening and closing quotes people type or their keyboards substitute: straight, English
# and German curly quotes, guillemets both ways, and the heavy ornament quotes.
QUOTES = '"\u201c\u201d\u201e\u201f\u00ab\u00bb\u2039\u203a\u275d\u275e'
EXAMPLE = f'{BOT_HANDLE} schedule create "rotate backend-rota" 0 9 * * Mon-Fri'
NEXT_RUNS_SHOWN = 5
SUBCOMMANDS = (
    Subcommand(
        "create",
        "runs the command (any command but `schedule`, in double quotes) in this channel on "
        "the crontab, in the bot's time zone unless the crontab starts with `CRON_TZ=<zone>`.",
        '"<command>" <crontab>',
        EXAMPLE,
    ),
    Subcommand(
        "delete",
        "removes this channel's schedule for the command.",
        '"<command>"',
        f'{BOT_HANDLE} schedule delete "rotate backend-rota"',
    ),
    Subcommand(
        "list",
        "shows this channel's schedules with their zones and next runs.",
        "",
        f"{BOT_HANDLE} schedule list",
    ),
    Subcommand(
        "explain",
        "explains a crontab in plain English and shows its next five runs.",
        "<crontab>",
        f"{BOT_HANDLE} schedule explain 0 9 * * Mon-Fri",
    ),
)
_NAMES = ", ".join(s.name for s in SUBCOMMANDS)


@dataclass(frozen=True)
class ScheduleArgs:
    subcommand: str
    command: str = ""
    crontab: str = ""
    quoted: bool = False  # `explain` given a command in quotes, which it does not take


def command_key(command: str) -> str:
    """`rotate Backend.` and `rotate backend` are the same schedule, and so are `assign x
    <@U1|bob>` and `assign x <@U1>`."""
    return name_key(clean_name(without_labels(command)))


def _usage(problem: str, subcommand: str | None = None) -> UsageError:
    return UsageError("schedule", problem, subcommand=subcommand)


# A crontab put in quotes of its own after the command's: `"rotate x" "0 9 * * *"`.
_QUOTED_LAST = re.compile(f"[{QUOTES}]\\s+[{QUOTES}](?P<crontab>[^{QUOTES}]+)[{QUOTES}]$")


def _quoted(text: str) -> bool:
    return bool(text) and text[0] in QUOTES


def _split_quoted(text: str, subcommand: str) -> tuple[str, str]:
    """`"rotate x" 0 9 * * *` -> ("rotate x", "0 9 * * *"). The command may itself contain
    quotes, so it ends at the last quote (a crontab never has one)."""
    text = text.strip()
    if not _quoted(text):
        example = next(s.example for s in SUBCOMMANDS if s.name == subcommand)
        written = example.removeprefix(f"{BOT_HANDLE} ")
        raise _usage(f"the command must be in double quotes, e.g. `{written}`.", subcommand)
    end = max(text.rfind(q) for q in QUOTES)
    if end == 0:
        raise _usage("the command's closing quote is missing.", subcommand)
    crontab = " ".join(normalise_spaces(text[end + 1 :]).split())
    quoted_crontab = None if crontab else _QUOTED_LAST.search(text[: end + 1])
    if quoted_crontab is not None and quoted_crontab.start() > 0:  # `"rotate x" "0 9 * * *"`
        end, crontab = quoted_crontab.start(), " ".join(quoted_crontab["crontab"].split())
    command = " ".join(text[1:end].split())
    if not command:
        raise _usage("the command in quotes is empty.", subcommand)
    return command, crontab


def _explain_args(tail: str) -> ScheduleArgs:
    if not tail:
        raise _usage(
            "the crontab to explain is missing, e.g. `schedule explain 0 9 * * 1-5`.", "explain"
        )
    if not _quoted(tail):
        return ScheduleArgs("explain", crontab=" ".join(tail.split()))
    try:
        command, crontab = _split_quoted(tail, "explain")
    except UsageError:
        command, crontab = "", ""
    return ScheduleArgs("explain", command, crontab, quoted=True)


def _create_example(ctx: Context, command: str, crontab: str) -> str:
    """`schedule create` as the user would write it where they are: naming the channel the
    command acts on when typed elsewhere, and a channel to pick in a DM."""
    if ctx.request.elsewhere:
        where = f" {channel_mention(ctx.request.channel)}"
    else:
        where = " #channel" if ctx.request.direct else ""
    return f'{BOT_HANDLE} schedule create{where} "{command}" {crontab}'


def _explain_quoted(ctx: Context, args: ScheduleArgs) -> UsageError:
    crontab = args.crontab or "0 9 * * Mon-Fri"
    return UsageError(
        "schedule",
        "`schedule explain` takes only a crontab, so leave out the command in quotes: "
        f"`{BOT_HANDLE} schedule explain {crontab}`. To run a command on that crontab, use ",
        *command_parts(_create_example(ctx, args.command or "rotate backend-rota", crontab)),
        ".",
        subcommand="explain",
    )


def _channel_first(channel: str, written: str, tail: str) -> UsageError:
    """`schedule #ops list`: where the channel goes, as the command to write. A `#ops` that
    came as text must be picked from Slack's list to become a channel."""
    then, after = split_word(tail)
    then = then.casefold() if then.casefold() in {s.name for s in SUBCOMMANDS} else "list"
    if then == "explain":
        example = " ".join(f"{BOT_HANDLE} schedule explain {after}".split())
        return _usage(f"`schedule explain` takes no channel: `{example}`.", "explain")
    link = written.startswith("<")
    shown = channel_mention(channel) if link else written
    example = " ".join(f"{BOT_HANDLE} schedule {then} {shown} {after}".split())
    picked = "" if link else ", with the channel picked from the list Slack opens as you type `#`"
    return _usage(f"the channel goes after the subcommand, as in `{example}`{picked}.", then)


def parse_schedule(rest: str) -> ScheduleArgs:
    written, tail = split_word(rest)
    sub = written.casefold()
    if not sub:
        raise _usage(f"say what to do: one of {_NAMES}.")
    channel, _ = split_channel(written, typed=True)
    if channel is not None:  # `schedule #ops list` (a `#ops` typed as text too)
        raise _channel_first(channel, written, tail)
    if sub not in {s.name for s in SUBCOMMANDS}:
        hint = closest(sub, [s.name for s in SUBCOMMANDS])
        raise UsageError(
            "schedule",
            typed(written[:30]),
            f" is not one of {_NAMES}." + (f" Did you mean `schedule {hint}`?" if hint else ""),
        )
    if sub == "list":
        nothing_after("schedule", tail, subcommand="list")
        return ScheduleArgs("list")
    if sub == "explain":
        return _explain_args(normalise_spaces(tail).strip())
    if sub == "delete":
        command = _split_quoted(tail, sub)[0] if _quoted(tail) else " ".join(tail.split())
        if not command:
            raise _usage("the command of the schedule to delete is missing, in quotes.", sub)
        return ScheduleArgs("delete", command=command)
    command, crontab = _split_quoted(tail, sub)
    if not crontab:
        raise _usage(
            "the crontab is missing after the quoted command, e.g. `0 9 * * Mon-Fri`.", sub
        )
    return ScheduleArgs("create", command=command, crontab=crontab)


def _parse_cron(text: str, subcommand: str) -> cron.CronSpec:
    try:
        return cron.parse(text)
    except cron.CronError as error:
        # the error quotes the crontab: its `<@U…>` must show as text, not ping
        raise _usage(f"the crontab is not valid: {inert(str(error))}.", subcommand) from error


def run_zone(spec: cron.CronSpec, default_tz: str) -> str:
    """The zone a schedule runs in: its CRON_TZ, else the process's configured zone."""
    return spec.timezone or default_tz


def next_run(spec: cron.CronSpec, after: datetime, default_tz: str) -> datetime:
    try:
        return cron.next_run(spec, after, default_tz)
    except cron.CronError as error:
        raise DomainError(f"That crontab never runs: {inert(str(error))}.") from error


def schedule_line(schedule: Schedule, default_tz: str) -> list[ReplyPart]:
    """One schedule as `list` shows it: in the zone its stored next run was computed in, so
    the zone, the meaning and the next run agree with when it really runs."""
    spec = cron.parse(schedule.cron_text)
    zone = schedule.shown_zone(default_tz)
    when = (
        cron.format_run(schedule.next_run_at, zone) if schedule.next_run_at else "never (stopped)"
    )
    return [
        *command_parts(schedule.command),
        f": `{schedule.crontab}` ({zone}), {cron.describe(spec)}. Next run: {when}",
    ]


class _Rollback(Exception):
    """Ends a dry run that succeeded, so its savepoint is rolled back."""


def _dry_run(ctx: Context, command: Command, args: object, text: str) -> None:
    """Run the command now in a savepoint that is always rolled back: a command that fails
    against the current state (no such rotation, not a member, ...) is refused today rather
    than failing on every run."""
    trial = replace(ctx, request=replace(ctx.request, text=text), effects=Effects())
    try:
        with ctx.repo.transaction():
            command.run(trial, args)
            raise _Rollback
    except _Rollback:
        return
    except DomainError as error:
        raise DomainError(
            "Not scheduled: ", *command_parts(text), " fails now. ", *error.reply.parts
        ) from error


def _validate_command(ctx: Context, text: str) -> tuple[str, str | None]:
    """The scheduled command, parsed and dry-run now, so a typo or a doomed command fails
    today."""
    invocation = split_command(text, ctx.request.bot_user_id)
    command = ctx.commands.get(invocation.command)
    if command is None:
        runnable = [name for name in ctx.commands if name != "schedule"]
        hint = closest(invocation.command, runnable) if invocation.command else None
        raise UsageError(
            "schedule",
            *([code(invocation.word)] if invocation.command else command_parts(text)),
            f" is not a command I know. Did you mean `{hint}`?"
            if hint
            else " is not a command I know.",
            subcommand="create",
        )
    if command.name == "schedule":
        raise _usage("a schedule cannot run `schedule` itself.", "create")
    try:
        args = command.parse(command.locate(invocation.rest, ctx.request.source == "console")[1])
    except UsageError as error:
        raise UsageError(
            "schedule",
            "the command ",
            *command_parts(text),
            " would fail: ",
            *error.reply.parts,
            f" Its usage: {command.usage_line()}",
            subcommand="create",
        ) from error
    normalised = f"{command.name} {_in_this_channel(ctx, command, invocation.rest)}".strip()
    rotation = rotation_named(command, args)
    existing = ctx.repo.find(ctx.request.channel, rotation) if rotation else None
    if existing is not None:
        require_may_change(ctx, existing, "schedule commands for")
    _dry_run(ctx, command, args, normalised)
    return normalised, rotation


def _in_this_channel(ctx: Context, command: Command, rest: str) -> str:
    """The scheduled command's arguments without a `#channel` naming the schedule's own
    channel; a schedule runs in its channel, so naming another one is refused."""
    channel, without = command.locate(rest, ctx.request.source == "console")
    if channel is None:
        return rest
    if channel != ctx.request.channel:
        raise _usage(
            f"a schedule runs its command in the schedule's channel, so the command cannot name "
            f"{channel_mention(channel)}. Name the channel after `schedule create` instead: "
            f'`{BOT_HANDLE} schedule create #channel "{command.name} …" <crontab>`.',
            "create",
        )
    return without


def _create(ctx: Context, args: ScheduleArgs) -> Reply:
    command, rotation = _validate_command(ctx, args.command)
    spec = _parse_cron(args.crontab, "create")
    known = ctx.schedules.channel_schedules(ctx.request.channel)
    existing = _find_schedule(known, command_key(command))
    if existing is not None:
        raise DomainError(
            "This channel already has a schedule for ",
            *command_parts(existing.command),
            f" (`{existing.cron_text}`). Delete it first with ",
            *command_parts(f'{BOT_HANDLE} schedule delete "{existing.command}"'),
            ".",
        )
    refuse_more(
        SCHEDULES_PER_CHANNEL,
        len(known),
        f"`{BOT_HANDLE} schedule list` shows them; `{BOT_HANDLE} schedule delete` removes one.",
    )
    zone = run_zone(spec, ctx.timezone.key)
    first = next_run(spec, ctx.now, zone)
    schedule = ctx.schedules.add_schedule(
        channel=ctx.request.channel,
        command=command,
        command_key=command_key(command),
        rotation_key=name_key(rotation) if rotation else None,
        crontab=spec.expression,
        timezone=spec.timezone,
        zone=zone,
        created_by=ctx.request.user,
        now=ctx.now,
        next_run_at=first,
    )
    ctx.effects.schedules_changed = True
    _handoffs_changed(ctx, schedule)
    return Reply.of(
        "Scheduled ",
        *command_parts(command),
        f" in {ctx.here()}. {cron.explain(spec)}.\nNext run: {_run_in_zone(first, zone)}.",
    )


def _handoffs_changed(ctx: Context, schedule: Schedule) -> None:
    """A `rotate` schedule gives a rotation its handoff times: every member's shifts (and
    App Home) change with it."""
    rotation = _rotation_of(ctx, schedule.command) if is_handoff(schedule) else None
    if rotation is not None:
        ctx.effects.members_changed(ctx.repo.members(rotation))


def _run_in_zone(run: datetime, zone: str) -> str:
    """`Mon 23 Nov 2026 09:00 CET (Europe/Berlin)`; UTC is not named twice."""
    shown = cron.format_run(run, zone)
    return shown if shown.endswith(f" {zone}") else f"{shown} ({zone})"


def _delete(ctx: Context, args: ScheduleArgs) -> Reply:
    invocation = split_command(args.command, ctx.request.bot_user_id)
    rest = invocation.rest
    command = ctx.commands.get(invocation.command)
    if command is not None:  # written as `schedule create` took it: this channel named or not
        try:
            channel, without = command.locate(rest, ctx.request.source == "console")
        except UsageError:  # a channel where the command takes none: no such schedule
            channel, without = None, rest
        rest = without if channel == ctx.request.channel else rest
    known = ctx.schedules.channel_schedules(ctx.request.channel)
    schedule = _find_schedule(known, command_key(f"{invocation.command} {rest}"))
    if schedule is None:
        owner = "Its" if ctx.request.elsewhere else "This channel's"
        raise DomainError(
            "There is no schedule for ",
            *command_parts(args.command),
            f" in {ctx.here()}. {owner} schedules: ",
            *(command_list([s.command for s in known]) if known else ["none"]),
            ".",
        )
    rotation = _rotation_of(ctx, schedule.command)
    if rotation is not None:
        require_may_change(ctx, rotation, "delete the schedules of")
    ctx.schedules.delete_schedule(schedule)
    ctx.effects.schedules_changed = True
    _handoffs_changed(ctx, schedule)
    return Reply.of(
        "Deleted the schedule for ",
        *command_parts(schedule.command),
        f" (`{schedule.cron_text}`).",
    )


def _find_schedule(known: list[Schedule], key: str) -> Schedule | None:
    """The schedule of the command with this key among a channel's (at most 100), by their
    commands rather than their stored keys: one stored before a mention's label stopped
    counting has a key with the label."""
    return next((s for s in known if command_key(s.command) == key), None)


def _rotation_of(ctx: Context, text: str) -> Rotation | None:
    """The existing rotation a stored schedule's command names, if any."""
    invocation = split_command(text)
    command = ctx.commands.get(invocation.command)
    if command is None:
        return None
    try:
        name = rotation_named(command, command.parse(invocation.rest))
    except UsageError:  # stored by an older version with other rules: it names none now
        return None
    return ctx.repo.find(ctx.request.channel, name) if name else None


def _list(ctx: Context, _: ScheduleArgs) -> Reply:
    schedules = ctx.schedules.channel_schedules(ctx.request.channel)
    if not schedules:
        example = _create_example(ctx, "rotate backend-rota", "0 9 * * Mon-Fri")
        return Reply.of(f"There are no schedules in {ctx.here()}. Create one with `{example}`.")
    parts: list[ReplyPart] = [f"Schedules in {ctx.here()} ({len(schedules)}):"]
    for schedule in schedules:
        parts += ["\n• ", *schedule_line(schedule, ctx.timezone.key)]
    return Reply.of(*parts)


def _explain(ctx: Context, args: ScheduleArgs) -> Reply:
    if args.quoted:  # a command in quotes; or the crontab itself, which is explained
        if args.crontab or not _is_crontab(args.command):
            raise _explain_quoted(ctx, args)
        args = ScheduleArgs("explain", crontab=args.command)
    head = args.crontab.split()[0].casefold()
    if head in ctx.commands:
        example = _create_example(ctx, "rotate backend-rota", "0 9 * * Mon-Fri")
        raise _usage(
            "`schedule explain` takes only a crontab, and it starts with the command "
            f"`{head}`. To run a command on a crontab, use `{example}`.",
            "explain",
        )
    spec = _parse_cron(args.crontab, "explain")
    zone = run_zone(spec, ctx.timezone.key)
    try:
        runs = cron.next_runs(spec, ctx.now, zone, NEXT_RUNS_SHOWN)
    except cron.CronError as error:
        raise DomainError(f"That crontab never runs: {inert(str(error))}.") from error
    lines = [cron.explain(spec), f"The next {len(runs)} runs ({zone}):"]
    lines += [f"• {cron.format_run(run, zone)}" for run in runs]
    return Reply.of("\n".join(lines))


def _is_crontab(text: str) -> bool:
    """`schedule explain "0 9 * * *"`: quotes around the crontab, not a command."""
    try:
        _parse_cron(text, "explain")
    except UsageError:
        return False
    return True


_HANDLERS = {"create": _create, "delete": _delete, "list": _list, "explain": _explain}


def run_schedule(ctx: Context, args: ScheduleArgs) -> Reply:
    return _HANDLERS[args.subcommand](ctx, args)


def locate_schedule(rest: str, typed: bool) -> tuple[str | None, str]:
    """`create #backend "rotate ops" …`: the channel comes right after the subcommand."""
    sub, tail = split_word(rest)
    channel, without = split_channel(tail, typed=typed)
    if channel is None:
        return None, rest
    return channel, f"{sub} {without.lstrip()}"


def schedule_in_dm(args: ScheduleArgs) -> InDm:
    """`explain` needs no channel; the others act on one channel's schedules."""
    return InDm.HERE if args.subcommand == "explain" else InDm.NEEDS_CHANNEL


def describe_run(schedule: Schedule) -> Reply:
    """The notice posted before a scheduled command runs (the reference's wording)."""
    return Reply.of(
        "Executing ",
        *command_parts(schedule.command),
        f" on schedule `{schedule.cron_text}`.",
    )


SCHEDULE_COMMAND = Command(
    "schedule",
    "runs a command in this channel on a vixie-cron schedule: create, delete, list, explain.",
    "<create|delete|list|explain> [<arguments>]",
    EXAMPLE,
    parse_schedule,
    run_schedule,
    names_rotation=False,
    subcommands=SUBCOMMANDS,
    locate=locate_schedule,
    in_dm=schedule_in_dm,
)
