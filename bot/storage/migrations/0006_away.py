"""Away periods: whole days, both ends inclusive, belonging to a person (a Slack user id).

Read by user and end date (the periods not over yet), so that is the index.
"""

from bot.storage.db import ddl


def up(migrator, db):  # type: ignore[no-untyped-def]
    ddl(
        db,
        """
        CREATE TABLE away (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            "user" VARCHAR(255) NOT NULL,
            start_date DATE NOT NULL,
            end_date DATE NOT NULL
        )
        """,
    )
    ddl(db, 'CREATE INDEX away_user_end ON away ("user", end_date)')
    # `shifts` finds a person's rotations by member id from any channel, and the user groups
    # that are members anywhere.
    ddl(db, "CREATE INDEX member_ref ON member (ref)")
    ddl(db, "CREATE INDEX member_group ON member (ref) WHERE kind = 'usergroup'")
