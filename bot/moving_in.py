"""`dienstplan import-dienstplan URL`: moving in from the Clojure dienstplan (pilosus/dienstplan).

Its PostgreSQL database has three tables: `rota` (channel, name, description, created_on),
`mention` (a rota's members in id order, as Slack mentions such as `<@U123>`, the one on duty
flagged `duty`) and `schedule` (channel, `executable`: a bot command without the mention,
`crontab`, evaluated in UTC). Each rotation is created as if typed into the console (`create`,
then its duty set), each schedule likewise (`schedule create`), so every rule that applies to
a command typed today applies to what is imported: what the bot would refuse is skipped, with
the reason it would give. A rotation or schedule already here is skipped too, so the import
can run again (after fixing what was skipped) without doubling anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TextIO

from bot.app import Services
from bot.core.dispatcher import Dispatcher
from bot.core.model import Member, Request
from bot.core.parser import MEMBER_RE, SLACKBOT, member_from_match
from bot.core.schedules import command_key
from bot.storage.repository import PeeweeRepository
from bot.storage.urls import is_postgres_url, redact_url

# The old bot does not record who created a rotation or schedule: Slackbot stands in.
IMPORTER = SLACKBOT
EMPTY_DESCRIPTION = "(imported from dienstplan without a description)"


@dataclass(frozen=True)
class OldRotation:
    channel: str
    name: str
    description: str | None
    mentions: list[tuple[str, bool]]  # (Slack mention, on duty) in the old bot's order


@dataclass(frozen=True)
class OldSchedule:
    channel: str
    executable: str
    crontab: str


@dataclass
class Summary:
    rotations: list[str] = field(default_factory=list)
    schedules: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def write(self, out: TextIO) -> None:
        print(
            f"Imported {len(self.rotations)} rotation(s) and {len(self.schedules)} "
            f"schedule(s); skipped {len(self.skipped)}.",
            file=out,
        )
        for line in self.rotations:
            print(f"  imported rotation {line}", file=out)
        for line in self.schedules:
            print(f"  imported schedule {line}", file=out)
        for line in self.skipped:
            print(f"  skipped {line}", file=out)


class SourceError(Exception):
    """The old database cannot be read; the message says why (its password redacted)."""


def read_source(url: str) -> tuple[list[OldRotation], list[OldSchedule]]:
    """Everything, in one read-only snapshot."""
    try:
        import psycopg2
    except ImportError:
        raise SourceError(
            "reading it needs the driver: pip install 'dienstplan[postgres]'"
        ) from None
    try:
        connection = psycopg2.connect(url, connect_timeout=10)
    except psycopg2.Error as error:
        raise SourceError(redact_url(str(error)).strip()) from None
    try:
        connection.set_session(isolation_level="REPEATABLE READ", readonly=True)
        cursor = connection.cursor()
        cursor.execute("SELECT id, channel, name, description FROM rota ORDER BY id")
        rotas: list[tuple[Any, ...]] = cursor.fetchall()
        cursor.execute("SELECT rota_id, name, duty FROM mention ORDER BY rota_id, id")
        mentions: dict[int, list[tuple[str, bool]]] = {}
        for rota_id, name, duty in cursor.fetchall():
            mentions.setdefault(rota_id, []).append((name, bool(duty)))
        cursor.execute("SELECT channel, executable, crontab FROM schedule ORDER BY id")
        schedules = [OldSchedule(*row) for row in cursor.fetchall()]
    except psycopg2.Error as error:
        raise SourceError(
            f"it does not look like dienstplan's database: {str(error).strip()}"
        ) from None
    finally:
        connection.close()
    rotations = [
        OldRotation(channel, name, description, mentions.get(id_, []))
        for id_, channel, name, description in rotas
    ]
    return rotations, schedules


def _say(dispatcher: Dispatcher, channel: str, text: str) -> tuple[bool, str]:
    outcome = dispatcher.handle(
        Request(text=text, channel=channel, user=IMPORTER, source="console")
    )
    return not outcome.failed, outcome.reply.render(Member.plain).replace("\n", " ")


def import_rotation(
    dispatcher: Dispatcher, repo: PeeweeRepository, old: OldRotation, summary: Summary
) -> None:
    """`create`, then the duty where the old bot had it, in one transaction."""
    where = f"{old.name!r} in {old.channel}"
    if not old.mentions:
        summary.skipped.append(f"rotation {where}: it has no members")
        return
    mentions = " ".join(name for name, _ in old.mentions)
    description = (old.description or "").strip() or EMPTY_DESCRIPTION
    duty = next((i for i, (_, on_duty) in enumerate(old.mentions) if on_duty), 0)
    with repo.transaction():
        if repo.find(old.channel, old.name) is not None:
            summary.skipped.append(f"rotation {where}: it is here already")
            return
        ok, reply = _say(dispatcher, old.channel, f"create {old.name} {mentions} {description}")
        if not ok:
            summary.skipped.append(f"rotation {where}: {reply}")
            return
        rotation = repo.find(old.channel, old.name)
        assert rotation is not None
        match = MEMBER_RE.fullmatch(old.mentions[duty][0])
        position = repo.position_of(rotation, member_from_match(match).ref) if match else None
        if position:
            repo.set_duty(rotation, position)
    summary.rotations.append(
        f"{where} ({len(old.mentions)} members, on duty: {old.mentions[duty][0]})"
    )


def import_schedule(
    dispatcher: Dispatcher, repo: PeeweeRepository, old: OldSchedule, summary: Summary
) -> None:
    """The old bot ran crontabs in UTC: CRON_TZ=UTC keeps them at the same moments."""
    where = f"{old.executable!r} in {old.channel}"
    crontab = old.crontab.strip()
    if not crontab.upper().startswith("CRON_TZ="):
        crontab = f"CRON_TZ=UTC {crontab}"
    with repo.transaction():
        if repo.find_schedule(old.channel, command_key(old.executable)) is not None:
            summary.skipped.append(f"schedule {where}: it is here already")
            return
        ok, reply = _say(dispatcher, old.channel, f'schedule create "{old.executable}" {crontab}')
    if ok:
        summary.schedules.append(f"{where} at `{crontab}`")
    else:
        summary.skipped.append(f"schedule {where}: {reply}")


def import_all(
    dispatcher: Dispatcher,
    repo: PeeweeRepository,
    rotations: list[OldRotation],
    schedules: list[OldSchedule],
) -> Summary:
    """Rotations first: a schedule is refused if its command fails now (no such rotation)."""
    summary = Summary()
    for rotation in rotations:
        import_rotation(dispatcher, repo, rotation, summary)
    for schedule in schedules:
        import_schedule(dispatcher, repo, schedule, summary)
    return summary


def run_import(services: Services, url: str, out: TextIO) -> int:
    """The summary on `out`; status 1 when the old database cannot be read."""
    if not is_postgres_url(url):
        print(
            f"dienstplan: {url!r} is not a PostgreSQL URL; the old dienstplan's database is "
            "named as postgresql://user:password@host:port/database",
            file=out,
        )
        return 1
    try:
        rotations, schedules = read_source(url)
    except SourceError as error:
        print(f"dienstplan: cannot read {redact_url(url)}: {error}", file=out)
        return 1
    import_all(services.dispatcher, services.repo, rotations, schedules).write(out)
    return 0
