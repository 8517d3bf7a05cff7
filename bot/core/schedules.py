"""The `schedule` meta-command: run bot commands in a channel on a vixie-cron crontab."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core import cron
from bot.core.commands import BOT_HANDLE, Command, Context, find_rotation, rotation_named
from bot.core.errors import DomainError, UsageError
from bot.core.model import Reply, Schedule
from bot.core.parser import clean_name, name_key, split_command

SUBCOMMANDS = ("create", "delete", "list", "explain")
# Opening and closing quotes people type or their keyboards substitute: straight, English
# and German curly quotes, guillemets both ways, and the heavy ornament quotes.
QUOTES = '"\u201c\u201d\u201e\u201f\u00ab\u00bb\u2039\u203a\u275d\u275e'
EXAMPLE = f'{BOT_HANDLE} schedule create "rotate backend-rota" 0 9 * * Mon-Fri'
NEXT_RUNS_SHOWN = 5


@dataclass(frozen=True)
class ScheduleArgs:
    subcommand: str
    command: str = ""
    crontab: str = ""


def command_key(command: str) -> str:
    """`rotate Backend.` and `rotate backend` are the same schedule."""
    return name_key(clean_name(command))


def _usage(problem: str) -> UsageError:
    return UsageError("schedule", problem)


def _split_quoted(text: str) -> tuple[str, str]:
    """`"rotate x" 0 9 * * *` -> ("rotate x", "0 9 * * *"). The command may itself contain
    quotes, so it ends at the last quote (a crontab never has one)."""
    text = text.strip()
    if not text or text[0] not in QUOTES:
        raise _usage(
            'the command to run must be in double quotes, e.g. `schedule create "rotate '
            'backend-rota" 0 9 * * Mon-Fri`.'
        )
    end = max(text.rfind(q) for q in QUOTES)
    if end == 0:
        raise _usage("the command's closing quote is missing.")
    command = " ".join(text[1:end].split())
    if not command:
        raise _usage("the command in quotes is empty.")
    return command, " ".join(text[end + 1 :].split())


def parse_schedule(rest: str) -> ScheduleArgs:
    sub, _, tail = rest.strip().partition(" ")
    sub = sub.strip().casefold()
    if not sub:
        raise _usage(f"say what to do: one of {', '.join(SUBCOMMANDS)}.")
    if sub not in SUBCOMMANDS:
        raise _usage(f"`{sub[:30]}` is not one of {', '.join(SUBCOMMANDS)}.")
    if sub == "list":
        return ScheduleArgs("list")
    if sub == "explain":
        if not tail.strip():
            raise _usage("the crontab to explain is missing, e.g. `schedule explain 0 9 * * 1-5`.")
        return ScheduleArgs("explain", crontab=" ".join(tail.split()))
    if sub == "delete":
        tail = tail.strip()
        command = _split_quoted(tail)[0] if tail[:1] in QUOTES else " ".join(tail.split())
        if not command:
            raise _usage("the command of the schedule to delete is missing, in quotes.")
        return ScheduleArgs("delete", command=command)
    command, crontab = _split_quoted(tail)
    if not crontab:
        raise _usage("the crontab is missing after the quoted command, e.g. `0 9 * * Mon-Fri`.")
    return ScheduleArgs("create", command=command, crontab=crontab)


def _parse_cron(text: str) -> cron.CronSpec:
    try:
        return cron.parse(text)
    except cron.CronError as error:
        raise _usage(f"the crontab is not valid: {error}.") from error


def _zone_name(spec: cron.CronSpec, ctx: Context) -> str:
    return spec.timezone or ctx.timezone.key


def next_run(spec: cron.CronSpec, after: datetime, default_tz: str) -> datetime:
    try:
        return cron.next_run(spec, after, default_tz)
    except cron.CronError as error:
        raise DomainError(f"That crontab never runs: {error}.") from error


def schedule_line(schedule: Schedule, default_tz: str) -> str:
    """One schedule as `list` and the operators' CLI show it."""
    spec = cron.parse(schedule.cron_text)
    zone = spec.timezone or default_tz
    when = (
        cron.format_run(schedule.next_run_at, zone) if schedule.next_run_at else "never (stopped)"
    )
    return (
        f"`{schedule.command}`: `{schedule.crontab}` ({zone}), {cron.describe(spec)}. "
        f"Next run: {when}"
    )


