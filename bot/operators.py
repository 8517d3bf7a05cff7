"""`dienstplan schedules` and `dienstplan outbox`: the bot's state across channels, for
operators. Both read the database `run` uses and never create one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TextIO

from bot.app import Services
from bot.core import cron
from bot.core.model import Member, Reply
from bot.core.parser import command_parts


def shown_command(wire: str) -> str:
    """A schedule's command as the other replies show it, as plain text for a table: people
    by name (`@U1` here, with no Slack to ask), the rest unescaped."""
    return Reply.of(*command_parts(wire)).render(Member.plain, literal=lambda part: part.text)


def print_schedules(services: Services, out: TextIO) -> int:
    with services.repo.transaction():
        schedules = services.repo.all_schedules()
    if not schedules:
        print("No schedules.", file=out)
        return 0
    rows = [("CHANNEL", "COMMAND", "CRONTAB", "ZONE", "NEXT RUN", "LAST RUN")]
    for s in schedules:
        zone = s.shown_zone(services.config.timezone)  # as its next run was computed
        rows.append(
            (
                s.channel,
                shown_command(s.command),
                s.crontab,
                zone,
                cron.format_run(s.next_run_at, zone) if s.next_run_at else "never",
                cron.format_run(s.last_run_at, zone) if s.last_run_at else "-",
            )
        )
    _print_table(rows, out)
    print(f"{len(schedules)} schedule(s).", file=out)
    return 0


def print_outbox(services: Services, out: TextIO, *, now: datetime) -> int:
    """Messages pending or failed, oldest first, with Slack's last error."""
    entries = services.repo.undelivered()
    if not entries:
        print("Nothing pending or failed.", file=out)
        return 0
    rows = [("ID", "CHANNEL", "KIND", "STATE", "AGE", "ATTEMPTS", "ERROR")]
    rows += [
        (
            str(e.id),
            e.channel,
            e.kind,
            e.state,
            age(now - e.created_at),
            str(e.attempts),
            e.error or "-",
        )
        for e in entries
    ]
    _print_table(rows, out)
    failed = sum(e.state == "failed" for e in entries)
    print(f"{len(entries) - failed} pending, {failed} failed.", file=out)
    if failed:
        print("`dienstplan outbox retry` queues the failed ones again.", file=out)
    return 0


def retry_outbox(services: Services, out: TextIO) -> int:
    count = services.repo.retry_failed()
    if count:
        print(
            f"Queued {count} failed message(s) again; a running bot sends them within seconds.",
            file=out,
        )
    else:
        print("No failed messages.", file=out)
    return 0


def age(elapsed: timedelta) -> str:
    seconds = max(0, int(elapsed.total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _print_table(rows: Sequence[Sequence[str]], out: TextIO) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip(),
            file=out,
        )
