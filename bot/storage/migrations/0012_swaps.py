"""Shift swaps and the per-shift overrides an accepted swap makes.

A swap names its shift by the shift's start (NULL: the shift held now). An override gives one
shift to another member without changing the order; the one for the shift held now
(shift_start NULL) lasts until the duty next moves. `stamp` is the rotation's members as they
were when the swap was asked, so an answer after `update` changes nothing.
"""

from bot.storage.db import ddl


def up(migrator, db):  # type: ignore[no-untyped-def]
    ddl(
        db,
        """
        CREATE TABLE swap (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            rotation_id INTEGER NOT NULL REFERENCES rotation (id) ON DELETE CASCADE,
            shift_start DATETIME,
            requester VARCHAR(255) NOT NULL,
            target VARCHAR(255) NOT NULL,
            state VARCHAR(16) NOT NULL,
            stamp TEXT NOT NULL,
            created_at DATETIME NOT NULL,
            expires_at DATETIME NOT NULL,
            answered_at DATETIME
        )
        """,
    )
    ddl(db, "CREATE INDEX swap_pending ON swap (state, expires_at)")
    ddl(db, "CREATE INDEX swap_rotation ON swap (rotation_id)")
    ddl(
        db,
        """
        CREATE TABLE shift_override (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            rotation_id INTEGER NOT NULL REFERENCES rotation (id) ON DELETE CASCADE,
            shift_start DATETIME,
            ref VARCHAR(255) NOT NULL,
            kind VARCHAR(16) NOT NULL,
            label VARCHAR(255)
        )
        """,
    )
    ddl(db, "CREATE INDEX shift_override_rotation ON shift_override (rotation_id)")
