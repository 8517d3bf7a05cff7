"""Notification settings and the record of what the periodic jobs already sent.

Only what people turned off is stored: every type is on by default, so a new type needs no
rows. A channel's settings are per rotation (it may be linked to several); they go with the
rotation. `notification_sent` makes a reminder go out once per shift even across restarts;
rows are forgotten a day after the shift started.
"""

from bot.storage.db import ddl


def up(migrator, db):  # type: ignore[no-untyped-def]
    ddl(
        db,
        """
        CREATE TABLE notification_personal_off (
            "user" VARCHAR(255) NOT NULL,
            type VARCHAR(64) NOT NULL,
            PRIMARY KEY ("user", type)
        )
        """,
    )
    ddl(
        db,
        """
        CREATE TABLE notification_channel_off (
            channel VARCHAR(255) NOT NULL,
            rotation_id INTEGER NOT NULL REFERENCES rotation (id) ON DELETE CASCADE,
            type VARCHAR(64) NOT NULL,
            PRIMARY KEY (channel, rotation_id, type)
        )
        """,
    )
    ddl(
        db,
        "CREATE INDEX notification_channel_off_rotation ON notification_channel_off (rotation_id)",
    )
    ddl(
        db,
        """
        CREATE TABLE notification_remind (
            "user" VARCHAR(255) NOT NULL PRIMARY KEY,
            hours INTEGER NOT NULL
        )
        """,
    )
    ddl(
        db,
        """
        CREATE TABLE notification_sent (
            key VARCHAR(255) NOT NULL PRIMARY KEY,
            due_at DATETIME NOT NULL
        )
        """,
    )
    ddl(db, "CREATE INDEX notification_sent_due ON notification_sent (due_at)")
