"""The zone each schedule's stored next run was computed in.

A schedule without CRON_TZ follows DIENSTPLAN_TIMEZONE, which can change between restarts or
differ between the bot and the console: displays must show the stored run in the zone it was
computed in, and the scheduler must know which stored runs to re-compute. Rows with CRON_TZ
were computed in that zone; for the others the zone is unknown (NULL) until the scheduler's
next start re-computes them.
"""

from peewee import CharField

from bot.storage.db import ddl


def up(migrator, db):  # type: ignore[no-untyped-def]
    migrator.migrate(migrator.add_column("schedule", "zone", CharField(null=True)))
    ddl(db, "UPDATE schedule SET zone = timezone WHERE timezone IS NOT NULL")
