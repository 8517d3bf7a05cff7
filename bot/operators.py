"""`dienstplan schedules`: every schedule across channels, for operators."""

from __future__ import annotations

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
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip(),
            file=out,
        )
    print(f"{len(schedules)} schedule(s).", file=out)
    return 0
