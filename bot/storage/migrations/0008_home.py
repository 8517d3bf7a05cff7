"""The App Home: when each rotation's duty started (the Home says "since"), who has opened the
Home (only they are republished when something on it changes), and a note per away period
(the Home's Set away form takes one)."""

from bot.storage.db import ddl


def up(migrator, db):  # type: ignore[no-untyped-def]
    ddl(db, "ALTER TABLE rotation ADD COLUMN duty_since DATETIME")
    ddl(db, "ALTER TABLE away ADD COLUMN note TEXT")
    ddl(
        db,
        """
        CREATE TABLE home_user (
            "user" VARCHAR(255) NOT NULL PRIMARY KEY,
            opened_at DATETIME NOT NULL
        )
        """,
    )
