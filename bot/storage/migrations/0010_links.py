"""Rotations linked to other channels than their own: one row per (channel, rotation).

Read by channel (what a channel sees) and by rotation (where its news goes); a deleted
rotation takes its links with it."""

from bot.storage.db import ddl


def up(migrator, db):  # type: ignore[no-untyped-def]
    ddl(
        db,
        """
        CREATE TABLE link (
            channel VARCHAR(255) NOT NULL,
            rotation_id INTEGER NOT NULL REFERENCES rotation (id) ON DELETE CASCADE,
            linked_by VARCHAR(255) NOT NULL,
            linked_at DATETIME NOT NULL,
            PRIMARY KEY (channel, rotation_id)
        )
        """,
    )
    ddl(db, "CREATE INDEX link_rotation ON link (rotation_id)")
