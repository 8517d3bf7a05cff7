"""When the bot last welcomed a channel, so a rejoin within a day posts no second welcome;
and an index on rotation names, so a DM finds a name across the user's channels by a seek."""

from bot.storage.db import ddl


def up(migrator, db):  # type: ignore[no-untyped-def]
    ddl(
        db,
        """
        CREATE TABLE welcome (
            channel VARCHAR(255) NOT NULL PRIMARY KEY,
            welcomed_at DATETIME NOT NULL
        )
        """,
    )
    ddl(db, "CREATE INDEX rotation_name_key ON rotation (name_key)")
