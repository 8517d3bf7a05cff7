"""The outbox: every message the bot sends is a row, written with the change that causes it.

Replies of scheduled runs that were committed but not posted move into it (the scheduler
used to post them at start-up); processed_event keeps only the event ids.
"""

from bot.storage.db import ddl


def up(migrator, db):  # type: ignore[no-untyped-def]
    ddl(
        db,
        """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            channel VARCHAR(255) NOT NULL,
            kind VARCHAR(255) NOT NULL,
            reply TEXT NOT NULL,
            thread_ts VARCHAR(255),
            created_at DATETIME NOT NULL,
            state VARCHAR(255) NOT NULL DEFAULT 'pending',
            sent INTEGER NOT NULL DEFAULT 0,
            attempts INTEGER NOT NULL DEFAULT 0,
            error VARCHAR(255),
            lease_owner VARCHAR(255),
            lease_until DATETIME,
            delivered_at DATETIME
        )
        """,
    )
    # Partial indexes: the sender reads only pending rows (by channel and lease owner, so a
    # channel's owners are found by a seek, whatever its backlog), pruning only delivered ones.
    ddl(db, "CREATE INDEX outbox_pending ON outbox (channel, lease_owner) WHERE state = 'pending'")
    ddl(db, "CREATE INDEX outbox_failed ON outbox (id) WHERE state = 'failed'")
    ddl(db, "CREATE INDEX outbox_delivered ON outbox (delivered_at) WHERE state = 'delivered'")
    ddl(
        db,
        """
        INSERT INTO outbox (channel, kind, reply, created_at)
        SELECT channel, 'reply', reply, received_at FROM processed_event
        WHERE delivered_at IS NULL AND reply IS NOT NULL AND channel IS NOT NULL
          AND event_id LIKE ?
        ORDER BY received_at
        """,
        ("schedule:%",),
    )
    for column in ("reply", "delivered_at", "channel"):
        ddl(db, f"ALTER TABLE processed_event DROP COLUMN {column}")