def _validate_command(ctx: Context, text: str) -> tuple[str, str | None]:
    """The scheduled command, checked now by the same parser, so a typo fails today."""
    invocation = split_command(text, ctx.request.bot_user_id)
    command = ctx.commands.get(invocation.command)
    if command is None:
        raise _usage(f"`{invocation.command or text}` is not a command I know.")
    if command.name == "schedule":
        raise _usage("a schedule cannot run `schedule` itself.")
    try:
        args = command.parse(invocation.rest)
    except UsageError as error:
        raise _usage(
            f"the command `{text}` would fail: {error.problem} Its usage: {command.usage_line()}"
        ) from error
    rotation = rotation_named(command, args)
    if rotation is not None and not command.creates_rotation:
        find_rotation(ctx, rotation)
    normalised = f"{command.name} {invocation.rest}".strip()
    return normalised, rotation


def _create(ctx: Context, args: ScheduleArgs) -> Reply:
    command, rotation = _validate_command(ctx, args.command)
    spec = _parse_cron(args.crontab)
    existing = ctx.schedules.find_schedule(ctx.request.channel, command_key(command))
    if existing is not None:
        raise DomainError(
            f"This channel already has a schedule for `{existing.command}` "
            f"(`{existing.cron_text}`). Delete it first with "
            f'`{BOT_HANDLE} schedule delete "{existing.command}"`.'
        )
    zone = _zone_name(spec, ctx)
    first = next_run(spec, ctx.now, zone)
    ctx.schedules.add_schedule(
        channel=ctx.request.channel,
        command=command,
        command_key=command_key(command),
        rotation_key=name_key(rotation) if rotation else None,
        crontab=spec.expression,
        timezone=spec.timezone,
        created_by=ctx.request.user,
        now=ctx.now,
        next_run_at=first,
    )
    ctx.effects.schedules_changed = True
    return Reply.of(
        f"Scheduled `{command}` in this channel. {cron.explain(spec)}.\n"
        f"Next run: {cron.format_run(first, zone)} ({zone})."
    )


def _delete(ctx: Context, args: ScheduleArgs) -> Reply:
    invocation = split_command(args.command, ctx.request.bot_user_id)
    key = command_key(f"{invocation.command} {invocation.rest}")
    schedule = ctx.schedules.find_schedule(ctx.request.channel, key)
    if schedule is None:
        known = [s.command for s in ctx.schedules.channel_schedules(ctx.request.channel)]
        listing = ", ".join(f"`{c}`" for c in known) if known else "none"
        raise DomainError(
            f"There is no schedule for `{args.command}` in this channel. "
            f"This channel's schedules: {listing}."
        )
    ctx.schedules.delete_schedule(schedule)
    ctx.effects.schedules_changed = True
    return Reply.of(f"Deleted the schedule for `{schedule.command}` (`{schedule.cron_text}`).")


def _list(ctx: Context, _: ScheduleArgs) -> Reply:
    schedules = ctx.schedules.channel_schedules(ctx.request.channel)
    if not schedules:
        return Reply.of(f"There are no schedules in this channel. Create one with `{EXAMPLE}`.")
    lines = [f"Schedules in this channel ({len(schedules)}):"]
    lines += [f"• {schedule_line(s, ctx.timezone.key)}" for s in schedules]
    return Reply.of("\n".join(lines))


def _explain(ctx: Context, args: ScheduleArgs) -> Reply:
    spec = _parse_cron(args.crontab)
    zone = _zone_name(spec, ctx)
    try:
        runs = cron.next_runs(spec, ctx.now, zone, NEXT_RUNS_SHOWN)
    except cron.CronError as error:
        raise DomainError(f"That crontab never runs: {error}.") from error
    lines = [cron.explain(spec), f"The next {len(runs)} runs ({zone}):"]
    lines += [f"• {cron.format_run(run, zone)}" for run in runs]
    return Reply.of("\n".join(lines))


_HANDLERS = {"create": _create, "delete": _delete, "list": _list, "explain": _explain}


def run_schedule(ctx: Context, args: ScheduleArgs) -> Reply:
    return _HANDLERS[args.subcommand](ctx, args)


def describe_run(schedule: Schedule) -> str:
    """The notice posted before a scheduled command runs (the reference's wording)."""
    return f"Executing `{schedule.command}` on schedule `{schedule.cron_text}`."


SCHEDULE_COMMAND = Command(
    "schedule",
    "runs a command in this channel on a vixie-cron schedule: create, delete, list, explain.",
    '<create|delete|list|explain> "<command>" <crontab>',
    EXAMPLE,
    parse_schedule,
    run_schedule,
    names_rotation=False,
)
